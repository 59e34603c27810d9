"""The model registry: model ids and aliases → ``ModelSpec``, filled by the plugins at start-up."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pluggy

from router.config import Settings
from router.errors import ModelNotFoundError
from router.features import FeatureParser, FeatureParsers
from router.models import ModelSpec
from router.plugins import StartupError


class ModelRegistry:
    """Every model a plugin serves, by id and alias."""

    def __init__(self) -> None:
        self._models: dict[str, ModelSpec] = {}
        self._aliases: dict[str, str] = {}

    def add(self, spec: ModelSpec) -> None:
        for name in (spec.id, *spec.aliases):
            owner = self._models.get(name) or self._models.get(self._aliases.get(name, ""))
            if owner is not None:
                raise StartupError(
                    f"model id {name!r} registered twice: by {owner.plugin!r} and by {spec.plugin!r}"
                )
        self._models[spec.id] = spec
        for alias in spec.aliases:
            self._aliases[alias] = spec.id

    def find(self, name: str) -> ModelSpec | None:
        return self._models.get(name) or self._models.get(self._aliases.get(name, ""))

    def get(self, name: str) -> ModelSpec:
        spec = self.find(name)
        if spec is None:
            raise ModelNotFoundError(f"The model '{name}' does not exist", param="model")
        return spec

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self._models.values())

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.find(name) is not None


def build_registry(pm: pluggy.PluginManager, settings: Settings) -> ModelRegistry:
    """Ask every plugin for its models; duplicate ids fail start-up."""
    registry = ModelRegistry()
    for impl in pm.hook.register_models.get_hookimpls():

        def register(spec: ModelSpec, _plugin: str = impl.plugin_name) -> None:
            registry.add(replace(spec, plugin=_plugin))

        impl.function(register=register, settings=settings)
    return registry


def build_feature_parsers(pm: pluggy.PluginManager, settings: Settings) -> FeatureParsers:
    """Collect the feature parsers of every plugin; duplicate names fail start-up."""
    parsers = FeatureParsers(settings.features.disabled)

    def register(parser: FeatureParser) -> None:
        parsers.add(parser)

    pm.hook.register_feature_parsers(register=register, settings=settings)
    return parsers
