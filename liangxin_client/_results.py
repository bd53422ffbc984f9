"""What generate() returns: the finished record, its URLs, and a way to save the files."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import attrs

from liangxin_client._records import TaskRecord

StrPath = str | os.PathLike[str]


@attrs.frozen
class GenerationResult:
    """A successful task. `paths` are the files saved by `download_to=` (empty otherwise)."""

    record: TaskRecord
    paths: tuple[Path, ...] = ()
    _saver: Callable[[TaskRecord, StrPath], list[Path]] = attrs.field(
        alias="saver", repr=False, eq=False, kw_only=True
    )

    @property
    def task_id(self) -> str:
        return self.record.task_id

    @property
    def urls(self) -> tuple[str, ...]:
        return self.record.result_urls

    def save(self, directory: StrPath) -> list[Path]:
        """Download every result into `directory` (created if needed); return the file paths."""
        return self._saver(self.record, directory)


@attrs.frozen
class AsyncGenerationResult:
    """The async client's GenerationResult: `await result.save(dir)`."""

    record: TaskRecord
    paths: tuple[Path, ...] = ()
    _saver: Callable[[TaskRecord, StrPath], Awaitable[list[Path]]] = attrs.field(
        alias="saver", repr=False, eq=False, kw_only=True
    )

    @property
    def task_id(self) -> str:
        return self.record.task_id

    @property
    def urls(self) -> tuple[str, ...]:
        return self.record.result_urls

    async def save(self, directory: StrPath) -> list[Path]:
        """Download every result into `directory` (created if needed); return the file paths."""
        return await self._saver(self.record, directory)
