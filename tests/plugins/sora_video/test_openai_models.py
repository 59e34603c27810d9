"""OpenAI's seconds and sizes → the Sora variant (``plugins/sora_video/openai_models.py``)."""

from __future__ import annotations

import pytest

from plugins.sora_video.openai_models import (
    choose_variant,
    echo_size,
    publishing_options,
    result_variants,
    round_up,
)
from router import Dimensions, InvalidRequestError, Settings


@pytest.mark.parametrize(
    ("pro", "seconds", "size", "variant"),
    [
        (False, None, None, "sora2-portrait-10s"),
        (False, 4, Dimensions(1280, 720), "sora2-landscape-10s"),
        (False, 8, Dimensions(720, 1280), "sora2-portrait-10s"),
        (False, 12, Dimensions(1280, 720), "sora2-landscape-15s"),
        (False, 16, Dimensions(1280, 720), "sora2-landscape-25s"),
        (False, 60, Dimensions(1280, 720), "sora2-landscape-25s"),
        (False, 8, Dimensions(1792, 1024), "sora2-landscape-10s"),  # no large on the standard model
        (False, 8, Dimensions(1024, 1024), "sora2-portrait-10s"),  # square: portrait
        (True, 8, Dimensions(1280, 720), "sora2pro-landscape-10s"),
        (True, 12, Dimensions(1792, 1024), "sora2pro-hd-landscape-15s"),
        (True, 8, Dimensions(1080, 1920), "sora2pro-hd-portrait-10s"),
        (True, 20, Dimensions(1792, 1024), "sora2pro-landscape-25s"),  # duration wins over HD
    ],
)
def test_openai_values_pick_the_variant(
    pro: bool, seconds: int | None, size: Dimensions | None, variant: str
) -> None:
    assert choose_variant(pro, seconds, size).id == variant


def test_round_up_and_echo() -> None:
    assert [round_up(s, (10, 15)) for s in (4, 8, 10, 12, 16, 20)] == [10, 10, 10, 15, 15, 15]
    assert echo_size("landscape", "large") == "1792x1024"
    assert echo_size("portrait", "small") == "720x1280"


def test_publishing_options() -> None:
    settings = Settings()
    assert publishing_options({}, settings) == {}
    assert publishing_options({"watermark": False}, settings) == {"watermark_free": True}
    assert publishing_options({"watermark_free": False}, settings) == {"watermark_free": False}
    assert publishing_options({"private": True}, settings) == {"private": True, "watermark_free": False}
    with pytest.raises(InvalidRequestError):
        publishing_options({"private": True, "watermark_free": True}, settings)
    with pytest.raises(InvalidRequestError):
        publishing_options({"private": "yes"}, settings)
    custom = Settings(
        plugins={"settings": {"plugins.sora_video": {"watermark_free": {"parse_method": "custom"}}}}
    )
    with pytest.raises(InvalidRequestError, match="incomplete"):
        publishing_options({"watermark_free": True}, custom)


def test_result_variants_come_from_the_draft_encodings() -> None:
    draft = {"encodings": {"thumbnail": {"path": "https://videos.example/t.webp"}, "md": {"path": "x"}}}
    assert result_variants(draft) == {"thumbnail": "https://videos.example/t.webp"}
    assert result_variants({"encodings": None}) == {}
