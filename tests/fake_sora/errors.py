"""Error responses: the OpenAI envelope, the simulator's strictness errors and canned upstream errors.

Two families share one exception type:

* strictness errors (``violation=True``) — the gateway sent something the spec does not allow.
  They answer 400 with code ``fake_sora_strict`` (or a real upstream code plus a ``fake_sora:``
  detail) and are also collected in ``FakeSora.violations`` so a test can assert there were none;
* simulated upstream errors — what the real service answers (§9.2), used by the state machine
  and by injected faults.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, JSONResponse, Response

SENTINEL_BLOCK_MESSAGE = (
    "Hmmm something didn't look right with your request. Please try again later or visit "
    "https://help.openai.com if this issue persists."
)
TOKEN_INVALIDATED_MESSAGE = "Your authentication token has been invalidated. Please try signing in again."
TOKEN_EXPIRED_MESSAGE = "Provided authentication token is expired. Please try signing in again."
HEAVY_LOAD_MESSAGE = "We're under heavy load, please try again later"
STRICT_CODE = "fake_sora_strict"

CLOUDFLARE_HTML = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head>
<body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">sora.chatgpt.com</h1>
<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
</div></div><script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script></body></html>
"""


class SimError(Exception):
    """An error the simulator answers with the OpenAI error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        type: str = "invalid_request_error",
        param: str | None = None,
        extra: dict[str, Any] | None = None,
        top_level: dict[str, Any] | None = None,
        violation: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.type = type
        self.param = param
        self.extra = extra or {}
        self.top_level = top_level or {}
        self.violation = violation

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code!r}, message={self.message!r})"

    def body(self) -> dict[str, Any]:
        error = {"message": self.message, "type": self.type, "param": self.param, "code": self.code}
        return {"error": {**error, **self.extra}, **self.top_level}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)


def strict(message: str, *, param: str | None = None, status: int = 400) -> SimError:
    """The gateway deviated from the spec: say exactly how."""
    return SimError(status, f"fake_sora: {message}", code=STRICT_CODE, param=param, violation=True)


def sentinel_block(detail: str | None = None, *, violation: bool = True) -> SimError:
    message = SENTINEL_BLOCK_MESSAGE if detail is None else f"{SENTINEL_BLOCK_MESSAGE} (fake_sora: {detail})"
    return SimError(400, message, code="sentinel_block", violation=violation and detail is not None)


def token_invalidated() -> SimError:
    return SimError(401, TOKEN_INVALIDATED_MESSAGE, code="token_invalidated")


def token_expired() -> SimError:
    return SimError(401, TOKEN_EXPIRED_MESSAGE, code="token_expired")


def invalid_request() -> SimError:
    return SimError(400, "Unable to process request", code="invalid_request")


def too_many_concurrent(num_tasks: int) -> SimError:
    return SimError(
        429,
        f"You already have {num_tasks} generations in progress",
        code="too_many_concurrent_tasks",
        extra={"details": {"num_tasks": num_tasks}},
    )


def quota_exhausted(resets_in: int) -> SimError:
    return SimError(
        429,
        "You've reached your video generation limit. Please try again later.",
        code="rate_limit_exhausted",
        type="rate_limit_exhausted",
        top_level={
            "rate_limit_and_credit_balance": {
                "estimated_num_videos_remaining": 0,
                "rate_limit_reached": True,
                "access_resets_in_seconds": resets_in,
            }
        },
    )


def heavy_load() -> SimError:
    return SimError(503, HEAVY_LOAD_MESSAGE, code="heavy_load", type="server_error")


def server_error() -> SimError:
    return SimError(500, "The server had an error while processing your request.", type="server_error")


def unauthorized() -> SimError:
    return SimError(401, "Unauthorized", code="unauthorized")


def not_found(what: str) -> SimError:
    return SimError(404, f"{what} not found", code="not_found")


def cloudflare_page() -> Response:
    return HTMLResponse(
        CLOUDFLARE_HTML,
        status_code=403,
        headers={"server": "cloudflare", "cf-mitigated": "challenge", "cf-ray": "8f0000000000abcd-SJC"},
    )
