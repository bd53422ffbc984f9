from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.nano_banana_known_aspect_ratio import (
    NanoBananaKnownAspectRatio,
    check_nano_banana_known_aspect_ratio,
)
from ..models.nano_banana_output_format import (
    NanoBananaOutputFormat,
    check_nano_banana_output_format,
)
from ..models.nano_banana_resolution import (
    NanoBananaResolution,
    check_nano_banana_resolution,
)
from ..types import UNSET, Unset, repr_set_fields

T = TypeVar("T", bound="NanoBananaProInput")


@_attrs_define
class NanoBananaProInput:
    """
    Attributes:
        prompt (str): What to generate, 2 to 3000 characters.
        image_input (list[str] | Unset): Reference images.
        reference_images (list[str] | Unset): Reference images; at most 3 together with `image_input`.
        aspect_ratio (NanoBananaKnownAspectRatio | str | Unset): The documented ratios "and supported aliases": the docs
            leave the list open without naming the aliases, so any string is accepted and the known ratios are listed for
            help and typing.
        resolution (NanoBananaResolution | Unset):
        output_format (NanoBananaOutputFormat | Unset):
    """

    prompt: str
    image_input: list[str] | Unset = UNSET
    reference_images: list[str] | Unset = UNSET
    aspect_ratio: NanoBananaKnownAspectRatio | str | Unset = UNSET
    resolution: NanoBananaResolution | Unset = UNSET
    output_format: NanoBananaOutputFormat | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        return repr_set_fields(self)

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        image_input: list[str] | Unset = UNSET
        if not isinstance(self.image_input, Unset):
            image_input = self.image_input

        reference_images: list[str] | Unset = UNSET
        if not isinstance(self.reference_images, Unset):
            reference_images = self.reference_images

        aspect_ratio: str | Unset
        if isinstance(self.aspect_ratio, Unset):
            aspect_ratio = UNSET
        elif isinstance(self.aspect_ratio, str):
            aspect_ratio = self.aspect_ratio
        else:
            aspect_ratio = self.aspect_ratio

        resolution: str | Unset = UNSET
        if not isinstance(self.resolution, Unset):
            resolution = self.resolution

        output_format: str | Unset = UNSET
        if not isinstance(self.output_format, Unset):
            output_format = self.output_format

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prompt": prompt,
            }
        )
        if image_input is not UNSET:
            field_dict["image_input"] = image_input
        if reference_images is not UNSET:
            field_dict["reference_images"] = reference_images
        if aspect_ratio is not UNSET:
            field_dict["aspect_ratio"] = aspect_ratio
        if resolution is not UNSET:
            field_dict["resolution"] = resolution
        if output_format is not UNSET:
            field_dict["output_format"] = output_format

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        prompt = d.pop("prompt")

        image_input = cast(list[str], d.pop("image_input", UNSET))

        reference_images = cast(list[str], d.pop("reference_images", UNSET))

        def _parse_aspect_ratio(
            data: object,
        ) -> NanoBananaKnownAspectRatio | str | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_nano_banana_aspect_ratio_type_0 = (
                    check_nano_banana_known_aspect_ratio(data)
                )

                return componentsschemas_nano_banana_aspect_ratio_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(NanoBananaKnownAspectRatio | str | Unset, data)

        aspect_ratio = _parse_aspect_ratio(d.pop("aspect_ratio", UNSET))

        _resolution = d.pop("resolution", UNSET)
        resolution: NanoBananaResolution | Unset
        if isinstance(_resolution, Unset):
            resolution = UNSET
        else:
            resolution = check_nano_banana_resolution(_resolution)

        _output_format = d.pop("output_format", UNSET)
        output_format: NanoBananaOutputFormat | Unset
        if isinstance(_output_format, Unset):
            output_format = UNSET
        else:
            output_format = check_nano_banana_output_format(_output_format)

        nano_banana_pro_input = cls(
            prompt=prompt,
            image_input=image_input,
            reference_images=reference_images,
            aspect_ratio=aspect_ratio,
            resolution=resolution,
            output_format=output_format,
        )

        nano_banana_pro_input.additional_properties = d
        return nano_banana_pro_input

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
