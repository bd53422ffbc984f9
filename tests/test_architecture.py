"""The import rules of docs/architecture.md, read from the source.

Every ``import`` / ``from … import`` statement in a file counts: module level, inside functions and
under ``if TYPE_CHECKING:`` alike, and so do ``importlib.import_module("…")`` calls with a literal
name. Implicit imports of parent packages do not (every tool that draws import graphs leaves them
out). ``tests/`` is not checked: unit tests may reach private helpers.

The checker is a plain function over a folder, so the first tests below run it on small made-up
trees and prove that each rule can fail; the last ones run it on this repository.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Where each top-level package of the repository lives (a package name → its folder, relative to
# the repository). The conformance suite keeps the repository's ``contract_tests/`` folder but is
# installed under a name of its own.
PACKAGES = {
    "liangxin_contract": "liangxin_contract",
    "liangxin_client": "liangxin_client",
    "liangxin_mock": "liangxin_mock",
    "liangxin_conformance": "contract_tests/liangxin_conformance",
    "_liangxin_entry": "_liangxin_entry",
    "generator": "generator",
    "bench": "bench",
}
GENERATED = "liangxin_client._generated"
BRIDGE = "liangxin_client._bridge"
CLI = "liangxin_client.cli"
# The one module of the CLI that starts the embedded mock (and so may import liangxin_mock).
MOCK_LAUNCHER = "liangxin_client.cli._mock_launcher"

# Which of our packages each package may import at all (its own modules always).
MAY_IMPORT = {
    "liangxin_contract": set(),
    "liangxin_client": {"liangxin_contract"},  # + liangxin_mock from MOCK_LAUNCHER only
    "liangxin_mock": {"liangxin_contract"},
    "liangxin_conformance": {"liangxin_contract", "liangxin_mock", "liangxin_client"},
    "_liangxin_entry": {"liangxin_client"},
    "generator": {"liangxin_contract"},
    "bench": {"liangxin_contract", "liangxin_client", "liangxin_mock"},
}


@dataclass(frozen=True)
class Import:
    """One imported module, and the names taken from it (empty for ``import m``)."""

    importer: str
    module: str
    names: tuple[str, ...]
    line: int

    def __str__(self) -> str:
        taken = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.importer}:{self.line} imports {self.module}{taken}"


def module_name(package: str, folder: Path, path: Path) -> str:
    parts = [package, *path.relative_to(folder).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(root: Path, packages: dict[str, str]) -> Iterator[tuple[str, Path]]:
    for package, where in packages.items():
        folder = root / where
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            name = module_name(package, folder, path)
            if name == GENERATED or name.startswith(GENERATED + "."):
                continue  # generated code is checked by the drift check, not by hand rules
            yield name, path


def imports_of(name: str, path: Path) -> Iterator[Import]:
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield Import(name, module, tuple(a.name for a in node.names), node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and not node.args[0].value.startswith(".")
        ):
            yield Import(name, node.args[0].value, (), node.lineno)


def top(module: str) -> str:
    return module.split(".")[0]


def private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def room(module: str) -> str:
    """The package a module belongs to for the import rules: the CLI is a room of its own."""
    return CLI if within(module, CLI) else top(module)


def targets(imp: Import, modules: set[str]) -> Iterator[str]:
    """The modules of ours an import loads: the module itself unless every name taken from it is
    a submodule (``from pkg import mod`` loads ``pkg.mod``), and the submodules taken by name."""
    submodules = [f"{imp.module}.{n}" for n in imp.names if f"{imp.module}.{n}" in modules]
    if imp.module in modules and (not imp.names or len(submodules) < len(imp.names)):
        yield imp.module
    yield from submodules


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def public_names(init: Path) -> set[str]:
    """``__all__`` of a package's ``__init__.py``, read without importing it."""
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and target.id == "__all__" and node.value is not None:
                return {ast.literal_eval(e) for e in node.value.elts}  # type: ignore[attr-defined]
    raise AssertionError(f"{init} has no literal __all__")


def violations(root: Path, packages: dict[str, str] = PACKAGES) -> list[str]:
    files = dict(source_files(root, packages))
    modules = set(files)
    imports = [imp for name, path in files.items() for imp in imports_of(name, path)]
    client_api = public_names(root / packages["liangxin_client"] / "__init__.py")
    found: list[str] = []

    # 1. No cycles inside liangxin_client.
    graph: dict[str, set[str]] = {m: set() for m in modules if top(m) == "liangxin_client"}
    for imp in imports:
        if top(imp.importer) == "liangxin_client":
            graph[imp.importer].update(
                t for t in targets(imp, modules) if top(t) == "liangxin_client"
            )
    found += [f"import cycle: {' -> '.join(cycle)}" for cycle in find_cycles(graph)]

    for imp in imports:
        importer, module = imp.importer, imp.module
        here, there = room(importer), room(module)
        # 2. Only the bridge imports the generated core.
        if (
            within(module, GENERATED) or (module == "liangxin_client" and "_generated" in imp.names)
        ) and importer != BRIDGE:
            found.append(f"only {BRIDGE} may import {GENERATED}: {imp}")
            continue
        if top(module) not in packages or (top(module) == top(importer) and here == there):
            continue  # third-party, or a module of the importer's own room
        # 3. Which packages a package may import at all.
        allowed = MAY_IMPORT.get(top(importer), set())
        mock_from_launcher = importer == MOCK_LAUNCHER and top(module) == "liangxin_mock"
        if top(module) != top(importer) and top(module) not in allowed and not mock_from_launcher:
            found.append(f"{top(importer)} may not import {top(module)}: {imp}")
            continue
        # 4. No private names across packages (the CLI counts as a package of its own).
        if any(private(part) for part in module.split(".")[1:]) or any(
            private(n) for n in imp.names
        ):
            found.append(f"private name across packages: {imp}")
            continue
        # 5. The CLI (and the console-script shim) use only liangxin_client's public API.
        if (here == CLI or top(importer) == "_liangxin_entry") and there == "liangxin_client":
            if module != "liangxin_client" or not imp.names:
                found.append(
                    f"the CLI imports only `from liangxin_client import <public name>`: {imp}"
                )
            elif unknown := sorted(set(imp.names) - client_api):
                found.append(f"not in liangxin_client.__all__ ({', '.join(unknown)}): {imp}")
    return found


# --- The checker can fail: one made-up tree per rule. ----------------------------------------


def make_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


CLEAN = {
    "liangxin_contract/__init__.py": "__all__ = ['load']\ndef load(): ...\n",
    "liangxin_client/__init__.py": (
        "from liangxin_client._client import LiangXin\n__all__ = ['LiangXin']\n"
    ),
    "liangxin_client/_bridge.py": "from liangxin_client._generated.models import ZImageInput\n",
    "liangxin_client/_generated/__init__.py": "",
    "liangxin_client/_generated/models.py": "from . import x\n",
    "liangxin_client/_client.py": "from liangxin_client._bridge import ZImageInput\nimport liangxin_contract\n",
    "liangxin_client/cli/__init__.py": (
        "from liangxin_client import LiangXin\nfrom liangxin_client.cli import _mock_launcher\n"
    ),
    "liangxin_client/cli/_mock_launcher.py": "def start():\n    from liangxin_mock import MockServer\n",
    "liangxin_mock/__init__.py": "from liangxin_contract import load\n",
}


def test_a_clean_tree_passes(tmp_path: Path) -> None:
    assert violations(make_tree(tmp_path, CLEAN)) == []


BROKEN = [
    # (file to add or replace, its text, what the checker must say)
    (
        "liangxin_client/_tasks.py",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from liangxin_client._client import LiangXin\n",
        None,  # with the edge below, a cycle
    ),
    (
        "liangxin_client/_many.py",
        "from liangxin_client._generated.models import X\n",
        "only liangxin_client._bridge",
    ),
    (
        "liangxin_client/_many.py",
        "from liangxin_client._generated import models\n",
        "only liangxin_client._bridge",
    ),
    (
        "liangxin_client/_many.py",
        "import liangxin_mock\n",
        "liangxin_client may not import liangxin_mock",
    ),
    (
        "liangxin_mock/app.py",
        "from liangxin_client import LiangXin\n",
        "liangxin_mock may not import liangxin_client",
    ),
    (
        "liangxin_mock/app.py",
        "from liangxin_contract._spec import load\n",
        "private name across packages",
    ),
    (
        "liangxin_mock/app.py",
        "from liangxin_contract import _mapping\n",
        "private name across packages",
    ),
    (
        "liangxin_client/cli/_run.py",
        "from liangxin_client._errors import APIError\n",
        "private name across packages",
    ),
    (
        "liangxin_client/cli/_run.py",
        "from liangxin_client.callbacks import wait_for_task\n",
        "the CLI imports only",
    ),
    (
        "liangxin_client/cli/_run.py",
        "from liangxin_client import Secret\n",
        "not in liangxin_client.__all__",
    ),
    (
        "liangxin_client/cli/_run.py",
        "def f():\n    import liangxin_mock\n",
        "liangxin_client may not import liangxin_mock",
    ),
    (
        "bench/b.py",
        "import importlib\nimportlib.import_module('liangxin_client._limits')\n",
        "private name across packages",
    ),
]


@pytest.mark.parametrize(("rel", "text", "says"), BROKEN)
def test_each_rule_can_fail(tmp_path: Path, rel: str, text: str, says: str | None) -> None:
    files = dict(CLEAN, **{rel: text})
    if says is None:
        files["liangxin_client/_client.py"] += "from liangxin_client import _tasks\n"
        says = "import cycle: liangxin_client._client -> liangxin_client._tasks"
    found = violations(make_tree(tmp_path, files))
    assert any(says in line for line in found), found


def test_cycles_are_found_whatever_their_length() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}, "e": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"], ["d"]]


# --- This repository. ------------------------------------------------------------------------


def describe(lines: Iterable[str]) -> str:
    return "\n".join(lines)


def test_the_repository_keeps_the_import_rules() -> None:
    found = violations(ROOT)
    assert not found, describe(found)


def test_every_package_the_rules_name_exists() -> None:
    # A renamed folder would otherwise silently drop out of the checks above.
    missing = [where for where in PACKAGES.values() if not (ROOT / where / "__init__.py").is_file()]
    assert not missing, missing
    assert (ROOT / "liangxin_client" / "_bridge.py").is_file()
    assert (ROOT / Path(*MOCK_LAUNCHER.split("."))).with_suffix(".py").is_file()
