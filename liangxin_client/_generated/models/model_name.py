from typing import Literal

ModelName = Literal[
    "flux-2-pro",
    "gemini-2.5-flash-image-preview",
    "imagen4-fast",
    "imagen4-ultra",
    "kling-v3-pro",
    "nano-banana-pro",
    "nano-banana-pro-flash",
    "seedream-v4-5",
    "seedream-v4-5-edit",
    "seedream-v5-lite",
    "seedream-v5-lite-edit",
    "z-image",
]

MODEL_NAME_VALUES: set[ModelName] = {
    "flux-2-pro",
    "gemini-2.5-flash-image-preview",
    "imagen4-fast",
    "imagen4-ultra",
    "kling-v3-pro",
    "nano-banana-pro",
    "nano-banana-pro-flash",
    "seedream-v4-5",
    "seedream-v4-5-edit",
    "seedream-v5-lite",
    "seedream-v5-lite-edit",
    "z-image",
}


def check_model_name(value: str) -> ModelName:
    if value in MODEL_NAME_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {MODEL_NAME_VALUES!r}"
    )
