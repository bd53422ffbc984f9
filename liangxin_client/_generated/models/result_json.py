from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import repr_set_fields

T = TypeVar("T", bound="ResultJson")


@_attrs_define
class ResultJson:
    """The decoded content of `TaskRecord.resultJson` on success.

    Attributes:
        result_urls (list[str]):
    """

    result_urls: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        return repr_set_fields(self)

    def to_dict(self) -> dict[str, Any]:
        result_urls = self.result_urls

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "resultUrls": result_urls,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        result_urls = cast(list[str], d.pop("resultUrls"))

        result_json = cls(
            result_urls=result_urls,
        )

        result_json.additional_properties = d
        return result_json

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
