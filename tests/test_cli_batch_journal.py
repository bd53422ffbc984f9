"""`liangxin batch` and its journal under the faults that once made it pay twice or lose a taskId:
two runs on one journal, a journal that lost its content, a journal write that fails (disk full),
an output directory that stops taking images. The mock runs in a subprocess on 127.0.0.1; its
`/__mock__/` endpoints say what was really created (and paid for)."""

from __future__ import annotations

import json
import resource
import shutil
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_cli_batch import (
    KEY,
    _env,
    batch_command,
    journal_rows,
    mock_process,
    mock_tasks,
    prompt_of,
    write_rows,
)

from liangxin_client.cli import EXIT_API_ERROR, EXIT_NOT_FINISHED, EXIT_OK, EXIT_USAGE, main

OUT = "liangxin-output"
JOURNAL = f"{OUT}/rows.journal.sqlite"
LEDGER = f"{JOURNAL}.ledger.jsonl"
MANIFEST = f"{OUT}/rows.manifest.jsonl"


def created(url: str) -> int:
    return int(httpx.get(url + "/__mock__/stats", timeout=30).json()["createTask"])


def one_error_line(stderr: str) -> str:
    """The run's `error:` line: exactly one, and no traceback."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def wait_for(check: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def submitted(journal: Path, n: int) -> Callable[[], bool]:
    return lambda: journal.exists() and sum(t is not None for _, _, t in journal_rows(journal)) >= n


# -- one journal, one run -----------------------------------------------------------------------


def _two_runs(
    tmp_path: Path, url: str, stagger: bool, second: tuple[str, ...], tag: str = "row"
) -> None:
    rows = 30
    source = write_rows(tmp_path / "rows.jsonl", rows, tag=tag)
    command = [*batch_command(url), "batch", str(source), "-m", "z-image", "--concurrency", "8"]
    before = created(url)
    popen: dict[str, Any] = dict(
        cwd=tmp_path, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    first = subprocess.Popen(command, **popen)
    if stagger:  # the second starts while the first is paying for rows
        wait_for(submitted(tmp_path / JOURNAL, 1))
    other = subprocess.Popen([*command, *second], **popen)
    results = [(p, *p.communicate(timeout=120)) for p in (first, other)]
    paid = created(url) - before
    tasks = [t for t in mock_tasks(url) if prompt_of(t).startswith(f"{tag} ")]
    assert paid == rows, [r[2] for r in results]
    assert max(Counter(prompt_of(t) for t in tasks).values()) == 1  # 0 rows paid twice
    codes = sorted(p.returncode for p, _, _ in results)
    assert codes == [EXIT_OK, EXIT_USAGE], [r[2] for r in results]
    loser = next(r for r in results if r[0].returncode == EXIT_USAGE)
    winner = next(r for r in results if r[0].returncode == EXIT_OK)
    line = one_error_line(loser[2])
    assert f"pid {winner[0].pid}" in line and "started" in line, line
    assert "--status" in line
    rows_seen = journal_rows(tmp_path / JOURNAL)
    assert [s for _, s, _ in rows_seen] == ["success"] * rows


@pytest.mark.parametrize(
    ("stagger", "second"),
    [(False, ()), (True, ()), (True, ("--resubmit-ambiguous",))],
    ids=["together", "staggered", "staggered-resubmit-ambiguous"],
)
def test_two_batches_on_one_journal_pay_once_per_row(
    tmp_path: Path, stagger: bool, second: tuple[str, ...]
) -> None:
    # 2 s tasks: the first run still holds the journal when the second starts, however slow
    # the machine is to start Python.
    with mock_process(tmp_path, "--task-seconds", "2") as url:
        _two_runs(tmp_path, url, stagger, second)


# The acceptance's 20 repetitions (together and staggered, alternately) are a stress run:
# `python -m bench batch-overlap --repeat 20` (results in bench/RESULTS.md).


def test_status_reads_a_journal_while_a_run_holds_it_and_a_killed_run_never_blocks(
    tmp_path: Path,
) -> None:
    source = write_rows(tmp_path / "rows.jsonl", 20)
    command = [*batch_command("URL"), "batch", str(source), "-m", "z-image"]
    with mock_process(tmp_path, "--task-seconds", "3") as url:
        command[command.index("URL")] = url
        proc = subprocess.Popen(
            command, cwd=tmp_path, env=_env(tmp_path),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(submitted(tmp_path / JOURNAL, 20))
        status = subprocess.run(
            [*batch_command(url), "batch", "--status", JOURNAL, "--json"], cwd=tmp_path,
            env=_env(tmp_path), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert status.returncode == EXIT_NOT_FINISHED, status.stderr
        assert json.loads(status.stdout)["rows"] == 20
        proc.send_signal(signal.SIGKILL)  # the OS drops its lock: the next run goes on at once
        proc.wait(30)
        again = subprocess.run(
            command, cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=120
        )
        assert again.returncode == EXIT_OK, again.stderr
        assert created(url) == 20


# -- a journal that lost its content ------------------------------------------------------------

ROWS = 8


def _prepare(base: Path, url: str, tag: str, kill: bool) -> Path:
    """A batch directory: `kill`ed once every row has its taskId (the WAL not checkpointed,
    no manifest), or run to the end (manifest and images)."""
    here = base / tag
    here.mkdir()
    source = write_rows(here / "rows.jsonl", ROWS, tag=tag)
    command = [*batch_command(url), "batch", str(source), "-m", "z-image"]
    if not kill:
        done = subprocess.run(
            command, cwd=here, env=_env(here), capture_output=True, text=True, timeout=120
        )
        assert done.returncode == EXIT_OK, done.stderr
        return here
    proc = subprocess.Popen(
        command, cwd=here, env=_env(here), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for(submitted(here / JOURNAL, ROWS))
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert (here / f"{JOURNAL}-wal").exists()
    return here


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    base = tmp_path_factory.mktemp("prepared")
    with mock_process(base, "--task-seconds", "0.5") as url:
        _prepare(base, url, "killed", kill=True)
        _prepare(base, url, "completed", kill=False)
        time.sleep(0.6)  # every task finished
        yield url, base


def _remove(*names: str) -> Callable[[Path], None]:
    def corrupt(here: Path) -> None:
        for name in names:
            (here / name).unlink()

    return corrupt


def _write(name: str, data: bytes | None = None, keep: int | None = None) -> Callable[[Path], None]:
    def corrupt(here: Path) -> None:
        path = here / name
        content = path.read_bytes()
        path.write_bytes(data if data is not None else content[: keep or 0])

    return corrupt


def _scramble_wal_tail(here: Path) -> None:
    """The last half of the WAL's frames garbled: SQLite's recovery drops them (a stale journal
    that knows fewer taskIds than were paid for)."""
    wal = here / f"{JOURNAL}-wal"
    data = bytearray(wal.read_bytes())
    frame = 4096 + 24
    frames = (len(data) - 32) // frame
    for n in range(frames // 2, frames):
        start = 32 + n * frame + 24 + 100
        data[start : start + 3000] = b"\x13garbage!" * 300
    wal.write_bytes(bytes(data))


def _sql(statement: str) -> Callable[[Path], None]:
    def corrupt(here: Path) -> None:
        db = sqlite3.connect(here / JOURNAL)
        db.executescript(statement)
        db.close()

    return corrupt


def _directory(here: Path) -> None:
    (here / JOURNAL).unlink()
    (here / JOURNAL).mkdir()


def _empty_database(here: Path) -> None:
    (here / JOURNAL).unlink()
    sqlite3.connect(here / JOURNAL).close()


def _dangling_symlink(here: Path) -> None:
    (here / JOURNAL).unlink()
    (here / JOURNAL).symlink_to(here / "nowhere" / "journal.sqlite")


def _other_batch(here: Path) -> None:
    db = sqlite3.connect(here / JOURNAL)
    db.execute("UPDATE rows SET body = replace(body, 'completed', 'other')")
    db.commit()
    db.close()


def _immutable(name: str) -> Callable[[Path], None]:
    def corrupt(here: Path) -> None:
        if subprocess.run(["chattr", "+i", str(here / name)], capture_output=True).returncode:
            pytest.skip("chattr +i is not available here (a read-only file for root)")

    return corrupt


def _everything(here: Path) -> None:
    for name in (JOURNAL, LEDGER, MANIFEST):
        (here / name).unlink()


CASES: dict[str, tuple[str, Callable[[Path], None]]] = {
    # killed mid-run: journal + WAL + shm + ledger, no manifest
    "killed-wal-removed": ("killed", _remove(f"{JOURNAL}-wal")),
    "killed-wal-and-shm-removed": ("killed", _remove(f"{JOURNAL}-wal", f"{JOURNAL}-shm")),
    "killed-shm-removed": ("killed", _remove(f"{JOURNAL}-shm")),
    "killed-journal-removed-wal-left": ("killed", _remove(JOURNAL)),
    "killed-all-journal-files-removed": (
        "killed",
        _remove(JOURNAL, f"{JOURNAL}-wal", f"{JOURNAL}-shm"),
    ),
    "killed-wal-garbage": ("killed", _write(f"{JOURNAL}-wal", b"\x13garbage" * 4000)),
    "killed-wal-truncated": ("killed", _write(f"{JOURNAL}-wal", keep=5000)),
    "killed-wal-emptied": ("killed", _write(f"{JOURNAL}-wal", keep=0)),
    "killed-wal-tail-scrambled": ("killed", _scramble_wal_tail),
    "killed-journal-and-ledger-removed": (
        "killed",
        _remove(JOURNAL, f"{JOURNAL}-wal", f"{JOURNAL}-shm", LEDGER),
    ),
    # run to the end: journal (checkpointed), ledger, manifest, images
    "completed-emptied": ("completed", _write(JOURNAL, keep=0)),
    "completed-removed": ("completed", _remove(JOURNAL)),
    "completed-truncated-half": ("completed", _write(JOURNAL, keep=6000)),
    "completed-truncated-header": ("completed", _write(JOURNAL, keep=60)),
    "completed-garbage": ("completed", _write(JOURNAL, b"\x00\xffnot sqlite" * 900)),
    "completed-empty-database": ("completed", _empty_database),
    "completed-rows-deleted": ("completed", _sql("DELETE FROM rows")),
    "completed-schema-broken": (
        "completed",
        _sql("DROP TABLE rows; CREATE TABLE rows (idx INTEGER PRIMARY KEY, x TEXT)"),
    ),
    "completed-directory-in-its-place": ("completed", _directory),
    "completed-dangling-symlink": ("completed", _dangling_symlink),
    "completed-journal-and-ledger-removed": ("completed", _remove(JOURNAL, LEDGER)),
    "completed-only-images-left": ("completed", _everything),
    "completed-other-batch": ("completed", _other_batch),
    "completed-read-only": ("completed", _immutable(JOURNAL)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_journal_that_lost_its_content_is_never_a_new_batch(
    prepared: tuple[str, Path],
    tmp_path: Path,
    case: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, base = prepared
    state, corrupt = CASES[case]
    here = tmp_path / "batch"
    shutil.copytree(base / state, here, symlinks=True)
    monkeypatch.chdir(here)
    before = created(url)
    connection = ["--base-url", url, "--api-key", KEY]
    command = [*connection, "batch", "rows.jsonl", "-m", "z-image"]
    corrupt(here)
    try:
        code = main(command)
        _, err = capsys.readouterr()
        assert created(url) == before, err  # 0 rows paid again
        if code != EXIT_OK:
            assert code == EXIT_USAGE, err
            one_error_line(err)
            # --status on it: a report or one line, never a traceback
            status = main(["batch", "--status", JOURNAL])
            _, status_err = capsys.readouterr()
            assert status in (EXIT_OK, EXIT_NOT_FINISHED, EXIT_USAGE)
            if status != EXIT_OK:
                one_error_line(status_err)
            # what the refusal offers: --recover resumes without paying again, when a record of
            # the taskIds is left
            recover = main([*command, "--recover"])
            _, err = capsys.readouterr()
            assert created(url) == before, err
            if recover != EXIT_OK:
                assert recover == EXIT_USAGE, err
                one_error_line(err)
                assert case in RECOVER_REFUSED, err
                return
        assert case not in RECOVER_REFUSED
        rows = journal_rows(here / JOURNAL)
        assert [s for _, s, _ in rows] == ["success"] * ROWS
        task_ids = {t for _, _, t in rows}
        assert len(task_ids) == ROWS
        ours = {t["taskId"] for t in mock_tasks(url) if prompt_of(t).startswith(state)}
        assert task_ids == ours
    finally:
        subprocess.run(["chattr", "-R", "-i", str(here)], capture_output=True)


#: Cases where no record of the taskIds is left (or the input is another batch's), so
#: `--recover` too refuses (never guesses, never pays again).
RECOVER_REFUSED = {
    "killed-journal-and-ledger-removed",
    "completed-only-images-left",
    "completed-other-batch",
    "completed-read-only",
}


# -- a failed journal write ---------------------------------------------------------------------


def _limited(limit: int) -> Callable[[], None]:
    def preexec() -> None:  # files of this process stop growing at `limit` bytes: "disk full"
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def test_disk_full_during_a_batch_keeps_every_paid_task_id(tmp_path: Path) -> None:
    rows = 60
    source = write_rows(tmp_path / "rows.jsonl", rows)
    cache = tmp_path / "cache"
    command = [*batch_command("URL"), "batch", str(source), "-m", "z-image", "--concurrency", "6"]
    with mock_process(tmp_path, "--task-seconds", "0.3") as url:
        command[command.index("URL")] = url
        full = subprocess.run(
            command, cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
            timeout=120, preexec_fn=_limited(200_000),
        )  # fmt: skip
        paid = {t["taskId"] for t in mock_tasks(url)}
        assert full.returncode == EXIT_API_ERROR, full.stderr
        line = one_error_line(full.stderr)
        assert "stopped" in line, line
        assert len(paid) < rows  # it stopped paying for new rows
        journaled = {t for _, _, t in journal_rows(tmp_path / JOURNAL) if t}
        ledger = (tmp_path / LEDGER).read_text() if (tmp_path / LEDGER).exists() else ""
        rescued = "".join(p.read_text() for p in cache.rglob("*.jsonl"))
        kept = {t for t in paid if t in full.stderr or t in ledger or t in rescued}
        assert paid <= journaled | kept  # every paid taskId printed or journaled
        assert {t for t in paid - journaled if t not in full.stderr} == set()
        # resumed without the limit: nothing is paid again
        again = subprocess.run(
            command, cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=120
        )
        assert again.returncode == EXIT_OK, again.stderr
        assert created(url) == rows
        assert [s for _, s, _ in journal_rows(tmp_path / JOURNAL)] == ["success"] * rows


def test_when_no_file_can_be_written_the_printed_lines_bring_the_task_ids_back(
    liangxin_mock_factory: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from liangxin_client.cli import _journal

    mock = liangxin_mock_factory(task_seconds=0.2)
    monkeypatch.chdir(tmp_path)
    write_rows(tmp_path / "rows.jsonl", 30)
    command = ["--base-url", mock.base_url, "--api-key", mock.api_key, "batch", "rows.jsonl"]
    command += ["-m", "z-image", "--concurrency", "4"]
    real = _journal.Journal.submitted
    real_write = _journal.Ledger._write
    calls = []

    def failing(self: Any, index: int, task_id: str) -> None:
        calls.append(index)
        if len(calls) > 3:
            raise _journal.JournalError("cannot write the journal: database or disk is full")
        real(self, index, task_id)

    writes = []

    def no_space(self: Any, data: bytes) -> None:  # the ledger and the rescue file fill up too
        writes.append(data)
        if len(writes) > 5:
            raise OSError(28, "No space left on device")
        real_write(self, data)

    monkeypatch.setattr(_journal.Journal, "submitted", failing)
    monkeypatch.setattr(_journal.Ledger, "_write", no_space)
    code = main(command)
    _, err = capsys.readouterr()
    assert code == EXIT_API_ERROR
    one_error_line(err)
    paid = {t["taskId"] for t in mock.tasks()}
    journaled = {t for _, _, t in journal_rows(tmp_path / JOURNAL) if t}
    printed = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert paid - journaled
    assert paid - journaled <= {p["taskId"] for p in printed}
    # The printed lines, added to the ledger as the message says, bring them back.
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    with open(tmp_path / LEDGER, "a", encoding="utf-8") as ledger:
        ledger.writelines(json.dumps(p) + "\n" for p in printed)
    assert main(command) == EXIT_OK, capsys.readouterr().err
    assert mock.stats()["createTask"] == 30


def test_an_output_directory_that_stops_taking_images_stops_the_paying(tmp_path: Path) -> None:
    rows = 80
    source = write_rows(tmp_path / "rows.jsonl", rows)
    shots = tmp_path / "shots"
    (tmp_path / "j").mkdir()
    command = [*batch_command("URL"), "batch", str(source), "-m", "z-image", "-o", "shots"]
    command += ["--journal", "j/rows.journal.sqlite", "--concurrency", "4"]
    with mock_process(tmp_path, "--task-seconds", "0.3") as url:
        command[command.index("URL")] = url
        proc = subprocess.Popen(
            command, cwd=tmp_path, env=_env(tmp_path), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        wait_for(lambda: any(shots.glob("*.png")))
        shots.rename(tmp_path / "saved-before")
        shots.write_text("not a directory any more")
        out, err = proc.communicate(timeout=120)
        paid = created(url)
        assert proc.returncode == EXIT_API_ERROR, err
        assert "shots" in one_error_line(err)
        assert f"{rows} rows" in out  # the summary
        assert paid < rows // 2, paid  # it stopped paying at once
        shots.unlink()
        again = subprocess.run(
            command, cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=120
        )
        assert again.returncode == EXIT_OK, again.stderr
        assert created(url) == rows
        saved = [*shots.glob("*.png"), *(tmp_path / "saved-before").glob("*.png")]
        assert len(saved) == rows


def test_a_row_whose_submitting_mark_fails_is_recorded_as_not_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The step that stops the batch is the row's own `submitting` mark: the ledger took it, the
    journal did not, and the row is not sent. Its outcome may never be consumed (the run is
    cancelled as it stops), so the mark must be undone at once — or a resume calls it ambiguous
    (a task that certainly does not exist; it flaked so under load)."""
    from types import SimpleNamespace

    from liangxin_client.cli._batch_journal import Recorder, StoppedError
    from liangxin_client.cli._journal import Journal, JournalError, Ledger

    journal = Journal(tmp_path / "j.sqlite")
    journal.start([{"model": "z-image", "input": {"prompt": "a"}}], {"input": "x", "out": "o"})
    ledger = Ledger(tmp_path / "j.ledger.jsonl")
    recorder = Recorder(SimpleNamespace(journal=journal, ledger=ledger), "o", lambda _: None)  # type: ignore[arg-type]

    def full(index: int) -> None:
        raise JournalError("cannot write the journal: database or disk is full")

    monkeypatch.setattr(journal, "submitting", full)
    with pytest.raises(StoppedError):
        recorder.submitting(0)
    ledger.close()
    assert Ledger.read(ledger.path).rows[0].state == "pending"
    assert [row.state for row in journal.rows()] == ["pending"]
    journal.close()
