"""The words on a mock image: what made it (prompt, model, ratio, taskId), legible at a glance.

Pillow's own scalable font (`ImageFont.load_default(size=...)`, Aileron, ASCII) draws the text.
A character it lacks is drawn by the first font on the machine that has it (DejaVu Sans for
accents, Greek and Cyrillic; a CJK font for Chinese), else as a missing-glyph box; nothing a prompt
holds can make drawing fail. Without FreeType, Pillow's bitmap font draws everything at its one
size. The prompt is set as large as fits (wrapped, between words or CJK characters) and cut with
an ellipsis when even the smallest size cannot hold it; a translucent dark panel keeps the white
text readable over any background.
"""

from __future__ import annotations

import functools
import os
import threading
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

MIN_PROMPT_SIZE = 15
MAX_PROMPT_SIZE = 44
MIN_LABEL_SIZE = 12
MAX_LABEL_SIZE = 17
SMALLEST_SIZE = 6  # below this nothing is drawn (an image a few pixels high)
ELLIPSIS = "…"
PANEL_FILL = (0, 0, 0, 176)
PROMPT_FILL = (255, 255, 255)
LABEL_FILL = (255, 255, 255)

#: Fonts that may draw what Pillow's own font lacks, first found first used: (path, face index).
FALLBACK_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # the SC face
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("/System/Library/Fonts/Hiragino Sans GB.ttc", 0),
    ("/System/Library/Fonts/STHeiti Light.ttc", 0),
    ("/System/Library/Fonts/Supplemental/Arial Unicode.ttf", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
    ("C:/Windows/Fonts/arial.ttf", 0),
)
_NEVER_A_GLYPH = "\U0010fffd"  # a private-use code point: every font draws its missing-glyph box
_DETECT_SIZE = 16
_lock = threading.Lock()  # FreeType faces are shared by the server's threads


def _base_font(size: int) -> Font:
    """Pillow's own font at `size` (its bitmap font, one size only, without FreeType)."""
    return ImageFont.load_default(size=size)


@functools.cache
def _fallback_sources() -> tuple[tuple[str, int], ...]:
    found = []
    for path, index in FALLBACK_FONTS:
        if os.path.isfile(path):
            try:
                ImageFont.truetype(path, _DETECT_SIZE, index=index)
            except OSError:
                continue
            found.append((path, index))
    return tuple(found)


@functools.cache
def _chain(size: int) -> tuple[Font, ...]:
    """The fonts at `size`, Pillow's own first; only Pillow's own without FreeType."""
    base = _base_font(size)
    if not isinstance(base, ImageFont.FreeTypeFont):
        return (base,)
    more = [ImageFont.truetype(path, size, index=index) for path, index in _fallback_sources()]
    return (base, *more)


def _mask(font: ImageFont.FreeTypeFont, text: str) -> tuple[object, ...]:
    image, offset = font.getmask2(text, mode="L")
    return image.size, bytes(image), offset


@functools.cache
def _missing(font_index: int) -> tuple[object, ...]:
    font = _chain(_DETECT_SIZE)[font_index]
    assert isinstance(font, ImageFont.FreeTypeFont)
    return _mask(font, _NEVER_A_GLYPH)


@functools.lru_cache(maxsize=8192)
def _font_for(char: str) -> int:
    """Index in the chain of the first font that has a glyph for `char` (0 when none has)."""
    chain = _chain(_DETECT_SIZE)
    if len(chain) == 1 or char == " ":
        return 0
    for index, font in enumerate(chain):
        assert isinstance(font, ImageFont.FreeTypeFont)
        if _mask(font, char) != _missing(index):
            return index
    return 0


def clear_font_cache() -> None:
    """Forget the fonts found (after the fonts or Pillow's font loader changed)."""
    for cached in (_fallback_sources, _chain, _missing, _font_for, _unit_width):
        cached.cache_clear()


def _runs(text: str) -> list[tuple[int, str]]:
    """`text` cut into (font index, run) pieces, each drawn by one font of the chain."""
    runs: list[tuple[int, str]] = []
    for char in text:
        index = _font_for(char)
        if runs and runs[-1][0] == index:
            runs[-1] = (index, runs[-1][1] + char)
        else:
            runs.append((index, char))
    return runs


def text_width(text: str, size: int) -> float:
    """The width of `text` drawn at `size` (font by font)."""
    chain = _chain(size)
    return sum(chain[index].getlength(run) for index, run in _runs(text))


def _line_height(size: int) -> int:
    font = _chain(size)[0]
    if isinstance(font, ImageFont.FreeTypeFont):
        return round(size * 1.28)
    _, top, _, bottom = font.getbbox("Ag")
    return int(bottom - top) + 3


def clean(text: str) -> str:
    """One line of drawable text: NFC, whitespace runs as one space, no control characters."""
    text = unicodedata.normalize("NFC", text)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char.isspace():
            kept.append(" ")
        elif category == "Cs":
            kept.append("\ufffd")  # a lone surrogate from JSON's "\ud800"
        elif category not in ("Cc", "Cf"):
            kept.append(char)
    return " ".join("".join(kept).split())


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _units(text: str) -> list[tuple[str, bool]]:
    """Pieces a line may break between: words, and single wide (CJK) characters.
    Each with whether a space stood before it."""
    units: list[tuple[str, bool]] = []
    space, current = False, ""
    for char in text:
        if char == " ":
            if current:
                units.append((current, space))
                current = ""
            space = True
        elif _wide(char):
            if current:
                units.append((current, space))
                current, space = "", False
            units.append((char, space))
            space = False
        else:
            current += char
    if current:
        units.append((current, space))
    return units


def _fit_prefix(text: str, size: int, width: float) -> int:
    """How many leading characters of `text` fit in `width` (at least 1)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if text_width(text[:middle], size) <= width:
            low = middle
        else:
            high = middle - 1
    return low


@functools.lru_cache(maxsize=16384)
def _unit_width(unit: str, size: int) -> float:
    return text_width(unit, size)


def wrap(text: str, size: int, width: float, max_lines: int) -> tuple[list[str], bool]:
    """Greedy lines of `text` at `size` within `width`; stops after `max_lines` + 1 lines.
    Returns the lines and whether all of `text` is in the first `max_lines`.

    A line's width is estimated as the sum of its words' and spaces' (each measured once); only
    a line within 3 % of `width` is measured whole (kerning across a space is all that differs).
    """
    lines: list[str] = []
    line, line_width = "", 0.0
    space_width = _unit_width(" ", size)
    for unit, space in _units(text):
        joint = bool(line) and space
        candidate = f"{line} {unit}" if joint else line + unit
        estimate = line_width + (space_width if joint else 0.0) + _unit_width(unit, size)
        if estimate <= width * 0.97 or (
            estimate <= width * 1.03 and text_width(candidate, size) <= width
        ):
            line, line_width = candidate, estimate
            continue
        if line:
            lines.append(line)
        line, line_width = unit, _unit_width(unit, size)
        while line_width > width and len(lines) <= max_lines:
            cut = _fit_prefix(line, size, width)
            lines.append(line[:cut])
            line = line[cut:]
            line_width = text_width(line, size)
        if len(lines) > max_lines:
            return lines, False
    if line:
        lines.append(line)
    return lines[: max_lines + 1], len(lines) <= max_lines


def _with_ellipsis(line: str, size: int, width: float) -> str:
    while line and text_width(line.rstrip() + ELLIPSIS, size) > width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


@dataclass(frozen=True)
class Line:
    text: str
    size: int
    top: int
    fill: tuple[int, int, int]


@dataclass(frozen=True)
class Layout:
    """Where the words go: the panel (left, top, right, bottom; right and bottom exclusive) and
    the lines in it; `prompt_lines` at `prompt_size` within `text_width`."""

    panel: tuple[int, int, int, int]
    text_width: int
    lines: tuple[Line, ...]
    prompt_lines: list[str]
    prompt_size: int


def _prompt_fit(prompt: str, height: int, width: int, largest: int) -> tuple[int, list[str]] | None:
    """The largest size whose lines of `prompt` fit `height` whole (truncated at the smallest)."""
    smallest = MIN_PROMPT_SIZE
    if _line_height(smallest) > height:
        smallest = max(SMALLEST_SIZE, min(smallest, round(height / 1.28)))
        while smallest >= SMALLEST_SIZE and _line_height(smallest) > height:
            smallest -= 1
        if smallest < SMALLEST_SIZE:
            return None
        largest = smallest

    def attempt(size: int) -> tuple[list[str], bool]:
        return wrap(prompt, size, width, max(1, height // _line_height(size)))

    low, high = smallest, max(smallest, largest)
    best: tuple[int, list[str]] | None = None
    while low <= high:  # fitting is monotonic in the size, near enough
        middle = (low + high) // 2
        lines, whole = attempt(middle)
        if whole:
            best, low = (middle, lines), middle + 1
        else:
            high = middle - 1
    if best is not None:
        return best
    max_lines = max(1, height // _line_height(smallest))
    lines, _ = attempt(smallest)
    lines = lines[:max_lines]
    lines[-1] = _with_ellipsis(lines[-1], smallest, width)
    return smallest, lines


def layout_text(size: tuple[int, int], prompt: str, *, header: str, footer: str) -> Layout:
    """Place `header` (small), `prompt` (large) and `footer` (small) on an image of `size`."""
    width, height = size
    prompt = clean(prompt) or "(empty prompt)"
    header, footer = clean(header), clean(footer)
    if not isinstance(_chain(MIN_LABEL_SIZE)[0], ImageFont.FreeTypeFont):
        # Pillow's bitmap font knows Latin-1 only
        prompt, header, footer = (
            t.encode("latin-1", "replace").decode("latin-1") for t in (prompt, header, footer)
        )
    margin = max(1, round(min(width, height) * 0.04))
    label = max(MIN_LABEL_SIZE, min(MAX_LABEL_SIZE, round(max(width, height) / 30)))
    pad = max(1, round(label * 0.7))
    inner_width = width - 2 * (margin + pad)
    inner_height = height - 2 * (margin + pad)
    empty = Layout((0, 0, 0, 0), max(0, inner_width), (), [], 0)
    if inner_width < SMALLEST_SIZE or inner_height < SMALLEST_SIZE:
        return empty
    gap = max(1, label // 2)
    label_height = _line_height(label)
    heads = wrap(header, label, inner_width, 2)[0][:2] if header else []
    foot_size = label  # the taskId on one line when a smaller size allows it
    while foot_size > MIN_LABEL_SIZE and text_width(footer, foot_size) > inner_width:
        foot_size -= 1
    feet = wrap(footer, foot_size, inner_width, 2)[0][:2] if footer else []
    largest = max(MIN_PROMPT_SIZE, min(MAX_PROMPT_SIZE, round(width / 11)))
    fit = None
    for labels in ((heads, feet), (heads, []), ([], [])):  # drop the footer, then the header
        used = sum(len(part) * label_height + gap for part in labels if part)
        room = inner_height - used
        if _line_height(MIN_PROMPT_SIZE) <= room or labels == ([], []):
            fit = _prompt_fit(prompt, room, inner_width, largest)
            heads, feet = labels
            break
    if fit is None:
        return empty
    prompt_size, prompt_lines = fit
    prompt_height = len(prompt_lines) * _line_height(prompt_size)
    content = prompt_height + sum(len(part) * label_height + gap for part in (heads, feet) if part)
    top = margin + max(0, (height - 2 * margin - content - 2 * pad) // 2)
    panel = (margin, top, width - margin, min(height - margin, top + content + 2 * pad))
    y = top + pad
    lines: list[Line] = []
    for text in heads:
        lines.append(Line(text, label, y, LABEL_FILL))
        y += label_height
    y += gap if heads else 0
    for text in prompt_lines:
        lines.append(Line(text, prompt_size, y, PROMPT_FILL))
        y += _line_height(prompt_size)
    y += gap if feet else 0
    for text in feet:
        lines.append(Line(text, foot_size, y, LABEL_FILL))
        y += label_height
    return Layout(panel, inner_width, tuple(lines), prompt_lines, prompt_size)


def _draw_line(draw: ImageDraw.ImageDraw, x: int, line: Line) -> None:
    chain = _chain(line.size)
    base = chain[0]
    if not isinstance(base, ImageFont.FreeTypeFont):
        draw.text((x, line.top), line.text, font=base, fill=line.fill)
        return
    baseline = line.top + round(line.size * 1.0)
    for index, run in _runs(line.text):
        font = chain[index]
        draw.text((x, baseline), run, font=font, fill=line.fill, anchor="ls")
        x += round(font.getlength(run))


def draw_caption(image: Image.Image, *, prompt: str, header: str, footer: str) -> Image.Image:
    """`image` (RGB) with the panel and the words drawn on it, as a new RGB image."""
    with _lock:
        layout = layout_text(image.size, prompt, header=header, footer=footer)
        if not layout.lines:
            return image
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        left, top, right, bottom = layout.panel
        radius = max(0, min(12, (bottom - top) // 4))
        ImageDraw.Draw(overlay).rounded_rectangle(
            (left, top, right - 1, bottom - 1), radius=radius, fill=PANEL_FILL
        )
        result = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
        draw = ImageDraw.Draw(result)
        x = left + (right - left - layout.text_width) // 2
        for line in layout.lines:
            _draw_line(draw, x, line)
        return result
