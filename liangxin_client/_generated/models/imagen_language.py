from typing import Literal

ImagenLanguage = Literal["auto", "en", "es", "hi", "ja", "ko", "pt", "zh", "zh-CN"]

IMAGEN_LANGUAGE_VALUES: set[ImagenLanguage] = {
    "auto",
    "en",
    "es",
    "hi",
    "ja",
    "ko",
    "pt",
    "zh",
    "zh-CN",
}


def check_imagen_language(value: str) -> ImagenLanguage:
    if value in IMAGEN_LANGUAGE_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {IMAGEN_LANGUAGE_VALUES!r}"
    )
