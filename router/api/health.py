"""GET /healthz: liveness for load balancers and the Docker health check (no auth, no secrets)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
