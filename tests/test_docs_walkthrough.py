"""The README's "When the LiangXin docs change" walkthrough, followed on a copy of the repository.

Each command of the section runs as the README writes it, in a copy whose `.venv` is this
interpreter's, its output is compared with what the README shows, the contract is edited as the
prose says, and then the README's test command's checks run on the result: the walkthrough must
end green. (It ended red: two tests replayed the worked example against the snapshot the
walkthrough had just changed.)
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import worked_example

REPO = Path(__file__).resolve().parent.parent
HEADING = "## When the LiangXin docs change"
VENV_PYTHON = ".venv/bin/python"
# What the walkthrough reads and writes, and the tests the README's test command runs on it:
# `nox -s spec` (the docs snapshot, the importer, the spec) and `nox -s drift` (`check`).
COPIED = (
    "README.md",
    "pyproject.toml",
    "openapi",
    "generator",
    "liangxin_client",
    "liangxin_contract",
    "docs",
    "tests",
)
SPEC_TESTS = ("tests/test_spec.py", "tests/test_docs_check.py", "tests/test_docs_import.py")
AFFECTED_TESTS = (*SPEC_TESTS, "tests/test_constraints_table.py")


def section() -> str:
    readme = (REPO / "README.md").read_text()
    text = readme[readme.index(HEADING) :]
    return text[: text.index("\n## ", len(HEADING))]


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """The fenced blocks of `text`: (language, lines)."""
    found = re.findall(r"^```(\w*)\n(.*?)^```$", text, flags=re.M | re.S)
    return [(lang, body.splitlines()) for lang, body in found]


def console_steps(lines: list[str]) -> list[tuple[str, list[str]]]:
    """`$ command` lines of a console block, each with the output shown under it."""
    steps: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def run(command: str, root: Path) -> subprocess.CompletedProcess[str]:
    words = shlex.split(command, comments=True)
    assert words[0] == VENV_PYTHON, f"{command!r}: the walkthrough runs the venv's python"
    return subprocess.run(
        [str(root / VENV_PYTHON), *words[1:]],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def shown(expected: list[str], root: Path) -> list[str]:
    """The README's `<repo>` stands for the clone's root."""
    return [line.replace("<repo>", str(root)) for line in expected]


def add_field(root: Path, prose: str, field: str) -> None:
    """Do what the README's prose says: add the field, with the facts it names, to the schema."""
    match = re.search(r"Add the field to `(\w+)` in `([^`]+)` \(([^)]*)\)", prose)
    assert match, "the README no longer says which schema gets the field"
    schema, spec, facts = match.groups()
    named = dict(fact.split(": ", 1) for fact in re.findall(r"`([^`]+)`", facts))
    worked_example.add_property(root / spec, schema, field, named)


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPIED:
        source, target = REPO / name, tmp_path / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            shutil.copyfile(source, target)
    # The clone's `.venv` is this interpreter's: the README's set-up command, already done.
    if sys.prefix != sys.base_prefix:
        (tmp_path / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    else:
        (tmp_path / ".venv" / "bin").mkdir(parents=True)
        (tmp_path / VENV_PYTHON).symlink_to(sys.executable)
    # A fresh clone: if this repository went through the walkthrough, take it out again.
    if worked_example.undo(tmp_path / "openapi" / "docs", tmp_path / "openapi" / "liangxin.yaml"):
        assert run(f"{VENV_PYTHON} -m generator generate", tmp_path).returncode == 0
    return tmp_path


@pytest.mark.slow
def test_the_walkthrough_followed_exactly_ends_green(clone: Path) -> None:
    text = section()
    found = blocks(text)
    usage, example, loop = (lines for lang, lines in found if lang in {"sh", "console"})
    assert [line.split()[:3] for line in usage] == [[VENV_PYTHON, "-m", "generator"]]

    # The worked example: every command prints what the README shows under it.
    steps = console_steps(example)
    for command, expected in steps:
        done = run(command, clone)
        assert done.stderr == "", (command, done.stderr)
        assert done.stdout.splitlines() == shown(expected, clone), command
    missing = re.search(r"input\.(\w+) missing in spec", "\n".join(steps[-1][1]))
    assert missing, "the worked example's docs-check names no missing field"

    # The prose between the blocks: the contract gains the field.
    add_field(clone, text[text.index("Add the field to") :], missing.group(1))

    # The loop, in its order; a `# name: ...` comment is the start of what that step prints.
    for line in loop:
        command, _, comment = line.partition("#")
        if command.strip() == "./scripts/test":
            continue  # run below, on the sessions this walkthrough affects
        done = run(line, clone)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        subcommand = shlex.split(command)[3]
        if comment.strip().startswith(f"{subcommand}:"):
            prefix = comment.strip().rstrip("…").rstrip()
            assert done.stdout.startswith(prefix), (line, done.stdout)
    assert [line.split()[0] for line in loop][-1] == "./scripts/test"

    # The README's test command, on what the walkthrough changed: green.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    tests = subprocess.run(
        [str(clone / VENV_PYTHON), "-m", "pytest", "-q", "-x", *AFFECTED_TESTS],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout[-4000:]
