"""One typed configuration: ``config/sora2api.yaml`` plus ``SORA2API_*`` environment overrides.

Precedence (highest first): environment (``SORA2API_`` prefix, ``__`` for nesting, e.g.
``SORA2API_UPSTREAM__SORA_BACKEND``), the YAML file, the defaults below. Values of the form
``{"$env": NAME}`` or ``{"$file": path}`` in the YAML are resolved at load time, so secrets
need not be written into the file. Every key is documented in ``config/sora2api.yaml``.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_CONFIG_PATH = Path("config/sora2api.yaml")
CONFIG_PATH_ENV = "SORA2API_CONFIG"

WebhookEventType = Literal["video.completed", "video.failed", "image.completed", "image.failed"]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = 8000
    #: base URL clients use to reach the gateway (for cached-file links); derived from the request if empty
    public_base_url: str = ""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    #: serve Prometheus metrics at /metrics (no secrets in them; restrict access at the proxy if needed)
    metrics: bool = True


class DatabaseSettings(Section):
    url: str = "sqlite+aiosqlite:///data/sora2api.db"
    #: Fernet key for tokens at rest; generated into ``<data_dir>/secret.key`` when empty
    encryption_key: str = ""
    echo: bool = False


class AuthSettings(Section):
    #: API keys accepted on /v1 in addition to keys stored in the database
    api_keys: list[str] = Field(default_factory=list)
    #: API keys accepted on /v1 that also see and manage every caller's tasks (videos, characters)
    admin_api_keys: list[str] = Field(default_factory=list)
    admin_username: str = "admin"
    #: plain admin password from config; when empty a password is generated on first start
    admin_password: str = ""


class UpstreamSettings(Section):
    sora_backend: str = "https://sora.chatgpt.com/backend"
    sora_web: str = "https://sora.chatgpt.com"
    chatgpt: str = "https://chatgpt.com"
    openai_auth: str = "https://auth.openai.com"
    #: global proxy for every upstream call (http://, https://, socks5://); empty = direct
    proxy: str = ""
    #: proxy for image and file uploads, ahead of the account's and the global proxy; empty = none
    image_upload_proxy: str = ""
    #: proxy for sentinel traffic: the POW service call and the local sentinel exchange; empty = none
    pow_proxy: str = ""
    #: seconds for generic backend calls
    timeout: float = 120.0
    #: seconds for the create calls (``/nf/create``)
    create_timeout: float = 30.0
    #: seconds for account calls (/me, billing, invite, check) and token conversion
    account_timeout: float = 30.0
    #: seconds for the sentinel exchange
    sentinel_timeout: float = 10.0
    #: seconds for media downloads
    download_timeout: float = 60.0
    #: log upstream requests and responses (secrets redacted)
    debug: bool = False


class PoolSettings(Section):
    #: default per-account video concurrency for new accounts
    video_concurrency: int = 3
    #: default per-account image concurrency for new accounts
    image_concurrency: int = 1
    #: seconds a request waits for a free account slot before failing
    wait_timeout: float = 30.0
    #: how many requests may wait for a slot at once
    max_waiting: int = 1000
    #: default total concurrent tasks (video + image) per new account (-1 = only the per-kind limits)
    total_concurrency: int = -1
    #: how the pool picks among free accounts
    selection: Literal["round_robin", "random", "least_loaded", "quota_aware"] = "least_loaded"
    #: consecutive upstream errors that take an account out with reason ``error_limit``
    error_limit: int = 3
    #: seconds after which an ``error_limit`` account is re-tested (and re-enabled when healthy)
    retest_interval: float = 600.0
    #: seconds before its expiry an access token is renewed from the session or refresh token
    refresh_ahead: float = 86400.0
    #: seconds between two runs of the pool's maintenance (refresh, re-test, quota return)
    maintenance_interval: float = 60.0
    #: seconds an account gets no new task of a kind after Sora said too_many_concurrent_tasks
    concurrency_backoff: float = 30.0
    #: seconds between reloads of the accounts table (accounts added by the CLI are picked up)
    reload_interval: float = 5.0


class SentinelSettings(Section):
    #: ``local``: solve the sentinel proof of work here; ``external``: ask a POW service (local on failure)
    mode: Literal["local", "external"] = "local"
    #: send the account's tokens to the POW source (external: AT/ST in the body; local: the ST cookie)
    use_token_for_pow: bool = False
    #: base URL of the external POW service (``POST {server_url}/api/v1/sora/sentinel-token``)
    server_url: str = ""
    #: bearer key of the external POW service
    api_key: str = ""
    #: seconds a sentinel token is reused until it is rejected (0 = a fresh one for every call)
    cache_ttl: float = 300.0


class TaskSettings(Section):
    #: seconds between polls of one account
    poll_interval: float = 2.5
    image_timeout: float = 300.0
    video_timeout: float = 3000.0
    #: how many times a job that failed before the upstream accepted it is resubmitted
    max_submit_attempts: int = 3
    #: seconds after a submission started that a restarted gateway looks for the job upstream
    #: before it submits the job again (the gateway died between sending it and storing its id)
    submit_grace: float = 180.0


class PluginSettings(Section):
    #: in-repo plugins loaded at start
    builtins: list[str] = Field(
        default_factory=lambda: [
            "plugins.sora_image",
            "plugins.sora_video",
            "plugins.prompt_enhance",
            "plugins.features",
        ]
    )
    #: load third-party plugins from the ``sora2api.plugins`` entry-point group
    load_entry_points: bool = True
    #: plugin names never loaded
    blocked: list[str] = Field(default_factory=list)
    #: when non-empty, only these plugin names are loaded (like LLM_LOAD_PLUGINS)
    allow: list[str] = Field(default_factory=list)
    #: print every hook call (debugging)
    trace: bool = False
    #: per-plugin settings, validated by the model each plugin registers
    settings: dict[str, dict[str, Any]] = Field(default_factory=dict)


class MediaSettings(Section):
    #: largest image or video a client may attach (bytes)
    max_upload_bytes: int = 50 * 1024 * 1024
    #: allow fetching client media URLs that resolve to private or loopback addresses (SSRF guard off)
    allow_private_urls: bool = False


class CacheSettings(Section):
    #: download finished images and videos and serve them from the gateway (``GET /files/…``)
    enabled: bool = False
    #: seconds a cached file and its link stay valid
    ttl_seconds: float = 3600.0
    #: largest single file that is cached (bytes); a larger result keeps its upstream URL
    max_file_bytes: int = 512 * 1024 * 1024
    #: total size of the cache folder (bytes); the oldest files are evicted first
    max_total_bytes: int = 10 * 1024 * 1024 * 1024
    #: seconds between two sweeps that delete expired files
    cleanup_interval_seconds: float = 300.0


class FeatureSettings(Section):
    #: feature parsers switched off by name: style, storyboard, remix, generation_id
    disabled: list[str] = Field(default_factory=list)


class PassthroughSettings(Section):
    #: litellm ``model_list`` entries for models no plugin serves
    model_list: list[dict[str, Any]] = Field(default_factory=list)
    #: extra litellm.Router keyword arguments (num_retries, timeout, ...)
    router_settings: dict[str, Any] = Field(default_factory=dict)


class WebhookEndpoint(Section):
    #: where the events are POSTed
    url: str = Field(min_length=1)
    #: the signing secret, ``whsec_`` + base64 of 24 to 64 random bytes (``sora2api webhooks secret``)
    secret: str
    #: the event types sent there; empty = every type
    events: list[WebhookEventType] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("a webhook url starts with http:// or https://")
        return value

    @field_validator("secret")
    @classmethod
    def _signing_secret(cls, value: str) -> str:
        if not value.startswith("whsec_"):
            raise ValueError("a webhook secret starts with 'whsec_' (make one: sora2api webhooks secret)")
        try:
            key = base64.b64decode(value.removeprefix("whsec_"), validate=True)
        except binascii.Error as exc:
            raise ValueError("a webhook secret is 'whsec_' + base64") from exc
        if not 24 <= len(key) <= 64:
            raise ValueError(f"a webhook secret holds 24 to 64 bytes, not {len(key)}")
        return value


class WebhookSettings(Section):
    #: endpoints that receive video.* and image.* events, signed the Standard Webhooks way
    endpoints: list[WebhookEndpoint] = Field(default_factory=list)
    #: attempts per delivery before it is marked failed
    max_attempts: int = Field(default=12, ge=1)
    #: seconds before the first retry; each further retry waits twice as long
    backoff_initial: float = Field(default=5.0, gt=0)
    #: the longest wait between two attempts (seconds)
    backoff_max: float = Field(default=3600.0, gt=0)
    #: seconds one attempt may take
    timeout: float = Field(default=10.0, gt=0)


class Settings(BaseSettings):
    """The whole configuration of one gateway instance."""

    model_config = SettingsConfigDict(
        env_prefix="SORA2API_",
        env_nested_delimiter="__",
        extra="forbid",
        nested_model_default_partial_update=True,
    )

    #: folder for the SQLite file, generated secrets and cached media
    data_dir: Path = Path("data")
    server: ServerSettings = Field(default_factory=ServerSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    upstream: UpstreamSettings = Field(default_factory=UpstreamSettings)
    sentinel: SentinelSettings = Field(default_factory=SentinelSettings)
    pool: PoolSettings = Field(default_factory=PoolSettings)
    tasks: TaskSettings = Field(default_factory=TaskSettings)
    plugins: PluginSettings = Field(default_factory=PluginSettings)
    features: FeatureSettings = Field(default_factory=FeatureSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    passthrough: PassthroughSettings = Field(default_factory=PassthroughSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # environment beats the YAML file, which arrives as init arguments
        return env_settings, init_settings


def _resolve_secrets(value: Any, base: Path) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$env"}:
            return os.environ.get(str(value["$env"]), "")
        if set(value) == {"$file"}:
            path = Path(str(value["$file"]))
            return (path if path.is_absolute() else base / path).read_text().strip()
        return {key: _resolve_secrets(item, base) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve_secrets(item, base) for item in value]
    return value


def read_yaml(path: Path) -> dict[str, Any]:
    """The YAML file as a dict with ``$env``/``$file`` secrets resolved; ``{}`` if it is absent."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the top level must be a mapping")
    resolved: dict[str, Any] = _resolve_secrets(data, path.parent)
    return resolved


def load_settings(path: Path | str | None = None, **overrides: Any) -> Settings:
    """Load the settings from ``path`` (or ``$SORA2API_CONFIG`` or ``config/sora2api.yaml``)."""
    config_path = Path(path or os.environ.get(CONFIG_PATH_ENV) or DEFAULT_CONFIG_PATH)
    data = read_yaml(config_path)
    data.update(overrides)
    return Settings(**data)
