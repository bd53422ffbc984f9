from typing import Literal

ImagenAspectRatio = Literal[
    "16:9",
    "1:1",
    "3:4",
    "4:3",
    "9:16",
    "classic_4_3",
    "social_story_9_16",
    "square_1_1",
    "traditional_3_4",
    "widescreen_16_9",
]

IMAGEN_ASPECT_RATIO_VALUES: set[ImagenAspectRatio] = {
    "16:9",
    "1:1",
    "3:4",
    "4:3",
    "9:16",
    "classic_4_3",
    "social_story_9_16",
    "square_1_1",
    "traditional_3_4",
    "widescreen_16_9",
}


def check_imagen_aspect_ratio(value: str) -> ImagenAspectRatio:
    if value in IMAGEN_ASPECT_RATIO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {IMAGEN_ASPECT_RATIO_VALUES!r}"
    )
