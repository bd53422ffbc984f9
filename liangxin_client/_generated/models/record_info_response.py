from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import repr_set_fields

if TYPE_CHECKING:
    from ..models.task_record import TaskRecord


T = TypeVar("T", bound="RecordInfoResponse")


@_attrs_define
class RecordInfoResponse:
    """
    Attributes:
        code (int): Business code; 200 on success.
        msg (str):  Example: success.
        data (TaskRecord):
    """

    code: int
    msg: str
    data: TaskRecord
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        return repr_set_fields(self)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        msg = self.msg

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "msg": msg,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.task_record import TaskRecord

        d = dict(src_dict)
        code = d.pop("code")

        msg = d.pop("msg")

        data = TaskRecord.from_dict(d.pop("data"))

        record_info_response = cls(
            code=code,
            msg=msg,
            data=data,
        )

        record_info_response.additional_properties = d
        return record_info_response

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
