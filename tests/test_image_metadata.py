"""The request written into each saved image: PNG text chunks (pixels untouched), a sidecar for
other formats, `none` for the bytes as downloaded — and `read_image_metadata` reading it back."""

from __future__ import annotations

import asyncio
import io
import json
import struct
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from liangxin_client import (
    AsyncLiangXin,
    LiangXin,
    TaskRecord,
    TaskState,
    __version__,
    read_image_metadata,
)
from liangxin_client._png import PNG_SIGNATURE, insert_text_chunks, text_chunk
from liangxin_mock import MockServer

PROMPT = "a tea bottle on a stone table — 茶"
CALLBACK = "https://hooks.example.com/liangxin?token=s3cr3t-callback-token"


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk of a PNG, CRCs checked."""
    assert data[:8] == PNG_SIGNATURE
    found, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        found.append((kind, body))
        at += 12 + length
    return found


def without_text(data: bytes, ours: set[bytes]) -> bytes:
    """`data` with the text chunks whose keyword is in `ours` removed, every other byte kept."""
    out, at = bytearray(data[:8]), 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        if not (kind == b"iTXt" and body.split(b"\0", 1)[0] in ours):
            out += data[at : at + 12 + length]
        at += 12 + length
    return bytes(out)


def pixels(data: bytes | Path) -> tuple[str, tuple[int, int], bytes]:
    with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as image:
        return image.mode, image.size, image.tobytes()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def files() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A loopback file host: `(base URL, {path: bytes})`; put result files in the dict."""
    content: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = content.get(self.path)
            self.send_response(200 if body is not None else 404)
            kind = "image/jpeg" if self.path.endswith(".jpg") else "image/png"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", content
    server.shutdown()
    server.server_close()


def client(mock: MockServer) -> LiangXin:
    return LiangXin(mock.api_key, mock.base_url)


# -- the PNG chunk codec ------------------------------------------------------------------------


def test_text_chunks_go_after_ihdr_and_the_rest_is_untouched() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(buffer, "PNG")
    original = buffer.getvalue()
    extra = text_chunk("liangxin", '{"prompt": "茶"}') + text_chunk("Software", "x")
    made = insert_text_chunks(original, extra)
    kinds = [kind for kind, _ in chunks(made)]
    assert kinds[:3] == [b"IHDR", b"iTXt", b"iTXt"]
    assert without_text(made, {b"liangxin", b"Software"}) == original
    with Image.open(io.BytesIO(made)) as image:
        image.load()
        assert image.text["liangxin"] == '{"prompt": "茶"}'  # Pillow reads the iTXt as UTF-8
    assert pixels(made) == pixels(original)


def test_a_file_that_is_not_a_png_passes_through() -> None:
    data = jpeg_bytes()
    assert insert_text_chunks(data, text_chunk("liangxin", "{}")) is None


# -- saving -------------------------------------------------------------------------------------


def test_generate_writes_the_request_into_the_png(
    liangxin_mock: MockServer, tmp_path: Path
) -> None:
    with client(liangxin_mock) as lx:
        result = lx.generate(
            "seedream-v4-5",
            PROMPT,
            aspect_ratio="16:9",
            seed=7,
            callback_url=CALLBACK,
            download_to=tmp_path,
        )
        downloaded = result.read()
    [path] = result.paths
    saved = path.read_bytes()
    assert saved != downloaded
    # Every byte of the download is there, in order: only the text chunks were added.
    assert without_text(saved, {b"liangxin", b"Description", b"Software", b"Source",
                                b"Creation Time"}) == downloaded  # fmt: skip
    assert pixels(saved) == pixels(downloaded)
    assert not Path(f"{path}.json").exists()  # no sidecar next to a PNG

    meta = read_image_metadata(path)
    assert meta is not None
    assert next(iter(meta)) == "taskId"
    assert meta["taskId"] == result.task_id
    assert meta["model"] == "seedream-v4-5"
    assert meta["prompt"] == PROMPT
    assert meta["input"] == {"prompt": PROMPT, "aspect_ratio": "16:9", "seed": 7}
    assert (meta["image"], meta["images"]) == (1, 1)
    assert meta["createTime"] == result.record.create_time
    assert meta["completeTime"] == result.record.complete_time
    assert meta["software"] == f"liangxin-client {__version__}"
    assert meta["requestFrom"] == "sent"
    assert meta["callBackHost"] == "hooks.example.com"
    text = saved.decode("latin-1")
    assert "s3cr3t-callback-token" not in text and "/liangxin?" not in text
    assert liangxin_mock.api_key not in text
    with Image.open(path) as image:
        image.load()
        assert image.text["Description"] == PROMPT
        assert image.text["Software"] == f"liangxin-client {__version__}"


def test_metadata_none_leaves_the_download_byte_identical(
    liangxin_mock: MockServer, tmp_path: Path
) -> None:
    with client(liangxin_mock) as lx:
        result = lx.generate("z-image", PROMPT, download_to=tmp_path, metadata="none")
        [path] = result.paths
        assert path.read_bytes() == result.read()
        assert read_image_metadata(path) is None
        assert list(tmp_path.iterdir()) == [path]
        # save() again, the other two ways
        [sidecar_png] = result.save(tmp_path / "sidecar", metadata="sidecar")
        assert sidecar_png.read_bytes() == result.read()
        sidecar = json.loads(Path(f"{sidecar_png}.json").read_text("utf-8"))
        assert sidecar["prompt"] == PROMPT and sidecar["requestFrom"] == "sent"
        assert read_image_metadata(sidecar_png) == sidecar
        [again] = result.save(tmp_path / "png")
        assert read_image_metadata(again) == sidecar


def test_an_unknown_metadata_mode_is_refused_before_anything_is_sent(
    liangxin_mock: MockServer, tmp_path: Path
) -> None:
    with client(liangxin_mock) as lx:
        with pytest.raises(ValueError, match="metadata must be one of 'png', 'sidecar', 'none'"):
            lx.generate("z-image", PROMPT, download_to=tmp_path, metadata="jpeg")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="metadata"):
            lx.generate_many([{"model": "z-image", "prompt": "x"}], metadata="exif")  # type: ignore[arg-type]
    assert liangxin_mock.stats()["createTask"] == 0


def test_a_jpeg_gets_a_sidecar_and_each_image_knows_n_of_n(
    liangxin_mock: MockServer, tmp_path: Path, files: tuple[str, dict[str, bytes]]
) -> None:
    host, content = files
    jpeg = jpeg_bytes()
    png = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 90, 0)).save(png, "PNG")
    content["/a/0.jpg"], content["/a/1.png"] = jpeg, png.getvalue()
    record = TaskRecord(
        task_id="task_nano-banana-pro_1",
        model="nano-banana-pro",
        state=TaskState.SUCCESS,
        raw_state="success",
        result_urls=(f"{host}/a/0.jpg", f"{host}/a/1.png"),
        param={
            "model": "nano-banana-pro",
            "callBackUrl": CALLBACK,
            "input": {"prompt": PROMPT, "output_format": "jpg"},
        },
        create_time=1_796_164_018_814,
        complete_time=1_796_164_030_000,
    )
    with client(liangxin_mock) as lx:
        first, second = lx.save(record, tmp_path)
    assert first.read_bytes() == jpeg  # untouched
    sidecar = Path(f"{first}.json")
    meta = json.loads(sidecar.read_text("utf-8"))
    assert (meta["image"], meta["images"]) == (1, 2)
    assert meta["requestFrom"] == "record"  # only the task's record was known
    assert meta["input"] == {"prompt": PROMPT, "output_format": "jpg"}
    assert meta["callBackHost"] == "hooks.example.com"
    assert "s3cr3t" not in sidecar.read_text("utf-8")
    assert read_image_metadata(first) == meta
    assert read_image_metadata(sidecar) == meta  # the sidecar itself reads too
    second_meta = read_image_metadata(second)
    assert second_meta is not None and (second_meta["image"], second_meta["images"]) == (2, 2)
    assert not Path(f"{second}.json").exists()


def test_read_image_metadata_of_other_files(tmp_path: Path) -> None:
    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    assert read_image_metadata(plain) is None
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert read_image_metadata(text) is None
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(plain.read_bytes()[:20])
    assert read_image_metadata(truncated) is None
    with pytest.raises(OSError):
        read_image_metadata(tmp_path / "missing.png")


def test_generate_many_and_the_async_client_write_it_too(
    liangxin_mock: MockServer, tmp_path: Path
) -> None:
    rows = [{"model": "z-image", "prompt": f"row {i}", "seed": i} for i in range(3)]
    with client(liangxin_mock) as lx:
        outcomes = list(lx.generate_many(rows, download_to=tmp_path / "many"))
        plain = list(lx.generate_many(rows[:1], download_to=tmp_path / "none", metadata="none"))
    for outcome in outcomes:
        [path] = outcome.paths
        meta = read_image_metadata(path)
        assert meta is not None
        assert meta["prompt"] == f"row {outcome.index}"
        assert meta["input"]["seed"] == outcome.index
        assert meta["requestFrom"] == "sent"
    assert read_image_metadata(plain[0].paths[0]) is None

    async def run() -> Path:
        async with AsyncLiangXin(liangxin_mock.api_key, liangxin_mock.base_url) as lx:
            result = await lx.generate("z-image", PROMPT, download_to=tmp_path / "async")
            [path] = await result.save(tmp_path / "async2", metadata="sidecar")
            assert (await result.read()) == path.read_bytes()
            return result.paths[0]

    meta = read_image_metadata(asyncio.run(run()))
    assert meta is not None and meta["prompt"] == PROMPT


def test_the_mock_png_is_pixel_identical_when_decoded(
    liangxin_mock: MockServer, tmp_path: Path
) -> None:
    with client(liangxin_mock) as lx:
        result = lx.generate("flux-2-pro", PROMPT, width=1024, height=768, download_to=tmp_path)
        url = result.urls[0]
    downloaded = httpx.get(url).content
    assert pixels(result.paths[0]) == pixels(downloaded)


def test_hostile_text_chunks_are_no_metadata(tmp_path: Path) -> None:
    base = io.BytesIO()
    Image.new("RGB", (8, 8)).save(base, "PNG")
    cases = {
        "nested": "[" * 100_000,
        "a list": "[1, 2]",
        "no task": '{"prompt": "x"}',
    }
    for name, text in cases.items():
        path = tmp_path / f"{name}.png"
        path.write_bytes(insert_text_chunks(base.getvalue(), text_chunk("liangxin", text)) or b"")
        assert read_image_metadata(path) is None, name
    # A chunk whose length runs past the end of the file.
    broken = bytearray(base.getvalue())
    broken[33:37] = struct.pack(">I", 2**31)
    (tmp_path / "broken.png").write_bytes(bytes(broken))
    assert read_image_metadata(tmp_path / "broken.png") is None
