"""Typed FastAPI dependencies over the lifespan-owned services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from router.auth import Principal
from router.errors import AuthenticationError
from router.services import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def require_api_key(request: Request, services: ServicesDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise AuthenticationError("Missing API key: send 'Authorization: Bearer <key>'")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("Malformed Authorization header: expected 'Bearer <key>'")
    principal = await services.auth.verify_api_key(token.strip())
    if principal is None:
        raise AuthenticationError("Incorrect API key provided")
    return principal


ApiKeyDep = Annotated[Principal, Depends(require_api_key)]
