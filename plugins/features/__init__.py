"""Request-content parsers (styles, storyboards, remix ids, generation ids), one small module each."""

from __future__ import annotations

from collections.abc import Callable

from plugins.features.generation_ids import GENERATION_IDS
from plugins.features.remix import REMIX
from plugins.features.storyboard import StoryboardParser
from plugins.features.styles import StyleParser
from router import FeatureParser, Settings, hookimpl


@hookimpl
def register_feature_parsers(register: Callable[[FeatureParser], None], settings: Settings) -> None:
    for parser in (StyleParser(), StoryboardParser(), REMIX, GENERATION_IDS):
        register(parser)
