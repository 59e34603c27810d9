"""Small real proxies for tests: HTTP (forwarding and CONNECT) and SOCKS5, on loopback sockets.

Each proxy runs its own asyncio loop in a daemon thread and records every connection it carries.
It connects onward *from its own loopback address* (``egress``, e.g. ``127.0.0.3``), so the far
end — the Sora simulator records each request's client address — can tell which proxy (or none:
``127.0.0.1``) carried a call:

    with TestProxy("socks5", egress="127.0.0.3") as proxy:
        ... gateway configured with proxy.url ...
    assert {r.client.split(":")[0] for r in sim.requests_to("/nf/create")} == {"127.0.0.3"}
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import socket
import struct
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

ProxyKind = Literal["http", "socks5"]
HEAD_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Carried:
    """One connection the proxy carried."""

    how: str  # "forward" (plain HTTP through the proxy), "connect" (HTTP CONNECT) or "socks5"
    target: str  # host:port asked for
    egress: str  # the proxy's own address towards the target, "127.0.0.3:41234"


class ProxyRefused(Exception):
    pass


@dataclass
class TestProxy:
    kind: ProxyKind
    egress: str = "127.0.0.1"
    username: str | None = None
    password: str | None = None
    carried: list[Carried] = field(default_factory=list)

    __test__ = False  # not a pytest class

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        auth = f"{self.username}:{self.password}@" if self.username else ""
        return f"{self.kind}://{auth}127.0.0.1:{self.port}"

    def start(self) -> TestProxy:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, daemon=True, name=f"{self.kind}-proxy")
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), loop)
        self.port = future.result(timeout=10)
        return self

    async def _listen(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        loop.close()
        self._loop = None

    def __enter__(self) -> TestProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def targets(self) -> list[str]:
        with self._lock:
            return [item.target for item in self.carried]

    # -- one client connection -------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if self.kind == "socks5":
                await self._socks5(reader, writer)
            else:
                await self._http(reader, writer)
        except (ProxyRefused, ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _open(
        self, how: str, host: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(host, port, local_addr=(self.egress, 0))
        local = writer.get_extra_info("sockname")
        with self._lock:
            self.carried.append(Carried(how, f"{host}:{port}", f"{local[0]}:{local[1]}"))
        return reader, writer

    async def _http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > HEAD_LIMIT:
            raise ProxyRefused
        request_line, *header_lines = head.decode("latin-1").split("\r\n")[:-2]
        method, target, version = request_line.split(" ", 2)
        headers = [line.split(":", 1) for line in header_lines]
        if not self._http_authorized(headers):
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            up_reader, up_writer = await self._open("connect", host.strip("[]"), int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await _pipe(reader, writer, up_reader, up_writer)
            return
        if not target.startswith("http://"):
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        authority, _, path = target[len("http://") :].partition("/")
        host, _, port = authority.rpartition(":") if ":" in authority else (authority, "", "80")
        up_reader, up_writer = await self._open("forward", host, int(port))
        kept = [
            f"{name}:{value}"
            for name, value in headers
            if name.lower() not in ("proxy-authorization", "proxy-connection", "connection")
        ]
        # one request per connection: the answer ends with the upstream closing
        rewritten = [f"{method} /{path} {version}", *kept, "Connection: close", "", ""]
        up_writer.write("\r\n".join(rewritten).encode("latin-1"))
        await _pipe(reader, writer, up_reader, up_writer)

    def _http_authorized(self, headers: list[list[str]]) -> bool:
        if self.username is None:
            return True
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return any(
            name.lower() == "proxy-authorization" and value.strip() == f"Basic {expected}"
            for name, value in headers
        )

    async def _socks5(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        if version != 5:
            raise ProxyRefused
        wanted = 0x02 if self.username is not None else 0x00
        if wanted not in methods:
            writer.write(b"\x05\xff")
            raise ProxyRefused
        writer.write(bytes([5, wanted]))
        if wanted == 0x02:
            _, user_len = await reader.readexactly(2)
            user = (await reader.readexactly(user_len)).decode()
            (password_len,) = await reader.readexactly(1)
            password = (await reader.readexactly(password_len)).decode()
            ok = user == self.username and password == self.password
            writer.write(b"\x01\x00" if ok else b"\x01\x01")
            if not ok:
                raise ProxyRefused
        _, command, _, address_type = await reader.readexactly(4)
        if address_type == 1:
            host = socket.inet_ntoa(await reader.readexactly(4))
        elif address_type == 3:
            (length,) = await reader.readexactly(1)
            host = (await reader.readexactly(length)).decode()
        elif address_type == 4:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        else:
            raise ProxyRefused
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if command != 1:  # CONNECT only
            writer.write(b"\x05\x07\x00\x01" + bytes(6))
            raise ProxyRefused
        up_reader, up_writer = await self._open("socks5", host, port)
        writer.write(b"\x05\x00\x00\x01" + bytes(6))
        await writer.drain()
        await _pipe(reader, writer, up_reader, up_writer)


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    """Copy both ways until either side closes, then close both."""
    tasks = [asyncio.create_task(_copy(reader, up_writer)), asyncio.create_task(_copy(up_reader, writer))]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        up_writer.close()
