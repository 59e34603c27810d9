"""``FakeSoraServer``: the simulator on a real socket in a daemon thread (for tests)."""

from __future__ import annotations

from tests.support.servers import ThreadedServer

from .app import BACKEND_PREFIX, create_app
from .faults import quiet_drops
from .state import FakeSora


class FakeSoraServer(ThreadedServer):
    """Runs the simulator on 127.0.0.1 with a free port; use as a context manager or start()/stop()."""

    def __init__(self, sim: FakeSora | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sim = sim or FakeSora()
        super().__init__(create_app(self.sim), host=host, port=port, name="fake-sora", lifespan="off")

    @property
    def backend_url(self) -> str:
        """The Sora backend base: ``base_url + "/backend"``."""
        return self.base_url + BACKEND_PREFIX

    def start(self, timeout: float = 10.0) -> FakeSoraServer:
        quiet_drops()
        super().start(timeout)
        return self

    def __enter__(self) -> FakeSoraServer:
        return self.start()
