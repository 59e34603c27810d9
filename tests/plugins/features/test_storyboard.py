import pytest

from plugins.features.storyboard import StoryboardParser
from router import Features, InvalidRequestError, Parsed, Storyboard, StoryboardShot


def parse(prompt: str) -> Parsed:
    return StoryboardParser().parse(prompt, Features(), {})


def test_decimal_and_integer_seconds_as_written() -> None:
    parsed = parse("[5.0s] a cat walks [10s] it jumps [2.5 s] it lands")
    assert parsed.features.storyboard == Storyboard(
        shots=(
            StoryboardShot("5.0", "a cat walks"),
            StoryboardShot("10", "it jumps"),
            StoryboardShot("2.5", "it lands"),
        )
    )


def test_prompt_is_returned_unchanged() -> None:
    prompt = "Rainy city\n[5s] a cat walks\n"
    assert parse(prompt).prompt == prompt


def test_text_before_the_first_marker_is_the_instructions() -> None:
    storyboard = parse("  A noir film, rainy city.  [5s] a cat walks").features.storyboard
    assert storyboard == Storyboard(
        shots=(StoryboardShot("5", "a cat walks"),), instructions="A noir film, rainy city."
    )


def test_multi_line_storyboard() -> None:
    prompt = "A noir film\n\n[5.0s] a cat walks\ninto a bar\n[10 s] it orders milk\n"
    assert parse(prompt).features.storyboard == Storyboard(
        shots=(StoryboardShot("5.0", "a cat walks\ninto a bar"), StoryboardShot("10", "it orders milk")),
        instructions="A noir film",
    )


def test_brackets_that_are_not_markers_stay_in_the_text() -> None:
    storyboard = parse("A [noir] film [5s] a cat [slowly] walks [5] away").features.storyboard
    assert storyboard == Storyboard(
        shots=(StoryboardShot("5", "a cat [slowly] walks [5] away"),), instructions="A [noir] film"
    )


@pytest.mark.parametrize("prompt", ["a cat [abc] walks", "a cat [5] walks", "a cat 5s walks", "[s] cat"])
def test_no_marker_no_storyboard(prompt: str) -> None:
    assert parse(prompt) == Parsed(prompt, Features())


@pytest.mark.parametrize("prompt", ["[5s] a cat [5s]", "[5s]   \n[5s] a cat", "intro [5.0s]"])
def test_marker_without_text_is_rejected(prompt: str) -> None:
    with pytest.raises(InvalidRequestError, match="has no scene text") as info:
        parse(prompt)
    assert info.value.status == 400
