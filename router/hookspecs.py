"""The plugin contract: every hook a sora2api plugin may implement.

Hooks are synchronous (pluggy) and run at start-up, never per request. A hook that needs
I/O returns an awaitable, which the caller resolves with ``await_me_maybe``. No hook here is
``firstresult``. Plugins import only from ``router`` (its ``__all__``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from router.config import Settings
    from router.features import FeatureParser
    from router.models import ModelSpec

PROJECT = "sora2api"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_models(register: Callable[[ModelSpec], None], settings: Settings) -> None:
    """Contribute models.

    :param register: call once per ``ModelSpec``; the core stamps the plugin name, merges
        configured aliases and fails start-up on a duplicate id.
    :param settings: the gateway's settings (read ``settings.plugins.settings[<name>]`` for
        the plugin's own section).
    :return: nothing.
    """


@hookspec
def register_feature_parsers(register: Callable[[FeatureParser], None], settings: Settings) -> None:
    """Contribute request-content parsers (style, storyboard, remix target, generation id).

    :param register: call once per parser; a second parser with the same ``name`` fails start-up.
    :param settings: the gateway's settings; ``settings.features.disabled`` switches parsers off.
    :return: nothing.
    """
