"""Flows of the video plugin that take no attachment say so, instead of dropping it silently.

Attached images (image-to-video, storyboards) go through ``check_single_image``,
``store_single_image`` and ``upload_stored_image`` of the core; a request with a video goes to
the character flow (``characters.py``) first.
"""

from __future__ import annotations

from router import GenerationRequest, InvalidRequestError


def refuse_media(request: GenerationRequest, flow: str) -> None:
    if request.images or request.videos:
        raise InvalidRequestError(f"{flow} takes no attached image or video", param="messages")
