"""What a mock result image costs: rendering in process, and its download (first and cached).

`python -m bench mock-image [--images N]` renders N images per case in this process with
`liangxin_mock.images.render_for` (cases: a short, a typical and a long prompt, a Chinese one, at
several ratios; each image its own taskId) and reports ms per image; then it starts
`liangxin-mock --task-seconds 0` in a subprocess, creates N tasks of the typical prompt and
downloads each image twice: the first download renders it (and the mock keeps the bytes), the
second is served from the store.
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import sys
import time
from typing import Any

import httpx

from bench.bench_mock import KEY, machine, mock_process
from liangxin_mock import images

TYPICAL = "A watercolor painting of a red fox sleeping under an old apple tree in autumn"
LONG = " ".join([TYPICAL] * 8)
CHINESE = "一只在秋天的老苹果树下睡觉的红狐狸，水彩画风格，柔和的晨光"
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "short 1:1": ("seedream-v4-5", {"prompt": "a fox"}),
    "typical 1:1": ("seedream-v4-5", {"prompt": TYPICAL}),
    "typical 16:9": ("imagen4-fast", {"prompt": TYPICAL, "aspect_ratio": "16:9"}),
    "typical 9:16": ("z-image", {"prompt": TYPICAL, "image_size": "portrait_9_16"}),
    "long 1:1 (cut)": ("seedream-v4-5", {"prompt": LONG}),
    "chinese 1:1": ("seedream-v4-5", {"prompt": CHINESE}),
}


def _render(model: str, payload: dict[str, Any], task_id: str) -> bytes:
    # The code before issue 25 took no taskId: so the same bench measures it for comparison.
    if len(inspect.signature(images.render_for).parameters) == 2:
        return images.render_for(model, {"input": payload})  # type: ignore[call-arg]
    return images.render_for(model, {"input": payload}, task_id)


def _in_process(n: int) -> None:
    start = time.perf_counter()
    _render("seedream-v4-5", {"prompt": TYPICAL}, "task_warm_0")
    print(
        f"first image in the process (fonts loaded): {(time.perf_counter() - start) * 1e3:.1f} ms"
    )
    print(f"{'case':<16} {'ms/image (median)':>18} {'mean':>7} {'bytes':>7}")
    for name, (model, payload) in CASES.items():
        times, size = [], 0
        for i in range(n):
            start = time.perf_counter()
            size = len(_render(model, payload, f"task_{model}_{1796164018814 + i}"))
            times.append((time.perf_counter() - start) * 1e3)
        print(
            f"{name:<16} {statistics.median(times):>18.2f} {statistics.fmean(times):>7.2f} {size:>7}"
        )


def _over_http(n: int) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {"model": "seedream-v4-5", "input": {"prompt": TYPICAL}}
    with (
        mock_process("--task-seconds", "0") as url,
        httpx.Client(base_url=url, headers=headers, timeout=60) as c,
    ):
        ids = [
            c.post("/api/v1/jobs/createTask", json=body).json()["data"]["taskId"] for _ in range(n)
        ]
        urls = []
        for task_id in ids:
            data = c.get("/api/v1/jobs/recordInfo", params={"taskId": task_id}).json()["data"]
            urls.append(data["resultJson"].split('"resultUrls":["', 1)[1].split('"', 1)[0])
        for label in ("first download (renders)", "second download (stored)"):
            start = time.perf_counter()
            for address in urls:
                c.get(address).raise_for_status()
            elapsed = (time.perf_counter() - start) * 1e3 / n
            print(f"{label:<26} {elapsed:7.2f} ms/image over {n} sequential GETs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench mock-image", description=__doc__)
    parser.add_argument("--images", type=int, default=100, help="images per case")
    args = parser.parse_args(argv)
    print(machine())
    print(f"liangxin_mock from {images.__file__}")
    _in_process(args.images)
    _over_http(args.images)
    return 0


if __name__ == "__main__":
    sys.exit(main())
