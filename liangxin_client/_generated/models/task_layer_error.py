from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset, repr_set_fields

T = TypeVar("T", bound="TaskLayerError")


@_attrs_define
class TaskLayerError:
    """Task-layer envelope, used for task validation and upstream errors.

    Attributes:
        code (int): The HTTP-like error code (400, 422, 500, ...).
        msg (str): What went wrong, naming the field where there is one.
        data (None | Unset):
    """

    code: int
    msg: str
    data: None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        return repr_set_fields(self)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        msg = self.msg

        data = self.data

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "msg": msg,
            }
        )
        if data is not UNSET:
            field_dict["data"] = data

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        code = d.pop("code")

        msg = d.pop("msg")

        data = d.pop("data", UNSET)

        task_layer_error = cls(
            code=code,
            msg=msg,
            data=data,
        )

        task_layer_error.additional_properties = d
        return task_layer_error

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
