"""The media fetcher: the SSRF guard, limits, content types and names (no network, fake DNS)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from router.config import MediaSettings, UpstreamSettings
from router.errors import InvalidRequestError
from router.media.fetch import (
    MediaFetcher,
    filename_for,
    is_public_address,
    real_content_type,
    sniff,
)
from router.sora.client import SoraTransport

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
JPEG = b"\xff\xd8\xff\xe0" + bytes(32)
Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]

DNS = {
    "cdn.example.com": ["93.184.216.34"],
    "dual.example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
    "internal.example.com": ["10.0.0.7"],
    "sneaky.example.com": ["93.184.216.34", "192.168.1.1"],
    "metadata.example.com": ["169.254.169.254"],
    "localhost": ["127.0.0.1", "::1"],
}


async def fake_resolve(host: str, port: int) -> list[str]:
    if host in DNS:
        return DNS[host]
    if host.replace(".", "").isdigit() or ":" in host:
        return [host]
    raise OSError(f"no such host {host}")


@pytest.fixture
async def transport_for() -> AsyncIterator[Callable[[Handler], SoraTransport]]:
    opened: list[SoraTransport] = []

    def build(handler: Handler) -> SoraTransport:
        transport = SoraTransport(UpstreamSettings(), transport=httpx.MockTransport(handler))
        opened.append(transport)
        return transport

    yield build
    for transport in opened:
        await transport.aclose()


def fetcher(transport: SoraTransport, **settings: object) -> MediaFetcher:
    return MediaFetcher(transport, MediaSettings(**settings), resolver=fake_resolve, timeout=1.0)


async def serve_png(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})


# -- the guard ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.0.1",
        "127.0.0.1",
        "0.0.0.0",
        "169.254.169.254",
        "100.64.0.1",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:c0a8:0101::1",  # 6to4 around 192.168.1.1
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://internal.example.com/a.png",
        "http://sneaky.example.com/a.png",  # one private address among public ones is enough
        "http://metadata.example.com/latest/meta-data",
        "http://localhost:8000/a.png",
        "http://127.0.0.1/a.png",
        "http://[::1]/a.png",
        "http://10.0.0.1:9000/a.png",
    ],
)
async def test_private_hosts_are_refused_without_a_request(
    transport_for: Callable[[Handler], SoraTransport], url: str
) -> None:
    requests: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return await serve_png(request)

    with pytest.raises(InvalidRequestError) as info:
        await fetcher(transport_for(handler)).fetch(url, param="messages")
    assert info.value.code == "invalid_url"
    assert info.value.status == 400
    assert info.value.param == "messages"
    assert requests == []


@pytest.mark.parametrize(
    "url",
    ["ftp://cdn.example.com/a.png", "file:///etc/passwd", "gopher://x/", "http:///a.png", "http://h:99999/"],
)
async def test_only_http_urls_with_a_host(
    transport_for: Callable[[Handler], SoraTransport], url: str
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        await fetcher(transport_for(serve_png)).fetch(url)
    assert info.value.code == "invalid_url"


async def test_unresolvable_host_is_a_400(transport_for: Callable[[Handler], SoraTransport]) -> None:
    with pytest.raises(InvalidRequestError, match="does not resolve"):
        await fetcher(transport_for(serve_png)).fetch("https://nowhere.invalid/a.png")


async def test_allow_private_urls_turns_the_guard_off(
    transport_for: Callable[[Handler], SoraTransport],
) -> None:
    media = await fetcher(transport_for(serve_png), allow_private_urls=True).fetch(
        "http://127.0.0.1:9/x/pic.png"
    )
    assert (media.data, media.content_type, media.filename) == (PNG, "image/png", "pic.png")
    # the scheme check stays
    with pytest.raises(InvalidRequestError):
        await fetcher(transport_for(serve_png), allow_private_urls=True).fetch("file:///etc/passwd")


async def test_a_redirect_to_a_private_host_is_refused(
    transport_for: Callable[[Handler], SoraTransport],
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "cdn.example.com":
            return httpx.Response(302, headers={"location": "http://metadata.example.com/latest/meta-data"})
        return httpx.Response(200, content=b"secret-role-credentials")

    with pytest.raises(InvalidRequestError) as info:
        await fetcher(transport_for(handler)).fetch("https://cdn.example.com/a.png")
    assert info.value.code == "invalid_url"
    assert "secret" not in info.value.message


async def test_a_redirect_to_a_public_host_is_followed(
    transport_for: Callable[[Handler], SoraTransport],
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "cdn.example.com":
            return httpx.Response(302, headers={"location": "https://dual.example.com/real.png"})
        return await serve_png(request)

    media = await fetcher(transport_for(handler)).fetch("https://cdn.example.com/a.png")
    assert media.data == PNG
    assert media.filename == "a.png"  # the client's name


# -- limits and failures ------------------------------------------------------------------------


async def test_size_limit_declared_and_streamed(transport_for: Callable[[Handler], SoraTransport]) -> None:
    async def declared(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=PNG, headers={"content-length": "999999"})

    async def streamed(request: httpx.Request) -> httpx.Response:
        async def body() -> AsyncIterator[bytes]:
            for _ in range(10):
                yield PNG

        return httpx.Response(200, content=body())

    for handler in (declared, streamed):
        with pytest.raises(InvalidRequestError) as info:
            await fetcher(transport_for(handler), max_upload_bytes=100).fetch("https://cdn.example.com/a.png")
        assert info.value.code == "file_too_large"


async def test_upstream_failures_become_400s(transport_for: Callable[[Handler], SoraTransport]) -> None:
    async def not_found(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text="<html>internal detail</html>")

    async def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async def empty(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"")

    for handler, expected in ((not_found, "HTTP 404"), (broken, "Could not connect"), (empty, "empty")):
        with pytest.raises(InvalidRequestError) as info:
            await fetcher(transport_for(handler)).fetch("https://cdn.example.com/a.png")
        assert info.value.code == "media_fetch_failed"
        assert expected in info.value.message
        assert "internal detail" not in info.value.message


async def test_slow_hosts_time_out(transport_for: Callable[[Handler], SoraTransport]) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return await serve_png(request)

    fast = MediaFetcher(transport_for(slow), MediaSettings(), resolver=fake_resolve, timeout=0.05)
    with pytest.raises(InvalidRequestError, match="within 0.05 s") as info:
        await fast.fetch("https://cdn.example.com/a.png")
    assert info.value.code == "media_fetch_failed"


# -- content types and names --------------------------------------------------------------------


async def test_content_type_from_the_bytes_then_the_header(
    transport_for: Callable[[Handler], SoraTransport],
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("octet"):
            return httpx.Response(200, content=JPEG, headers={"content-type": "application/octet-stream"})
        return httpx.Response(
            200, content=b"plain words", headers={"content-type": "text/plain; charset=utf-8"}
        )

    media = await fetcher(transport_for(handler)).fetch("https://cdn.example.com/photos/octet")
    assert (media.content_type, media.filename) == ("image/jpeg", "octet.jpg")
    media = await fetcher(transport_for(handler)).fetch("https://cdn.example.com/")
    assert (media.content_type, media.filename) == ("text/plain", "upload.bin")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8L", "image/webp"),
        (b"GIF89a" + bytes(8), "image/gif"),
        (b"\x00\x00\x00\x18ftypisom", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  ", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x01", "video/webm"),
        (b"hello", None),
    ],
)
def test_sniff(data: bytes, expected: str | None) -> None:
    assert sniff(data) == expected


def test_real_content_type_prefers_the_bytes() -> None:
    assert real_content_type(JPEG, "image/png") == "image/jpeg"
    assert real_content_type(b"??", "Image/PNG; q=1") == "image/png"
    assert real_content_type(b"??", "") == "application/octet-stream"


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("photo.png", "image/png", "photo.png"),
        ("photo.JPEG", "image/jpeg", "photo.JPEG"),
        ("photo.png", "image/jpeg", "photo.jpg"),
        ("photo", "image/webp", "photo.webp"),
        ("", "image/png", "image.png"),
        ("%2e%2e%2fetc%2fpasswd", "image/png", "passwd.png"),
        ("a\\b\\c.png", "image/png", "c.png"),
        ('we"ird<name>.png', "image/png", "weirdname.png"),
        ("notes.txt", "text/plain", "notes.txt"),
        ("", "text/plain", "image.bin"),
    ],
)
def test_filename_for(name: str, content_type: str, expected: str) -> None:
    assert filename_for(name, content_type, default_stem="image") == expected
