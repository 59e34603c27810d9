"""Render every error as the OpenAI envelope, including FastAPI's own validation and HTTP errors."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from router.errors import GatewayError, InvalidRequestError, NotFoundError


def envelope(error: GatewayError) -> JSONResponse:
    return JSONResponse(error.to_dict(), status_code=error.status)


async def _gateway_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GatewayError)
    return envelope(exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body") or None
    return envelope(
        InvalidRequestError(f"Invalid request: {where or 'body'}: {first.get('msg')}", param=where)
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        error: GatewayError = NotFoundError(f"Unknown path: {request.url.path}")
    elif exc.status_code == 405:
        error = InvalidRequestError(
            f"Method {request.method} not allowed on {request.url.path}", status_code=405
        )
    else:
        error = GatewayError(str(exc.detail), status_code=exc.status_code)
    return envelope(error)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GatewayError, _gateway_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
