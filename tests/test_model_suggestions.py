"""Model suggestions ("did you mean"): the ids other clients use for the same models (replicate, fal,
kie.ai, OpenRouter, Vertex, ...), each with the LiangXin model to suggest, or None where any
suggestion would be wrong.

One function serves all three places that suggest a model: the mock's unsupported-model 400,
the client's UnknownModelWarning and the CLI's unknown-model error
(`liangxin_contract.closest_model`).
"""

from __future__ import annotations

import json
import warnings

import httpx
import pytest
from client_support import Recorder, client_for, envelope

from liangxin_client import UnknownModelWarning
from liangxin_contract import ContractViolation, closest_model, model_names, validate_create_task
from liangxin_mock import MockServer

SUGGESTIONS: dict[str, str | None] = {
    # -- Seedream 4.5, text to image ------------------------------------------------------------
    "seedream/4.5-text-to-image": "seedream-v4-5",  # kie.ai
    "bytedance/seedream-4.5": "seedream-v4-5",  # replicate
    "fal-ai/bytedance/seedream/v4.5/text-to-image": "seedream-v4-5",  # fal
    "bytedance/seedream-4-5": "seedream-v4-5",
    "bytedance-seedream-4-5-251128": "seedream-v4-5",  # BytePlus ModelArk
    "doubao-seedream-4-5-251128": "seedream-v4-5",  # Volcengine Ark
    "seedream-4.5": "seedream-v4-5",
    "seedream_v4_5": "seedream-v4-5",
    "Seedream-V4-5": "seedream-v4-5",  # case
    " seedream-v4-5 ": "seedream-v4-5",  # stray spaces
    "SeedreamV45": "seedream-v4-5",  # the typed input's class name
    "seedream": "seedream-v4-5",  # the family alone: its first text-to-image model
    "seedrem-v4-5": "seedream-v4-5",  # a typo
    # Seedream 4.0, the model before 4.5: the nearest LiangXin has, never an edit model
    "bytedance/seedream-v4-text-to-image": "seedream-v4-5",  # kie.ai
    "bytedance/seedream-4": "seedream-v4-5",  # replicate
    "fal-ai/bytedance/seedream/v4/text-to-image": "seedream-v4-5",
    # -- Seedream 4.5, edit --------------------------------------------------------------------
    "seedream/4.5-edit": "seedream-v4-5-edit",  # kie.ai
    "fal-ai/bytedance/seedream/v4.5/edit": "seedream-v4-5-edit",  # fal
    "bytedance/seedream-v4-edit": "seedream-v4-5-edit",  # kie.ai, 4.0
    "seedream-v4-5-image-to-image": "seedream-v4-5-edit",
    "seedream-edit": "seedream-v4-5-edit",
    # -- Seedream 5.0 Lite ---------------------------------------------------------------------
    "seedream/5-lite-text-to-image": "seedream-v5-lite",
    "bytedance/seedream-5-lite": "seedream-v5-lite",
    "fal-ai/bytedance/seedream/v5/lite/text-to-image": "seedream-v5-lite",
    "seedream-5.0-lite": "seedream-v5-lite",
    "seedream/5-lite-image-to-image": "seedream-v5-lite-edit",
    "fal-ai/bytedance/seedream/v5/lite/edit": "seedream-v5-lite-edit",
    # -- Z-Image ---------------------------------------------------------------------------------
    "fal-ai/z-image/turbo": "z-image",  # fal
    "tongyi-mai/z-image-turbo": "z-image",
    "prunaai/z-image-turbo": "z-image",  # replicate
    "z-image-turbo": "z-image",
    "Z-Image": "z-image",
    "zimage": "z-image",
    "z-imag": "z-image",  # a typo
    # -- Gemini 2.5 Flash Image ("Nano Banana") ----------------------------------------------------
    "google/gemini-2.5-flash-image-preview": "gemini-2.5-flash-image-preview",  # OpenRouter
    "google/gemini-2.5-flash-image": "gemini-2.5-flash-image-preview",  # OpenRouter, GA name
    "gemini-2.5-flash-image": "gemini-2.5-flash-image-preview",  # Google AI
    "Gemini25FlashImagePreview": "gemini-2.5-flash-image-preview",
    "google/nano-banana": "gemini-2.5-flash-image-preview",  # replicate, kie.ai
    "google/nano-banana-edit": "gemini-2.5-flash-image-preview",  # kie.ai
    "fal-ai/nano-banana": "gemini-2.5-flash-image-preview",
    "fal-ai/nano-banana/edit": "gemini-2.5-flash-image-preview",
    "nano-banana": "gemini-2.5-flash-image-preview",
    # -- Nano Banana Pro (Gemini 3 Pro Image) ------------------------------------------------------
    "google/nano-banana-pro": "nano-banana-pro",  # replicate
    "fal-ai/nano-banana-pro": "nano-banana-pro",  # fal
    "fal-ai/nano-banana-pro/edit": "nano-banana-pro",  # one model generates and edits
    "nano-banana-pro/edit": "nano-banana-pro",
    "NANO-BANANA-PRO": "nano-banana-pro",
    "google/gemini-3-pro-image-preview": "nano-banana-pro",  # OpenRouter
    "gemini-3-pro-image-preview": "nano-banana-pro",  # Google AI
    "nano-banana-pro-flash ": "nano-banana-pro-flash",
    # -- Imagen 4 --------------------------------------------------------------------------------
    "google/imagen-4-fast": "imagen4-fast",  # replicate
    "google/imagen4-fast": "imagen4-fast",  # kie.ai
    "fal-ai/imagen4/preview/fast": "imagen4-fast",  # fal
    "imagen-4.0-fast-generate-001": "imagen4-fast",  # Vertex AI
    "imagen4fast": "imagen4-fast",
    "imagn4-fast": "imagen4-fast",  # a typo
    "google/imagen-4-ultra": "imagen4-ultra",
    "google/imagen4-ultra": "imagen4-ultra",
    "fal-ai/imagen4/preview/ultra": "imagen4-ultra",
    "imagen-4.0-ultra-generate-001": "imagen4-ultra",
    # -- FLUX.2 [pro] --------------------------------------------------------------------------------
    "black-forest-labs/flux-2-pro": "flux-2-pro",  # replicate
    "fal-ai/flux-2-pro": "flux-2-pro",  # fal
    "fal-ai/flux-2-pro/edit": "flux-2-pro",  # no edit model of its own: the same one
    "flux-2/pro-text-to-image": "flux-2-pro",  # kie.ai
    "flux-2-max": "flux-2-pro",  # FLUX.2 [max]: the FLUX.2 LiangXin has
    "flux-2/pro-image-to-image": "flux-2-pro",  # kie.ai
    "black-forest-labs/flux.2-pro": "flux-2-pro",  # OpenRouter
    "Flux2Pro": "flux-2-pro",
    # -- Kling 3 ---------------------------------------------------------------------------------------
    "kling-v3-turbo": "kling-v3-pro",
    "kwaivgi/kling-v3-pro": "kling-v3-pro",
    "fal-ai/kling-video/v3/pro/text-to-video": "kling-v3-pro",
    # -- say nothing rather than something wrong -----------------------------------------------
    "gpt-image-1": None,  # OpenAI: no LiangXin model is it (not `z-image`)
    "openai/gpt-image-1": None,
    "gpt-image-1.5": None,
    "dall-e-3": None,
    "openai/dall-e-2": None,
    "midjourney": None,
    "stability-ai/sdxl": None,
    "stable-diffusion-3.5-large": None,
    "qwen/qwen-image": None,  # an "image" is not Imagen
    "qwen-image-edit": None,
    "ideogram-ai/ideogram-v3-turbo": None,
    "recraft-ai/recraft-v3": None,
    "bytedance/seededit-3.0": None,  # SeedEdit is not Seedream
    "bytedance/seedream-3": None,  # Seedream 3.0: no LiangXin model of that generation
    "black-forest-labs/flux-1.1-pro": None,  # FLUX 1.1 is not FLUX.2
    "black-forest-labs/flux-schnell": None,  # FLUX.1 [schnell]: no version to go by
    "google/imagen-3": None,
    "google/gemini-3.1-flash-image-preview": None,  # not known to be any LiangXin model
    "nano-banana-2": None,
    "google/gemini-3-pro": None,  # a text model
    "kling-v2-1-master": None,
    "hidream-i1-full": None,
    "x": None,
    "image": None,
    "pro": None,
    "edit": None,
    "4.5": None,
    "": None,
}


@pytest.mark.parametrize(("foreign", "expected"), SUGGESTIONS.items())
def test_closest_model(foreign: str, expected: str | None) -> None:
    assert closest_model(foreign) == expected


def test_every_known_model_is_its_own_closest() -> None:
    for name in model_names():
        assert closest_model(name) == name
        assert closest_model(name.upper()) == name


def test_every_suggestion_is_a_known_model() -> None:
    known = set(model_names())
    assert {s for s in SUGGESTIONS.values() if s is not None} <= known


def test_the_400_names_the_suggestion_or_nothing() -> None:
    with pytest.raises(ContractViolation) as info:
        validate_create_task({"model": "seedream/4.5-text-to-image", "input": {"prompt": "x"}})
    assert info.value.message == (
        "unsupported model: seedream/4.5-text-to-image (did you mean 'seedream-v4-5'?)"
    )
    with pytest.raises(ContractViolation) as info:
        validate_create_task({"model": "gpt-image-1", "input": {"prompt": "x"}})
    assert info.value.message == "unsupported model: gpt-image-1"


def test_the_mock_answers_with_the_suggestion(liangxin_mock: MockServer) -> None:
    answer = httpx.post(
        f"{liangxin_mock.base_url}/api/v1/jobs/createTask",
        headers={"Authorization": f"Bearer {liangxin_mock.api_key}"},
        json={"model": "bytedance/seedream-v4-text-to-image", "input": {"prompt": "a boat"}},
    )
    assert answer.status_code == 400
    assert answer.json()["msg"] == (
        "unsupported model: bytedance/seedream-v4-text-to-image (did you mean 'seedream-v4-5'?)"
    )


@pytest.mark.parametrize(
    ("model", "hint"),
    [
        ("google/nano-banana-pro", "not in the contract; did you mean 'nano-banana-pro'? Only"),
        ("gpt-image-1", "not in the contract. Only"),
    ],
)
def test_the_client_warning_names_the_suggestion_or_nothing(model: str, hint: str) -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": "task_x_1"})))
    with warnings.catch_warnings(record=True) as caught, client_for(seen) as client:
        warnings.simplefilter("always")
        client.tasks.create(model, "a boat")
    [warning] = [w.message for w in caught if isinstance(w.message, UnknownModelWarning)]
    assert hint in str(warning), str(warning)
    [request] = seen.requests
    assert json.loads(request.read())["model"] == model  # sent as given
