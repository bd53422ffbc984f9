"""The mock as a real process: SIGKILL while tasks are in flight, restart on the same --db."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from liangxin_mock.receiver import CallbackReceiver

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

KEY = "restart-key"


@contextmanager
def mock_process(db: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`python -m liangxin_mock --port 0 --db DB ...`; yields the process and its base URL."""
    command = [sys.executable, "-m", "liangxin_mock", "--port", "0", "--db", str(db)]
    env = {**os.environ, "LIANGXIN_MOCK_API_KEYS": f"{KEY}:100"}
    proc = subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        banner = []
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            banner.append(line)
            match = re.search(r"listening on (http://\S+)", line)
            url = match[1] if match else None
        assert url, "".join(banner)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(30)
        if proc.stdout:
            proc.stdout.close()


def test_sigkill_and_restart_keeps_every_acknowledged_task(tmp_path: Path) -> None:
    db = tmp_path / "mock.db"
    headers = {"Authorization": f"Bearer {KEY}"}
    acknowledged: list[str] = []
    args = ("--task-seconds", "4", "--allow-http-callbacks")
    receiver = CallbackReceiver().start()
    with mock_process(db, *args) as (proc, url):
        with httpx.Client(base_url=url, headers=headers, timeout=30) as c:
            for i in range(8):
                body = {"model": "seedream-v4-5", "input": {"prompt": f"restart {i}"}}
                if i == 0:
                    body["callBackUrl"] = receiver.url
                response = c.post("/api/v1/jobs/createTask", json=body)
                assert response.status_code == 200
                acknowledged.append(response.json()["data"]["taskId"])
            states = {
                c.get("/api/v1/jobs/recordInfo", params={"taskId": t}).json()["data"]["state"]
                for t in acknowledged
            }
        assert states - {"success", "fail"}, "some tasks must still be in flight when killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)

    with mock_process(db, *args) as (_, url2):
        with httpx.Client(base_url=url2, headers=headers, timeout=30) as c:
            deadline = time.monotonic() + 60
            pending = set(acknowledged)
            records = {}
            while pending and time.monotonic() < deadline:
                for task_id in sorted(pending):
                    response = c.get("/api/v1/jobs/recordInfo", params={"taskId": task_id})
                    assert response.status_code == 200, response.text
                    records[task_id] = response.json()["data"]
                    if records[task_id]["state"] in {"success", "fail"}:
                        pending.discard(task_id)
                time.sleep(0.1)
            assert not pending
            assert all(r["state"] == "success" for r in records.values())
            result_url = json.loads(records[acknowledged[0]]["resultJson"])["resultUrls"][0]
            assert httpx.get(result_url, timeout=30).status_code == 200
            stats = c.get("/__mock__/stats").json()
            receiver.wait_for(1)
        receiver.stop()
        # The callback pending at the kill is delivered by the restarted mock.
        assert [p["data"]["taskId"] for p in receiver.received] == [acknowledged[0]]
        # Credits spent before the kill stay spent.
        assert stats["keys"][KEY]["createTask"] == len(acknowledged)
        assert stats["keys"][KEY]["creditsLeft"] == 100 - len(acknowledged)
