from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.task_state import TaskState, check_task_state
from ..types import UNSET, Unset, repr_set_fields

T = TypeVar("T", bound="TaskRecord")


@_attrs_define
class TaskRecord:
    """
    Attributes:
        task_id (str): Public task id.
        model (str): The model originally requested.
        state (TaskState): waiting (submitted), queuing (queued locally or upstream), generating (upstream is
            processing), success (terminal; parse resultJson), fail (terminal; read failCode and failMsg).
        param (str): The original createTask request, serialized as a JSON string.
        result_json (str): Empty until success; then a JSON string such as `{"resultUrls":["https://..."]}`.
        fail_code (str): Empty unless the state is `fail`.
        fail_msg (None | str | Unset): Failure message; empty unless the state is `fail`.
        create_time (int | None | Unset): Creation time, epoch milliseconds.
        update_time (int | None | Unset): Last state change, epoch milliseconds.
        complete_time (int | None | Unset): Terminal time, epoch milliseconds; null until terminal.
        cost_time (int | None | Unset): Generation time in milliseconds.
    """

    task_id: str
    model: str
    state: TaskState
    param: str
    result_json: str
    fail_code: str
    fail_msg: None | str | Unset = UNSET
    create_time: int | None | Unset = UNSET
    update_time: int | None | Unset = UNSET
    complete_time: int | None | Unset = UNSET
    cost_time: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        return repr_set_fields(self)

    def to_dict(self) -> dict[str, Any]:
        task_id = self.task_id

        model = self.model

        state: str = self.state

        param = self.param

        result_json = self.result_json

        fail_code = self.fail_code

        fail_msg: None | str | Unset
        if isinstance(self.fail_msg, Unset):
            fail_msg = UNSET
        else:
            fail_msg = self.fail_msg

        create_time: int | None | Unset
        if isinstance(self.create_time, Unset):
            create_time = UNSET
        else:
            create_time = self.create_time

        update_time: int | None | Unset
        if isinstance(self.update_time, Unset):
            update_time = UNSET
        else:
            update_time = self.update_time

        complete_time: int | None | Unset
        if isinstance(self.complete_time, Unset):
            complete_time = UNSET
        else:
            complete_time = self.complete_time

        cost_time: int | None | Unset
        if isinstance(self.cost_time, Unset):
            cost_time = UNSET
        else:
            cost_time = self.cost_time

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "taskId": task_id,
                "model": model,
                "state": state,
                "param": param,
                "resultJson": result_json,
                "failCode": fail_code,
            }
        )
        if fail_msg is not UNSET:
            field_dict["failMsg"] = fail_msg
        if create_time is not UNSET:
            field_dict["createTime"] = create_time
        if update_time is not UNSET:
            field_dict["updateTime"] = update_time
        if complete_time is not UNSET:
            field_dict["completeTime"] = complete_time
        if cost_time is not UNSET:
            field_dict["costTime"] = cost_time

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        task_id = d.pop("taskId")

        model = d.pop("model")

        state = check_task_state(d.pop("state"))

        param = d.pop("param")

        result_json = d.pop("resultJson")

        fail_code = d.pop("failCode")

        def _parse_fail_msg(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        fail_msg = _parse_fail_msg(d.pop("failMsg", UNSET))

        def _parse_create_time(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        create_time = _parse_create_time(d.pop("createTime", UNSET))

        def _parse_update_time(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        update_time = _parse_update_time(d.pop("updateTime", UNSET))

        def _parse_complete_time(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        complete_time = _parse_complete_time(d.pop("completeTime", UNSET))

        def _parse_cost_time(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        cost_time = _parse_cost_time(d.pop("costTime", UNSET))

        task_record = cls(
            task_id=task_id,
            model=model,
            state=state,
            param=param,
            result_json=result_json,
            fail_code=fail_code,
            fail_msg=fail_msg,
            create_time=create_time,
            update_time=update_time,
            complete_time=complete_time,
            cost_time=cost_time,
        )

        task_record.additional_properties = d
        return task_record

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
