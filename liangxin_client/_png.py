"""PNG text chunks, written into a byte stream and read back, without decoding any pixel.

A PNG is its 8-byte signature, then chunks (length, type, data, CRC) starting with IHDR. Text
chunks (iTXt: UTF-8) may go anywhere between IHDR and IEND; ours go right after IHDR, so a
download is passed through as it streams, every byte of it kept as received.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import BinaryIO

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The signature and a whole IHDR chunk (13 bytes of data): what must be seen before inserting.
HEAD_SIZE = 8 + 4 + 4 + 13 + 4
#: The largest text chunk read back (a bigger one is skipped, not loaded into memory).
MAX_TEXT_CHUNK = 16 * 1024 * 1024


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def text_chunk(keyword: str, text: str) -> bytes:
    """An uncompressed iTXt chunk: `keyword` (1-79 Latin-1 characters) = `text` (UTF-8)."""
    key = keyword.encode("latin-1")
    if not 1 <= len(key) <= 79:
        raise ValueError(f"a PNG text keyword has 1 to 79 characters, got {keyword!r}")
    # keyword \0, compression flag 0, method 0, no language tag \0, no translated keyword \0
    return _chunk(b"iTXt", key + b"\0\0\0\0\0" + text.encode("utf-8"))


def is_png_head(head: bytes) -> bool:
    """True when `head` (at least HEAD_SIZE bytes) starts a PNG: its signature, then IHDR."""
    return (
        head[:8] == PNG_SIGNATURE
        and head[8:16] == b"\x00\x00\x00\x0dIHDR"
        and head[29:33] == struct.pack(">I", zlib.crc32(head[12:29]))
    )


def insert_text_chunks(data: bytes, chunks: bytes) -> bytes | None:
    """`data` with `chunks` after its IHDR; None when `data` is not a PNG."""
    if len(data) < HEAD_SIZE or not is_png_head(data):
        return None
    return data[:HEAD_SIZE] + chunks + data[HEAD_SIZE:]


class TextInserter:
    """Passes a download through to `write`, adding `chunks` after IHDR if it is a PNG.

    Only the first HEAD_SIZE bytes are held back (until it is known whether they start a PNG);
    `finish()` says whether the chunks went in.
    """

    def __init__(self, write: Callable[[bytes], object], chunks: bytes) -> None:
        self._write, self._chunks = write, chunks
        self._head = bytearray()
        self.inserted: bool | None = None

    def write(self, data: bytes) -> None:
        if self.inserted is not None:
            self._write(data)
            return
        self._head += data
        if len(self._head) >= HEAD_SIZE:
            head = bytes(self._head)
            self._head.clear()
            self.inserted = is_png_head(head)
            if self.inserted:
                self._write(head[:HEAD_SIZE])
                self._write(self._chunks)
                self._write(head[HEAD_SIZE:])
            else:
                self._write(head)

    def finish(self) -> bool:
        if self.inserted is None:  # shorter than a PNG's head: not one
            self._write(bytes(self._head))
            self.inserted = False
        return self.inserted


def read_text(file: BinaryIO, keyword: str) -> str | None:
    """The text of the first text chunk (iTXt, tEXt or zTXt) named `keyword` in the PNG `file`
    (positioned at its start); None if there is none, or the file is not a readable PNG.

    Chunk data other than text is skipped (seeked over), never read.
    """
    if file.read(8) != PNG_SIGNATURE:
        return None
    key = keyword.encode("latin-1")
    while True:
        header = file.read(8)
        if len(header) < 8:
            return None
        length, kind = struct.unpack(">I", header[:4])[0], header[4:]
        if kind == b"IEND":
            return None
        if kind in (b"iTXt", b"tEXt", b"zTXt") and length <= MAX_TEXT_CHUNK:
            data = file.read(length)
            file.seek(4, 1)  # the CRC
            if len(data) < length:
                return None
            name, _, rest = data.partition(b"\0")
            if name == key:
                return _decode_text(kind, rest)
        else:
            file.seek(length + 4, 1)


def _decode_text(kind: bytes, rest: bytes) -> str | None:
    """A text chunk's text, from the bytes after its keyword's \\0."""
    try:
        if kind == b"tEXt":
            return rest.decode("latin-1")
        if kind == b"zTXt":
            return _inflate(rest[1:]).decode("latin-1")
        compressed = rest[:1] == b"\1"
        _language, _, rest = rest[2:].partition(b"\0")
        _translated, _, text = rest.partition(b"\0")
        return (_inflate(text) if compressed else text).decode("utf-8")
    except (zlib.error, UnicodeDecodeError, ValueError):
        return None


def _inflate(data: bytes) -> bytes:
    """zlib data, at most MAX_TEXT_CHUNK bytes of it once inflated (else ValueError)."""
    inflater = zlib.decompressobj()
    text = inflater.decompress(data, MAX_TEXT_CHUNK)
    if inflater.unconsumed_tail:
        raise ValueError("text chunk too large")
    return text
