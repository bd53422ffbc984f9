"""Results that show themselves: `to_dict()` (JSON-ready, taskId first) and Jupyter's reprs."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import httpx

from liangxin_client import (
    GenerateOutcome,
    LiangXin,
    TaskRecord,
    TaskState,
    TaskTimeoutError,
)
from liangxin_mock import MockServer

PROMPT = "a tea bottle <on> a stone table & 茶"


def record(**changes: object) -> TaskRecord:
    fields: dict[str, object] = {
        "task_id": "task_z-image_1",
        "model": "z-image",
        "state": TaskState.SUCCESS,
        "raw_state": "success",
        "result_urls": ("https://cdn.example/a.png?sig=1&x=2",),
        "param": {"model": "z-image", "input": {"prompt": PROMPT}},
        "create_time": 1_796_164_018_814,
        "complete_time": 1_796_164_030_000,
        "cost_time": 11_186,
    }
    fields.update(changes)
    return TaskRecord(**fields)  # type: ignore[arg-type]


def test_record_to_dict_is_json_ready_task_id_first() -> None:
    data = record().to_dict()
    assert next(iter(data)) == "taskId"
    assert json.loads(json.dumps(data)) == data
    assert data["state"] == "success"
    assert data["resultUrls"] == ["https://cdn.example/a.png?sig=1&x=2"]
    assert data["param"]["input"]["prompt"] == PROMPT
    assert data["costTime"] == 11_186


def test_record_html_shows_fields_and_the_result_url_escaped() -> None:
    page = record()._repr_html_()
    assert '<img src="https://cdn.example/a.png?sig=1&amp;x=2"' in page
    assert "task_z-image_1" in page and "success" in page
    assert "a tea bottle &lt;on&gt; a stone table &amp; 茶" in page  # the prompt, escaped
    assert "<on>" not in page
    failed = record(
        state=TaskState.FAIL, raw_state="fail", result_urls=(), fail_code="500", fail_msg="boom"
    )
    assert "<img" not in failed._repr_html_() and "500: boom" in failed._repr_html_()


def test_a_result_shows_its_saved_image_without_a_request(
    liangxin_mock: MockServer, tmp_path: Path
) -> None:
    with LiangXin(liangxin_mock.api_key, liangxin_mock.base_url) as client:
        saved = client.generate("z-image", PROMPT, download_to=tmp_path)
        unsaved = client.generate("z-image", "no download")
    polled = liangxin_mock.stats()["recordInfo"]
    # Rendered after the client is closed: nothing is fetched by the reprs.
    page = saved._repr_html_()
    [src] = re.findall(r'<img src="(data:image/png;base64,[^"]+)"', page)
    assert base64.b64decode(src.split(",", 1)[1]) == saved.paths[0].read_bytes()
    assert saved._repr_png_() == saved.paths[0].read_bytes()
    assert str(saved.paths[0]) in page

    page = unsaved._repr_html_()
    assert f'<img src="{unsaved.urls[0]}"' in page  # the browser fetches it, not Python
    assert unsaved._repr_png_() is None
    assert liangxin_mock.stats()["recordInfo"] == polled

    data = saved.to_dict()
    assert next(iter(data)) == "taskId" and data["taskId"] == saved.task_id
    assert data["files"] == [str(saved.paths[0])]
    assert data["request"] == {"model": "z-image", "input": {"prompt": PROMPT}}
    assert json.loads(json.dumps(data)) == data
    assert unsaved.to_dict()["files"] == []
    # The URL shown is the result's own: it answers while the mock runs.
    assert httpx.get(unsaved.urls[0]).status_code == 200


def test_outcomes_to_dict_and_html(liangxin_mock: MockServer, tmp_path: Path) -> None:
    rows = [{"model": "z-image", "prompt": PROMPT}, {"model": "z-image", "prompt": ""}]
    with LiangXin(liangxin_mock.api_key, liangxin_mock.base_url) as client:
        outcomes = sorted(client.generate_many(rows, download_to=tmp_path), key=lambda o: o.index)
    ok, bad = outcomes
    data = ok.to_dict()
    assert list(data)[:4] == ["taskId", "index", "key", "status"] and data["key"] is None
    assert data["status"] == "success" and data["record"]["taskId"] == ok.task_id
    assert data["request"]["input"]["prompt"] == PROMPT
    assert data["files"] == [str(ok.paths[0])] and data["error"] is None
    assert json.loads(json.dumps(data)) == data
    assert "data:image/png;base64," in ok._repr_html_()

    wrong = bad.to_dict()
    assert wrong["taskId"] is None and wrong["status"] == "error"
    assert wrong["error"]["type"] == "InvalidRequestError" and "prompt" in wrong["error"]["message"]
    assert json.loads(json.dumps(wrong)) == wrong
    assert "InvalidRequestError" not in bad._repr_html_() and "prompt" in bad._repr_html_()

    timed_out = GenerateOutcome(
        3, "error", {"model": "z-image"}, "task_z", error=TaskTimeoutError("task_z", "queuing", 5.0)
    )
    assert timed_out.to_dict()["taskId"] == "task_z"
