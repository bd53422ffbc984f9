"""The generator: `check` catches every kind of drift, `generate` is deterministic, pins agree."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
import yaml

from generator import codegen
from generator.pins import PINS

REPO = codegen.default_root()
COPIED = [Path("openapi"), Path("generator"), codegen.GENERATED, codegen.SPEC_COPY, codegen.TABLE]
TASK_RECORD = "liangxin_client/_generated/models/task_record.py"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the parts of the repository that generate and check read and write."""
    for part in COPIED:
        source, target = REPO / part, tmp_path / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(source, target)
    return tmp_path


def run(command: str, root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = codegen.main([command, "--root", str(root)])
    return code, capsys.readouterr().out


def edit_spec(root: Path, change: str, replacement: str) -> None:
    spec = root / codegen.SPEC
    text = spec.read_text()
    assert text.count(change) == 1, change
    spec.write_text(text.replace(change, replacement))


def test_check_passes_on_a_pristine_copy(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / codegen.GENERATED / "__pycache__").mkdir()
    (tree / codegen.GENERATED / "__pycache__" / "client.cpython-311.pyc").write_bytes(b"\0")
    code, out = run("check", tree, capsys)
    assert (code, out.splitlines()[0]) == (
        0,
        f"{codegen.GENERATED} and {codegen.SPEC_COPY} match {codegen.SPEC}",
    )


def test_check_names_an_edited_generated_file(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (tree / TASK_RECORD).open("a") as handle:
        handle.write("# a hand edit\n")
    code, out = run("check", tree, capsys)
    assert code == 1
    assert out.splitlines()[0] == f"changed: {TASK_RECORD}"


def test_check_names_an_added_file(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / codegen.GENERATED / "models" / "patch.py").write_text("X = 1\n")
    code, out = run("check", tree, capsys)
    assert code == 1
    assert out.splitlines()[0] == "extra: liangxin_client/_generated/models/patch.py"


def test_check_names_a_deleted_file(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / TASK_RECORD).unlink()
    code, out = run("check", tree, capsys)
    assert code == 1
    assert out.splitlines()[0] == f"missing: {TASK_RECORD}"


def test_check_catches_a_spec_description_change(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(
        tree, "description: Empty unless the state is `fail`.", "description: Empty unless failed."
    )
    code, out = run("check", tree, capsys)
    assert code == 1
    assert out.splitlines()[:3] == [
        "changed: liangxin_client/_generated/PROVENANCE.json",
        f"changed: {TASK_RECORD}",
        "changed: liangxin_contract/liangxin.yaml",
    ]


def test_check_catches_a_new_enum_value(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_spec(
        tree,
        "enum: [waiting, queuing, generating, success, fail]",
        "enum: [waiting, queuing, generating, success, fail, cancelled]",
    )
    code, out = run("check", tree, capsys)
    assert code == 1
    assert "changed: liangxin_client/_generated/models/task_state.py" in out.splitlines()


def test_check_catches_a_stale_spec_copy(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (tree / codegen.SPEC_COPY).open("a") as handle:
        handle.write("# stale\n")
    code, out = run("check", tree, capsys)
    assert (code, out.splitlines()[0]) == (1, "changed: liangxin_contract/liangxin.yaml")


def test_check_catches_a_stale_constraints_table(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (tree / codegen.TABLE).open("a") as handle:
        handle.write("| `input.prompt` | maxLength `10` | documented |\n")
    code, out = run("check", tree, capsys)
    assert (code, out.splitlines()[0]) == (1, "changed: docs/constraints.md")


def test_check_catches_a_provenance_change(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A documented limit that becomes a guess changes the table, which `check` names."""
    # Nano Banana Pro's prompt (the Flash input's image_input has no description).
    prompt = "What to generate, 2 to 3000 characters.\n        image_input:\n"
    prompt += "          type: array\n          maxItems: 3\n          items:\n"
    prompt += "            $ref: '#/components/schemas/NanoBananaImageReference'\n"
    prompt += "          description: Reference images."
    edit_spec(
        tree,
        f"          description: {prompt}",
        f"          x-liangxin-inferred: [maxLength]\n          description: {prompt}",
    )
    code, out = run("check", tree, capsys)
    assert code == 1
    assert "changed: docs/constraints.md" in out.splitlines()
    assert codegen.main(["generate", "--root", str(tree)]) == 0
    table = (tree / codegen.TABLE).read_text()
    assert "| `input.prompt` | maxLength `3000` | inferred |" in table


def test_generate_repairs_drift_and_removes_stray_files(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(
        tree,
        "enum: [waiting, queuing, generating, success, fail]",
        "enum: [waiting, queuing, generating, success, fail, cancelled]",
    )
    (tree / codegen.GENERATED / "stray.py").write_text("X = 1\n")
    assert run("generate", tree, capsys)[0] == 0
    assert not (tree / codegen.GENERATED / "stray.py").exists()
    assert "cancelled" in (tree / codegen.GENERATED / "models" / "task_state.py").read_text()
    assert (tree / codegen.SPEC_COPY).read_bytes() == (tree / codegen.SPEC).read_bytes()
    assert run("check", tree, capsys)[0] == 0


def test_two_builds_are_byte_identical(
    tree: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    first = codegen.build(tree, tmp_path_factory.mktemp("first"))
    second = codegen.build(tree, tmp_path_factory.mktemp("second"))
    assert codegen.snapshot(first) == codegen.snapshot(second)
    assert not list(first.rglob(".ruff_cache"))


def test_check_refuses_an_invalid_spec(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_spec(tree, "openapi: 3.1.0", "openapi: 3.1.0\nwebhooks: 7")
    assert codegen.main(["check", "--root", str(tree)]) == 2
    assert "not a valid OpenAPI document" in capsys.readouterr().err


def test_check_refuses_unpinned_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(PINS, "ruff", "0.0.1")
    assert codegen.main(["check", "--root", str(tmp_path)]) == 2
    assert "generator/pins.py pins 0.0.1" in capsys.readouterr().err


def test_provenance_records_the_inputs_and_tools() -> None:
    record = json.loads((REPO / codegen.GENERATED / codegen.PROVENANCE).read_bytes())
    assert record["spec_sha256"] == codegen.sha256(REPO / codegen.SPEC)
    assert record["config_sha256"] == codegen.sha256(REPO / codegen.CONFIG)
    templates = sorted((REPO / codegen.TEMPLATES).glob("*.jinja"))
    assert record["templates"] == {
        path.relative_to(REPO).as_posix(): codegen.sha256(path) for path in templates
    }
    assert record["tools"] == PINS


def test_pyproject_dev_extra_pins_the_same_tools() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pinned: dict[str, str] = {}
    for requirement in project["optional-dependencies"]["dev"]:
        name, sep, version = requirement.partition("==")
        if sep:
            pinned[name.strip()] = version.strip()
    assert {name: pinned.get(name) for name in PINS} == PINS


def test_config_pins_the_model_class_names() -> None:
    overrides = yaml.safe_load((REPO / codegen.CONFIG).read_bytes())["class_overrides"]
    from liangxin_client._generated import models

    for schema, names in overrides.items():
        assert getattr(models, names["class_name"]).__module__.endswith(
            f".{names['module_name']}"
        ), schema
    for name in ("SeedreamV45Request", "SeedreamV45Input", "NanoBananaProInput"):
        assert hasattr(models, name)


#: The lines of openapi-python-client's own templates that ours remove (replace); every other
#: line of theirs must still be in ours, so a bump carries our changes over deliberately.
REPLACED_LINES = {
    "types.py.jinja": [
        "from attrs import define",
        '__all__ = ["UNSET", "File", "FileTypes", "RequestFiles", "Response", "Unset"]',
    ],
    "model.py.jinja": ["from ..types import UNSET, Unset"],
}


def test_the_custom_templates_change_only_what_they_say() -> None:
    import difflib

    import openapi_python_client

    upstream = Path(openapi_python_client.__file__).parent / "templates"
    ours = sorted(path.name for path in (REPO / codegen.TEMPLATES).glob("*.jinja"))
    assert ours == sorted(REPLACED_LINES)
    for name in ours:
        # Only a template the generator has can be overridden; a new name would be ignored.
        theirs = (upstream / name).read_text().splitlines()
        mine = (REPO / codegen.TEMPLATES / name).read_text().splitlines()
        removed = [
            line[1:]
            for line in difflib.unified_diff(theirs, mine, lineterm="", n=0)
            if line.startswith("-") and not line.startswith("---")
        ]
        assert removed == REPLACED_LINES[name], name


def test_check_catches_a_template_change(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tree / codegen.TEMPLATES / "types.py.jinja"
    template.write_text(template.read_text().replace('return "UNSET"', 'return "NOT SET"'))
    code, out = run("check", tree, capsys)
    assert code == 1
    assert "changed: liangxin_client/_generated/types.py" in out.splitlines()
    assert "changed: liangxin_client/_generated/PROVENANCE.json" in out.splitlines()
    assert run("generate", tree, capsys)[0] == 0
    assert 'return "NOT SET"' in (tree / codegen.GENERATED / "types.py").read_text()
    assert run("check", tree, capsys)[0] == 0
