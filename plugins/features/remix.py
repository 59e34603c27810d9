"""Sora share links and ids (``s_<32 hex>``) or an explicit ``remix_target_id`` → the remix target."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from plugins.features.cleaning import URL_HEAD, URL_TAIL, explicit_field, remove_spans
from router import Features, InvalidRequestError, Parsed

#: a share (post) id
SHARE_ID = r"s_[0-9a-f]{32}"
SHARE_ID_RE = re.compile(SHARE_ID)
#: a share link whose last path segment is the id (``https://sora.chatgpt.com/p/s_…``), or a bare id
SHARE_RE = re.compile(rf"(?P<link>{URL_HEAD}(?P<link_id>{SHARE_ID}){URL_TAIL})|(?P<bare_id>{SHARE_ID})")


class RemixParser:
    """The first share link or id found (or an explicit ``remix_target_id``) is the remix target.

    Every share link and id is removed from the prompt, whichever wins.
    """

    name = "remix"

    def parse(self, prompt: str, features: Features, extra: Mapping[str, Any]) -> Parsed:
        found = list(SHARE_RE.finditer(prompt))
        target = _explicit_target(extra)
        if target is None and found:
            target = found[0]["link_id"] or found[0]["bare_id"]
        if target is None:
            return Parsed(prompt=prompt, features=features)
        if found:
            prompt = remove_spans(prompt, (m.span() for m in found))
        return Parsed(prompt=prompt, features=features.with_(remix_target=target))


def _explicit_target(extra: Mapping[str, Any]) -> str | None:
    value = explicit_field(extra, "remix_target_id")
    if value is not None and not SHARE_ID_RE.fullmatch(value):
        raise InvalidRequestError(
            f"Invalid remix_target_id {value!r}; expected a Sora share id like 's_' + 32 hex digits",
            param="remix_target_id",
        )
    return value
