"""The shape both id parsers share: an id in the text (bare or as a URL's last segment) or a field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from plugins.features.cleaning import URL_HEAD, URL_TAIL, explicit_field, remove_spans
from router import Features, InvalidRequestError, Parsed


@dataclass(frozen=True)
class IdFeature:
    """Finds ``id_pattern`` in a prompt or the explicit ``field``; sets ``feature`` on ``Features``.

    The first id found (or the explicit field, which wins) is kept; every id, and every URL that
    only wraps one, is removed from the prompt.
    """

    name: str
    id_pattern: str
    field: str
    feature: str
    example: str

    @property
    def id_re(self) -> re.Pattern[str]:
        return re.compile(self.id_pattern)

    @property
    def text_re(self) -> re.Pattern[str]:
        pattern = self.id_pattern
        return re.compile(rf"(?P<link>{URL_HEAD}(?P<link_id>{pattern}){URL_TAIL})|(?P<bare_id>{pattern})")

    def parse(self, prompt: str, features: Features, extra: Mapping[str, Any]) -> Parsed:
        found = list(self.text_re.finditer(prompt))
        value = self._explicit(extra)
        if value is None and found:
            value = found[0]["link_id"] or found[0]["bare_id"]
        if value is None:
            return Parsed(prompt=prompt, features=features)
        if found:
            prompt = remove_spans(prompt, (m.span() for m in found))
        return Parsed(prompt=prompt, features=features.with_(**{self.feature: value}))

    def _explicit(self, extra: Mapping[str, Any]) -> str | None:
        value = explicit_field(extra, self.field)
        if value is not None and not self.id_re.fullmatch(value):
            raise InvalidRequestError(
                f"Invalid {self.field} {value!r}; expected {self.example}", param=self.field
            )
        return value
