"""Injected gateway faults: reproducible with a seed, and createTask faults store nothing."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from liangxin_mock import MockServer

Factory = Callable[..., MockServer]
BODY = {"model": "seedream-v4-5", "input": {"prompt": "x"}}


def _outcome(send: Callable[[], httpx.Response]) -> str:
    try:
        response = send()
    except httpx.TransportError:  # closed without an answer (RemoteProtocolError or ReadError)
        return "dropped"
    kind = "html" if response.headers.get("content-type", "").startswith("text/html") else "json"
    retry = response.headers.get("retry-after", "-")
    return f"{response.status_code}:{kind}:{retry}"


def _run(server: MockServer, n: int) -> tuple[list[str], int]:
    """Alternate createTask and recordInfo n times; return outcomes and 200-created count."""
    outcomes: list[str] = []
    created = 0
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as c:
        for _ in range(n):
            result = _outcome(lambda: c.post("/api/v1/jobs/createTask", json=BODY))
            created += result.startswith("200:")
            outcomes.append("create " + result)
            result = _outcome(
                lambda: c.get("/api/v1/jobs/recordInfo", params={"taskId": "task_x_1"})
            )
            outcomes.append("record " + result)
    return outcomes, created


def test_faults_are_reproducible_with_a_seed(liangxin_mock_factory: Factory) -> None:
    config = {"fault_rate": 0.5, "fault_slow_seconds": 0.05, "seed": 3}
    first, _ = _run(liangxin_mock_factory(**config), 30)
    again, _ = _run(liangxin_mock_factory(**config), 30)
    other, _ = _run(liangxin_mock_factory(**{**config, "seed": 4}), 30)
    assert first == again
    assert first != other
    seen = " ".join(first)
    for expected in ["500:json", "429:json:1", "502:html", "dropped", "404:json", "200:json"]:
        assert expected in seen, (expected, first)


def test_create_faults_store_no_task_except_accepted_then_dropped(
    liangxin_mock_factory: Factory,
) -> None:
    server = liangxin_mock_factory(fault_rate=0.6, fault_slow_seconds=0.01, seed=11)
    _, created = _run(server, 40)
    log = server.stats()["faults"]["log"]
    accepted_drops = sum(1 for e in log if e["kind"] == "accepted_drop")
    assert accepted_drops > 0, log
    assert any(e["kind"] in {"server_error", "drop", "html"} for e in log)
    stored = server.tasks()
    assert len(stored) == created + accepted_drops
    assert server.stats()["keys"][server.api_key]["createTask"] == len(stored)


@pytest.mark.parametrize("kind", ["server_error", "rate_limited", "html", "drop"])
def test_each_fault_kind_can_be_selected(liangxin_mock_factory: Factory, kind: str) -> None:
    server = liangxin_mock_factory(fault_rate=1.0, fault_kinds=(kind,))
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as c:
        result = _outcome(lambda: c.post("/api/v1/jobs/createTask", json=BODY))
    expected = {
        "server_error": "500:json:-",
        "rate_limited": "429:json:1",
        "html": "502:html:-",
        "drop": "dropped",
    }[kind]
    assert result == expected
    assert server.tasks() == []


def test_no_faults_by_default(liangxin_mock: MockServer) -> None:
    outcomes, created = _run(liangxin_mock, 10)
    assert created == 10
    assert set(outcomes) == {"create 200:json:-", "record 404:json:-"}
    assert liangxin_mock.stats()["faults"]["total"] == 0
