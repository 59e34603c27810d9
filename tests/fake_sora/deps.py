"""FastAPI dependencies: the simulator instance and the account behind the bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .accounts import Account
from .errors import token_invalidated
from .state import FakeSora


def get_sim(request: Request) -> FakeSora:
    sim: FakeSora = request.app.state.sim
    return sim


SimDep = Annotated[FakeSora, Depends(get_sim)]


def bearer_token(request: Request) -> str | None:
    """The token of an exact ``Authorization: Bearer <token>`` header, else None."""
    value = request.headers.get("authorization")
    if value is None or not value.startswith("Bearer ") or not value[7:].strip():
        return None
    return value[7:]


def current_account(request: Request, sim: SimDep) -> Account:
    token = bearer_token(request)
    if token is None:
        raise token_invalidated()
    with sim.lock:
        return sim.accounts.authenticate(token)


AccountDep = Annotated[Account, Depends(current_account)]
