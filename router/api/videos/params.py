"""The OpenAI parameters as the Videos and Images APIs read them: tolerant, canonical, 400 with ``param``.

The policy, in one place:

- ``seconds`` is a string in OpenAI's API (``"4"``, ``"8"``, ``"12"``; newer docs add ``"16"``,
  ``"20"``), but clients also send numbers and ``"8s"``. Any positive whole number of seconds up
  to :data:`MAX_SECONDS` is accepted and handed on as its canonical string (``"8"``); which
  durations the upstream really renders (and the rounding to them) is the model plugin's business,
  and the video object echoes the effective value. Anything else is a 400 on ``seconds``.
- ``size`` is ``<width>x<height>`` (``x``, ``X``, ``×`` or ``*``, blanks ignored): any two positive
  integers pass and are handed on as ``"1280x720"``; the plugin maps them to the shapes the
  upstream offers (orientation from the aspect, a size class from the resolution) and echoes the
  effective size. Images also take ``"auto"``. Anything else is a 400 on ``size``.

Plugins call :func:`parse_seconds` and :func:`parse_size` too (they are in ``router.__all__``), so
the chat surface, which passes the same fields through untouched, gets the same answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from router.errors import InvalidRequestError

#: longer is no video anyone renders; a typo such as "100000" gets a clear 400
MAX_SECONDS = 600
#: the longest side a size may name
MAX_SIDE = 8192
#: what OpenAI's Videos API uses when the client sends nothing
DEFAULT_VIDEO_SECONDS = "4"
DEFAULT_VIDEO_SIZE = "720x1280"

_SECONDS = re.compile(r"(?P<n>\d+)(?:\.0+)?\s*(?:s|sec|secs|seconds)?", re.IGNORECASE)
_SIZE = re.compile(r"(?P<w>\d+)\s*[xX×*]\s*(?P<h>\d+)")

Orientation = Literal["landscape", "portrait", "square"]


@dataclass(frozen=True)
class Dimensions:
    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def orientation(self) -> Orientation:
        if self.width == self.height:
            return "square"
        return "landscape" if self.width > self.height else "portrait"


def parse_seconds(value: object, *, param: str = "seconds") -> int | None:
    """The whole seconds in ``value`` (``"8"``, ``8``, ``"8s"``, ``"8.0"``), ``None`` when absent."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _bad_seconds(value, param)
    if isinstance(value, int | float):
        if float(value) != int(value):
            raise _bad_seconds(value, param)
        seconds = int(value)
    elif isinstance(value, str) and (match := _SECONDS.fullmatch(value.strip())):
        seconds = int(match["n"])
    else:
        raise _bad_seconds(value, param)
    if not 1 <= seconds <= MAX_SECONDS:
        raise _bad_seconds(value, param)
    return seconds


def parse_size(value: object, *, param: str = "size", allow_auto: bool = False) -> Dimensions | None:
    """``<width>x<height>`` as :class:`Dimensions`; ``None`` when absent (or ``"auto"`` if allowed)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        text = value.strip()
        if allow_auto and text.lower() == "auto":
            return None
        match = _SIZE.fullmatch(text)
        if match is not None:
            size = Dimensions(int(match["w"]), int(match["h"]))
            if 0 < size.width <= MAX_SIDE and 0 < size.height <= MAX_SIDE:
                return size
    examples = "'1280x720' or 'auto'" if allow_auto else "'1280x720' or '720x1280'"
    raise InvalidRequestError(
        f"Invalid size {value!r}: expected <width>x<height> such as {examples}",
        param=param,
        code="invalid_size",
    )


def _bad_seconds(value: object, param: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Invalid seconds {value!r}: expected a whole number of seconds from 1 to {MAX_SECONDS}, "
        "as a string such as '8'",
        param=param,
        code="invalid_seconds",
    )
