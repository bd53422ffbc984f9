from typing import Literal

ZImageImageSize = Literal[
    "landscape_16_9",
    "landscape_4_3",
    "portrait_3_4",
    "portrait_9_16",
    "square",
    "square_hd",
]

Z_IMAGE_IMAGE_SIZE_VALUES: set[ZImageImageSize] = {
    "landscape_16_9",
    "landscape_4_3",
    "portrait_3_4",
    "portrait_9_16",
    "square",
    "square_hd",
}


def check_z_image_image_size(value: str) -> ZImageImageSize:
    if value in Z_IMAGE_IMAGE_SIZE_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {Z_IMAGE_IMAGE_SIZE_VALUES!r}"
    )
