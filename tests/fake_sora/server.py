"""``FakeSoraServer``: the simulator on a real socket in a daemon thread (for tests)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from .app import BACKEND_PREFIX, create_app
from .faults import quiet_drops
from .state import FakeSora


class FakeSoraServer:
    """Runs uvicorn on 127.0.0.1 with a free port; use as a context manager or start()/stop()."""

    def __init__(self, sim: FakeSora | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sim = sim or FakeSora()
        self.host = host
        self._port = port
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("server not started")
        port: int = self._socket.getsockname()[1]
        return port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash): sora_web, chatgpt and openai_auth base."""
        return f"http://{self.host}:{self.port}"

    @property
    def backend_url(self) -> str:
        """The Sora backend base: ``base_url + "/backend"``."""
        return self.base_url + BACKEND_PREFIX

    def start(self, timeout: float = 10.0) -> FakeSoraServer:
        quiet_drops()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port))
        self._socket = sock
        config = uvicorn.Config(
            create_app(self.sim),
            lifespan="off",
            log_level="warning",
            access_log=False,
            ws="none",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="fake-sora"
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("fake_sora server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = None

    def __enter__(self) -> FakeSoraServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
