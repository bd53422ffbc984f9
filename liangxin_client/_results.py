"""What generate() returns: the finished record, its URLs, and its files on disk or in memory."""

from __future__ import annotations

import operator
import os
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, cast

import attrs

from liangxin_client._download import CHUNK_SIZE
from liangxin_client._errors import ResultIndexError
from liangxin_client._records import TaskRecord

StrPath = str | os.PathLike[str]

PathsT = TypeVar("PathsT")
BytesT = TypeVar("BytesT")
ChunksT = TypeVar("ChunksT")


class ResultSource(Protocol):
    """What a result needs of its client (each call a value, or an awaitable of it)."""

    def save(self, record: TaskRecord, directory: StrPath) -> Any: ...
    def _read_result(self, record: TaskRecord, index: int) -> Any: ...
    def _iter_result(self, record: TaskRecord, index: int, chunk_size: int) -> Any: ...


@attrs.frozen
class ResultMethods(Generic[PathsT, BytesT, ChunksT]):
    """A successful task. `paths` are the files saved by `download_to=` (empty otherwise).

    The results are there three ways: `save(dir)` writes files, `read(n)` returns result `n`'s
    bytes, `iter_bytes(n)` streams them in chunks (for forwarding without a temporary file).
    Result URLs expire about 24 h after completion.
    """

    record: TaskRecord
    paths: tuple[Path, ...] = ()
    _client: ResultSource = attrs.field(alias="client", repr=False, eq=False, kw_only=True)

    @property
    def task_id(self) -> str:
        return self.record.task_id

    @property
    def urls(self) -> tuple[str, ...]:
        return self.record.result_urls

    def save(self, directory: StrPath) -> PathsT:
        """Download every result into `directory` (created if needed); return the file paths."""
        return cast(PathsT, self._client.save(self.record, directory))

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


@attrs.frozen
class GenerationResult(ResultMethods[list[Path], bytes, Iterator[bytes]]):
    __doc__ = ResultMethods.__doc__


@attrs.frozen
class AsyncGenerationResult(
    ResultMethods[Awaitable[list[Path]], Awaitable[bytes], AsyncIterator[bytes]]
):
    """The async client's GenerationResult: `await result.save(dir)`, `await result.read()`,
    `async for chunk in result.iter_bytes()`."""
