"""The contact sheet in a real browser: headless Chromium (Debian's `chromium`, which `.ci/run`
installs) loads `index.html` from disk, and the tests read what it rendered — the images that
loaded, the rows each filter shows after a mouse click, a failed row's reason — with JavaScript
on and off. A screenshot of each page is kept: under the test's tmp dir (pytest keeps the last
runs' dirs, `--basetemp DIR` names one) and, when `LIANGXIN_TEST_ARTIFACTS` names a folder, there
too. Without chromium these tests are skipped, except in CI (`CI` set), where that fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.browser import Browser, Page, find_chromium
from liangxin_client.cli import EXIT_OK, main
from tests.gallery_support import (
    FAIL_REASON,
    IMAGES_ON_DISK,
    ROWS,
    expected_states,
    make_batch,
)
from tests.test_cli_batch import InProcess, manifest

VISIBLE_CARDS = (
    "Array.prototype.filter.call(document.querySelectorAll('.card'),"
    "function(c){return getComputedStyle(c).display!=='none';}).map(function(c){return c.id;})"
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if find_chromium() is None:
        message = "chromium is not installed (apt-get install -y chromium; .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with Browser(width=1280, height=2000) as browser:
        yield browser


@pytest.fixture
def keep(tmp_path: Path, test_artifacts: Path | None) -> Callable[[Page, str], Path]:
    """Keep a screenshot of the page as a test artifact."""

    def screenshot(page: Page, name: str) -> Path:
        shot = page.screenshot(tmp_path / f"{name}.png")
        assert shot.stat().st_size > 10_000  # a page was drawn, not a blank
        if test_artifacts is not None:
            shutil.copy(shot, test_artifacts / shot.name)
        return shot

    return screenshot


def sheet_of(folder: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["gallery", str(folder)]) == EXIT_OK
    capsys.readouterr()
    return folder / "index.html"


def visible(page: Page) -> list[str]:
    return list(page.evaluate(VISIBLE_CARDS))


def rows_in(*states: str) -> list[str]:
    return [f"row-{n + 1}" for n, (state, *_) in enumerate(ROWS) if state in states]


def test_the_sheet_in_chromium_images_filters_and_reasons(
    chromium: Browser,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    keep: Callable[[Page, str], Path],
) -> None:
    sheet = sheet_of(make_batch(tmp_path), capsys)
    page = chromium.page()
    try:
        page.open(sheet.as_uri())
        assert page.wait_for(f"document.images.length>={IMAGES_ON_DISK}&&"
                             "Array.prototype.every.call(document.images,function(i){return i.complete;})")  # fmt: skip
        assert page.loaded_images() == IMAGES_ON_DISK
        assert visible(page) == [f"row-{n + 1}" for n in range(len(ROWS))]
        assert page.evaluate("document.getElementById('shown').textContent") == f"{len(ROWS)} rows"
        keep(page, "gallery-all")
        for state, count in expected_states().items():
            page.click(f'label[for="state-s-{state}"]')
            assert visible(page) == rows_in(state), state
            shown = page.evaluate("document.getElementById('shown').textContent")
            assert shown == f"{count} of {len(ROWS)} rows shown"
            assert page.evaluate("location.hash") == f"#state={state}"
        page.click('label[for="state-s-failed"]')
        # innerText: the text as rendered (a card shown by a filter is drawn at the next frame)
        reason = page.wait_for("document.querySelector('#row-3 .reason').innerText")
        assert reason == FAIL_REASON
        keep(page, "gallery-failed")
        page.click('label[for="state-all"]')
        page.click('label[for="model-m-0"]')  # models in name order: seedream-v4-5 first
        assert visible(page) == [
            f"row-{n + 1}" for n, (_, model, *_) in enumerate(ROWS) if model == "seedream-v4-5"
        ]
        page.click('label[for="state-s-success"]')  # both filters at once
        assert visible(page) == ["row-2"]
        # a prompt that is a script is shown as text, and nothing of it ran
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.evaluate("document.scripts.length") == 1
        prompt = page.evaluate("document.querySelector('#row-8 .prompt').textContent")
        assert prompt == ROWS[7][2]
    finally:
        page.close()


def test_with_javascript_off_every_row_is_there_and_the_filters_still_work(
    chromium: Browser,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    keep: Callable[[Page, str], Path],
) -> None:
    sheet = sheet_of(make_batch(tmp_path), capsys)
    page = chromium.page(scripts=False)
    try:
        page.open(sheet.as_uri())
        assert page.wait_for(f"document.images.length>={IMAGES_ON_DISK}&&"
                             "Array.prototype.every.call(document.images,function(i){return i.complete;})")  # fmt: skip
        assert page.loaded_images() == IMAGES_ON_DISK
        assert page.evaluate("document.getElementById('shown').textContent") == ""  # no script
        assert visible(page) == [f"row-{n + 1}" for n in range(len(ROWS))]
        page.click('label[for="state-s-ambiguous"]')  # CSS alone: a radio and :checked
        assert visible(page) == rows_in("ambiguous")
        card = page.wait_for("document.getElementById('row-4').innerText")
        assert "--resubmit-ambiguous" in card
        keep(page, "gallery-no-js")
    finally:
        page.close()


def test_a_filter_in_the_address_is_applied(
    chromium: Browser,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sheet = sheet_of(make_batch(tmp_path), capsys)
    page = chromium.page()
    try:
        page.open(sheet.as_uri() + "#state=success&model=z-image")
        assert visible(page) == ["row-1", "row-8", "row-9"]
        assert page.evaluate("document.getElementById('state-s-success').checked") is True
    finally:
        page.close()


def test_a_real_batch_sheet_shows_every_image_the_batch_saved(
    chromium: Browser,
    batch: InProcess,
    tmp_path: Path,
    keep: Callable[[Page, str], Path],
) -> None:
    rows = "".join(f"SKU 47#{n},a teapot {n}\n" for n in range(12))  # names to encode
    (tmp_path / "rows.csv").write_text("sku,prompt\n" + rows)
    code, _, err = batch(
        "rows.csv", "-m", "z-image", "-o", "shots", "--key-column", "sku", "--name", "{key}/{n}.png"
    )
    assert code == EXIT_OK, err
    entries = manifest(tmp_path / "shots" / "rows.manifest.jsonl")
    files = sum(len(e["files"]) for e in entries)
    page = chromium.page()
    try:
        page.open((tmp_path / "shots" / "index.html").as_uri())
        page.wait_for(f"document.images.length=={files}&&Array.prototype.every.call("
                      "document.images,function(i){return i.complete;})")  # fmt: skip
        assert page.loaded_images() == files == 12
        keys = page.evaluate(
            "Array.prototype.map.call(document.querySelectorAll('.card .key'),"
            "function(k){return k.textContent;})"
        )
        assert keys == [f"SKU 47#{n}" for n in range(12)]
        keep(page, "gallery-batch")
    finally:
        page.close()
