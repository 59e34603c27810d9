"""The video plugin's own settings: ``plugins.settings["plugins.sora_video"]`` in the configuration.

Validated at start-up (an unknown key or a bad value stops the gateway with the field named) and
read again where they are used, so a flow always sees the configured values::

    plugins:
      settings:
        plugins.sora_video:
          watermark_free:
            enabled: true
            parse_method: custom            # or third_party (default)
            custom_parse_url: https://parser.example
            custom_parse_token: {"$env": PARSE_TOKEN}
          characters:
            poll_interval: 5.0
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from router import Settings

#: the plugin's name (its module), the key of its section under ``plugins.settings``
PLUGIN_NAME = "plugins.sora_video"
#: the third-party watermark remover of the original (spec §1, W2)
THIRD_PARTY_URL = "https://oscdn2.dyysy.com/MP4/{post_id}.mp4"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WatermarkFreeSettings(_Section):
    """Publish finished videos and hand out a watermark-free link (spec §6.5). Off by default."""

    enabled: bool = False
    #: ``third_party``: the link is ``third_party_url`` with the post id filled in (no request is
    #: made unless the cache downloads it); ``custom``: ask ``custom_parse_url``/get-sora-link
    parse_method: Literal["third_party", "custom"] = "third_party"
    third_party_url: str = THIRD_PARTY_URL
    custom_parse_url: str = ""
    custom_parse_token: str = ""
    #: when the watermark-free link cannot be had, hand out the normal (watermarked) video
    #: instead of failing the task
    fallback_on_failure: bool = True

    @field_validator("third_party_url")
    @classmethod
    def _has_post_id(cls, value: str) -> str:
        if "{post_id}" not in value:
            raise ValueError("must contain the placeholder {post_id}")
        return value

    @model_validator(mode="after")
    def _custom_needs_a_server(self) -> WatermarkFreeSettings:
        if (
            self.enabled
            and self.parse_method == "custom"
            and not (self.custom_parse_url and self.custom_parse_token)
        ):
            raise ValueError("parse_method 'custom' needs custom_parse_url and custom_parse_token")
        return self


class CharacterSettings(_Section):
    """The cameo flow (spec §6.4): how often and how long to wait for Sora to process a cameo."""

    #: seconds between two status polls (the original: 5)
    poll_interval: float = Field(default=5.0, gt=0)
    #: seconds a cameo may take before the request fails (the original: 600)
    timeout: float = Field(default=600.0, gt=0)
    #: consecutive failed status polls tolerated before the request fails (the original: 3)
    max_poll_errors: int = Field(default=3, ge=1)


class VideoPluginSettings(_Section):
    model_config = ConfigDict(extra="forbid", frozen=True, title=f"{PLUGIN_NAME} settings")

    watermark_free: WatermarkFreeSettings = Field(default_factory=WatermarkFreeSettings)
    characters: CharacterSettings = Field(default_factory=CharacterSettings)

    @classmethod
    def of(cls, settings: Settings) -> VideoPluginSettings:
        """The plugin's section of ``settings`` (defaults when absent); raises ``ValidationError``."""
        return cls.model_validate(settings.plugins.settings.get(PLUGIN_NAME, {}))
