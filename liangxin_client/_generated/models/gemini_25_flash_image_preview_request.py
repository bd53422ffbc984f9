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

from ..types import UNSET, Unset, repr_set_fields

if TYPE_CHECKING:
    from ..models.gemini_25_flash_image_preview_input import (
        Gemini25FlashImagePreviewInput,
    )


T = TypeVar("T", bound="Gemini25FlashImagePreviewRequest")


@_attrs_define
class Gemini25FlashImagePreviewRequest:
    """Gemini 2.5 Flash Image Preview (generation and editing).

    Attributes:
        model (Literal['gemini-2.5-flash-image-preview']):
        input_ (Gemini25FlashImagePreviewInput):
        call_back_url (None | str | Unset): The optional `callBackUrl`. `null` and `""` are accepted and mean "no
            callback": the docs say only that the field is optional, so the contract does not refuse either.
    """

    model: Literal["gemini-2.5-flash-image-preview"]
    input_: Gemini25FlashImagePreviewInput
    call_back_url: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        return repr_set_fields(self)

    def to_dict(self) -> dict[str, Any]:
        model = self.model

        input_ = self.input_.to_dict()

        call_back_url: None | str | Unset
        if isinstance(self.call_back_url, Unset):
            call_back_url = UNSET
        else:
            call_back_url = self.call_back_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "model": model,
                "input": input_,
            }
        )
        if call_back_url is not UNSET:
            field_dict["callBackUrl"] = call_back_url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.gemini_25_flash_image_preview_input import (
            Gemini25FlashImagePreviewInput,
        )

        d = dict(src_dict)
        model = cast(Literal["gemini-2.5-flash-image-preview"], d.pop("model"))
        if model != "gemini-2.5-flash-image-preview":
            raise ValueError(
                f"model must match const 'gemini-2.5-flash-image-preview', got '{model}'"
            )

        input_ = Gemini25FlashImagePreviewInput.from_dict(d.pop("input"))

        def _parse_call_back_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        call_back_url = _parse_call_back_url(d.pop("callBackUrl", UNSET))

        gemini_25_flash_image_preview_request = cls(
            model=model,
            input_=input_,
            call_back_url=call_back_url,
        )

        gemini_25_flash_image_preview_request.additional_properties = d
        return gemini_25_flash_image_preview_request

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
