"""The public surface: exports, configuration, typed inputs and pre-send validation."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import httpx
import pytest
from client_support import BASE_URL, KEY, Recorder, client_for, envelope

import liangxin_client
import liangxin_contract
from liangxin_client import (
    MODEL_INPUTS,
    AsyncLiangXin,
    InvalidRequestError,
    LiangXin,
    LiangXinError,
    SeedreamV45Input,
    Task,
    TaskState,
    ZImageInput,
)
from liangxin_client._generated.models.task_state import TASK_STATE_VALUES

ROOT = Path(__file__).resolve().parents[1]


def created(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=envelope({"taskId": "task_x_1"}))


# -- exports ----------------------------------------------------------------------------------


def _ruff_order(name: str) -> tuple[int, list[str | int]]:
    """RUF022's isort-style order: CONSTANTS, then Classes, then the rest; digits compare as numbers."""
    natural: list[str | int] = [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]
    if name.isupper():
        return 0, natural
    return (1 if name[0].isupper() else 2), natural


def test_all_is_sorted_and_complete() -> None:
    exported = liangxin_client.__all__
    assert exported == sorted(exported, key=_ruff_order)
    assert len(set(exported)) == len(exported)
    public = {
        name
        for name in vars(liangxin_client)
        if not name.startswith("_") and name not in {"annotations"}
    } - {"liangxin_client"}
    # Submodules imported as a side effect are not API.
    public = {
        n for n in public if not isinstance(getattr(liangxin_client, n), type(liangxin_client))
    }
    assert public | {"__version__"} == set(exported)
    for name in exported:
        assert getattr(liangxin_client, name) is not None


def test_nothing_public_comes_from_generated_modules_by_path() -> None:
    source = (ROOT / "liangxin_client" / "__init__.py").read_text()
    assert "_generated.models." not in source  # only the package-level names, stable across renames


def test_version_matches_pyproject_and_user_agent() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert liangxin_client.__version__ == project["version"]
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": "t"})))
    with client_for(seen) as client:
        client.tasks.create("seedream-v4-5", "a cat")
    agent = seen.requests[0].headers["user-agent"]
    assert agent.startswith(f"liangxin-client/{project['version']} python/3.")
    assert f"httpx/{httpx.__version__}" in agent
    assert seen.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_model_inputs_cover_the_contract() -> None:
    assert set(MODEL_INPUTS) == set(liangxin_contract.model_names())
    for model, cls in MODEL_INPUTS.items():
        fields = set(liangxin_contract.input_schema(model)["properties"])
        assert "prompt" in fields, model
        assert cls.__name__.endswith("Input"), model


def test_task_state_matches_the_contract() -> None:
    known = {s.value for s in TaskState if s is not TaskState.UNKNOWN}
    assert known == set(TASK_STATE_VALUES)


# -- configuration ----------------------------------------------------------------------------


def test_environment_configures_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIANGXIN_API_KEY", "sk-from-env")
    monkeypatch.setenv("LIANGXIN_BASE_URL", "https://env.example/")
    with LiangXin() as client:
        assert client.base_url == "https://env.example"
        assert client._api_key.reveal() == "sk-from-env"


@pytest.mark.parametrize("missing", ["LIANGXIN_API_KEY", "LIANGXIN_BASE_URL"])
def test_missing_configuration_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.setenv("LIANGXIN_API_KEY", "sk-x")
    monkeypatch.setenv("LIANGXIN_BASE_URL", "https://x.example")
    monkeypatch.delenv(missing)
    with pytest.raises(LiangXinError, match=missing):
        LiangXin()


SECRET = "sk-secret-0123"


@pytest.mark.parametrize(
    "key",
    [SECRET + "\n", SECRET + " ", " " + SECRET, "sk-secret 0123", SECRET + "\t", "sk-sécret-0123"],
)
def test_an_api_key_that_cannot_go_in_a_header_is_refused_without_quoting_it(
    monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    for make in (lambda: LiangXin(key, BASE_URL), lambda: AsyncLiangXin(key, BASE_URL)):
        with pytest.raises(LiangXinError, match="trailing newline") as info:
            make()
        assert SECRET not in str(info.value) and "sécret" not in str(info.value)
    monkeypatch.setenv("LIANGXIN_API_KEY", key)
    with pytest.raises(LiangXinError, match="whitespace"):
        LiangXin(base_url=BASE_URL)
    with LiangXin(SECRET, BASE_URL) as client, pytest.raises(LiangXinError, match="whitespace"):
        client.with_options(api_key=key)


def test_timeouts_are_finite_by_default() -> None:
    with LiangXin("k", BASE_URL) as client:
        assert client.timeout.connect == 5.0
        assert client.timeout.read == 30.0
        assert client._http.timeout.read == 30.0


def test_with_options_copies_and_shares_the_pool() -> None:
    with LiangXin("k", BASE_URL, max_retries=2) as client:
        other = client.with_options(max_retries=0, timeout=3.0, default_headers={"X-A": "1"})
        assert other.max_retries == 0 and client.max_retries == 2
        assert other.timeout.read == 3.0 and other.base_url == BASE_URL
        assert other._http is client._http and not other._owns_http
        assert other._headers["X-A"] == "1" and "X-A" not in client._headers


def test_given_http_client_is_not_closed() -> None:
    http = httpx.Client()
    with LiangXin("k", BASE_URL, http_client=http):
        pass
    assert not http.is_closed
    http.close()


def test_context_manager_closes_own_pool() -> None:
    with LiangXin("k", BASE_URL) as client:
        pass
    assert client._http.is_closed


# -- create: inputs and validation ------------------------------------------------------------


def test_create_sends_the_documented_body() -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": "task_x_1"})))
    with client_for(seen) as client:
        task = client.tasks.create(
            model="seedream-v4-5",
            prompt="a cat",
            aspect_ratio="16:9",
            seed=None,
            callback_url="https://example.com/cb",
        )
    assert task == Task(task_id="task_x_1", model="seedream-v4-5")
    body = seen.requests[0].read()
    assert httpx.Response(200, content=body).json() == {
        "model": "seedream-v4-5",
        "input": {"prompt": "a cat", "aspect_ratio": "16:9"},
        "callBackUrl": "https://example.com/cb",
    }


def test_create_accepts_a_typed_input() -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": "task_x_1"})))
    with client_for(seen) as client:
        task = client.tasks.create(input=ZImageInput(prompt="fox", image_size="landscape_16_9"))
    assert task.model == "z-image"
    sent = httpx.Response(200, content=seen.requests[0].read()).json()
    assert sent == {"model": "z-image", "input": {"prompt": "fox", "image_size": "landscape_16_9"}}


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        (
            {"model": "seedream-v4-5", "prompt": "x", "aspect_ratio": "7:5"},
            "input.aspect_ratio",
            "7:5",
        ),
        ({"model": "seedream-v4-5"}, "input.prompt", "required"),
        ({"model": "flux-2-pro", "prompt": "x", "width": 512}, "input.height", "required"),
        (
            {"model": "seedream-v4-5", "prompt": "x", "callback_url": "http://insecure"},
            "callBackUrl",
            "callBackUrl",
        ),
        ({"model": "seedream-v4-5", "input": ZImageInput(prompt="x")}, "model", "z-image"),
        (
            {"model": "seedream-v4-5", "prompt": "x", "input": SeedreamV45Input(prompt="x")},
            "input",
            "not both",
        ),
    ],
)
def test_invalid_requests_fail_before_any_network_call(
    kwargs: dict[str, object], field: str, words: str
) -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": "t"})))
    with client_for(seen) as client, pytest.raises(InvalidRequestError) as info:
        client.tasks.create(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert words in str(info.value)
    assert isinstance(info.value, ValueError)
    assert seen.requests == []


def test_extra_input_passes_undocumented_fields_deliberately() -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": "t"})))
    with client_for(seen) as client:
        client.tasks.create("seedream-v4-5", "x", extra_input={"style": "noir"})
    sent = httpx.Response(200, content=seen.requests[0].read()).json()
    assert sent["input"] == {"prompt": "x", "style": "noir"}


def test_validate_false_sends_anything() -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": "t"})))
    with client_for(seen) as client:
        client.tasks.create("not-a-model", "x", aspect_ratio="7:5", validate=False)
    sent = httpx.Response(200, content=seen.requests[0].read()).json()
    assert sent == {"model": "not-a-model", "input": {"prompt": "x", "aspect_ratio": "7:5"}}


def test_get_rejects_an_empty_task_id() -> None:
    seen = Recorder(httpx.Response(200, json=envelope({})))
    with client_for(seen) as client, pytest.raises(InvalidRequestError):
        client.tasks.get("")
    assert seen.requests == []
