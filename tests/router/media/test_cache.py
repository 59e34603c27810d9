"""The result cache: random names, content types, limits, expiry, eviction and the sweeper."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from router.config import CacheSettings, ServerSettings, UpstreamSettings
from router.errors import GatewayError, UpstreamError
from router.media.cache import ResultCache, extension_for, public_base_url
from router.sora.client import SoraTransport

MEDIA = "https://media.test"
VIDEO = b"\x00\x00\x00\x18ftypisom" + b"v" * 4000
PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 500


def _serve(request: httpx.Request) -> httpx.Response:
    name = request.url.path.rsplit("/", 1)[-1]
    if name == "clip.mp4":
        return httpx.Response(200, content=VIDEO, headers={"content-type": "video/mp4"})
    if name == "image":
        return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})
    if name == "unlabelled.webp":
        return httpx.Response(
            200, content=b"RIFF0000WEBPVP8L", headers={"content-type": "binary/octet-stream"}
        )
    if name == "streamed.mp4":  # no content-length: the limit is checked while reading
        return httpx.Response(200, stream=httpx.ByteStream(VIDEO), headers={"content-type": "video/mp4"})
    if name == "empty.mp4":
        return httpx.Response(200, content=b"", headers={"content-type": "video/mp4"})
    return httpx.Response(404, json={"error": {"message": "not found"}})


@pytest.fixture
async def transport() -> AsyncIterator[SoraTransport]:
    async with SoraTransport(UpstreamSettings(), transport=httpx.MockTransport(_serve)) as sora:
        yield sora


def _cache(tmp_path: Path, **settings: object) -> ResultCache:
    return ResultCache(tmp_path / "cache", CacheSettings(enabled=True, **settings))  # type: ignore[arg-type]


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


async def test_stored_files_get_random_unguessable_names(tmp_path: Path, transport: SoraTransport) -> None:
    cache = _cache(tmp_path, ttl_seconds=600)
    url = f"{MEDIA}/clip.mp4"
    first = await cache.store(transport, url, kind="video")
    second = await cache.store(transport, url, kind="video")

    assert first.name != second.name
    for cached in (first, second):
        token, ext = cached.name[:-4], cached.name[-4:]
        assert ext == ".mp4" and len(token) == 32
        assert hashlib.md5(url.encode()).hexdigest() not in cached.name
        assert cached.path.read_bytes() == VIDEO
        assert cached.size == len(VIDEO)
        assert cached.content_type == "video/mp4"
        assert cached.expires_at == pytest.approx(time.time() + 600, abs=5)
    assert first.url("https://gw.example/base/") == f"https://gw.example/base/files/{first.name}"
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == sorted([first.name, second.name])


async def test_the_extension_follows_the_content_type_then_the_url_then_the_kind(
    tmp_path: Path, transport: SoraTransport
) -> None:
    cache = _cache(tmp_path)
    png = await cache.store(transport, f"{MEDIA}/image", kind="image")
    webp = await cache.store(transport, f"{MEDIA}/unlabelled.webp?sig=1", kind="image")
    assert (png.name[-4:], png.content_type) == (".png", "image/png")
    assert (webp.name[-5:], webp.content_type) == (".webp", "image/webp")
    assert extension_for("", "https://x/y", "video") == ".mp4"
    assert extension_for("application/octet-stream", "https://x/photo.JPEG", "image") == ".jpg"
    assert extension_for("image/png; charset=binary", "https://x/y.mp4", "video") == ".png"


async def test_find_serves_live_files_and_forgets_expired_ones(
    tmp_path: Path, transport: SoraTransport
) -> None:
    cache = _cache(tmp_path, ttl_seconds=60)
    cached = await cache.store(transport, f"{MEDIA}/clip.mp4", kind="video")

    found = await cache.find(cached.name)
    assert found is not None
    assert found[0].path == cached.path and found[0].content_type == "video/mp4"
    assert found[1].st_size == len(VIDEO)

    _age(cached.path, 61)
    assert await cache.find(cached.name) is None
    assert not cached.path.exists()


@pytest.mark.parametrize(
    "name", ["", "../secret.key", "x.mp4", "A" * 32 + ".exe", "A" * 32, "A" * 31 + "/.mp4", "A" * 32 + ".mp4"]
)
async def test_find_refuses_malformed_or_unknown_names(tmp_path: Path, name: str) -> None:
    (tmp_path / "secret.key").write_text("s")
    assert await _cache(tmp_path).find(name) is None


@pytest.mark.parametrize("name", ["clip.mp4", "streamed.mp4"])
async def test_files_over_the_size_limit_are_refused_and_leave_nothing(
    tmp_path: Path, transport: SoraTransport, name: str
) -> None:
    cache = _cache(tmp_path, max_file_bytes=1000)
    with pytest.raises(UpstreamError) as info:
        await cache.store(transport, f"{MEDIA}/{name}", kind="video")
    assert info.value.code == "media_too_large"
    assert list((tmp_path / "cache").glob("*")) == []


async def test_failed_and_empty_downloads_raise_and_leave_nothing(
    tmp_path: Path, transport: SoraTransport
) -> None:
    cache = _cache(tmp_path)
    with pytest.raises(UpstreamError) as missing:
        await cache.store(transport, f"{MEDIA}/gone.mp4", kind="video")
    assert missing.value.upstream_status == 404
    with pytest.raises(UpstreamError) as empty:
        await cache.store(transport, f"{MEDIA}/empty.mp4", kind="video")
    assert empty.value.code == "media_empty"
    assert list((tmp_path / "cache").glob("*")) == []


async def test_a_disk_failure_is_a_cache_error(tmp_path: Path, transport: SoraTransport) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(GatewayError) as info:
        await ResultCache(blocker, CacheSettings(enabled=True)).store(
            transport, f"{MEDIA}/clip.mp4", kind="video"
        )
    assert info.value.code == "cache_failed"


async def test_the_total_size_is_kept_by_evicting_the_oldest_files(
    tmp_path: Path, transport: SoraTransport
) -> None:
    cache = _cache(tmp_path, max_total_bytes=len(VIDEO) * 2 + 10)
    first = await cache.store(transport, f"{MEDIA}/clip.mp4", kind="video")
    _age(first.path, 30)
    second = await cache.store(transport, f"{MEDIA}/clip.mp4", kind="video")
    _age(second.path, 20)
    third = await cache.store(transport, f"{MEDIA}/clip.mp4", kind="video")

    assert not first.path.exists()
    assert second.path.exists() and third.path.exists()


async def test_a_file_larger_than_the_whole_cache_is_refused(
    tmp_path: Path, transport: SoraTransport
) -> None:
    cache = _cache(tmp_path, max_total_bytes=100)
    with pytest.raises(UpstreamError, match="larger than the cache allows"):
        await cache.store(transport, f"{MEDIA}/clip.mp4", kind="video")


async def test_sweep_removes_expired_files_and_stale_partial_downloads(
    tmp_path: Path, transport: SoraTransport
) -> None:
    cache = _cache(tmp_path, ttl_seconds=60)
    old = await cache.store(transport, f"{MEDIA}/clip.mp4", kind="video")
    fresh = await cache.store(transport, f"{MEDIA}/clip.mp4", kind="video")
    _age(old.path, 120)
    stale_part = cache.root / "leftover.part"
    stale_part.write_bytes(b"x")
    _age(stale_part, 7200)
    running_part = cache.root / "running.part"
    running_part.write_bytes(b"x")

    assert await cache.sweep() == 2
    assert sorted(p.name for p in cache.root.iterdir()) == sorted([fresh.name, "running.part"])
    assert await _cache(tmp_path / "nowhere").sweep() == 0


async def test_the_sweeper_runs_in_the_background_until_closed(
    tmp_path: Path, transport: SoraTransport
) -> None:
    cache = _cache(tmp_path, ttl_seconds=60, cleanup_interval_seconds=0.05)
    cached = await cache.store(transport, f"{MEDIA}/clip.mp4", kind="video")
    await cache.start()
    try:
        _age(cached.path, 120)
        for _ in range(100):
            if not cached.path.exists():
                break
            await asyncio.sleep(0.02)
        assert not cached.path.exists()
    finally:
        await cache.close()
    await cache.close()  # idempotent


def test_public_base_url_prefers_config_then_the_request_then_host_and_port() -> None:
    configured = ServerSettings(public_base_url="https://gw.example/sora/")
    assert public_base_url(configured, "http://10.0.0.1:8000/") == "https://gw.example/sora"
    assert public_base_url(ServerSettings(), "http://10.0.0.1:8000/") == "http://10.0.0.1:8000"
    assert public_base_url(ServerSettings(host="0.0.0.0", port=9000)) == "http://127.0.0.1:9000"
    assert public_base_url(ServerSettings(host="gw.internal", port=80)) == "http://gw.internal:80"
