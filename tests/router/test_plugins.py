import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from router import Completed, Event, GenerationContext, GenerationRequest, ModelSpec, Settings, hookimpl
from router.config import PluginSettings
from router.plugins import StartupError, get_plugin_manager
from router.registry import build_registry

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugin-hooks.md"


class EchoHandler:
    async def generate(self, request: GenerationRequest, ctx: GenerationContext) -> AsyncIterator[Event]:
        yield Completed(kind="text", text=request.prompt)


def _plugin(*model_ids: str) -> object:
    @hookimpl
    def register_models(register: Callable[[ModelSpec], None], settings: Settings) -> None:
        for model_id in model_ids:
            register(ModelSpec(id=model_id, kind="image", handler=EchoHandler()))

    return SimpleNamespace(register_models=register_models)


def test_hook_register_models_stamps_the_plugin_name() -> None:
    pm = get_plugin_manager(PluginSettings(builtins=[], load_entry_points=False))
    pm.register(_plugin("echo-1", "echo-2"), name="echo")
    registry = build_registry(pm, Settings())
    assert [spec.id for spec in registry] == ["echo-1", "echo-2"]
    assert {spec.plugin for spec in registry} == {"echo"}


def test_duplicate_model_ids_fail_start_up() -> None:
    pm = get_plugin_manager(PluginSettings(builtins=[], load_entry_points=False))
    pm.register(_plugin("same"), name="first")
    pm.register(_plugin("same"), name="second")
    with pytest.raises(StartupError, match="'same' registered twice"):
        build_registry(pm, Settings())


def test_builtins_register_every_model_of_the_original() -> None:
    pm = get_plugin_manager(PluginSettings(load_entry_points=False))
    ids = {spec.id for spec in build_registry(pm, Settings())}
    assert {"gpt-image", "gpt-image-landscape", "gpt-image-portrait"} <= ids
    for family, durations in (("sora2", (10, 15, 25)), ("sora2pro", (10, 15, 25)), ("sora2pro-hd", (10, 15))):
        for seconds in durations:
            for orientation in ("landscape", "portrait"):
                assert f"{family}-{orientation}-{seconds}s" in ids
    for level in ("short", "medium", "long"):
        for seconds in (10, 15, 20):
            assert f"prompt-enhance-{level}-{seconds}s" in ids


def test_blocked_builtin_is_not_loaded() -> None:
    pm = get_plugin_manager(PluginSettings(load_entry_points=False, blocked=["plugins.prompt_enhance"]))
    ids = {spec.id for spec in build_registry(pm, Settings())}
    assert "gpt-image" in ids
    assert not any(model_id.startswith("prompt-enhance") for model_id in ids)


def test_allow_list_limits_loading() -> None:
    pm = get_plugin_manager(PluginSettings(load_entry_points=False, allow=["plugins.sora_image"]))
    ids = {spec.id for spec in build_registry(pm, Settings())}
    assert ids == {"gpt-image", "gpt-image-landscape", "gpt-image-portrait", "gpt-image-1", "dall-e-3"}


def test_unknown_builtin_fails_start_up() -> None:
    with pytest.raises(StartupError, match="plugins.nope"):
        get_plugin_manager(PluginSettings(builtins=["plugins.nope"], load_entry_points=False))


def test_entry_points_are_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def fake_load(self: object, group: str, name: str | None = None) -> int:
        seen.append(group)
        return 0

    monkeypatch.setattr("pluggy.PluginManager.load_setuptools_entrypoints", fake_load)
    get_plugin_manager(PluginSettings(builtins=[], load_entry_points=True))
    assert seen == ["sora2api.plugins"]


def test_every_hook_is_documented_with_its_signature() -> None:
    pm = get_plugin_manager(PluginSettings(builtins=[], load_entry_points=False))
    documented = set(re.findall(r"^## (\w+\([^)]*\))$", DOCS.read_text(), flags=re.M))
    actual = {
        f"{name}({', '.join(caller.spec.argnames)})"
        for name, caller in vars(pm.hook).items()
        if not name.startswith("_") and caller.spec is not None
    }
    assert documented == actual
