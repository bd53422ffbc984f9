"""Never stricter than the documented service: documented facts block, guesses warn.

Each case of issue 10's "Why" list, against the client (offline: nothing must be sent when a
request is refused) and against the mock (a real server on loopback).
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import httpx
import pytest
from client_support import Recorder, client_for, envelope, record_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import liangxin_contract
from liangxin_client import (
    InferredConstraintWarning,
    InvalidRequestError,
    LiangXin,
    LiangXinWarning,
    NanoBananaProInput,
    UnknownFieldWarning,
    UnknownModelWarning,
)
from liangxin_mock import MockServer


def sent_body(seen: Recorder) -> dict[str, Any]:
    [request] = seen.requests
    body: dict[str, Any] = json.loads(request.read())
    return body


def create(**kwargs: Any) -> tuple[dict[str, Any], list[warnings.WarningMessage]]:
    """Create a task offline; (the body sent, the warnings raised)."""
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": "task_x_1"})))
    with warnings.catch_warnings(record=True) as caught, client_for(seen) as client:
        warnings.simplefilter("always")
        client.tasks.create(**kwargs)
    return sent_body(seen), list(caught)


def liangxin_warnings(caught: list[warnings.WarningMessage]) -> list[LiangXinWarning]:
    return [w.message for w in caught if isinstance(w.message, LiangXinWarning)]


# -- documented-but-open lists ----------------------------------------------------------------


@pytest.mark.parametrize("model", ["nano-banana-pro", "nano-banana-pro-flash"])
def test_nano_banana_aliases_are_open(model: str) -> None:
    body, caught = create(model=model, prompt="a red kite", aspect_ratio="widescreen_16_9")
    assert body["input"]["aspect_ratio"] == "widescreen_16_9"
    assert liangxin_warnings(caught) == []


def test_typed_nano_banana_input_takes_an_alias() -> None:
    body, caught = create(input=NanoBananaProInput(prompt="a kite", aspect_ratio="cinema_wide"))
    assert body == {
        "model": "nano-banana-pro",
        "input": {"prompt": "a kite", "aspect_ratio": "cinema_wide"},
    }
    assert liangxin_warnings(caught) == []


# -- models ---------------------------------------------------------------------------------


def test_a_partly_known_model_is_sent_with_its_fields_open() -> None:
    body, caught = create(model="kling-v3-pro", prompt="a paper boat", duration=5)
    assert body == {"model": "kling-v3-pro", "input": {"prompt": "a paper boat", "duration": 5}}
    assert liangxin_warnings(caught) == []
    assert liangxin_contract.model_knowledge("kling-v3-pro") == "partial"


def test_an_unknown_model_is_sent_with_a_warning_naming_the_closest() -> None:
    body, caught = create(model="kling-v3-turbo", prompt="a boat", fps=24)
    assert body == {"model": "kling-v3-turbo", "input": {"prompt": "a boat", "fps": 24}}
    [warning] = liangxin_warnings(caught)
    assert isinstance(warning, UnknownModelWarning)
    assert "did you mean 'kling-v3-pro'" in str(warning)
    assert warning.field == "model"


def test_an_unknown_model_still_gets_its_envelope_checked() -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": "t"})))
    with client_for(seen) as client, pytest.raises(InvalidRequestError) as info:
        client.tasks.create("new-model", "x", callback_url="http://insecure.example/cb")
    assert info.value.field == "callBackUrl"
    assert seen.requests == []


def test_strict_refuses_an_unknown_model_before_sending() -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": "t"})))
    with client_for(seen, strict=True) as client, pytest.raises(InvalidRequestError) as info:
        client.tasks.create("seedream-v4.5", "x")
    assert info.value.field == "model" and "did you mean 'seedream-v4-5'" in str(info.value)
    assert seen.requests == []


# -- guessed fields and rules ---------------------------------------------------------------


def test_a_guessed_field_is_never_required() -> None:
    # Seedream 4.5 Edit: the reference-image field name is upstream's guess, not the docs'.
    body, caught = create(
        model="seedream-v4-5-edit", prompt="autumn", extra_input={"image_urls": ["https://a/b.png"]}
    )
    assert body["input"] == {"prompt": "autumn", "image_urls": ["https://a/b.png"]}
    assert liangxin_warnings(caught) == []


def test_an_unknown_field_warns_with_a_hint_and_is_sent() -> None:
    body, caught = create(model="seedream-v4-5", prompt="x", aspect_ration="16:9")
    assert body["input"] == {"prompt": "x", "aspect_ration": "16:9"}
    [warning] = liangxin_warnings(caught)
    assert isinstance(warning, UnknownFieldWarning)
    assert "did you mean 'aspect_ratio'" in str(warning)
    assert warning.field == "input.aspect_ration"


def test_the_warning_points_at_the_callers_line() -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": "t"})))
    with client_for(seen) as client, pytest.warns(UnknownFieldWarning) as record:
        client.tasks.create("seedream-v4-5", "x", colour="red")
    assert record[0].filename == __file__


@pytest.mark.parametrize(
    "reference",
    [
        "https://cdn.example.com/a.png?X-Amz-Signature=abc&X-Amz-Expires=600",
        "https://cdn.example.com/a.jpg#frag",
        "https://cdn.example.com/photo.Png",
        "data:image/png;charset=utf-8;base64,iVBORw0KGgo=",
    ],
)
def test_nano_banana_references_the_regex_used_to_refuse(reference: str) -> None:
    body, caught = create(model="nano-banana-pro", prompt="ab", image_input=[reference])
    assert body["input"]["image_input"] == [reference]
    assert liangxin_warnings(caught) == []


def test_a_reference_the_guessed_regex_rejects_warns_and_is_sent() -> None:
    body, caught = create(model="nano-banana-pro", prompt="ab", image_input=["ftp://x/a.gif"])
    assert body["input"]["image_input"] == ["ftp://x/a.gif"]
    [warning] = liangxin_warnings(caught)
    assert isinstance(warning, InferredConstraintWarning)
    assert warning.field == "input.image_input[0]"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"model": "imagen4-fast", "seed": 0}, "input.seed"),
        ({"model": "gemini-2.5-flash-image-preview", "reference_images": ["u"] * 4}, None),
        ({"model": "z-image", "image_size": "huge"}, "input.image_size"),
    ],
)
def test_inferred_limits_warn_and_send(fields: dict[str, Any], field: str | None) -> None:
    body, caught = create(prompt="a fox", **fields)
    assert body["model"] == fields["model"]
    [warning] = liangxin_warnings(caught)
    assert isinstance(warning, InferredConstraintWarning)
    assert field is None or warning.field == field


def test_strict_turns_an_inferred_limit_into_an_error_before_sending() -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": "t"})))
    with client_for(seen) as client, pytest.raises(InvalidRequestError) as info:
        client.tasks.create("imagen4-fast", "x", seed=0, strict=True)
    assert info.value.field == "input.seed"
    assert seen.requests == []


# -- documented facts still block, offline ---------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"model": "seedream-v4-5", "prompt": "x", "aspect_ratio": "5:4"}, "input.aspect_ratio"),
        ({"model": "seedream-v4-5"}, "input.prompt"),
        ({"model": "imagen4-fast"}, "input.prompt"),
        ({"model": "flux-2-pro", "prompt": "x", "width": 512}, "input.height"),
        ({"model": "imagen4-ultra", "prompt": "x", "seed": 0}, "input.seed"),
        (
            {
                "model": "nano-banana-pro",
                "prompt": "ab",
                "image_input": ["https://a/1.png", "https://a/2.png"],
                "reference_images": ["https://a/3.png", "https://a/4.png"],
            },
            "input.reference_images",
        ),
    ],
)
def test_documented_violations_never_reach_the_network(kwargs: dict[str, Any], field: str) -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": "t"})))
    with client_for(seen) as client, pytest.raises(InvalidRequestError) as info:
        client.tasks.create(**kwargs)
    assert info.value.field == field
    assert seen.requests == []


def test_a_huge_bad_value_is_not_echoed_whole() -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": "t"})))
    with client_for(seen) as client, pytest.raises(InvalidRequestError) as info:
        client.tasks.create("seedream-v4-5", "x", aspect_ratio="y" * 100_000)
    assert len(str(info.value)) < 1_000


# -- callBackUrl and responses ---------------------------------------------------------------


@pytest.mark.parametrize("url", [None, ""])
def test_an_empty_callback_url_is_no_callback(liangxin_mock: MockServer, url: str | None) -> None:
    body = {"model": "z-image", "callBackUrl": url, "input": {"prompt": "a fox"}}
    headers = {"Authorization": f"Bearer {liangxin_mock.api_key}"}
    with httpx.Client(base_url=liangxin_mock.base_url, headers=headers) as http:
        answer = http.post("/api/v1/jobs/createTask", json=body)
        assert answer.status_code == 200, answer.text
        assert http.get("/__mock__/callbacks").json()["callbacks"] == []
    with LiangXin(liangxin_mock.api_key, liangxin_mock.base_url) as client:
        assert client.tasks.create("z-image", "a fox", callback_url="").task_id


def test_inferred_response_fields_may_be_null() -> None:
    data = record_data("generating", failMsg=None, createTime=None, updateTime=None)
    with client_for(Recorder(httpx.Response(200, json=envelope(data)))) as client:
        record = client.tasks.get(data["taskId"])
    assert record.fail_msg is None and record.create_time is None and record.update_time is None
    validator = liangxin_contract.schema_validator("RecordInfoResponse")
    assert validator.is_valid(envelope(data))


# -- the mock: accepts guesses by default, --strict refuses them ------------------------------


def test_the_mock_accepts_a_guess_and_records_it(liangxin_mock: MockServer) -> None:
    body = {"model": "imagen4-fast", "input": {"prompt": "a fox", "seed": 0}}
    headers = {"Authorization": f"Bearer {liangxin_mock.api_key}"}
    with httpx.Client(base_url=liangxin_mock.base_url, headers=headers) as http:
        answer = http.post("/api/v1/jobs/createTask", json=body)
        assert answer.status_code == 200, answer.text
        noted = http.get("/__mock__/stats").json()["inferredViolations"]
    assert noted["count"] == 1
    assert noted["log"][0]["field"] == "input.seed"
    assert noted["log"][0]["taskId"] == answer.json()["data"]["taskId"]


def test_the_strict_mock_refuses_a_guess(liangxin_mock_factory: Any) -> None:
    mock: MockServer = liangxin_mock_factory(strict=True)
    body = {"model": "imagen4-fast", "input": {"prompt": "a fox", "seed": 0}}
    headers = {"Authorization": f"Bearer {mock.api_key}"}
    with httpx.Client(base_url=mock.base_url, headers=headers) as http:
        answer = http.post("/api/v1/jobs/createTask", json=body)
    assert answer.status_code == 400
    assert "input.seed" in answer.json()["msg"]


# -- the mock and the client agree (property test) -------------------------------------------

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2, max_value=5000),
    st.sampled_from(["1:1", "16:9", "5:4", "widescreen_16_9", "square_hd", "png", "2K", "", "x"]),
    st.text(max_size=8),
    st.lists(
        st.sampled_from(["https://a.example/1.png", "https://a.example/2.jpg?s=1", "nope", ""]),
        max_size=5,
    ),
)
_MODELS = st.sampled_from([*liangxin_contract.model_names(), "kling-v3-turbo"])


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, dict[str, Any], Any]:
    model = draw(_MODELS)
    known = (
        list(liangxin_contract.request_view(model)["properties"]["input"].get("properties", {}))
        if model in liangxin_contract.model_names()
        else ["prompt"]
    )
    names = draw(st.lists(st.sampled_from([*known, "extra_thing"]), unique=True, max_size=5))
    fields = {name: draw(_VALUES) for name in names}
    fields.setdefault("prompt", draw(st.sampled_from(["a fox", "", "ab"])))
    callback = draw(st.sampled_from([None, "", "https://127.0.0.1:9/cb", "http://x.example/cb"]))
    return model, fields, callback


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=bodies())
def test_a_body_the_client_sends_is_refused_by_the_mock_only_for_a_documented_reason(
    liangxin_mock: MockServer, case: tuple[str, dict[str, Any], Any]
) -> None:
    model, fields, callback = case
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": "t"})))
    with warnings.catch_warnings(), client_for(seen) as client:
        warnings.simplefilter("ignore", LiangXinWarning)
        try:
            client.tasks.create(model, extra_input=fields, callback_url=callback)
        except InvalidRequestError:
            refused = True
        else:
            refused = False
    body = {"model": model, "input": fields}
    if callback is not None:
        body["callBackUrl"] = callback
    verdict = liangxin_contract.check_create_task(body)
    # The client refuses exactly the documented violations.
    assert refused is bool(verdict.documented), (body, verdict)
    if refused:
        return
    sent = sent_body(seen)
    headers = {"Authorization": f"Bearer {liangxin_mock.api_key}", "X-Mock-Task-Seconds": "0"}
    answer = httpx.post(
        f"{liangxin_mock.base_url}/api/v1/jobs/createTask", json=sent, headers=headers
    )
    if verdict.knowledge == "unknown":  # documented: "unsupported model" is a 400
        assert answer.status_code == 400 and "unsupported model" in answer.json()["msg"]
    else:
        assert answer.status_code == 200, (sent, answer.text)
