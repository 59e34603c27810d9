"""Client media given as http(s) URLs, fetched behind an SSRF guard.

A client may attach an image or video by URL instead of inline bytes. The gateway downloads it
itself (the upstream only takes uploads), so a URL is a request the gateway makes on the
client's behalf: only ``http``/``https``, only hosts whose every address is public (no private,
loopback, link-local, multicast, reserved or unspecified address, also when wrapped in IPv6)
unless ``media.allow_private_urls`` is on, at most ``media.max_upload_bytes``, within a time
limit. Redirects are followed by the transport; every hop's host is checked before a byte of the
body is read. Every failure is a 400 :class:`~router.errors.InvalidRequestError`.

The download goes through the Sora transport (its proxy chain, its error translation): this
module never touches ``httpx`` itself. What the guard cannot see: a name that resolves to another
address between the check and the connection (DNS rebinding), and the request a redirect sends
to a private hop before the hop is refused (its answer is discarded, never used).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from router.config import MediaSettings
from router.errors import InvalidRequestError, UpstreamError
from router.sora.client import SoraTransport

#: how long one fetch may take in all (the original's download limit for client URLs)
FETCH_TIMEOUT = 30.0
SCHEMES = ("http", "https")
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
}
#: other spellings of an extension that are just as right
SYNONYMS = {"jpg": ("jpeg", "jpe"), "mov": ("qt",)}

#: host, port → every address the host resolves to
Resolver = Callable[[str, int], Awaitable[list[str]]]


@dataclass(frozen=True)
class FetchedMedia:
    data: bytes
    content_type: str
    filename: str


def sniff(data: bytes) -> str | None:
    """The content type the bytes themselves announce (magic numbers), if known."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[4:8] == b"ftyp":
        return "video/quicktime" if data[8:12] == b"qt  " else "video/mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


def real_content_type(data: bytes, declared: str) -> str:
    """What the bytes are: the sniffed type when the magic numbers are known, else the declared one.

    Bytes win over labels because the upstream decodes the bytes: a PNG sent as ``image/jpeg``, or
    a JPEG served as ``image/jpg`` or ``application/octet-stream``, still gets its real type.
    """
    declared = declared.split(";", 1)[0].strip().lower()
    return sniff(data) or declared or "application/octet-stream"


def check_content_type(content_type: str, accepted: Collection[str], *, what: str, param: str | None) -> None:
    """Refuse media whose (real) type the upstream does not take."""
    if content_type not in accepted:
        raise InvalidRequestError(
            f"The attached {what} is {content_type}; accepted types: {', '.join(accepted)}",
            code="unsupported_media_type",
            param=param,
        )


def filename_for(name: str, content_type: str, *, default_stem: str) -> str:
    """A safe upload file name whose extension matches ``content_type``.

    The client's name without its path and control characters, or ``<default_stem>.<ext>``; a
    known type replaces a missing or contradicting extension (``photo`` → ``photo.jpg``).
    """
    name = unquote(name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?').strip(" .")[:200]
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    extension = EXTENSIONS.get(content_type)
    if extension is None:
        return name or f"{default_stem}.bin"
    if suffix.lower() in (extension, *SYNONYMS.get(extension, ())):
        return name
    return f"{stem or default_stem}.{extension}"


def is_public_address(address: str) -> bool:
    """Whether ``address`` is a globally routable unicast address (IPv4-in-IPv6 forms unwrapped)."""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    return ip.is_global and not (
        ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_loopback or ip.is_link_local
    )


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class MediaFetcher:
    """Downloads client media URLs through the Sora transport, behind the SSRF guard."""

    def __init__(
        self,
        transport: SoraTransport,
        settings: MediaSettings,
        *,
        timeout: float = FETCH_TIMEOUT,
        resolver: Resolver = resolve,
    ) -> None:
        self._transport = transport
        self._settings = settings
        self._timeout = timeout
        self._resolve = resolver

    async def fetch(
        self, url: str, *, param: str | None = None, default_stem: str = "upload"
    ) -> FetchedMedia:
        """The bytes at ``url``, their real content type and a file name (from the URL's path)."""
        await self.check_url(url, param=param)
        limit = self._settings.max_upload_bytes
        try:
            async with asyncio.timeout(self._timeout):
                async with self._transport.stream_download(url) as response:
                    for hop in (*response.history[1:], response):
                        await self.check_url(str(hop.url), param=param)
                    declared_size = response.headers.get("content-length", "")
                    if declared_size.isdigit() and int(declared_size) > limit:
                        raise _too_large(url, limit, param)
                    data = bytearray()
                    async for chunk in response.aiter_bytes():
                        data += chunk
                        if len(data) > limit:
                            raise _too_large(url, limit, param)
                    declared_type = response.headers.get("content-type", "")
        except TimeoutError:
            raise _failed(url, f"no complete answer within {self._timeout:g} s", param) from None
        except UpstreamError as exc:
            # the status only: the body may come from a host the guard refuses (a redirect's target)
            reason = f"the host answered HTTP {exc.upstream_status}" if exc.upstream_status else exc.message
            raise _failed(url, reason, param) from exc
        if not data:
            raise _failed(url, "the answer was empty", param)
        content_type = real_content_type(bytes(data), declared_type)
        name = filename_for(urlsplit(url).path, content_type, default_stem=default_stem)
        return FetchedMedia(data=bytes(data), content_type=content_type, filename=name)

    async def check_url(self, url: str, *, param: str | None = None) -> None:
        """Refuse ``url`` unless it is http(s) and its host resolves only to public addresses."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise _refused(url, "it is not a valid URL", param) from exc
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise _refused(url, "only http:// and https:// URLs with a host can be fetched", param)
        if self._settings.allow_private_urls:
            return
        try:
            addresses = await self._resolve(parts.hostname, port)
        except (OSError, UnicodeError) as exc:
            raise _refused(url, f"its host {parts.hostname!r} does not resolve", param) from exc
        if not addresses or not all(is_public_address(address) for address in addresses):
            raise _refused(url, "it points to a private, loopback or otherwise non-public address", param)


def _short(url: str) -> str:
    return url if len(url) <= 120 else url[:117] + "..."


def _refused(url: str, reason: str, param: str | None) -> InvalidRequestError:
    return InvalidRequestError(
        f"The media URL {_short(url)} is refused: {reason}", code="invalid_url", param=param
    )


def _failed(url: str, reason: str, param: str | None) -> InvalidRequestError:
    return InvalidRequestError(
        f"The media URL {_short(url)} could not be fetched: {reason}", code="media_fetch_failed", param=param
    )


def _too_large(url: str, limit: int, param: str | None) -> InvalidRequestError:
    return InvalidRequestError(
        f"The media at {_short(url)} is larger than the limit of {limit} bytes",
        code="file_too_large",
        param=param,
    )
