"""The one door to the generated core (`liangxin_client._generated`): no other module imports it.

What the generated core gives the library: the typed per-model `*Input` classes (attrs, with
`to_dict()` and `additional_properties`), the `Literal` enums the contract lists, and the strict
reference models of the responses (`CreateTaskResponse`, `RecordInfoResponse`,
`CallbackPayload`) for whoever wants a parse that fails on anything undocumented. Requests are
built, sent and decoded by the hand-written facade from the contract (`liangxin_contract`), so
the facade can be tolerant where the generated parsers are strict; the generated client and its
`api/` functions are not used at run time.
"""

from liangxin_client._generated.models import (
    CallbackPayload,
    CreateTaskResponse,
    Flux2ProInput,
    FluxAspectRatio,
    Gemini25FlashImagePreviewInput,
    Imagen4FastInput,
    Imagen4UltraInput,
    ImagenAspectRatio,
    ImagenLanguage,
    ImagenOutputFormat,
    ImagenPersonGeneration,
    ImagenSafetySettings,
    KlingV3ProInput,
    ModelName,
    NanoBananaKnownAspectRatio,
    NanoBananaOutputFormat,
    NanoBananaProFlashInput,
    NanoBananaProInput,
    NanoBananaResolution,
    RecordInfoResponse,
    SeedreamAspectRatio,
    SeedreamV5LiteEditInput,
    SeedreamV5LiteInput,
    SeedreamV45EditInput,
    SeedreamV45Input,
    ZImageImageSize,
    ZImageInput,
)

__all__ = [
    "CallbackPayload",
    "CreateTaskResponse",
    "Flux2ProInput",
    "FluxAspectRatio",
    "Gemini25FlashImagePreviewInput",
    "Imagen4FastInput",
    "Imagen4UltraInput",
    "ImagenAspectRatio",
    "ImagenLanguage",
    "ImagenOutputFormat",
    "ImagenPersonGeneration",
    "ImagenSafetySettings",
    "KlingV3ProInput",
    "ModelName",
    "NanoBananaKnownAspectRatio",
    "NanoBananaOutputFormat",
    "NanoBananaProFlashInput",
    "NanoBananaProInput",
    "NanoBananaResolution",
    "RecordInfoResponse",
    "SeedreamAspectRatio",
    "SeedreamV5LiteEditInput",
    "SeedreamV5LiteInput",
    "SeedreamV45EditInput",
    "SeedreamV45Input",
    "ZImageImageSize",
    "ZImageInput",
]
