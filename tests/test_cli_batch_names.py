"""`liangxin batch --key-column / --name`: row keys and file names, checked before anything is
sent; the key in the journal, the manifest, `--status`, a resume and a `--recover`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from liangxin_client.cli import EXIT_OK, EXIT_USAGE, main
from tests.test_cli_batch import InProcess, manifest

OUT = "out"


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def _errors(err: str) -> list[str]:
    assert "Traceback" not in err, err
    return [line for line in err.splitlines() if line.startswith("error:")]


def test_200_rows_keyed_by_sku_land_at_exactly_their_names(
    batch: InProcess, tmp_path: Path
) -> None:
    skus = [f"SKU-{4000 + i:05d}" for i in range(200)]
    source = _csv(
        tmp_path / "products.csv",
        "sku,prompt,image_size",
        [f"{sku},Product shot of {sku},square" for sku in skus],
    )
    code, _, err = batch(
        str(source), "-m", "z-image", "-o", OUT, "--key-column", "sku", "--name", "{sku}/{n}.png"
    )
    assert code == EXIT_OK, err
    out = tmp_path / OUT
    images = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert images == sorted(f"{sku}/1.png" for sku in skus)
    assert all((out / image).read_bytes().startswith(b"\x89PNG") for image in images)
    entries = manifest(out / "products.manifest.jsonl")
    assert [e["key"] for e in entries] == skus
    assert all(e["files"] == [f"{OUT}/{e['key']}/1.png"] for e in entries)
    sent = [json.loads(t["param"])["input"] for t in batch.mock.tasks()]
    assert len(sent) == 200 and not any("sku" in fields for fields in sent)  # a key is not sent
    # The status lists rows with their keys, and the resume command keeps --name and the key.
    assert main(["batch", "--status", f"{OUT}/products.journal.sqlite", "--json"]) == EXIT_OK
    meta = json.loads(batch.capsys.readouterr().out)["meta"]
    assert meta["name"] == "{sku}/{n}.png" and meta["key_column"] == "sku"


def test_a_key_or_id_column_is_the_key_and_stays_text(batch: InProcess, tmp_path: Path) -> None:
    source = _csv(tmp_path / "rows.csv", "id,prompt", ["0042,a fox", "7,a cat"])
    code, _, err = batch(str(source), "-m", "z-image", "-o", OUT, "--name", "{key}-{prompt}")
    assert code == EXIT_OK, err
    assert sorted(p.name for p in (tmp_path / OUT).glob("*.png")) == [
        "0042-a-fox.png",
        "7-a-cat.png",
    ]
    assert [e["key"] for e in manifest(tmp_path / OUT / "rows.manifest.jsonl")] == ["0042", "7"]


def test_duplicate_keys_are_one_error_line_per_row_and_nothing_is_sent(
    batch: InProcess, tmp_path: Path
) -> None:
    source = _csv(
        tmp_path / "rows.csv", "key,prompt", ["a,one", "b,two", "a,three", "c,four", "b,five"]
    )
    code, _, err = batch(str(source), "-m", "z-image", "-o", OUT)
    assert code == EXIT_USAGE
    errors = _errors(err)
    assert len(errors) == 2, err
    assert "row 3 (line 4, key 'a')" in errors[0] and "row 1's" in errors[0]
    assert "row 5 (line 6, key 'b')" in errors[1] and errors[1].endswith("nothing was sent")
    assert batch.mock.stats()["createTask"] == 0


def test_clashing_names_are_refused_before_anything_is_sent(
    batch: InProcess, tmp_path: Path
) -> None:
    rows = [f"{i},p{i},{'square' if i % 2 else 'portrait_4_3'}" for i in range(6)]
    source = _csv(tmp_path / "rows.csv", "key,prompt,image_size", rows)
    code, _, err = batch(str(source), "-m", "z-image", "-o", OUT, "--name", "{image_size}.png")
    assert code == EXIT_USAGE
    errors = _errors(err)
    assert len(errors) == 4, err  # rows 3..6 each clash with row 1 or 2
    assert all("the same file name as row" in e for e in errors)
    assert (
        batch.mock.stats()["createTask"] == 0
        and not (tmp_path / OUT / "rows.journal.sqlite").exists()
    )


UNSAFE = [
    ("../{key}.png", "leave the output"),
    ("/tmp/{key}.png", "absolute"),
    ("{key}//x.png", "empty path segment"),
    ("{key}/{nope}.png", "unknown placeholder"),
    ("{key}", "reserved name"),  # the row keyed CON
    ("{prompt}?.png", "cannot be in a file name"),
]


@pytest.mark.parametrize(("template", "reason"), UNSAFE)
def test_unsafe_names_are_refused_and_nothing_is_sent(
    batch: InProcess, tmp_path: Path, template: str, reason: str
) -> None:
    source = _csv(tmp_path / "rows.csv", "key,prompt", ["ok,a fox", "CON,a cat"])
    code, _, err = batch(str(source), "-m", "z-image", "-o", OUT, "--name", template)
    assert code == EXIT_USAGE
    assert reason in err and all(e.endswith("nothing was sent") for e in _errors(err)[-1:])
    assert batch.mock.stats()["createTask"] == 0


def test_many_offending_rows_print_twenty_lines_and_how_many_more(
    batch: InProcess, tmp_path: Path
) -> None:
    source = _csv(tmp_path / "rows.csv", "key,prompt", [f"k/{i},p" for i in range(35)])
    code, _, err = batch(str(source), "-m", "z-image", "-o", OUT, "--name", "{key}.png")
    assert code == EXIT_USAGE
    errors = _errors(err)
    assert len(errors) == 20 and "(and 15 more rows like these)" in errors[-1]
    assert batch.mock.stats()["createTask"] == 0


def test_an_existing_file_is_never_overwritten_by_a_new_row(
    batch: InProcess, tmp_path: Path
) -> None:
    source = _csv(tmp_path / "rows.csv", "key,prompt", ["a,one", "b,two"])
    (tmp_path / OUT).mkdir()
    (tmp_path / OUT / "b.png").write_bytes(b"another batch's image")
    code, _, err = batch(str(source), "-m", "z-image", "-o", OUT, "--name", "{key}.png")
    assert code == EXIT_USAGE and "b.png already exists" in _errors(err)[0]
    assert batch.mock.stats()["createTask"] == 0
    (tmp_path / OUT / "b.png").unlink()
    assert batch(str(source), "-m", "z-image", "-o", OUT, "--name", "{key}.png")[0] == EXIT_OK
    # A rerun keeps the files of finished rows (and sends nothing).
    code, _, err = batch(str(source), "-m", "z-image", "-o", OUT, "--name", "{key}.png")
    assert code == EXIT_OK and batch.mock.stats()["createTask"] == 2


def test_the_key_survives_a_recover(batch: InProcess, tmp_path: Path) -> None:
    source = _csv(tmp_path / "rows.csv", "sku,prompt", [f"s{i},p{i}" for i in range(5)])
    command = [str(source), "-m", "z-image", "-o", OUT, "--key-column", "sku"]
    assert batch(*command)[0] == EXIT_OK
    journal = tmp_path / OUT / "rows.journal.sqlite"
    journal.write_bytes(b"")  # the journal lost its content
    code, _, err = batch(*command)
    assert code == EXIT_USAGE and "--recover" in err
    code, _, err = batch(*command, "--recover")
    assert code == EXIT_OK, err
    assert batch.mock.stats()["createTask"] == 5
    db = sqlite3.connect(journal)
    assert db.execute("SELECT key FROM rows ORDER BY idx").fetchall() == [
        (f"s{i}",) for i in range(5)
    ]
    db.close()
    assert [e["key"] for e in manifest(tmp_path / OUT / "rows.manifest.jsonl")] == [
        f"s{i}" for i in range(5)
    ]


def test_a_journal_from_before_keys_resumes_and_takes_them(
    batch: InProcess, tmp_path: Path
) -> None:
    source = _csv(tmp_path / "rows.csv", "key,prompt", [f"k{i},p{i}" for i in range(4)])
    assert batch(str(source), "-m", "z-image", "-o", OUT)[0] == EXIT_OK
    journal = tmp_path / OUT / "rows.journal.sqlite"
    db = sqlite3.connect(journal)  # as schema 1 made it: no key column
    db.execute("ALTER TABLE rows DROP COLUMN key")
    db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    db.commit()
    db.close()
    assert main(["batch", "--status", str(journal), "--json"]) == EXIT_OK  # read as it is
    assert "key" not in json.loads(batch.capsys.readouterr().out)["meta"]
    code, _, err = batch(str(source), "-m", "z-image", "-o", OUT)
    assert code == EXIT_OK and "resuming (4 finished, 0 to do)" in err
    assert [e["key"] for e in manifest(tmp_path / OUT / "rows.manifest.jsonl")] == [
        "k0",
        "k1",
        "k2",
        "k3",
    ]
