from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.imagen_aspect_ratio import ImagenAspectRatio, check_imagen_aspect_ratio
from ..models.imagen_language import ImagenLanguage, check_imagen_language
from ..models.imagen_output_format import ImagenOutputFormat, check_imagen_output_format
from ..models.imagen_person_generation import (
    ImagenPersonGeneration,
    check_imagen_person_generation,
)
from ..models.imagen_safety_settings import (
    ImagenSafetySettings,
    check_imagen_safety_settings,
)
from ..types import UNSET, Unset, repr_set_fields

T = TypeVar("T", bound="Imagen4UltraInput")


@_attrs_define
class Imagen4UltraInput:
    """
    Attributes:
        prompt (str): What to generate. Must not be empty.
        aspect_ratio (ImagenAspectRatio | Unset):
        person_generation (ImagenPersonGeneration | Unset):
        safety_settings (ImagenSafetySettings | Unset):
        seed (int | Unset): Deterministic seed, at least 1.
        enhance_prompt (bool | Unset):
        language (ImagenLanguage | Unset):
        output_format (ImagenOutputFormat | Unset):
        compression_quality (int | Unset):
    """

    prompt: str
    aspect_ratio: ImagenAspectRatio | Unset = UNSET
    person_generation: ImagenPersonGeneration | Unset = UNSET
    safety_settings: ImagenSafetySettings | Unset = UNSET
    seed: int | Unset = UNSET
    enhance_prompt: bool | Unset = UNSET
    language: ImagenLanguage | Unset = UNSET
    output_format: ImagenOutputFormat | Unset = UNSET
    compression_quality: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        return repr_set_fields(self)

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        aspect_ratio: str | Unset = UNSET
        if not isinstance(self.aspect_ratio, Unset):
            aspect_ratio = self.aspect_ratio

        person_generation: str | Unset = UNSET
        if not isinstance(self.person_generation, Unset):
            person_generation = self.person_generation

        safety_settings: str | Unset = UNSET
        if not isinstance(self.safety_settings, Unset):
            safety_settings = self.safety_settings

        seed = self.seed

        enhance_prompt = self.enhance_prompt

        language: str | Unset = UNSET
        if not isinstance(self.language, Unset):
            language = self.language

        output_format: str | Unset = UNSET
        if not isinstance(self.output_format, Unset):
            output_format = self.output_format

        compression_quality = self.compression_quality

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prompt": prompt,
            }
        )
        if aspect_ratio is not UNSET:
            field_dict["aspect_ratio"] = aspect_ratio
        if person_generation is not UNSET:
            field_dict["person_generation"] = person_generation
        if safety_settings is not UNSET:
            field_dict["safety_settings"] = safety_settings
        if seed is not UNSET:
            field_dict["seed"] = seed
        if enhance_prompt is not UNSET:
            field_dict["enhance_prompt"] = enhance_prompt
        if language is not UNSET:
            field_dict["language"] = language
        if output_format is not UNSET:
            field_dict["output_format"] = output_format
        if compression_quality is not UNSET:
            field_dict["compression_quality"] = compression_quality

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        prompt = d.pop("prompt")

        _aspect_ratio = d.pop("aspect_ratio", UNSET)
        aspect_ratio: ImagenAspectRatio | Unset
        if isinstance(_aspect_ratio, Unset):
            aspect_ratio = UNSET
        else:
            aspect_ratio = check_imagen_aspect_ratio(_aspect_ratio)

        _person_generation = d.pop("person_generation", UNSET)
        person_generation: ImagenPersonGeneration | Unset
        if isinstance(_person_generation, Unset):
            person_generation = UNSET
        else:
            person_generation = check_imagen_person_generation(_person_generation)

        _safety_settings = d.pop("safety_settings", UNSET)
        safety_settings: ImagenSafetySettings | Unset
        if isinstance(_safety_settings, Unset):
            safety_settings = UNSET
        else:
            safety_settings = check_imagen_safety_settings(_safety_settings)

        seed = d.pop("seed", UNSET)

        enhance_prompt = d.pop("enhance_prompt", UNSET)

        _language = d.pop("language", UNSET)
        language: ImagenLanguage | Unset
        if isinstance(_language, Unset):
            language = UNSET
        else:
            language = check_imagen_language(_language)

        _output_format = d.pop("output_format", UNSET)
        output_format: ImagenOutputFormat | Unset
        if isinstance(_output_format, Unset):
            output_format = UNSET
        else:
            output_format = check_imagen_output_format(_output_format)

        compression_quality = d.pop("compression_quality", UNSET)

        imagen_4_ultra_input = cls(
            prompt=prompt,
            aspect_ratio=aspect_ratio,
            person_generation=person_generation,
            safety_settings=safety_settings,
            seed=seed,
            enhance_prompt=enhance_prompt,
            language=language,
            output_format=output_format,
            compression_quality=compression_quality,
        )

        imagen_4_ultra_input.additional_properties = d
        return imagen_4_ultra_input

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
