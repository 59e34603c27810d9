"""The cameo flow of spec §6.4 on one account, and the character card it ends with.

Upload (B20) or from-generation (B21), poll (B22), download the avatar (M1), upload it as
``profile.webp`` (B23), finalize (B24), optionally make it public (B25). The sentences are the
original's (purpose-built UIs parse them, the Chinese ones included).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from plugins.sora_video.settings import CharacterSettings
from router import Event, GenerationError, Reasoning, SoraSession, UpstreamError

#: the model whose answer the card is (``source_model``)
MODEL_ID = "avatar-create"
#: the longest wait between two cameo polls after failed ones
MAX_BACKOFF = 30.0

BEGINS = "**Character Creation Begins**\n\nInitializing character creation...\n"
BEGINS_FROM_GENERATION = (
    "**Character Creation Begins**\n\nInitializing character creation from generation id...\n"
)
BEGINS_WITH_VIDEO = "**Character Creation and Video Generation Begins**\n\nInitializing...\n"
DOWNLOADING_VIDEO = "Downloading video file...\n"
UPLOADING_VIDEO = "Uploading video file...\n"
FROM_GENERATION = "Creating character from generation: {generation_id} ...\n"
PROCESSING_VIDEO = "Processing video to extract character...\n"
PROCESSING_GENERATION = "Processing generation to extract character...\n"
RECOGNISED = "✨ 角色已识别: {display_name} (@{username})\n"
DOWNLOADING_AVATAR = "Downloading character avatar...\n"
UPLOADING_AVATAR = "Uploading character avatar...\n"
FINALIZING = "Finalizing character creation...\n"
MAKING_PUBLIC = "Setting character as public...\n"
VIDEO_BEGINS = "**Video Generation Process Begins**\n\nGenerating video with character...\n"
SUMMARY = (
    "角色创建成功，角色名@{username}\n显示名：{display_name}\n"
    "Character ID：{character_id}\nCameo ID：{cameo_id}"
)


@dataclass(frozen=True)
class CameoSource:
    """What a cameo is made from: video bytes (B20) or a generation id (B21)."""

    video: bytes | None = None
    generation_id: str | None = None
    downloaded: bool = False


@dataclass(frozen=True)
class CharacterCard:
    username: str
    display_name: str
    character_id: str
    cameo_id: str
    profile_asset_url: str
    instruction_set: Any
    public: bool
    source_generation_id: str | None
    created_at: int

    def as_dict(self) -> dict[str, Any]:
        card: dict[str, Any] = {
            "username": self.username,
            "display_name": self.display_name,
            "character_id": self.character_id,
            "cameo_id": self.cameo_id,
            "profile_asset_url": self.profile_asset_url,
            "instruction_set": self.instruction_set,
            "public": self.public,
            "source_model": MODEL_ID,
        }
        if self.source_generation_id is not None:
            card["source_generation_id"] = self.source_generation_id
        card["created_at"] = self.created_at
        return card

    def line(self) -> str:
        """The first content chunk: ``{"event":"character_card","card":{…}}`` and a newline."""
        event = {"event": "character_card", "card": self.as_dict()}
        return json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n"

    def summary(self) -> str:
        return SUMMARY.format(
            username=self.username,
            display_name=self.display_name,
            character_id=self.character_id,
            cameo_id=self.cameo_id,
        )


def character_username(hint: str) -> str:
    """The last dot-separated part of Sora's ``username_hint`` plus 3 random digits (spec §6.4)."""
    stem = hint.rsplit(".", 1)[-1].strip() or "character"
    return f"{stem}{100 + secrets.randbelow(900)}"


class CharacterFlow:
    """The cameo flow on one account; ``run`` yields its narration and leaves the result in ``card``."""

    def __init__(self, session: SoraSession, options: CharacterSettings) -> None:
        self._session = session
        self._options = options
        self.card: CharacterCard | None = None

    async def run(self, source: CameoSource, *, begins: str, public: bool = True) -> AsyncIterator[Event]:
        yield Reasoning(begins)
        if source.video is not None:
            if source.downloaded:
                yield Reasoning(DOWNLOADING_VIDEO)
            yield Reasoning(UPLOADING_VIDEO)
            cameo_id = await self._session.upload_cameo_video(source.video)
            yield Reasoning(PROCESSING_VIDEO)
        else:
            assert source.generation_id is not None
            yield Reasoning(FROM_GENERATION.format(generation_id=source.generation_id))
            cameo_id = await self._session.cameo_from_generation(source.generation_id)
            yield Reasoning(PROCESSING_GENERATION)
        status = await self._wait(cameo_id)
        username = character_username(str(status.get("username_hint") or ""))
        display_name = str(status.get("display_name_hint") or "Character")
        yield Reasoning(RECOGNISED.format(display_name=display_name, username=username))
        profile_url = status.get("profile_asset_url")
        if not isinstance(profile_url, str) or not profile_url:
            raise GenerationError("Character creation failed: Sora's cameo has no profile_asset_url")
        yield Reasoning(DOWNLOADING_AVATAR)
        avatar = await self._session.download(profile_url)
        yield Reasoning(UPLOADING_AVATAR)
        pointer = await self._session.upload_profile_asset(avatar)
        yield Reasoning(FINALIZING)
        character_id = await self._session.finalize_cameo(
            cameo_id, username=username, display_name=display_name, profile_asset_pointer=pointer
        )
        if public:
            yield Reasoning(MAKING_PUBLIC)
            await self._session.make_cameo_public(cameo_id)
        self.card = CharacterCard(
            username=username,
            display_name=display_name,
            character_id=character_id,
            cameo_id=cameo_id,
            profile_asset_url=profile_url,
            instruction_set=status.get("instruction_set_hint") or status.get("instruction_set"),
            public=public,
            source_generation_id=source.generation_id,
            created_at=int(time.time()),
        )

    async def _wait(self, cameo_id: str) -> dict[str, Any]:
        """Poll B22 until the cameo is processed; a few failed polls in a row are tolerated."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._options.timeout
        delay = self._options.poll_interval
        errors = 0
        while True:
            await asyncio.sleep(delay)
            delay = self._options.poll_interval
            try:
                status = await self._session.cameo_status(cameo_id)
            except UpstreamError:
                errors += 1
                if errors >= self._options.max_poll_errors:
                    raise
                delay = min(self._options.poll_interval * 2**errors, MAX_BACKOFF)
                continue
            errors = 0
            if status.get("status_message") == "Completed" or status.get("status") == "finalized":
                return status
            if status.get("status") == "failed":
                reason = status.get("status_message") or "Sora could not process the video"
                raise GenerationError(f"Character creation failed: {reason}")
            if loop.time() >= deadline:
                raise GenerationError(
                    f"Character creation timed out after {self._options.timeout:g} s",
                    code="generation_timeout",
                    status_code=504,
                )
