"""The contact sheet as HTML: `liangxin gallery`, what each card says, escaping, links, and the
sheet a running batch keeps up to date. What a browser makes of it: test_gallery_browser.py."""

from __future__ import annotations

import errno
import html
import json
import signal
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from liangxin_client.cli import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Run,
    _gallery_rows,
    build_parser,
    main,
)
from liangxin_client.cli._gallery import Sheet, SheetRow, link, render
from liangxin_client.cli._journal import Journal
from tests.gallery_support import (
    FAIL_REASON,
    HOSTILE_PROMPT,
    ROWS,
    make_batch,
    png,
)
from tests.test_cli_batch import (
    InProcess,
    _env,
    batch_command,
    manifest,
    mock_process,
    write_rows,
)


class Tags(HTMLParser):
    """Every start tag and its attributes, and the text of <script> elements."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def gallery(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["gallery", *args])
    out, err = capsys.readouterr()
    return code, out, err


# -- liangxin gallery ---------------------------------------------------------------------------


def test_gallery_of_a_batch_folder_shows_every_row_beside_the_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_batch(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the run's directory comes from the journal
    code, out, err = gallery(str(folder), capsys=capsys)
    assert code == EXIT_OK, err
    sheet = folder / "index.html"
    assert out.strip() == str(sheet)
    assert "1 image file named by the batch not found" in err
    text = sheet.read_text()
    tags = Tags(text)
    cards = tags.named("article")
    assert [c["id"] for c in cards] == [f"row-{n + 1}" for n in range(len(ROWS))]
    assert [c["data-state"] for c in cards] == [state for state, *_ in ROWS]
    sources = [a["src"] for a in tags.named("img")]
    assert sources == ["fox.png", "teapot_0.png", "teapot_1.png", "odd%20name%20%231%2050%25.png"]
    assert all(a["loading"] == "lazy" for a in tags.named("img"))
    assert FAIL_REASON in text
    # what to run next: the command that resumes, and the risky one for the ambiguous row
    assert "liangxin batch rows.jsonl -o out" in text
    assert "--resubmit-ambiguous</code>" in text
    assert "not on disk: out/gone.png" in text
    assert "A red fox in the snow" in text and "z-image" in text and "task_0000" in text


def test_gallery_reads_a_journal_without_writing_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_batch(tmp_path)
    journal = folder / "rows.journal.sqlite"
    before = journal.read_bytes()
    journal.chmod(0o444)
    code, _, err = gallery(str(journal), capsys=capsys)
    assert code == EXIT_OK, err
    assert 'data-state="ambiguous"' in (folder / "index.html").read_text()
    assert journal.read_bytes() == before


def test_the_sheet_of_a_manifest_alone_names_its_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_batch(tmp_path)
    (folder / "rows.journal.sqlite").unlink()
    manifest = folder / "rows.manifest.jsonl"
    entries = [json.loads(line) for line in manifest.read_text().splitlines()]
    for entry in entries:
        entry["key"] = f"SKU-{4700 + entry['index']}"
    manifest.write_text("".join(json.dumps(e) + "\n" for e in entries))
    code, _, err = gallery(str(manifest), "-o", str(tmp_path / "sheet.html"), capsys=capsys)
    assert code == EXIT_OK, err
    text = (tmp_path / "sheet.html").read_text()
    assert '<span class="key">SKU-4700</span>' in text
    assert "../out/fox.png" not in text and 'src="out/fox.png"' in text  # from the sheet's place
    assert "A lost answer" in text  # an ambiguous row's request is in the manifest
    assert "the same `liangxin batch` command" not in text  # backticks became <code>
    assert "the same <code>liangxin batch</code> command" in text


def test_the_request_written_into_each_image_fills_a_sheet_without_a_journal(
    batch: InProcess, tmp_path: Path
) -> None:
    rows = [{"prompt": f"a fox number {n}", "seed": n} for n in range(3)]
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, _, err = batch("rows.jsonl", "-m", "z-image", "-o", "shots")
    assert code == EXIT_OK, err
    entries = manifest(tmp_path / "shots" / "rows.manifest.jsonl")
    # the journal gone: the manifest has no prompts, the images do
    for name in ("rows.journal.sqlite", "rows.journal.sqlite.ledger.jsonl"):
        (tmp_path / "shots" / name).unlink(missing_ok=True)
    assert main(["gallery", "shots"]) == EXIT_OK
    text = (tmp_path / "shots" / "index.html").read_text()
    for entry in entries:
        card = text.split(f'id="row-{entry["index"] + 1}"', 1)[1].split("</article>", 1)[0]
        assert f">a fox number {entry['index']}</p>" in card and "z-image" in card
        assert f"seed {entry['index']}" in card
    # the images alone, in a folder of their own: one card per task, with its request
    alone = tmp_path / "alone"
    alone.mkdir()
    for entry in entries:
        for name in entry["files"]:
            (alone / Path(name).name).write_bytes((tmp_path / name).read_bytes())
    (alone / "plain.png").write_bytes(png(8, 8, (1, 2, 3)))  # no request in it
    assert main(["gallery", str(alone)]) == EXIT_OK
    tags = Tags((alone / "index.html").read_text())
    text = (alone / "index.html").read_text()
    assert len(tags.named("article")) == 4
    for entry in entries:
        assert f">a fox number {entry['index']}</p>" in text and entry["taskId"] in text
    assert "plain.png" in text


def test_a_folder_of_images_without_a_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sku-1").mkdir()
    (tmp_path / "sku-1" / "0.png").write_bytes(png(8, 8, (1, 2, 3)))
    (tmp_path / "b.jpg").write_bytes(b"not really a jpeg")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.png").write_bytes(png(8, 8, (1, 2, 3)))
    (tmp_path / "notes.txt").write_text("no")
    code, _, err = gallery(str(tmp_path), "--json", capsys=capsys)
    assert code == EXIT_OK, err
    tags = Tags((tmp_path / "index.html").read_text())
    assert [a["src"] for a in tags.named("img")] == ["b.jpg", "sku-1/0.png"]
    code, out, _ = gallery(str(tmp_path), "--json", capsys=capsys)  # its own index.html: no card
    assert json.loads(out)["rows"] == 2


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "error: no such file or directory"),
        ("empty", "holds no batch manifest or journal, and no image"),
        ("two", "holds 2 batches (a.manifest.jsonl, b.manifest.jsonl): give the manifest of one"),
        ("not-json", "line 2 is not a manifest entry"),
        ("output-in-a-file", "error: cannot write the contact sheet"),
    ],
)
def test_what_cannot_make_a_sheet_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str, message: str
) -> None:
    target = tmp_path / "out"
    args: list[str] = []
    if setup != "missing":
        target.mkdir()
    if setup == "two":
        for name in ("a", "b"):
            (target / f"{name}.manifest.jsonl").write_text('{"index": 0, "state": "pending"}\n')
    if setup == "not-json":
        target = target / "a.manifest.jsonl"
        target.write_text('{"index": 0, "state": "pending"}\n{not json\n')
    if setup == "output-in-a-file":
        (target / "a.manifest.jsonl").write_text('{"index": 0, "state": "pending"}\n')
        (tmp_path / "file").write_text("")
        args = ["-o", str(tmp_path / "file" / "index.html")]
    code, out, err = gallery(str(target), *args, capsys=capsys)
    assert code == EXIT_USAGE
    assert message in err and err.count("\n") == 1 and err.startswith("error: ")
    assert "Traceback" not in err and out == ""


# -- escaping and links ---------------------------------------------------------------------------


def test_user_text_is_escaped_everywhere(tmp_path: Path) -> None:
    hostile = '"><script>window.__pwned=3</script><b onmouseover="x">'
    row = SheetRow(
        index=0,
        state="failed",
        files=(tmp_path / "a.png",),
        key=hostile,
        task_id=hostile,
        model=hostile,
        prompt=HOSTILE_PROMPT,
        inputs=(("style", hostile),),
        error=hostile,
        next_step=f"`{hostile}` then {hostile}",
    )
    text = render(Sheet(title=hostile, rows=[row], notes=[hostile]), tmp_path)
    tags = Tags(text)
    assert len(tags.named("script")) == 1  # ours
    assert not any("window.__pwned" in script for script in tags.scripts)
    assert all(not name.startswith("on") for _, attrs in tags.tags for name in attrs)
    assert len(tags.named("img")) == 1 and all(not attrs for attrs in tags.named("b"))
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in text


def test_links_are_relative_to_the_sheet_and_percent_encoded(tmp_path: Path) -> None:
    image = tmp_path / "out" / "SKU 47#11" / "1 100%?.png"
    assert link(image, tmp_path / "out") == "SKU%2047%2311/1%20100%25%3F.png"
    assert link(image, tmp_path / "sheets") == "../out/SKU%2047%2311/1%20100%25%3F.png"
    assert link(tmp_path / "out" / "名前.png", tmp_path / "out") == "%E5%90%8D%E5%89%8D.png"


def test_a_moved_batch_folder_is_still_found(tmp_path: Path) -> None:
    folder = make_batch(tmp_path / "then")
    moved = tmp_path / "now" / "shots"
    moved.parent.mkdir()
    folder.rename(moved)
    assert _gallery_rows.locate("out/fox.png", [tmp_path / "then", moved]) == moved / "fox.png"
    assert _gallery_rows.locate("/old/place/out/fox.png", [moved]) == moved / "fox.png"
    assert _gallery_rows.locate("out/nothing.png", [moved]) is None


# -- the sheet of a running batch ------------------------------------------------------------------


def test_a_running_batch_writes_its_sheet_at_most_every_few_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_batch(tmp_path)
    monkeypatch.chdir(tmp_path)
    writes: list[str] = []
    real_write = _gallery_rows.write

    def counted(sheet: Sheet, path: Path) -> None:
        writes.append(sheet.status)
        real_write(sheet, path)

    monkeypatch.setattr(_gallery_rows, "write", counted)
    clock = [1000.0]
    monkeypatch.setattr(_gallery_rows.time, "monotonic", lambda: clock[0])
    args = build_parser().parse_args(["batch", "rows.jsonl", "-o", "out"])
    with Journal(folder / "rows.journal.sqlite") as journal:
        sheet = _gallery_rows.LiveSheet(Run(args), journal, print)
        for _ in range(5):
            sheet.update()
        assert writes == ["running"]
        clock[0] += _gallery_rows.UPDATE_SECONDS
        sheet.update()
        sheet.update()
        assert writes == ["running", "running"]
        sheet.finish(False)  # at the end, due or not
    assert writes == ["running", "running", "interrupted"]
    text = (folder / "index.html").read_text()
    assert 'data-status="interrupted"' in text and "interrupted; nothing is lost" in text
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []  # no temp


def test_an_index_html_liangxin_did_not_write_is_never_replaced(
    batch: InProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_rows(tmp_path / "rows.jsonl", 2)
    theirs = tmp_path / "site" / "index.html"
    theirs.parent.mkdir()
    theirs.write_text("<!doctype html><title>my own site</title>")
    code, out, err = batch(str(source), "-m", "z-image", "-o", "site")
    assert code == EXIT_OK, err
    assert theirs.read_text() == "<!doctype html><title>my own site</title>"
    assert err.count("site/index.html was not written by liangxin") == 1
    assert "contact sheet:" not in out
    code, _, err = gallery("site", capsys=capsys)
    assert code == EXIT_USAGE and "was not written by liangxin" in err and "-o FILE" in err
    assert theirs.read_text() == "<!doctype html><title>my own site</title>"
    assert gallery("site", "-o", str(theirs), capsys=capsys)[0] == EXIT_OK  # asked for by name
    assert 'name="generator" content="liangxin"' in theirs.read_text()
    assert gallery("site", capsys=capsys)[0] == EXIT_OK  # ours now: rewritten freely


def test_a_sheet_that_cannot_be_written_never_stops_the_batch(
    batch: InProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(sheet: Sheet, path: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(_gallery_rows, "write", full)
    source = write_rows(tmp_path / "rows.jsonl", 3)
    code, out, err = batch(str(source), "-m", "z-image")
    assert code == EXIT_OK, err
    assert err.count("cannot write the contact sheet") == 1 and "No space left" in err
    assert (tmp_path / "liangxin-output" / "rows.manifest.jsonl").is_file()
    assert "contact sheet:" not in out  # the summary names no sheet it did not write


def test_a_finished_batch_has_its_sheet_beside_the_manifest(
    batch: InProcess, tmp_path: Path
) -> None:
    write_rows(tmp_path / "rows.jsonl", 4)
    code, out, err = batch("rows.jsonl", "-m", "z-image", "-o", "shots")
    assert code == EXIT_OK, err
    assert "contact sheet: shots/index.html" in out
    text = (tmp_path / "shots" / "index.html").read_text()
    assert 'data-status="finished"' in text
    entries = manifest(tmp_path / "shots" / "rows.manifest.jsonl")
    sources = [a["src"] for a in Tags(text).named("img")]
    assert sources == [Path(e["files"][0]).name for e in entries]  # relative to the sheet
    assert [a["data-state"] for a in Tags(text).named("article")] == ["success"] * 4


def test_the_sheet_shows_a_failed_task_and_its_reason(
    liangxin_mock_factory: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    mock = liangxin_mock_factory(task_seconds=0.2, fail_rate=0.5, seed=7)
    source = write_rows(tmp_path / "rows.jsonl", 8)
    connection = ["--base-url", mock.base_url, "--api-key", mock.api_key]
    code = main([*connection, "batch", str(source), "-m", "z-image", "-o", "out"])
    capsys.readouterr()
    entries = manifest(tmp_path / "out" / "rows.manifest.jsonl")
    failed = [e for e in entries if e["state"] == "failed"]
    assert failed and code != EXIT_OK
    text = (tmp_path / "out" / "index.html").read_text()
    for entry in failed:
        card = text.split(f'id="row-{entry["index"] + 1}"', 1)[1].split("</article>", 1)[0]
        assert 'class="reason"' in card and _escaped(entry["error"]) in card


def _escaped(text: str) -> str:
    return html.escape(text, quote=True)


def test_ctrl_c_leaves_a_sheet_that_says_how_to_resume(tmp_path: Path) -> None:
    source = write_rows(tmp_path / "rows.jsonl", 40)
    sheet = tmp_path / "liangxin-output" / "index.html"
    with mock_process(tmp_path, "--task-seconds", "1") as url:
        proc = subprocess.Popen(
            [*batch_command(url), "batch", str(source), "-m", "z-image", "--concurrency", "4"],
            cwd=tmp_path, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        running = ""
        while time.monotonic() < deadline and proc.poll() is None:
            if sheet.exists():
                running = sheet.read_text()
                if 'data-status="running"' in running and 'data-state="success"' in running:
                    break
            time.sleep(0.05)
        assert 'data-status="running"' in running  # written while it ran, before the end
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    assert proc.returncode == EXIT_INTERRUPTED
    text = sheet.read_text()
    assert 'data-status="interrupted"' in text
    assert "interrupted; nothing is lost: resume with <code>liangxin" in text
    assert 'data-state="pending"' in text
    assert not [p for p in sheet.parent.iterdir() if p.name.startswith(".index-")]
