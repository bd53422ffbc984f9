"""Ctrl-C twice: `liangxin batch` still exits 130 with one line, and loses no taskId.

The second Ctrl-C may land anywhere: while the first one waits for the createTask calls in
flight, while the manifest is written, while the event loop shuts down. Each case is a real
subprocess against a mock subprocess on loopback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from liangxin_client.cli import EXIT_INTERRUPTED
from liangxin_mock import MockServer
from tests.test_cli_batch import KEY, _env, batch_command, journal_rows, prompt_of, write_rows


def _wait_for_task_ids(journal: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and any(t for _, _, t in journal_rows(journal)):
            return
        time.sleep(0.02)
    raise AssertionError("the batch journaled no taskId")


@pytest.mark.parametrize("gap", [0.0, 0.05, 0.3, 1.0])
def test_a_second_ctrl_c_exits_130_in_one_line_and_loses_no_task(
    tmp_path: Path, gap: float, liangxin_mock_factory: Callable[..., MockServer]
) -> None:
    source = write_rows(tmp_path / "rows.jsonl", 200)
    journal = tmp_path / "liangxin-output" / "rows.journal.sqlite"
    # Slow answers keep createTask calls in flight when Ctrl-C comes (the first one waits
    # for them), so the second one lands in the middle of that.
    mock = liangxin_mock_factory(
        api_keys={KEY: None},
        task_seconds=1.0,
        fault_rate=0.3,
        fault_kinds=("slow",),
        fault_slow_seconds=1.5,
    )
    url = mock.base_url
    if True:
        command = [*batch_command(url), "batch", str(source), "-m", "z-image"]
        proc = subprocess.Popen(
            [*command, "--concurrency", "16"],
            cwd=tmp_path, env=_env(tmp_path), stderr=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        _wait_for_task_ids(journal, proc)
        proc.send_signal(signal.SIGINT)
        time.sleep(gap)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
        accepted = {t["taskId"]: prompt_of(t) for t in mock.tasks()}
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == EXIT_INTERRUPTED, (proc.returncode, stderr)
    rows = {f"row {index}": (state, task_id) for index, state, task_id in journal_rows(journal)}
    # Every task the service accepted is journaled under its row, or (when the second Ctrl-C cut
    # its createTask off before the answer came: no taskId in hand) its row is recorded as one
    # whose createTask may have been accepted — never as not sent.
    for task_id, prompt in accepted.items():
        state, journaled = rows[prompt]
        in_hand = journaled == task_id or task_id in stderr or task_id in stdout
        assert in_hand or state in ("submitting", "ambiguous"), (task_id, state, journaled)
    assert "resume with `liangxin" in stderr, stderr


def test_ctrl_c_twice_before_the_batch_starts(tmp_path: Path) -> None:
    """Ctrl-C twice during start-up (imports, reading the input): one line, 130."""
    source = write_rows(tmp_path / "rows.jsonl", 5)
    liangxin = str(Path(sys.executable).parent / "liangxin")  # the console script users run
    proc = subprocess.Popen(
        [liangxin, "--base-url", "http://127.0.0.1:9",
         "--api-key", "sk-x", "batch", str(source), "-m", "z-image"],
        cwd=tmp_path, env=_env(tmp_path), stderr=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    time.sleep(0.3)
    for _ in range(2):
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGINT)
            time.sleep(0.01)
    _, stderr = proc.communicate(timeout=60)
    assert "Traceback" not in stderr, stderr
    assert proc.returncode in (EXIT_INTERRUPTED, 0, 1, 2, 3, 4), proc.returncode
    assert proc.returncode != -signal.SIGINT


def test_a_ctrl_c_after_the_command_ended_cannot_kill_the_process_at_shutdown() -> None:
    """At interpreter shutdown Python puts SIGINT's default action back (killed by the signal,
    -2) unless SIGINT is ignored; the console script ignores it once the command has ended,
    so a late second Ctrl-C leaves the command's own exit code (it flaked so under load)."""
    script = (
        "import signal, sys, _liangxin_entry\n"
        "sys.argv = ['liangxin', '--version']\n"
        "code = _liangxin_entry.main()\n"
        "print(code, signal.getsignal(signal.SIGINT) is signal.SIG_IGN)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.split()[-2:] == ["0", "True"], done.stdout + done.stderr
