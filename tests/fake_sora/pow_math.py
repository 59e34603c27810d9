"""Sentinel proof of work (§7.3): the check the backend makes, and a solver for the POW-service stub."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import time
import uuid
from typing import Any

ANSWER_PREFIX = "gAAAAAB"
INITIAL_PREFIX = "gAAAAAC"
SUFFIX = "~S"
CONFIG_LENGTH = 18


def pow_ok(seed: str, answer: str, difficulty: str) -> bool:
    """SHA3-512(seed ‖ answer): the first len(difficulty)/2 bytes must be ≤ the difficulty bytes."""
    digest = hashlib.sha3_512((seed + answer).encode()).digest()
    target = bytes.fromhex(difficulty)
    return digest[: len(target)] <= target


def decode_config(answer: str) -> list[Any] | None:
    """The fingerprint array inside a PoW token body, or None when it is not one."""
    try:
        value = json.loads(base64.b64decode(answer, validate=True))
    except (binascii.Error, ValueError):
        return None
    return value if isinstance(value, list) and len(value) == CONFIG_LENGTH else None


def fingerprint(user_agent: str) -> list[Any]:
    """An 18-element config array as §7.3 describes (idx 3 and 9 are set per attempt)."""
    perf = random.uniform(10_000, 100_000)
    return [
        random.choice([1920, 2560, 3840]),
        time.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)", time.gmtime()),
        4294967296,
        0,
        user_agent,
        "https://chatgpt.com/backend-api/sentinel/sdk.js",
        None,
        "en-US",
        "en-US,en",
        0,
        "hardwareConcurrency\u22128",
        "location",
        "window",
        perf,
        str(uuid.uuid4()),
        "",
        8,
        time.time() * 1000 - perf,
    ]


def solve(seed: str, difficulty: str, user_agent: str, max_iterations: int = 500_000) -> str | None:
    """The base64 answer B for a challenge, or None if none was found."""
    config = fingerprint(user_agent)
    start = random.randint(2, 10)
    for i in range(max_iterations):
        config[3] = i
        config[9] = start + math.ceil(i / 30)
        answer = base64.b64encode(
            json.dumps(config, separators=(",", ":"), ensure_ascii=False).encode()
        ).decode()
        if pow_ok(seed, answer, difficulty):
            return answer
    return None
