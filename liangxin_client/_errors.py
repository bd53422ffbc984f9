"""Every error this library raises, and the one status → class table.

```
LiangXinError
├── APIError                      the service (or the path to it) answered badly, or not at all
│   ├── APIStatusError            an HTTP error status, or HTTP 200 whose envelope `code` is not 200
│   │   ├── BadRequestError              400
│   │   ├── AuthenticationError          401
│   │   ├── PermissionDeniedError        403
│   │   ├── NotFoundError                404
│   │   ├── PayloadTooLargeError         413
│   │   ├── UnprocessableEntityError     422
│   │   ├── RateLimitError               429  (.retry_after)
│   │   ├── InternalServerError          5xx
│   │   └── ResultExpiredError           403/404/410 while downloading a result URL
│   ├── APIConnectionError        no response (DNS, refused, reset, ...)
│   │   └── APITimeoutError
│   └── AmbiguousSubmitError      createTask may have been accepted; it was NOT resent
├── TaskFailedError               the task reached `fail`
├── TaskTimeoutError              wait() reached its deadline
├── UnexpectedTaskStateError      wait() met a state this client does not know
├── ConfigurationError            (also ValueError) a client setting that cannot work (no key, bad URL)
├── ResultSaveError               (also OSError) a result could not be written to disk
├── ResultIndexError              (also IndexError) result.read(n) / iter_bytes(n) of a result not there
├── InvalidRequestError           (also ValueError) rejected before any network call
├── InvalidCallbackError          (also ValueError) a callback body that is not a CallbackPayload
│   └── CallbackTooLargeError     a callback body over the size limit
└── CallbackVerificationError     a callback that recordInfo does not confirm
```

Every error carries `.task_id`: the task it concerns, or None when no task is known (so an error
raised after a createTask always names the task that was created). No error object holds the API
key: requests and responses on errors are copies with credential headers replaced by `***`, and
the keys are scrubbed from any value the service echoed back (see `_redact.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from liangxin_client._logging import scrub_secrets
from liangxin_client._redact import safe_request, safe_response

if TYPE_CHECKING:
    from liangxin_client._records import TaskRecord


def _restore(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class LiangXinError(Exception):
    """Base class of every error raised by liangxin_client.

    `task_id` names the task the error concerns (None when there is none, e.g. before a create).
    """

    task_id: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle by state, not by calling __init__ again (whose signature differs per class).
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class APIError(LiangXinError):
    """A failed exchange with the service.

    `code`/`type`/`message` come from the response envelope when there is one; `body` is the raw
    response text (truncated); `request_id` comes from `x-request-id`/`x-oneapi-request-id`.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | str | None = None,
        type: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        body: str | None = None,
        request: httpx.Request | None = None,
    ) -> None:
        message = scrub_secrets(message)
        super().__init__(message)
        self.message = message
        self.code = code
        self.type = type
        self.status_code = status_code
        self.request_id = request_id
        self.body = None if body is None else scrub_secrets(body)
        #: What was sent, with credential headers replaced by `***`.
        self.request = safe_request(request)

    def __str__(self) -> str:
        details = [
            f"{name} {value}"
            for name, value in (
                ("HTTP", self.status_code),
                ("code", self.code),
                ("request_id", self.request_id),
            )
            if value not in (None, "")
        ]
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status_code={self.status_code!r}, code={self.code!r})"


class APIStatusError(APIError):
    """The service answered with an error status or an error envelope.

    `layer` says which envelope carried it: `"task"` (`{code,msg,data}`), `"platform"`
    (`{error:{message,type,code}}`) or None (no envelope, e.g. a proxy's HTML page).
    """

    status_code: int

    def __init__(
        self, message: str, *, response: httpx.Response, layer: str | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("status_code", response.status_code)
        if "request" not in kwargs:
            try:
                kwargs["request"] = response.request
            except RuntimeError:  # a response built by hand, without its request
                kwargs["request"] = None
        super().__init__(message, **kwargs)
        #: The answer, with credential headers replaced by `***` (its `.request` too).
        self.response = safe_response(response, request=self.request)
        self.layer = layer


class BadRequestError(APIStatusError):
    """400: invalid request, unsupported model, invalid parameter, or price not configured."""


class AuthenticationError(APIStatusError):
    """401: invalid or missing API key."""


class PermissionDeniedError(APIStatusError):
    """403: insufficient quota (credits spent) or access denied."""


class NotFoundError(APIStatusError):
    """404: no such task."""


class PayloadTooLargeError(APIStatusError):
    """413: the request body is too large."""


class UnprocessableEntityError(APIStatusError):
    """422: the upstream provider rejected the request."""


class RateLimitError(APIStatusError):
    """429: the group or upstream is saturated. `retry_after` is in seconds, when sent."""

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        retry_after: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, response=response, **kwargs)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """5xx: an upstream or internal error (or a proxy in between)."""


class ResultExpiredError(APIStatusError):
    """A result URL answered 403/404/410: results expire about 24 h after completion."""


class APIConnectionError(APIError):
    """No usable response: connection refused or reset, DNS failure, protocol error."""


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class AmbiguousSubmitError(APIError):
    """A createTask may have reached the service, so it was not resent (it may cost credits).

    `request_summary` says what was sent (model, prompt head, callBackUrl).
    """

    def __init__(self, message: str, request_summary: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.request_summary = dict(request_summary)


class TaskFailedError(LiangXinError):
    """The task reached the terminal state `fail`."""

    def __init__(self, task_id: str, fail_code: str | None, fail_msg: str | None) -> None:
        detail = ": ".join(part for part in (fail_code, fail_msg) if part) or "no reason given"
        super().__init__(f"task {task_id} failed: {detail}")
        self.task_id = task_id
        self.fail_code = fail_code
        self.fail_msg = fail_msg


class TaskTimeoutError(LiangXinError):
    """wait() reached its deadline before the task finished (the task itself goes on)."""

    def __init__(self, task_id: str, last_state: str | None, timeout: float | None = None) -> None:
        after = f" after {timeout:g} s" if timeout is not None else ""
        super().__init__(
            f"task {task_id} not finished{after} (last state: {last_state or 'never read'}); "
            "it may still complete: call tasks.wait() or tasks.get() again"
        )
        self.task_id = task_id
        self.last_state = last_state
        self.timeout = timeout


class UnexpectedTaskStateError(LiangXinError):
    """The service reported a task state this client does not know, so wait() cannot judge it."""

    def __init__(self, task_id: str, state: str) -> None:
        super().__init__(
            f"task {task_id} is in state {state!r}, which this client does not know; "
            "upgrade liangxin-client, or read it with tasks.get()"
        )
        self.task_id = task_id
        self.state = state


class ConfigurationError(LiangXinError, ValueError):
    """A client setting that cannot work: no API key or base URL, a URL httpx cannot parse, a
    non-ASCII header value, a negative `max_retries`. Raised at construction; nothing was sent.
    """


def find_ambiguous_submit(exc: BaseException | None) -> AmbiguousSubmitError | None:
    """The AmbiguousSubmitError in `exc` or its chain (`__cause__`/`__context__`), if any.

    A createTask interrupted in flight (Ctrl-C, `task.cancel()`, `asyncio.timeout`) propagates as
    the interruption itself — KeyboardInterrupt, CancelledError, or asyncio's TimeoutError — with
    an AmbiguousSubmitError saying what was sent in its chain; this finds it.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, AmbiguousSubmitError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


class ResultSaveError(LiangXinError, OSError):
    """A finished task's result could not be saved (`download_to` or `save()`): disk, permissions,
    or a file where the directory should be. `task_id` names the task; the OSError is the cause.

    `generate(download_to=DIR)` and `generate_many(download_to=DIR)` check DIR before they send
    anything: a directory that cannot be created or written is this error with `task_id` None
    (nothing was sent, nothing paid for).
    """

    def __init__(self, task_id: str | None, directory: str, reason: OSError) -> None:
        detail = f"{reason.strerror or reason}" + (
            f": {reason.filename}" if reason.filename else ""
        )
        if task_id is None:
            message = f"cannot save results to {directory}: {detail} (nothing was sent)"
        else:
            message = f"task {task_id}: cannot save results to {directory}: {detail}"
        super().__init__(reason.errno or 0, message)
        self.task_id = task_id
        self.directory = directory

    def __str__(self) -> str:
        return str(self.strerror)


class ResultIndexError(LiangXinError, IndexError):
    """`result.read(index)` or `iter_bytes(index)` of a result the task does not have.

    `count` is how many results the task has (`len(result.urls)`); indexes go from 0 to
    `count - 1`, or from `-count` to -1, as on a list. Raised before any request.
    """

    def __init__(self, task_id: str, index: int, count: int) -> None:
        if count == 0:
            has = "has no results"
        elif count == 1:
            has = "has 1 result (index 0 or -1)"
        else:
            has = f"has {count} results (index 0 to {count - 1}, or -{count} to -1)"
        super().__init__(f"task {task_id} {has}; there is no result {index}")
        self.task_id = task_id
        self.index = index
        self.count = count


class InvalidRequestError(LiangXinError, ValueError):
    """The request breaks the contract; raised before anything is sent. `field` names the culprit."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidNameError(InvalidRequestError):
    """A file-name template, or the name it makes for one request, is malformed or unsafe;
    raised before anything is sent or written."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    413: PayloadTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


class InvalidCallbackError(LiangXinError, ValueError):
    """A callback body that is not JSON or not the contract's `CallbackPayload`."""


class CallbackTooLargeError(InvalidCallbackError):
    """A callback body larger than `max_bytes`."""


class CallbackVerificationError(LiangXinError):
    """A callback that recordInfo does not confirm (forged, replayed or stale).

    `field` names the first mismatch (`taskId`, `model`, `state`, `resultUrls`); `callback` and
    `actual` are the two records (`actual` is None when the task does not exist).
    """

    def __init__(
        self, message: str, *, field: str, callback: TaskRecord, actual: TaskRecord | None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.callback = callback
        self.actual = actual


def status_error_class(code: int) -> type[APIStatusError]:
    """The one status → exception table (HTTP statuses and envelope codes alike)."""
    if code >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(code, APIStatusError)
