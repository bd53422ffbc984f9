"""A batch in every state, on disk, for the contact sheet's tests: its journal, manifest and real
PNG files, made through the journal's own steps (as `liangxin batch` makes them)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

from liangxin_client.cli._batch_report import write_manifest
from liangxin_client.cli._journal import Journal

#: A prompt that would run a script, and attributes that would, if anything were not escaped.
HOSTILE_PROMPT = (
    '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> '
    "\"quoted' & ampersand"
)
FAIL_REASON = "task failed: 501 the prompt was refused by the content filter"

#: (state, model, prompt, files) of each row, in order.
ROWS: list[tuple[str, str, str, list[str]]] = [
    ("success", "z-image", "A red fox in the snow", ["fox.png"]),
    ("success", "seedream-v4-5", "Two teapots", ["teapot_0.png", "teapot_1.png"]),
    ("failed", "z-image", "A refused prompt", []),
    ("ambiguous", "seedream-v4-5", "A lost answer", []),
    ("pending", "z-image", "Not sent yet", []),
    ("error", "z-image", "Rejected", []),
    ("submitted", "seedream-v4-5", "Still running", []),
    ("success", "z-image", HOSTILE_PROMPT, ["odd name #1 50%.png"]),
    ("success", "z-image", "Its file was deleted", ["gone.png"]),
]
#: Images that exist on disk (the last row's was deleted).
IMAGES_ON_DISK = 4


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def expected_states() -> dict[str, int]:
    counts: dict[str, int] = {}
    for state, *_ in ROWS:
        counts[state] = counts.get(state, 0) + 1
    return counts


def make_batch(root: Path, out: str = "out") -> Path:
    """The batch `rows.jsonl` run from `root` into `root/out`; returns that folder."""
    folder = root / out
    folder.mkdir(parents=True)
    bodies: list[dict[str, Any]] = [
        {"model": model, "input": {"prompt": prompt, "aspect_ratio": "1:1", "seed": n}}
        for n, (_, model, prompt, _) in enumerate(ROWS)
    ]
    meta = {"input": "rows.jsonl", "out": out, "cwd": str(root), "model": "z-image"}
    with Journal(folder / "rows.journal.sqlite") as journal:
        journal.start(bodies, meta)
        for n, (state, _, _, files) in enumerate(ROWS):
            task = f"task_{n:04d}"
            paths = []
            for k, name in enumerate(files):
                (folder / name).write_bytes(png(64 + 32 * k, 64, (40 * n % 255, 90, 160)))
                paths.append(f"{out}/{name}")
            if state == "pending":
                continue
            journal.submitting(n)
            if state == "ambiguous":
                journal.mark_ambiguous()
                continue
            if state == "error":
                journal.finished(n, "error", error="invalid request: input.seed too large")
                continue
            journal.submitted(n, task)
            if state == "submitted":
                continue
            error = FAIL_REASON if state == "failed" else None
            journal.finished(n, state, files=paths, error=error)
        write_manifest(journal, folder / "rows.manifest.jsonl")
    (folder / "gone.png").unlink()
    return folder
