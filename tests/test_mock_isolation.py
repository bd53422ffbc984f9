"""One tenant of the mock cannot reach another's data: result URLs cannot be guessed from taskIds,
`/__mock__/` answers only loopback Hosts and JSON posts, and the database files are private."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from liangxin_mock import MockServer
from liangxin_mock.store import Store

Factory = Callable[..., MockServer]
GOOD = {"model": "z-image", "input": {"prompt": "a fox"}}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(api_keys={"alice": None, "bob": None}, task_seconds=0) as server:
        yield server


def _result_url(mock: MockServer, key: str) -> tuple[str, str]:
    headers = {"Authorization": f"Bearer {key}"}
    created = httpx.post(mock.base_url + "/api/v1/jobs/createTask", json=GOOD, headers=headers)
    task_id = created.json()["data"]["taskId"]
    record = httpx.get(
        mock.base_url + "/api/v1/jobs/recordInfo", params={"taskId": task_id}, headers=headers
    ).json()["data"]
    assert record["state"] == "success"
    url: str = httpx.Response(200, content=record["resultJson"]).json()["resultUrls"][0]
    return task_id, url


def test_task_ids_keep_the_documented_shape(mock: MockServer) -> None:
    task_id, _ = _result_url(mock, "alice")
    assert re.fullmatch(r"task_z-image_\d{13}", task_id)


def test_a_result_url_cannot_be_guessed_from_the_task_id(mock: MockServer) -> None:
    task_id, url = _result_url(mock, "alice")
    assert httpx.get(url).status_code == 200  # the real URL works, without a key (a CDN URL)
    secret = [part for part in url.split("/") if len(part) >= 32 and part not in task_id]
    assert secret, f"{url} has no unguessable part"
    guesses = [
        f"{mock.base_url}/files/{task_id}/0.png",  # the old, guessable form
        url.replace(secret[0], "0" * len(secret[0])),
        url.replace(secret[0], secret[0][:-1] + ("1" if secret[0][-1] != "1" else "2")),
    ]
    for guess in guesses:
        assert httpx.get(guess).status_code == 404, guess
        assert httpx.head(guess).status_code == 404, guess
    _, other = _result_url(mock, "bob")
    assert other.split("/")[-2] != url.split("/")[-2]


@pytest.mark.parametrize("path", ["/__mock__/tasks", "/__mock__/stats", "/__mock__/callbacks"])
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example"])
def test_introspection_refuses_a_foreign_host(mock: MockServer, path: str, host: str) -> None:
    """DNS rebinding: a page on evil.example whose name now points at 127.0.0.1."""
    response = httpx.get(mock.base_url + path, headers={"Host": host})
    assert response.status_code == 403
    assert "apiKey" not in response.text and "alice" not in response.text


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST:1234", "[::1]:80"])
def test_introspection_answers_loopback_hosts(mock: MockServer, host: str) -> None:
    response = httpx.get(mock.base_url + "/__mock__/stats", headers={"Host": host})
    assert response.status_code == 200


def test_introspection_refuses_a_foreign_origin(mock: MockServer) -> None:
    headers = {"Origin": "https://evil.example"}
    assert httpx.get(mock.base_url + "/__mock__/tasks", headers=headers).status_code == 403


def test_reset_refuses_a_cross_origin_form_post(liangxin_mock_factory: Factory) -> None:
    server = liangxin_mock_factory(task_seconds=0)
    headers = {"Authorization": f"Bearer {server.api_key}"}
    httpx.post(server.base_url + "/api/v1/jobs/createTask", json=GOOD, headers=headers)
    for content_type in ("application/x-www-form-urlencoded", "text/plain", "multipart/form-data"):
        refused = httpx.post(
            server.base_url + "/__mock__/reset",
            content=b"a=1",
            headers={"Content-Type": content_type},
        )
        assert refused.status_code == 415, content_type
    no_type = httpx.post(server.base_url + "/__mock__/reset")
    assert no_type.status_code == 415
    assert len(server.tasks()) == 1  # nothing was wiped
    server.reset()  # the documented way: a JSON POST from loopback
    assert server.tasks() == []


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_files_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask: files would be world-readable by default
    try:
        db = tmp_path / "mock.db"
        store = Store(str(db))
        store.count_record_info("k")
        files = [p for p in tmp_path.iterdir() if p.name.startswith("mock.db")]
        assert {p.name for p in files} >= {"mock.db", "mock.db-wal", "mock.db-shm"}
        for path in files:
            assert _mode(path) == 0o600, f"{path.name} is {oct(_mode(path))}"
        store.close()
    finally:
        os.umask(old)


def test_the_cli_mock_cache_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from liangxin_client.cli._mock_launcher import embedded_mock, mock_db_path

    old = os.umask(0o022)
    monkeypatch.delenv("LIANGXIN_MOCK_DB", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    try:
        with embedded_mock() as (base_url, key):
            headers = {"Authorization": f"Bearer {key}"}
            httpx.post(base_url + "/api/v1/jobs/createTask", json=GOOD, headers=headers)
    finally:
        os.umask(old)
    db = mock_db_path()
    assert db.parent == tmp_path / "cache" / "liangxin"
    assert _mode(db.parent) == 0o700
    assert _mode(db) == 0o600
