"""Pure pieces of the mock: key specs, CLI config, ratios, lifecycle maths, the plugin."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from liangxin_mock import MockConfig, MockServer
from liangxin_mock.cli import build_parser, config_from_args
from liangxin_mock.cli import main as cli_main
from liangxin_mock.config import parse_key_list, parse_key_spec
from liangxin_mock.images import image_size, requested_ratio
from liangxin_mock.lifecycle import parse_fail_header, planned_failure, progress
from liangxin_mock.store import NewTask, Store, TaskRow


def test_key_specs() -> None:
    assert parse_key_spec("sk-1") == ("sk-1", None)
    assert parse_key_spec("sk-1:25") == ("sk-1", 25)
    assert parse_key_spec("a:b") == ("a:b", None)
    assert parse_key_list(" a:1, b ,") == {"a": 1, "b": None}
    with pytest.raises(ValueError):
        parse_key_spec(":5")


def test_cli_config_merges_env_and_flags_and_makes_a_key_when_none() -> None:
    parser = build_parser()
    args = parser.parse_args(["--api-key", "k:3", "--port", "0", "--max-concurrent", "2"])
    config = config_from_args(args, {"LIANGXIN_MOCK_API_KEYS": "e1,e2:7"})
    assert config.api_keys == {"e1": None, "e2": 7, "k": 3}
    assert config.max_concurrent == 2 and config.task_seconds == 3.0
    generated = config_from_args(parser.parse_args([]), {})
    assert len(generated.api_keys) == 1 and generated.first_key.startswith("sk-mock-")


@pytest.mark.parametrize(
    ("model", "payload", "ratio"),
    [
        ("seedream-v4-5", {"aspect_ratio": "cinematic_21_9"}, (21, 9)),
        ("imagen4-ultra", {"aspect_ratio": "classic_4_3"}, (4, 3)),
        ("flux-2-pro", {"width": 300, "height": 600, "aspect_ratio": "16:9"}, (300, 600)),
        ("flux-2-pro", {}, (1024, 768)),
        ("z-image", {"image_size": "square", "aspect_ratio": "16:9"}, (1, 1)),
        ("z-image", {"aspect_ratio": "nonsense"}, (1, 1)),
        ("nano-banana-pro", {}, (1, 1)),
    ],
)
def test_requested_ratio(model: str, payload: dict[str, object], ratio: tuple[int, int]) -> None:
    assert requested_ratio(model, payload) == ratio


def test_image_size_keeps_the_longest_side_512() -> None:
    assert image_size((16, 9)) == (512, 288)
    assert image_size((9, 16)) == (288, 512)
    assert image_size((1, 1)) == (512, 512)


def _row(duration: int, fail: str = "") -> TaskRow:
    return TaskRow(1, "task_m_1", "k", "m", "{}", 1000, 1000, duration, 1000 + duration, fail,
                   "msg" if fail else "", None, None, "http://h")  # fmt: skip


def test_progress_is_a_function_of_time() -> None:
    row = _row(1000)
    assert [progress(row, t).state for t in (1000, 1200, 1400, 1999, 2000)] == [
        "waiting",
        "queuing",
        "generating",
        "generating",
        "success",
    ]
    assert progress(row, 1500).update_ms == 1400 and progress(row, 1500).complete_ms is None
    assert progress(_row(0, "500"), 1000).state == "fail"


def test_failures() -> None:
    assert parse_fail_header("429:too busy") == ("429", "too busy")
    assert parse_fail_header("") == ("500", "forced failure")
    assert planned_failure(1, 5, 0.0) is None
    assert planned_failure(1, 5, 1.0) is not None
    drawn = [planned_failure(9, n, 0.3) for n in range(200)]
    assert drawn == [planned_failure(9, n, 0.3) for n in range(200)]
    assert 20 < sum(d is not None for d in drawn) < 100


def test_mock_server_accepts_a_config_and_overrides() -> None:
    server = MockServer(MockConfig(api_keys={"x": 5}), task_seconds=0.1)
    assert server.api_key == "x" and server.config.task_seconds == 0.1
    assert server.base_url == ""  # not started


def test_plugin_fixture_is_running(liangxin_mock: MockServer) -> None:
    assert liangxin_mock.base_url.startswith("http://127.0.0.1:")
    assert liangxin_mock.config.task_seconds == 0.5
    assert liangxin_mock.stats()["createTask"] == 0


def test_processes_sharing_a_database_never_reuse_a_task_id(tmp_path: Path) -> None:
    """Two stores on one file (two `liangxin --mock` runs) at the same millisecond."""
    path = str(tmp_path / "shared.db")
    first, second = Store(path), Store(path)
    new = NewTask("k", "z-image", "{}", 1_777_600_000_000, 1000, None, "http://127.0.0.1")
    ids = [store.insert_task(new, lambda seq: None).task_id for store in (first, second) * 3]
    assert len(set(ids)) == 6
    assert ids[0] == "task_z-image_1777600000000"


def test_the_pytest_plugin_loads_without_the_mock_extra() -> None:
    """The plugin is registered for every pytest run; it must not import starlette by itself."""
    code = (
        "import sys; import liangxin_mock.pytest_plugin; "
        "sys.exit(1 if 'starlette' in sys.modules or 'uvicorn' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ["--port", "99999"],
        ["--task-seconds", "nan"],
        ["--task-seconds", "-5"],
        ["--fault-rate", "2"],
        ["--fail-rate", "-1"],
        ["--max-body-bytes", "-1"],
        ["--max-concurrent", "0"],
        ["--api-key", "k:-1"],
    ],
)
def test_out_of_range_options_are_usage_errors(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["--port", "0", *args] if args[0] != "--port" else args)
    assert exit_info.value.code == 2
    assert f"argument {args[0]}" in capsys.readouterr().err


def test_unusable_database_or_address_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["--port", "0", "--db", str(tmp_path / "missing" / "x.db")]) == 2
    assert capsys.readouterr().err.startswith("liangxin-mock: cannot open the database")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli_main(["--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"liangxin-mock: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in err


def test_the_request_path_queries_never_scan_the_tasks_table() -> None:
    """createTask and recordInfo stay O(log n) as tasks pile up (issue 12: 780 → 12 req/s)."""
    store = Store(None)
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    new = NewTask("k", "z-image", "{}", create_ms=1, duration_ms=1, callback_url=None, base_url="")
    row = store.insert_task(new, lambda seq: None)
    store.running("k", 1)
    store.accepted("k")
    store.count_record_info("k")
    store.get_task(row.task_id)
    store.claim_due_callbacks(5)
    store._db.set_trace_callback(None)
    queries = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "UPDATE"))]
    assert len(queries) >= 5
    for query in queries:
        plan = " ".join(str(r[-1]) for r in store._db.execute(f"EXPLAIN QUERY PLAN {query}"))
        assert "SCAN tasks" not in plan, (query, plan)
