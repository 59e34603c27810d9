"""Media files: small but well-formed PNG/WEBP/MP4 bytes, deterministic per name."""

from __future__ import annotations

import hashlib
import struct
import zlib

CONTENT_TYPES = {"mp4": "video/mp4", "png": "image/png", "webp": "image/webp"}
# A 1×1 lossless WEBP.
_WEBP = bytes.fromhex("524946461a000000574542505650384c0d0000002f00000010071011118888fe0700")


def _png(seed: bytes, size: int = 16) -> bytes:
    red, green, blue = seed[0], seed[1], seed[2]
    rows = b"".join(b"\x00" + bytes((red, green, blue)) * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _mp4(seed: bytes, name: str, size: int = 48 * 1024) -> bytes:
    ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
    label = f"fake_sora:{name}".encode()
    free = struct.pack(">I", 8 + len(label)) + b"free" + label
    payload_size = size - len(ftyp) - len(free) - 8
    payload = (seed * (payload_size // len(seed) + 1))[:payload_size]
    return ftyp + free + struct.pack(">I", 8 + payload_size) + b"mdat" + payload


def render(name: str) -> tuple[str, bytes]:
    """Deterministic bytes for a media name; the extension picks the format."""
    extension = name.rsplit(".", 1)[-1]
    seed = hashlib.sha256(name.encode()).digest()
    if extension == "png":
        return CONTENT_TYPES["png"], _png(seed)
    if extension == "webp":
        return CONTENT_TYPES["webp"], _WEBP
    if extension == "mp4":
        return CONTENT_TYPES["mp4"], _mp4(seed, name)
    raise ValueError(f"unsupported media type for {name!r}")


class MediaStore:
    """Names the media host serves; callers hold the simulator's lock."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def add(self, name: str) -> None:
        render(name)  # validates the extension
        self.names.add(name)

    def remove(self, name: str) -> None:
        self.names.discard(name)
