from typing import Literal

NanoBananaOutputFormat = Literal["png"]

NANO_BANANA_OUTPUT_FORMAT_VALUES: set[NanoBananaOutputFormat] = {
    "png",
}


def check_nano_banana_output_format(value: str) -> NanoBananaOutputFormat:
    if value in NANO_BANANA_OUTPUT_FORMAT_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {NANO_BANANA_OUTPUT_FORMAT_VALUES!r}"
    )
