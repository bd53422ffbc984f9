"""Reading a saved LiangXin docs page (browser text or the site's Markdown) into facts.

A model page holds, in order: a navigation tree of page titles; the title (`<Family> - <Title>`);
the method and path; a one-line description; `Model Value` and the model string; `Request Body`
and the field table (in the text form its cells run together: `input.seedintegerNoOptional …`);
notes under the table; the sections `Minimal Runnable Example`, `Query Task Status`, `Callback`,
`Response And Error Format`; the request/response panels (a curl `--data-raw` body) and
`Modified at <timestamp>`. What cannot be read is listed in `ReadPage.unread`, never guessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KNOWN_SECTIONS = (
    "Model Value",
    "Request Body",
    "Minimal Runnable Example",
    "Query Task Status",
    "Callback",
    "Response And Error Format",
)
# Headings of the request/response panels at the end of a page: labels, not sections.
PANEL_LABELS = {"request", "response", "request example", "response example"}
# Column names a field table header may run together (text form) or separate (Markdown).
COLUMNS = {"field": "field", "name": "field", "parameter": "field", "type": "type"}
COLUMNS |= {"required": "required", "notes": "notes", "note": "notes", "description": "notes"}
COLUMNS |= {"default": "default"}
TYPES: tuple[str, ...] = ("string[]", "integer[]", "number[]", "array<string>", "array<integer>")
TYPES += ("string", "integer", "number", "boolean", "object", "array")
TYPE_RE = "|".join(re.escape(t) for t in TYPES)
FIELD_NAME = r"(?:model|callBackUrl|input(?:\.[A-Za-z_]\w*)*)"
TEXT_ROW = re.compile(rf"^(?P<name>{FIELD_NAME}?)(?P<type>{TYPE_RE})(?P<req>Yes|No)(?P<note>.*)$")
ROW_START = re.compile(rf"^{FIELD_NAME}")
METHOD_LINE = re.compile(r"^`?(?P<method>GET|POST|PUT|PATCH|DELETE)`?\s+`?(?P<path>/[^\s`]+)`?$")
MODIFIED = re.compile(r"^Modified at\s+(?P<at>\S.*?)\s*$")
MODEL_VALUE = re.compile(r"^`?(?P<model>[a-z0-9][a-z0-9.\-]*)`?$")
STATUS_PAIR = re.compile(r"^(?P<code>[1-5]\d\d)\s+(?P<meaning>.+)$")


@dataclass(frozen=True)
class Note:
    """One line of text on the page (1-based line number)."""

    line: int
    text: str


@dataclass(frozen=True)
class Row:
    """One row of the field table, as written on the page."""

    name: str
    type: str
    required: bool
    note: str
    line: int
    default: str | None = None


@dataclass(frozen=True)
class Example:
    """A request body the page shows (a JSON block or a curl `--data-raw`)."""

    section: str
    body: Any
    line: int


@dataclass
class ReadPage:
    """Everything read from one saved page, with the line each piece came from."""

    file: str
    form: str
    title: Note | None = None
    method: str | None = None
    path: Note | None = None
    description: Note | None = None
    model: Note | None = None
    rows: list[Row] = field(default_factory=list)
    has_table: bool = False
    table_complete: bool = False
    notes: list[Note] = field(default_factory=list)
    notes_complete: bool = False
    query_path: Note | None = None
    statuses: list[tuple[int, str, int]] = field(default_factory=list)
    envelopes: list[Example] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    modified: Note | None = None
    sections: list[Note] = field(default_factory=list)
    unread: list[Note] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        """A whole page ends with `Modified at …`; without it the page was cut short."""
        return self.modified is None

    def cannot_read(self, line: int, text: str) -> None:
        self.unread.append(Note(line, text))


# ---------------------------------------------------------------- lines and sections


def is_markdown(lines: list[str]) -> bool:
    """The Markdown form has `#` headings or `|` table rows; the text form has neither."""
    return any(re.match(r"^#{1,6} \S", line) or line.startswith("|") for line in lines)


def heading(line: str, markdown: bool) -> str | None:
    """The section name if the line is a heading (`Request Body#`, `## Request Body`)."""
    if markdown:
        found = re.match(r"^#{2,6}\s+(?P<name>.+?)\s*#?\s*$", line)
        return found["name"] if found else None
    found = re.match(r"^(?P<name>[A-Z][A-Za-z0-9 /&()'-]{1,60}?)\s*#$", line)
    return found["name"] if found else None


def split_sentences(text: str) -> list[str]:
    """Sentences of a note; a trailing fragment without a full stop is kept as is."""
    parts = re.split(r"(?<=\.)\s+(?=[A-Z`\"])", text.strip())
    return [p for p in parts if p]


def strip_code(text: str) -> str:
    return text.strip().strip("`").strip()


def read_json(text: str) -> Any:
    """JSON or None; the page's JSON is copied verbatim, so anything else is unreadable."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def blocks(numbered: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Runs of lines that form a JSON value or a curl command, each with its first line."""
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(numbered):
        number, text = numbered[i]
        if text.startswith("curl "):
            j = i + 1
            parts = [text]
            while j < len(numbered) and not heading_like(numbered[j][1]):
                parts.append(numbered[j][1])
                if numbered[j][1].rstrip().endswith("'") and "--data-raw" in "\n".join(parts):
                    j += 1
                    break
                j += 1
            out.append((number, "\n".join(parts)))
            i = j
            continue
        if text.startswith(("{", "[")):
            j, depth, parts = i, 0, []
            while j < len(numbered):
                parts.append(numbered[j][1])
                depth += numbered[j][1].count("{") + numbered[j][1].count("[")
                depth -= numbered[j][1].count("}") + numbered[j][1].count("]")
                j += 1
                if depth <= 0:
                    break
            out.append((number, "\n".join(parts)))
            i = j
            continue
        i += 1
    return out


def heading_like(text: str) -> bool:
    return text.endswith("#") or text.startswith("#") or bool(MODIFIED.match(text))


def curl_body(command: str) -> str | None:
    """The `--data-raw '…'` of a curl command, or None when it is not there whole."""
    found = re.search(r"--data-raw\s+'(?P<body>.*)'\s*$", command, re.S)
    return found["body"] if found else None


# ---------------------------------------------------------------- the page


def read_page(path: Path, ignore: frozenset[str] = frozenset()) -> ReadPage:
    """Read a saved page (text or Markdown); sections named in `ignore` are skipped quietly."""
    raw = path.read_text(encoding="utf-8")
    lines = [line.rstrip() for line in raw.splitlines()]
    markdown = is_markdown(lines)
    page = ReadPage(file=path.name, form="markdown" if markdown else "text")
    numbered = [(n, line.strip()) for n, line in enumerate(lines, 1) if line.strip()]
    numbered = [(n, t) for n, t in numbered if not t.startswith("```")]
    if markdown:  # inline code marks carry no facts
        numbered = [(n, t.replace("`", "")) for n, t in numbered]
    if not numbered:
        page.cannot_read(1, "the page is empty")
        return page
    if not find_modified(page, numbered):
        last = numbered.pop()
        page.cannot_read(last[0], f"last line of a page cut short, not read: {last[1]!r}")
    read_head(page, numbered, markdown)
    read_sections(page, numbered, markdown, {name.lower() for name in ignore})
    return page


def find_modified(page: ReadPage, numbered: list[tuple[int, str]]) -> bool:
    """Find `Modified at`; without it the page was cut short (and its last line may be cut)."""
    for number, text in reversed(numbered):
        found = MODIFIED.match(text)
        if found:
            page.modified = Note(number, found["at"])
            return True
    return False


def read_head(page: ReadPage, numbered: list[tuple[int, str]], markdown: bool) -> None:
    """Title, method and path, and the description line after them."""
    for index, (number, text) in enumerate(numbered):
        found = METHOD_LINE.match(text)
        if not found:
            continue
        page.method, page.path = found["method"].lower(), Note(number, found["path"])
        if markdown:
            titles = [(n, t) for n, t in numbered[:index] if re.match(r"^# \S", t)]
            if titles:
                page.title = Note(titles[-1][0], titles[-1][1][2:].strip())
        elif index > 0:
            page.title = Note(*numbered[index - 1])
        after = numbered[index + 1] if index + 1 < len(numbered) else None
        if after and heading(after[1], markdown) is None:
            page.description = Note(*after)
        break
    if page.path is None:
        page.cannot_read(
            numbered[0][0], "no method and path line (e.g. 'POST /api/v1/jobs/createTask')"
        )
    if page.title is None:
        page.cannot_read(numbered[0][0], "no page title before the method and path")


def read_sections(
    page: ReadPage, numbered: list[tuple[int, str]], markdown: bool, ignore: set[str]
) -> None:
    """Split the body into sections and read the known ones."""
    start = page.path.line if page.path else 0
    body = [(n, t) for n, t in numbered if n > start]
    cuts = [(i, name) for i, (n, t) in enumerate(body) if (name := heading(t, markdown))]
    cuts = [(i, name) for i, name in cuts if name.lower() not in PANEL_LABELS]
    # The panels (the curl request, the response example) follow the last section.
    last = cuts[-1][0] if cuts else 0
    panels = next((i for i in range(last, len(body)) if body[i][1].startswith("curl ")), len(body))
    for k, (i, name) in enumerate(cuts):
        end = cuts[k + 1][0] if k + 1 < len(cuts) else panels
        content = body[i + 1 : end]
        closed = k + 1 < len(cuts) or page.modified is not None
        number = body[i][0]
        page.sections.append(Note(number, name))
        reader = SECTION_READERS.get(name.lower())
        if reader is None and name.lower() in ignore:
            continue
        if reader is None:
            page.cannot_read(number, f"unknown section {name!r}: not read")
            continue
        reader(page, content, closed, markdown)
    read_panels(page, body[panels:])


def read_model_value(
    page: ReadPage, content: list[tuple[int, str]], closed: bool, markdown: bool
) -> None:
    for number, text in content:
        found = MODEL_VALUE.match(strip_code(text))
        if found:
            page.model = Note(number, found["model"])
            return
        page.cannot_read(number, f"model value not understood: {text!r}")
        return
    page.cannot_read(content[0][0] if content else 0, "Model Value section without a value")


def read_request_body(
    page: ReadPage, content: list[tuple[int, str]], closed: bool, markdown: bool
) -> None:
    """The field table, then the notes under it."""
    rest = read_table_md(page, content) if markdown else read_table_text(page, content)
    page.table_complete = page.has_table and (closed or bool(rest))
    page.notes.extend(Note(n, t) for n, t in rest)
    page.notes_complete = closed


def read_table_text(page: ReadPage, content: list[tuple[int, str]]) -> list[tuple[int, str]]:
    if not content:
        return []
    number, header = content[0]
    names = header_columns(header)
    if names is None:
        page.cannot_read(number, f"field table header not understood: {header!r}")
        return content[1:]
    if names != ["field", "type", "required", "notes"]:
        page.cannot_read(
            number, f"field table columns {names} cannot be told apart in the text form: not read"
        )
        return content[1:]
    page.has_table = True
    index = 1
    while index < len(content):
        number, text = content[index]
        found = TEXT_ROW.match(text)
        if found:
            page.rows.append(
                Row(found["name"], found["type"], found["req"] == "Yes", found["note"], number)
            )
        elif ROW_START.match(text) and not re.match(r"^input\.\w+ (?:and|or|,)", text):
            page.cannot_read(number, f"field table row not understood: {text!r}")
        else:
            break
        index += 1
    return content[index:]


def header_columns(header: str) -> list[str] | None:
    """`FieldTypeRequiredNotes` → ['field', 'type', 'required', 'notes']; None if unknown."""
    words = re.findall(r"[A-Z][a-z]*", header.replace(" ", ""))
    if "".join(words) != header.replace(" ", ""):
        return None
    out = [COLUMNS.get(word.lower()) for word in words]
    return None if None in out else [c for c in out if c]


def read_table_md(page: ReadPage, content: list[tuple[int, str]]) -> list[tuple[int, str]]:
    table = [(n, t) for n, t in content if t.startswith("|")]
    rest = [(n, t) for n, t in content if not t.startswith("|")]
    if not table:
        return rest
    cells = [[strip_code(c) for c in t.strip("|").split("|")] for _, t in table]
    names = [COLUMNS.get(c.lower()) for c in cells[0]]
    if None in names or "field" not in names or "type" not in names:
        page.cannot_read(table[0][0], f"field table header not understood: {table[0][1]!r}")
        return rest
    page.has_table = True
    for (number, text), row in zip(table[1:], cells[1:], strict=True):
        if all(set(c) <= set("-: ") for c in row):
            continue
        if len(row) != len(names):
            page.cannot_read(number, f"field table row has {len(row)} cells, not {len(names)}")
            continue
        by = dict(zip(names, row, strict=True))
        kind, req = by.get("type", ""), by.get("required", "")
        if (
            kind not in TYPES
            or req not in {"Yes", "No"}
            or not re.fullmatch(FIELD_NAME, by["field"])
        ):
            page.cannot_read(number, f"field table row not understood: {text!r}")
            continue
        default = by.get("default") or None
        page.rows.append(Row(by["field"], kind, req == "Yes", by.get("notes", ""), number, default))
    return rest


def read_minimal_example(
    page: ReadPage, content: list[tuple[int, str]], closed: bool, markdown: bool
) -> None:
    read_bodies(page, content, "Minimal Runnable Example")


def read_bodies(page: ReadPage, content: list[tuple[int, str]], section: str) -> None:
    for number, text in blocks(content):
        raw = curl_body(text) if text.startswith("curl ") else text
        body = read_json(raw) if raw is not None else None
        if isinstance(body, dict) and "model" in body:
            page.examples.append(Example(section, body, number))
        else:
            page.cannot_read(number, f"{section}: request body not readable as JSON")


def read_query(
    page: ReadPage, content: list[tuple[int, str]], closed: bool, markdown: bool
) -> None:
    for number, text in content:
        found = re.search(r"\b(GET)\s+`?(?P<path>/api/[^\s`?]+)", text)
        if found:
            page.query_path = Note(number, found["path"])
            return


def read_callback(
    page: ReadPage, content: list[tuple[int, str]], closed: bool, markdown: bool
) -> None:
    """Callback prose restates the common callbacks page; nothing model-specific to read."""


def read_errors(
    page: ReadPage, content: list[tuple[int, str]], closed: bool, markdown: bool
) -> None:
    """The two error envelopes (JSON) and `Common HTTP statuses: 400 …; 401 …`."""
    for number, text in content:
        if text.startswith("Common HTTP statuses:"):
            sentence = text.removeprefix("Common HTTP statuses:").strip()
            if not sentence.endswith("."):
                page.cannot_read(number, "Common HTTP statuses: sentence cut short, not read")
            else:
                for pair in sentence.rstrip(".").split(";"):
                    found = STATUS_PAIR.match(pair.strip())
                    if found:
                        page.statuses.append((int(found["code"]), found["meaning"], number))
                    else:
                        page.cannot_read(number, f"HTTP status not understood: {pair.strip()!r}")
    for number, text in blocks(content):
        value = read_json(text)
        if isinstance(value, dict):
            page.envelopes.append(Example("Response And Error Format", value, number))
        else:
            page.cannot_read(number, "error envelope not readable as JSON")


def read_panels(page: ReadPage, content: list[tuple[int, str]]) -> None:
    """The request panel's curl body (the documented example); the response example is skipped."""
    content = [(n, t) for n, t in content if not MODIFIED.match(t)]
    for number, text in blocks(content):
        if not text.startswith("curl "):
            continue
        raw = curl_body(text)
        body = read_json(raw) if raw is not None else None
        if isinstance(body, dict) and "model" in body:
            page.examples.append(Example("panel", body, number))
        else:
            page.cannot_read(number, "request panel: curl --data-raw body not readable as JSON")


SECTION_READERS = {
    "model value": read_model_value,
    "request body": read_request_body,
    "minimal runnable example": read_minimal_example,
    "query task status": read_query,
    "callback": read_callback,
    "response and error format": read_errors,
}
