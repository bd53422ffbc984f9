from typing import Literal

SeedreamAspectRatio = Literal[
    "16:9",
    "1:1",
    "21:9",
    "2:3",
    "3:2",
    "3:4",
    "4:3",
    "9:16",
    "cinematic_21_9",
    "classic_4_3",
    "portrait_2_3",
    "social_story_9_16",
    "square_1_1",
    "standard_3_2",
    "traditional_3_4",
    "widescreen_16_9",
]

SEEDREAM_ASPECT_RATIO_VALUES: set[SeedreamAspectRatio] = {
    "16:9",
    "1:1",
    "21:9",
    "2:3",
    "3:2",
    "3:4",
    "4:3",
    "9:16",
    "cinematic_21_9",
    "classic_4_3",
    "portrait_2_3",
    "social_story_9_16",
    "square_1_1",
    "standard_3_2",
    "traditional_3_4",
    "widescreen_16_9",
}


def check_seedream_aspect_ratio(value: str) -> SeedreamAspectRatio:
    if value in SEEDREAM_ASPECT_RATIO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SEEDREAM_ASPECT_RATIO_VALUES!r}"
    )
