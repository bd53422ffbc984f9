from typing import Literal

FluxAspectRatio = Literal["16:9", "1:1", "21:9", "2:3", "3:2", "3:4", "4:3", "9:16"]

FLUX_ASPECT_RATIO_VALUES: set[FluxAspectRatio] = {
    "16:9",
    "1:1",
    "21:9",
    "2:3",
    "3:2",
    "3:4",
    "4:3",
    "9:16",
}


def check_flux_aspect_ratio(value: str) -> FluxAspectRatio:
    if value in FLUX_ASPECT_RATIO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {FLUX_ASPECT_RATIO_VALUES!r}"
    )
