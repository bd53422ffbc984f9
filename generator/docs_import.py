"""`python -m generator docs-import PAGE... [--write] [--check]`: saved docs pages → snapshot.

Reads LiangXin docs pages as a maintainer saves them (the browser's text, or the site's
Markdown; see `generator/docs_pages.py`), turns them into the facts `openapi/docs/` records and
prints a fact-level diff against the snapshot, one line per fact with the page and line it came
from. `--write` applies the diff; every fact written carries `from: {page, modified, line}`.
What a page does not say is never written: parts that cannot be read are listed, facts of a
section that was cut short are never reported as removed, and guesses in the snapshot
(`inferred`/`upstream` facts) are only replaced by what a page states.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.docs_check import matches
from generator.docs_pages import Note, ReadPage, Row, read_page, split_sentences
from generator.snapshot_edit import SnapshotEditError, render_page, update_page_text

REPO = Path(__file__).resolve().parent.parent
ENVELOPE_ROWS = ("callBackUrl", "input")
INDEX = "INDEX.yaml"  # the snapshot's manifest of pages, where it has one
# Facts the phrasings below can state: only these can be "removed" by a page that lacks them.
READABLE = {"type", "required", "default", "conditional_default", "allowed", "open", "const"}
READABLE |= {"minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "format"}
READABLE |= {"items.type"}
NOT_FACTS = {"note", "tag", "tags", "from"}
HINT = re.compile(
    r"\d|\b(must|only|default|accepts?|between|at (most|least)|up to|maximum|minimum)\b", re.I
)
DIFFERS, USAGE = 1, 2


@dataclass(frozen=True)
class Change:
    """One fact that differs between a page and the snapshot."""

    kind: str  # added | removed | changed | confirmed
    stem: str
    where: str
    old: Any = None
    new: Any = None
    line: int | None = None

    def render(self, file: str) -> str:
        at = f"{file}:{self.line}" if self.line else file
        if self.kind == "changed":
            what = f"{self.where}: snapshot {show(self.old)}, page {show(self.new)}"
        elif self.kind == "confirmed":
            value = "" if self.new is None else f": {show(self.new)}"
            what = f"{self.where}{value} (was {self.old} in the snapshot, now stated by the page)"
        elif self.kind == "added":
            what = self.where if self.new is None else f"{self.where}: {show(self.new)}"
        else:
            what = self.where if self.old is None else f"{self.where}: {show(self.old)}"
        return f"{at}: {self.stem}: {self.kind} {what}"


def show(value: Any) -> str:
    if isinstance(value, dict | list):
        return yaml.safe_dump(
            value, default_flow_style=True, sort_keys=False, width=10**9, allow_unicode=True
        ).strip()
    return yaml.safe_dump(value, allow_unicode=True).removesuffix("\n").removesuffix("\n...")


@dataclass
class Import:
    """One page read against the snapshot: its changes, what was not read, the new page."""

    read: ReadPage
    snapshot: dict[str, dict[str, Any]]
    stem: str | None = None
    changes: list[Change] = field(default_factory=list)
    common: list[Note] = field(default_factory=list)
    info: list[Note] = field(default_factory=list)
    new_page: dict[str, Any] | None = None
    old_page: dict[str, Any] | None = None

    @property
    def problems(self) -> list[Note]:
        return [*self.read.unread, *self.common]


# ---------------------------------------------------------------- note sentences → facts


def typed(value: str, kind: str) -> Any:
    """A value written on the page, as the field's JSON type."""
    value = value.strip().strip("`\"'")
    if kind == "integer" and re.fullmatch(r"-?\d+", value):
        return int(value)
    if kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value)
    if kind == "boolean" and value in {"true", "false"}:
        return value == "true"
    return value


def split_list(text: str) -> list[str]:
    parts = re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", text.strip())
    return [p.strip().strip("`\"'") for p in parts if p.strip()]


@dataclass
class Facts:
    """Facts of one field read from its row, and the sentences not understood."""

    values: dict[str, Any] = field(default_factory=dict)
    family: str | None = None
    unread: list[str] = field(default_factory=list)


def bounds(kind: str) -> tuple[str, str]:
    if kind == "string":
        return "minLength", "maxLength"
    if kind == "array":
        return "minItems", "maxItems"
    return "minimum", "maximum"


def row_facts(row: Row) -> Facts:
    """Type, required and the facts its note states in the recurring phrasings."""
    out = Facts()
    kind = row.type
    item_type = None
    if kind.endswith("[]") or kind.startswith("array<"):
        item_type = kind.removesuffix("[]").removeprefix("array<").removesuffix(">")
        kind = "array"
    out.values["type"] = kind
    out.values["required"] = row.required
    if item_type:
        out.values["items"] = {"type": item_type}
    if row.default is not None:
        out.values["default"] = typed(row.default, kind)
    low, high = bounds(kind)
    for sentence in split_sentences(row.note):
        if not read_sentence(sentence, kind, low, high, out) and HINT.search(sentence):
            out.unread.append(sentence)
    return out


def read_sentence(sentence: str, kind: str, low: str, high: str, out: Facts) -> bool:
    """Apply one sentence's fact to `out`; False when it states nothing we can read."""
    if not sentence.endswith("."):
        return False
    body = sentence[:-1]
    v = out.values
    if found := re.fullmatch(r"Must be `?(?P<v>[^`\s]+)`?", body):
        v["const"] = typed(found["v"], kind)
    elif found := re.fullmatch(r"Defaults to `?(?P<v>[^`\s]+?)`?(?: when (?P<when>.+))?", body):
        if found["when"]:
            v["conditional_default"] = {"value": typed(found["v"], kind), "when": found["when"]}
        else:
            v["default"] = typed(found["v"], kind)
    elif found := re.fullmatch(
        r"Accepts (?P<list>.+?)(?: and (?P<family>[\w-]+(?: [\w-]+)?) aliases)?", body
    ):
        v["allowed"] = [typed(x, kind) for x in split_list(found["list"])]
        out.family = found["family"]
    elif found := re.fullmatch(
        r"(?:Accepts )?[Oo]nly `?(?P<v>[\w./:+-]+)`?(?: is accepted)?", body
    ):
        v["allowed"] = [typed(found["v"], kind)]
    elif re.match(r"Non-empty\b", body):
        v[low] = 1
    elif found := re.search(r"\b(?P<a>\d+) to (?P<b>\d+)\b", body):
        v[low], v[high] = int(found["a"]), int(found["b"])
    elif found := re.search(r"\b[Uu]p to (?P<n>\d+)\b|\b[Aa]t most (?P<m>\d+)\b", body):
        v[high] = int(found["n"] or found["m"])
    elif found := re.search(r"\b[Aa]t least (?P<n>\d+)\b", body):
        v[low] = int(found["n"])
    elif re.match(r"Optional\b", body):
        pass
    else:
        return False
    if re.search(r"\bpublic HTTPS URL\b", body, re.I):
        v["format"], v["pattern"] = "uri", "^https://"
    return True


def note_facts(
    notes: list[Note],
) -> tuple[list[tuple[dict[str, Any], int]], list[tuple[dict[str, Any], int]], list[Note]]:
    """Rules and statuses from the notes under the table, and the sentences not understood."""
    rules: list[tuple[dict[str, Any], int]] = []
    statuses: list[tuple[dict[str, Any], int]] = []
    unread: list[Note] = []
    for note in notes:
        for sentence in split_sentences(note.text):
            body = sentence.removesuffix(".")
            fields = re.findall(r"input\.(\w+)", body)
            if not sentence.endswith("."):
                unread.append(Note(note.line, f"note cut short, not read: {sentence!r}"))
            elif found := re.fullmatch(r"(?P<when>.+?) returns HTTP (?P<code>\d{3})", body):
                when = found["when"][0].lower() + found["when"][1:]
                entry = {"operation": "createTask", "status": int(found["code"]), "when": when}
                statuses.append((entry, note.line))
            elif re.fullmatch(r"input\.\w+ and input\.\w+ must be (?:sent|given) together", body):
                rules.append(({"kind": "together", "fields": fields}, note.line))
            elif found := re.fullmatch(
                r"(?:input\.\w+(?:, | and ))+input\.\w+ together hold (?:up to|at most) (?P<n>\d+) items",
                body,
            ):
                rule = {"kind": "max-total-items", "fields": fields, "max": int(found["n"])}
                rules.append((rule, note.line))
            elif found := re.fullmatch(
                r"When both input\.(?P<a>\w+) and input\.(?P<b>\w+) are given, input\.(?P<w>\w+) wins",
                body,
            ):
                over = found["b"] if found["w"] == found["a"] else found["a"]
                rules.append(
                    ({"kind": "precedence", "winner": found["w"], "over": over}, note.line)
                )
            else:
                unread.append(Note(note.line, f"note not understood, not read: {sentence!r}"))
    return rules, statuses, unread


# ---------------------------------------------------------------- the snapshot's facts


def flat_facts(facts: dict[str, Any], page_tag: str) -> dict[str, tuple[Any, str]]:
    """fact → (value, tag) for one snapshot field, items facts as `items.<fact>`."""
    tag = facts.get("tag", page_tag)
    tags = facts.get("tags", {})
    out = {k: (v, tags.get(k, tag)) for k, v in facts.items() if k not in NOT_FACTS | {"items"}}
    items = facts.get("items")
    if isinstance(items, dict):
        item_tag = items.get("tag", tag)
        item_tags = items.get("tags", {})
        for k, v in items.items():
            if k not in NOT_FACTS:
                out[f"items.{k}"] = (v, item_tags.get(k, tags.get(f"items.{k}", item_tag)))
    return out


def unflatten(flat: dict[str, tuple[Any, str]], page_tag: str) -> dict[str, Any]:
    """Field facts with `tag`/`tags` saying each fact's provenance relative to `page_tag`."""
    out: dict[str, Any] = {}
    items: dict[str, Any] = {}
    tags: dict[str, str] = {}
    counts: dict[str, int] = {}
    for _, tag in flat.values():
        counts[tag] = counts.get(tag, 0) + 1
    field_tag = (
        page_tag if page_tag in counts or not counts else max(counts, key=counts.__getitem__)
    )
    for name, (value, tag) in flat.items():
        if name.startswith("items."):
            items[name.removeprefix("items.")] = value
        else:
            out[name] = value
        if tag != field_tag:
            tags[name] = tag
    if items:
        item_tags = {k.removeprefix("items."): t for k, t in tags.items() if k.startswith("items.")}
        if item_tags and set(item_tags) == set(items) and len(set(item_tags.values())) == 1:
            items["tag"] = next(iter(item_tags.values()))
        elif item_tags:
            items["tags"] = item_tags
        out["items"] = items
    top_tags = {k: t for k, t in tags.items() if not k.startswith("items.")}
    if field_tag != page_tag:
        out["tag"] = field_tag
    if top_tags:
        out["tags"] = top_tags
    return out


def load_snapshot(docs: Path) -> dict[str, dict[str, Any]]:
    """Every page by file stem (a manifest `INDEX.yaml`, where there is one, is not a page)."""
    pages = sorted(p for p in docs.glob("*.yaml") if p.name != INDEX)
    return {p.stem: yaml.safe_load(p.read_text()) for p in pages}


def list_in_index(docs: Path, stem: str) -> None:
    """Add a new page to the manifest's `pages:` list (kept sorted), when there is a manifest."""
    path = docs / INDEX
    if not path.is_file():
        return
    lines = path.read_text().splitlines()
    start = lines.index("pages:") + 1
    end = start
    while end < len(lines) and lines[end].startswith("  - "):
        end += 1
    names = sorted({line[4:].strip() for line in lines[start:end]} | {stem})
    lines[start:end] = [f"  - {name}" for name in names]
    path.write_text("\n".join(lines) + "\n")


def family_values(
    snapshot: dict[str, dict[str, Any]], family: str, model: str, path: str
) -> list[Any] | None:
    """The aliases of `<family>-aliases.yaml` when its table applies to this model's field."""
    page = snapshot.get(f"{family.lower()}-aliases", {})
    aliases = page.get("aliases", {})
    if aliases.get("field") != path or model not in aliases.get("applies_to", {}):
        return None
    return [row["alias"] for row in aliases.get("table", [])]


# ---------------------------------------------------------------- page → diff


def stamp(imp: Import, line: int | None, facts: list[str] | None = None) -> dict[str, Any]:
    """The provenance of a written fact: the saved page, its timestamp and its line."""
    modified = imp.read.modified.text if imp.read.modified else None
    out: dict[str, Any] = {"page": imp.read.file, "modified": modified, "line": line}
    if facts is not None:
        out["facts"] = facts
    return out


def import_page(
    path: Path, snapshot: dict[str, dict[str, Any]], ignore: frozenset[str] = frozenset()
) -> Import:
    """Read one saved page and diff it against the snapshot (which is not changed)."""
    read = read_page(path, ignore)
    imp = Import(read, snapshot)
    model = read.model
    if model is None and read.examples:
        first = read.examples[0]
        model = Note(first.line, str(first.body["model"]))
        imp.info.append(
            Note(first.line, "no Model Value section: model value read from the example")
        )
    if model is None:
        read.cannot_read(
            read.title.line if read.title else 1, "no model value: the page was not imported"
        )
        return imp
    by_model = {p["model"]: stem for stem, p in snapshot.items() if "model" in p}
    imp.stem = by_model.get(model.text, model.text)
    old = snapshot.get(imp.stem)
    imp.old_page = old
    check_common(imp, snapshot)
    page = new_page_skeleton(imp, model) if old is None else copy.deepcopy(old)
    if read.truncated:
        last = max((n.line for n in read.unread), default=0)
        imp.info.append(
            Note(
                last,
                "the page is cut short (no 'Modified at'): nothing after this line "
                "was seen, so no fact is reported as removed",
            )
        )
    if not read.has_table:
        imp.info.append(
            Note(
                read.path.line if read.path else 1,
                "no field table: field facts not read (the snapshot's fields are kept)",
            )
        )
    diff_fields(imp, page, model)
    diff_rules(imp, page)
    diff_examples(imp, page)
    if old is None:
        imp.changes.insert(0, Change("added", imp.stem, f"page {imp.stem}.yaml", line=model.line))
    before = str(old.get("modified", "")) if old else ""
    if read.modified and before and read.modified.text[: len(before)] < before:
        imp.info.append(
            Note(
                read.modified.line,
                f"this page is older than the snapshot's "
                f"'modified' ({before}): its facts may be out of date",
            )
        )
    if imp.changes and read.modified:
        page["modified"] = read.modified.text
    imp.new_page = page
    return imp


def new_page_skeleton(imp: Import, model: Note) -> dict[str, Any]:
    title = imp.read.title.text if imp.read.title else model.text
    title = re.sub(r"(?<=[A-Za-z])(?=\d)", " ", title.replace(" - ", " "))
    return {
        "page": model.text,
        "title": title,
        "sources": [],
        "recovered": imp.read.has_table,
        "tag": "doc",
        "model": model.text,
        "fields": {},
    }


def diff_fields(imp: Import, page: dict[str, Any], model: Note) -> None:
    read, stem = imp.read, imp.stem or ""
    fields: dict[str, Any] = page.setdefault("fields", {})
    page_tag = page.get("tag", "doc")
    if read.has_table and page.get("recovered") is False:
        # The table is on the page now: the page becomes `doc`; kept guesses keep their tag.
        imp.changes.append(
            Change(
                "changed", stem, "recovered", False, True, read.rows[0].line if read.rows else None
            )
        )
        fields.update(
            {
                p: unflatten(flat_facts(f, page_tag), "doc") | keep_extras(f)
                for p, f in fields.items()
            }
        )
        for key in ("rules", "statuses", "examples"):
            for entry in page.get(key, []):
                entry.setdefault("tag", page_tag)
        page["recovered"], page["tag"] = True, "doc"
        imp.info.append(Note(0, "the page's field table is read now: review its free-text notes"))
        page_tag = "doc"
    rows = {row.name: row for row in read.rows if row.name not in ENVELOPE_ROWS}
    if "model" not in rows and "model" not in fields:
        fields["model"] = {
            "type": "string",
            "required": True,
            "const": model.text,
            "from": [stamp(imp, model.line, ["type", "required", "const"])],
        }
        imp.changes.append(
            Change("added", stem, "field model", None, {"const": model.text}, model.line)
        )
    for name, row in rows.items():
        facts = row_facts(row)
        for sentence in facts.unread:
            read.cannot_read(row.line, f"{name}: note not understood, not read: {sentence!r}")
        if facts.family:
            known = family_values(imp.snapshot, facts.family, model.text, name)
            if known is None:
                facts.values["open"] = True  # "and <family> aliases", a family with no table
            else:
                facts.values["allowed"] = facts.values["allowed"] + [
                    a for a in known if a not in facts.values["allowed"]
                ]
        if name == "model" and facts.values.get("const") not in (None, model.text):
            read.cannot_read(
                row.line, f"model row says {facts.values['const']!r}, Model Value {model.text!r}"
            )
        merge_field(imp, fields, name, facts.values, row, page_tag)
    if not read.table_complete:
        return
    # The model field is stated by Model Value even when the table has no `model` row.
    for name in [p for p in fields if p not in rows and p != "model"]:
        if all(tag == "doc" for _, tag in flat_facts(fields[name], page_tag).values()):
            imp.changes.append(Change("removed", stem, f"field {name}"))
            del fields[name]
        else:
            imp.info.append(
                Note(0, f"{name}: not on the page; kept (the snapshot has it as a guess)")
            )


def keep_extras(facts: dict[str, Any]) -> dict[str, Any]:
    return {k: facts[k] for k in ("note", "from") if k in facts}


def merge_field(
    imp: Import, fields: dict[str, Any], name: str, values: dict[str, Any], row: Row, page_tag: str
) -> None:
    stem = imp.stem or ""
    page_flat: dict[str, Any] = {}
    for k, v in values.items():
        if k == "items":
            page_flat.update({f"items.{ik}": iv for ik, iv in v.items()})
        else:
            page_flat[k] = v
    if name not in fields:
        facts = dict(values)
        if row.note:
            facts["note"] = row.note
        facts["from"] = [stamp(imp, row.line, list(page_flat))]
        fields[name] = facts
        imp.changes.append(Change("added", stem, f"field {name}", None, values, row.line))
        return
    old = fields[name]
    flat = flat_facts(old, page_tag)
    touched: list[str] = []
    confirmed: dict[str, list[str]] = {}
    for fact, value in page_flat.items():
        if fact not in flat:
            imp.changes.append(Change("added", stem, f"{name} {fact}", None, value, row.line))
        else:
            before, tag = flat[fact]
            same = same_fact(fact, before, value)
            if fact == "allowed" and not same:
                for item in (v for v in value if v not in before):
                    imp.changes.append(
                        Change("added", stem, f"{name} allowed value", None, item, row.line)
                    )
                for item in (v for v in before if v not in value):
                    imp.changes.append(
                        Change("removed", stem, f"{name} allowed value", item, None, row.line)
                    )
            elif not same:
                imp.changes.append(
                    Change("changed", stem, f"{name} {fact}", before, value, row.line)
                )
            elif tag != "doc":
                confirmed.setdefault(tag, []).append(fact)
            else:
                continue  # the same fact (an allowed list in another order is the same list)
            if same and fact == "conditional_default":
                value = before  # the same default; keep the snapshot's wording of `when`
        flat[fact] = (value, "doc")
        touched.append(fact)
    for tag, names in confirmed.items():
        where = f"{name} {', '.join(names)}"
        imp.changes.append(Change("confirmed", stem, where, tag, None, row.line))
    if imp.read.table_complete:
        for fact in [f for f in flat if f in READABLE and f not in page_flat]:
            if flat[fact][1] == "doc":
                imp.changes.append(
                    Change("removed", stem, f"{name} {fact}", flat[fact][0], None, row.line)
                )
                del flat[fact]
                touched.append(fact)
    if not touched:
        return
    new = unflatten(flat, page_tag) | {k: old[k] for k in ("note",) if k in old}
    sources = [
        dict(s, facts=[f for f in s.get("facts", []) if f not in touched])
        for s in old.get("from", [])
    ]
    new["from"] = [s for s in sources if s["facts"]] + [stamp(imp, row.line, touched)]
    fields[name] = new


def same_fact(fact: str, before: Any, value: Any) -> bool:
    """Allowed lists compare as sets; a conditional default by its value; `open` by whether
    the list is open (`true` or the page's phrase, "supported aliases")."""
    if fact == "open":
        return bool(before) == bool(value)
    if fact == "allowed" and isinstance(before, list) and isinstance(value, list):
        return {show(v) for v in before} == {show(v) for v in value}
    if fact == "conditional_default" and isinstance(before, dict) and isinstance(value, dict):
        return bool(before.get("value") == value.get("value"))
    return bool(before == value)


def diff_rules(imp: Import, page: dict[str, Any]) -> None:
    rules, statuses, unread = note_facts(imp.read.notes)
    imp.read.unread.extend(unread)
    stem = imp.stem or ""
    complete = imp.read.notes_complete
    old_rules = list(page.get("rules", []))
    keep: list[dict[str, Any]] = []
    for rule in old_rules:
        same = [(r, n) for r, n in rules if rule_key(r) == rule_key(rule)]
        if same and same[0][0].get("max") != rule.get("max"):
            imp.changes.append(
                Change(
                    "changed",
                    stem,
                    f"rule {rule_key(rule)} max",
                    rule.get("max"),
                    same[0][0]["max"],
                    same[0][1],
                )
            )
            keep.append({**rule, "max": same[0][0]["max"], "from": stamp(imp, same[0][1])})
        elif same or not complete or rule.get("tag", page.get("tag", "doc")) != "doc":
            keep.append(rule)
        else:
            imp.changes.append(Change("removed", stem, f"rule {rule_key(rule)}", old=None))
    for rule, number in rules:
        if not any(rule_key(r) == rule_key(rule) for r in old_rules):
            imp.changes.append(Change("added", stem, f"rule {rule_key(rule)}", None, rule, number))
            keep.append({**rule, "from": stamp(imp, number)})
    if keep or "rules" in page:
        page["rules"] = keep
    old_statuses = list(page.get("statuses", []))
    kept: list[dict[str, Any]] = []
    for status in old_statuses:
        if (
            any(status_key(s) == status_key(status) for s, _ in statuses)
            or not complete
            or status.get("tag", page.get("tag", "doc")) != "doc"
        ):
            kept.append(status)
        else:
            imp.changes.append(
                Change("removed", stem, f"status {status_key(status)}", old=status.get("when"))
            )
    for status, number in statuses:
        if not any(status_key(s) == status_key(status) for s in old_statuses + kept):
            imp.changes.append(
                Change("added", stem, f"status {status_key(status)}", None, status["when"], number)
            )
            kept.append({**status, "from": stamp(imp, number)})
    if kept or "statuses" in page:
        page["statuses"] = kept
    for key in ("rules", "statuses"):
        if not page.get(key):
            page.pop(key, None)


def rule_key(rule: dict[str, Any]) -> str:
    if rule["kind"] == "precedence":
        return f"precedence({rule['winner']} over {rule['over']})"
    return f"{rule['kind']}({', '.join(sorted(rule.get('fields', [])))})"


def status_key(status: dict[str, Any]) -> str:
    return f"{status.get('operation', 'createTask')} {status['status']}"


def diff_examples(imp: Import, page: dict[str, Any]) -> None:
    stem, read = imp.stem or "", imp.read
    old = list(page.get("examples", []))
    seen: list[Any] = []
    bodies = []
    for example in read.examples:
        if example.body.get("model") != page.get("model") or example.body in seen:
            continue
        seen.append(example.body)
        bodies.append(example)
    out = []
    for entry in old:
        found = [e for e in bodies if matches(entry["body"], e.body)]
        tag = entry.get("tag", page.get("tag", "doc"))
        if found and tag != "doc":
            # Our own example turns out to be the page's: it is documented now.
            confirmed = {k: v for k, v in entry.items() if k not in {"tag", "note"}}
            confirmed["from"] = stamp(imp, found[0].line)
            if page.get("tag", "doc") != "doc":
                confirmed["tag"] = "doc"
            out.append(confirmed)
            change = Change(
                "confirmed", stem, f"example {entry['name']!r}", tag, None, found[0].line
            )
            imp.changes.append(change)
        elif found or tag != "doc" or read.truncated or not read.examples:
            out.append(entry)
        else:
            imp.changes.append(Change("removed", stem, f"example {entry['name']!r}"))
    names = {e["name"] for e in out}
    for example in bodies:
        if any(matches(entry["body"], example.body) for entry in old):
            continue
        base = "minimal" if example.section == "Minimal Runnable Example" else "request"
        name, n = base, 2
        while name in names:
            name, n = f"{base}-{n}", n + 1
        names.add(name)
        entry = {"name": name, "body": example.body, "from": stamp(imp, example.line)}
        out.append(entry)
        imp.changes.append(
            Change("added", stem, f"example {name!r}", None, example.body, example.line)
        )
    if out:
        page["examples"] = out


def check_common(imp: Import, snapshot: dict[str, dict[str, Any]]) -> None:
    """Facts model pages repeat from the common pages: any difference is reported, not written."""
    read = imp.read
    create = snapshot.get("endpoints", {}).get("operations", {}).get("createTask", {})
    if (
        read.path
        and create
        and (read.method, read.path.text) != (create.get("method"), create.get("path"))
    ):
        imp.common.append(
            Note(
                read.path.line,
                f"endpoints: createTask is {create.get('method', '').upper()} {create.get('path')} in the snapshot, page says {str(read.method).upper()} {read.path.text}",
            )
        )
    query = snapshot.get("get-task-details", {}).get("operations", {}).get("getTaskDetails", {})
    if read.query_path and query and read.query_path.text != query.get("path"):
        imp.common.append(
            Note(
                read.query_path.line,
                f"get-task-details: recordInfo path is {query.get('path')} in the snapshot, page says {read.query_path.text}",
            )
        )
    responses = {int(k) for k in create.get("responses", {}) if int(k) >= 400}
    if read.statuses:
        listed = {code for code, _, _ in read.statuses}
        number = read.statuses[0][2]
        for code in sorted(listed - responses):
            imp.common.append(
                Note(
                    number,
                    f"endpoints: status {code} is on the page, not in the snapshot (edit endpoints.yaml by hand)",
                )
            )
        for code in sorted(responses - listed):
            imp.common.append(
                Note(
                    number,
                    f"endpoints: status {code} is in the snapshot, not in the page's common statuses (edit endpoints.yaml by hand)",
                )
            )
    every: dict[str, dict[str, Any]] = {}
    for stem in ("endpoints", "callbacks"):
        for name, facts in (
            snapshot.get(stem, {})
            .get("operations", {})
            .get("createTask", {})
            .get("every_variant", {})
            .items()
        ):
            every.setdefault(name, {}).update(
                {k: v for k, v in facts.items() if k not in NOT_FACTS}
            )
    for row in read.rows:
        if row.name in ENVELOPE_ROWS and row.name in every:
            facts = row_facts(row).values
            for fact, value in facts.items():
                if fact in every[row.name] and every[row.name][fact] != value:
                    imp.common.append(
                        Note(
                            row.line,
                            f"{row.name} {fact}: common pages say {show(every[row.name][fact])}, page {show(value)} (edit endpoints/callbacks by hand)",
                        )
                    )


# ---------------------------------------------------------------- driver


def run_import(pages: list[Path], docs: Path, ignore: frozenset[str] = frozenset()) -> list[Import]:
    """Each page against the snapshot as the pages before it left it (so two pages compose)."""
    snapshot = load_snapshot(docs)
    out = []
    for path in pages:
        imp = import_page(path, snapshot, ignore)
        out.append(imp)
        if imp.stem and imp.new_page is not None and imp.changes:
            snapshot[imp.stem] = imp.new_page
    return out


def writable(imp: Import) -> str | None:
    """Why this page's changes cannot be written, or None."""
    if imp.read.modified is None:
        return "the page has no 'Modified at' timestamp (cut short?), so its facts cannot be dated"
    return None


def write(imp: Import, docs: Path) -> Path:
    assert imp.stem is not None and imp.new_page is not None
    target = docs / f"{imp.stem}.yaml"
    if imp.old_page is None:
        target.write_text(render_page(imp.new_page))
        list_in_index(docs, imp.stem)
    else:
        target.write_text(update_page_text(target.read_text(), imp.old_page, imp.new_page))
    return target


def main(argv: list[str]) -> int:
    """Exit 0 when done (with --check: when no page differs and all was read), 1 otherwise."""
    parser = argparse.ArgumentParser(
        prog="python -m generator docs-import",
        description="Read saved LiangXin docs pages into a fact-level diff against openapi/docs/.",
    )
    parser.add_argument(
        "pages", nargs="+", type=Path, metavar="PAGE", help="saved page (.txt or .md)"
    )
    parser.add_argument("--docs", type=Path, default=REPO / "openapi" / "docs", help="snapshot dir")
    parser.add_argument("--write", action="store_true", help="apply the diff to the snapshot")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a page differs from the snapshot or could not be read whole",
    )
    parser.add_argument(
        "--ignore-section",
        action="append",
        default=[],
        metavar="NAME",
        help="a section known to hold no facts (e.g. Pricing): not reported as unknown",
    )
    args = parser.parse_args(argv)
    missing = [p for p in args.pages if not p.is_file()]
    if missing:
        print(f"docs-import: no such page: {', '.join(map(str, missing))}", file=sys.stderr)
        return USAGE
    if not args.docs.is_dir():
        print(f"docs-import: no snapshot directory {args.docs}", file=sys.stderr)
        return USAGE
    imports = run_import(args.pages, args.docs, frozenset(args.ignore_section))
    changed = unread = 0
    for imp in imports:
        report(imp)
        changed += len(imp.changes)
        unread += len(imp.problems)
    written: list[Path] = []
    if args.write:
        for imp in imports:
            if not imp.changes or imp.stem is None:
                continue
            if writable(imp):
                continue  # said in the report above
            try:
                written.append(write(imp, args.docs))
            except SnapshotEditError as exc:
                print(f"{imp.read.file}: not written: {exc}", file=sys.stderr)
                return USAGE
    pages = len({imp.stem for imp in imports if imp.changes})
    summary = f"docs-import: {changed} change(s) in {pages} page(s), {unread} part(s) not read"
    if written:
        files = ", ".join(shown_path(p) for p in written)
        summary += f"; wrote {files} (now run: {python_command()} -m generator docs-check)"
    elif not args.write and any(imp.changes and writable(imp) is None for imp in imports):
        summary += "; --write applies them"
    print(summary)
    if args.check and (changed or unread):
        return DIFFERS
    return 0


def shown_path(path: Path) -> str:
    """`path` as the user can type it from here: relative under the working directory."""
    try:
        return path.absolute().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def python_command() -> str:
    """The interpreter running this, as a command to type: `.venv/bin/python` in a fresh clone
    (where a bare `python` lacks the project's dependencies), `python` when it is elsewhere."""
    exe = Path(sys.executable)
    try:
        relative = exe.relative_to(Path.cwd())
    except ValueError:
        return "python"
    return relative.as_posix() if len(relative.parts) > 1 else f"./{relative.as_posix()}"


def report(imp: Import) -> None:
    read = imp.read
    stamp_text = (
        f"Modified at {read.modified.text}" if read.modified else "no 'Modified at' (cut short?)"
    )
    target = f"{imp.stem}.yaml" if imp.stem else "(no snapshot page)"
    print(f"{read.file} ({read.form}, {stamp_text}) -> {target}")
    for change in imp.changes:
        print(f"  {change.render(read.file)}")
    for note in imp.common:
        print(f"  {read.file}:{note.line}: common: {note.text}")
    for note in sorted(read.unread, key=lambda n: n.line):
        print(f"  {read.file}:{note.line}: not read: {note.text}")
    for note in imp.info:
        where = f"{read.file}:{note.line}" if note.line else read.file
        print(f"  {where}: note: {note.text}")
    reason = writable(imp) if imp.changes else None
    if reason:
        print(f"  {read.file}: cannot be written: {reason}")
