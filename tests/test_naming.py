"""File-name templates and request keys in the library: `NameTemplate`, `save(name=)`,
`generate(name=)`, `generate_many(name=)` and keyed requests, against the mock on loopback."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from liangxin_client import (
    AsyncLiangXin,
    InvalidNameError,
    LiangXin,
    NameSuffixWarning,
    NameTemplate,
    TaskRecord,
)
from liangxin_mock import MockServer

Factory = Callable[..., MockServer]


def _name(template: str, **values: Any) -> str:
    base = {"model": "z-image", "prompt": "A fox", "key": "k1", "row": 1}
    return NameTemplate(template).plan({**base, **values}).name("task_7", 1, ".png")


# -- the template ---------------------------------------------------------------------------


def test_placeholders_fill_in() -> None:
    assert _name("{key}/{n}.png") == "k1/1.png"
    assert _name("{model}/{row:04d}-{task_id}") == "z-image/0001-task_7.png"
    assert _name("{prompt}", prompt="A Tea bottle, on stone!") == "a-tea-bottle-on-stone.png"
    assert _name("{prompt}", prompt="一只狐狸 in snow") == "一只狐狸-in-snow.png"
    assert len(_name("{prompt}", prompt="word " * 100)) <= 48 + len(".png")
    assert _name("{aspect_ratio}/{key}.png", aspect_ratio="16:9".replace(":", "x")) == (
        "16x9/k1.png"
    )


UNSAFE = [
    ("../{key}.png", {}, "leave the output"),
    ("a/../../{key}", {}, "leave the output"),
    ("/tmp/{key}.png", {}, "absolute"),
    ("C:{key}.png", {}, "absolute"),
    ("a\\{key}.png", {}, "backslash"),
    ("a//{key}.png", {}, "empty path segment"),
    ("{key}/", {}, "empty path segment"),
    ("./{key}", {}, "leave the output"),
    ("{key}", {"key": ".."}, "leave the output"),
    ("{key}.png", {"key": "a/b"}, "may not hold /"),
    ("{key}.png", {"key": "..\\x"}, "may not hold /"),
    ("{key}.png", {"key": "CON"}, "reserved name"),
    ("out/{key}", {"key": "nul"}, "reserved name"),
    ("{key}.png", {"key": "lpt1"}, "reserved name"),
    ("{key}.png", {"key": "a\x00b"}, "NUL"),
    ("{key}.png", {"key": "a\nb"}, "control character"),
    ("{key}?.png", {}, "cannot be in a file name"),
    ("{key}.png", {"key": 'say "hi"'}, "cannot be in a file name"),
    ("{key}.png", {"key": "x" * 300}, "longer than"),
    ("{key}", {"key": ".hidden"}, "starts with a dot"),
    ("{key}./x.png", {}, "ends with a dot"),
    ("{nope}.png", {}, "unknown placeholder"),
    ("{key!r}.png", {}, "conversion"),
    ("{key.upper}.png", {}, "not a placeholder"),
    ("{}.png", {}, "not a placeholder"),
    ("{key", {}, "name template"),
    ("", {}, "empty"),
    ("{row:d}.png", {"row": "x"}, "{row:d}"),
]


@pytest.mark.parametrize(("template", "values", "reason"), UNSAFE)
def test_unsafe_or_malformed_names_are_refused(
    template: str, values: dict[str, Any], reason: str
) -> None:
    with pytest.raises(InvalidNameError, match=None) as raised:
        _name(template, **values)
    assert reason in str(raised.value)


def test_the_extension_follows_the_content() -> None:
    plan = NameTemplate("{key}.jpg").plan({"key": "a"})
    assert plan.name("t", 1, ".jpg") == "a.jpg"
    assert NameTemplate("{key}.JPEG").plan({"key": "a"}).name("t", 1, ".jpg") == "a.JPEG"
    assert plan.name("t", 1, ".bin") == "a.jpg"  # unknown content: the template stands
    with pytest.warns(NameSuffixWarning, match="PNG, not JPG"):
        assert plan.name("t", 1, ".png") == "a.png"  # never PNG bytes named .jpg
    assert NameTemplate("{key}").plan({"key": "a"}).name("t", 1, ".webp") == "a.webp"
    # Without {n}, the images after a task's first never overwrite it.
    assert plan.name("t", 2, ".jpg") == "a_2.jpg"


def test_names_clash_ignoring_case_and_extension_unless_per_task() -> None:
    one = NameTemplate("{key}.png").plan({"key": "Fox"}).claim()
    assert one == NameTemplate("{key}.jpg").plan({"key": "fox"}).claim()
    assert NameTemplate("{task_id}.png").plan({}).claim() is None


# -- save, generate, generate_many ------------------------------------------------------------


@pytest.fixture
def mock(liangxin_mock_factory: Factory) -> MockServer:
    return liangxin_mock_factory(task_seconds=0.05)


def test_save_takes_a_template(mock: MockServer, tmp_path: Path) -> None:
    with LiangXin(mock.api_key, mock.base_url) as client:
        result = client.generate("z-image", "A red fox", image_size="square")
        paths = result.save(tmp_path, name="{model}/{key}-{prompt}-{n}.png", key="sku-1")
        assert paths == [tmp_path / "z-image" / "sku-1-a-red-fox-1.png"]
        assert paths[0].read_bytes().startswith(b"\x89PNG")
        record: TaskRecord = result.record
        named = client.save(record, tmp_path, name="{image_size}/{task_id}_{n}")
        assert named == [tmp_path / "square" / f"{record.task_id}_1.png"]
        with pytest.raises(InvalidNameError, match="leave the output"):
            client.save(record, tmp_path, name="../{task_id}.png")
        with pytest.raises(InvalidNameError, match="has no key"):
            client.save(record, tmp_path, name="{key}.png")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            (jpeg,) = client.save(record, tmp_path / "j", name="{task_id}.jpg")
        assert jpeg.suffix == ".png" and any(
            issubclass(w.category, NameSuffixWarning) for w in caught
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["j", "square", "z-image"]


def test_generate_checks_the_name_before_creating_a_task(mock: MockServer, tmp_path: Path) -> None:
    with LiangXin(mock.api_key, mock.base_url) as client:
        with pytest.raises(InvalidNameError, match="unknown placeholder"):
            client.generate("z-image", "A fox", download_to=tmp_path, name="{sku}.png")
        with pytest.raises(InvalidNameError, match="reserved name"):
            client.generate("z-image", "A fox", download_to=tmp_path, name="aux.png")
        assert mock.stats()["createTask"] == 0
        result = client.generate("z-image", "A fox", download_to=tmp_path, name="{prompt}.png")
    assert result.paths == (tmp_path / "a-fox.png",)


def test_generate_many_outcomes_carry_keys_and_refuse_clashes_unsent(
    mock: MockServer, tmp_path: Path
) -> None:
    requests = {f"sku-{i}": {"model": "z-image", "prompt": f"fox {i}"} for i in range(6)}
    with LiangXin(mock.api_key, mock.base_url) as client:
        outcomes = list(client.generate_many(requests, download_to=tmp_path, name="{key}/{n}.png"))
        assert {o.key for o in outcomes} == set(requests)
        for outcome in outcomes:
            assert outcome.ok and outcome.paths == (tmp_path / str(outcome.key) / "1.png",)
        sent = mock.stats()["createTask"]
        rows: list[Any] = [
            {"model": "z-image", "prompt": "a", "key": "x"},
            {"model": "z-image", "prompt": "b", "key": "x"},  # the same key
            {"model": "z-image", "prompt": "c", "key": "CON"},  # an unsafe name
            {"model": "z-image", "prompt": "d", "key": "X"},  # x.png again, in another case
            {"model": "z-image", "prompt": "e"},  # no key for {key}
        ]
        outcomes = list(client.generate_many(rows, download_to=tmp_path / "b", name="{key}.png"))
    by_index = {o.index: o for o in outcomes}
    assert [by_index[i].status for i in range(5)] == ["success", "error", "error", "error", "error"]
    assert "used by an earlier request" in str(by_index[1].error)
    assert "reserved name" in str(by_index[2].error)
    assert "same as request 0" in str(by_index[3].error)
    assert "has no key" in str(by_index[4].error)
    assert [by_index[i].key for i in range(5)] == ["x", "x", "CON", "X", None]
    assert mock.stats()["createTask"] == sent + 1  # only the first was sent
    assert by_index[0].paths == (tmp_path / "b" / "x.png",)


def test_async_generate_many_takes_keys_too(mock: MockServer, tmp_path: Path) -> None:
    async def run() -> list[Any]:
        async with AsyncLiangXin(mock.api_key, mock.base_url) as client:
            many = client.generate_many(
                [
                    {"model": "z-image", "prompt": "p", "key": 7},
                    {"model": "z-image", "prompt": "q"},
                ],
                download_to=tmp_path,
                name="{row}-{key}.png",
            )
            return [o async for o in many]

    outcomes = sorted(asyncio.run(run()), key=lambda o: o.index)
    assert outcomes[0].key == "7" and outcomes[0].paths == (tmp_path / "1-7.png",)
    assert outcomes[1].status == "error" and outcomes[1].key is None  # {key} needs one
