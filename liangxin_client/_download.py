"""Result downloads: file naming, expiry hints, and constant-memory writes (temp file → rename)."""

from __future__ import annotations

import errno
import mimetypes
import os
import tempfile
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import httpx

from liangxin_client._errors import APIStatusError, ResultExpiredError, ResultSaveError
from liangxin_client._responses import body_text, request_id, status_error

EXPIRED_STATUSES = frozenset({403, 404, 410})
CHUNK_SIZE = 64 * 1024
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".mp4"}


def file_name(task_id: str, index: int, url: str, content_type: str | None) -> str:
    """`<task_id>_<index><ext>`: the extension from the URL, else from the content type."""
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    if suffix not in _IMAGE_SUFFIXES:
        media = (content_type or "").split(";")[0].strip()
        suffix = (mimetypes.guess_extension(media) if media else None) or ".bin"
    safe_id = "".join(c if c.isalnum() or c in "-_." else "_" for c in task_id) or "result"
    return f"{safe_id}_{index}{suffix}"


def download_error(response: httpx.Response, url: str) -> APIStatusError:
    """The error for a failed download; 403/404/410 explain that results expire."""
    if response.status_code in EXPIRED_STATUSES:
        return ResultExpiredError(
            f"result URL answered HTTP {response.status_code}: LiangXin results expire about 24 h "
            "after the task completes — re-run the task, or fetch results sooner "
            f"(generate(..., download_to=DIR) saves them right away). URL: {url}",
            response=response,
            request_id=request_id(response),
            body=body_text(response),
        )
    return status_error(response)


def _umask() -> int:
    """The process umask, read without changing it (os.umask would race other threads)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def check_save_directory(directory: str | os.PathLike[str]) -> None:
    """Before anything is paid for: raise `ResultSaveError` (task_id None) unless results can be
    saved into `directory` — an existing writable directory, or one that can be created.

    Nothing is left behind: a probe file (or, for a directory still to be made, a probe directory
    in its nearest existing parent) is made and removed at once. Saving creates the directory.
    """
    path = Path(directory)
    try:
        nearest = path.absolute()
        while not nearest.exists() and nearest != nearest.parent:
            nearest = nearest.parent  # exists() is False below a file too: that parent says why
        if not nearest.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(nearest))
        if nearest == path.absolute():
            fd, probe = tempfile.mkstemp(prefix=".liangxin-probe-", dir=nearest)
            os.close(fd)
            os.unlink(probe)
        else:
            os.rmdir(tempfile.mkdtemp(prefix=".liangxin-probe-", dir=nearest))
    except OSError as exc:
        raise ResultSaveError(None, str(directory), exc) from exc


class PartFile:
    """Write to `<dir>/.<name>.*.part`, then rename onto `<dir>/<name>` only when complete."""

    def __init__(self, directory: Path, name: str) -> None:
        self.target = directory / name
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
        self._tmp = Path(tmp)
        self._file = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)

    def commit(self) -> Path:
        self._file.close()
        # mkstemp creates 0600; a saved image gets the mode any new file would (umask applied).
        os.chmod(self._tmp, 0o666 & ~_umask())
        os.replace(self._tmp, self.target)
        return self.target

    def __enter__(self) -> PartFile:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is not None:
            self._file.close()
            self._tmp.unlink(missing_ok=True)
