from typing import Literal

ImagenSafetySettings = Literal[
    "block_low_and_above", "block_medium_and_above", "block_none", "block_only_high"
]

IMAGEN_SAFETY_SETTINGS_VALUES: set[ImagenSafetySettings] = {
    "block_low_and_above",
    "block_medium_and_above",
    "block_none",
    "block_only_high",
}


def check_imagen_safety_settings(value: str) -> ImagenSafetySettings:
    if value in IMAGEN_SAFETY_SETTINGS_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {IMAGEN_SAFETY_SETTINGS_VALUES!r}"
    )
