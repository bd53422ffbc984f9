"""What generate() returns: the finished record, its URLs, and its files on disk or in memory."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Protocol

import attrs

from liangxin_client._download import CHUNK_SIZE
from liangxin_client._records import TaskRecord

StrPath = str | os.PathLike[str]


class ResultClient(Protocol):
    def save(self, record: TaskRecord, directory: StrPath) -> list[Path]: ...
    def _read_result(self, record: TaskRecord, index: int) -> bytes: ...
    def _iter_result(self, record: TaskRecord, index: int, chunk_size: int) -> Iterator[bytes]: ...


class AsyncResultClient(Protocol):
    def save(self, record: TaskRecord, directory: StrPath) -> Awaitable[list[Path]]: ...
    def _read_result(self, record: TaskRecord, index: int) -> Awaitable[bytes]: ...
    def _iter_result(
        self, record: TaskRecord, index: int, chunk_size: int
    ) -> AsyncIterator[bytes]: ...


@attrs.frozen
class GenerationResult:
    """A successful task. `paths` are the files saved by `download_to=` (empty otherwise).

    The results are there three ways: `save(dir)` writes files, `read(n)` returns result `n`'s
    bytes, `iter_bytes(n)` streams them in chunks (for forwarding without a temporary file).
    Result URLs expire about 24 h after completion.
    """

    record: TaskRecord
    paths: tuple[Path, ...] = ()
    _client: ResultClient = attrs.field(alias="client", repr=False, eq=False, kw_only=True)

    @property
    def task_id(self) -> str:
        return self.record.task_id

    @property
    def urls(self) -> tuple[str, ...]:
        return self.record.result_urls

    def save(self, directory: StrPath) -> list[Path]:
        """Download every result into `directory` (created if needed); return the file paths."""
        return self._client.save(self.record, directory)

    def read(self, index: int = 0) -> bytes:
        """Result `index`'s content (an image's bytes), retried like a download."""
        return self._client._read_result(self.record, index)

    def iter_bytes(self, index: int = 0, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Result `index`'s content in chunks of at most `chunk_size` bytes (one request)."""
        return self._client._iter_result(self.record, index, chunk_size)


@attrs.frozen
class AsyncGenerationResult:
    """The async client's GenerationResult: `await result.save(dir)`, `await result.read()`,
    `async for chunk in result.iter_bytes()`."""

    record: TaskRecord
    paths: tuple[Path, ...] = ()
    _client: AsyncResultClient = attrs.field(alias="client", repr=False, eq=False, kw_only=True)

    @property
    def task_id(self) -> str:
        return self.record.task_id

    @property
    def urls(self) -> tuple[str, ...]:
        return self.record.result_urls

    async def save(self, directory: StrPath) -> list[Path]:
        """Download every result into `directory` (created if needed); return the file paths."""
        return await self._client.save(self.record, directory)

    async def read(self, index: int = 0) -> bytes:
        """Result `index`'s content (an image's bytes), retried like a download."""
        return await self._client._read_result(self.record, index)

    def iter_bytes(self, index: int = 0, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Result `index`'s content in chunks of at most `chunk_size` bytes (one request)."""
        return self._client._iter_result(self.record, index, chunk_size)
