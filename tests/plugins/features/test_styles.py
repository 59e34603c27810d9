import pytest

from plugins.features.styles import STYLES, StyleParser
from router import Features, InvalidRequestError, Parsed


def parse(prompt: str, **extra: object) -> Parsed:
    return StyleParser().parse(prompt, Features(), extra)


def test_every_style_id_is_recognised() -> None:
    assert len(STYLES) == 10
    for style in STYLES:
        assert parse(f"a cat {{{style}}}").features.style == style


def test_marker_is_removed_and_the_style_lower_cased() -> None:
    parsed = parse("{Anime} a cat in the rain")
    assert parsed.features.style == "anime"
    assert parsed.prompt == "a cat in the rain"


def test_marker_anywhere_in_the_prompt() -> None:
    assert parse("a cat {retro} in the rain") == Parsed("a cat in the rain", Features(style="retro"))
    assert parse("a cat in the rain {COMIC}") == Parsed("a cat in the rain", Features(style="comic"))


def test_blanks_inside_the_braces_are_allowed() -> None:
    assert parse("a cat { golden }").features.style == "golden"
    assert parse("a cat { golden }").prompt == "a cat"


def test_a_word_with_inner_spaces_is_not_a_style() -> None:
    assert parse("a cat {gol den}") == Parsed("a cat {gol den}", Features())


def test_unknown_first_known_second() -> None:
    parsed = parse("a {cozy} cat, {anime} style")
    assert parsed.features.style == "anime"
    assert parsed.prompt == "a {cozy} cat, style"


def test_two_known_styles_first_wins_both_removed() -> None:
    parsed = parse("{news} a cat {selfie} outside")
    assert parsed.features.style == "news"
    assert parsed.prompt == "a cat outside"


def test_unknown_braces_alone_leave_the_prompt_untouched() -> None:
    prompt = "  a {cozy}   cat  "
    assert parse(prompt) == Parsed(prompt, Features())


def test_newlines_survive_and_a_marker_line_disappears() -> None:
    parsed = parse("{anime}\nA rainy city\n[5s] a cat {festive}, walking\n[5s] it jumps")
    assert parsed.features.style == "anime"
    assert parsed.prompt == "A rainy city\n[5s] a cat, walking\n[5s] it jumps"


def test_explicit_style_id_wins_but_markers_are_removed() -> None:
    parsed = parse("a cat {anime}", style_id="Retro")
    assert parsed == Parsed("a cat", Features(style="retro"))


def test_explicit_style_id_without_marker() -> None:
    assert parse("a cat", style_id="comic") == Parsed("a cat", Features(style="comic"))


def test_empty_explicit_style_id_is_absent() -> None:
    assert parse("a cat {anime}", style_id="").features.style == "anime"
    assert parse("a cat {anime}", style_id=None).features.style == "anime"


@pytest.mark.parametrize("value", ["watercolor", "an ime", 7])
def test_invalid_explicit_style_id(value: object) -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse("a cat", style_id=value)
    assert info.value.param == "style_id"


def test_other_features_are_kept() -> None:
    parsed = StyleParser().parse("{anime} a cat", Features(remix_target="s_" + "a" * 32), {})
    assert parsed.features == Features(style="anime", remix_target="s_" + "a" * 32)
