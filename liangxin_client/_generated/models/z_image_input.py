from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.z_image_image_size import ZImageImageSize, check_z_image_image_size
from ..types import UNSET, Unset, repr_set_fields

T = TypeVar("T", bound="ZImageInput")


@_attrs_define
class ZImageInput:
    """When both `image_size` and `aspect_ratio` are given, `image_size` wins.

    Attributes:
        prompt (str): What to generate. Must not be empty.
        image_size (ZImageImageSize | Unset): Sent directly to Magnific. The values are upstream's: square (512²),
            square_hd (1024²), portrait_3_4 (768×1024), portrait_9_16 (576×1024), landscape_4_3 (1024×768), landscape_16_9
            (1024×576).
        aspect_ratio (str | Unset): Alternative to `image_size`; common ratios map to image sizes.
        seed (int | Unset): Deterministic seed passed upstream.
        num_inference_steps (int | Unset): Upstream step count.
        output_format (str | Unset): Output format, e.g. `png`. Example: png.
        enable_safety_checker (bool | Unset):
    """

    prompt: str
    image_size: ZImageImageSize | Unset = UNSET
    aspect_ratio: str | Unset = UNSET
    seed: int | Unset = UNSET
    num_inference_steps: int | Unset = UNSET
    output_format: str | Unset = UNSET
    enable_safety_checker: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        return repr_set_fields(self)

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        image_size: str | Unset = UNSET
        if not isinstance(self.image_size, Unset):
            image_size = self.image_size

        aspect_ratio = self.aspect_ratio

        seed = self.seed

        num_inference_steps = self.num_inference_steps

        output_format = self.output_format

        enable_safety_checker = self.enable_safety_checker

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prompt": prompt,
            }
        )
        if image_size is not UNSET:
            field_dict["image_size"] = image_size
        if aspect_ratio is not UNSET:
            field_dict["aspect_ratio"] = aspect_ratio
        if seed is not UNSET:
            field_dict["seed"] = seed
        if num_inference_steps is not UNSET:
            field_dict["num_inference_steps"] = num_inference_steps
        if output_format is not UNSET:
            field_dict["output_format"] = output_format
        if enable_safety_checker is not UNSET:
            field_dict["enable_safety_checker"] = enable_safety_checker

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        prompt = d.pop("prompt")

        _image_size = d.pop("image_size", UNSET)
        image_size: ZImageImageSize | Unset
        if isinstance(_image_size, Unset):
            image_size = UNSET
        else:
            image_size = check_z_image_image_size(_image_size)

        aspect_ratio = d.pop("aspect_ratio", UNSET)

        seed = d.pop("seed", UNSET)

        num_inference_steps = d.pop("num_inference_steps", UNSET)

        output_format = d.pop("output_format", UNSET)

        enable_safety_checker = d.pop("enable_safety_checker", UNSET)

        z_image_input = cls(
            prompt=prompt,
            image_size=image_size,
            aspect_ratio=aspect_ratio,
            seed=seed,
            num_inference_steps=num_inference_steps,
            output_format=output_format,
            enable_safety_checker=enable_safety_checker,
        )

        z_image_input.additional_properties = d
        return z_image_input

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
