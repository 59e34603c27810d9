"""``{anime}``-style markers and the explicit ``style_id`` field → ``Features.style``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from plugins.features.cleaning import explicit_field, remove_spans
from router import Features, InvalidRequestError, Parsed

#: the style ids Sora accepts as ``style_id`` (there is no upstream list endpoint)
STYLES = (
    "festive",
    "kakalaka",
    "news",
    "selfie",
    "handheld",
    "golden",
    "anime",
    "retro",
    "nostalgic",
    "comic",
)
#: a brace group holding one word, blanks allowed inside the braces: ``{anime}``, ``{ Anime }``
STYLE_MARKER_RE = re.compile(r"\{[ \t]*(?P<style>[^\s{}]+)[ \t]*\}")


class StyleParser:
    """The first brace group naming a known style sets the style; every known-style marker goes.

    An explicit ``style_id`` wins over the markers (which are still removed). Brace groups that
    are not a known style stay in the prompt.
    """

    name = "style"

    def parse(self, prompt: str, features: Features, extra: Mapping[str, Any]) -> Parsed:
        markers = [m for m in STYLE_MARKER_RE.finditer(prompt) if m["style"].lower() in STYLES]
        style = _explicit_style(extra)
        if style is None and markers:
            style = markers[0]["style"].lower()
        if style is None:
            return Parsed(prompt=prompt, features=features)
        if markers:
            prompt = remove_spans(prompt, (m.span() for m in markers))
        return Parsed(prompt=prompt, features=features.with_(style=style))


def _explicit_style(extra: Mapping[str, Any]) -> str | None:
    value = explicit_field(extra, "style_id")
    if value is None:
        return None
    if value.lower() not in STYLES:
        raise InvalidRequestError(
            f"Unknown style_id {value!r}; expected one of: {', '.join(STYLES)}", param="style_id"
        )
    return value.lower()
