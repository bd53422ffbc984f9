"""The contact sheet of a large batch: how long it takes to write, and to render in Chromium.

`python -m bench gallery [--rows N ...] [--repeat K]` runs, for each N, a real `liangxin batch`
of N rows (two models, three aspect ratios) against liangxin-mock in a subprocess (0.2 s tasks,
`--fail-rate 0.06`: the mock's own PNGs, 512 px on the long side, and failed rows with their
reason), then measures:

- write: `liangxin gallery DIR` in-process (read the journal, render, write atomically) — what
  each throttled update of a running batch costs;
- load: headless Chromium (Debian's chromium, driven over the DevTools protocol, no
  `--virtual-time-budget`: real time) from `Page.navigate` to `Page.loadEventFired`;
- frame: the same until two animation frames after the load event (style, layout and the first
  paint of the grid are done);
- images: until every image in the first viewport (1280×2000) has loaded;
- filter: one click on a state filter, to the next frame (the `:checked` rules re-style N cards).

Each is the median of K fresh tabs. The 1,000-row goal is frame < 2 s. `--screenshot PNG` takes
the README's picture instead (docs/images/contact-sheet.png).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from bench.bench_mock import KEY, machine, mock_process
from bench.browser import Browser, Page
from liangxin_client.cli import main as liangxin

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


#: The rows of the README's picture.
SHOWCASE = (
    "A glass tea bottle on a wet stone table, morning light",
    "A teapot in the steam of a mountain spring",
    "Three green tea tins on a bamboo mat, top view",
    "A porcelain cup of jasmine tea, close up",
    "A tea field at dawn, terraces in mist",
    "A cast-iron kettle on a charcoal brazier",
    "Matcha powder being whisked, motion blur",
    "A paper box of oolong with a red seal",
)


def make_batch(
    root: Path, rows: int, prompts: Sequence[str] = (), fail_rate: float = 0.06, seed: int = 1
) -> Path:
    """A finished `liangxin batch` of `rows` rows in `root/out`, run against liangxin-mock
    (0.2 s tasks, `fail_rate` of them failing), as a user's would be; returns that folder."""
    source = root / "rows.jsonl"
    models = ("z-image", "seedream-v4-5")
    lines = []
    for n in range(rows):
        prompt = prompts[n] if n < len(prompts) else f"Product shot {n}: a teapot, morning light"
        row = {
            "model": models[n % 2],
            "prompt": prompt,
            "aspect_ratio": ("1:1", "16:9", "3:4")[n % 3],
        }
        lines.append(json.dumps(row) + "\n")
    source.write_text("".join(lines))
    options = ["--db", str(root / "mock.db"), "--task-seconds", "0.2"]
    with mock_process(*options, "--fail-rate", str(fail_rate), "--seed", str(seed)) as url:
        command = [sys.executable, "-m", "liangxin_client", "--base-url", url, "--api-key", KEY]
        command += ["batch", str(source), "-o", "out", "--concurrency", "64"]
        env = {**os.environ, "LIANGXIN_CACHE_DIR": str(root / "cache")}
        subprocess.run(command, cwd=root, env=env, capture_output=True, check=False, timeout=3600)
    return root / "out"


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


def screenshot(path: Path, seed: int) -> int:
    """The README's picture: the sheet of an 8-row batch (a failure or two), 1280 px wide."""
    with tempfile.TemporaryDirectory(prefix="bench-gallery-") as tmp:
        folder = make_batch(Path(tmp), len(SHOWCASE), SHOWCASE, fail_rate=0.25, seed=seed)
        with Browser(width=1280, height=1060) as browser:
            page = browser.page()
            page.open((folder / "index.html").as_uri())
            page.wait_for(VIEWPORT_IMAGES_LOADED)
            page.evaluate(NEXT_FRAME)
            page.screenshot(path)
    image = Image.open(path).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    image.save(path, optimize=True)
    print(f"{path}: {path.stat().st_size / 1024:.0f} KiB")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench gallery", description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 5000])  # 5,000: ~4 min
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--screenshot", type=Path, metavar="PNG", help="only take the README's picture, here"
    )
    parser.add_argument("--seed", type=int, default=3, help="the mock's seed for --screenshot")
    args = parser.parse_args(argv)
    if args.screenshot:
        return screenshot(args.screenshot, args.seed)
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
                lines = (folder / "rows.manifest.jsonl").read_text().splitlines()
                states = Counter(json.loads(line)["state"] for line in lines)
                cells = [
                    f"{_median(writes):.3f}",
                    *(f"{_median([r[k] for r in runs]):.3f}" for k in ("load", "frame")),
                    *(f"{_median([r[k] for r in runs]):.3f}" for k in ("images", "filter")),
                ]
                shown = ", ".join(f"{state} {n}" for state, n in states.most_common())
                print(f"| {rows:,} ({shown}) | {size:,.0f} KiB | " + " | ".join(cells) + " |")
    print(f"load after: {os.getloadavg()[0]:.1f}")
    return 0
