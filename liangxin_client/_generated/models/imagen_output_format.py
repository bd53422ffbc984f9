from typing import Literal

ImagenOutputFormat = Literal["image/jpeg", "image/png", "jpeg", "jpg", "png"]

IMAGEN_OUTPUT_FORMAT_VALUES: set[ImagenOutputFormat] = {
    "image/jpeg",
    "image/png",
    "jpeg",
    "jpg",
    "png",
}


def check_imagen_output_format(value: str) -> ImagenOutputFormat:
    if value in IMAGEN_OUTPUT_FORMAT_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {IMAGEN_OUTPUT_FORMAT_VALUES!r}"
    )
