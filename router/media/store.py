"""Content-addressed storage of client inputs under ``<data_dir>/uploads``.

A job's parameters are persisted as JSON, so an attached image or video is stored here first and
the job keeps only its reference; a job resumed after a restart finds the bytes again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from router.errors import InvalidRequestError, NotFoundError

REF = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StoredMedia:
    ref: str
    content_type: str
    filename: str
    size: int


class MediaStore:
    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self._root = root
        self.max_bytes = max_bytes

    async def put(self, data: bytes, *, content_type: str, filename: str) -> StoredMedia:
        if len(data) > self.max_bytes:
            raise InvalidRequestError(
                f"The attached file is {len(data)} bytes; the limit is {self.max_bytes} bytes",
                code="file_too_large",
            )
        if not data:
            raise InvalidRequestError("The attached file is empty", code="empty_file")
        ref = hashlib.sha256(data).hexdigest()
        meta = StoredMedia(ref=ref, content_type=content_type, filename=filename, size=len(data))
        await asyncio.to_thread(self._write, meta, data)
        return meta

    async def get(self, ref: str) -> tuple[bytes, StoredMedia]:
        if not REF.match(ref):
            raise NotFoundError(f"unknown media reference {ref!r}")
        try:
            return await asyncio.to_thread(self._read, ref)
        except FileNotFoundError as exc:
            raise NotFoundError(f"media {ref} is no longer stored") from exc

    def _write(self, meta: StoredMedia, data: bytes) -> None:
        self._root.mkdir(parents=True, exist_ok=True)
        blob = self._root / meta.ref
        if not blob.exists():
            tmp = blob.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(blob)
        (self._root / f"{meta.ref}.json").write_text(json.dumps(asdict(meta)))

    def _read(self, ref: str) -> tuple[bytes, StoredMedia]:
        meta = StoredMedia(**json.loads((self._root / f"{ref}.json").read_text()))
        return (self._root / ref).read_bytes(), meta
