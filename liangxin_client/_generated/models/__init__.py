"""Contains all the data models used in inputs/outputs"""

from .callback_payload import CallbackPayload
from .create_task_data import CreateTaskData
from .create_task_response import CreateTaskResponse
from .flux_2_pro_input import Flux2ProInput
from .flux_2_pro_request import Flux2ProRequest
from .flux_aspect_ratio import FluxAspectRatio
from .gemini_25_flash_image_preview_input import Gemini25FlashImagePreviewInput
from .gemini_25_flash_image_preview_request import Gemini25FlashImagePreviewRequest
from .imagen_4_fast_input import Imagen4FastInput
from .imagen_4_fast_request import Imagen4FastRequest
from .imagen_4_ultra_input import Imagen4UltraInput
from .imagen_4_ultra_request import Imagen4UltraRequest
from .imagen_aspect_ratio import ImagenAspectRatio
from .imagen_language import ImagenLanguage
from .imagen_output_format import ImagenOutputFormat
from .imagen_person_generation import ImagenPersonGeneration
from .imagen_safety_settings import ImagenSafetySettings
from .kling_v3_pro_input import KlingV3ProInput
from .kling_v3_pro_request import KlingV3ProRequest
from .model_name import ModelName
from .nano_banana_known_aspect_ratio import NanoBananaKnownAspectRatio
from .nano_banana_output_format import NanoBananaOutputFormat
from .nano_banana_pro_flash_input import NanoBananaProFlashInput
from .nano_banana_pro_flash_request import NanoBananaProFlashRequest
from .nano_banana_pro_input import NanoBananaProInput
from .nano_banana_pro_request import NanoBananaProRequest
from .nano_banana_resolution import NanoBananaResolution
from .platform_error import PlatformError
from .platform_error_detail import PlatformErrorDetail
from .record_info_response import RecordInfoResponse
from .result_json import ResultJson
from .seedream_aspect_ratio import SeedreamAspectRatio
from .seedream_v5_lite_edit_input import SeedreamV5LiteEditInput
from .seedream_v5_lite_edit_request import SeedreamV5LiteEditRequest
from .seedream_v5_lite_input import SeedreamV5LiteInput
from .seedream_v5_lite_request import SeedreamV5LiteRequest
from .seedream_v45_edit_input import SeedreamV45EditInput
from .seedream_v45_edit_request import SeedreamV45EditRequest
from .seedream_v45_input import SeedreamV45Input
from .seedream_v45_request import SeedreamV45Request
from .task_layer_error import TaskLayerError
from .task_record import TaskRecord
from .task_state import TaskState
from .unrecognized_error import UnrecognizedError
from .z_image_image_size import ZImageImageSize
from .z_image_input import ZImageInput
from .z_image_request import ZImageRequest

__all__ = (
    "CallbackPayload",
    "CreateTaskData",
    "CreateTaskResponse",
    "Flux2ProInput",
    "Flux2ProRequest",
    "FluxAspectRatio",
    "Gemini25FlashImagePreviewInput",
    "Gemini25FlashImagePreviewRequest",
    "Imagen4FastInput",
    "Imagen4FastRequest",
    "Imagen4UltraInput",
    "Imagen4UltraRequest",
    "ImagenAspectRatio",
    "ImagenLanguage",
    "ImagenOutputFormat",
    "ImagenPersonGeneration",
    "ImagenSafetySettings",
    "KlingV3ProInput",
    "KlingV3ProRequest",
    "ModelName",
    "NanoBananaKnownAspectRatio",
    "NanoBananaOutputFormat",
    "NanoBananaProFlashInput",
    "NanoBananaProFlashRequest",
    "NanoBananaProInput",
    "NanoBananaProRequest",
    "NanoBananaResolution",
    "PlatformError",
    "PlatformErrorDetail",
    "RecordInfoResponse",
    "ResultJson",
    "SeedreamAspectRatio",
    "SeedreamV5LiteEditInput",
    "SeedreamV5LiteEditRequest",
    "SeedreamV5LiteInput",
    "SeedreamV5LiteRequest",
    "SeedreamV45EditInput",
    "SeedreamV45EditRequest",
    "SeedreamV45Input",
    "SeedreamV45Request",
    "TaskLayerError",
    "TaskRecord",
    "TaskState",
    "UnrecognizedError",
    "ZImageImageSize",
    "ZImageInput",
    "ZImageRequest",
)
