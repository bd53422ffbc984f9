"""The test suite never reads the user's own config, cache or environment, nor reaches their service.

The isolation lives in one place, the repository's root `conftest.py`; these tests prove it holds,
in process and for a pytest run started from a shell whose user has a live profile.
"""

from __future__ import annotations

import http.server
import json
import os
import pwd
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_the_environment_is_private() -> None:
    real_home = Path(pwd.getpwuid(os.getuid()).pw_dir).resolve()
    assert Path.home().resolve() != real_home
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        assert name in os.environ, name
        place = Path(os.environ[name]).resolve()
        assert not place.is_relative_to(real_home), name
    assert not [
        name for name in os.environ if name.startswith("LIANGXIN_") and name != "LIANGXIN_CACHE_DIR"
    ]


def test_each_test_gets_its_own_home(tmp_path: Path) -> None:
    # A config file a test writes stays with that test.
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "liangxin" / "config.toml"
    assert not config.exists()
    config.parent.mkdir(parents=True)
    config.write_text('default_profile = "x"\n')


def test_a_second_test_does_not_see_the_first_ones_config() -> None:
    assert not (Path(os.environ["XDG_CONFIG_HOME"]) / "liangxin" / "config.toml").exists()


class _LiveLookingService(http.server.BaseHTTPRequestHandler):
    """Answers like the real service would, and remembers every request it got."""

    seen: ClassVar[list[str]] = []

    def _answer(self) -> None:
        type(self).seen.append(f"{self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = {"code": 200, "msg": "success", "data": {"taskId": "task_live_1"}}
        if "recordInfo" in self.path:
            result = json.dumps(
                {"resultUrls": [f"http://127.0.0.1:{self.server.server_port}/i.png"]}
            )
            body["data"] = {"taskId": "task_live_1", "state": "success", "resultJson": result}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def live_looking_service() -> Iterator[tuple[str, list[str]]]:
    seen: ClassVar[list[str]] = []
    handler = type("Handler", (_LiveLookingService,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_a_users_live_profile_and_environment_reach_nothing(
    tmp_path: Path, live_looking_service: tuple[str, list[str]]
) -> None:
    """The README recommends a default profile in ~/.config/liangxin/config.toml; a user who
    has one (and LIANGXIN_* exported) runs the tests: they pass and their service gets nothing."""
    url, seen = live_looking_service
    home = tmp_path / "user-home"
    config = home / ".config" / "liangxin"
    config.mkdir(parents=True)
    (config / "work.key").write_text("sk-live-secret\n")
    (config / "config.toml").write_text(
        f'default_profile = "work"\n\n[profiles.work]\nbase_url = "{url}"\n'
        f'api_key_file = "{config / "work.key"}"\n'
    )
    user_env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "LIANGXIN_BASE_URL": url,
        "LIANGXIN_API_KEY": "sk-live-secret",
        "LIANGXIN_PROFILE": "work",
    }
    selection = "missing-key or test_generate_json or environment_is_private or own_home"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-k", selection,
         "tests/test_cli.py", "tests/test_hermetic.py"],
        cwd=REPO,
        env=user_env,
        capture_output=True,
        text=True,
        timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "passed" in result.stdout
    assert seen == []
