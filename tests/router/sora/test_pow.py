"""Proof of work: checked against computations written independently here."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from router.sora import pow

UA = "Mozilla/5.0 test"
NOW = datetime(2026, 3, 7, 12, 57, 21, tzinfo=timezone(timedelta(hours=8), "CST"))


def config(seed: int = 1) -> list[Any]:
    return pow.build_config(UA, rng=random.Random(seed), now=NOW)


def meets(seed: str, answer: str, difficulty: str) -> bool:
    """The success condition, recomputed with hashlib."""
    digest = hashlib.sha3_512((seed + answer).encode()).digest()
    return digest[: len(difficulty) // 2] <= bytes.fromhex(difficulty)


def encode_attempt(base: list[Any], i: int) -> str:
    """Attempt ``i`` built the straightforward way: copy, set, dump, base64."""
    attempt = list(base)
    attempt[3] = i
    attempt[9] = base[9] + math.ceil(i / 30)
    raw = json.dumps(attempt, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.b64encode(raw).decode("ascii")


def brute_force(seed: str, difficulty: str, base: list[Any], limit: int) -> int | None:
    target = int(difficulty, 16)
    width = len(difficulty) // 2
    for i in range(limit):
        digest = hashlib.sha3_512(seed.encode() + encode_attempt(base, i).encode()).digest()
        if int.from_bytes(digest[:width], "big") <= target:
            return i
    return None


def test_config_has_the_18_fields_of_the_table() -> None:
    values = config()
    assert len(values) == 18
    assert values[0] in (1266, 1536, 1920, 2560, 3000, 3072, 3120, 3840)
    assert values[1] == "Sat Mar 07 2026 12:57:21 GMT+0800 (CST)"
    assert values[2] in (4294967296, 4294705152, 2147483648)
    assert values[3] == 0
    assert values[4] == UA
    assert values[5].endswith(".js")
    assert values[6] is None
    assert (values[7], values[8]) in pow.LANGUAGES
    assert 2 <= values[9] <= 10
    assert "\u2212" in values[10]
    assert isinstance(values[11], str) and isinstance(values[12], str)
    assert 10_000 <= values[13] <= 100_000
    assert uuid.UUID(values[14]).version == 4
    assert values[15] == ""
    assert values[16] in (4, 8, 12, 16, 24, 32)
    assert values[17] == pytest.approx(NOW.timestamp() * 1000 - values[13])


def test_js_date_string_of_utc() -> None:
    assert (
        pow.js_date_string(datetime(2026, 1, 5, 3, 4, 5, tzinfo=UTC))
        == "Mon Jan 05 2026 03:04:05 GMT+0000 (UTC)"
    )


@pytest.mark.parametrize("difficulty", ["0fffff", "07ffff", "00ffff"])
def test_answer_decodes_and_meets_the_target(difficulty: str) -> None:
    base = config()
    seed = "0.123456789"
    answer, solved = pow.solve(seed, difficulty, base)
    assert solved
    assert meets(seed, answer, difficulty)
    decoded = json.loads(base64.b64decode(answer).decode("utf-8"))
    assert len(decoded) == 18
    nonce = decoded[3]
    assert decoded[9] == base[9] + math.ceil(nonce / 30)
    assert [v for k, v in enumerate(decoded) if k not in (3, 9)] == [
        v for k, v in enumerate(base) if k not in (3, 9)
    ]


@pytest.mark.parametrize("seed", ["0.1", "0.987654321", "seed-with-ünïcode"])
def test_first_nonce_matches_a_brute_force(seed: str) -> None:
    base = config(seed=len(seed))
    difficulty = "00ffff"  # about 1 in 256: nonces well past 30, so idx 9 moves
    answer, solved = pow.solve(seed, difficulty, base)
    expected = brute_force(seed, difficulty, base, 20_000)
    assert solved and expected is not None
    assert json.loads(base64.b64decode(answer))[3] == expected
    assert answer == encode_attempt(base, expected)


def test_non_ascii_is_kept_raw() -> None:
    base = config()
    answer, _ = pow.solve("0.5", "ff", base)  # the first attempt always succeeds
    raw = base64.b64decode(answer)
    assert "\u2212".encode() in raw
    assert b"\\u2212" not in raw


def test_failure_returns_the_fixed_answer() -> None:
    answer, solved = pow.solve("0.77", "00000000", config(), max_iterations=50)
    assert not solved
    assert answer == "wQ8Lk5FbGpA2NcR9dShT6gYjU7VxZ4D" + base64.b64encode(b'"0.77"').decode()


def test_requirements_token() -> None:
    rng = random.Random(3)
    token = pow.requirements_token(UA, rng=rng, clock=lambda: NOW)
    assert token.startswith("gAAAAAC")
    replay = random.Random(3)
    seed = str(replay.random())
    assert meets(seed, token.removeprefix("gAAAAAC"), "0fffff")
    assert json.loads(base64.b64decode(token.removeprefix("gAAAAAC")))[4] == UA


def test_answer_token() -> None:
    token = pow.answer_token("0.31", "0fffff", UA, rng=random.Random(5), clock=lambda: NOW)
    assert token.startswith("gAAAAAB")
    assert meets("0.31", token.removeprefix("gAAAAAB"), "0fffff")
