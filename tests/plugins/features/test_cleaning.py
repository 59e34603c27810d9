import re

import pytest

from plugins.features.cleaning import remove_spans

MARK = re.compile(r"<x>")


def clean(text: str) -> str:
    return remove_spans(text, (m.span() for m in MARK.finditer(text)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a <x> b", "a b"),
        ("a   <x>   b", "a b"),
        ("a<x>b", "ab"),
        ("<x> a", "a"),
        ("a <x>", "a"),
        ("a <x>, b", "a, b"),
        ("a <x> <x> b", "a b"),
        ("a\n<x>\nb", "a\nb"),
        ("<x>\na", "a"),
        ("a\n<x>", "a"),
        ("a\r\n<x>\r\nb", "a\r\nb"),
        ("a <x>\n  b   c", "a\n  b   c"),
        ("<x>", ""),
        ("a\n<x>\n<x>", "a"),
        ("a\n<x>\n<x>\nb", "a\nb"),
        ("a\n\n<x>\n\nb", "a\n\n\nb"),
    ],
)
def test_remove_spans(text: str, expected: str) -> None:
    assert clean(text) == expected


def test_no_spans_returns_the_text() -> None:
    assert remove_spans("  a  b  ", []) == "  a  b  "
