"""The typed request bodies of the Images API (JSON and multipart alike, see ``videos.forms``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from router.api.videos.params import parse_size

#: what OpenAI allows per request
MAX_IMAGES = 10


class ImageGenerate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(max_length=32000)
    model: str | None = None
    n: int | None = Field(default=1, ge=1, le=MAX_IMAGES)
    size: Any = None
    response_format: Literal["url", "b64_json"] | None = None
    quality: str | None = None
    stream: bool | None = None

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("prompt is required: describe the image")
        return value

    @field_validator("size", mode="after")
    @classmethod
    def _size(cls, value: Any) -> str | None:
        if isinstance(value, str) and value.strip().lower() == "auto":
            return "auto"
        size = parse_size(value, allow_auto=True)
        return None if size is None else str(size)

    @field_validator("stream", mode="after")
    @classmethod
    def _no_stream(cls, value: bool | None) -> bool | None:
        if value:
            raise ValueError("streaming (partial images) is not supported; send stream=false")
        return value

    @property
    def count(self) -> int:
        return self.n or 1

    def options(self) -> dict[str, Any]:
        """What the model plugin reads (``GenerationRequest.extra``)."""
        values = {"size": self.size, "quality": self.quality}
        return {key: value for key, value in values.items() if value is not None}


class ImageEdit(ImageGenerate):
    image: Any = None
    images: list[Any] | None = None
    mask: Any = None

    def references(self) -> list[Any]:
        """Every image reference sent (``image``, ``image[]`` or ``images``)."""
        found: list[Any] = []
        for value in (self.image, self.images):
            if isinstance(value, list):
                found += [item for item in value if item is not None]
            elif value is not None:
                found.append(value)
        return found
