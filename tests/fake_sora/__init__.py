"""A strict simulator of the Sora upstream (spec/sora-upstream.md) for tests and demos.

Typical use::

    sim = FakeSora(timing=Timing.fast())
    with FakeSoraServer(sim) as server:
        creds = sim.create_account(plan="chatgpt_pro")
        ...  # point the gateway at server.backend_url / server.base_url
        sim.assert_no_violations()
"""

from .accounts import Account, Credentials
from .app import create_app
from .errors import SimError
from .faults import Fault, SimulatedDrop
from .pow_math import pow_ok
from .recording import FilePart, Record
from .server import FakeSoraServer
from .state import FakeSora
from .timing import (
    DESKTOP_CHROME_UA,
    NEXUS5_UA,
    SORA_ANDROID_UA,
    SimConfig,
    Timing,
)

__all__ = [
    "DESKTOP_CHROME_UA",
    "NEXUS5_UA",
    "SORA_ANDROID_UA",
    "Account",
    "Credentials",
    "FakeSora",
    "FakeSoraServer",
    "Fault",
    "FilePart",
    "Record",
    "SimConfig",
    "SimError",
    "SimulatedDrop",
    "Timing",
    "create_app",
    "pow_ok",
]
