"""The README's worked docs change ("When the LiangXin docs change"), applied and undone.

The walkthrough is something a reader does to this repository; the tests that replay it start
from the snapshot and contract as they were before it, whether or not the reader followed it.
The example adds a field to the Flux 2 Pro page and to `Flux2ProInput`, confirms the page's
inferred example and dates the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from generator import docs_import
from generator.docs_pages import read_page

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "tests" / "data" / "docs_pages" / "flux-2-pro-new-field.md"
SNAPSHOT_PAGE = "flux-2-pro.yaml"
SCHEMA = "Flux2ProInput"
FIELD = "safety_tolerance"
FIELD_FACTS = {"type": "integer", "minimum": 0, "maximum": 6, "default": 2}


def _written_by_the_example(fact: dict[str, Any]) -> bool:
    entries = fact.get("from", [])
    entries = entries if isinstance(entries, list) else [entries]
    return any(entry.get("page") == PAGE.name for entry in entries)


def undo(docs: Path, spec: Path) -> bool:
    """Take the example out of a snapshot copy and a contract copy; True if it was there."""
    path = docs / SNAPSHOT_PAGE
    page = yaml.safe_load(path.read_text())
    added = [name for name, fact in page["fields"].items() if _written_by_the_example(fact)]
    confirmed = [e for e in page["examples"] if _written_by_the_example(e)]
    stamp = read_page(PAGE).modified
    dated = stamp is not None and page.get("modified") == stamp.text
    if added or confirmed or dated:
        for name in added:
            del page["fields"][name]
        for example in confirmed:
            del example["from"]
            example.update(tag="inferred", note="Ours, written from the fields above.")
        page.pop("modified", None) if dated else None
        path.write_text(yaml.safe_dump(page, sort_keys=False, allow_unicode=True))
    removed = [_remove_property(spec, name.removeprefix("input.")) for name in added]
    return bool(added or confirmed or dated or any(removed))


def _remove_property(spec: Path, name: str) -> bool:
    """Remove `name` from the schema's properties, keeping the contract's layout."""
    lines = spec.read_text().splitlines(keepends=True)
    start = lines.index(f"    {SCHEMA}:\n")
    props = lines.index("      properties:\n", start)
    head = f"        {name}:\n"
    for at in range(props + 1, len(lines)):
        if _indent(lines[at]) < 8:
            return False  # the schema's properties ended without it
        if lines[at] == head:
            end = at + 1
            while end < len(lines) and _indent(lines[end]) > 8:
                end += 1
            spec.write_text("".join(lines[:at] + lines[end:]))
            return True
    return False


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" ")) if line.strip() else 99


def apply(docs: Path, spec: Path) -> None:
    """What the walkthrough does to them: write the page, add the field to the contract."""
    (imp,) = docs_import.run_import([PAGE], docs)
    docs_import.write(imp, docs)
    add_property(spec, SCHEMA, FIELD, FIELD_FACTS)


def add_property(spec: Path, schema: str, name: str, facts: dict[str, Any]) -> None:
    """Add `name` first in the schema's properties, as a reader edits the contract by hand."""
    text = spec.read_text()
    start = text.index(f"\n    {schema}:\n")
    props = text.index("\n      properties:\n", start) + len("\n      properties:\n")
    block = f"        {name}:\n" + "".join(f"          {k}: {v}\n" for k, v in facts.items())
    spec.write_text(text[:props] + block + text[props:])
