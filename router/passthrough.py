"""The generic-router passthrough: chat models no plugin serves, proxied through ``litellm.Router``.

The models are litellm ``model_list`` entries under ``passthrough:`` in the YAML (see
:class:`router.config.PassthroughSettings`)::

    passthrough:
      model_list:
        - model_name: local-echo                  # the public name clients send
          litellm_params: {model: openai/echo-model, api_base: "http://llm:8080/v1", api_key: {$env: LLM_KEY}}
      router_settings: {num_retries: 2, timeout: 60}

litellm is the only import here that costs seconds (about 2 s and 180 MiB), so it is imported
lazily, by this module alone: when :meth:`Passthrough.start` finds a configured model, or on
the first call. Before the import the environment is set so that litellm downloads nothing and
reads no ``.env`` file (:data:`LITELLM_ENV`). Afterwards its debug banners, telemetry and message
logging are switched off; no logging callback is registered (the Router adds only its own, for
cooldown bookkeeping).

Clients choose only OpenAI chat parameters. The known ones (:data:`CHAT_PARAMS`) are handed to
litellm; any other key travels to the upstream in the JSON body (``extra_body``), where litellm
does not read it. A client can therefore never set litellm's own keywords such as ``api_base``
or ``api_key``. litellm exceptions become :class:`router.errors.GatewayError` subclasses whose
messages have the configured secrets removed.
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import os
import re
import uuid
import warnings
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping
from typing import Any, NoReturn

from router.config import PassthroughSettings
from router.errors import (
    ConcurrencyLimitError,
    ContentPolicyError,
    GatewayError,
    InvalidRequestError,
    ModelNotFoundError,
    UnsupportedParameterError,
    UpstreamAuthError,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamOverloadError,
    UpstreamRejectedError,
    UpstreamTimeoutError,
)

#: set (unless already set) before litellm is imported
LITELLM_ENV: Mapping[str, str] = {
    # the bundled cost map instead of a GET to GitHub (5 s timeout) during ``import litellm``
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    # in "DEV" mode (the default) ``import litellm`` loads ./.env into os.environ
    "LITELLM_MODE": "PRODUCTION",
}

#: OpenAI chat-completion parameters passed to litellm as keywords (``model``/``stream`` are ours)
CHAT_PARAMS = frozenset(
    {
        "messages",
        "audio",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "logprobs",
        "max_completion_tokens",
        "max_tokens",
        "modalities",
        "n",
        "parallel_tool_calls",
        "prediction",
        "presence_penalty",
        "prompt_cache_key",
        "prompt_cache_retention",
        "reasoning_effort",
        "response_format",
        "safety_identifier",
        "seed",
        "service_tier",
        "stop",
        "store",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "user",
        "verbosity",
        "web_search_options",
    }
)

#: ``litellm_params`` keys whose values never appear in an error message
SECRET_PARAM = re.compile(r"key|token|secret|password|credential|api_base|base_url", re.IGNORECASE)
#: secret-looking strings removed from error messages even when they are not in the config
SECRET_PATTERN = re.compile(r"(?i:bearer)\s+[^\s\"',]+|\bsk-[A-Za-z0-9_\-*.]{6,}")
REDACTED = "***"
#: raised by pydantic when it builds the schema of litellm's message types
READONLY_WARNING = r".*`ReadOnly` qualifier"
#: litellm's decoration around the upstream message
MESSAGE_PREFIX = re.compile(r"^(?:litellm\.\w+:\s*)?(?:\w+Error:\s*)?(?:\w+Exception\s*-\s*)?")
MESSAGE_SUFFIX = re.compile(r"\.?\s*Received Model Group=.*$", re.DOTALL)


def load_litellm() -> Any:
    """Import litellm (offline and quiet) and return it; cheap after the first call."""
    for name, value in LITELLM_ENV.items():
        os.environ.setdefault(name, value)
    litellm: Any = importlib.import_module("litellm")
    # ``import litellm`` silences this pydantic warning about its own types process-wide; filters
    # can be reset after the import (pytest does so per test), and the schemas are built lazily
    warnings.filterwarnings("ignore", READONLY_WARNING, UserWarning, r"pydantic\.")
    litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banner on stdout per error
    litellm.telemetry = False
    litellm.turn_off_message_logging = True  # no prompts or answers in litellm's logging payloads
    litellm.disable_hf_tokenizer_download = True  # token counting uses the bundled tokenizers
    return litellm


class Passthrough:
    """The configured litellm models; build with settings, call :meth:`complete` or :meth:`stream`.

    Use one instance per process: litellm keeps its HTTP clients and logging worker in module
    globals, and :meth:`aclose` closes those.
    """

    def __init__(self, settings: PassthroughSettings) -> None:
        self._model_list = [validated_entry(entry, index) for index, entry in enumerate(settings.model_list)]
        self._router_settings = dict(settings.router_settings)
        self._names = list(dict.fromkeys(str(entry["model_name"]) for entry in self._model_list))
        self._secrets = sorted(set(secret_values(self._model_list)), key=len, reverse=True)
        self._router: Any = None

    def model_names(self) -> list[str]:
        """The public model names, in config order, without duplicates (no litellm import)."""
        return list(self._names)

    def has_model(self, name: str) -> bool:
        return name in self._names

    async def start(self) -> None:
        """Import litellm and build the router now if any model is configured (for the lifespan)."""
        if self._model_list:
            await self._get_router()

    async def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        """A non-streamed chat completion as an OpenAI ``chat.completion`` dict."""
        model, kwargs = self._request(body, stream=False)
        router = await self._get_router()
        try:
            response = await router.acompletion(model=model, **kwargs)
        except Exception as exc:
            self._raise_mapped(exc)
        result: dict[str, Any] = without_provider_fields(response.model_dump(exclude_none=True))
        result["model"] = model
        for choice in result.get("choices", []):
            choice.get("message", {}).setdefault("content", None)
        return result

    async def stream(self, body: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
        """``chat.completion.chunk`` dicts sharing one ``id``; errors are raised as GatewayErrors.

        Nothing is sent upstream before the first ``__anext__()``; an error before the first chunk
        is raised from it, so prime the iterator before sending response headers.
        """
        model, kwargs = self._request(body, stream=True)
        router = await self._get_router()
        try:
            response = await router.acompletion(model=model, stream=True, **kwargs)
        except Exception as exc:
            self._raise_mapped(exc)
        chunks = aiter(response)
        stream_id: str | None = None
        created: int | None = None
        try:
            while True:
                try:
                    chunk = await anext(chunks)
                except StopAsyncIteration:
                    return
                except Exception as exc:
                    self._raise_mapped(exc)
                data: dict[str, Any] = without_provider_fields(chunk.model_dump(exclude_none=True))
                if stream_id is None:
                    stream_id = str(data.get("id") or f"chatcmpl-{uuid.uuid4().hex}")
                    created = data.get("created")
                data.update(id=stream_id, model=model)
                if created is not None:
                    data["created"] = created
                yield normalize_usage_chunk(data)
        finally:
            close = getattr(response, "aclose", None)
            if close is not None:
                await close()

    async def aclose(self) -> None:
        """Release the router and litellm's cached HTTP clients and logging worker."""
        router, self._router = self._router, None
        if router is None:
            return
        router.discard()
        cleanup = importlib.import_module("litellm.llms.custom_httpx.async_client_cleanup")
        await cleanup.close_litellm_async_clients()
        load_litellm().in_memory_llm_clients_cache.flush_cache()
        worker = importlib.import_module("litellm.litellm_core_utils.logging_worker").GLOBAL_LOGGING_WORKER
        await worker.clear_queue()
        await worker.stop()

    async def _get_router(self) -> Any:
        if self._router is None:
            # the import blocks for about 2 s, so it runs off the event loop
            litellm = await asyncio.to_thread(load_litellm)
            if self._router is None:  # another caller may have built it during the await
                self._router = litellm.Router(
                    model_list=copy.deepcopy(self._model_list), **self._router_settings
                )
        return self._router

    def _request(self, body: Mapping[str, Any], *, stream: bool) -> tuple[str, dict[str, Any]]:
        """The public model name and the keywords for ``Router.acompletion``."""
        model = body.get("model")
        if not isinstance(model, str) or not self.has_model(model):
            raise ModelNotFoundError(f"The model `{model}` does not exist.", param="model")
        if not isinstance(body.get("messages"), list):
            raise InvalidRequestError("`messages` must be a list of chat messages.", param="messages")
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in body.items():
            if key in ("model", "stream") or (key == "stream_options" and not stream):
                continue
            (kwargs if key in CHAT_PARAMS else extra)[key] = value
        if extra:
            kwargs["extra_body"] = extra
        return model, kwargs

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return SECRET_PATTERN.sub(REDACTED, text)

    def _raise_mapped(self, exc: Exception) -> NoReturn:
        """Raise the GatewayError for a litellm/openai exception; re-raise anything else."""
        error = gateway_error(exc, self._redact)
        if error is None:
            raise exc
        raise error from exc


def validated_entry(entry: Mapping[str, Any], index: int) -> dict[str, Any]:
    """A copy of one ``model_list`` entry, checked for what this module relies on."""
    name = entry.get("model_name")
    params = entry.get("litellm_params")
    if not isinstance(name, str) or not name:
        raise ValueError(f"passthrough.model_list[{index}]: `model_name` must be a non-empty string")
    if not isinstance(params, Mapping) or not isinstance(params.get("model"), str):
        raise ValueError(f"passthrough.model_list[{index}] ({name}): `litellm_params.model` is required")
    return copy.deepcopy(dict(entry))


def secret_values(model_list: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    """Every configured value that must not reach a client (keys, tokens, upstream URLs)."""
    for entry in model_list:
        for key, value in entry["litellm_params"].items():
            if SECRET_PARAM.search(key) and isinstance(value, str) and len(value) >= 4:
                yield value


def without_provider_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Drop litellm's non-OpenAI ``provider_specific_fields`` from a response or chunk dict."""
    data.pop("provider_specific_fields", None)
    for choice in data.get("choices", []):
        choice.pop("provider_specific_fields", None)
        for part in ("message", "delta"):
            if isinstance(choice.get(part), dict):
                choice[part].pop("provider_specific_fields", None)
    return data


def normalize_usage_chunk(data: dict[str, Any]) -> dict[str, Any]:
    """Give the usage chunk empty ``choices``, as OpenAI does (litellm adds an empty delta)."""
    choices = data.get("choices", [])
    if "usage" in data and all(not c.get("delta") and not c.get("finish_reason") for c in choices):
        data["choices"] = []
    return data


def class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def is_upstream_exception(exc: BaseException) -> bool:
    """Raised by litellm or the openai SDK under it (the only exceptions translated here)."""
    return any(cls.__module__.split(".")[0] in ("litellm", "openai") for cls in type(exc).__mro__)


def clean_message(exc: BaseException, redact: Callable[[str], str]) -> str:
    text = str(getattr(exc, "message", None) or exc)
    text = MESSAGE_SUFFIX.sub("", MESSAGE_PREFIX.sub("", text, count=1)).strip()
    return redact(text) or type(exc).__name__


def gateway_error(exc: BaseException, redact: Callable[[str], str]) -> GatewayError | None:
    """The GatewayError for a litellm exception, or None for exceptions that are not litellm's."""
    if not is_upstream_exception(exc):
        return None
    names = class_names(exc)
    original = getattr(exc, "original_exception", None)
    if "MidStreamFallbackError" in names and isinstance(original, Exception):
        mapped = gateway_error(original, redact)
        if mapped is not None:
            return mapped
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    message = clean_message(exc, redact)
    if "RouterRateLimitError" in names or "RouterRateLimitErrorBasic" in names:
        retry = getattr(exc, "cooldown_time", None)
        wait = f" Try again in {retry:g} seconds." if isinstance(retry, int | float) else ""
        return ConcurrencyLimitError(
            f"No upstream deployment is available for this model right now.{wait}",
            code="rate_limit_exceeded",
            upstream_status=429,
        )
    return by_status(names, status, message)


def by_status(names: set[str], status: int | None, message: str) -> GatewayError:
    """Choose the GatewayError from litellm's class names (specific first), then the status."""
    if "ContentPolicyViolationError" in names:
        return ContentPolicyError(message)
    if "ContextWindowExceededError" in names:
        return InvalidRequestError(message, code="context_length_exceeded", param="messages")
    if "UnsupportedParamsError" in names:
        return UnsupportedParameterError(message)
    if status == 429:
        return ConcurrencyLimitError(message, code="rate_limit_exceeded", upstream_status=429)
    if "Timeout" in names or "APITimeoutError" in names or status in (408, 504):
        return UpstreamTimeoutError(message, upstream_status=status)
    if status in (401, 403):
        # the gateway's configured credentials were refused: not the client's fault, so no 401
        code = "upstream_auth_failed" if status == 401 else "upstream_permission_denied"
        return UpstreamAuthError(message, code=code, upstream_status=status)
    if status == 404:
        return ModelNotFoundError(message, param="model")
    if status is not None and 400 <= status < 500:
        return UpstreamRejectedError(message, upstream_status=status)
    if status == 503:
        return UpstreamOverloadError(message, code="upstream_unavailable", upstream_status=503)
    if "APIConnectionError" in names:
        return UpstreamConnectionError(message, upstream_status=status)
    return UpstreamError(message, upstream_status=status)
