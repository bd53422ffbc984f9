"""The CLI as a package of its own: it leaves the library's environment to the client."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from liangxin_client import environment_settings
from liangxin_client.cli import EXIT_OK, main
from liangxin_mock import MockServer

CLI = Path(__file__).resolve().parent.parent / "liangxin_client" / "cli"
#: The variables the library reads itself (`LIANGXIN_LOG` too): the CLI must not read them again.
LIBRARY_VARIABLES = {"LIANGXIN_API_KEY", "LIANGXIN_BASE_URL", "LIANGXIN_LOG"}


def environment_reads(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, variable) of each `os.environ[...]`, `os.environ.get(...)`, `os.getenv(...)` and
    `"..." in os.environ` with a literal name."""

    def is_environ(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "environ"

    for node in ast.walk(tree):
        name: ast.AST | None = None
        if isinstance(node, ast.Subscript) and is_environ(node.value):
            name = node.slice
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "getenv") or (
                isinstance(func, ast.Attribute)
                and func.attr in ("get", "pop", "setdefault")
                and is_environ(func.value)
            ):
                name = node.args[0]
        elif isinstance(node, ast.Compare) and any(is_environ(c) for c in node.comparators):
            name = node.left
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            yield node.lineno, name.value


def test_the_cli_reads_none_of_the_librarys_environment_variables() -> None:
    found = [
        f"{path.name}:{line} reads {variable}"
        for path in sorted(CLI.glob("*.py"))
        for line, variable in environment_reads(ast.parse(path.read_text(encoding="utf-8")))
        if variable in LIBRARY_VARIABLES
    ]
    assert not found, found
    # The checker sees each form of reading (so the empty result above means something).
    sample = "os.environ['A']; os.environ.get('B'); os.getenv('C'); 'D' in os.environ"
    assert [v for _, v in environment_reads(ast.parse(sample))] == ["A", "B", "C", "D"]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("LIANGXIN_", "XDG_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    yield


def test_environment_settings_are_the_variables_set_and_not_empty(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert environment_settings() == {}
    monkeypatch.setenv("LIANGXIN_API_KEY", "sk-1")
    monkeypatch.setenv("LIANGXIN_BASE_URL", "")
    assert environment_settings() == {"api_key": "sk-1"}


def test_an_empty_environment_variable_leaves_the_setting_to_the_profile(
    clean_env: None,
    liangxin_mock: MockServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "config" / "liangxin" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'[profiles.default]\nbase_url = "{liangxin_mock.base_url}"\n'
        f'api_key_command = "printf %s {liangxin_mock.api_key}"\n'
    )
    monkeypatch.setenv("LIANGXIN_BASE_URL", "")
    monkeypatch.setenv("LIANGXIN_API_KEY", "")
    assert main(["create", "-m", "z-image", "x"]) == EXIT_OK, capsys.readouterr().err
    assert capsys.readouterr().out.startswith("task_z-image_")
