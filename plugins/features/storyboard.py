"""``[5.0s] scene`` markers → ``Features.storyboard`` (one shot per marker)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from router import Features, InvalidRequestError, Parsed, Storyboard, StoryboardShot

#: a shot marker: integer or decimal seconds followed by ``s``: ``[5s]``, ``[5.0s]``, ``[10 s]``
SHOT_MARKER_RE = re.compile(r"\[[ \t]*(?P<seconds>\d+(?:\.\d+)?)[ \t]*[sS][ \t]*\]")


class StoryboardParser:
    """A prompt with at least one shot marker is a storyboard.

    Each marker and the text up to the next marker is a shot; the text before the first marker
    is the storyboard's instructions. The prompt itself is returned unchanged: the model plugin
    renders the storyboard for the upstream.
    """

    name = "storyboard"

    def parse(self, prompt: str, features: Features, extra: Mapping[str, Any]) -> Parsed:
        markers = list(SHOT_MARKER_RE.finditer(prompt))
        if not markers:
            return Parsed(prompt=prompt, features=features)
        shots: list[StoryboardShot] = []
        ends = [m.start() for m in markers[1:]] + [len(prompt)]
        for number, (marker, end) in enumerate(zip(markers, ends, strict=True), 1):
            scene = prompt[marker.end() : end].strip()
            if not scene:
                raise InvalidRequestError(
                    f"Storyboard shot {number} ({marker[0]}) has no scene text; "
                    "write each shot as '[5s] what happens'",
                    param="messages",
                )
            shots.append(StoryboardShot(seconds=marker["seconds"], scene=scene))
        storyboard = Storyboard(shots=tuple(shots), instructions=prompt[: markers[0].start()].strip())
        return Parsed(prompt=prompt, features=features.with_(storyboard=storyboard))
