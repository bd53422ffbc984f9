from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.flux_aspect_ratio import FluxAspectRatio, check_flux_aspect_ratio
from ..types import UNSET, Unset, repr_set_fields

T = TypeVar("T", bound="Flux2ProInput")


@_attrs_define
class Flux2ProInput:
    """Give `width` and `height` together (both omitted means 1024×768), or an `aspect_ratio`.

    Attributes:
        prompt (str): What to generate. Must not be empty.
        width (int | Unset): Output width in pixels; must come with `height`. 1024 when both are omitted.
        height (int | Unset): Output height in pixels; must come with `width`. 768 when both are omitted.
        aspect_ratio (FluxAspectRatio | Unset):
        input_image (str | Unset): A reference image, as a URL or base64 data.
        input_image_2 (str | Unset): A reference image, as a URL or base64 data.
        input_image_3 (str | Unset): A reference image, as a URL or base64 data.
        input_image_4 (str | Unset): A reference image, as a URL or base64 data.
        reference_images (list[str] | Unset):
        seed (int | Unset): Deterministic seed passed upstream.
        prompt_upsampling (bool | Unset):
    """

    prompt: str
    width: int | Unset = UNSET
    height: int | Unset = UNSET
    aspect_ratio: FluxAspectRatio | Unset = UNSET
    input_image: str | Unset = UNSET
    input_image_2: str | Unset = UNSET
    input_image_3: str | Unset = UNSET
    input_image_4: str | Unset = UNSET
    reference_images: list[str] | Unset = UNSET
    seed: int | Unset = UNSET
    prompt_upsampling: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        return repr_set_fields(self)

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        width = self.width

        height = self.height

        aspect_ratio: str | Unset = UNSET
        if not isinstance(self.aspect_ratio, Unset):
            aspect_ratio = self.aspect_ratio

        input_image = self.input_image

        input_image_2 = self.input_image_2

        input_image_3 = self.input_image_3

        input_image_4 = self.input_image_4

        reference_images: list[str] | Unset = UNSET
        if not isinstance(self.reference_images, Unset):
            reference_images = self.reference_images

        seed = self.seed

        prompt_upsampling = self.prompt_upsampling

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prompt": prompt,
            }
        )
        if width is not UNSET:
            field_dict["width"] = width
        if height is not UNSET:
            field_dict["height"] = height
        if aspect_ratio is not UNSET:
            field_dict["aspect_ratio"] = aspect_ratio
        if input_image is not UNSET:
            field_dict["input_image"] = input_image
        if input_image_2 is not UNSET:
            field_dict["input_image_2"] = input_image_2
        if input_image_3 is not UNSET:
            field_dict["input_image_3"] = input_image_3
        if input_image_4 is not UNSET:
            field_dict["input_image_4"] = input_image_4
        if reference_images is not UNSET:
            field_dict["reference_images"] = reference_images
        if seed is not UNSET:
            field_dict["seed"] = seed
        if prompt_upsampling is not UNSET:
            field_dict["prompt_upsampling"] = prompt_upsampling

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        prompt = d.pop("prompt")

        width = d.pop("width", UNSET)

        height = d.pop("height", UNSET)

        _aspect_ratio = d.pop("aspect_ratio", UNSET)
        aspect_ratio: FluxAspectRatio | Unset
        if isinstance(_aspect_ratio, Unset):
            aspect_ratio = UNSET
        else:
            aspect_ratio = check_flux_aspect_ratio(_aspect_ratio)

        input_image = d.pop("input_image", UNSET)

        input_image_2 = d.pop("input_image_2", UNSET)

        input_image_3 = d.pop("input_image_3", UNSET)

        input_image_4 = d.pop("input_image_4", UNSET)

        reference_images = cast(list[str], d.pop("reference_images", UNSET))

        seed = d.pop("seed", UNSET)

        prompt_upsampling = d.pop("prompt_upsampling", UNSET)

        flux_2_pro_input = cls(
            prompt=prompt,
            width=width,
            height=height,
            aspect_ratio=aspect_ratio,
            input_image=input_image,
            input_image_2=input_image_2,
            input_image_3=input_image_3,
            input_image_4=input_image_4,
            reference_images=reference_images,
            seed=seed,
            prompt_upsampling=prompt_upsampling,
        )

        flux_2_pro_input.additional_properties = d
        return flux_2_pro_input

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
