"""The shared Sora transport: the only code in the project that speaks Sora's HTTP.

Build one :class:`SoraTransport` per app from ``settings.upstream`` and close it on shutdown; call
Sora for a leased account through ``transport.session(AccountCredentials(...))``.
"""

from router.sora.auth import RefreshedTokens, SessionExchange
from router.sora.client import SoraSession, SoraTransport
from router.sora.http import CallClass, resolve_proxy
from router.sora.jwt import AccessTokenInfo, decode_access_token
from router.sora.models import (
    AccountCredentials,
    AccountProbe,
    InviteInfo,
    Quota,
    Subscription,
    UserInfo,
)
from router.sora.sentinel import (
    CachingSentinelSource,
    ExternalSentinelSource,
    LocalSentinelSource,
    SentinelSource,
    SentinelToken,
    build_sentinel_source,
)

__all__ = [
    "AccessTokenInfo",
    "AccountCredentials",
    "AccountProbe",
    "CachingSentinelSource",
    "CallClass",
    "ExternalSentinelSource",
    "InviteInfo",
    "LocalSentinelSource",
    "Quota",
    "RefreshedTokens",
    "SentinelSource",
    "SentinelToken",
    "SessionExchange",
    "SoraSession",
    "SoraTransport",
    "Subscription",
    "UserInfo",
    "build_sentinel_source",
    "decode_access_token",
    "resolve_proxy",
]
