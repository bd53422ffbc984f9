"""The `liangxin` CLI under a new user's mistakes and a real terminal (issue 13)."""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from liangxin_client._records import TaskState
from liangxin_client.cli import (
    EXIT_API_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    main,
)
from liangxin_client.cli._progress import TaskProgress
from liangxin_mock import MockServer

MockFactory = Callable[..., MockServer]
KEY = "sk-cli-canary-51d0c2"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No credentials, config or mock database from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith("LIANGXIN_") or name.startswith("XDG_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("LIANGXIN_MOCK_TASK_SECONDS", "0.2")
    yield


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


# -- configuration mistakes are one line, exit 2, nothing sent -----------------------------------


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:notaport", "http://[::1", "http://", "ftp://x", "localhost:8000"]
)
def test_a_base_url_the_client_cannot_use_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], base_url: str
) -> None:
    code, out, err = run(capsys, "--base-url", base_url, "--api-key", KEY, "get", "X")
    assert code == EXIT_USAGE, err
    assert "nothing was sent" in one_line(err) and out == ""


def test_a_corrupt_or_unwritable_mock_database_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_text("this is not a database")
    for db in (str(corrupt), "/proc/forbidden/mock.db"):
        monkeypatch.setenv("LIANGXIN_MOCK_DB", db)
        code, _, err = run(capsys, "--mock", "get", "task_x_1")
        assert code == EXIT_USAGE, err
        line = one_line(err)
        assert db in line and "nothing was sent" in line


def test_a_read_only_mock_database_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # (chmod cannot make a file read-only for root, so the store's own error is simulated)
    import liangxin_mock

    def read_only(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(liangxin_mock.MockServer, "__init__", read_only)
    code, _, err = run(capsys, "--mock", "get", "task_x_1")
    assert code == EXIT_USAGE and "readonly database" in one_line(err)


def test_ctrl_c_while_importing_is_one_line(tmp_path: Path) -> None:
    """The console script's module imports the CLI under its own KeyboardInterrupt handler."""
    script = (
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'liangxin_client':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "from _liangxin_entry import main\n"
        "sys.exit(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == EXIT_INTERRUPTED
    assert done.stderr == "error: interrupted\n"


def test_the_console_script_module_is_light() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, _liangxin_entry; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    modules = done.stdout
    assert "'_liangxin_entry'" in modules
    for heavy in ("httpx", "rich", "liangxin_client"):
        assert f"'{heavy}'" not in modules


# -- flags: no abbreviations, typos get a suggestion ----------------------------------------------


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (
            ["generate", "--aspect", "16:9", "-m", "z-image", "x"],
            "--aspect (did you mean --aspect-ratio?)",
        ),
        (["generate", "--modle", "z-image", "x"], "--modle (did you mean --model?)"),
        (["generate", "--mdoel=z-image", "x"], "--mdoel (did you mean --model?)"),
        (["wait", "t", "--timeot", "5"], "--timeot (did you mean --timeout?)"),
        (["genrate", "x"], "did you mean 'generate'?"),
        # A flag before the command: its value is not "an invalid choice of COMMAND".
        (["--base", "http://127.0.0.1:9", "get", "t"], "--base (did you mean --base-url?)"),
        (["get", "t", "--base", "http://127.0.0.1:9"], "--base (did you mean --base-url?)"),
        (["--base=http://127.0.0.1:9", "get", "t"], "--base (did you mean --base-url?)"),
        (["--mock", "--bse-url", "u", "batch", "f"], "--bse-url (did you mean --base-url?)"),
        (["--api", "k", "--mock", "models"], "--api (did you mean --api-key?)"),
        (["batch", "--resubmit", "f.jsonl"], "--resubmit (did you mean --resubmit-ambiguous?)"),
        (["batch", "f.jsonl", "--call", "u"], "--call (did you mean --callback-url?)"),
        (["--frobnicate", "x", "get", "t"], "error: unknown option --frobnicate (see"),
        (["get", "t", "--status", "j"], "--status (an option of `batch`, not of `get`)"),
        (
            ["--jsn", "get", "t", "--bas", "u"],
            "unknown options --jsn (did you mean --json?), --bas",
        ),
    ],
)
def test_flag_typos_and_abbreviations_are_refused_with_a_suggestion(
    capsys: pytest.CaptureFixture[str], argv: list[str], suggestion: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == EXIT_USAGE and out == ""
    line = one_line(err)
    assert suggestion in line
    assert "invalid choice" not in line or argv[0] == "genrate"


# -- undocumented fields and skipping validation, the CLI way -------------------------------------


def _auth(mock: MockServer) -> list[str]:
    return ["--base-url", mock.base_url, "--api-key", mock.api_key]


def test_the_unknown_field_error_names_the_cli_options(
    capsys: pytest.CaptureFixture[str], liangxin_mock: MockServer
) -> None:
    # A field the contract does not list is a guess: a warning that names the CLI option.
    code, _, err = run(
        capsys, *_auth(liangxin_mock), "create", "-m", "z-image", "-i", "colr=1", "x"
    )
    [line] = err.strip().splitlines()
    assert code == EXIT_OK and line.startswith("warning: unknown input field 'colr'")
    assert "--extra KEY=VALUE" in line and "extra_input" not in line
    # With --strict it is refused, in the same words.
    code, _, err = run(
        capsys, *_auth(liangxin_mock), "create", "--strict", "-m", "z-image", "-i", "colr=1", "x"
    )
    line = one_line(err)
    assert code == EXIT_USAGE and "--extra KEY=VALUE" in line and "extra_input" not in line


def test_extra_fields_and_no_validate_are_sent(
    capsys: pytest.CaptureFixture[str], liangxin_mock: MockServer
) -> None:
    auth = _auth(liangxin_mock)
    code, out, err = run(capsys, *auth, "create", "-m", "z-image", "--extra", "note=[1]", "x")
    assert code == EXIT_OK, err
    [task] = [t for t in liangxin_mock.tasks() if t["taskId"] == out.strip()]
    assert json.loads(task["param"])["input"] == {"prompt": "x", "note": [1]}
    # Flux's width without height breaks a documented rule: --no-validate sends it anyway.
    code, _, err = run(
        capsys, *auth, "create", "-m", "flux-2-pro", "--no-validate", "-i", "width=512", "x"
    )
    line = one_line(err)
    assert code == EXIT_API_ERROR, err  # the service refused it: it was sent
    assert "input.height" in line and "HTTP 400" in line


@pytest.mark.parametrize(
    "name", ["model", "input", "validate", "strict", "callback_url", "extra_input"]
)
@pytest.mark.parametrize("command", ["create", "generate"])
def test_an_input_named_like_an_option_is_one_line_and_sends_nothing(
    capsys: pytest.CaptureFixture[str], liangxin_mock: MockServer, command: str, name: str
) -> None:
    # These once reached tasks.create(**fields) and ended in a TypeError traceback.
    before = len(liangxin_mock.tasks())
    code, _, err = run(
        capsys, *_auth(liangxin_mock), command, "-m", "z-image", "-i", f"{name}=1", "x"
    )
    line = one_line(err)
    assert code == EXIT_USAGE and f"--extra {name}=" in line, line
    assert len(liangxin_mock.tasks()) == before
    # --extra sends it as the input field it names.
    code, out, err = run(
        capsys, *_auth(liangxin_mock), "create", "-m", "z-image", "--extra", f"{name}=1", "x"
    )
    assert code == EXIT_OK, err
    [task] = [t for t in liangxin_mock.tasks() if t["taskId"] == out.strip()]
    assert json.loads(task["param"])["input"] == {"prompt": "x", name: 1}


# -- resume, hints, and the 404 of a doubled /api/v1 ----------------------------------------------


def test_resume_waits_then_downloads(
    capsys: pytest.CaptureFixture[str], liangxin_mock: MockServer, tmp_path: Path
) -> None:
    auth = _auth(liangxin_mock)
    code, out, _ = run(capsys, *auth, "create", "-m", "z-image", "a fox")
    task_id = out.strip()
    code, out, err = run(capsys, *auth, "resume", task_id, "-o", str(tmp_path / "o"))
    assert code == EXIT_OK, err
    [saved] = out.splitlines()
    assert Path(saved).parent == tmp_path / "o" and Path(saved).read_bytes()[:4] == b"\x89PNG"


def test_ctrl_c_in_generate_hints_resume_with_every_option(
    capsys: pytest.CaptureFixture[str],
    liangxin_mock: MockServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from liangxin_client._tasks import Tasks

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Tasks, "wait", interrupted)
    out_dir = str(tmp_path / "my shots")
    code, _, err = run(
        capsys, *_auth(liangxin_mock), "generate", "-m", "z-image", "-o", out_dir, "a fox"
    )
    assert code == EXIT_INTERRUPTED
    [task] = liangxin_mock.tasks()
    hint = f"liangxin --base-url {liangxin_mock.base_url} resume {task['taskId']} -o '{out_dir}'"
    assert f"`{hint}`" in one_line(err)
    assert liangxin_mock.api_key not in err


def test_ctrl_c_during_the_create_says_a_task_may_exist(
    capsys: pytest.CaptureFixture[str], liangxin_mock: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_send = httpx.Client.send

    def send(self: httpx.Client, request: httpx.Request, **kwargs: object) -> httpx.Response:
        if request.url.path.endswith("createTask"):
            real_send(self, request, **kwargs)  # type: ignore[arg-type]
            raise KeyboardInterrupt
        return real_send(self, request, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx.Client, "send", send)
    code, _, err = run(capsys, *_auth(liangxin_mock), "create", "-m", "z-image", "a fox")
    assert code == EXIT_INTERRUPTED
    line = one_line(err)
    assert "a task may exist" in line and "'model': 'z-image'" in line
    assert len(liangxin_mock.tasks()) == 1  # and indeed it does


def test_a_base_url_ending_in_api_v1_gets_a_hint_on_404(
    capsys: pytest.CaptureFixture[str], liangxin_mock: MockServer
) -> None:
    wrong = liangxin_mock.base_url + "/api/v1"
    for argv in (["create", "-m", "z-image", "x"], ["get", "task_z-image_1"]):
        code, _, err = run(capsys, "--base-url", wrong, "--api-key", liangxin_mock.api_key, *argv)
        assert code == EXIT_API_ERROR
        assert f"try --base-url {liangxin_mock.base_url}" in one_line(err)


def test_mock_output_has_no_dead_result_urls(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LIANGXIN_MOCK_DB", str(tmp_path / "mock.db"))
    code, out, _ = run(capsys, "--mock", "create", "-m", "z-image", "x")
    task_id = out.strip()
    code, out, err = run(capsys, "--mock", "wait", task_id)
    assert code == EXIT_OK, err
    assert "http://127.0.0.1" not in out
    assert f"liangxin --mock download {task_id}" in out and "only while the mock runs" in out


def test_a_50_column_progress_line_keeps_the_state_and_the_time() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=50, force_terminal=True, color_system=None)

    class Record:
        raw_state = TaskState.GENERATING.value
        is_terminal = False

    with TaskProgress("task_seedream-v4-5-edit_1777600000000", console) as progress:
        progress.update(Record())  # type: ignore[arg-type]
        assert progress._live is not None
        progress._live.refresh()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buffer.getvalue())
    frames = [f for f in re.split(r"[\r\n]", text) if "generating" in f]
    assert frames and all("0:00:0" in f for f in frames), frames
    assert all(len(f) <= 50 for f in frames), frames


# -- the config file: profiles; flags and the environment win --------------------------------------


def _write_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_profiles_from_the_config_file(
    capsys: pytest.CaptureFixture[str],
    liangxin_mock: MockServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "work.key"
    key_file.write_text(liangxin_mock.api_key + "\n")
    _write_config(
        tmp_path / "config" / "liangxin" / "config.toml",  # $XDG_CONFIG_HOME/liangxin/
        f"""
default_profile = "work"
[profiles.work]
base_url = "{liangxin_mock.base_url}"
api_key_file = "{key_file}"
[profiles.cmd]
base_url = "{liangxin_mock.base_url}"
api_key_command = "printf %s {liangxin_mock.api_key}"
[profiles.broken]
base_url = "http://127.0.0.1:9"
api_key_command = "printf %s {liangxin_mock.api_key}"
""",
    )
    code, out, err = run(capsys, "create", "-m", "z-image", "x")  # default_profile
    assert code == EXIT_OK, err
    task_id = out.strip()
    for argv in (["--profile", "cmd"], ["get", task_id, "--profile", "cmd"]):
        if argv[0] != "get":
            argv = [*argv, "get", task_id]
        code, out, err = run(capsys, *argv)
        assert code == EXIT_OK, err
    monkeypatch.setenv("LIANGXIN_PROFILE", "broken")
    code, _, err = run(capsys, "get", task_id)
    assert code == EXIT_API_ERROR and "127.0.0.1:9" in err
    # the environment and flags win over the profile
    monkeypatch.setenv("LIANGXIN_BASE_URL", liangxin_mock.base_url)
    assert run(capsys, "get", task_id)[0] == EXIT_OK
    code, _, err = run(capsys, "--base-url", "http://127.0.0.1:9", "get", task_id)
    assert code == EXIT_API_ERROR
    assert liangxin_mock.api_key not in err  # the key is never printed
    monkeypatch.delenv("LIANGXIN_BASE_URL")
    # a resume hint repeats --profile
    from liangxin_client._tasks import Tasks

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Tasks, "wait", interrupted)
    code, _, err = run(capsys, "--profile", "work", "wait", task_id)
    assert code == EXIT_INTERRUPTED
    assert f"resume with `liangxin --profile work wait {task_id}`" in one_line(err)


@pytest.mark.parametrize(
    ("config", "argv", "says"),
    [
        ("[profiles.work]\nbase_url = 'http://x'\n", ["--profile", "wrok"], "did you mean 'work'"),
        ("[profiles.work]\nbase_uri = 'http://x'\n", ["--profile", "work"], "did you mean 'base_url'"),
        ("not toml at all [", [], "not valid TOML"),
        ("[profiles.a]\napi_key_command = 'false'\nbase_url='http://x'\n", ["--profile", "a"], "exited 1"),
        ("[profiles.a]\napi_key_file = 'missing.key'\nbase_url='http://x'\n", ["--profile", "a"], "cannot read"),
    ],
)  # fmt: skip
def test_config_mistakes_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    config: str,
    argv: list[str],
    says: str,
) -> None:
    monkeypatch.setenv("LIANGXIN_CONFIG", str(_write_config(tmp_path / "c.toml", config)))
    code, _, err = run(capsys, *argv, "get", "task_x_1")
    assert code == EXIT_USAGE, err
    assert says in one_line(err)


def test_a_profile_asked_for_without_a_config_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--profile", "work", "get", "task_x_1")
    assert code == EXIT_USAGE and "no profile 'work'" in one_line(err)


# -- shell completion ------------------------------------------------------------------------------


def _complete(line: str, tmp_path: Path) -> list[str]:
    out = tmp_path / "completions"
    env = {
        **os.environ,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_IFS": "\n",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "_ARGCOMPLETE_STDOUT_FILENAME": str(out),
    }
    subprocess.run(
        [sys.executable, "-m", "liangxin_client"], env=env, timeout=60, capture_output=True
    )
    return [word.strip() for word in out.read_text().split("\n")] if out.exists() else []


def test_shell_completion_of_commands_options_and_models(tmp_path: Path) -> None:
    assert "generate" in _complete("liangxin gen", tmp_path)
    assert "resume" in _complete("liangxin res", tmp_path)
    assert "--aspect-ratio" in _complete("liangxin generate --asp", tmp_path)
    models = _complete("liangxin generate -m seedream-v", tmp_path)
    assert "seedream-v4-5" in models and "seedream-v5-lite-edit" in models
    assert json.dumps(models)  # plain strings


@pytest.mark.parametrize("terminal", [False, True])
def test_wait_or_resume_of_a_finished_task_says_it_had_finished_and_how_long_it_took(
    capsys: pytest.CaptureFixture[str],
    liangxin_mock: MockServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    terminal: bool,
) -> None:
    auth = _auth(liangxin_mock)
    task_id = run(capsys, *auth, "create", "-m", "z-image", "a fox")[1].strip()
    assert run(capsys, *auth, "wait", task_id)[0] == EXIT_OK
    if terminal:
        monkeypatch.setenv("FORCE_COLOR", "1")  # rich: stderr is a terminal (spinner, then a line)
    for argv in (["wait", task_id], ["resume", task_id, "-o", str(tmp_path / "o")]):
        code, _, err = run(capsys, *auth, *argv)
        assert code == EXIT_OK, err
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", err)
        assert "0.0 s" not in text  # not "success after 0.0 s": this run did not wait for it
        # The task's own duration, from its record's createTime and completeTime (0.5 s here).
        assert re.search(rf"{task_id} had already finished: success \(it took 0\.[5-9] s", text)
