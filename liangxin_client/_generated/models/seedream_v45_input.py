from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.seedream_aspect_ratio import (
    SeedreamAspectRatio,
    check_seedream_aspect_ratio,
)
from ..types import UNSET, Unset, repr_set_fields

T = TypeVar("T", bound="SeedreamV45Input")


@_attrs_define
class SeedreamV45Input:
    """
    Attributes:
        prompt (str): What to generate. Must not be empty.
        aspect_ratio (SeedreamAspectRatio | Unset): Seedream 4.5 / 5.0 Lite output ratio: a plain ratio or its Magnific
            alias. Anything else is rejected with 400.
        seed (int | Unset): Deterministic seed passed upstream.
        enable_safety_checker (bool | Unset): Upstream safety checker flag.
    """

    prompt: str
    aspect_ratio: SeedreamAspectRatio | Unset = UNSET
    seed: int | Unset = UNSET
    enable_safety_checker: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        return repr_set_fields(self)

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        aspect_ratio: str | Unset = UNSET
        if not isinstance(self.aspect_ratio, Unset):
            aspect_ratio = self.aspect_ratio

        seed = self.seed

        enable_safety_checker = self.enable_safety_checker

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prompt": prompt,
            }
        )
        if aspect_ratio is not UNSET:
            field_dict["aspect_ratio"] = aspect_ratio
        if seed is not UNSET:
            field_dict["seed"] = seed
        if enable_safety_checker is not UNSET:
            field_dict["enable_safety_checker"] = enable_safety_checker

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        prompt = d.pop("prompt")

        _aspect_ratio = d.pop("aspect_ratio", UNSET)
        aspect_ratio: SeedreamAspectRatio | Unset
        if isinstance(_aspect_ratio, Unset):
            aspect_ratio = UNSET
        else:
            aspect_ratio = check_seedream_aspect_ratio(_aspect_ratio)

        seed = d.pop("seed", UNSET)

        enable_safety_checker = d.pop("enable_safety_checker", UNSET)

        seedream_v45_input = cls(
            prompt=prompt,
            aspect_ratio=aspect_ratio,
            seed=seed,
            enable_safety_checker=enable_safety_checker,
        )

        seedream_v45_input.additional_properties = d
        return seedream_v45_input

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
