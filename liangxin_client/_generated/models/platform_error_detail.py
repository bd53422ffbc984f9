from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import repr_set_fields

T = TypeVar("T", bound="PlatformErrorDetail")


@_attrs_define
class PlatformErrorDetail:
    """
    Attributes:
        message (str):
        type_ (str):  Example: new_api_error.
        code (str): Gateway error code; often empty.
    """

    message: str
    type_: str
    code: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        return repr_set_fields(self)

    def to_dict(self) -> dict[str, Any]:
        message = self.message

        type_ = self.type_

        code = self.code

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "message": message,
                "type": type_,
                "code": code,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        message = d.pop("message")

        type_ = d.pop("type")

        code = d.pop("code")

        platform_error_detail = cls(
            message=message,
            type_=type_,
            code=code,
        )

        platform_error_detail.additional_properties = d
        return platform_error_detail

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
