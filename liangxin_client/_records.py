"""Task records: what createTask and recordInfo return (and a callback carries), typed.

`record_from_data` is tolerant (unknown extra fields, missing optional fields, unknown states);
the HTTP side — envelopes, and bodies that cannot be read at all — is `_responses.py`'s.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from liangxin_client import _display


class TaskState(enum.StrEnum):
    """A task's state. `UNKNOWN` stands for any value this client does not know (see `raw_state`)."""

    WAITING = "waiting"
    QUEUING = "queuing"
    GENERATING = "generating"
    SUCCESS = "success"
    FAIL = "fail"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: str) -> TaskState:
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN

    @property
    def is_terminal(self) -> bool:
        return self in (TaskState.SUCCESS, TaskState.FAIL)


@attrs.frozen
class Task:
    """A created task: poll it with `tasks.get(task.task_id)` or `tasks.wait(task.task_id)`."""

    task_id: str
    model: str


@attrs.frozen
class TaskRecord:
    """One recordInfo answer (also a callback's payload), decoded.

    Times are epoch milliseconds (`cost_time` a duration in ms), None when absent. `raw` is the
    `data` object exactly as received.
    """

    task_id: str
    model: str
    state: TaskState
    raw_state: str
    result_urls: tuple[str, ...] = ()
    param: dict[str, Any] | None = attrs.field(default=None, hash=False)
    fail_code: str | None = None
    fail_msg: str | None = None
    create_time: int | None = None
    update_time: int | None = None
    complete_time: int | None = None
    cost_time: int | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def is_terminal(self) -> bool:
        return self.state.is_terminal

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data, `taskId` first, with recordInfo's names (`resultJson`
        decoded into `resultUrls`, `param` into an object)."""
        return {
            "taskId": self.task_id,
            "model": self.model,
            "state": self.raw_state,
            "resultUrls": list(self.result_urls),
            "failCode": self.fail_code,
            "failMsg": self.fail_msg,
            "createTime": self.create_time,
            "updateTime": self.update_time,
            "completeTime": self.complete_time,
            "costTime": self.cost_time,
            "param": json.loads(json.dumps(self.param)) if self.param is not None else None,
        }

    def _display_rows(self) -> list[tuple[str, Any]]:
        """(name, value) rows of the fields a person looks at first (for `_repr_html_`)."""
        payload = (self.param or {}).get("input")
        prompt = payload.get("prompt") if isinstance(payload, dict) else None
        return [
            ("task", self.task_id),
            ("model", self.model),
            ("state", self.raw_state),
            ("prompt", prompt if isinstance(prompt, str) else None),
            ("created", _display.iso(self.create_time)),
            ("completed", _display.iso(self.complete_time)),
            ("took", f"{self.cost_time / 1000:g} s" if self.cost_time is not None else None),
            ("failed", ": ".join(p for p in (self.fail_code, self.fail_msg) if p) or None),
        ]

    def _repr_html_(self) -> str:
        """Jupyter: the fields, and the results from their URLs (the browser fetches them)."""
        return _display.table(self._display_rows()) + _display.images((), self.result_urls)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text or None


def _millis(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _json_field(value: Any) -> Any:
    """Decode a field documented as a JSON string; tolerate an already-decoded object."""
    if isinstance(value, str):
        return json.loads(value) if value.strip() else None
    return value


def _result_urls(value: Any) -> tuple[str, ...]:
    decoded = _json_field(value)
    if decoded is None:
        return ()
    if not isinstance(decoded, dict):
        raise ValueError("resultJson is not a JSON object")
    urls = decoded.get("resultUrls", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise ValueError("resultJson.resultUrls is not a list of strings")
    return tuple(urls)


def record_from_data(data: Mapping[str, Any], task_id: str | None = None) -> TaskRecord:
    """A TaskRecord from recordInfo's (or a callback's) `data` object.

    Raises ValueError/KeyError/TypeError when the object is unusable; callers wrap that.
    """
    raw_state = data["state"]
    if not isinstance(raw_state, str):
        raise TypeError("state is not a string")
    state = TaskState.parse(raw_state)
    param = None
    try:
        decoded_param = _json_field(data.get("param"))
        param = decoded_param if isinstance(decoded_param, dict) else None
    except ValueError:
        param = None  # informational only; the raw string stays in `raw`
    try:
        urls = _result_urls(data.get("resultJson"))
    except ValueError:
        if state is TaskState.SUCCESS:
            raise
        urls = ()
    return TaskRecord(
        task_id=_text(data.get("taskId")) or task_id or "",
        model=_text(data.get("model")) or "",
        state=state,
        raw_state=raw_state,
        result_urls=urls,
        param=param,
        fail_code=_text(data.get("failCode")),
        fail_msg=_text(data.get("failMsg")),
        create_time=_millis(data.get("createTime")),
        update_time=_millis(data.get("updateTime")),
        complete_time=_millis(data.get("completeTime")),
        cost_time=_millis(data.get("costTime")),
        raw=MappingProxyType(data),
    )
