"""The contact sheet of a large batch: how long it takes to write, and to render in Chromium.

`python -m bench gallery [--rows N ...] [--repeat K]` builds, for each N, a finished batch of N
rows on disk (its journal as `liangxin batch` writes it; 90 % of rows succeeded with one PNG of
the mock's own — 512 px, 40 distinct images hard-linked under N names, so each row's image is a
file of its own to the browser — 6 % failed, 2 % ambiguous, 2 % pending), then measures:

- write: `liangxin gallery DIR` in-process (read the journal, render, write atomically) — what
  each throttled update of a running batch costs;
- load: headless Chromium (Debian's chromium, driven over the DevTools protocol, no
  `--virtual-time-budget`: real time) from `Page.navigate` to `Page.loadEventFired`;
- frame: the same until two animation frames after the load event (style, layout and the first
  paint of the grid are done);
- images: until every image in the first viewport (1280×2000) has loaded;
- filter: one click on a state filter, to the next frame (the `:checked` rules re-style N cards).

Each is the median of K fresh tabs. The 1,000-row goal is frame < 2 s.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_mock import machine
from bench.browser import Browser, Page
from liangxin_client.cli import main as liangxin
from liangxin_client.cli._batch_report import write_manifest
from liangxin_client.cli._journal import Journal
from liangxin_mock.images import render_png

NEXT_FRAME = (
    "new Promise(function(r){requestAnimationFrame(function(){"
    "requestAnimationFrame(function(){r(performance.now());});});})"
)
#: Cards are in document order, row by row: stop at the first one below the viewport (a rect of
#: every image would lay out thousands of cards that content-visibility skips).
VIEWPORT_IMAGES_LOADED = (
    "(function(){var cards=document.querySelectorAll('.card');"
    "for(var n=0;n<cards.length;n++){var c=cards[n];if(c.getBoundingClientRect().top>=innerHeight)"
    "{break;}var i=c.querySelector('img');if(i&&!(i.complete&&i.naturalWidth>0)){return false;}}"
    "return true;})()"
)
CLICK_TO_FRAME = (
    "(function(){var t=performance.now();"
    "document.querySelector('label[for=\"state-s-failed\"]').click();"
    "return new Promise(function(r){requestAnimationFrame(function(){"
    "requestAnimationFrame(function(){r(performance.now()-t);});});});})()"
)


def _state(n: int) -> str:
    slot = n % 50
    if slot < 3:
        return "failed"
    if slot == 3:
        return "ambiguous"
    if slot == 4:
        return "pending"
    return "success"


def make_batch(root: Path, rows: int) -> Path:
    """A finished batch of `rows` rows in `root/out` (journal, manifest, images)."""
    out = root / "out"
    out.mkdir(parents=True)
    originals = []
    for k in range(40):
        original = root / f"image-{k}.png"
        original.write_bytes(render_png((512, 512), f"prompt {k}", k))
        originals.append(original)
    bodies: list[dict[str, Any]] = [
        {
            "model": ("z-image", "seedream-v4-5", "flux-2-pro")[n % 3],
            "input": {"prompt": f"Product shot {n}: a teapot on a stone table, morning light"},
        }
        for n in range(rows)
    ]
    meta = {"input": "rows.jsonl", "out": "out", "cwd": str(root)}
    with Journal(out / "rows.journal.sqlite") as journal:
        journal.start(bodies, meta)
        for n in range(rows):
            state = _state(n)
            if state == "pending":
                continue
            journal.submitting(n)
            if state == "ambiguous":
                continue
            journal.submitted(n, f"task_bench_{n:06d}")
            files = []
            if state == "success":
                name = f"task_bench_{n:06d}_0.png"
                os.link(originals[n % len(originals)], out / name)
                files.append(f"out/{name}")
            error = "task failed: 501 refused" if state == "failed" else None
            journal.finished(n, state, files=files, error=error)
        journal.mark_ambiguous()
        write_manifest(journal, out / "rows.manifest.jsonl")
    return out


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def _write(folder: Path) -> float:
    """Seconds `liangxin gallery DIR` takes in-process (its output discarded)."""
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        assert liangxin(["gallery", str(folder)]) == 0
    return time.perf_counter() - started


def measure(browser: Browser, sheet: Path) -> dict[str, float]:
    """One fresh tab: load, first frame, viewport images, a filter click (seconds)."""
    page: Page = browser.page()
    try:
        started = time.perf_counter()
        page.send("Page.navigate", {"url": sheet.as_uri()})
        browser.event("Page.loadEventFired", page.session, 60)
        load = time.perf_counter() - started
        page.evaluate(NEXT_FRAME)
        frame = time.perf_counter() - started
        page.wait_for(VIEWPORT_IMAGES_LOADED, timeout=60)
        images = time.perf_counter() - started
        click = float(page.evaluate(CLICK_TO_FRAME)) / 1000
        return {"load": load, "frame": frame, "images": images, "filter": click}
    finally:
        page.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench gallery", description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}; load: {os.getloadavg()[0]:.1f} (1-minute average)")
    print(
        "| rows | sheet size | write (s) | load (s) | frame (s) | viewport images (s) | filter (s) |"
    )
    print("|---|---|---|---|---|---|---|")
    with Browser(width=1280, height=2000) as browser:
        browser.page().close()  # the browser's own start-up is not the page's
        for rows in args.rows:
            with tempfile.TemporaryDirectory(prefix="bench-gallery-") as tmp:
                folder = make_batch(Path(tmp), rows)
                sheet = folder / "index.html"
                writes = [_write(folder) for _ in range(args.repeat)]
                runs = [measure(browser, sheet) for _ in range(args.repeat)]
                size = sheet.stat().st_size / 1024
                cells = [
                    f"{_median(writes):.3f}",
                    *(f"{_median([r[k] for r in runs]):.3f}" for k in ("load", "frame")),
                    *(f"{_median([r[k] for r in runs]):.3f}" for k in ("images", "filter")),
                ]
                print(f"| {rows:,} | {size:,.0f} KiB | " + " | ".join(cells) + " |")
    print(f"load after: {os.getloadavg()[0]:.1f}")
    return 0
