"""`liangxin batch`: input, journal, resume, status, and crash safety against a mock subprocess."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.bench_mock import mock_process as bench_mock_process
from liangxin_client import DurationStats
from liangxin_client.cli import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, main
from liangxin_client.cli._durations_file import load_durations, save_durations
from liangxin_mock import MockServer

Factory = Callable[..., MockServer]

KEY = "sk-batch-test"


@contextmanager
def mock_process(tmp_path: Path, *options: str) -> Iterator[str]:
    """liangxin-mock in a subprocess with a file database; yields its base URL."""
    with bench_mock_process("--db", str(tmp_path / "mock.db"), *options, key=KEY) as url:
        yield url


def _env(tmp_path: Path) -> dict[str, str]:
    # The environment is already private (the repository's conftest.py).
    return {**os.environ, "LIANGXIN_CACHE_DIR": str(tmp_path / "cache")}


def batch_command(url: str) -> list[str]:
    return [sys.executable, "-m", "liangxin_client", "--base-url", url, "--api-key", KEY]


def run_batch(
    tmp_path: Path, url: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*batch_command(url), "batch", *args],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


def write_rows(path: Path, n: int, tag: str = "row") -> Path:
    path.write_text("".join(json.dumps({"prompt": f"{tag} {i}"}) + "\n" for i in range(n)))
    return path


def journal_rows(path: Path) -> list[tuple[int, str, str | None]]:
    db = sqlite3.connect(path, timeout=30)
    try:
        return db.execute("SELECT idx, state, task_id FROM rows ORDER BY idx").fetchall()
    except sqlite3.OperationalError:  # created, not yet set up
        return []
    finally:
        db.close()


def mock_tasks(url: str) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = httpx.get(url + "/__mock__/tasks", timeout=30).json()["tasks"]
    return tasks


def prompt_of(task: dict[str, Any]) -> str:
    return str(json.loads(task["param"])["input"]["prompt"])


def manifest(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


class InProcess:
    """`liangxin ... batch` through `main()`, against a MockServer thread, in `tmp_path`."""

    def __init__(self, mock: MockServer, capsys: pytest.CaptureFixture[str]) -> None:
        self.mock = mock
        self.capsys = capsys

    def mock_task(self) -> str:
        """A z-image task created on the mock directly (not through the CLI)."""
        response = httpx.post(
            self.mock.base_url + "/api/v1/jobs/createTask",
            headers={"Authorization": f"Bearer {self.mock.api_key}"},
            json={"model": "z-image", "input": {"prompt": "a fox"}},
            timeout=30,
        )
        return str(response.json()["data"]["taskId"])

    def __call__(self, *args: str) -> tuple[int, str, str]:
        connection = ["--base-url", self.mock.base_url, "--api-key", self.mock.api_key]
        code = main([*connection, "batch", *args])
        out, err = self.capsys.readouterr()
        return code, out, err


# -- input and status ---------------------------------------------------------------------------


def test_csv_from_stdin_saves_every_image_and_a_manifest(
    batch: InProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = "prompt,model,image_size,seed\nA fox,z-image,square,1\n123,z-image,,2\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(rows))
    code, out, err = batch("-", "-o", "out")
    assert code == EXIT_OK, err
    entries = manifest(tmp_path / "out" / "stdin.manifest.jsonl")
    assert [e["state"] for e in entries] == ["success", "success"]
    for entry in entries:
        assert entry["taskId"] and len(entry["files"]) == 1
        assert (tmp_path / entry["files"][0]).stat().st_size > 0
    params = [t["param"] for t in batch.mock.tasks()]
    assert sorted(json.loads(p)["input"]["prompt"] for p in params) == ["123", "A fox"]
    assert "2 rows" in out and "success 2" in out


def test_an_invalid_row_stops_the_batch_before_anything_is_sent(
    batch: InProcess, tmp_path: Path
) -> None:
    source = tmp_path / "rows.jsonl"
    source.write_text('{"prompt": "ok"}\n{"prompt": ""}\n')  # a documented rule: non-empty
    code, _, err = batch(str(source), "-m", "z-image")
    assert code == EXIT_USAGE
    assert err.startswith("error: line 2") and "input.prompt" in err and "nothing was sent" in err
    assert batch.mock.stats()["createTask"] == 0


def test_a_rerun_resumes_and_status_reports(batch: InProcess, tmp_path: Path) -> None:
    source = write_rows(tmp_path / "rows.jsonl", 6)
    assert batch(str(source), "-m", "z-image")[0] == EXIT_OK
    code, _, err = batch(str(source), "-m", "z-image")
    assert code == EXIT_OK and "resuming (6 finished, 0 to do)" in err
    assert batch.mock.stats()["createTask"] == 6
    changed = write_rows(tmp_path / "rows.jsonl", 6, tag="other")
    code, _, err = batch(str(changed), "-m", "z-image")
    assert code == EXIT_USAGE and "differs" in err
    assert main(["batch", "--status", "liangxin-output/rows.journal.sqlite", "--json"]) == EXIT_OK
    assert json.loads(batch.capsys.readouterr().out)["states"] == {"success": 6}


def test_durations_persist_per_service_and_model(tmp_path: Path) -> None:
    path = tmp_path / "durations.json"
    stats = DurationStats()
    for seconds in (2.0, 2.2, 1.8):
        stats.add("z-image", seconds)
    save_durations(stats, "http://a", path)
    warm = DurationStats()
    assert load_durations(warm, "http://a", path) == 1
    assert warm.samples("z-image") == [2.0, 2.2, 1.8]
    assert warm.wake_age("z-image") is not None
    assert load_durations(DurationStats(), "http://b", path) == 0
    path.write_text("not json")
    assert load_durations(DurationStats(), "http://a", path) == 0  # never fails a command


def test_the_batch_eta_and_wait_start_warm_from_saved_durations(
    batch: InProcess, tmp_path: Path
) -> None:
    assert batch(str(write_rows(tmp_path / "rows.jsonl", 3)), "-m", "z-image")[0] == EXIT_OK
    saved = json.loads((tmp_path / "cache" / "durations.json").read_text())
    assert len(saved[batch.mock.base_url]["z-image"]) == 3
    source = write_rows(tmp_path / "more.jsonl", 10, tag="more")
    code, _, err = batch(str(source), "-m", "z-image", "--concurrency", "2")
    assert code == EXIT_OK
    first = next(line for line in err.splitlines() if line.startswith("batch: 1/"))
    assert "ETA ?" not in first  # known before this process saw a task finish
    saved = json.loads((tmp_path / "cache" / "durations.json").read_text())
    assert len(saved[batch.mock.base_url]["z-image"]) == 13  # what this run learned is kept


# -- Ctrl-C -------------------------------------------------------------------------------------


def test_ctrl_c_stops_submitting_says_how_to_resume_and_loses_nothing(tmp_path: Path) -> None:
    source = write_rows(tmp_path / "rows.jsonl", 60)
    journal = tmp_path / "liangxin-output" / "rows.journal.sqlite"
    with mock_process(tmp_path, "--task-seconds", "1") as url:
        proc = subprocess.Popen(
            [*batch_command(url), "batch", str(source), "-m", "z-image", "--concurrency", "8"],
            cwd=tmp_path, env=_env(tmp_path), stderr=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if journal.exists() and any(t for _, _, t in journal_rows(journal)):
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        accepted = {t["taskId"] for t in mock_tasks(url)}
    assert proc.returncode == EXIT_INTERRUPTED
    assert "resume with `liangxin" in stderr and "Traceback" not in stderr
    rows = journal_rows(journal)
    assert accepted == {t for _, _, t in rows if t}  # every accepted task is journaled
    assert Counter(state for _, state, _ in rows)["pending"] > 20  # it stopped submitting


# -- crash safety -------------------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume_pays_once_per_row(tmp_path: Path) -> None:
    rows = 100
    source = write_rows(tmp_path / "rows.jsonl", rows)
    journal = tmp_path / "liangxin-output" / "rows.journal.sqlite"
    rng = random.Random(12)
    ambiguous: set[int] = set()
    with mock_process(tmp_path, "--task-seconds", "0.3") as url:
        command = [*batch_command(url), "batch", str(source), "-m", "z-image"]
        command += ["--concurrency", "12"]
        kills = 0
        for _ in range(20):
            proc = subprocess.Popen(
                command, cwd=tmp_path, env=_env(tmp_path),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            # Kill once this run has journaled something, after a random extra moment.
            deadline = time.monotonic() + 30
            before = {i for i, s, _ in journal_rows(journal) if s != "pending"} if kills else set()
            while time.monotonic() < deadline and proc.poll() is None:
                if journal.exists():
                    now = {i for i, s, _ in journal_rows(journal) if s != "pending"}
                    if now - before:
                        break
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.4))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait(30)
            ambiguous |= {i for i, s, t in journal_rows(journal) if s == "submitting"}
            if kills >= 5:
                break
        assert kills >= 5
        final = subprocess.run(
            [*command, "--resubmit-ambiguous"], cwd=tmp_path, env=_env(tmp_path),
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        tasks = mock_tasks(url)
        created = httpx.get(url + "/__mock__/stats", timeout=30).json()["createTask"]
    assert final.returncode == EXIT_OK, final.stderr
    journaled = journal_rows(journal)
    assert [s for _, s, _ in journaled] == ["success"] * rows
    per_prompt = Counter(prompt_of(t) for t in tasks)
    unsure = {f"row {i}" for i in ambiguous}
    # Exactly one paid task per row, except rows whose createTask was cut off mid-flight.
    assert all(count == 1 for p, count in per_prompt.items() if p not in unsure), per_prompt
    assert set(per_prompt) == {f"row {i}" for i in range(rows)}
    assert created == len(tasks) <= rows + len(ambiguous)
    # Every accepted task is in the journal, except those of ambiguous rows.
    known = {t for _, _, t in journaled}
    lost = [t for t in tasks if t["taskId"] not in known and prompt_of(t) not in unsure]
    assert lost == []


@pytest.mark.slow
def test_under_faults_no_duplicate_no_lost_task_and_ambiguous_rows_say_what_was_sent(
    tmp_path: Path,
) -> None:
    rows = 300
    source = write_rows(tmp_path / "rows.jsonl", rows)
    options = ("--task-seconds", "0.2", "--fault-rate", "0.2", "--seed", "5")
    with mock_process(tmp_path, *options) as url:
        result = run_batch(tmp_path, url, str(source), "-m", "z-image", "--concurrency", "32")
        tasks = mock_tasks(url)
    assert "Traceback" not in result.stderr
    entries = {e["index"]: e for e in manifest(tmp_path / "liangxin-output/rows.manifest.jsonl")}
    assert sorted(entries) == list(range(rows))
    per_prompt = Counter(prompt_of(t) for t in tasks)
    assert max(per_prompt.values()) == 1  # 0 duplicate paid tasks
    ambiguous = [e for e in entries.values() if e["state"] == "ambiguous"]
    assert ambiguous, "a 0.2 fault rate should leave some createTasks ambiguous"
    for entry in ambiguous:
        assert entry["request"]["input"]["prompt"] == f"row {entry['index']}"
        assert entry["taskId"] is None
    by_id = {e["taskId"]: e for e in entries.values() if e["taskId"]}
    unsure = {f"row {e['index']}" for e in ambiguous}
    for task in tasks:  # 0 lost taskIds
        assert task["taskId"] in by_id or prompt_of(task) in unsure
    for entry in entries.values():
        if entry["state"] == "error" and entry["taskId"] is None:
            assert per_prompt[f"row {entry['index']}"] == 0  # "nothing created" is true
    assert Counter(e["state"] for e in entries.values())["success"] > rows // 2


def test_liangxin_wait_starts_from_the_saved_durations(
    batch: InProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import liangxin_client.cli._commands as cli

    stats = DurationStats()
    for seconds in (4.0, 4.1, 3.9):
        stats.add("z-image", seconds)
    save_durations(stats, batch.mock.base_url, tmp_path / "cache" / "durations.json")
    seen: list[list[float]] = []

    def spy(run: Any, client: Any, task_id: str, timeout: float) -> Any:
        seen.append(client.durations.samples("z-image"))
        return client.tasks.wait(task_id, timeout=timeout)

    monkeypatch.setattr(cli, "_wait", spy)
    task_id = batch.mock_task()
    connection = ["--base-url", batch.mock.base_url, "--api-key", batch.mock.api_key]
    assert main([*connection, "wait", task_id]) == EXIT_OK
    assert seen[0][:3] == [4.0, 4.1, 3.9]
    saved = json.loads((tmp_path / "cache" / "durations.json").read_text())
    assert len(saved[batch.mock.base_url]["z-image"]) == 4  # and what it learned is kept


def test_callback_mode_serves_one_receiver_for_the_whole_batch(
    liangxin_mock_factory: Factory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mock = liangxin_mock_factory(task_seconds=1.0, allow_http_callbacks=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = write_rows(tmp_path / "rows.jsonl", 8)
    code = main(
        ["--base-url", mock.base_url, "--api-key", mock.api_key, "batch", str(source),
         "-m", "z-image", "-o", str(tmp_path / "out"),
         "--callback-url", f"http://127.0.0.1:{port}/cb", "--listen", f"127.0.0.1:{port}"]
    )  # fmt: skip
    assert code == EXIT_OK, capsys.readouterr().err
    callbacks = mock.callbacks()
    assert len(callbacks) == 8 and all(c["state"] == "delivered" for c in callbacks)
    # One read when the task is new, one when its callback arrives (polls every 15 s otherwise).
    assert mock.stats()["recordInfo"] <= 2 * 8


def test_the_resume_hint_never_prints_the_callback_url() -> None:
    from liangxin_client.cli import Run, build_parser
    from liangxin_client.cli._batch_report import CALLBACK_VARIABLE, resume_command, resume_note

    secret = "https://hooks.example.com/liangxin/7f3a9c-unguessable"
    args = build_parser().parse_args(
        ["batch", "rows.jsonl", "-m", "z-image", "--callback-url", secret, "--listen", ":8080"]
    )
    run = Run(args)
    hint = resume_command(run) + resume_note(run)
    assert "7f3a9c-unguessable" not in hint
    assert f'--callback-url "${CALLBACK_VARIABLE}" --listen :8080' in hint
    assert "https://hooks.example.com/***" in hint
    # Pasted with the variable unset, the command refuses to run rather than drop the callback.
    unset = build_parser().parse_args(
        ["batch", "rows.jsonl", "--callback-url", "", "--listen", ":8080"]
    )
    assert bool(unset.callback_url) != bool(unset.listen)
