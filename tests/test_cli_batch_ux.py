"""`liangxin batch` as a user meets it (issue 19): the input's encoding, the ETA, the words and
the exit codes at its end, and `--status`."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from liangxin_client.cli import EXIT_OK, EXIT_USAGE
from liangxin_mock import MockServer
from tests.test_cli_batch import InProcess, manifest

Factory = Callable[..., MockServer]


@pytest.fixture
def batch(
    liangxin_mock_factory: Factory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> InProcess:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("LIANGXIN_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("LIANGXIN_CACHE_DIR", str(tmp_path / "cache"))
    return InProcess(liangxin_mock_factory(task_seconds=0.2), capsys)


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
