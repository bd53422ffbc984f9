"""docs-import: saved LiangXin pages (text and Markdown) → a fact-level diff → the snapshot.

The pages under tests/data/docs_pages/ are ours, written in the layout of the LiangXin pages.
Every `--write` here works on a temporary copy of openapi/, never on the repository's.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import worked_example
import yaml

from generator import docs_check, docs_import
from generator.docs_pages import read_page

REPO = Path(__file__).resolve().parent.parent
PAGES = REPO / "tests" / "data" / "docs_pages"
SPEC = REPO / "openapi" / "liangxin.yaml"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A copy of openapi/docs to write into."""
    target = tmp_path / "openapi" / "docs"
    shutil.copytree(REPO / "openapi" / "docs", target)
    return target


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = docs_import.main([str(a) for a in argv])
    return code, capsys.readouterr().out.splitlines()


def changes(name: str, docs: Path = REPO / "openapi" / "docs") -> list[docs_import.Change]:
    (imp,) = docs_import.run_import([PAGES / name], docs)
    return imp.changes


def line_of(name: str, number: int | None) -> str:
    assert number is not None
    return (PAGES / name).read_text().splitlines()[number - 1]


def docs_check_lines(
    capsys: pytest.CaptureFixture[str], docs: Path, spec: Path = SPEC
) -> list[str]:
    docs_check.main(["--docs", str(docs), "--spec", str(spec)])
    return capsys.readouterr().out.splitlines()


# ---------------------------------------------------------------- reading


@pytest.mark.parametrize("name", ["seedream-v4-5.txt", "seedream-v4-5.md"])
def test_unchanged_page_gives_an_empty_diff(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    (imp,) = docs_import.run_import([PAGES / name], REPO / "openapi" / "docs")
    assert imp.stem == "seedream-v4-5"
    assert imp.changes == []
    assert imp.problems == []
    # It really was read: every row of the table, both examples, the statuses.
    assert [r.name for r in imp.read.rows] == [
        "model",
        "callBackUrl",
        "input",
        "input.prompt",
        "input.aspect_ratio",
        "input.seed",
        "input.enable_safety_checker",
    ]
    assert len(imp.read.examples) == 2
    assert [code for code, _, _ in imp.read.statuses] == [400, 401, 403, 413, 422, 429, 500]
    code, lines = run(capsys, PAGES / name, "--check")
    assert code == 0, lines
    assert lines[-1] == "docs-import: 0 change(s) in 0 page(s), 0 part(s) not read"


@pytest.mark.parametrize("name", ["seedream-v4-5-changed.txt", "seedream-v4-5-changed.md"])
def test_changed_page_gives_exactly_its_three_changes(name: str) -> None:
    found = changes(name)
    assert [(c.kind, c.where, c.old, c.new) for c in found] == [
        ("added", "input.aspect_ratio allowed value", None, "5:4"),
        ("changed", "input.aspect_ratio default", "square_1_1", "1:1"),
        (
            "added",
            "field input.output_format",
            None,
            {"type": "string", "required": False, "allowed": ["png", "jpeg"], "default": "png"},
        ),
    ]
    # Each change names the line it came from.
    assert "input.aspect_ratio" in line_of(name, found[0].line)
    assert "Defaults to" in line_of(name, found[1].line)
    assert "input.output_format" in line_of(name, found[2].line)
    rendered = found[1].render(name)
    assert rendered.startswith(f"{name}:{found[1].line}: seedream-v4-5: changed ")


def test_check_fails_when_the_docs_moved(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run(capsys, PAGES / "seedream-v4-5-changed.txt", "--check")
    assert code == 1
    assert lines[-1].startswith("docs-import: 3 change(s) in 1 page(s), 0 part(s) not read")
    code, _ = run(capsys, PAGES / "seedream-v4-5-changed.txt")
    assert code == 0  # without --check the diff is information


def test_removed_enum_value() -> None:
    name = "imagen4-ultra-removed-language.txt"
    found = [c for c in changes(name) if not c.where.startswith("example")]
    assert [(c.kind, c.where, c.old) for c in found] == [
        ("removed", "input.language allowed value", "hi")
    ]
    assert line_of(name, found[0].line).startswith("input.languagestringNo")


def closed_nano(docs: Path) -> None:
    """Record Nano Banana Pro's ratios as a closed list, as the snapshot once did by mistake."""
    path = docs / "nano-banana-pro.yaml"
    page = yaml.safe_load(path.read_text())
    page["fields"]["input.aspect_ratio"].pop("open", None)
    path.write_text(yaml.safe_dump(page, sort_keys=False, allow_unicode=True))


def test_supported_aliases_is_an_open_list(docs: Path) -> None:
    closed_nano(docs)
    found = [
        c for c in changes("nano-banana-pro-open-aliases.txt", docs) if "aspect_ratio" in c.where
    ]
    # The listed ratios are the known ones; the list is recorded as open, not as a closed enum.
    assert [(c.kind, c.where, c.new) for c in found] == [("added", "input.aspect_ratio open", True)]
    (imp,) = docs_import.run_import([PAGES / "nano-banana-pro-open-aliases.txt"], docs)
    assert imp.new_page is not None
    field = imp.new_page["fields"]["input.aspect_ratio"]
    assert field["open"] is True
    assert field["allowed"] == [
        "1:1",
        "2:3",
        "3:2",
        "4:3",
        "3:4",
        "5:4",
        "4:5",
        "16:9",
        "9:16",
        "21:9",
    ]


def write_page(tmp_path: Path, row: str) -> Path:
    text = (PAGES / "seedream-v4-5.txt").read_text()
    old = next(line for line in text.splitlines() if line.startswith("input.aspect_ratio"))
    page = tmp_path / "page.txt"
    page.write_text(text.replace(old, row))
    return page


def test_an_alias_family_without_a_table_is_open(tmp_path: Path) -> None:
    page = write_page(
        tmp_path,
        "input.aspect_ratiostringNoAccepts 1:1, 16:9 and Ideogram aliases. Defaults to 1:1.",
    )
    (imp,) = docs_import.run_import([page], REPO / "openapi" / "docs")
    field = imp.new_page["fields"]["input.aspect_ratio"] if imp.new_page else {}
    assert field["allowed"] == ["1:1", "16:9"]
    assert field["open"] is True


def test_an_alias_family_with_a_table_is_that_table() -> None:
    # Seedream's "and Magnific aliases" is closed by magnific-aliases.yaml, which applies to it:
    # the unchanged page's list is the snapshot's 8 ratios + 8 aliases.
    (imp,) = docs_import.run_import([PAGES / "seedream-v4-5.txt"], REPO / "openapi" / "docs")
    assert imp.new_page is not None
    field = imp.new_page["fields"]["input.aspect_ratio"]
    assert len(field["allowed"]) == 16 and "open" not in field


def test_new_model_page(docs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = "nano-banana-2-new-model.md"
    found = changes(name)
    assert (found[0].kind, found[0].where) == ("added", "page nano-banana-2.yaml")
    added = {c.where for c in found}
    assert {
        "field input.prompt",
        "field input.aspect_ratio",
        "field input.reference_images",
    } <= added
    code, lines = run(capsys, PAGES / name, "--docs", docs, "--write")
    assert code == 0, lines
    page = yaml.safe_load((docs / "nano-banana-2.yaml").read_text())
    assert page["model"] == "nano-banana-2" and page["recovered"] is True
    assert page["fields"]["input.prompt"]["maxLength"] == 2000
    assert page["fields"]["input.aspect_ratio"]["open"] is True
    assert page["fields"]["input.reference_images"]["maxItems"] == 4
    assert "model 'nano-banana-2' missing in spec" in "\n".join(docs_check_lines(capsys, docs))


def test_unknown_section_is_reported_not_read(capsys: pytest.CaptureFixture[str]) -> None:
    name = "nano-banana-2-new-model.md"
    (imp,) = docs_import.run_import([PAGES / name], REPO / "openapi" / "docs")
    assert [n.text for n in imp.problems] == ["unknown section 'Pricing': not read"]
    assert "Pricing" in line_of(name, imp.problems[0].line)
    code, lines = run(capsys, PAGES / name, "--check", "--ignore-section", "Pricing")
    assert ": not read:" not in "\n".join(lines)
    assert code == 1  # the new page itself is still a change


def test_page_without_a_field_table() -> None:
    (imp,) = docs_import.run_import(
        [PAGES / "gemini-2.5-flash-image-preview-no-table.txt"], REPO / "openapi" / "docs"
    )
    assert not imp.read.has_table
    assert imp.stem == "gemini-2.5-flash-image-preview"  # the model came from the curl body
    # No field fact is read, so none is added, changed or removed; the example is the page's.
    assert [(c.kind, c.where) for c in imp.changes] == [("added", "example 'request'")]
    assert any("no field table" in n.text for n in imp.info)
    assert imp.new_page is not None and imp.old_page is not None
    assert imp.new_page["fields"] == imp.old_page["fields"]


def test_truncated_page_says_what_it_could_not_read(capsys: pytest.CaptureFixture[str]) -> None:
    name = "z-image-truncated.txt"
    (imp,) = docs_import.run_import([PAGES / name], REPO / "openapi" / "docs")
    assert imp.read.truncated
    # The cut row (aspect_ratio "… 16:9, 9") is not read, and nothing is removed for lack of it.
    assert imp.changes == []
    assert [n.line for n in imp.read.unread] == [len((PAGES / name).read_text().splitlines())]
    assert "cut short" in imp.read.unread[0].text
    code, lines = run(capsys, PAGES / name, "--check")
    assert code == 1
    assert any("not read" in line for line in lines)


def test_truncated_markdown_page_inside_an_example() -> None:
    (imp,) = docs_import.run_import(
        [PAGES / "seedream-v4-5-truncated.md"], REPO / "openapi" / "docs"
    )
    assert imp.changes == []  # neither example is "removed": the page was cut before them
    texts = [n.text for n in imp.read.unread]
    assert "Minimal Runnable Example: request body not readable as JSON" in texts


def test_a_page_without_timestamp_is_not_written(
    docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (docs / "seedream-v4-5.yaml").read_text()
    _code, lines = run(
        capsys, PAGES / "seedream-v4-5-changed-truncated.txt", "--docs", docs, "--write"
    )
    assert any(
        "cannot be written: the page has no 'Modified at' timestamp" in line for line in lines
    )
    assert (docs / "seedream-v4-5.yaml").read_text() == before


def test_not_a_docs_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "notes.txt"
    page.write_text("Shopping list\nmilk\n")
    code, lines = run(capsys, page, "--check")
    assert code == 1
    assert any("no method and path line" in line for line in lines)
    assert any("no model value" in line for line in lines)


def test_missing_page_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert docs_import.main([str(PAGES / "nope.txt")]) == 2


# ---------------------------------------------------------------- writing


def from_entries(field: dict[str, Any]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = field.get("from", [])
    return entries


def test_write_then_docs_check_names_the_contract_changes(
    docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert docs_check_lines(capsys, docs)[-1].startswith("docs-check: 16 pages agree")
    code, lines = run(capsys, PAGES / "seedream-v4-5-changed.txt", "--docs", docs, "--write")
    assert code == 0, lines
    assert docs_check_lines(capsys, docs) == [
        'seedream-v4-5: input.aspect_ratio allowed values: missing "5:4" in spec',
        'seedream-v4-5: input.aspect_ratio default: docs "1:1", spec "square_1_1"',
        "seedream-v4-5: input.output_format missing in spec",
        f"docs-check: 3 mismatch(es) between {docs} and {SPEC}",
    ]
    # Importing the same page again: nothing left to change, nothing rewritten.
    before = (docs / "seedream-v4-5.yaml").read_text()
    code, lines = run(capsys, PAGES / "seedream-v4-5-changed.txt", "--docs", docs, "--check")
    assert code == 0, lines
    assert (docs / "seedream-v4-5.yaml").read_text() == before


def test_every_written_fact_carries_its_page_and_timestamp(docs: Path) -> None:
    name = "seedream-v4-5-changed.txt"
    (imp,) = docs_import.run_import([PAGES / name], docs)
    docs_import.write(imp, docs)
    page = yaml.safe_load((docs / "seedream-v4-5.yaml").read_text())
    assert page["modified"] == "2026-06-03 14:05:41"
    ratio, fmt = page["fields"]["input.aspect_ratio"], page["fields"]["input.output_format"]
    assert from_entries(ratio) == [
        {
            "page": name,
            "modified": "2026-06-03 14:05:41",
            "line": 33,
            "facts": ["allowed", "default"],
        }
    ]
    (entry,) = from_entries(fmt)
    assert (entry["page"], entry["modified"], entry["line"]) == (name, "2026-06-03 14:05:41", 36)
    assert set(entry["facts"]) == {"type", "required", "allowed", "default"}
    # Facts the import did not touch carry no import provenance.
    assert "from" not in page["fields"]["input.seed"]


def test_write_touches_only_the_changed_blocks(docs: Path) -> None:
    before = (docs / "imagen4-ultra.yaml").read_text().splitlines()
    (imp,) = docs_import.run_import([PAGES / "imagen4-ultra-removed-language.txt"], docs)
    docs_import.write(imp, docs)
    after = (docs / "imagen4-ultra.yaml").read_text().splitlines()
    removed = [line for line in before if line not in after]
    assert removed == ["    allowed: [auto, en, zh, zh-CN, hi, ja, ko, pt, es]"]
    # Hand-written layout elsewhere (the folded notes, the wrapped lists) is kept byte for byte.
    assert all(line in after for line in before if line not in removed)


def test_unchanged_page_writes_nothing(docs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p.name: p.read_text() for p in docs.glob("*.yaml")}
    code, _lines = run(capsys, PAGES / "seedream-v4-5.md", "--docs", docs, "--write")
    assert code == 0
    assert {p.name: p.read_text() for p in docs.glob("*.yaml")} == before


NANO_RATIOS = ["1:1", "2:3", "3:2", "4:3", "3:4", "5:4", "4:5", "16:9", "9:16", "21:9"]


def nano_ratio_spec(tmp_path: Path, schema: dict[str, Any]) -> Path:
    spec = yaml.safe_load(SPEC.read_text())
    spec["components"]["schemas"]["NanoBananaProInput"]["properties"]["aspect_ratio"] = schema
    path = tmp_path / "liangxin.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    return path


def test_open_list_in_docs_check(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    closed_nano(docs)
    run(capsys, PAGES / "nano-banana-pro-open-aliases.txt", "--docs", docs, "--write")
    # A contract that closed the list refuses what the docs accept: docs-check names it.
    closed = nano_ratio_spec(tmp_path, {"type": "string", "enum": NANO_RATIOS, "default": "1:1"})
    named = [
        line
        for line in docs_check_lines(capsys, docs, closed)
        if line.startswith("nano-banana-pro: input.aspect_ratio")
    ]
    assert named and all("open" in line for line in named), named
    # The known ratios and any other string: the open list is satisfied.
    known = {"type": "string", "enum": NANO_RATIOS}
    opened = nano_ratio_spec(tmp_path, {"anyOf": [known, {"type": "string"}], "default": "1:1"})
    lines = docs_check_lines(capsys, docs, opened)
    assert not [line for line in lines if "nano-banana-pro: input.aspect_ratio" in line], lines


# ---------------------------------------------------------------- the README's worked example


@pytest.fixture(params=["as committed", "after the walkthrough"])
def worked(request: pytest.FixtureRequest, docs: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The snapshot copy and a contract copy as the worked example starts from: the same
    whether or not the repository has been through the README's walkthrough."""
    spec = tmp_path / "liangxin.yaml"
    shutil.copyfile(SPEC, spec)
    worked_example.undo(docs, spec)
    if request.param == "after the walkthrough":
        worked_example.apply(docs, spec)
        assert worked_example.undo(docs, spec)
    return docs, spec


def test_undo_restores_the_start_of_the_worked_example(docs: Path, tmp_path: Path) -> None:
    spec = tmp_path / "liangxin.yaml"
    shutil.copyfile(SPEC, spec)
    worked_example.undo(docs, spec)
    start = {p.name: p.read_text() for p in docs.glob("*.yaml")}, spec.read_text()
    worked_example.apply(docs, spec)
    applied = (docs / "flux-2-pro.yaml").read_text(), spec.read_text()
    assert "input.safety_tolerance" in applied[0] and "safety_tolerance:" in applied[1]
    assert worked_example.undo(docs, spec)
    assert not worked_example.undo(docs, spec)  # nothing left to undo
    undone = {p.name: p.read_text() for p in docs.glob("*.yaml")}, spec.read_text()
    assert undone[1] == start[1]  # the contract's own layout is kept
    assert {n: yaml.safe_load(t) for n, t in undone[0].items()} == {
        n: yaml.safe_load(t) for n, t in start[0].items()
    }


def test_fixed_contract_closes_the_loop(
    worked: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's worked example: a new Flux field, written, named, added to the contract."""
    docs, spec = worked
    assert docs_check_lines(capsys, docs, spec)[-1].startswith("docs-check: 16 pages agree")
    run(capsys, worked_example.PAGE, "--docs", docs, "--write")
    assert "flux-2-pro: input.safety_tolerance missing in spec" in docs_check_lines(
        capsys, docs, spec
    )
    worked_example.add_property(
        spec, worked_example.SCHEMA, worked_example.FIELD, worked_example.FIELD_FACTS
    )
    assert docs_check_lines(capsys, docs, spec)[-1].startswith("docs-check: 16 pages agree")


def test_every_test_page_is_read_in_its_form() -> None:
    forms = {p.name: read_page(p).form for p in sorted(PAGES.iterdir())}
    assert {n for n, f in forms.items() if f == "markdown"} == {
        n for n in forms if n.endswith(".md")
    }


def test_readme_worked_example_is_what_the_importer_prints(
    worked: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## When the LiangXin docs change") :]
    section = section[: section.index("\n## ", 5)]
    shown = [
        line
        for line in section.splitlines()
        if line.startswith(("flux-2-pro-new-field.md", "  flux-2-pro-new-field.md", "docs-import:"))
    ]
    docs, _spec = worked
    _, lines = run(capsys, worked_example.PAGE, "--docs", docs)
    _, written = run(capsys, worked_example.PAGE, "--docs", docs, "--write")
    # The README's `--write` ran in a clone's root with its `.venv`; this one wrote elsewhere.
    summary = written[-1].replace(
        docs_import.shown_path(docs / "flux-2-pro.yaml"), "openapi/docs/flux-2-pro.yaml"
    )
    summary = summary.replace(f"run: {docs_import.python_command()} -m", "run: .venv/bin/python -m")
    assert shown == [*lines, *written[:-1], summary]


def test_the_ci_workflow_is_valid_and_runs_the_check() -> None:
    text = (REPO / "docs" / "docs-import.md").read_text()
    block = text[text.index("```yaml\nname:") + len("```yaml\n") :]
    workflow = yaml.safe_load(block[: block.index("```")])
    assert workflow["defaults"]["run"]["shell"] == "bash"  # pipefail: `| tee` keeps the exit code
    assert "schedule" in workflow[True]  # YAML 1.1 reads the `on:` key as True
    runs = [step.get("run", "") for step in workflow["jobs"]["docs-import"]["steps"]]
    assert any("python -m generator docs-import" in r and "--check" in r for r in runs)


def test_a_table_for_a_page_that_was_not_recovered(
    docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Imagen 4 Fast's fields were guesses; a page with its table confirms them one by one."""
    name = "imagen4-fast-first-table.txt"
    found = changes(name)
    assert (found[0].kind, found[0].where, found[0].new) == ("changed", "recovered", True)
    confirmed = [c.where for c in found if c.kind == "confirmed"]
    assert "input.language type, required, allowed" in confirmed
    assert not [c for c in found if c.kind == "removed"]
    run(capsys, PAGES / name, "--docs", docs, "--write")
    page = yaml.safe_load((docs / "imagen4-fast.yaml").read_text())
    assert (page["recovered"], page["tag"]) == (True, "doc")
    # Our own example stays ours (inferred), though the page's tag is now doc.
    assert [(e["name"], e.get("tag")) for e in page["examples"]] == [
        ("fast", "inferred"),
        ("minimal", None),
        ("request", None),
    ]
    assert from_entries(page["fields"]["input.seed"])[0]["facts"] == ["type", "required", "minimum"]
    # docs-check now names every guess of the contract the page turned into a documented fact.
    lines = [line for line in docs_check_lines(capsys, docs) if "not embedded" not in line]
    problems, summary = lines[:-1], lines[-1]
    assert summary.startswith("docs-check: ") and "mismatch(es)" in summary
    assert "imagen4-fast: input.seed minimum: documented in docs, inferred in spec" in " ".join(
        problems
    )
    assert all(
        line.startswith("imagen4-fast: ") and "documented in docs, inferred in spec" in line
        for line in problems
    ), problems


def test_a_new_page_is_listed_in_the_manifest(
    docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stems = sorted(p.stem for p in docs.glob("*.yaml") if p.name != "INDEX.yaml")
    manifest = docs / "INDEX.yaml"
    manifest.write_text("# the pages\npages:\n" + "".join(f"  - {s}\n" for s in stems))
    run(capsys, PAGES / "nano-banana-2-new-model.md", "--docs", docs, "--write")
    assert manifest.read_text().startswith("# the pages\npages:\n")
    assert yaml.safe_load(manifest.read_text())["pages"] == sorted([*stems, "nano-banana-2"])
    assert "INDEX" not in docs_import.load_snapshot(docs)
