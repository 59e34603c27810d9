"""Videos: the sora2-*, sora2pro-* and sora2pro-hd-* models, sora-2 and sora-2-pro (OpenAI names), and
the sora2-extension-* models."""

from __future__ import annotations

from collections.abc import Callable

from plugins.sora_video.characters import register_characters
from plugins.sora_video.extension import ExtensionHandler
from plugins.sora_video.models import EXTENSION_VARIANTS, VIDEO_VARIANTS
from plugins.sora_video.openai_models import OpenAIVideoHandler, register_openai_models
from router import ModelSpec, Settings, hookimpl


@hookimpl
def register_models(register: Callable[[ModelSpec], None], settings: Settings) -> None:
    handler = OpenAIVideoHandler()  # VideoHandler plus the Videos API (openai_models.py)
    for variant in VIDEO_VARIANTS:
        register(
            ModelSpec(
                id=variant.id,
                kind="video",
                handler=handler,
                description=f"Video generation - {variant.orientation} {variant.seconds}s"
                + (" (Pro)" if variant.requires_pro else ""),
                requires_pro=variant.requires_pro,
                params={
                    "orientation": variant.orientation,
                    "seconds": variant.seconds,
                    "n_frames": variant.n_frames,
                    "upstream_model": variant.upstream_model,
                    "size": variant.size,
                },
            )
        )
    register_openai_models(register, handler)
    extension = ExtensionHandler()
    for ext in EXTENSION_VARIANTS:
        register(
            ModelSpec(
                id=ext.id,
                kind="video",
                handler=extension,
                description=f"Video generation - long video extension ({ext.seconds}s)",
                params={"extension_duration_s": ext.seconds},
            )
        )
    register_characters(register, settings)
