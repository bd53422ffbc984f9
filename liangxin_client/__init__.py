"""Python client for the LiangXin Market image API.

    from liangxin_client import LiangXin

    with LiangXin() as client:  # LIANGXIN_API_KEY, LIANGXIN_BASE_URL
        result = client.generate("seedream-v4-5", "A tea bottle on a stone table", aspect_ratio="16:9")
        result.save("out")

Everything public is importable from here; `liangxin_client._generated` is an implementation detail.
"""

from liangxin_client._base import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT
from liangxin_client._client import AsyncLiangXin, LiangXin
from liangxin_client._errors import (
    AmbiguousSubmitError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    InvalidRequestError,
    LiangXinError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ResultExpiredError,
    TaskFailedError,
    TaskTimeoutError,
    UnexpectedTaskStateError,
    UnprocessableEntityError,
)
from liangxin_client._generated.models import (
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
    ModelName,
    NanoBananaAspectRatio,
    NanoBananaOutputFormat,
    NanoBananaProFlashInput,
    NanoBananaProInput,
    NanoBananaResolution,
    SeedreamAspectRatio,
    SeedreamV5LiteEditInput,
    SeedreamV5LiteInput,
    SeedreamV45EditInput,
    SeedreamV45Input,
    ZImageImageSize,
    ZImageInput,
)
from liangxin_client._inputs import MODEL_INPUTS, ModelInput
from liangxin_client._polling import PollSchedule
from liangxin_client._records import Task, TaskRecord, TaskState
from liangxin_client._results import AsyncGenerationResult, GenerationResult
from liangxin_client._version import __version__

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "MODEL_INPUTS",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousSubmitError",
    "AsyncGenerationResult",
    "AsyncLiangXin",
    "AuthenticationError",
    "BadRequestError",
    "Flux2ProInput",
    "FluxAspectRatio",
    "Gemini25FlashImagePreviewInput",
    "GenerationResult",
    "Imagen4FastInput",
    "Imagen4UltraInput",
    "ImagenAspectRatio",
    "ImagenLanguage",
    "ImagenOutputFormat",
    "ImagenPersonGeneration",
    "ImagenSafetySettings",
    "InternalServerError",
    "InvalidRequestError",
    "LiangXin",
    "LiangXinError",
    "ModelInput",
    "ModelName",
    "NanoBananaAspectRatio",
    "NanoBananaOutputFormat",
    "NanoBananaProFlashInput",
    "NanoBananaProInput",
    "NanoBananaResolution",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PollSchedule",
    "RateLimitError",
    "ResultExpiredError",
    "SeedreamAspectRatio",
    "SeedreamV5LiteEditInput",
    "SeedreamV5LiteInput",
    "SeedreamV45EditInput",
    "SeedreamV45Input",
    "Task",
    "TaskFailedError",
    "TaskRecord",
    "TaskState",
    "TaskTimeoutError",
    "UnexpectedTaskStateError",
    "UnprocessableEntityError",
    "ZImageImageSize",
    "ZImageInput",
    "__version__",
]
