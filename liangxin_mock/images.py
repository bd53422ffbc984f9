"""Result images: real PNGs at the ratio the request asked for, longest side 512 pixels.

The picture (a two-colour gradient with a few discs) is derived from the prompt and the input
seed only; on it, what made the image is written (`caption.py`): the model, the ratio, the pixel
size and the seed above, the prompt, the taskId below. The same task always yields the same bytes
(so a file re-rendered after a restart is the one first served); two tasks of the same request
share the picture and differ in their taskId.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any

from PIL import Image, ImageDraw, ImageOps

from liangxin_mock.caption import draw_caption
from liangxin_mock.lifecycle import unit_hash

LONGEST_SIDE = 512

#: Magnific aliases (Seedream, Imagen) and Z-Image sizes, as width:height.
ALIASES: dict[str, tuple[int, int]] = {
    "square_1_1": (1, 1),
    "widescreen_16_9": (16, 9),
    "social_story_9_16": (9, 16),
    "portrait_2_3": (2, 3),
    "traditional_3_4": (3, 4),
    "standard_3_2": (3, 2),
    "classic_4_3": (4, 3),
    "cinematic_21_9": (21, 9),
    # Z-Image image_size values (upstream Magnific sizes).
    "square": (1, 1),
    "square_hd": (1, 1),
    "portrait_3_4": (3, 4),
    "portrait_9_16": (9, 16),
    "landscape_4_3": (4, 3),
    "landscape_16_9": (16, 9),
}
_RATIO = re.compile(r"^\s*(\d{1,5})\s*:\s*(\d{1,5})\s*$")
FLUX_DEFAULT = (1024, 768)


def parse_ratio(value: Any) -> tuple[int, int] | None:
    """`"16:9"` or an alias → (16, 9); anything else → None."""
    if not isinstance(value, str):
        return None
    if value in ALIASES:
        return ALIASES[value]
    match = _RATIO.match(value)
    if match and int(match[1]) > 0 and int(match[2]) > 0:
        return int(match[1]), int(match[2])
    return None


def requested_ratio(model: str, payload: dict[str, Any]) -> tuple[int, int]:
    """The output ratio a createTask `input` asks for, per the model's documented fields."""
    if model == "flux-2-pro":
        width, height = payload.get("width"), payload.get("height")
        if isinstance(width, int | float) and isinstance(height, int | float):
            return int(width), int(height)
        return parse_ratio(payload.get("aspect_ratio")) or FLUX_DEFAULT
    if model == "z-image":
        return (
            parse_ratio(payload.get("image_size"))
            or parse_ratio(payload.get("aspect_ratio"))
            or (1, 1)
        )
    return parse_ratio(payload.get("aspect_ratio")) or (1, 1)


def image_size(ratio: tuple[int, int]) -> tuple[int, int]:
    """Pixel size with the longest side 512 and the given ratio."""
    w, h = ratio
    if w >= h:
        return LONGEST_SIDE, max(1, round(LONGEST_SIDE * h / w))
    return max(1, round(LONGEST_SIDE * w / h)), LONGEST_SIDE


def _colour(*parts: object) -> tuple[int, int, int]:
    return (
        int(unit_hash(*parts, "r") * 256),
        int(unit_hash(*parts, "g") * 256),
        int(unit_hash(*parts, "b") * 256),
    )


def ratio_label(ratio: tuple[int, int]) -> str:
    """`(16, 9)` → `"16:9"` as asked; pixel sizes reduced: `(1024, 768)` → `"4:3"`."""
    divisor = math.gcd(*ratio) if max(ratio) > 64 else 1
    return f"{ratio[0] // divisor}:{ratio[1] // divisor}"


def render_png(
    size: tuple[int, int],
    prompt: str,
    seed: object,
    *,
    header: str = "",
    footer: str = "",
) -> bytes:
    """A deterministic PNG of `size`: a picture from the prompt and seed, with the prompt,
    `header` and `footer` written on it."""
    width, height = size
    prompt = prompt.encode("utf-8", "surrogatepass").decode("utf-8", "replace")  # lone surrogates
    ramp = Image.linear_gradient("L").rotate(int(unit_hash(prompt, seed, "angle") * 360))
    ramp = ramp.resize((width, height))
    image = ImageOps.colorize(ramp, _colour(prompt, seed, 1), _colour(prompt, seed, 2))
    draw = ImageDraw.Draw(image)
    for i in range(3):
        cx = int(unit_hash(prompt, seed, i, "x") * width)
        cy = int(unit_hash(prompt, seed, i, "y") * height)
        r = int(unit_hash(prompt, seed, i, "r") * min(width, height) / 4) + 8
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_colour(prompt, seed, i, "disc"))
    image = draw_caption(image, prompt=prompt, header=header, footer=footer)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=3)  # a third of level 6's time, 12 % larger
    return out.getvalue()


def caption_text(
    model: str, payload: dict[str, Any], size: tuple[int, int], task_id: str
) -> tuple[str, str]:
    """The small lines written above and below the prompt: model, ratio, size, seed; taskId."""
    parts = [model, ratio_label(requested_ratio(model, payload)), f"{size[0]}x{size[1]}"]
    if payload.get("seed") is not None:
        parts.append(f"seed {_seed(payload)}")
    return "  |  ".join(parts), task_id


def _seed(payload: dict[str, Any]) -> object:
    seed = payload.get("seed")
    if isinstance(seed, float) and seed.is_integer():
        seed = int(seed)  # JSON 3.0 is the integer 3, so the same image
    return seed


def render_for(model: str, body: dict[str, Any], task_id: str) -> bytes:
    """The result image of task `task_id`, from its stored createTask body."""
    payload = body.get("input")
    payload = payload if isinstance(payload, dict) else {}
    size = image_size(requested_ratio(model, payload))
    header, footer = caption_text(model, payload, size, task_id)
    prompt = payload.get("prompt", "")
    return render_png(size, str(prompt), _seed(payload), header=header, footer=footer)
