import pytest

from plugins.features.remix import REMIX
from router import Features, InvalidRequestError, Parsed

SHARE = "s_0123456789abcdef0123456789abcdef"
OTHER = "s_fedcba9876543210fedcba9876543210"


def parse(prompt: str, **extra: object) -> Parsed:
    return REMIX.parse(prompt, Features(), extra)


def test_share_link() -> None:
    parsed = parse(f"https://sora.chatgpt.com/p/{SHARE} make it night")
    assert parsed == Parsed("make it night", Features(remix_target=SHARE))


@pytest.mark.parametrize(
    "link",
    [
        f"https://sora.chatgpt.com/p/{SHARE}/",
        f"https://sora.chatgpt.com/p/{SHARE}?x=1&y=2",
        f"http://example.com/some/path/{SHARE}#top",
        f"https://sora.chatgpt.com/{SHARE}",
    ],
)
def test_share_link_variants_are_removed_whole(link: str) -> None:
    assert parse(f"remix {link} as anime") == Parsed("remix as anime", Features(remix_target=SHARE))


def test_share_link_inside_a_sentence_keeps_the_punctuation() -> None:
    parsed = parse(f"see https://sora.chatgpt.com/p/{SHARE}?x=1, then make it night.")
    assert parsed == Parsed("see, then make it night.", Features(remix_target=SHARE))


def test_bare_id() -> None:
    assert parse(f"make {SHARE} night") == Parsed("make night", Features(remix_target=SHARE))


def test_id_inside_another_word_or_url_is_found() -> None:
    assert parse(f"clip:{SHARE}").features.remix_target == SHARE
    assert parse(f"https://example.com/watch?v={SHARE}&t=3 again").features.remix_target == SHARE


def test_first_id_wins_and_every_id_is_removed() -> None:
    parsed = parse(f"{SHARE} and https://sora.chatgpt.com/p/{OTHER} mixed")
    assert parsed == Parsed("and mixed", Features(remix_target=SHARE))


def test_only_the_link_may_be_left_empty() -> None:
    assert parse(f"https://sora.chatgpt.com/p/{SHARE}") == Parsed("", Features(remix_target=SHARE))


def test_upper_case_or_short_hex_is_not_an_id() -> None:
    for prompt in ("s_0123456789ABCDEF0123456789ABCDEF", "s_0123abcd"):
        assert parse(prompt) == Parsed(prompt, Features())


def test_newlines_are_kept() -> None:
    parsed = parse(f"{SHARE}\nline one\nline two {SHARE}")
    assert parsed.prompt == "line one\nline two"


def test_explicit_id_wins_and_links_are_still_removed() -> None:
    parsed = parse(f"https://sora.chatgpt.com/p/{SHARE} at night", remix_target_id=f" {OTHER} ")
    assert parsed == Parsed("at night", Features(remix_target=OTHER))


def test_explicit_id_without_link() -> None:
    assert parse("at night", remix_target_id=SHARE) == Parsed("at night", Features(remix_target=SHARE))


def test_empty_explicit_id_is_absent() -> None:
    assert parse(f"{SHARE} at night", remix_target_id="").features.remix_target == SHARE


@pytest.mark.parametrize(
    "value", ["s_123", f"https://sora.chatgpt.com/p/{SHARE}", SHARE.upper(), f"{SHARE}0", ["s_1"]]
)
def test_invalid_explicit_id(value: object) -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse("at night", remix_target_id=value)
    assert info.value.param == "remix_target_id"
