"""Typed events a generation emits; every surface (chat SSE, chat JSON, videos, images) renders them.

Backends never format OpenAI chunks themselves: they yield these and the surface decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from router.errors import GatewayError

ResultKind = Literal["image", "video", "text", "character"]


@dataclass(frozen=True, slots=True)
class Started:
    """The task exists; ``task_id`` is its public id (announced to the client first)."""

    task_id: str


@dataclass(frozen=True, slots=True)
class Reasoning:
    """A progress sentence for humans (chat renders it as ``reasoning_content``)."""

    text: str


@dataclass(frozen=True, slots=True)
class Progress:
    """Machine-readable progress: ``percent`` 0–100 and the upstream status word."""

    percent: int
    status: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class Partial:
    """Content that reaches the client before the result (e.g. a character card line)."""

    text: str


@dataclass(frozen=True, slots=True)
class Completed:
    """The result: media URLs for image/video, ``text`` for text results."""

    kind: ResultKind
    urls: tuple[str, ...] = ()
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Failed:
    """The generation ended with ``error``."""

    error: GatewayError


Event = Started | Reasoning | Progress | Partial | Completed | Failed
TERMINAL = (Completed, Failed)
