"""File names from a template, for `save(name=)`, `generate(name=)`, `generate_many(name=)` and
`liangxin batch --name`.

A template is a relative path with placeholders: `{key}`, `{row}` (1-based), `{model}`,
`{task_id}`, `{n}` (the n-th image of a task, 1-based), `{prompt}` (a slug) and any input field
of the request (`{aspect_ratio}`); a format spec works as in `str.format` (`{row:04d}`). Every
name is checked before anything is sent or written (`InvalidNameError`): an unknown placeholder,
a value with a path separator, and a path that could leave the output directory or that some
file system refuses (`..`, absolute, empty segments, reserved characters and names, NUL, over
long) never get as far as a createTask. The extension follows the content: a template's image
extension is kept when the result is of that type, replaced (with a `NameSuffixWarning`)
otherwise, and added when the template has none.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping
from typing import Any

from liangxin_client._errors import InvalidNameError
from liangxin_client._warnings import NameSuffixWarning, warn

#: The placeholders every template may use besides the request's input fields.
PLACEHOLDERS = ("key", "row", "model", "task_id", "n", "prompt")
#: Extensions a template may carry (the content decides which one is written).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".mp4")
#: `{prompt}` is cut to this many characters.
PROMPT_SLUG_LENGTH = 48
#: Longest path segment in UTF-8 bytes (255 is the common limit; saving adds a temporary
#: `.<name>.XXXXXXXX.part` beside it) and longest whole name.
MAX_SEGMENT_BYTES = 200
MAX_NAME_BYTES = 1000

_LATE = frozenset({"task_id", "n"})  # known once a task exists / an image is saved
_RESERVED = frozenset('<>:"|?*')
_WINDOWS = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{p}{d}" for p in ("COM", "LPT") for d in "123456789"}
)
_SAME_TYPE = {".jpeg": ".jpg"}
_MEDIA_SUFFIXES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "video/mp4": ".mp4",
}
#: A task id as long as any seen, to check a name's length before the real one exists.
_SAMPLE_TASK_ID = "task_" + "0" * 40


def prompt_slug(prompt: object) -> str:
    """`A Tea bottle, on stone!` → `a-tea-bottle-on-stone` (letters of any script kept)."""
    text = unicodedata.normalize("NFKC", str(prompt)).lower()
    slug = re.sub(r"[^\w]+|_+", "-", text).strip("-")[:PROMPT_SLUG_LENGTH].strip("-")
    return slug or "prompt"


def safe_task_id(task_id: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in task_id)
    return safe or "task"


def real_suffix(url_suffix: str, content_type: str | None) -> str:
    """The result's extension: from its content type, else its URL, else `.bin`."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media in _MEDIA_SUFFIXES:
        return _MEDIA_SUFFIXES[media]
    suffix = url_suffix.lower()
    return _SAME_TYPE.get(suffix, suffix) if suffix in IMAGE_SUFFIXES else ".bin"


def _image_suffix(name: str) -> tuple[str, str | None]:
    """(stem, the template's image extension as written or None)."""
    dot = name.rfind(".")
    if dot > name.rfind("/") and name[dot:].lower() in IMAGE_SUFFIXES:
        return name[:dot], name[dot:]
    return name, None


def check_path(name: str) -> None:
    """Raise `InvalidNameError` unless `name` is a safe relative path inside the output."""

    def bad(reason: str) -> InvalidNameError:
        return InvalidNameError(f"{name!r}: {reason}", "name")

    if not name:
        raise bad("the name is empty")
    if "\x00" in name:
        raise bad("it contains a NUL byte")
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        raise bad("an absolute path; a name is relative to the output directory")
    if "\\" in name:
        raise bad("a backslash; separate directories with /")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise bad("it contains a control character")
    reserved = sorted({c for c in name if c in _RESERVED})
    if reserved:
        raise bad(f"{''.join(reserved)!r} cannot be in a file name (Windows, macOS)")
    if len(name.encode()) > MAX_NAME_BYTES:
        raise bad(f"longer than {MAX_NAME_BYTES} bytes")
    for segment in name.split("/"):
        if segment in (".", ".."):
            raise bad(f"{segment!r} would leave the output directory or name it")
        if not segment:
            raise bad("an empty path segment (a leading, trailing or double /)")
        if segment.startswith("."):
            raise bad(f"{segment!r} starts with a dot (a hidden file)")
        if segment[-1] in ". ":
            raise bad(f"{segment!r} ends with a dot or a space (Windows drops them)")
        if segment.split(".")[0].rstrip().upper() in _WINDOWS:
            raise bad(f"{segment!r} is a reserved name on Windows")
        if len(segment.encode()) > MAX_SEGMENT_BYTES:
            raise bad(f"a part longer than {MAX_SEGMENT_BYTES} bytes")


Piece = tuple[str, str | None, str]  # (literal text, placeholder or None, format spec)


class NameTemplate:
    """A checked naming template (`InvalidNameError` at once for a malformed one).

    `aliases` names a placeholder after another (`liangxin batch --key-column sku` makes `{sku}`
    the key). `plan(values)` fills in everything but `{task_id}` and `{n}`.
    """

    def __init__(self, template: str, *, aliases: Mapping[str, str] | None = None) -> None:
        self.template = template
        self.aliases = dict(aliases or {})
        pieces: list[Piece] = []
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError as exc:
            raise InvalidNameError(f"name template {template!r}: {exc}", "name") from None
        for literal, field, spec, conversion in parsed:
            if field is not None and not field.isidentifier():
                raise InvalidNameError(
                    f"name template {template!r}: {{{field}}} is not a placeholder "
                    f"(names like {{key}}, {{row}}, {{n}}, or an input field)",
                    "name",
                )
            if conversion:
                raise InvalidNameError(
                    f"name template {template!r}: no !{conversion} conversions", "name"
                )
            pieces.append((literal, field, spec or ""))
        if not template.strip():
            raise InvalidNameError("the name template is empty", "name")
        self.pieces = tuple(pieces)
        self.fields = frozenset(self.aliases.get(f, f) for _, f, _ in pieces if f)
        # A literal part that can never be safe fails here, once (not once per request).
        check_path("".join(lit + ("x" if field else "") for lit, field, _ in pieces))

    def __repr__(self) -> str:
        return f"NameTemplate({self.template!r})"

    @property
    def per_task(self) -> bool:
        """Names with `{task_id}` differ from task to task (no clash between requests)."""
        return "task_id" in self.fields

    def plan(self, values: Mapping[str, Any]) -> NamePlan:
        """This request's name: `values` fill every placeholder but `{task_id}` and `{n}`;
        checked with a sample task id (`InvalidNameError`)."""
        parts: list[str | tuple[str, str]] = []
        for literal, field, spec in self.pieces:
            parts.append(literal)
            if field is None:
                continue
            source = self.aliases.get(field, field)
            if source in _LATE:
                parts.append((source, spec))
                continue
            value = values.get(source)
            if value is None:
                raise InvalidNameError(
                    f"{{{field}}}: " + _missing(source, values, self.template), "name"
                )
            if source == "prompt":
                value = prompt_slug(value)
            try:
                text = format(value, spec)
            except (ValueError, TypeError) as exc:
                raise InvalidNameError(f"{{{field}:{spec}}}: {exc}", "name") from None
            if "/" in text or "\\" in text:
                raise InvalidNameError(
                    f"{{{field}}} is {text!r}: a value may not hold / or \\ (put directories "
                    "in the template)",
                    "name",
                )
            parts.append(text)
        plan = NamePlan(tuple(parts), "n" in self.fields)
        check_path(plan.first())  # as written, then as saved (an extension added)
        check_path(plan.first() + ("" if plan.suffixed else ".png"))
        return plan


def _missing(source: str, values: Mapping[str, Any], template: str) -> str:
    if source in ("key", "row") or source in values:
        return f"this request has no {source} (template {template!r})"
    known = sorted({*PLACEHOLDERS, *(k for k, v in values.items() if v is not None)})
    return f"unknown placeholder in {template!r}; known here: " + ", ".join(
        f"{{{k}}}" for k in known
    )


class NamePlan:
    """One request's name with `{task_id}` and `{n}` still open."""

    def __init__(self, parts: tuple[str | tuple[str, str], ...], numbered: bool) -> None:
        self.parts = parts
        self.numbered = numbered

    def _render(self, task_id: str, n: int) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                field, spec = part
                value: object = safe_task_id(task_id) if field == "task_id" else n
                out.append(format(value, spec))
        return "".join(out)

    def claim(self) -> str | None:
        """What two requests' names must not share (None: the name has `{task_id}`): the first
        image's name without its extension, case-folded (macOS and Windows ignore case)."""
        if any(not isinstance(p, str) and p[0] == "task_id" for p in self.parts):
            return None
        stem, _ = _image_suffix(self._render("", 1))
        return unicodedata.normalize("NFC", stem).casefold()

    def name(self, task_id: str, n: int, suffix: str) -> str:
        """The file name of image `n` (1-based) of `task_id` whose content is of type `suffix`.

        Without `{n}` in the template, images after the first get `_<n>` (never overwritten).
        """
        stem, wanted = _image_suffix(self._render(task_id, n))
        if not self.numbered and n > 1:
            stem += f"_{n}"
        if wanted is None:
            return stem + suffix
        if suffix == ".bin" or _SAME_TYPE.get(wanted.lower(), wanted.lower()) == suffix:
            return stem + wanted
        warn(
            NameSuffixWarning(
                f"task {task_id}: result {n} is {suffix[1:].upper()}, not "
                f"{wanted[1:].upper()}: saved as {stem + suffix}, not {stem + wanted}",
                "name",
            )
        )
        return stem + suffix

    @property
    def suffixed(self) -> bool:
        """The template gives an image extension."""
        return _image_suffix(self._render("", 1))[1] is not None

    def first(self, task_id: str = _SAMPLE_TASK_ID) -> str:
        """The first image's name as the template writes it (its extension unchecked)."""
        stem, wanted = _image_suffix(self._render(task_id, 1))
        return stem + (wanted or "")


def name_values(body: Mapping[str, Any], key: str | None, index: int | None) -> dict[str, Any]:
    """The placeholders' values for one createTask body (`row` is `index` + 1)."""
    payload = body.get("input")
    values: dict[str, Any] = dict(payload) if isinstance(payload, Mapping) else {}
    values["model"] = body.get("model")
    values["prompt"] = values.get("prompt")
    values["key"] = key
    values["row"] = None if index is None else index + 1
    for late in _LATE:
        values.pop(late, None)
    return values


def as_template(name: str | NameTemplate | None) -> NameTemplate | None:
    if name is None or isinstance(name, NameTemplate):
        return name
    if not isinstance(name, str):
        raise TypeError(f"name must be a template string, not {type(name).__name__}")
    return NameTemplate(name)


def as_key(key: object) -> str | None:
    """A request's key as text (str or int); `InvalidNameError` for anything else."""
    if key is None:
        return None
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise InvalidNameError(f"a key must be text or a whole number, not {key!r}", "key")
    text = str(key)
    if not text.strip():
        raise InvalidNameError("a key may not be empty", "key")
    return text
