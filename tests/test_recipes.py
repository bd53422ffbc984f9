"""The Python recipes of README.md and docs/*.md run as written, against a mock on loopback.

The README's recipes are run as a reader runs them: one after another, as scripts, against the
mock its `liangxin-mock` command starts (same keys and credits; shorter tasks), with
`LIANGXIN_BASE_URL` and `LIANGXIN_API_KEY` set as the README says. Every fenced `python` block is
named below by a phrase it contains and is either run (as a script, or under pytest) or, when it
is a fragment of the reader's own program or must reach beyond loopback, compiled only. A block
that no phrase names fails: decide how a new recipe is checked.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from liangxin_mock import MockServer
from liangxin_mock.cli import build_parser, config_from_args

REPO = Path(__file__).resolve().parent.parent
DOCS = ("README.md", "docs/callbacks.md")
TASK_SECONDS = 0.2  # the README's mock takes 3 s a task; the recipes do not depend on it


def statuses(stdout: str) -> list[str]:
    return [line.split()[1] for line in stdout.splitlines()]


@dataclass(frozen=True)
class Recipe:
    phrase: str
    how: str  # "script", "pytest", "fragment" (compiled only) or "outside" (compiled only)
    check: Callable[[str], bool] = lambda stdout: True
    why: str = ""


RECIPES = [
    Recipe("with LiangXin() as client:\n    # One call", "script"),
    Recipe("async def main() -> None:\n    async with AsyncLiangXin()", "script"),
    Recipe("find_ambiguous_submit(exc)", "fragment", why="the reader's client and logger"),
    Recipe(
        "client.generate_many(rows",
        "script",
        check=lambda out: statuses(out) == ["success"] * 500,
        why="all 500 rows succeed on the README's mock",
    ),
    Recipe(
        "client.generate_many(shots",
        "script",
        check=lambda out: "out/SKU-4711/1.png" in out and "out/SKU-4712/1.png" in out,
        why="each key's image at its name",
    ),
    Recipe(
        'callback_url="https://hooks.example.com/liangxin"',
        "outside",
        why="binds 0.0.0.0:8080 and its callBackUrl is a public host",
    ),
    Recipe("async_verify_callback(parse_callback(body_bytes), client)", "script"),
    Recipe("def test_my_app(liangxin_mock)", "pytest"),
    Recipe(
        "read_image_metadata(result.paths[0])",
        "script",
        check=lambda out: "A lighthouse at dusk image 1 of 1" in out,
    ),
    Recipe(
        "liangxin_mock.CallbackReceiver() as receiver",
        "script",
        check=lambda out: out == "True success\n",
    ),
    # docs/callbacks.md
    Recipe("CallbackReceiver,            # pure-ASGI app", "script"),
    Recipe('Route("/liangxin/callback", receiver', "script"),
    Recipe('@app.post("/hooks/liangxin")', "fragment", why="the reader's FastAPI app"),
    Recipe("record = parse_callback(body)", "fragment", why="the reader's body, client and log"),
]


def python_blocks(doc: str) -> list[str]:
    text = (REPO / doc).read_text()
    return [
        b for lang, b in re.findall(r"^```(\w*)\n(.*?)^```$", text, re.M | re.S) if lang == "python"
    ]


def recipe_for(block: str) -> Recipe | None:
    named = [r for r in RECIPES if r.phrase in block]
    assert len(named) <= 1, [r.phrase for r in named]
    return named[0] if named else None


BLOCKS = [(doc, n, block) for doc in DOCS for n, block in enumerate(python_blocks(doc), 1)]


def test_every_python_block_is_named() -> None:
    unnamed = [f"{doc} python block {n}" for doc, n, block in BLOCKS if recipe_for(block) is None]
    assert not unnamed, f"say how these recipes are checked (RECIPES): {unnamed}"
    found = [r.phrase for r in RECIPES if not any(r.phrase in b for _, _, b in BLOCKS)]
    assert not found, f"recipes no longer in the docs: {found}"


@pytest.fixture(scope="module")
def readme_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """The mock the README's `liangxin-mock` command starts: its keys and credits."""
    (command,) = [
        line
        for doc in DOCS
        for line in (REPO / doc).read_text().splitlines()
        if line.startswith("liangxin-mock ")
    ]
    args = build_parser().parse_args(shlex.split(command)[1:])
    config = config_from_args(args, {})
    db = tmp_path_factory.mktemp("mock") / "mock.db"
    with MockServer(replace(config, db_path=str(db), task_seconds=TASK_SECONDS)) as mock:
        yield mock


@pytest.mark.slow
@pytest.mark.parametrize(("doc", "number", "block"), BLOCKS, ids=[f"{d}-{n}" for d, n, _ in BLOCKS])
def test_recipe_runs_as_written(
    doc: str, number: int, block: str, readme_mock: MockServer, tmp_path: Path
) -> None:
    recipe = recipe_for(block)
    assert recipe is not None
    if recipe.how in {"fragment", "outside"}:
        compile(block, f"{doc}:{number}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        return
    script = tmp_path / ("test_recipe.py" if recipe.how == "pytest" else "recipe.py")
    script.write_text(block)
    argv = ["-m", "pytest", "-q", "-p", "no:cacheprovider", script.name]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(LIANGXIN_BASE_URL=readme_mock.base_url, LIANGXIN_API_KEY=readme_mock.api_key)
    done = subprocess.run(
        [sys.executable, *(argv if recipe.how == "pytest" else [script.name])],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert recipe.check(done.stdout), (recipe.why, done.stdout[-3000:])
