"""`liangxin batch` as a user meets it (issue 19): the input's encoding, the ETA, the words and
the exit codes at its end, and `--status`."""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from liangxin_client.cli import (
    EXIT_API_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NOT_FINISHED,
    EXIT_OK,
    EXIT_TASK_FAILED,
    EXIT_USAGE,
    main,
)
from liangxin_mock import MockServer
from tests.test_cli_batch import InProcess, manifest

Factory = Callable[..., MockServer]


# -- the input's encoding -----------------------------------------------------------------------

BOM = b"\xef\xbb\xbf"


def test_an_excel_csv_utf8_file_with_a_byte_order_mark_runs_every_row(
    batch: InProcess, tmp_path: Path
) -> None:
    source = tmp_path / "shots.csv"  # what Excel's "CSV UTF-8 (Comma delimited)" writes
    source.write_bytes(BOM + "prompt,model\r\na café fox,z-image\r\nan owl,z-image\r\n".encode())
    code, _, err = batch(str(source), "-o", "out")
    assert code == EXIT_OK, err
    entries = manifest(tmp_path / "out" / "shots.manifest.jsonl")
    assert [e["state"] for e in entries] == ["success", "success"]
    prompts = sorted(json.loads(t["param"])["input"]["prompt"] for t in batch.mock.tasks())
    assert prompts == ["a café fox", "an owl"]


def test_a_jsonl_file_with_a_byte_order_mark_runs_and_is_recognised_as_jsonl(
    batch: InProcess, tmp_path: Path
) -> None:
    source = tmp_path / "rows.txt"  # no telling suffix: the format comes from the first character
    source.write_bytes(BOM + b'{"prompt": "a fox"}\n{"prompt": "an owl"}\n')
    code, _, err = batch(str(source), "-m", "z-image", "-o", "out")
    assert code == EXIT_OK, err
    assert batch.mock.stats()["createTask"] == 2


def test_a_byte_order_mark_on_stdin_is_dropped_too(
    batch: InProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(BOM + b"prompt\na fox\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    code, _, err = batch("-", "-m", "z-image", "-o", "out")
    assert code == EXIT_OK, err
    assert [e["state"] for e in manifest(tmp_path / "out" / "stdin.manifest.jsonl")] == ["success"]


def test_a_latin1_csv_is_one_line_that_says_how_to_fix_it_and_sends_nothing(
    batch: InProcess, tmp_path: Path
) -> None:
    source = tmp_path / "shots.csv"  # Excel's plain "CSV (Comma delimited)" on Windows: cp1252
    source.write_bytes("prompt,model\nan owl,z-image\na café fox,z-image\n".encode("cp1252"))
    code, out, err = batch(str(source), "-o", "out")
    assert code == EXIT_USAGE and out == ""
    [line] = err.strip().splitlines()
    assert line.startswith(f"error: {source} is not UTF-8")
    assert "line 3" in line and "byte 6 (0xe9" in line and "'é' in Latin-1/cp1252" in line
    assert "CSV UTF-8" in line and "nothing was sent" in line
    assert batch.mock.stats()["createTask"] == 0


def test_a_utf16_file_is_named_as_such(batch: InProcess, tmp_path: Path) -> None:
    source = tmp_path / "shots.csv"  # Excel's "Unicode Text"
    source.write_bytes("prompt\tmodel\nan owl\tz-image\n".encode("utf-16"))
    code, _, err = batch(str(source), "-o", "out")
    assert code == EXIT_USAGE
    [line] = err.strip().splitlines()
    assert "UTF-16" in line and "CSV UTF-8" in line and "nothing was sent" in line


def test_a_latin1_line_on_stdin_is_named_too(
    batch: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b'{"prompt": "a fox"}\n{"prompt": "caf\xe9"}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code, _, err = batch("-", "-m", "z-image", "-o", "out")
    assert code == EXIT_USAGE
    [line] = err.strip().splitlines()
    assert line.startswith("error: stdin is not UTF-8") and "line 2" in line
    assert batch.mock.stats()["createTask"] == 0


# -- the ETA ------------------------------------------------------------------------------------


class FakeClock:
    """Stands in for the `time` module of `_progress`: a clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now


def schedule(durations: list[float], workers: int, servers: int) -> list[tuple[float, float]]:
    """(taken, finished) of each row when `workers` hold a row each, as AsyncManyRun's tasks do
    (taking the next row as soon as theirs finishes), and the service runs `servers` at once in
    the order they came (the others wait for a slot of the submit window)."""
    import heapq

    times: list[tuple[float, float]] = []
    held: list[float] = []  # when each held row finishes
    service: list[float] = [0.0] * servers  # when each service slot is free
    now = 0.0
    for seconds in durations:
        if len(held) == workers:
            now = heapq.heappop(held)
        start = max(now, heapq.heappop(service))
        heapq.heappush(service, start + seconds)
        heapq.heappush(held, start + seconds)
        times.append((now, start + seconds))
    return times


def simulate(
    monkeypatch: pytest.MonkeyPatch,
    durations: list[float],
    concurrency: int,
    estimate: float | None,
    servers: int | None = None,
) -> list[tuple[float, float | None]]:
    """Replay a batch's schedule on a fake clock through a BatchProgress; (true seconds left,
    the ETA it gives) at the start and after each finished row."""
    from rich.console import Console

    import liangxin_client.cli._progress as progress_module

    times = schedule(durations, concurrency, servers or concurrency)
    finish = max(end for _, end in times)
    clock = FakeClock()
    monkeypatch.setattr(progress_module, "time", clock)
    console = Console(file=io.StringIO(), force_terminal=False)
    progress = progress_module.BatchProgress(
        console, len(durations), 0, estimate, concurrency=concurrency
    )
    # Every event in time order; at one instant, a finish comes before the take it allows.
    events = sorted(
        [(taken, 1, index) for index, (taken, _) in enumerate(times)]
        + [(end, 0, index) for index, (_, end) in enumerate(times)]
    )
    seen: list[tuple[float, float | None]] = []
    with progress:
        seen.append((finish, progress.eta()))  # what the bar shows before anything is sent
        rows = progress.track(iter(range(len(durations))), index=lambda i: i)
        for at, kind, index in events:
            clock.now = 1000.0 + at
            if kind == 1:
                assert next(rows) == index
            else:
                progress.finished(index, "success")
                seen.append((finish - at, progress.eta()))
    return seen


def test_the_eta_of_a_fresh_batch_counts_its_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    """200 rows of 3 s, 64 at a time: 12 s (it said 600 s: 200 × 3 s, one at a time)."""
    seen = simulate(monkeypatch, [3.0] * 200, concurrency=64, estimate=3.0)
    assert seen[0] == (12.0, 12.0)
    for truth, eta in seen[1:]:
        assert eta is not None and abs(eta - truth) <= 1.0, (truth, eta)  # shown: at least 1 s


def test_the_eta_follows_uneven_durations_within_a_wave(monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    rng = random.Random(7)
    durations = [rng.uniform(2.0, 6.0) for _ in range(500)]
    seen = simulate(monkeypatch, durations, concurrency=32, estimate=None)
    assert seen[0] == (seen[0][0], None)  # nothing known yet: "ETA ?"
    # The first rows to finish are the quickest: the ages of those still running count too.
    assert seen[10][1] is not None and seen[10][1] > 0.6 * seen[10][0]
    for truth, eta in seen[32:-32]:  # after a wave, until the last one
        assert eta is not None and abs(eta - truth) <= 0.35 * truth + 3.0, (truth, eta)


def test_the_eta_learns_a_narrower_window_than_the_concurrency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--concurrency 64, but the service lets 8 run at once (429s narrow the submit window):
    rows wait for a slot, and the time a row takes, from taken to finished, says so."""
    durations = [2.0] * 400
    seen = simulate(monkeypatch, durations, concurrency=64, estimate=2.0, servers=8)
    for truth, eta in seen[100:]:
        assert eta is not None and abs(eta - truth) <= 0.1 * truth + 2.0, (truth, eta)


def test_the_bar_of_a_batch_starts_with_an_eta_for_its_concurrency(
    batch: InProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liangxin_client import DurationStats
    from liangxin_client.cli._durations_file import save_durations

    stats = DurationStats()
    for _ in range(3):
        stats.add("z-image", 3.0)  # learned earlier: a z-image task takes 3 s
    save_durations(stats, batch.mock.base_url, tmp_path / "cache" / "durations.json")
    monkeypatch.setenv("FORCE_COLOR", "1")  # a terminal: the bar shows before any row finishes
    source = tmp_path / "rows.jsonl"
    source.write_text("".join(json.dumps({"prompt": f"row {i}"}) + "\n" for i in range(100)))
    code, _, err = batch(str(source), "-m", "z-image", "-o", "out")
    assert code == EXIT_OK, err
    first = re.search(r"ETA ([^\x1b\r\n]*)", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", err))
    # 100 rows, 64 at a time, 3 s each: two rounds, 6 s (it said 300 s, one row at a time).
    assert first is not None and first[1].strip() == "6.0 s", err


# -- the end of a run, and --status ----------------------------------------------------------------


def _run_of(*argv: str) -> Any:
    from liangxin_client.cli import Run, build_parser

    return Run(build_parser().parse_args(list(argv)))


def test_an_interrupted_summary_reads_as_interrupted_with_what_is_done_and_left(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from liangxin_client.cli._batch_report import summary

    run = _run_of("batch", "rows.jsonl", "-m", "z-image", "-o", "out")
    counts = {"success": 11, "failed": 1, "submitted": 40, "pending": 148}
    assert summary(run, counts, 200, 2.3, completed=False) == EXIT_INTERRUPTED
    out, err = capsys.readouterr()
    assert "200 rows in 2.3 s" not in out  # it read as a batch done
    assert out.splitlines()[0] == (
        "interrupted after 2.3 s: 12 of 200 rows finished (success 11, failed 1), "
        "188 left (submitted 40, pending 148)"
    )
    command = "liangxin batch rows.jsonl -o out --journal out/rows.journal.sqlite --model z-image"
    assert err.startswith(
        f"interrupted; nothing is lost: resume with `{command}` for the 188 rows "
        "(submitted 40, pending 148) left"
    )


def test_after_an_ambiguous_row_the_hint_names_what_finishes_it_and_its_risk(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from liangxin_client.cli._batch_report import summary

    run = _run_of("batch", "rows.jsonl", "-o", "out")
    assert summary(run, {"success": 199, "ambiguous": 1}, 200, 9.0, completed=True) == 1
    out, err = capsys.readouterr()
    assert out.startswith("200 rows in 9.0 s: success 199, ambiguous 1\n")
    # Not "rerun `liangxin batch ...` to resume": that leaves an ambiguous row alone.
    assert "not done" not in err and "resume" not in err
    assert "1 row ambiguous" in err and "leaves it alone" in err
    assert "--journal out/rows.journal.sqlite --resubmit-ambiguous`" in err
    assert "paying twice" in err


def test_one_row_is_one_row(batch: InProcess, tmp_path: Path) -> None:
    source = tmp_path / "one.jsonl"
    source.write_text('{"prompt": "a fox"}\n')
    code, out, err = batch(str(source), "-m", "z-image", "-o", "out")
    assert code == EXIT_OK, err
    assert out.startswith("1 row in ") and "batch: 1 row;" in err
    assert main(["batch", "--status", "out/one.journal.sqlite"]) == EXIT_OK
    out, _ = batch.capsys.readouterr()
    assert "1 row (" in out
    assert "1 rows" not in out + err


def _paste(command: str, batch: InProcess) -> tuple[int, str, str]:
    """Run a printed `liangxin ...` command (with the key, which it never shows)."""
    import shlex

    argv = shlex.split(command)
    assert argv[0] == "liangxin"
    code = main([*argv[1:], "--api-key", batch.mock.api_key])
    out, err = batch.capsys.readouterr()
    return code, out, err


def test_status_of_an_unfinished_batch_exits_5_and_prints_the_command_that_resumes_it(
    batch: InProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("prompt\n" + "".join(f"row {i}\n" for i in range(6)))
    # Waits that end before the tasks do (0.2 s): six rows with a task, none finished.
    code, _, err = batch(source.name, "-m", "z-image", "-o", "out", "--timeout", "0.01")
    assert code == EXIT_API_ERROR, err
    assert "6 rows (error 6) not done: `liangxin --base-url" in err
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # --status from another directory
    journal = tmp_path / "out" / "rows.journal.sqlite"
    assert main(["batch", "--status", str(journal)]) == EXIT_NOT_FINISHED == 5
    out, _ = batch.capsys.readouterr()
    assert "not finished: 6 rows left" in out
    [command] = re.findall(r"`([^`]*)`", out.split("not finished", 1)[1])
    assert command.startswith(f"cd {tmp_path} && liangxin --base-url {batch.mock.base_url} ")
    assert command.endswith(
        f"batch {source.name} -o out --journal {journal} --model z-image --timeout 0.01"
    )
    assert "(with your --api-key: it is never shown)" in out
    # The command, pasted (with a wait long enough this time): it resumes, waiting for the six
    # tasks — none is paid again.
    where, pasted = command.removesuffix(" --timeout 0.01").split(" && ")
    monkeypatch.chdir(where.removeprefix("cd "))
    code, _, err = _paste(pasted, batch)
    assert code == EXIT_OK, err
    assert batch.mock.stats()["createTask"] == 6
    assert main(["batch", "--status", str(journal), "--json"]) == EXIT_OK
    report = json.loads(batch.capsys.readouterr().out)
    assert report["finished"] is True and report["resume"] is None
    assert report["states"] == {"success": 6}


def _two_rows_then(batch: InProcess, tmp_path: Path, second_row: str) -> Path:
    """A two-row batch run to the end, then its journal's second row set to `second_row`."""
    import sqlite3

    source = tmp_path / "rows.jsonl"
    source.write_text('{"prompt": "a"}\n{"prompt": "b"}\n')
    assert batch(str(source), "-m", "z-image")[0] == EXIT_OK
    journal = tmp_path / "liangxin-output" / "rows.journal.sqlite"
    db = sqlite3.connect(journal)
    with db:
        db.execute(f"UPDATE rows SET {second_row} WHERE idx = 1")
    db.close()
    return journal


def test_status_of_a_batch_left_with_an_ambiguous_row_names_the_resubmit_and_its_risk(
    batch: InProcess, tmp_path: Path
) -> None:
    journal = _two_rows_then(batch, tmp_path, "state = 'ambiguous', task_id = NULL")
    assert main(["batch", "--status", str(journal.relative_to(tmp_path))]) == EXIT_NOT_FINISHED
    out, _ = batch.capsys.readouterr()
    assert "not done" not in out and "1 row ambiguous" in out
    assert (
        "--journal liangxin-output/rows.journal.sqlite --model z-image --resubmit-ambiguous`" in out
    )


def test_status_of_a_finished_batch_with_a_failed_task_exits_3(
    batch: InProcess, tmp_path: Path
) -> None:
    journal = _two_rows_then(batch, tmp_path, "state = 'failed'")
    assert main(["batch", "--status", str(journal)]) == EXIT_TASK_FAILED
    assert "finished: every row is done" in batch.capsys.readouterr().out


def test_the_bar_can_be_drawn_from_another_thread_while_rows_come_and_go() -> None:
    """rich redraws the bar (and so the ETA) from its refresh thread while the run goes on."""
    import threading

    from rich.console import Console

    from liangxin_client.cli._progress import BatchProgress

    rows = 3_000
    progress = BatchProgress(Console(file=io.StringIO()), rows, 0, 1.0, concurrency=64)
    failures: list[BaseException] = []
    stop = threading.Event()

    def draw() -> None:
        while not stop.is_set():
            try:
                progress.detail()
            except BaseException as exc:  # any error fails the test
                failures.append(exc)
                return

    drawer = threading.Thread(target=draw)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    drawer.start()
    try:
        taken = progress.track(iter(range(rows)), index=lambda i: i)
        held: list[int] = []
        for index in taken:  # 64 rows held at once, and new states now and then
            held.append(index)
            if len(held) == 64:
                for row in held:
                    progress.finished(row, "success" if row % 3 else f"state {row}")
                held.clear()
    finally:
        stop.set()
        drawer.join()
        sys.setswitchinterval(interval)
    assert failures == []
