"""What made an image, written next to it: into a PNG's text chunks, else a `FILE.json` sidecar.

The JSON (one object, `taskId` first) holds the model, prompt and input of the request, which
image of the task it is (n of N), the record's times and the tool's version. Never the API key,
and of a callBackUrl (which may carry a secret token) only its host. `requestFrom` says where the
request came from: `sent` (this client sent it), `record` (the service's copy in the task's
record, `param`, e.g. for `save()` of an older task) or `unknown` (neither was at hand).
"""

from __future__ import annotations

import email.utils
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from liangxin_client._download import PartFile
from liangxin_client._png import PNG_SIGNATURE, TextInserter, read_text, text_chunk
from liangxin_client._records import TaskRecord
from liangxin_client._version import __version__

#: Where the request goes: `png` (default) into a PNG's text chunks, a `FILE.json` sidecar for
#: any other format; `sidecar` always a sidecar (the image byte-identical to the download);
#: `none` nowhere (the file is exactly the bytes downloaded).
MetadataMode = Literal["png", "sidecar", "none"]
MODES: tuple[str, ...] = get_args(MetadataMode)
DEFAULT_MODE: MetadataMode = "png"

#: The PNG text keyword of the JSON, and the sidecar's suffix.
KEYWORD = "liangxin"
SIDECAR_SUFFIX = ".json"
METADATA_VERSION = 1
#: The largest sidecar read back.
MAX_SIDECAR = 16 * 1024 * 1024


def check_mode(mode: object) -> MetadataMode:
    """`mode` if it is one of MODES; else a ValueError (before anything is sent)."""
    if mode not in MODES:
        raise ValueError(
            f"metadata must be one of {', '.join(map(repr, MODES))}, got {mode!r}; nothing was sent"
        )
    return mode  # type: ignore[return-value]


def software() -> str:
    return f"liangxin-client {__version__}"


def image_metadata(
    record: TaskRecord, request: Mapping[str, Any] | None, index: int, count: int
) -> dict[str, Any]:
    """The metadata of result `index` (of `count`) of `record`, made by `request` (the createTask
    body sent; None: the record's own copy, `param`, if it has one)."""
    source = "sent"
    if request is None:
        request, source = record.param, "record"
    if not isinstance(request, Mapping):
        request, source = {}, "unknown"
    payload = request.get("input")
    meta: dict[str, Any] = {
        "taskId": record.task_id,
        "model": record.model or request.get("model"),
    }
    if isinstance(payload, Mapping):
        prompt = payload.get("prompt")
        if isinstance(prompt, str):
            meta["prompt"] = prompt
        meta["input"] = dict(payload)
    callback = request.get("callBackUrl")
    if isinstance(callback, str) and callback:
        meta["callBackHost"] = urlsplit(callback).hostname or "?"
    meta.update(
        image=index + 1,
        images=count,
        createTime=record.create_time,
        completeTime=record.complete_time,
        costTime=record.cost_time,
        requestFrom=source,
        software=software(),
        metadataVersion=METADATA_VERSION,
    )
    return meta


def png_chunks(meta: Mapping[str, Any], text: str) -> bytes:
    """The iTXt chunks for `meta` (whose JSON is `text`): ours, and the standard keywords image
    viewers show (Description: the prompt, Software, Source: the model, Creation Time)."""
    chunks = [text_chunk(KEYWORD, text), text_chunk("Software", software())]
    if isinstance(meta.get("prompt"), str):
        chunks.append(text_chunk("Description", meta["prompt"]))
    if meta.get("model"):
        chunks.append(text_chunk("Source", f"LiangXin {meta['model']}"))
    made = meta.get("completeTime") or meta.get("createTime")
    if isinstance(made, int):
        chunks.append(text_chunk("Creation Time", email.utils.formatdate(made / 1000, usegmt=True)))
    return b"".join(chunks)


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """`FILE.json` for `FILE` (the whole name kept: `a.jpg` and `a.png` get a sidecar each)."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _is_metadata(value: Any) -> bool:
    return isinstance(value, dict) and "taskId" in value and "metadataVersion" in value


def _parse(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested beyond what Python parses
        return None
    return value if _is_metadata(value) else None


def _read_json_file(path: Path) -> dict[str, Any] | None:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SIDECAR + 1)
    except FileNotFoundError:
        return None
    if len(data) > MAX_SIDECAR:
        return None
    try:
        return _parse(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None


def read_image_metadata(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """What made the image at `path`, as liangxin-client saved it: the JSON object from its PNG
    text chunk, else from its sidecar `path.json` (or `path` itself, when it is that sidecar).

    None when the file carries none (saved with `metadata="none"`, or not by liangxin-client).
    An OSError when `path` cannot be read.
    """
    path = Path(path)
    with path.open("rb") as file:
        png = file.read(len(PNG_SIGNATURE)) == PNG_SIGNATURE
        if png:
            file.seek(0)
            found = _parse(read_text(file, KEYWORD))
            if found is not None:
                return found
    if not png and path.name.endswith(SIDECAR_SUFFIX):
        found = _read_json_file(path)
        if found is not None:
            return found
    return _read_json_file(sidecar_path(path))


def write_sidecar(image: Path, text: str) -> Path:
    """The JSON `text` as `image`'s sidecar, written whole or not at all."""
    target = sidecar_path(image)
    with PartFile(target.parent, target.name) as part:
        part.write(text.encode("utf-8"))
        return part.commit()


def scrubbed(value: Any, scrub: Callable[[str], str]) -> Any:
    """`value` (JSON-like) with `scrub` applied to every string in it, keys included."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {scrub(str(k)): scrubbed(v, scrub) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrubbed(v, scrub) for v in value]
    return value


class MetadataWriter:
    """Between a download and its file: passes every byte through, adding `meta` as `mode`
    says — into a PNG as it streams, else in a sidecar once the file is in place."""

    def __init__(
        self, write: Callable[[bytes], object], mode: MetadataMode, meta: Mapping[str, Any]
    ) -> None:
        self._mode, self._meta = mode, meta
        self._inserter: TextInserter | None = None
        self.write = write
        if mode == "png":
            text = json.dumps(meta, ensure_ascii=False, separators=(",", ":"))
            self._inserter = TextInserter(write, png_chunks(meta, text))
            self.write = self._inserter.write

    def finish(self) -> None:
        """The download is complete (before the file is committed)."""
        if self._inserter is not None:
            self._inserter.finish()

    def after_commit(self, path: Path) -> None:
        """The file is in place: write its sidecar if the metadata did not go into it."""
        embedded = self._inserter is not None and self._inserter.inserted
        if self._mode != "none" and not embedded:
            write_sidecar(path, json.dumps(self._meta, ensure_ascii=False, indent=2) + "\n")
