"""Building the plugin manager: built-ins from config, third parties from entry points."""

from __future__ import annotations

import importlib
import logging
from typing import Any

import pluggy

from router import hookspecs
from router.config import PluginSettings

ENTRY_POINT_GROUP = "sora2api.plugins"
logger = logging.getLogger(__name__)


class StartupError(RuntimeError):
    """The gateway cannot start with this configuration or these plugins."""


def get_plugin_manager(settings: PluginSettings) -> pluggy.PluginManager:
    """A fresh plugin manager: specs added, built-ins registered, entry points loaded, blocks applied."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in settings.blocked:
        pm.set_blocked(name)
    allowed = set(settings.allow)
    for module_name in settings.builtins:
        if allowed and module_name not in allowed:
            continue
        if pm.is_blocked(module_name):
            continue
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise StartupError(f"built-in plugin {module_name!r} cannot be imported: {exc}") from exc
        pm.register(module, name=module_name)
    if settings.load_entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        if allowed:
            for name, plugin in list(pm.list_name_plugin()):
                if name not in allowed and name not in settings.builtins:
                    pm.unregister(plugin=plugin, name=name)
    if settings.trace:
        pm.add_hookcall_monitoring(_before, _after)
    pm.check_pending()
    return pm


def _before(hook_name: str, hook_impls: Any, kwargs: Any) -> None:
    logger.info("hook %s → %s", hook_name, [impl.plugin_name for impl in hook_impls])


def _after(outcome: Any, hook_name: str, hook_impls: Any, kwargs: Any) -> None:
    logger.info("hook %s done", hook_name)
