from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset, repr_set_fields

T = TypeVar("T", bound="Gemini25FlashImagePreviewInput")


@_attrs_define
class Gemini25FlashImagePreviewInput:
    """
    Attributes:
        prompt (str): What to generate. Must not be empty.
        reference_images (list[str] | Unset):
    """

    prompt: str
    reference_images: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        return repr_set_fields(self)

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        reference_images: list[str] | Unset = UNSET
        if not isinstance(self.reference_images, Unset):
            reference_images = self.reference_images

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prompt": prompt,
            }
        )
        if reference_images is not UNSET:
            field_dict["reference_images"] = reference_images

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        prompt = d.pop("prompt")

        reference_images = cast(list[str], d.pop("reference_images", UNSET))

        gemini_25_flash_image_preview_input = cls(
            prompt=prompt,
            reference_images=reference_images,
        )

        gemini_25_flash_image_preview_input.additional_properties = d
        return gemini_25_flash_image_preview_input

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
