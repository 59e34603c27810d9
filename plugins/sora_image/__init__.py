"""Images: gpt-image, gpt-image-landscape, gpt-image-portrait, and OpenAI names (gpt-image-1, dall-e-3)."""

from __future__ import annotations

from collections.abc import Callable

from plugins.sora_image.models import IMAGE_SIZES
from plugins.sora_image.openai_models import OpenAIImageHandler, register_openai_models
from router import ModelSpec, Settings, hookimpl


@hookimpl
def register_models(register: Callable[[ModelSpec], None], settings: Settings) -> None:
    handler = OpenAIImageHandler()  # ImageHandler plus the Images API (openai_models.py)
    for model_id, (width, height) in IMAGE_SIZES.items():
        register(
            ModelSpec(
                id=model_id,
                kind="image",
                handler=handler,
                description=f"Image generation - {width}x{height}",
                params={"width": width, "height": height},
            )
        )
    register_openai_models(register, handler)
