"""What the parsers share: removing markers from a prompt, URL patterns, explicit request fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from router import InvalidRequestError

#: a URL up to the last path segment: scheme, any host, any path ending in ``/``
URL_HEAD = r"https?://[^\s/?#]+/(?:[^\s?#]*/)?"
#: after the id: an optional trailing slash and query/fragment, not the sentence's own punctuation
URL_TAIL = r"/?(?:[?#]\S*?)?(?=[,.;:!?)\]}'\"]*(?:\s|$))"

_BLANKS = " \t"
_LINE_ENDS = "\r\n"
#: punctuation that should sit right after the preceding word once a marker is gone
_CLOSERS = ",.;:!?)]}"


def remove_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` without the given spans, collapsing only the blanks around each removed span.

    A removed span between two words leaves one space; at the start or end of a line, or before
    punctuation, it leaves nothing; a line that held nothing else disappears. Newlines and
    spacing elsewhere in the prompt are kept.
    """
    gaps: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        while start > 0 and text[start - 1] in _BLANKS:
            start -= 1
        while end < len(text) and text[end] in _BLANKS:
            end += 1
        if gaps and start <= gaps[-1][1]:
            gaps[-1] = (gaps[-1][0], max(gaps[-1][1], end))
        else:
            gaps.append((start, end))
    pieces: list[str] = []
    pos = 0
    for start, end in gaps:
        start, end, joiner = _close_gap(text, max(start, pos), end, pos)
        pieces += [text[pos:start], joiner]
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


def _close_gap(text: str, start: int, end: int, floor: int) -> tuple[int, int, str]:
    """The span to cut (widened by a line break when it emptied its line) and its replacement.

    ``floor`` is where the text not yet cut begins; a widened span never reaches below it.
    """
    before = text[start - 1] if start > 0 else "\n"
    after = text[end] if end < len(text) else "\n"
    if before in _LINE_ENDS and after in _LINE_ENDS:
        line_break = 2 if text.endswith("\r\n", 0, start) else 1
        if start - line_break >= floor:
            return start - line_break, end, ""
        if end < len(text):
            return start, end + (2 if text.startswith("\r\n", end) else 1), ""
        return start, end, ""
    if before in _LINE_ENDS or after in _LINE_ENDS or after in _CLOSERS:
        return start, end, ""
    if start < end and (text[start] in _BLANKS or text[end - 1] in _BLANKS):
        return start, end, " "
    return start, end, ""


def explicit_field(extra: Mapping[str, Any], key: str) -> str | None:
    """The request field ``key`` stripped, or ``None`` when it is absent or empty."""
    value = extra.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequestError(f"'{key}' must be a string", param=key)
    return value.strip() or None
