import pytest

from plugins.features.generation_ids import GENERATION_IDS
from router import Features, InvalidRequestError, Parsed

GEN = "gen_01k9btrqrnen792yvt703dp0tq"
OTHER = "gen_01kcybbj56fp7vctvpmx0drrw1"


def parse(prompt: str, **extra: object) -> Parsed:
    return GENERATION_IDS.parse(prompt, Features(), extra)


def test_id_in_text() -> None:
    assert parse(f"extend {GEN} into the sunset") == Parsed(
        "extend into the sunset", Features(generation_id=GEN)
    )


@pytest.mark.parametrize(
    "url",
    [
        f"https://sora.chatgpt.com/g/{GEN}",
        f"https://sora.chatgpt.com/d/{GEN}/",
        f"https://sora.chatgpt.com/g/{GEN}?tab=remix",
    ],
)
def test_url_that_wraps_the_id_is_removed(url: str) -> None:
    assert parse(f"{url} then it rains") == Parsed("then it rains", Features(generation_id=GEN))


def test_url_inside_a_sentence_keeps_the_punctuation() -> None:
    assert parse(f"take https://sora.chatgpt.com/g/{GEN}, add rain").prompt == "take, add rain"


def test_multiple_ids_first_wins_all_removed() -> None:
    parsed = parse(f"{GEN} and https://sora.chatgpt.com/g/{OTHER} and {OTHER}.")
    assert parsed == Parsed("and and.", Features(generation_id=GEN))


def test_no_id() -> None:
    assert parse("a generic prompt") == Parsed("a generic prompt", Features())


def test_explicit_id_wins() -> None:
    parsed = parse(f"{GEN} more rain", generation_id=OTHER)
    assert parsed == Parsed("more rain", Features(generation_id=OTHER))


@pytest.mark.parametrize("value", ["01k9btrq", "gen_", "gen_abc-def", 12])
def test_invalid_explicit_id(value: object) -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse("more rain", generation_id=value)
    assert info.value.param == "generation_id"
