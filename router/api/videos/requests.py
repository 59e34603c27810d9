"""The typed request bodies of the Videos API (JSON and multipart alike, see ``forms``).

Unknown fields are ignored, as OpenAI clients expect of a server. Beyond OpenAI's fields a create
takes the Sora options relay clients already send, all optional:

- ``style`` (or ``style_id``): one of Sora's styles (``anime``, ``retro``, ``comic`` …);
- ``storyboard``: shots ``[{"seconds": 5, "prompt": "…"}, …]`` (the ``prompt`` becomes the
  instructions before the shots); in multipart, the list as a JSON string;
- ``watermark_free`` (or ``watermark: false``): publish and hand out the watermark-free file,
  overriding the plugin's ``watermark_free.enabled`` for this video;
- ``private``: never publish this video (no watermark-free copy; it cannot be remixed);
- ``remix_target_id``: remix a published Sora video by its share id (``s_…``).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from router.api.videos.forms import media_digest
from router.api.videos.params import parse_seconds, parse_size


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", arbitrary_types_allowed=True)


class StoryboardShot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(gt=0, validation_alias=AliasChoices("seconds", "duration"))
    prompt: str = Field(min_length=1, validation_alias=AliasChoices("prompt", "scene"))


class VideoCreate(_Body):
    prompt: str = Field(default="", max_length=32000)
    model: str | None = None
    seconds: Any = None
    size: Any = None
    input_reference: Any = None
    style_id: str | None = Field(default=None, validation_alias=AliasChoices("style_id", "style"))
    storyboard: list[StoryboardShot] | None = None
    watermark_free: bool | None = None
    watermark: bool | None = None
    private: bool | None = None
    remix_target_id: str | None = None

    @field_validator("storyboard", mode="before")
    @classmethod
    def _json_list(cls, value: Any) -> Any:
        """Multipart clients send the shots as a JSON string."""
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError("must be a list of {seconds, prompt} shots (JSON in multipart)") from exc
        return value

    @field_validator("seconds", mode="after")
    @classmethod
    def _seconds(cls, value: Any) -> str | None:
        seconds = parse_seconds(value)
        return None if seconds is None else str(seconds)

    @field_validator("size", mode="after")
    @classmethod
    def _size(cls, value: Any) -> str | None:
        size = parse_size(value)
        return None if size is None else str(size)

    @model_validator(mode="after")
    def _has_a_prompt(self) -> VideoCreate:
        if not self.prompt.strip() and not self.storyboard:
            raise ValueError("prompt is required: describe the video to generate")
        return self

    def options(self) -> dict[str, Any]:
        """The fields the model plugin reads (``GenerationRequest.extra``), as sent."""
        values: dict[str, Any] = {
            "seconds": self.seconds,
            "size": self.size,
            "style_id": self.style_id,
            "storyboard": [shot.model_dump() for shot in self.storyboard] if self.storyboard else None,
            "watermark_free": self.watermark_free,
            "watermark": self.watermark,
            "private": self.private,
            "remix_target_id": self.remix_target_id,
        }
        return {key: value for key, value in values.items() if value is not None}

    def fingerprint_fields(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "model": self.model,
            "input_reference": media_digest(self.input_reference),
            **self.options(),
        }


class VideoReference(_Body):
    """``{"id": "video_…"}``: a video of this gateway (uploads cannot be extended or edited)."""

    id: str = Field(min_length=1)


class VideoRemix(_Body):
    prompt: str = Field(min_length=1, max_length=32000)
    style_id: str | None = Field(default=None, validation_alias=AliasChoices("style_id", "style"))
    watermark_free: bool | None = None
    watermark: bool | None = None
    private: bool | None = None

    def options(self) -> dict[str, Any]:
        values = {
            "style_id": self.style_id,
            "watermark_free": self.watermark_free,
            "watermark": self.watermark,
            "private": self.private,
        }
        return {key: value for key, value in values.items() if value is not None}


class VideoEdit(VideoRemix):
    """``POST /v1/videos/edits``: ``video`` names the source (``{"id"}``); served as a remix."""

    video: Any = None


class VideoExtension(VideoRemix):
    """``POST /v1/videos/extensions``: continue ``video`` by ``seconds`` more."""

    video: Any = None
    seconds: Any = None

    @field_validator("seconds", mode="after")
    @classmethod
    def _seconds(cls, value: Any) -> str | None:
        seconds = parse_seconds(value)
        return None if seconds is None else str(seconds)


class CharacterCreate(_Body):
    name: str = Field(min_length=1, max_length=80)
    video: Any = None
