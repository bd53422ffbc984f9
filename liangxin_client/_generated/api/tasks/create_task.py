from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_task_response import CreateTaskResponse
from ...models.flux_2_pro_request import Flux2ProRequest
from ...models.gemini_25_flash_image_preview_request import (
    Gemini25FlashImagePreviewRequest,
)
from ...models.imagen_4_fast_request import Imagen4FastRequest
from ...models.imagen_4_ultra_request import Imagen4UltraRequest
from ...models.kling_v3_pro_request import KlingV3ProRequest
from ...models.nano_banana_pro_flash_request import NanoBananaProFlashRequest
from ...models.nano_banana_pro_request import NanoBananaProRequest
from ...models.platform_error import PlatformError
from ...models.seedream_v5_lite_edit_request import SeedreamV5LiteEditRequest
from ...models.seedream_v5_lite_request import SeedreamV5LiteRequest
from ...models.seedream_v45_edit_request import SeedreamV45EditRequest
from ...models.seedream_v45_request import SeedreamV45Request
from ...models.task_layer_error import TaskLayerError
from ...models.unrecognized_error import UnrecognizedError
from ...models.z_image_request import ZImageRequest
from ...types import Response


def _get_kwargs(
    *,
    body: Flux2ProRequest
    | Gemini25FlashImagePreviewRequest
    | Imagen4FastRequest
    | Imagen4UltraRequest
    | KlingV3ProRequest
    | NanoBananaProFlashRequest
    | NanoBananaProRequest
    | SeedreamV45EditRequest
    | SeedreamV45Request
    | SeedreamV5LiteEditRequest
    | SeedreamV5LiteRequest
    | ZImageRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/jobs/createTask",
    }

    if (
        isinstance(body, SeedreamV45Request)
        or isinstance(body, SeedreamV45EditRequest)
        or isinstance(body, SeedreamV5LiteRequest)
        or isinstance(body, SeedreamV5LiteEditRequest)
        or isinstance(body, ZImageRequest)
        or isinstance(body, Gemini25FlashImagePreviewRequest)
        or isinstance(body, NanoBananaProRequest)
        or isinstance(body, NanoBananaProFlashRequest)
        or isinstance(body, Imagen4FastRequest)
        or isinstance(body, Imagen4UltraRequest)
        or isinstance(body, Flux2ProRequest)
    ):
        _kwargs["json"] = body.to_dict()
    else:
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CreateTaskResponse | PlatformError | TaskLayerError | UnrecognizedError | None:
    if response.status_code == 200:
        response_200 = CreateTaskResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:

        def _parse_response_400(
            data: object,
        ) -> PlatformError | TaskLayerError | UnrecognizedError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_envelope_type_0 = TaskLayerError.from_dict(data)

                return componentsschemas_error_envelope_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_envelope_type_1 = PlatformError.from_dict(data)

                return componentsschemas_error_envelope_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_error_envelope_type_2 = UnrecognizedError.from_dict(data)

            return componentsschemas_error_envelope_type_2

        response_400 = _parse_response_400(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = PlatformError.from_dict(response.json())

        return response_401

    if response.status_code == 403:

        def _parse_response_403(
            data: object,
        ) -> PlatformError | TaskLayerError | UnrecognizedError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_envelope_type_0 = TaskLayerError.from_dict(data)

                return componentsschemas_error_envelope_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_envelope_type_1 = PlatformError.from_dict(data)

                return componentsschemas_error_envelope_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_error_envelope_type_2 = UnrecognizedError.from_dict(data)

            return componentsschemas_error_envelope_type_2

        response_403 = _parse_response_403(response.json())

        return response_403

    if response.status_code == 413:

        def _parse_response_413(
            data: object,
        ) -> PlatformError | TaskLayerError | UnrecognizedError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_envelope_type_0 = TaskLayerError.from_dict(data)

                return componentsschemas_error_envelope_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_envelope_type_1 = PlatformError.from_dict(data)

                return componentsschemas_error_envelope_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_error_envelope_type_2 = UnrecognizedError.from_dict(data)

            return componentsschemas_error_envelope_type_2

        response_413 = _parse_response_413(response.json())

        return response_413

    if response.status_code == 422:

        def _parse_response_422(
            data: object,
        ) -> PlatformError | TaskLayerError | UnrecognizedError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_envelope_type_0 = TaskLayerError.from_dict(data)

                return componentsschemas_error_envelope_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_envelope_type_1 = PlatformError.from_dict(data)

                return componentsschemas_error_envelope_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_error_envelope_type_2 = UnrecognizedError.from_dict(data)

            return componentsschemas_error_envelope_type_2

        response_422 = _parse_response_422(response.json())

        return response_422

    if response.status_code == 429:

        def _parse_response_429(
            data: object,
        ) -> PlatformError | TaskLayerError | UnrecognizedError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_envelope_type_0 = TaskLayerError.from_dict(data)

                return componentsschemas_error_envelope_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_envelope_type_1 = PlatformError.from_dict(data)

                return componentsschemas_error_envelope_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_error_envelope_type_2 = UnrecognizedError.from_dict(data)

            return componentsschemas_error_envelope_type_2

        response_429 = _parse_response_429(response.json())

        return response_429

    if response.status_code == 500:

        def _parse_response_500(
            data: object,
        ) -> PlatformError | TaskLayerError | UnrecognizedError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_envelope_type_0 = TaskLayerError.from_dict(data)

                return componentsschemas_error_envelope_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_error_envelope_type_1 = PlatformError.from_dict(data)

                return componentsschemas_error_envelope_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_error_envelope_type_2 = UnrecognizedError.from_dict(data)

            return componentsschemas_error_envelope_type_2

        response_500 = _parse_response_500(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[CreateTaskResponse | PlatformError | TaskLayerError | UnrecognizedError]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: Flux2ProRequest
    | Gemini25FlashImagePreviewRequest
    | Imagen4FastRequest
    | Imagen4UltraRequest
    | KlingV3ProRequest
    | NanoBananaProFlashRequest
    | NanoBananaProRequest
    | SeedreamV45EditRequest
    | SeedreamV45Request
    | SeedreamV5LiteEditRequest
    | SeedreamV5LiteRequest
    | ZImageRequest,
) -> Response[CreateTaskResponse | PlatformError | TaskLayerError | UnrecognizedError]:
    """Create a generation task

     Creates a task for one Market model. The body's `model` selects the model and the shape of
    `input`. Returns a `taskId` to poll with `getTaskDetails`. Each accepted call may cost credits.

    Args:
        body (Flux2ProRequest | Gemini25FlashImagePreviewRequest | Imagen4FastRequest |
            Imagen4UltraRequest | KlingV3ProRequest | NanoBananaProFlashRequest | NanoBananaProRequest
            | SeedreamV45EditRequest | SeedreamV45Request | SeedreamV5LiteEditRequest |
            SeedreamV5LiteRequest | ZImageRequest): The createTask body: one variant per model,
            selected by the `model` value. Every variant has `model`, an optional `callBackUrl` and
            the model's `input`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateTaskResponse | PlatformError | PlatformError | TaskLayerError | UnrecognizedError]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: Flux2ProRequest
    | Gemini25FlashImagePreviewRequest
    | Imagen4FastRequest
    | Imagen4UltraRequest
    | KlingV3ProRequest
    | NanoBananaProFlashRequest
    | NanoBananaProRequest
    | SeedreamV45EditRequest
    | SeedreamV45Request
    | SeedreamV5LiteEditRequest
    | SeedreamV5LiteRequest
    | ZImageRequest,
) -> CreateTaskResponse | PlatformError | TaskLayerError | UnrecognizedError | None:
    """Create a generation task

     Creates a task for one Market model. The body's `model` selects the model and the shape of
    `input`. Returns a `taskId` to poll with `getTaskDetails`. Each accepted call may cost credits.

    Args:
        body (Flux2ProRequest | Gemini25FlashImagePreviewRequest | Imagen4FastRequest |
            Imagen4UltraRequest | KlingV3ProRequest | NanoBananaProFlashRequest | NanoBananaProRequest
            | SeedreamV45EditRequest | SeedreamV45Request | SeedreamV5LiteEditRequest |
            SeedreamV5LiteRequest | ZImageRequest): The createTask body: one variant per model,
            selected by the `model` value. Every variant has `model`, an optional `callBackUrl` and
            the model's `input`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateTaskResponse | PlatformError | PlatformError | TaskLayerError | UnrecognizedError
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: Flux2ProRequest
    | Gemini25FlashImagePreviewRequest
    | Imagen4FastRequest
    | Imagen4UltraRequest
    | KlingV3ProRequest
    | NanoBananaProFlashRequest
    | NanoBananaProRequest
    | SeedreamV45EditRequest
    | SeedreamV45Request
    | SeedreamV5LiteEditRequest
    | SeedreamV5LiteRequest
    | ZImageRequest,
) -> Response[CreateTaskResponse | PlatformError | TaskLayerError | UnrecognizedError]:
    """Create a generation task

     Creates a task for one Market model. The body's `model` selects the model and the shape of
    `input`. Returns a `taskId` to poll with `getTaskDetails`. Each accepted call may cost credits.

    Args:
        body (Flux2ProRequest | Gemini25FlashImagePreviewRequest | Imagen4FastRequest |
            Imagen4UltraRequest | KlingV3ProRequest | NanoBananaProFlashRequest | NanoBananaProRequest
            | SeedreamV45EditRequest | SeedreamV45Request | SeedreamV5LiteEditRequest |
            SeedreamV5LiteRequest | ZImageRequest): The createTask body: one variant per model,
            selected by the `model` value. Every variant has `model`, an optional `callBackUrl` and
            the model's `input`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateTaskResponse | PlatformError | PlatformError | TaskLayerError | UnrecognizedError]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: Flux2ProRequest
    | Gemini25FlashImagePreviewRequest
    | Imagen4FastRequest
    | Imagen4UltraRequest
    | KlingV3ProRequest
    | NanoBananaProFlashRequest
    | NanoBananaProRequest
    | SeedreamV45EditRequest
    | SeedreamV45Request
    | SeedreamV5LiteEditRequest
    | SeedreamV5LiteRequest
    | ZImageRequest,
) -> CreateTaskResponse | PlatformError | TaskLayerError | UnrecognizedError | None:
    """Create a generation task

     Creates a task for one Market model. The body's `model` selects the model and the shape of
    `input`. Returns a `taskId` to poll with `getTaskDetails`. Each accepted call may cost credits.

    Args:
        body (Flux2ProRequest | Gemini25FlashImagePreviewRequest | Imagen4FastRequest |
            Imagen4UltraRequest | KlingV3ProRequest | NanoBananaProFlashRequest | NanoBananaProRequest
            | SeedreamV45EditRequest | SeedreamV45Request | SeedreamV5LiteEditRequest |
            SeedreamV5LiteRequest | ZImageRequest): The createTask body: one variant per model,
            selected by the `model` value. Every variant has `model`, an optional `callBackUrl` and
            the model's `input`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateTaskResponse | PlatformError | PlatformError | TaskLayerError | UnrecognizedError
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
