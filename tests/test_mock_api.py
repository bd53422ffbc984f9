"""The mock's public API: the docs' examples, envelopes, validation and HTTP hygiene."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import yaml

from liangxin_mock import MockServer

DOCS_BODY = {
    "model": "seedream-v4-5",
    "input": {
        "prompt": "A cinematic product photo of a premium tea bottle on a stone table, natural morning light"
    },
}
INVALID_TOKEN = {"error": {"message": "invalid token", "type": "new_api_error", "code": ""}}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(task_seconds=0.5) as server:
        yield server


@pytest.fixture
def client(mock: MockServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {mock.api_key}"}
    with httpx.Client(base_url=mock.base_url, headers=headers, timeout=30) as c:
        yield c


def test_docs_curl_example_creates_a_task(client: httpx.Client) -> None:
    response = client.post("/api/v1/jobs/createTask", json=DOCS_BODY)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 200 and body["msg"] == "success"
    assert set(body) == {"code", "msg", "data"} and set(body["data"]) == {"taskId"}
    prefix, model, ms = body["data"]["taskId"].rsplit("_", 2)
    assert (prefix, model) == ("task", "seedream-v4-5") and len(ms) == 13 and ms.isdigit()


def test_docs_error_example_missing_prompt(client: httpx.Client) -> None:
    response = client.post("/api/v1/jobs/createTask", json={"model": "seedream-v4-5", "input": {}})
    assert response.status_code == 400
    assert response.json() == {"code": 400, "msg": "input.prompt is required", "data": None}


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Bearer", "wrong", ""])
def test_docs_error_example_invalid_token(mock: MockServer, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = httpx.post(
        mock.base_url + "/api/v1/jobs/createTask", json=DOCS_BODY, headers=headers, timeout=30
    )
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
    record = httpx.get(
        mock.base_url + "/api/v1/jobs/recordInfo", params={"taskId": "x"}, headers=headers
    )
    assert record.status_code == 401 and record.json() == INVALID_TOKEN


def test_bare_key_is_accepted_as_new_api_does(mock: MockServer) -> None:
    response = httpx.post(
        mock.base_url + "/api/v1/jobs/createTask",
        json=DOCS_BODY,
        headers={"Authorization": mock.api_key},
        timeout=30,
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "msg"),
    [
        ({"input": {"prompt": "x"}}, "model is required"),
        ({"model": "dall-e", "input": {"prompt": "x"}}, "unsupported model: dall-e"),
        ({"model": "seedream-v4-5"}, "input is required"),
    ],
)
def test_validation_messages_name_the_field(
    client: httpx.Client, body: dict[str, object], msg: str
) -> None:
    response = client.post("/api/v1/jobs/createTask", json=body)
    assert response.status_code == 400
    assert response.json() == {"code": 400, "msg": msg, "data": None}


def test_invalid_aspect_ratio_is_400_naming_the_field(client: httpx.Client) -> None:
    body = {"model": "seedream-v4-5", "input": {"prompt": "x", "aspect_ratio": "5:4"}}
    response = client.post("/api/v1/jobs/createTask", json=body)
    assert response.status_code == 400
    assert response.json()["msg"].startswith("invalid input.aspect_ratio")


def test_cross_field_rules_come_from_the_contract(client: httpx.Client) -> None:
    flux = {"model": "flux-2-pro", "input": {"prompt": "x", "width": 512}}
    assert client.post("/api/v1/jobs/createTask", json=flux).json()["msg"] == (
        "input.height is required when its pair is given"
    )
    urls = ["https://e.com/a.png"] * 2
    nano = {
        "model": "nano-banana-pro",
        "input": {"prompt": "xy", "image_input": urls, "reference_images": urls},
    }
    response = client.post("/api/v1/jobs/createTask", json=nano)
    assert response.status_code == 400
    assert "at most 3 images" in response.json()["msg"]


def test_integers_written_as_floats_are_integers(client: httpx.Client) -> None:
    raw = '{"model":"flux-2-pro","input":{"prompt":"x","width":1024.0,"height":768.0}}'
    response = client.post(
        "/api/v1/jobs/createTask", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("raw", [b"not json", b"", b"\xff\xfe", b'{"model": NaN}', b"[1, 2]"])
def test_non_json_or_non_object_body_is_400(client: httpx.Client, raw: bytes) -> None:
    response = client.post("/api/v1/jobs/createTask", content=raw)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400 and body["data"] is None and body["msg"]


def test_http_callback_rejected_without_the_flag(client: httpx.Client) -> None:
    body = {**DOCS_BODY, "callBackUrl": "http://127.0.0.1:9/cb"}
    response = client.post("/api/v1/jobs/createTask", json=body)
    assert response.status_code == 400
    assert "callBackUrl" in response.json()["msg"]


def test_record_info_without_task_id_is_400(client: httpx.Client) -> None:
    response = client.get("/api/v1/jobs/recordInfo")
    assert response.status_code == 400
    assert response.json() == {"code": 400, "msg": "taskId is required", "data": None}


def test_unknown_task_id_is_404(client: httpx.Client) -> None:
    response = client.get(
        "/api/v1/jobs/recordInfo", params={"taskId": "task_seedream-v4-5_1777600000000"}
    )
    assert response.status_code == 404
    assert response.json() == {"code": 404, "msg": "task not found", "data": None}


def test_tasks_are_private_to_their_key(mock: MockServer) -> None:
    with MockServer(api_keys={"a": None, "b": None}) as two:
        created = httpx.post(
            two.base_url + "/api/v1/jobs/createTask",
            json=DOCS_BODY,
            headers={"Authorization": "Bearer a"},
        ).json()["data"]["taskId"]
        other = httpx.get(
            two.base_url + "/api/v1/jobs/recordInfo",
            params={"taskId": created},
            headers={"Authorization": "Bearer b"},
        )
        assert other.status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/api/v1/jobs/createTask", "POST"),
        ("DELETE", "/api/v1/jobs/createTask", "POST"),
        ("POST", "/api/v1/jobs/recordInfo", "GET"),
        ("PUT", "/api/v1/jobs/recordInfo", "GET"),
    ],
)
def test_undeclared_method_is_405_with_allow(
    client: httpx.Client, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow


def test_unknown_path_is_404(client: httpx.Client) -> None:
    response = client.get("/api/v1/jobs/nothing")
    assert response.status_code == 404
    assert response.json()["code"] == 404


def test_serves_the_contract(client: httpx.Client, mock: MockServer) -> None:
    as_json = client.get("/openapi.json")
    assert as_json.status_code == 200
    spec = as_json.json()
    assert "/api/v1/jobs/createTask" in spec["paths"]
    assert spec["servers"] == [{"url": mock.base_url}]
    as_yaml = client.get("/openapi.yaml")
    assert as_yaml.status_code == 200
    assert yaml.safe_load(as_yaml.text)["paths"].keys() == spec["paths"].keys()


def test_param_is_the_original_request_as_a_json_string(client: httpx.Client) -> None:
    task_id = client.post("/api/v1/jobs/createTask", json=DOCS_BODY).json()["data"]["taskId"]
    record = client.get("/api/v1/jobs/recordInfo", params={"taskId": task_id}).json()["data"]
    assert json.loads(record["param"]) == DOCS_BODY
    assert record["model"] == "seedream-v4-5" and record["taskId"] == task_id
    assert record["state"] in {"waiting", "queuing", "generating", "success"}


def test_task_ids_are_unique_within_a_millisecond(client: httpx.Client) -> None:
    ids = [
        client.post("/api/v1/jobs/createTask", json=DOCS_BODY).json()["data"]["taskId"]
        for _ in range(30)
    ]
    assert len(set(ids)) == len(ids)


def test_stats_count_accepted_creates_and_record_info_calls(
    liangxin_mock_factory: object,
) -> None:
    assert callable(liangxin_mock_factory)
    server: MockServer = liangxin_mock_factory()
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as c:
        task_id = c.post("/api/v1/jobs/createTask", json=DOCS_BODY).json()["data"]["taskId"]
        c.post("/api/v1/jobs/createTask", json={"model": "x"})  # rejected: not counted
        for _ in range(3):
            c.get("/api/v1/jobs/recordInfo", params={"taskId": task_id})
    stats = server.stats()
    assert stats["keys"][server.api_key]["createTask"] == 1
    assert stats["keys"][server.api_key]["recordInfo"] == 3
    assert [t["taskId"] for t in server.tasks()] == [task_id]


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data", None])
def test_a_body_not_labelled_json_is_rejected_and_creates_nothing(
    client: httpx.Client, mock: MockServer, content_type: str | None
) -> None:
    before = mock.stats()["createTask"]
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(
        "/api/v1/jobs/createTask", content=json.dumps(DOCS_BODY).encode(), headers=headers
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": 400,
        "msg": "Content-Type must be application/json",
        "data": None,
    }
    assert mock.stats()["createTask"] == before


def test_the_app_survives_a_second_lifespan() -> None:
    """ASGI hosts (schemathesis, TestClient) may run the lifespan more than once."""
    server = MockServer(task_seconds=0)
    with server:
        headers = {"Authorization": f"Bearer {server.api_key}"}
        task_id = httpx.post(
            server.base_url + "/api/v1/jobs/createTask", json=DOCS_BODY, headers=headers
        ).json()["data"]["taskId"]
    with server:
        response = httpx.get(
            server.base_url + "/api/v1/jobs/recordInfo",
            params={"taskId": task_id},
            headers={"Authorization": f"Bearer {server.api_key}"},
        )
        assert response.status_code == 200
        assert response.json()["data"]["state"] == "success"
