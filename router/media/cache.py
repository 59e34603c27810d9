"""The result cache: finished images and videos kept under ``<data_dir>/cache`` and served by the gateway.

A cached file is named ``<token><ext>``, where the token is random (``secrets.token_urlsafe``), so a
link cannot be guessed from the upstream URL; it is served at ``/files/<token><ext>`` until
``cache.ttl_seconds`` after it was written. The folder is bounded by ``cache.max_file_bytes`` per
file and ``cache.max_total_bytes`` in all (the oldest files are evicted first). A sweeper task,
started and stopped with the app, deletes expired files every ``cache.cleanup_interval_seconds``.

The file's modification time is its creation time, so the folder is the whole state: nothing is
kept in memory and a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, Protocol
from urllib.parse import urlsplit

import httpx

from router.config import CacheSettings, ServerSettings
from router.errors import GatewayError, UpstreamBadResponseError

logger = logging.getLogger(__name__)

MediaKind = Literal["image", "video"]

#: file extension → content type of what the cache serves
CONTENT_TYPES: dict[str, str] = {
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mov": "video/quicktime",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
}
_EXTENSIONS = {content_type: ext for ext, content_type in CONTENT_TYPES.items()}
_DEFAULT_EXTENSION: dict[MediaKind, str] = {"image": ".png", "video": ".mp4"}
_NAME = re.compile(r"^(?P<token>[A-Za-z0-9_-]{32})(?P<ext>\.[a-z0-9]{2,4})$")
#: bytes collected before one write to disk
_WRITE_BUFFER = 1024 * 1024
#: a partial download older than this is left over from a crash
_STALE_PART_SECONDS = 3600.0


class Downloader(Protocol):
    """Where cached files come from (a ``SoraSession`` or the ``SoraTransport``)."""

    def stream_download(self, url: str) -> AbstractAsyncContextManager[httpx.Response]: ...


@dataclass(frozen=True)
class CachedFile:
    """One file in the cache."""

    name: str
    path: Path
    size: int
    content_type: str
    #: epoch seconds after which the link answers 404
    expires_at: float

    def url(self, base_url: str) -> str:
        """The link clients use: ``<base_url>/files/<name>``."""
        return f"{base_url.rstrip('/')}/files/{self.name}"


def public_base_url(server: ServerSettings, request_base_url: str = "") -> str:
    """The base of links to the gateway: the configured one, else the request's, else host:port."""
    for candidate in (server.public_base_url, request_base_url):
        if candidate.strip():
            return candidate.strip().rstrip("/")
    host = "127.0.0.1" if server.host in ("", "0.0.0.0", "::") else server.host
    return f"http://{host}:{server.port}"


def extension_for(content_type: str, url: str, kind: MediaKind) -> str:
    """The file extension of a download: from its content type, else its URL, else the kind's default."""
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime in _EXTENSIONS:
        return _EXTENSIONS[mime]
    suffix = Path(urlsplit(url).path).suffix.lower()
    if suffix == ".jpeg":
        suffix = ".jpg"
    return suffix if suffix in CONTENT_TYPES else _DEFAULT_EXTENSION[kind]


class ResultCache:
    """Download, keep, find and expire generated files (one instance per app)."""

    def __init__(self, root: Path, settings: CacheSettings) -> None:
        self.root = root
        self.settings = settings
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    @property
    def _max_file_bytes(self) -> int:
        return min(self.settings.max_file_bytes, self.settings.max_total_bytes)

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Sweep once, then every ``cleanup_interval_seconds`` in the background."""
        await self.sweep()
        self._sweeper = asyncio.create_task(self._sweep_loop(), name="result-cache-sweeper")

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.cleanup_interval_seconds)
            try:
                await self.sweep()
            except OSError:  # keep the loop alive; the next tick tries again
                logger.exception("result cache sweep failed")

    # -- storing ---------------------------------------------------------------------------
    async def store(self, source: Downloader, url: str, *, kind: MediaKind) -> CachedFile:
        """Download ``url`` through ``source`` into the cache.

        Raises :class:`~router.errors.UpstreamError` when the download fails or is too large, and
        :class:`~router.errors.GatewayError` (code ``cache_failed``) when the disk write fails.
        """
        token = secrets.token_urlsafe(24)
        part = self.root / f"{token}.part"
        limit = self._max_file_bytes
        try:
            async with source.stream_download(url) as response:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise _too_large(limit)
                ext = extension_for(response.headers.get("content-type", ""), url, kind)
                size = await self._write(part, response.aiter_bytes(), limit)
            name = f"{token}{ext}"
            path = self.root / name
            await asyncio.to_thread(os.replace, part, path)
        except OSError as exc:
            raise GatewayError(f"The cache could not store the file: {exc}", code="cache_failed") from exc
        finally:
            await asyncio.to_thread(_discard, part)
        await asyncio.to_thread(self._evict, keep=name)
        return CachedFile(
            name=name,
            path=path,
            size=size,
            content_type=CONTENT_TYPES[ext],
            expires_at=time.time() + self.settings.ttl_seconds,
        )

    async def _write(self, part: Path, chunks: AsyncIterator[bytes], limit: int) -> int:
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)
        handle: IO[bytes] = await asyncio.to_thread(part.open, "wb")
        size = 0
        buffer = bytearray()
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                buffer += chunk
                if len(buffer) >= _WRITE_BUFFER:
                    await asyncio.to_thread(handle.write, bytes(buffer))
                    buffer.clear()
            await asyncio.to_thread(handle.write, bytes(buffer))
        finally:
            await asyncio.to_thread(handle.close)
        if size == 0:
            raise UpstreamBadResponseError("The media host sent an empty file", code="media_empty")
        return size

    # -- finding ---------------------------------------------------------------------------
    async def find(self, name: str) -> tuple[CachedFile, os.stat_result] | None:
        """The live file called ``name`` with its stat, or ``None`` (unknown, malformed or expired)."""
        match = _NAME.match(name)
        if match is None or match["ext"] not in CONTENT_TYPES:
            return None
        path = self.root / name
        try:
            stat = await asyncio.to_thread(path.stat)
        except FileNotFoundError:
            return None
        expires_at = stat.st_mtime + self.settings.ttl_seconds
        if expires_at <= time.time():
            await asyncio.to_thread(_unlink, path)
            return None
        cached = CachedFile(
            name=name,
            path=path,
            size=stat.st_size,
            content_type=CONTENT_TYPES[match["ext"]],
            expires_at=expires_at,
        )
        return cached, stat

    # -- cleaning --------------------------------------------------------------------------
    async def sweep(self) -> int:
        """Delete expired files and stale partial downloads, then enforce the size limit."""
        removed = await asyncio.to_thread(self._sweep)
        removed += await asyncio.to_thread(self._evict)
        if removed:
            logger.info("result cache: removed %d file(s)", removed)
        return removed

    def _entries(self) -> list[tuple[Path, os.stat_result]]:
        entries = []
        with suppress(FileNotFoundError):
            for path in self.root.iterdir():
                with suppress(FileNotFoundError):
                    entries.append((path, path.stat()))
        return entries

    def _sweep(self) -> int:
        now = time.time()
        removed = 0
        for path, stat in self._entries():
            age = now - stat.st_mtime
            stale_part = path.suffix == ".part" and age > _STALE_PART_SECONDS
            expired = path.suffix != ".part" and age >= self.settings.ttl_seconds
            if stale_part or expired:
                removed += _unlink(path)
        return removed

    def _evict(self, keep: str | None = None) -> int:
        """Delete the oldest files until the folder fits ``max_total_bytes`` (never ``keep``)."""
        files = sorted(
            ((path, stat) for path, stat in self._entries() if path.suffix != ".part"),
            key=lambda entry: entry[1].st_mtime,
        )
        total = sum(stat.st_size for _, stat in files)
        removed = 0
        for path, stat in files:
            if total <= self.settings.max_total_bytes:
                break
            if path.name == keep:
                continue
            removed += _unlink(path)
            total -= stat.st_size
        return removed


def _unlink(path: Path) -> int:
    try:
        path.unlink()
    except FileNotFoundError:
        return 0
    return 1


def _discard(path: Path) -> None:
    """Remove a partial download, whatever happened (a failure to do so is only logged)."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("result cache: could not remove %s: %s", path, exc)


def _too_large(limit: int) -> UpstreamBadResponseError:
    return UpstreamBadResponseError(
        f"The media file is larger than the cache allows ({limit} bytes)", code="media_too_large"
    )
