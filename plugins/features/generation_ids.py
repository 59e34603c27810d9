"""Sora generation ids (``gen_…``) and the explicit ``generation_id`` → ``Features.generation_id``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from plugins.features.cleaning import URL_HEAD, URL_TAIL, explicit_field, remove_spans
from router import Features, InvalidRequestError, Parsed

#: a generation (draft) id, e.g. ``gen_01k9btrqrnen792yvt703dp0tq``
GENERATION_ID = r"gen_[A-Za-z0-9]+"
GENERATION_ID_RE = re.compile(GENERATION_ID)
#: a URL whose last path segment is the id (``https://sora.chatgpt.com/g/gen_…``), or a bare id
GENERATION_RE = re.compile(
    rf"(?P<link>{URL_HEAD}(?P<link_id>{GENERATION_ID}){URL_TAIL})|(?P<bare_id>{GENERATION_ID})"
)


class GenerationIdParser:
    """The first generation id found (or an explicit ``generation_id``) is the generation id.

    Every id, and every URL that only wraps one, is removed from the prompt.
    """

    name = "generation_id"

    def parse(self, prompt: str, features: Features, extra: Mapping[str, Any]) -> Parsed:
        found = list(GENERATION_RE.finditer(prompt))
        generation_id = _explicit_id(extra)
        if generation_id is None and found:
            generation_id = found[0]["link_id"] or found[0]["bare_id"]
        if generation_id is None:
            return Parsed(prompt=prompt, features=features)
        if found:
            prompt = remove_spans(prompt, (m.span() for m in found))
        return Parsed(prompt=prompt, features=features.with_(generation_id=generation_id))


def _explicit_id(extra: Mapping[str, Any]) -> str | None:
    value = explicit_field(extra, "generation_id")
    if value is not None and not GENERATION_ID_RE.fullmatch(value):
        raise InvalidRequestError(
            f"Invalid generation_id {value!r}; expected a Sora generation id like 'gen_01abc…'",
            param="generation_id",
        )
    return value
