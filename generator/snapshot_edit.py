"""Writing docs-snapshot pages in the house style, touching only the blocks that changed.

`update_page_text` replaces the YAML of changed fields and top-level keys in an existing page
file and leaves every other line as it was (hand-written wrapping and comments survive); the
result is re-read and must equal the intended page, or nothing is written.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

WIDTH = 100
# Top-level keys in the order the snapshot writes them.
PAGE_ORDER: tuple[str, ...] = (
    "page",
    "title",
    "sources",
    "modified",
    "recovered",
    "tag",
    "notes",
    "model",
)
PAGE_ORDER += ("fields", "rules", "statuses", "examples")
FIELD_ORDER: tuple[str, ...] = (
    "type",
    "required",
    "default",
    "allowed",
    "open",
    "const",
    "minimum",
    "maximum",
)
FIELD_ORDER += ("minLength", "maxLength", "minItems", "maxItems", "format", "pattern")
FIELD_ORDER += ("conditional_default", "items", "tag", "tags", "note", "from")


class SnapshotEditError(Exception):
    """The edited text would not read back as the intended page."""


def flow(value: Any) -> str:
    """One YAML flow-style line for a value (`{type: string, allowed: ['1:1', 2K]}`)."""
    text = yaml.safe_dump(
        value, default_flow_style=True, sort_keys=False, width=10**9, allow_unicode=True
    )
    return text.removesuffix("\n").removesuffix("\n...").strip()


def render(key: str, value: Any, indent: int) -> list[str]:
    """`key: value` lines at `indent`, flow style where the line fits, block style otherwise."""
    pad = " " * indent
    line = f"{pad}{flow(key)}: {flow(value)}"
    if len(line) <= WIDTH or (not isinstance(value, dict | list | str)) or not value:
        return [line]
    if isinstance(value, str):
        text = yaml.safe_dump({key: value}, width=WIDTH - indent, allow_unicode=True)
        return [pad + part for part in text.splitlines()]
    lines = [f"{pad}{flow(key)}:"]
    if isinstance(value, dict):
        for k, v in value.items():
            lines += render(str(k), v, indent + 2)
        return lines
    if all(not isinstance(item, dict | list) for item in value):
        return wrap_list(f"{pad}{flow(key)}: [", [flow(item) for item in value])
    for item in value:
        lines += render_item(item, indent + 2)
    return lines


def wrap_list(head: str, items: list[str]) -> list[str]:
    """A flow sequence wrapped at WIDTH, continuation lines aligned after the `[`."""
    lines, current = [], head
    for n, item in enumerate(items):
        piece = item + ("]" if n == len(items) - 1 else ",")
        if (
            current.endswith(("[", ","))
            and current != head
            and len(current) + 1 + len(piece) > WIDTH
        ):
            lines.append(current)
            current = " " * len(head) + piece
        else:
            current += ("" if current.endswith("[") else " ") + piece
    return [*lines, current]


def render_item(item: Any, indent: int) -> list[str]:
    """One `- ...` list entry."""
    pad = " " * indent
    line = f"{pad}- {flow(item)}"
    if len(line) <= WIDTH or not isinstance(item, dict) or not item:
        return [line]
    lines: list[str] = []
    for k, v in item.items():
        block = render(str(k), v, indent + 2)
        if not lines:
            block[0] = f"{pad}- {block[0].lstrip()}"
        lines += block
    return lines


def ordered(facts: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    known = [k for k in order if k in facts]
    return {k: facts[k] for k in [*known, *(k for k in facts if k not in order)]}


def render_field(path: str, facts: dict[str, Any]) -> list[str]:
    return render(path, ordered(facts, FIELD_ORDER), 2)


def render_page(page: dict[str, Any]) -> str:
    """A whole new page file."""
    lines: list[str] = []
    for key, value in ordered(page, PAGE_ORDER).items():
        lines += render_top(key, value)
    text = "\n".join(lines) + "\n"
    check(text, page)
    return text


def render_top(key: str, value: Any) -> list[str]:
    if key == "fields":
        lines = ["fields:"]
        for path, facts in value.items():
            lines += render_field(path, facts)
        return lines
    if isinstance(value, list) and value and any(isinstance(v, dict) for v in value):
        lines = [f"{key}:"]
        for item in value:
            lines += render_item(item, 2)
        return lines
    return render(key, value, 0)


# ---------------------------------------------------------------- editing an existing file


def spans(lines: list[str], start: int, end: int, indent: int) -> dict[str, tuple[int, int]]:
    """Key → (first line, end line) for the mapping entries at `indent` within [start, end)."""
    found: dict[str, tuple[int, int]] = {}
    key: str | None = None
    first = start
    pattern = re.compile(rf"^ {{{indent}}}(?P<key>[^\s#-][^:]*?|'[^']*'|\"[^\"]*\"):(?:\s|$)")
    for number in range(start, end):
        text = lines[number]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        depth = len(text) - len(text.lstrip())
        if depth < indent:
            break
        match = pattern.match(text) if depth == indent else None
        if match:
            if key is not None:
                found[key] = (first, number)
            key, first = str(yaml.safe_load(match["key"])), number
    if key is not None:
        last = end
        while last > first + 1 and not lines[last - 1].strip():
            last -= 1
        found[key] = (first, last)
    return found


def update_page_text(text: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    """The page file `text` (which reads as `old`) edited to read as `new`."""
    lines = text.splitlines()
    edits: list[tuple[int, int, list[str]]] = []
    top = spans(lines, 0, len(lines), 0)
    for key in [k for k in old if k not in new]:
        edits.append((*top[key], []))
    for key, value in new.items():
        if key in old and old[key] == value:
            continue
        if key == "fields" and key in top and isinstance(old.get(key), dict):
            edits += field_edits(lines, top[key], old[key], value)
        elif key in top and appended(old.get(key), value):
            start, end = top[key]
            indent = item_indent(lines[start + 1 : end])
            added = [line for item in value[len(old[key]) :] for line in render_item(item, indent)]
            edits.append((end, end, added))
        elif key in top:
            edits.append((*top[key], render_top(key, value)))
        else:
            at = insert_point(top, key, len(lines))
            edits.append((at, at, render_top(key, value)))
    for start, end, block in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines[start:end] = block
    result = "\n".join(lines) + "\n"
    check(result, new)
    return result


def item_indent(block: list[str]) -> int:
    """The indentation of a block's `- ` list entries (2 in the house style)."""
    for line in block:
        if line.lstrip().startswith("- "):
            return len(line) - len(line.lstrip())
    return 2


def appended(before: Any, after: Any) -> bool:
    """`after` is the list `before` with entries added at its end."""
    return (
        isinstance(before, list)
        and isinstance(after, list)
        and len(after) > len(before) > 0
        and after[: len(before)] == before
    )


def field_edits(
    lines: list[str], span: tuple[int, int], old: dict[str, Any], new: dict[str, Any]
) -> list[tuple[int, int, list[str]]]:
    found = spans(lines, span[0] + 1, span[1], 2)
    edits: list[tuple[int, int, list[str]]] = []
    for path in [p for p in old if p not in new]:
        edits.append((*found[path], []))
    tail: list[str] = []
    for path, facts in new.items():
        if path not in old:
            tail += render_field(path, facts)
        elif old[path] != facts:
            edits.append((*found[path], render_field(path, facts)))
    if tail:
        end = max((e for _, e in found.values()), default=span[0] + 1)
        edits.append((end, end, tail))
    return edits


def insert_point(top: dict[str, tuple[int, int]], key: str, length: int) -> int:
    """Where a new top-level key goes: after the last present key that precedes it."""
    if key not in PAGE_ORDER:
        return length
    before = PAGE_ORDER[: PAGE_ORDER.index(key)]
    ends = [top[k][1] for k in before if k in top]
    after = [top[k][0] for k in PAGE_ORDER[PAGE_ORDER.index(key) + 1 :] if k in top]
    if ends:
        return max(ends)
    return min(after) if after else length


def check(text: str, page: dict[str, Any]) -> None:
    try:
        back = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SnapshotEditError(
            f"the edited page is not valid YAML ({exc}); nothing written"
        ) from exc
    if back != page:
        raise SnapshotEditError("the edited page does not read back as intended; nothing written")
