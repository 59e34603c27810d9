"""Images: gpt-image, gpt-image-landscape, gpt-image-portrait."""

from __future__ import annotations

from collections.abc import Callable

from plugins.sora_image.handler import ImageHandler
from plugins.sora_image.models import IMAGE_SIZES
from router import ModelSpec, Settings, hookimpl


@hookimpl
def register_models(register: Callable[[ModelSpec], None], settings: Settings) -> None:
    handler = ImageHandler()
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
