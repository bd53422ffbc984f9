from typing import Literal

ImagenPersonGeneration = Literal["allow_adult", "allow_all", "dont_allow"]

IMAGEN_PERSON_GENERATION_VALUES: set[ImagenPersonGeneration] = {
    "allow_adult",
    "allow_all",
    "dont_allow",
}


def check_imagen_person_generation(value: str) -> ImagenPersonGeneration:
    if value in IMAGEN_PERSON_GENERATION_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {IMAGEN_PERSON_GENERATION_VALUES!r}"
    )
