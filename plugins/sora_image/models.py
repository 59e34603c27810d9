"""The image models: id → upstream width × height (spec §5.1)."""

from __future__ import annotations

IMAGE_SIZES: dict[str, tuple[int, int]] = {
    "gpt-image": (360, 360),
    "gpt-image-landscape": (540, 360),
    "gpt-image-portrait": (360, 540),
}
