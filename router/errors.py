"""The gateway's one error tree.

Every error the gateway reports to a client is a :class:`GatewayError`. A single
exception handler renders it as the OpenAI envelope
``{"error": {"message", "type", "param", "code"}}`` with ``status_code``.
Upstream (Sora) failures are translated into :class:`UpstreamError` subclasses
at the transport boundary (``router.sora.errors.map_upstream_errors``); nothing
else catches ``httpx`` exceptions.

    GatewayError                      500 server_error
    ├── InvalidRequestError           400 invalid_request_error
    │   └── UnsupportedParameterError 400 (code unsupported_parameter)
    ├── AuthenticationError           401 invalid_api_key
    ├── PermissionDeniedError         403
    ├── NotFoundError                 404
    │   └── ModelNotFoundError        404 model_not_found
    ├── ConflictError                 409
    ├── PoolError                     503
    │   ├── NoAccountError            503 no_account_for_plan / no_available_account
    │   └── PoolTimeoutError          503 pool_timeout
    ├── GenerationError               500 generation_failed
    │   ├── ContentPolicyError        400 content_policy_violation
    │   └── GenerationTimeoutError    504 generation_timeout
    └── UpstreamError                 502 upstream_error
        ├── UpstreamTimeoutError      504 upstream_timeout
        ├── UpstreamConnectionError   502 upstream_unreachable
        │   └── UpstreamDisconnectedError 502 upstream_disconnected
        ├── UpstreamBadResponseError  502 upstream_bad_response
        ├── UpstreamAuthError         502 token_invalid
        ├── UpstreamRejectedError     400 upstream_rejected
        ├── ConcurrencyLimitError     429 too_many_concurrent_tasks
        ├── QuotaExhaustedError       429 quota_exhausted
        ├── SentinelBlockError        502 sentinel_block
        ├── CloudflareChallengeError  502 cloudflare_challenge
        ├── UnsupportedCountryError   403 unsupported_country_code
        └── UpstreamOverloadError     503 heavy_load
"""

from __future__ import annotations

from typing import Any, ClassVar


class GatewayError(Exception):
    """Base of every error the gateway reports; rendered as the OpenAI envelope."""

    status_code: ClassVar[int] = 500
    error_type: ClassVar[str] = "server_error"
    default_code: ClassVar[str | None] = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else self.default_code
        self.param = param
        if status_code is not None:
            self.status = status_code
        else:
            self.status = self.status_code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(message={self.message!r}, code={self.code!r}, status={self.status})"

    def to_dict(self) -> dict[str, Any]:
        """The OpenAI error envelope for this error."""
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }


class InvalidRequestError(GatewayError):
    status_code = 400
    error_type = "invalid_request_error"


class UnsupportedParameterError(InvalidRequestError):
    default_code = "unsupported_parameter"


class AuthenticationError(GatewayError):
    status_code = 401
    error_type = "invalid_request_error"
    default_code = "invalid_api_key"


class PermissionDeniedError(GatewayError):
    status_code = 403
    error_type = "invalid_request_error"
    default_code = "permission_denied"


class NotFoundError(GatewayError):
    status_code = 404
    error_type = "invalid_request_error"
    default_code = "not_found"


class ModelNotFoundError(NotFoundError):
    default_code = "model_not_found"


class ConflictError(GatewayError):
    status_code = 409
    error_type = "invalid_request_error"
    default_code = "conflict"


class PoolError(GatewayError):
    """No upstream account could take the work."""

    status_code = 503
    error_type = "server_error"
    default_code = "no_available_account"


class NoAccountError(PoolError):
    """No account in the pool is eligible (plan, kind, state)."""


class PoolTimeoutError(PoolError):
    """Eligible accounts exist but none freed a slot before the deadline."""

    default_code = "pool_timeout"


class GenerationError(GatewayError):
    """The upstream accepted the job but it did not produce a result."""

    default_code = "generation_failed"


class ContentPolicyError(GenerationError):
    status_code = 400
    error_type = "invalid_request_error"
    default_code = "content_policy_violation"


class GenerationTimeoutError(GenerationError):
    status_code = 504
    default_code = "generation_timeout"


class UpstreamError(GatewayError):
    """A call to the Sora upstream failed; ``retryable`` says whether another try may help."""

    status_code = 502
    error_type = "upstream_error"
    default_code = "upstream_error"
    retryable: ClassVar[bool] = False
    #: the upstream surely did not accept the job (safe to resubmit elsewhere); a class default
    #: that one error may override (an HTTP 500 is a refusal, a gateway timeout is not)
    not_accepted: bool = True

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        status_code: int | None = None,
        upstream_status: int | None = None,
        not_accepted: bool | None = None,
    ) -> None:
        super().__init__(message, code=code, param=param, status_code=status_code)
        self.upstream_status = upstream_status
        if not_accepted is not None:
            self.not_accepted = not_accepted


class UpstreamTimeoutError(UpstreamError):
    status_code = 504
    default_code = "upstream_timeout"
    retryable = True
    not_accepted = False


class UpstreamConnectionError(UpstreamError):
    default_code = "upstream_unreachable"
    retryable = True


class UpstreamDisconnectedError(UpstreamConnectionError):
    """The connection broke after the request was (maybe) sent: the upstream may have accepted it."""

    default_code = "upstream_disconnected"
    not_accepted = False


class UpstreamBadResponseError(UpstreamError):
    default_code = "upstream_bad_response"
    retryable = True
    not_accepted = False


class UpstreamAuthError(UpstreamError):
    """The account's token was rejected (401, ``token_invalidated``, ``token_expired``)."""

    default_code = "token_invalid"
    retryable = True


class UpstreamRejectedError(UpstreamError):
    """The upstream refused the request as malformed (400 that is not a sentinel block)."""

    status_code = 400
    error_type = "invalid_request_error"
    default_code = "upstream_rejected"


class ConcurrencyLimitError(UpstreamError):
    status_code = 429
    error_type = "rate_limit_error"
    default_code = "too_many_concurrent_tasks"
    retryable = True


class QuotaExhaustedError(UpstreamError):
    status_code = 429
    error_type = "rate_limit_error"
    default_code = "quota_exhausted"
    retryable = True

    def __init__(self, message: str, *, resets_in_seconds: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.resets_in_seconds = resets_in_seconds


class SentinelBlockError(UpstreamError):
    default_code = "sentinel_block"
    retryable = True


class CloudflareChallengeError(UpstreamError):
    default_code = "cloudflare_challenge"
    retryable = True


class UnsupportedCountryError(UpstreamError):
    status_code = 403
    error_type = "invalid_request_error"
    default_code = "unsupported_country_code"


class UpstreamOverloadError(UpstreamError):
    status_code = 503
    default_code = "heavy_load"
    retryable = True
