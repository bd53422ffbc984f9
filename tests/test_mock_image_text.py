"""Mock images show what made them: the prompt, the model, the ratio and the taskId, legibly.

The OCR tests render images through the real mock (started on 127.0.0.1, a real createTask, the
PNG downloaded from its result URL) and read the words back with Debian's `tesseract-ocr`. Without
tesseract they skip on a developer's machine and fail in CI (`CI` set), where `.ci/run` installs it.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageChops, ImageFont

from liangxin_mock import MockServer, caption
from liangxin_mock.images import caption_text, render_for

Factory = Callable[..., MockServer]

PROMPT = "A watercolor painting of a red fox sleeping under an old apple tree in autumn"
LONG_PROMPT = (
    "A cinematic product photo of a premium green tea bottle standing on a rough stone table "
    "beside a window, natural morning light falling across the label, shallow depth of field, "
    "soft shadows, droplets of condensation on the glass, a folded linen napkin and three "
    "porcelain cups in the background, muted earthy colours, photographed with a fifty millimetre "
    "lens for a spring catalogue cover that needs plenty of space for the headline at the top "
    "and the price at the bottom, with a second bottle lying on its side half in shadow, a few "
    "loose tea leaves scattered near the cups, a small brass scale with weights, steam rising "
    "from the nearest cup, everything sharp and clean and expensive looking"
)


def _tesseract() -> str:
    found = shutil.which("tesseract")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("tesseract is missing in CI: .ci/run installs tesseract-ocr", pytrace=False)
        pytest.skip("tesseract is not installed (Debian: apt-get install tesseract-ocr)")
    return found


def _mock_png(server: MockServer, model: str, payload: dict[str, Any]) -> tuple[str, bytes]:
    """Create a task on the running mock, wait for success, download its image."""
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as c:
        created = c.post("/api/v1/jobs/createTask", json={"model": model, "input": payload})
        assert created.status_code == 200, created.text
        task_id: str = created.json()["data"]["taskId"]
        deadline = time.monotonic() + 30
        while True:
            data = c.get("/api/v1/jobs/recordInfo", params={"taskId": task_id}).json()["data"]
            if data["state"] == "success":
                break
            assert data["state"] != "fail" and time.monotonic() < deadline, data
            time.sleep(0.05)
    url = json.loads(data["resultJson"])["resultUrls"][0]
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    return task_id, response.content


def _read(tesseract: str, png: bytes, tmp_path: Path) -> str:
    path = tmp_path / "image.png"
    path.write_bytes(png)
    done = subprocess.run(
        [tesseract, str(path), "-", "-l", "eng"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.lower()


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 4]


def _squashed(text: str) -> str:
    """Letters and digits only: OCR may drop or double a space, an underscore or a hyphen."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _share_read(prompt: str, read: str) -> float:
    wanted = _words(prompt)
    seen = set(_words(read))
    return sum(w in seen for w in wanted) / len(wanted)


@pytest.mark.parametrize(
    ("model", "extra", "ratio"),
    [
        ("seedream-v4-5", {}, "1:1"),
        ("imagen4-fast", {"aspect_ratio": "widescreen_16_9"}, "16:9"),
        ("z-image", {"image_size": "portrait_9_16"}, "9:16"),
        ("flux-2-pro", {"aspect_ratio": "21:9"}, "21:9"),
    ],
)
def test_the_prompt_model_ratio_and_task_id_read_back(
    liangxin_mock_factory: Factory,
    tmp_path: Path,
    model: str,
    extra: dict[str, Any],
    ratio: str,
) -> None:
    tesseract = _tesseract()
    server = liangxin_mock_factory(task_seconds=0)
    task_id, png = _mock_png(server, model, {"prompt": PROMPT, "seed": 7, **extra})
    read = _read(tesseract, png, tmp_path)
    assert _share_read(PROMPT, read) >= 0.8, read
    assert _squashed(model) in _squashed(read), read
    assert ratio in read.replace(" ", ""), read
    # The taskId's digits (its unique part) come back whole.
    assert task_id.rsplit("_", 1)[1] in _squashed(read), read


def test_a_long_prompt_is_cut_with_an_ellipsis_and_its_start_reads_back(
    liangxin_mock_factory: Factory, tmp_path: Path
) -> None:
    tesseract = _tesseract()
    server = liangxin_mock_factory(task_seconds=0)
    _, png = _mock_png(server, "seedream-v4-5", {"prompt": LONG_PROMPT, "aspect_ratio": "16:9"})
    read = _read(tesseract, png, tmp_path)
    start = " ".join(LONG_PROMPT.split()[:30])
    assert _share_read(start, read) >= 0.8, read
    assert "expensive" not in read  # the tail did not fit in 512x288 at a readable size


def test_the_old_placeholder_would_fail(tmp_path: Path) -> None:
    """The check can fail: a picture without the words reads back none of them."""
    tesseract = _tesseract()
    blank = Image.new("RGB", (512, 512), (40, 90, 160))
    out = io.BytesIO()
    blank.save(out, format="PNG")
    assert _share_read(PROMPT, _read(tesseract, out.getvalue(), tmp_path)) < 0.8


# -------------------------------------------------------------- layout, without OCR


def _render(prompt: str, size: tuple[int, int] = (512, 512), **extra: Any) -> Image.Image:
    body = {"input": {"prompt": prompt, **extra}}
    model = "seedream-v4-5"
    if size != (512, 512):
        body["input"]["aspect_ratio"] = f"{size[0]}:{size[1]}"
    image = Image.open(io.BytesIO(render_for(model, body, "task_seedream-v4-5_1796164018814")))
    assert image.format == "PNG" and image.mode == "RGB"
    return image


def test_the_lines_are_wrapped_to_the_width_and_cut_with_an_ellipsis() -> None:
    layout = caption.layout_text(
        (512, 288), LONG_PROMPT, header="seedream-v4-5  16:9", footer="task_x"
    )
    assert layout.prompt_lines[-1].endswith("…")
    shown = " ".join(line.rstrip("…") for line in layout.prompt_lines)
    assert LONG_PROMPT.startswith(shown.rstrip())
    assert layout.prompt_size >= caption.MIN_PROMPT_SIZE
    for line in layout.prompt_lines:
        assert caption.text_width(line, layout.prompt_size) <= layout.text_width


def test_a_short_prompt_is_drawn_large() -> None:
    short = caption.layout_text((512, 512), "a fox", header="m", footer="t")
    long = caption.layout_text((512, 512), LONG_PROMPT, header="m", footer="t")
    assert short.prompt_lines == ["a fox"]
    assert short.prompt_size > long.prompt_size >= caption.MIN_PROMPT_SIZE


def test_a_chinese_prompt_wraps_between_characters() -> None:
    prompt = "一只在秋天的老苹果树下睡觉的红狐狸，水彩画风格，柔和的晨光，细腻的笔触" * 2
    layout = caption.layout_text((288, 512), prompt, header="z-image", footer="t")
    assert len(layout.prompt_lines) > 1
    assert "".join(line.rstrip("…") for line in layout.prompt_lines) in prompt


@pytest.mark.parametrize(
    "prompt",
    [
        "一只红狐狸 in the snow",
        "Crème brûlée für Zoë, Ελληνικά, русский",
        "emoji 🦊🍎 and a zero\u200bwidth\u200djoiner\x00 with\ttabs\nand newlines",
        "مرحبا بالعالم",
        "\U0010fffd" * 50,
        "a lone surrogate \ud800 from JSON",
        "",
        " " * 10,
        "x" * 5000,
        "ab" * 2000 + " " + "c" * 3000,
    ],
)
def test_any_unicode_renders_without_crashing(prompt: str) -> None:
    assert _render(prompt).size == (512, 512)


def test_characters_pillows_font_lacks_come_from_a_font_that_has_them() -> None:
    found = [path for path, _ in caption._fallback_sources()]
    if not found:
        pytest.skip("no fallback font on this machine (Debian: fonts-dejavu-core)")
    assert caption._font_for("a") == 0  # Pillow's own font first
    assert caption._font_for("\U0010fffd") == 0  # nobody has it: Pillow's missing-glyph box
    if any("DejaVu" in path for path in found):
        assert caption._font_for("é") > 0 and caption._font_for("ж") > 0
    if any(cjk in path for path in found for cjk in ("CJK", "wqy", "Droid", "Hiragino")):
        assert caption._font_for("猫") > 0


@pytest.mark.parametrize("size", [(512, 1), (1, 512), (512, 5), (20, 512), (512, 40), (512, 219)])
def test_extreme_ratios_keep_their_exact_size(size: tuple[int, int]) -> None:
    assert _render(PROMPT, size).size == size


def test_the_same_task_renders_the_same_bytes() -> None:
    body = {"input": {"prompt": PROMPT, "seed": 3}}
    first = render_for("seedream-v4-5", body, "task_seedream-v4-5_1")
    assert render_for("seedream-v4-5", body, "task_seedream-v4-5_1") == first
    assert render_for("seedream-v4-5", body, "task_seedream-v4-5_2") != first


def test_the_same_request_keeps_its_picture_and_only_the_words_differ() -> None:
    """Two tasks of one request: the same background (prompt and seed), a different taskId."""
    body = {"input": {"prompt": PROMPT, "seed": 3}}
    a = Image.open(io.BytesIO(render_for("seedream-v4-5", body, "task_seedream-v4-5_1")))
    b = Image.open(io.BytesIO(render_for("seedream-v4-5", body, "task_seedream-v4-5_2")))
    diff = ImageChops.difference(a, b).getbbox()
    assert diff is not None
    header, footer = caption_text(
        "seedream-v4-5", body["input"], (512, 512), "task_seedream-v4-5_1"
    )
    layout = caption.layout_text((512, 512), PROMPT, header=header, footer=footer)
    left, top, right, bottom = layout.panel
    assert left <= diff[0] and top <= diff[1] and diff[2] <= right and diff[3] <= bottom


def test_without_freetype_the_bitmap_font_still_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caption, "_base_font", lambda size: ImageFont.load_default_imagefont())
    caption.clear_font_cache()
    try:
        image = _render(PROMPT + " 一只 é")
        assert image.size == (512, 512)
        layout = caption.layout_text((512, 512), PROMPT, header="h", footer="f")
        assert layout.prompt_lines
    finally:
        monkeypatch.undo()
        caption.clear_font_cache()
