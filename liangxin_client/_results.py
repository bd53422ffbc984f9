"""What generate() returns: the finished record, its URLs, and its files on disk or in memory."""

from __future__ import annotations

import operator
import os
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, cast

import attrs

from liangxin_client import _display
from liangxin_client._download import CHUNK_SIZE
from liangxin_client._errors import ResultIndexError
from liangxin_client._image_metadata import DEFAULT_MODE, MetadataMode
from liangxin_client._records import TaskRecord

StrPath = str | os.PathLike[str]

PathsT = TypeVar("PathsT")
BytesT = TypeVar("BytesT")
ChunksT = TypeVar("ChunksT")


class ResultSource(Protocol):
    """What a result needs of its client (each call a value, or an awaitable of it)."""

    def save(
        self,
        record: TaskRecord,
        directory: StrPath,
        *,
        metadata: MetadataMode = ...,
        request: Mapping[str, Any] | None = ...,
        name: Any = ...,
        key: str | None = ...,
    ) -> Any: ...
    def _read_result(self, record: TaskRecord, index: int) -> Any: ...
    def _iter_result(self, record: TaskRecord, index: int, chunk_size: int) -> Any: ...


@attrs.frozen
class ResultMethods(Generic[PathsT, BytesT, ChunksT]):
    """A successful task. `paths` are the files saved by `download_to=` (empty otherwise);
    `request` the createTask body that made it.

    The results are there three ways: `save(dir)` writes files, `read(n)` returns result `n`'s
    bytes, `iter_bytes(n)` streams them in chunks (for forwarding without a temporary file).
    Result URLs expire about 24 h after completion. In Jupyter a result shows its images (the
    saved files, else the result URLs, which the browser fetches) and its fields.
    """

    record: TaskRecord
    paths: tuple[Path, ...] = ()
    _client: ResultSource = attrs.field(alias="client", repr=False, eq=False, kw_only=True)
    request: Mapping[str, Any] | None = attrs.field(default=None, kw_only=True, eq=False)

    @property
    def task_id(self) -> str:
        return self.record.task_id

    @property
    def urls(self) -> tuple[str, ...]:
        return self.record.result_urls

    def save(
        self,
        directory: StrPath,
        *,
        metadata: MetadataMode = DEFAULT_MODE,
        name: Any = None,
        key: str | None = None,
    ) -> PathsT:
        """Download every result into `directory` (created if needed); return the file paths.

        Each file carries its request as `metadata` says; `name` is a file-name template such
        as `"{key}/{n}.png"` (see the client's `save`)."""
        saved = self._client.save(
            self.record, directory, metadata=metadata, request=self.request, name=name, key=key
        )
        return cast(PathsT, saved)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the record's fields (`taskId` first), the saved `files`, the `request`."""
        return {
            **self.record.to_dict(),
            "files": [str(path) for path in self.paths],
            "request": _json_ready(self.request),
        }

    def _repr_html_(self) -> str:
        """Jupyter: the images (the saved files embedded, else the result URLs) and the fields."""
        rows = self.record._display_rows()
        rows += [("file", str(path)) for path in self.paths]
        return _display.images(self.paths, self.urls) + _display.table(rows)

    def _repr_png_(self) -> bytes | None:
        """Jupyter: the first saved PNG (None when no PNG was saved: nothing is downloaded)."""
        return _display.first_png(self.paths)

    def read(self, index: int = 0) -> BytesT:
        """Result `index`'s content (an image's bytes), retried like a download.

        `index` counts as on `urls` (negative from the end); one the task does not have raises
        `ResultIndexError` (an IndexError) saying how many there are, before any request.
        """
        return cast(BytesT, self._client._read_result(self.record, self._index(index)))

    def iter_bytes(self, index: int = 0, chunk_size: int = CHUNK_SIZE) -> ChunksT:
        """Result `index`'s content in chunks of at most `chunk_size` bytes (one request)."""
        index = self._index(index)
        return cast(ChunksT, self._client._iter_result(self.record, index, chunk_size))

    def _index(self, index: int) -> int:
        """`index`, once it names one of the results (checked here, at the call)."""
        index = operator.index(index)  # a TypeError for "1" or 1.0, as on a list
        count = len(self.record.result_urls)
        if not -count <= index < count:
            raise ResultIndexError(self.task_id, index, count)
        return index


def _json_ready(value: Any) -> Any:
    """A request body as plain JSON data (mappings as dicts)."""
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


@attrs.frozen
class GenerationResult(ResultMethods[list[Path], bytes, Iterator[bytes]]):
    __doc__ = ResultMethods.__doc__


@attrs.frozen
class AsyncGenerationResult(
    ResultMethods[Awaitable[list[Path]], Awaitable[bytes], AsyncIterator[bytes]]
):
    """The async client's GenerationResult: `await result.save(dir)`, `await result.read()`,
    `async for chunk in result.iter_bytes()`."""
