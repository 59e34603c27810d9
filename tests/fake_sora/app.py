"""``create_app``: one ASGI app for every simulated host.

| Host (spec alias) | Served at |
|---|---|
| SORA backend | ``/backend/...`` |
| SORA_WEB | ``/api/auth/session`` |
| CHATGPT | ``/`` and ``/backend-api/sentinel/req`` |
| AUTH | ``/oauth/token`` |
| media CDN | ``/media/{name}`` |
| custom parse server | ``/get-sora-link`` |
| third-party watermark remover | ``/MP4/{post_id}.mp4`` |
| external POW service | ``/api/v1/sora/sentinel-token`` |
| simulator control | ``/__sim__/...`` |
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import (
    account_routes,
    auth,
    cameos,
    control,
    enhance,
    images,
    media,
    posts,
    powservice,
    sentinel,
    videos,
)
from .errors import SimError, strict
from .faults import FaultMiddleware
from .recording import CONTROL_PREFIX, RecordingMiddleware, record_of
from .state import FakeSora

BACKEND_PREFIX = "/backend"


def _note(request: Request, sim: FakeSora, error: SimError) -> None:
    if not error.violation:
        return
    record = record_of(request.scope)
    if record is not None:
        record.violation = error.message
    sim.note_violation(request.method, request.url.path, error.message, record.account if record else None)


def create_app(sim: FakeSora) -> FastAPI:
    app = FastAPI(title="fake_sora", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sim = sim
    for module in (account_routes, images, videos, posts, cameos, enhance):
        app.include_router(module.router, prefix=BACKEND_PREFIX)
    for router in (
        auth.router,
        sentinel.router,
        media.router,
        posts.root_router,
        powservice.router,
        control.router,
    ):
        app.include_router(router)
    app.add_middleware(FaultMiddleware, sim=sim)
    app.add_middleware(RecordingMiddleware, sim=sim)

    @app.exception_handler(SimError)
    async def sim_error(request: Request, exc: SimError) -> Response:
        _note(request, sim, exc)
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith(CONTROL_PREFIX):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        what = "no such endpoint" if exc.status_code == 404 else f"method {request.method} not allowed"
        error = strict(f"{what}: {request.method} {request.url.path}", status=exc.status_code)
        _note(request, sim, error)
        return error.response()

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith(CONTROL_PREFIX):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        error = strict(f"invalid request: {exc.errors()}")
        _note(request, sim, error)
        return error.response()

    return app
