"""The video model table (spec §5.2): orientation × duration × upstream model × size, as data."""

from __future__ import annotations

from dataclasses import dataclass

FRAMES_PER_SECOND = 30


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
    *_family("sora2", "sy_8", "small", (10, 15, 25)),
    *_family("sora2pro", "sy_ore", "small", (10, 15, 25)),
    *_family("sora2pro-hd", "sy_ore", "large", (10, 15)),
)
