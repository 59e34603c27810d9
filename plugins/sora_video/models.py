"""The video model tables (spec §5.2, §5.3): variants and extensions as data."""

from __future__ import annotations

from dataclasses import dataclass

FRAMES_PER_SECOND = 30
#: Sora's standard model: what remixes and storyboards always run on (spec §4.8, §4.9)
STANDARD_MODEL = "sy_8"
STANDARD_SIZE = "small"


@dataclass(frozen=True)
class VideoVariant:
    id: str
    orientation: str
    seconds: int
    upstream_model: str
    size: str
    requires_pro: bool

    @property
    def n_frames(self) -> int:
        return self.seconds * FRAMES_PER_SECOND


@dataclass(frozen=True)
class ExtensionVariant:
    """``sora2-extension-<n>s``: continue an existing generation by ``seconds`` (B14)."""

    id: str
    seconds: int


def _family(prefix: str, upstream_model: str, size: str, durations: tuple[int, ...]) -> list[VideoVariant]:
    return [
        VideoVariant(
            id=f"{prefix}-{orientation}-{seconds}s",
            orientation=orientation,
            seconds=seconds,
            upstream_model=upstream_model,
            size=size,
            requires_pro=prefix != "sora2" or seconds == 25,
        )
        for seconds in durations
        for orientation in ("landscape", "portrait")
    ]


VIDEO_VARIANTS: tuple[VideoVariant, ...] = (
    *_family("sora2", STANDARD_MODEL, STANDARD_SIZE, (10, 15, 25)),
    *_family("sora2pro", "sy_ore", STANDARD_SIZE, (10, 15, 25)),
    *_family("sora2pro-hd", "sy_ore", "large", (10, 15)),
)

EXTENSION_VARIANTS: tuple[ExtensionVariant, ...] = (
    ExtensionVariant(id="sora2-extension-10s", seconds=10),
    ExtensionVariant(id="sora2-extension-15s", seconds=15),
)
