"""The one core both clients share: configuration, request building, error mapping, and every
request path — a call with its retries, createTask through the submit window, wait(), downloads,
generate() — written once as a *step generator*.

A step generator is sans-IO: it yields what it needs done (`Send` this request, `Stream` that
result, `Backoff` or `Pause` so long, a `WindowOp` on the submit window) and is sent the outcome
(or has the I/O's exception thrown into it). `LiangXin` drives the steps with httpx.Client and
time.sleep, `AsyncLiangXin` with httpx.AsyncClient and asyncio.sleep (`_client.py`); nothing
decided about a request or a response is written twice.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any, Generic, NamedTuple, Self, TypedDict, TypeVar, Unpack, cast
from urllib.parse import urlencode, urlsplit

import attrs
import httpx
import stamina

import liangxin_contract
from liangxin_client._connections import (
    SUBMIT_KEEPALIVE_EXPIRY,
    AsyncPools,
    Pools,
    environment_proxies,
    pool_limits,
)
from liangxin_client._download import PartFile, check_save_directory, file_name
from liangxin_client._errors import (
    AmbiguousSubmitError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    ConfigurationError,
    InternalServerError,
    InvalidRequestError,
    LiangXinError,
    RateLimitError,
    ResultSaveError,
)
from liangxin_client._image_metadata import (
    DEFAULT_MODE,
    MetadataMode,
    MetadataWriter,
    check_mode,
    image_metadata,
    scrubbed,
)
from liangxin_client._inputs import CreateRequest, ModelInput, request_summary
from liangxin_client._limits import DEFAULT_MAX_IN_FLIGHT, SubmitSlot, check_max_in_flight
from liangxin_client._logging import (
    configure_from_env,
    drop_secret,
    hide_url,
    log_request,
    log_response,
    scrub_secrets,
    use_secret,
)
from liangxin_client._many import DEFAULT_MANY_CONCURRENCY, ManyRequest, first_poll_delay
from liangxin_client._naming import (
    NamePlan,
    NameTemplate,
    as_key,
    as_template,
    name_values,
    real_suffix,
)
from liangxin_client._polling import DurationStats, PollSchedule, ServerClock, WaitLoop
from liangxin_client._records import Task, TaskRecord
from liangxin_client._redact import scrub_error
from liangxin_client._responses import (
    body_text,
    parse_create_response,
    parse_record_response,
    request_id,
)
from liangxin_client._results import StrPath
from liangxin_client._retry import (
    RetryPolicy,
    announce_retry,
    backoff_wait,
    plan_retry,
    unsendable,
    was_sent,
)
from liangxin_client._secrets import APIKey, Hidden
from liangxin_client._tasks import DEFAULT_WAIT_TIMEOUT, TRANSIENT, OnUpdate, task_id_of
from liangxin_client._version import user_agent

T = TypeVar("T")
HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)
ResultT = TypeVar("ResultT")  # what generate() gives: a result, or an awaitable of one
PathsT = TypeVar("PathsT")  # what save() gives
ManyT = TypeVar("ManyT")  # what generate_many() gives
TaskT = TypeVar("TaskT")  # what _queued_create() gives

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
#: The shortest per-request timeout a poll gets near wait()'s deadline (the last look at the task).
MIN_POLL_TIMEOUT = 0.5

#: The contract's operations this client calls (operationId); method and path come from the
#: contract through `liangxin_contract`, read once per process at the first client's construction.
CREATE_TASK = "createTask"
GET_TASK = "getTaskDetails"


# -- steps ----------------------------------------------------------------------------------------

_NO_ARGUMENTS: Mapping[str, Any] = MappingProxyType({})


class Send(NamedTuple):
    """Send `request` (redirects not followed) when a request slot is free; the answer: a response.

    `slot_timeout`: how long to queue for the slot (None: as long as it takes).
    """

    request: httpx.Request
    slot_timeout: float | None


class Stream(NamedTuple):
    """GET a result (redirects followed), streamed into `sink`; the answer: `sink.result`."""

    request: httpx.Request
    url: str
    sink: Sink


class Backoff(NamedTuple):
    """Sleep between the attempts of one call (real time: `time.sleep` / `asyncio.sleep`)."""

    seconds: float


class Pause(NamedTuple):
    """Sleep on the client's `_sleep` (wait() between polls, a rate-limited submit), or until
    `wake` (a threading.Event or an asyncio.Event) is set."""

    seconds: float
    wake: Any = None


class WindowOp(NamedTuple):
    """Call `method(**kwargs)` on the submit window (awaited on the async client)."""

    method: str
    kwargs: Mapping[str, Any] = _NO_ARGUMENTS


Step = Send | Stream | Backoff | Pause | WindowOp
Steps = Generator[Step, Any, T]
Body = Mapping[str, Any]
Seconds = float | None
Stop = Callable[[], bool] | None


class Running(Generic[T]):
    """A step generator being driven: `step` is what to do next while `going`; then `value`.

    `answer(result)` / `fail(exc)` hand the outcome of `step` back (an exception is thrown into
    the generator, which decides). While it runs, the client's key is scrubbed from what is
    logged or raised (`use_secret`).
    """

    def __init__(self, steps: Steps[T], secret: APIKey) -> None:
        self._steps = steps
        self._secret = secret
        self.going = True
        self.step: Any = None
        self.value: Any = None

    def __enter__(self) -> Self:
        self._token = use_secret(Hidden(self._secret))
        self.answer(None)
        return self

    def __exit__(self, *exc_info: object) -> None:
        drop_secret(self._token)

    def answer(self, result: Any) -> None:
        try:
            self.step = self._steps.send(result)
        except StopIteration as done:
            self.going, self.value = False, done.value

    def fail(self, exc: BaseException) -> None:
        try:
            self.step = self._steps.throw(exc)
        except StopIteration as done:
            self.going, self.value = False, done.value


class Edge:
    """A block whose errors leave the client: a LiangXinError gets the key scrubbed from it and
    names `task_id` (unless it names one already).

    With `note`, any other exception after the task was created (Ctrl-C, asyncio cancellation,
    an error raised by the caller's `on_update`) gets a note naming the task, and still
    propagates as what it is.
    """

    __slots__ = ("note", "secret", "task_id")

    def __init__(self, secret: APIKey, task_id: str | None, note: bool) -> None:
        self.secret, self.task_id, self.note = secret, task_id, note

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _: Any) -> None:
        if exc is None:
            return
        task_id = self.task_id
        if isinstance(exc, LiangXinError):
            scrub_error(exc, self.secret)
            if task_id and exc.task_id is None:
                exc.task_id = task_id
        elif self.note and task_id and not isinstance(exc, GeneratorExit):
            exc.add_note(f"liangxin: task {task_id} was created and goes on")


class Sink:
    """Where a streamed result goes; `receiving(response)` gives the function each chunk goes to."""

    result: Any = None

    def receiving(self, response: httpx.Response) -> AbstractContextManager[Callable[[bytes], Any]]:
        raise NotImplementedError


class FileSink(Sink):
    """A result saved as `<directory>/<task_id>_<index><ext>`, written whole or not at all, with
    `meta` (what made it) as `mode` says (see `_image_metadata.py`)."""

    def __init__(
        self,
        directory: Path,
        task_id: str,
        index: int,
        url: str,
        mode: MetadataMode = "none",
        meta: Mapping[str, Any] = _NO_ARGUMENTS,
        plan: NamePlan | None = None,
    ) -> None:
        self.directory, self.task_id, self.index, self.url = directory, task_id, index, url
        self.mode, self.meta = mode, meta
        self.plan = plan  # a name template's (`name=`): `<directory>/<its name>`

    @contextmanager
    def receiving(self, response: httpx.Response) -> Iterator[Callable[[bytes], Any]]:
        content_type = response.headers.get("content-type")
        if self.plan is None:
            name = file_name(self.task_id, self.index, self.url, content_type)
        else:
            suffix = real_suffix(PurePosixPath(urlsplit(self.url).path).suffix, content_type)
            name = self.plan.name(self.task_id, self.index + 1, suffix)
        directory = (self.directory / name).parent
        directory.mkdir(parents=True, exist_ok=True)
        with PartFile(directory, PurePosixPath(name).name) as part:
            writer = MetadataWriter(part.write, self.mode, self.meta)
            yield writer.write
            writer.finish()
            self.result = part.commit()
        writer.after_commit(self.result)


class MemorySink(Sink):
    """A result read into memory."""

    @contextmanager
    def receiving(self, response: httpx.Response) -> Iterator[Callable[[bytes], Any]]:
        chunks: list[bytes] = []
        yield chunks.append
        self.result = b"".join(chunks)


_HOW_TO_CHECK = (
    "It was NOT resent, to avoid paying twice. Before retrying, check whether the task exists: "
    "look at the recent tasks in your LiangXin console, wait for your callBackUrl if you set one, "
    "or, against liangxin-mock, read GET /__mock__/stats."
)


class ClientOptions(TypedDict, total=False):
    """What `with_options()` may change."""

    api_key: str | None
    base_url: str | None
    timeout: float | httpx.Timeout
    max_retries: int
    default_headers: Mapping[str, str] | None
    strict: bool


def _resolve(value: str | None, env: str, what: str, hint: str) -> str:
    resolved = value if value is not None else os.environ.get(env)
    if not resolved:
        raise ConfigurationError(f"no {what}: pass {hint} or set the {env} environment variable")
    return resolved


def _check_base_url(url: str) -> str:
    """`url` without a trailing slash if a request can be built on it; else a LiangXinError.

    Refused here, at construction, so a typo never surfaces as an httpx or urllib exception.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"base URL must be a string, got {type(url).__name__}")
    url = url.rstrip("/")
    try:
        parsed = httpx.URL(url)
        port = parsed.port
        urlsplit(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ConfigurationError(f"invalid base URL {url!r}: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise ConfigurationError(f"base URL must start with http:// or https://, got {url!r}")
    if not parsed.host:
        raise ConfigurationError(f"base URL {url!r} has no host")
    # The API's paths go after base_url: a query or fragment would swallow them.
    if "?" in url or "#" in url:
        raise ConfigurationError(
            f"base URL {url!r} has a query or fragment; give only scheme, host, port and path"
        )
    if port is not None and not 0 < port < 65536:
        raise ConfigurationError(f"invalid base URL {url!r}: port {port} is out of range")
    return url


def _check_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """`default_headers` as a dict, if httpx can encode them (ASCII names and values)."""
    result = dict(headers or {})
    for name, value in result.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ConfigurationError(
                f"default_headers: names and values must be strings, got {name!r}: "
                f"{type(value).__name__}"
            )
    try:
        httpx.Headers(result)
    except (UnicodeEncodeError, TypeError, ValueError) as exc:
        raise ConfigurationError(
            f"default_headers: {exc} (header names and values must be ASCII; "
            "percent-encode or base64 other text)"
        ) from None
    return result


def _check_api_key(key: APIKey) -> APIKey:
    """The key if it can go in a header as is; never quotes it in the error."""
    if not key.printable():
        raise ConfigurationError(
            "the API key contains whitespace, control or non-ASCII characters "
            "(check for a trailing newline or space, e.g. from a file or a copy-paste)"
        )
    return key


def _api_key(value: object) -> APIKey | None:
    """`value` (a str, or an APIKey from `with_options`) held as an APIKey; never raises, so
    no traceback frame holds the key as a plain string."""
    if isinstance(value, APIKey):
        return value
    return APIKey(value) if isinstance(value, str) and value else None


class BaseClient(Generic[HttpT, ResultT, PathsT, ManyT, TaskT]):
    """Configuration, the pure request/response logic, the step generators and the public surface
    both clients share; a subclass supplies the I/O (`_io`, `_drive`, `_many_run`)."""

    _http: HttpT
    _sleep: Callable[[float], Any]
    _window: Any  # SubmitWindow or AsyncSubmitWindow: the createTask window
    _slots: Any  # a semaphore bounding the requests in flight
    #: The class generate() returns (GenerationResult / AsyncGenerationResult).
    _result_class: Callable[..., Any]
    #: The I/O: the httpx client class, sleep, the semaphore, the submit window and tasks classes.
    _io: tuple[Any, ...]
    tasks: Any  # Tasks or AsyncTasks

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: HttpT | None = None,
        strict: bool = False,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        # The key is held as an APIKey from here on: no frame of a later error has it as a str.
        key = _api_key(api_key if api_key is not None else os.environ.get("LIANGXIN_API_KEY"))
        del api_key
        configure_from_env()
        #: Treat guesses (inferred rules, unknown models and fields) as errors, not warnings.
        self.strict = strict
        self.max_in_flight = check_max_in_flight(max_in_flight)
        if key is None:
            raise ConfigurationError(
                "no API key: pass api_key=... or set the LIANGXIN_API_KEY environment variable"
            )
        self._api_key = _check_api_key(key)
        self.base_url = _check_base_url(
            _resolve(
                base_url,
                "LIANGXIN_BASE_URL",
                "base URL",
                "base_url=... (the host from your LiangXin console; http://127.0.0.1:8000 for "
                "liangxin-mock)",
            )
        )
        self.timeout = timeout
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigurationError(f"max_retries must be an int >= 0, got {max_retries!r}")
        self.max_retries = max_retries
        self.retry_policy = RetryPolicy(max_retries=max_retries)
        self._origin = urlsplit(self.base_url)[:2]
        self._headers = {
            "Authorization": self._api_key.authorization(),
            "User-Agent": user_agent(),
            "Accept": "application/json",
        }
        self.default_headers = _check_headers(default_headers)
        replaced = {name.lower() for name in self.default_headers}  # whatever their case
        self._headers = {
            name: value for name, value in self._headers.items() if name.lower() not in replaced
        } | self.default_headers
        self._clock: Callable[[], float] = time.monotonic
        self._wall: Callable[[], float] = time.time
        self.durations = DurationStats()
        self._server_clock = ServerClock()
        self._create_op = liangxin_contract.operation(CREATE_TASK)
        self._record_op = liangxin_contract.operation(GET_TASK)
        self._owns_http = http_client is None
        http_class, self._sleep, semaphore, window_class, tasks_class = self._io
        if http_client is None:
            http_client = self._own_pool(http_class)
        self._http = http_client
        #: API requests are built by `_direct_request` (only on a pool made here: see `_build`).
        self._direct = self._owns_http
        self._api_headers = httpx.Headers(http_client.headers)
        self._api_headers.update(self._headers)
        self._slots = semaphore(self.max_in_flight)
        self._window = window_class()
        self.tasks = tasks_class(self)

    @property
    def timeout(self) -> httpx.Timeout:
        """The per-request timeout; set a number (seconds, every phase) or an `httpx.Timeout`."""
        return self._timeout

    @timeout.setter
    def timeout(self, value: float | httpx.Timeout) -> None:
        self._timeout = value if isinstance(value, httpx.Timeout) else httpx.Timeout(value)

    # -- what a subclass supplies --------------------------------------------------------------

    def _drive(self, steps: Steps[T]) -> Any:
        """Run `steps`: their value (sync), or an awaitable of it (async)."""
        raise NotImplementedError

    def _many_run(
        self,
        requests: Iterable[ManyRequest] | Mapping[str, ManyRequest],
        validate: bool,
        strict: bool,
        **options: Any,
    ) -> ManyT:
        raise NotImplementedError

    # -- the public surface, written once -----------------------------------------------------

    def generate(
        self,
        model: str | None = None,
        prompt: str | None = None,
        *,
        validate: bool = True,
        input: ModelInput | None = None,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        download_to: StrPath | None = None,
        on_update: OnUpdate | None = None,
        callback_url: str | None = None,
        extra_input: Mapping[str, Any] | None = None,
        strict: bool | None = None,
        metadata: MetadataMode = DEFAULT_MODE,
        name: str | NameTemplate | None = None,
        **fields: Any,
    ) -> ResultT:
        """Create a task, wait for it (`timeout` seconds), and optionally save the results.

        Input arguments are those of `tasks.create`; `download_to` saves the files at once
        (result URLs expire about 24 h after completion), each with the request written into it
        as `metadata` says, named by the template `name` (see `save`; checked before the task
        is created). Awaited on the async client.
        """
        check_mode(metadata)
        request = CreateRequest(
            model, prompt, input, fields, callback_url, extra_input, validate, strict
        )
        template = as_template(name)
        steps = self._generate_steps(request, timeout, on_update, download_to, metadata, template)
        return cast(ResultT, self._drive(steps))

    def generate_many(
        self,
        requests: Iterable[ManyRequest] | Mapping[str, ManyRequest],
        *,
        concurrency: int = DEFAULT_MANY_CONCURRENCY,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        download_to: StrPath | None = None,
        validate: bool = True,
        strict: bool | None = None,
        metadata: MetadataMode = DEFAULT_MODE,
        name: str | NameTemplate | None = None,
    ) -> ManyT:
        """Generate many images; iterate the result (`async for` on the async client) for one
        `GenerateOutcome` per request.

        `requests` (read lazily) are typed inputs or mappings (`{"model", "prompt", fields...}`
        or a createTask body). Up to `concurrency` tasks are in flight (worker threads on the
        sync client), fewer when the service answers 429. Outcomes come as tasks
        finish, each with its `index`; one failure never stops the rest; a 403 on a createTask
        stops new submissions (the rest are `not_submitted`) while the tasks already accepted
        finish. `timeout` is each task's wait; `download_to` saves each result as it finishes,
        with its request written into each file as `metadata` says (see `save`).

        Keys: `requests` may be a mapping `{key: request}`, or a mapping request may carry a
        `"key"` (not sent); each outcome's `key` says which. `name` is a file-name template (as
        for `save`, plus `{key}` and `{row}`, the 1-based position): a request whose name is
        unsafe, incomplete, or the same as an earlier request's (ignoring case and extension) is
        an `error` outcome and never sent, like a duplicate key.
        """
        check_mode(metadata)
        strict = self.strict if strict is None else strict
        template = as_template(name)
        if template is not None and download_to is None:
            raise ValueError("name= names the files download_to= saves: give download_to too")
        if download_to is not None:
            check_save_directory(download_to)  # before any task is paid for
        return self._many_run(
            requests,
            validate,
            strict,
            concurrency=concurrency,
            timeout=timeout,
            download_to=download_to,
            metadata=metadata,
            name=template,
        )

    def save(
        self,
        record: TaskRecord,
        directory: StrPath,
        *,
        metadata: MetadataMode = DEFAULT_MODE,
        request: Mapping[str, Any] | None = None,
        name: str | NameTemplate | None = None,
        key: str | None = None,
    ) -> PathsT:
        """Download every result of a finished task into `directory`; return the file paths.

        Each file carries what made it (`read_image_metadata` reads it back): `metadata="png"`
        writes it into a PNG's text chunks (the image data byte for byte as downloaded) and into
        a `FILE.json` sidecar for other formats; `"sidecar"` always a sidecar; `"none"` leaves
        each file exactly as downloaded. `request` is the createTask body that made the task
        (default: the record's own copy, `param`).

        Without `name`, result n is `<taskId>_<n><ext>` (n from 0). `name` is a template of a
        relative path: `{task_id}`, `{n}` (1-based), `{model}`, `{prompt}` (a slug), `{key}`
        (given here), any input field of the request, format specs as in `str.format`; e.g.
        `"{model}/{key}-{n}.png"`. It is checked before anything is downloaded
        (`InvalidNameError`: unknown placeholders, `..`, absolute paths, reserved characters or
        names); the extension follows the content (`NameSuffixWarning` when it differs from the
        template's); an existing file of that name is replaced.

        A file that cannot be written raises `ResultSaveError` (an OSError) naming the task.
        Awaited on the async client.
        """
        check_mode(metadata)
        plan = self._record_plan(record, request, as_template(name), key)
        steps = self._save_steps(record, directory, request, metadata, plan)
        return cast(PathsT, self._drive(steps))

    def _save_planned(
        self,
        record: TaskRecord,
        directory: StrPath,
        request: Mapping[str, Any] | None,
        metadata: MetadataMode,
        plan: NamePlan | None,
    ) -> Any:
        """`save` with the name already planned (`generate_many`)."""
        return self._drive(self._save_steps(record, directory, request, metadata, plan))

    @staticmethod
    def _record_plan(
        record: TaskRecord,
        request: Mapping[str, Any] | None,
        template: NameTemplate | None,
        key: str | None,
    ) -> NamePlan | None:
        if template is None:
            return None
        body = dict(request or record.param or {})
        body.setdefault("model", record.model)
        return template.plan(name_values(body, as_key(key), None))

    def with_options(self, **changes: Unpack[ClientOptions]) -> Self:
        """A copy with some settings changed (`api_key`, `base_url`, `timeout`, `max_retries`,
        `default_headers`, `strict`), sharing the pool, its limits and `durations`."""
        if "api_key" in changes:  # held as an APIKey before anything can fail
            changes["api_key"] = _api_key(changes["api_key"])  # type: ignore[typeddict-item]
        unknown = set(changes) - set(ClientOptions.__annotations__)
        if unknown:
            raise TypeError(f"with_options() got unexpected keyword arguments: {sorted(unknown)}")
        copy = type(self)(**self._options(**changes), http_client=self._http)
        copy.max_in_flight = self.max_in_flight
        copy.durations = self.durations
        if copy.base_url == self.base_url:  # another server keeps a clock of its own
            copy._server_clock = self._server_clock
        copy._slots, copy._window = self._slots, self._window
        copy._direct = self._direct  # the same pool, made here or not
        return copy

    def __repr__(self) -> str:
        # getattr: a reporter may show a client whose construction failed half-way
        return (
            f"{type(self).__name__}(base_url={getattr(self, 'base_url', None)!r}, "
            f"max_retries={getattr(self, 'max_retries', None)}, "
            f"max_in_flight={getattr(self, 'max_in_flight', None)})"
        )

    def _options(self, **changes: Any) -> dict[str, Any]:
        """Current settings overlaid with the given changes, for with_options()."""
        options: dict[str, Any] = {
            "api_key": self._api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "default_headers": self.default_headers,
            "strict": self.strict,
        }
        options.update(changes)
        return options

    def _own_pool(self, http_class: type[HttpT]) -> HttpT:
        """The httpx client this client makes: one connection per request in flight, kept alive
        below servers' keep-alive, createTask on a pool of its own (see `_connections.py`)."""
        if environment_proxies():  # honoured by httpx only on its own transport: one pool
            limits = pool_limits(self.max_in_flight, SUBMIT_KEEPALIVE_EXPIRY)
            return http_class(timeout=self.timeout, limits=limits)
        pools = AsyncPools if issubclass(http_class, httpx.AsyncClient) else Pools
        return http_class(timeout=self.timeout, transport=pools(self.max_in_flight))

    # -- what Tasks / AsyncTasks call (the TaskPort protocol of _tasks.py) -----------------------

    def _create_task(self, request: CreateRequest) -> Any:
        return self._drive(self._create_steps(request))

    def _get_task(self, task: str | Task) -> Any:
        return self._drive(self._poll(task, None))

    def _wait_task(self, *wait: Any) -> Any:
        return self._drive(self._wait_steps(*wait))

    def _queued_create(
        self, body: Body, slot: SubmitSlot, timeout: float | None, *, stopped: Stop = None
    ) -> TaskT:
        """createTask from a held slot (for `_many.py`); see `_queued_steps`."""
        return cast(TaskT, self._drive(self._queued_steps(body, slot, timeout, stopped)))

    def _read_result(self, record: TaskRecord, index: int) -> Any:
        """Result `index` of a finished task, in memory (retried like a download)."""
        return self._drive(self._read_steps(record, index))

    # -- requests ---------------------------------------------------------------------------

    def _build(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Request:
        """A request to a path under base_url, or to an absolute URL (a result file).

        Credentials go only to base_url's origin, never to a third-party result host.
        `timeout` overrides the client's (see `_request_timeout`). An API call on a pool this
        client made is built here directly (see `_direct_request`); anything else by the httpx
        client's `build_request`, which merges its own headers, cookies and parameters.
        """
        timeout = self.timeout if timeout is None else timeout
        api = "://" not in url
        absolute = self.base_url + url if api else url
        # No local here holds the credentials (a traceback's frames are what error reporters
        # record), and the encoding error is raised outside the `except`, without httpx's
        # frames (whose locals do hold the headers) as its context.
        try:
            if api and self._direct and not self._http.cookies:
                try:
                    return self._direct_request(method, absolute, json, params, timeout)
                except httpx.InvalidURL:  # URL too long once the query is on: httpx's own
                    pass  # build_request checks the length before it adds the query (and sends)
            return self._http.build_request(
                method,
                absolute,
                json=json,
                params=params,
                headers=self._headers if api else self._file_headers(url),
                timeout=timeout,
            )
        except (TypeError, ValueError) as exc:  # NaN, infinity, or an object JSON cannot hold
            problem = scrub_secrets(str(exc))
        raise InvalidRequestError(
            f"the request cannot be encoded as JSON ({problem}); nothing was sent"
        )

    def _file_headers(self, url: str) -> dict[str, str]:
        """The headers of a result file's GET: credentials only to base_url's origin."""
        headers = {**self._headers, "Accept": "*/*"}
        if urlsplit(url)[:2] != self._origin:
            return {k: v for k, v in headers.items() if k.lower() != "authorization"}
        return headers

    def _direct_request(
        self,
        method: str,
        url: str,
        json: Any,
        params: Mapping[str, str] | None,
        timeout: httpx.Timeout,
    ) -> httpx.Request:
        """What `build_request` of the pool this client made would build, at half the cost.

        That pool has no base URL, parameters or cookies of its own (a cookie the service sets
        sends the next requests through `build_request`), and its headers merged with the
        client's are `_api_headers`, worked out once; the URL is parsed once, query included,
        where `build_request` parses it twice and merges headers on every call.
        """
        if params:
            url = f"{url}?{urlencode(params)}"  # as httpx.QueryParams encodes them
        return httpx.Request(
            method,
            httpx.URL(url),
            json=json,
            headers=self._api_headers,
            extensions={"timeout": timeout.as_dict()},
        )

    def _request_timeout(self, deadline: float | None) -> httpx.Timeout:
        """The client's timeout, each phase cut to the time left before `deadline` (on _clock).

        Near the deadline a request still gets `MIN_POLL_TIMEOUT`, for one last look.
        """
        if deadline is None:
            return self.timeout
        left = max(MIN_POLL_TIMEOUT, deadline - self._clock())

        def cap(value: float | None) -> float:
            return left if value is None else min(value, left)

        t = self.timeout
        return httpx.Timeout(
            connect=cap(t.connect), read=cap(t.read), write=cap(t.write), pool=cap(t.pool)
        )

    def _slot_timeout(self, deadline: float | None) -> float | None:
        """How long a request may queue for a free slot: as long as it takes, or until `deadline`."""
        return None if deadline is None else max(MIN_POLL_TIMEOUT, deadline - self._clock())

    def _no_slot(self) -> APITimeoutError:
        return APITimeoutError(
            f"no free connection before the deadline ({self.max_in_flight} requests in flight, "
            "max_in_flight); nothing was sent"
        )

    # -- the step generators ------------------------------------------------------------------

    def _retried(
        self,
        attempt: Callable[[], Steps[T]],
        *,
        submit: bool,
        deadline: float | None = None,
        queued: bool = False,
    ) -> Steps[T]:
        """`attempt()` until it succeeds or `plan_retry` gives up; the one retry loop.

        `queued`: a 429 is the submit window's to handle (`_queued_steps`), not retried here."""
        entered: list[AbstractContextManager[Any]] = []
        waited = 0.0
        try:
            for number in itertools.count(1):
                try:
                    return (yield from attempt())
                except APIError as exc:
                    if queued and isinstance(exc, RateLimitError):
                        raise
                    wait = self._retry_wait(number, exc, submit, deadline)
                    if wait is None:
                        raise
                    entered += announce_retry(number, wait, waited, exc)
                waited += wait
                yield Backoff(wait)  # outside the except: the next error does not chain this one
        finally:
            for hook in reversed(entered):
                hook.__exit__(None, None, None)
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_wait(
        self, attempt: int, exc: APIError, submit: bool, deadline: float | None
    ) -> float | None:
        """`plan_retry`'s verdict for this client: its policy, deadline and stamina's switches."""
        policy = self.retry_policy
        if not stamina.is_active():
            policy = attrs.evolve(policy, max_retries=0)
        verdict = plan_retry(
            attempt,
            exc,
            submit=submit,
            time_left=None if deadline is None else deadline - self._clock(),
            policy=policy,
            waits=not stamina.is_testing(),
        )
        return verdict.wait

    def _exchange(
        self,
        method: str,
        path: str,
        parse: Callable[[httpx.Response], T],
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        submit_body: Mapping[str, Any] | None = None,
        deadline: float | None = None,
    ) -> Steps[T]:
        """One attempt of an API call: build, send, parse (for createTask: billing-safe errors)."""
        request = self._build(
            method, path, json=json, params=params, timeout=self._request_timeout(deadline)
        )
        log_request(request)
        try:
            response = yield Send(request, self._slot_timeout(deadline))
            return self._handle(response, parse, submit_body)
        except httpx.RequestError as exc:
            raise self._transport_error(exc, submit_body) from exc
        except (KeyboardInterrupt, asyncio.CancelledError) as exc:
            raise self._interrupted_submit(exc, submit_body)  # noqa: B904 (the same exc)

    def _create_once(self, body: Mapping[str, Any], *, queued: bool = False) -> Steps[Task]:
        """One createTask with its (billing-safe) retries (`queued`: none on a 429)."""
        method, path = self._create_op

        def attempt() -> Steps[Task]:
            return self._exchange(method, path, parse, json=body, submit_body=body)

        def parse(response: httpx.Response) -> Task:
            return parse_create_response(response, body["model"])

        hide_url(body.get("callBackUrl"))  # kept out of this call's errors and log lines
        with self._edge():
            return (yield from self._retried(attempt, submit=True, queued=queued))

    def _poll(self, task: str | Task, deadline: float | None) -> Steps[TaskRecord]:
        """One recordInfo with its retries, bounded by `deadline`; its duration is learned."""
        task_id = task_id_of(task)
        method, path = self._record_op
        params = {"taskId": task_id}

        def attempt() -> Steps[TaskRecord]:
            return self._exchange(method, path, parse, params=params, deadline=deadline)

        def parse(response: httpx.Response) -> TaskRecord:
            return parse_record_response(response, task_id)

        with self._edge(task_id):
            record = yield from self._retried(attempt, submit=False, deadline=deadline)
        self.durations.observe(record)
        return record

    def _take_slot(self) -> Steps[SubmitSlot]:
        """A place in the submit window."""
        slot = SubmitSlot()
        yield WindowOp("acquire")
        slot.held = True
        return slot

    def _give_back(self, slot: SubmitSlot) -> Steps[None]:
        if slot.held:
            slot.held = False
            yield WindowOp("release", {"accepted": slot.accepted})

    def _create_steps(self, request: CreateRequest) -> Steps[Task]:
        """`tasks.create`: one createTask (with its retries) through the submit window."""
        body = request.body(self.strict)
        slot = yield from self._take_slot()
        try:
            task = yield from self._create_once(body)
            yield WindowOp("accepted")
            slot.accepted = True
            return task
        finally:
            yield from self._give_back(slot)

    def _queued_steps(
        self, body: Body, slot: SubmitSlot, timeout: Seconds, stopped: Stop
    ) -> Steps[Task]:
        """createTask from a held slot; a 429 (no task made) gives the slot back and queues again.

        Rate-limited attempts go on for `timeout` seconds (None: until accepted), or until
        `stopped()` says to submit nothing new.
        """
        started = self._clock()
        for attempt in itertools.count(1):
            try:
                task = yield from self._create_once(body, queued=True)
            except RateLimitError as exc:
                wait = self._rate_limit_wait(exc, attempt)
                if timeout is not None and self._clock() + wait - started >= timeout:
                    raise
                if stopped is not None and stopped():  # the caller submits nothing new
                    raise
                yield from self._give_back(slot)
                yield Pause(wait)
                yield WindowOp("acquire")
                slot.held = True
                continue
            yield WindowOp("accepted")
            slot.accepted = True
            return task
        raise AssertionError("unreachable")  # pragma: no cover

    def _rate_limit_wait(self, exc: RateLimitError, attempt: int) -> float:
        """How long a rate-limited submit waits before it queues again (Retry-After, or backoff)."""
        if exc.retry_after is not None:
            return min(exc.retry_after, self.retry_policy.retry_after_cap)
        return 0.0 if stamina.is_testing() else backoff_wait(self.retry_policy, attempt)

    def _wait_steps(
        self,
        task: str | Task,
        timeout: float | None,
        on_update: OnUpdate | None,
        wake: Any,
        schedule: PollSchedule | None,
    ) -> Steps[TaskRecord]:
        """wait(): poll on `WaitLoop`'s schedule until the task succeeds (see `Tasks.wait`)."""
        task_id = task_id_of(task)
        with self._edge(task_id):
            loop = WaitLoop(
                task_id,
                timeout=timeout,
                clock=self._clock,
                schedule=schedule or self.tasks.schedule,
                on_update=on_update,
                wall=self._wall,
                durations=self.durations,
                server_clock=self._server_clock,
            )
            while True:
                error: Exception | None = None
                loop.sending()
                try:
                    record = yield from self._poll(task_id, loop.deadline)
                except TRANSIENT as exc:
                    loop.failed_poll()
                    error = exc
                else:
                    if loop.observe(record):
                        return record
                yield Pause(loop.next_delay(error), wake)

    def _generate_steps(
        self,
        request: CreateRequest,
        timeout: float | None,
        on_update: OnUpdate | None,
        download_to: StrPath | None,
        metadata: MetadataMode = DEFAULT_MODE,
        template: NameTemplate | None = None,
    ) -> Steps[Any]:
        body = request.body(self.strict)
        plan = None
        if template is not None:
            if download_to is None:
                raise ValueError("name= names the files download_to= saves: give download_to too")
            plan = template.plan(name_values(body, None, None))  # checked before paying
        if download_to is not None:
            check_save_directory(download_to)  # before the task is paid for, not after
        slot = yield from self._take_slot()
        try:
            task = yield from self._queued_steps(body, slot, timeout, None)
            with self._edge(task.task_id, note=True):  # every error from here on names the task
                # Without on_update nobody needs the states in between: poll once it may be done.
                lead = (
                    0.0 if on_update else first_poll_delay(self.durations, body["model"], timeout)
                )
                if lead:
                    yield Pause(lead)
                left = None if timeout is None else timeout - lead
                record = yield from self._wait_steps(task, left, on_update, None, None)
        finally:
            yield from self._give_back(slot)
        paths: list[Path] = []
        if download_to is not None:
            with self._edge(task.task_id, note=True):
                paths = yield from self._save_steps(record, download_to, body, metadata, plan)
        return self._result_class(record, tuple(paths), client=self, request=body)

    def _save_steps(
        self,
        record: TaskRecord,
        directory: StrPath,
        request: Mapping[str, Any] | None = None,
        metadata: MetadataMode = DEFAULT_MODE,
        plan: NamePlan | None = None,
    ) -> Steps[list[Path]]:
        with self._edge(record.task_id):
            try:
                target = Path(directory)
                target.mkdir(parents=True, exist_ok=True)
                paths: list[Path] = []
                count = len(record.result_urls)
                for index, url in enumerate(record.result_urls):
                    meta = image_metadata(record, request, index, count)
                    hide_url((request or record.param or {}).get("callBackUrl"))
                    meta = scrubbed(meta, scrub_secrets)  # no key, no callBackUrl, whatever said
                    sink = FileSink(target, record.task_id, index, url, metadata, meta, plan)
                    paths.append((yield from self._fetch(url, sink)))
                return paths
            except OSError as exc:
                raise ResultSaveError(record.task_id, str(directory), exc) from exc

    def _read_steps(self, record: TaskRecord, index: int) -> Steps[bytes]:
        url = record.result_urls[index]
        with self._edge(record.task_id):
            content: bytes = yield from self._fetch(url, MemorySink())
        return content

    def _fetch(self, url: str, sink: Sink) -> Steps[Any]:
        """One result URL into `sink`, retried like a read."""

        def attempt() -> Steps[Any]:
            request = self._build("GET", url)
            log_request(request)
            return (yield Stream(request, url, sink))

        return (yield from self._retried(attempt, submit=False))

    def _result_request(self, record: TaskRecord, index: int) -> tuple[httpx.Request, str]:
        """The GET of result `index` (logged), and its URL."""
        url = record.result_urls[index]
        request = self._build("GET", url)
        log_request(request)
        return request, url

    def _download_failed(self, response: httpx.Response) -> bool:
        """Log a streamed result's answer; True when it is an error (read it, then raise)."""
        log_response(response, streamed=True)
        return response.status_code >= 400

    # -- errors -----------------------------------------------------------------------------

    def _edge(self, task_id: str | None = None, *, note: bool = False) -> Edge:
        """Where an error leaves the client: scrub the API key from it and name its task (see
        `Edge`)."""
        return Edge(self._api_key, task_id, note)

    def _interrupted_submit(
        self, exc: BaseException, submit_body: Mapping[str, Any] | None
    ) -> BaseException:
        """A createTask interrupted in flight: `exc` itself, its cause the AmbiguousSubmitError.

        The interruption (KeyboardInterrupt, asyncio.CancelledError) keeps propagating as what it
        is, so asyncio's timeouts, task groups and cancellation work as usual; what was sent is
        reachable with `find_ambiguous_submit(exc)` (and shows in the traceback).
        """
        if submit_body is not None:
            summary = request_summary(submit_body)
            ambiguous = AmbiguousSubmitError(
                f"createTask was interrupted ({type(exc).__name__}) while its request was in "
                f"flight, so the task may have been created. {_HOW_TO_CHECK} Request: {summary}",
                summary,
            )
            exc.__cause__ = ambiguous
            exc.add_note(str(ambiguous))
        return exc

    def _transport_error(
        self, exc: httpx.RequestError, submit_body: Mapping[str, Any] | None
    ) -> APIError:
        """The APIError for an exchange that produced no usable response.

        The transport's text is scrubbed: h11 quotes the header it refuses.
        """
        try:
            request: httpx.Request | None = exc.request
        except RuntimeError:
            request = None
        detail = f"{type(exc).__name__}: {scrub_secrets(str(exc))}"
        if unsendable(exc):
            created = "; no task was created" if submit_body is not None else ""
            return APIConnectionError(
                f"the request could not be sent ({detail}); nothing was sent{created}, and it "
                "was not retried (it would fail the same way: check base_url and default_headers)",
                request=request,
            )
        if submit_body is not None and was_sent(exc):
            return AmbiguousSubmitError(
                f"createTask got no complete answer ({type(exc).__name__}) after the request was "
                f"sent, so the task may have been created. {_HOW_TO_CHECK} "
                f"Request: {request_summary(submit_body)}",
                request_summary(submit_body),
                request=request,
            )
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"request timed out ({type(exc).__name__})", request=request)
        return APIConnectionError(f"connection error ({detail})", request=request)

    def _submit_error(self, exc: APIError, submit_body: Mapping[str, Any]) -> APIError:
        """createTask's answer was an error: is it definite, or might a task exist anyway?

        Definite: any 4xx, and a 5xx carried in the task layer's own envelope. Ambiguous: a 5xx
        without it (a gateway or proxy page) and a 2xx whose body cannot be read.
        """
        if isinstance(exc, APIStatusError):
            if not (isinstance(exc, InternalServerError) and exc.layer != "task"):
                return exc
            reason = f"HTTP {exc.status_code} without the task layer's error envelope"
        else:
            reason = f"an unreadable success response ({exc.message})"
        return AmbiguousSubmitError(
            f"createTask got {reason}, so the task may have been created. {_HOW_TO_CHECK} "
            f"Request: {request_summary(submit_body)}",
            request_summary(submit_body),
            status_code=exc.status_code,
            request_id=exc.request_id,
            body=exc.body,
            request=exc.request,
        )

    def _handle(
        self,
        response: httpx.Response,
        parse: Callable[[httpx.Response], T],
        submit_body: Mapping[str, Any] | None,
    ) -> T:
        """Log the response and parse it; for createTask, turn doubtful errors into ambiguity."""
        log_response(response)
        if 300 <= response.status_code < 400:
            raise self._redirect_error(response)
        try:
            return parse(response)
        except APIError as exc:
            if submit_body is None:
                raise
            if isinstance(exc, RateLimitError):
                self._window.rate_limited()
            error = self._submit_error(exc, submit_body)
            if error is exc:
                raise
            raise error from exc

    def _redirect_error(self, response: httpx.Response) -> APIStatusError:
        """A 3xx to an API call: definite (nothing was done), and names where base_url should go.

        Redirects are not followed: a POST would be replayed as a GET, or resent to another host.
        """
        location = response.headers.get("location")
        if not location:
            where = "without a Location header"
            hint = "check base_url"
        else:
            target = str(response.request.url.join(location).copy_with(query=None, fragment=None))
            sent = str(response.request.url.copy_with(query=None, fragment=None))
            path = sent[len(self.base_url) :] if sent.startswith(self.base_url) else ""
            where = f"to {location}"
            if path and target.endswith(path) and len(target) > len(path):
                hint = f"set base_url to {target[: -len(path)]}"
            else:
                hint = "set base_url to the service's final address"
        return APIStatusError(
            f"the service redirected (HTTP {response.status_code}) {where}; {hint} "
            "(redirects are not followed)",
            response=response,
            request_id=request_id(response),
            body=body_text(response),
        )
