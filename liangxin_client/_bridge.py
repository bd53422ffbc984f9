"""The one door to the generated core (`liangxin_client._generated`): no other module imports it.

What the generated core gives the library: the typed per-model `*Input` classes (attrs, with
`to_dict()` and `additional_properties`), the `Literal` enums the contract lists, and the strict
reference models of the responses (`CreateTaskResponse`, `RecordInfoResponse`,
`CallbackPayload`) for whoever wants a parse that fails on anything undocumented. Requests are
built, sent and decoded by the hand-written facade from the contract (`liangxin_contract`), so
the facade can be tolerant where the generated parsers are strict; the generated client and its
`api/` functions are not used at run time.
"""

from liangxin_client._generated import models as _models
from liangxin_client._generated import types as _types

#: The default of every optional field of a typed input: "not set", left out of the body.
UNSET = _types.UNSET
Unset = _types.Unset
CallbackPayload = _models.CallbackPayload
CreateTaskResponse = _models.CreateTaskResponse
Flux2ProInput = _models.Flux2ProInput
FluxAspectRatio = _models.FluxAspectRatio
Gemini25FlashImagePreviewInput = _models.Gemini25FlashImagePreviewInput
Imagen4FastInput = _models.Imagen4FastInput
Imagen4UltraInput = _models.Imagen4UltraInput
ImagenAspectRatio = _models.ImagenAspectRatio
ImagenLanguage = _models.ImagenLanguage
ImagenOutputFormat = _models.ImagenOutputFormat
ImagenPersonGeneration = _models.ImagenPersonGeneration
ImagenSafetySettings = _models.ImagenSafetySettings
KlingV3ProInput = _models.KlingV3ProInput
ModelName = _models.ModelName
NanoBananaKnownAspectRatio = _models.NanoBananaKnownAspectRatio
NanoBananaOutputFormat = _models.NanoBananaOutputFormat
NanoBananaProFlashInput = _models.NanoBananaProFlashInput
NanoBananaProInput = _models.NanoBananaProInput
NanoBananaResolution = _models.NanoBananaResolution
RecordInfoResponse = _models.RecordInfoResponse
SeedreamAspectRatio = _models.SeedreamAspectRatio
SeedreamV5LiteEditInput = _models.SeedreamV5LiteEditInput
SeedreamV5LiteInput = _models.SeedreamV5LiteInput
SeedreamV45EditInput = _models.SeedreamV45EditInput
SeedreamV45Input = _models.SeedreamV45Input
ZImageImageSize = _models.ZImageImageSize
ZImageInput = _models.ZImageInput
