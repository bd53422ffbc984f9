from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.platform_error import PlatformError
from ...models.record_info_response import RecordInfoResponse
from ...models.task_layer_error import TaskLayerError
from ...models.unrecognized_error import UnrecognizedError
from ...types import UNSET, Response


def _get_kwargs(
    *,
    task_id: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["taskId"] = task_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/jobs/recordInfo",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PlatformError | TaskLayerError | UnrecognizedError | RecordInfoResponse | None:
    if response.status_code == 200:
        response_200 = RecordInfoResponse.from_dict(response.json())

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

    if response.status_code == 404:

        def _parse_response_404(
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

        response_404 = _parse_response_404(response.json())

        return response_404

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
) -> Response[PlatformError | TaskLayerError | UnrecognizedError | RecordInfoResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    task_id: str,
) -> Response[PlatformError | TaskLayerError | UnrecognizedError | RecordInfoResponse]:
    """Get task details

     One endpoint for every model. Poll until `data.state` is `success` or `fail`.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PlatformError | PlatformError | TaskLayerError | UnrecognizedError | RecordInfoResponse]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    task_id: str,
) -> PlatformError | TaskLayerError | UnrecognizedError | RecordInfoResponse | None:
    """Get task details

     One endpoint for every model. Poll until `data.state` is `success` or `fail`.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PlatformError | PlatformError | TaskLayerError | UnrecognizedError | RecordInfoResponse
    """

    return sync_detailed(
        client=client,
        task_id=task_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    task_id: str,
) -> Response[PlatformError | TaskLayerError | UnrecognizedError | RecordInfoResponse]:
    """Get task details

     One endpoint for every model. Poll until `data.state` is `success` or `fail`.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PlatformError | PlatformError | TaskLayerError | UnrecognizedError | RecordInfoResponse]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    task_id: str,
) -> PlatformError | TaskLayerError | UnrecognizedError | RecordInfoResponse | None:
    """Get task details

     One endpoint for every model. Poll until `data.state` is `success` or `fail`.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PlatformError | PlatformError | TaskLayerError | UnrecognizedError | RecordInfoResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            task_id=task_id,
        )
    ).parsed
