"""Features found in request content (style, storyboard, remix target, generation id).

The parsers live in a plugin (``plugins/features``), one small module each, and are contributed
through the ``register_feature_parsers`` hook. Model plugins ask for the features they support
by name; a parser that is blocked or disabled in ``features.disabled`` simply finds nothing, and
the prompt is left as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from router.plugins import StartupError


@dataclass(frozen=True)
class StoryboardShot:
    """One ``[5.0s] text`` segment: ``seconds`` as written by the client, ``scene`` its text."""

    seconds: str
    scene: str


@dataclass(frozen=True)
class Storyboard:
    shots: tuple[StoryboardShot, ...]
    #: text before the first ``[Ns]`` marker ("" when there is none)
    instructions: str = ""


@dataclass(frozen=True)
class Features:
    """What the parsers found; ``None`` means absent (or the parser is switched off)."""

    style: str | None = None
    storyboard: Storyboard | None = None
    remix_target: str | None = None
    generation_id: str | None = None

    def with_(self, **changes: Any) -> Features:
        return replace(self, **changes)


@dataclass(frozen=True)
class Parsed:
    prompt: str
    features: Features


class FeatureParser(Protocol):
    """Finds one feature in a prompt and returns the prompt with its marker removed."""

    @property
    def name(self) -> str:
        """The parser's name, used by ``features.disabled`` and by the plugins asking for it."""
        ...

    def parse(self, prompt: str, features: Features, extra: Mapping[str, Any]) -> Parsed:
        """``extra`` holds the request's non-standard fields (e.g. ``remix_target_id``)."""
        ...


class FeatureParsers:
    """The registered parsers by name, in registration order."""

    def __init__(self, disabled: Iterable[str] = ()) -> None:
        self._parsers: dict[str, FeatureParser] = {}
        self._disabled = frozenset(disabled)

    def add(self, parser: FeatureParser) -> None:
        if parser.name in self._parsers:
            raise StartupError(f"feature parser {parser.name!r} registered twice")
        self._parsers[parser.name] = parser

    @property
    def names(self) -> list[str]:
        return [name for name in self._parsers if name not in self._disabled]

    def parse(self, prompt: str, wanted: Iterable[str], extra: Mapping[str, Any] | None = None) -> Parsed:
        """Run the wanted parsers, in the order given, on ``prompt``."""
        parsed = Parsed(prompt=prompt, features=Features())
        for name in wanted:
            parser = self._parsers.get(name)
            if parser is None or name in self._disabled:
                continue
            parsed = parser.parse(parsed.prompt, parsed.features, extra or {})
        return parsed
