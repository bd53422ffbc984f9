from __future__ import annotations

from collections.abc import Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Literal,
    Self,
    TypeVar,
    cast,
)

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import repr_set_fields

if TYPE_CHECKING:
    from ..models.create_task_data import CreateTaskData


T = TypeVar("T", bound="CreateTaskResponse")


@_attrs_define
class CreateTaskResponse:
    """
    Attributes:
        code (Literal[200]): Business code; 200 on success.
        msg (str):  Example: success.
        data (CreateTaskData):
    """

    code: Literal[200]
    msg: str
    data: CreateTaskData
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
        from ..models.create_task_data import CreateTaskData

        d = dict(src_dict)
        code = cast(Literal[200], d.pop("code"))
        if code != 200:
            raise ValueError(f"code must match const 200, got '{code}'")

        msg = d.pop("msg")

        data = CreateTaskData.from_dict(d.pop("data"))

        create_task_response = cls(
            code=code,
            msg=msg,
            data=data,
        )

        create_task_response.additional_properties = d
        return create_task_response

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
