"""The sentinel proof of work (spec §7.3): a browser fingerprint array and a SHA3-512 search.

Pure functions; randomness and time come in as parameters so results are reproducible in tests.
:func:`solve` is CPU-bound (up to 500 000 hashes): async callers run it with ``asyncio.to_thread``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

MAX_ITERATIONS = 500_000
#: prefix of the initial ("requirements") token sent to sentinel/req
REQUIREMENTS_PREFIX = "gAAAAAC"
#: prefix of the answer to the server's challenge
ANSWER_PREFIX = "gAAAAAB"
#: difficulty of the self-imposed requirements search
REQUIREMENTS_DIFFICULTY = "0fffff"
#: what the answer starts with when no nonce was found
FAILURE_PREFIX = "wQ8Lk5FbGpA2NcR9dShT6gYjU7VxZ4D"

SCREEN_SIZES = (1266, 1536, 1920, 2560, 3000, 3072, 3120, 3840)
HEAP_LIMITS = (4294967296, 4294705152, 2147483648)
SCRIPT_URLS = (
    "https://sora-cdn.oaistatic.com/_next/static/chunks/polyfills-42372ed130431b0a.js",
    "https://sora-cdn.oaistatic.com/_next/static/chunks/6974-eaafbe7db9c73c96.js",
    "https://sora-cdn.oaistatic.com/_next/static/chunks/main-app-5f0c58611778fb36.js",
    "https://chatgpt.com/backend-api/sentinel/sdk.js",
)
LANGUAGES = (("zh-CN", "zh-CN,zh"), ("en-US", "en-US,en"), ("ja-JP", "ja-JP,ja,en"), ("ko-KR", "ko-KR,ko,en"))
#: navigator entries; the separator is U+2212 MINUS SIGN, as browsers' fingerprint scripts emit it
NAVIGATOR_KEYS = tuple(
    f"{name}\u2212{value}"
    for name, value in (
        ("mimeTypes", "[object MimeTypeArray]"),
        ("userAgentData", "[object NavigatorUAData]"),
        ("scheduling", "[object Scheduling]"),
        ("keyboard", "[object Keyboard]"),
        ("webkitPersistentStorage", "[object DeprecatedStorageQuota]"),
        ("registerProtocolHandler", "function registerProtocolHandler() { [native code] }"),
        ("storage", "[object StorageManager]"),
        ("locks", "[object LockManager]"),
        ("appCodeName", "Mozilla"),
        ("permissions", "[object Permissions]"),
        ("webdriver", "false"),
        ("vendor", "Google Inc."),
        ("mediaDevices", "[object MediaDevices]"),
        ("cookieEnabled", "true"),
        ("product", "Gecko"),
        ("productSub", "20030107"),
        ("hardwareConcurrency", "32"),
        ("onLine", "true"),
    )
)
DOCUMENT_KEYS = (
    "__reactContainer$3k0e9yog4o3",
    "__reactContainer$ft149nhgior",
    "__reactResources$9nnifsagitb",
    "_reactListeningou2wvttp2d9",
    "_reactListeningu9qurgpwsme",
    "_reactListeningo743lnnpvdg",
    "location",
    "body",
)
WINDOW_KEYS = (
    "getSelection", "btoa", "__next_s", "crossOriginIsolated", "print", "0", "window", "self", "document",
    "name", "location", "navigator", "screen", "innerWidth", "innerHeight", "localStorage", "sessionStorage",
    "crypto", "performance",
)  # fmt: skip
CPU_CORES = (4, 8, 12, 16, 24, 32)

#: indexes of the two values that change per attempt
NONCE_INDEX = 3
COUNTER_INDEX = 9

Clock = Callable[[], datetime]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Solution(NamedTuple):
    answer: str
    solved: bool


def local_now() -> datetime:
    """The host's local time, timezone-aware (the default clock)."""
    return datetime.now().astimezone()


def js_date_string(moment: datetime) -> str:
    """``moment`` like JavaScript's ``Date.toString()``: ``Sat Mar 07 2026 12:57:21 GMT+0800 (CST)``."""
    aware = moment if moment.tzinfo is not None else moment.astimezone()
    offset = aware.strftime("%z") or "+0000"
    zone = aware.tzname() or "UTC"
    return (
        f"{_DAYS[aware.weekday()]} {_MONTHS[aware.month - 1]} {aware.day:02d} {aware.year} "
        f"{aware.hour:02d}:{aware.minute:02d}:{aware.second:02d} GMT{offset} ({zone})"
    )


def build_config(user_agent: str, *, rng: random.Random, now: datetime) -> list[Any]:
    """The 18-element fingerprint array; idx 3 (nonce) is 0 and idx 9 the random counter start."""
    language, languages = rng.choice(LANGUAGES)
    perf_now = rng.uniform(10_000, 100_000)
    return [
        rng.choice(SCREEN_SIZES),  # 0 screen size
        js_date_string(now),  # 1 local time
        rng.choice(HEAP_LIMITS),  # 2 heap limit
        0,  # 3 nonce
        user_agent,  # 4
        rng.choice(SCRIPT_URLS),  # 5 script URL
        None,  # 6
        language,  # 7
        languages,  # 8
        rng.randint(2, 10),  # 9 counter start
        rng.choice(NAVIGATOR_KEYS),  # 10
        rng.choice(DOCUMENT_KEYS),  # 11
        rng.choice(WINDOW_KEYS),  # 12
        perf_now,  # 13 performance.now()
        str(uuid.UUID(int=rng.getrandbits(128), version=4)),  # 14
        "",  # 15
        rng.choice(CPU_CORES),  # 16
        now.timestamp() * 1000 - perf_now,  # 17 time origin
    ]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def solve(
    seed: str, difficulty: str, config: Sequence[Any], *, max_iterations: int = MAX_ITERATIONS
) -> Solution:
    """Search the nonce: the first ``i`` whose encoded array hashes at or below ``difficulty``.

    For attempt ``i`` the array gets idx 3 = ``i`` and idx 9 = ``config[9] + ceil(i / 30)``; it is
    serialised as compact JSON (UTF-8, non-ASCII kept) and base64-encoded to ``B``. Success when
    the first ``len(difficulty) / 2`` bytes of ``SHA3-512(seed ‖ B)`` are ``<= bytes.fromhex(difficulty)``.
    The answer is ``B``; after ``max_iterations`` misses it is the fixed failure string.
    """
    target = bytes.fromhex(difficulty)
    width = len(target)
    seed_bytes = seed.encode()
    start = int(config[COUNTER_INDEX])
    # the array as three constant byte strings around the two changing numbers
    head = (_dumps(list(config[:NONCE_INDEX]))[:-1] + ",").encode()
    middle = ("," + _dumps(list(config[NONCE_INDEX + 1 : COUNTER_INDEX]))[1:-1] + ",").encode()
    tail = ("," + _dumps(list(config[COUNTER_INDEX + 1 :]))[1:]).encode()
    for i in range(max_iterations):
        counter = start + (i + 29) // 30  # ceil(i / 30)
        encoded = base64.b64encode(head + str(i).encode() + middle + str(counter).encode() + tail)
        if hashlib.sha3_512(seed_bytes + encoded).digest()[:width] <= target:
            return Solution(encoded.decode(), True)
    return Solution(failure_answer(seed), False)


def failure_answer(seed: str) -> str:
    """The answer sent when the search failed (the backend will likely reject it)."""
    return FAILURE_PREFIX + base64.b64encode(f'"{seed}"'.encode()).decode()


def requirements_token(user_agent: str, *, rng: random.Random, clock: Clock = local_now) -> str:
    """The initial ``gAAAAAC…`` token sent to sentinel/req (seed ``str(random())``, difficulty ``0fffff``)."""
    seed = str(rng.random())
    config = build_config(user_agent, rng=rng, now=clock())
    return REQUIREMENTS_PREFIX + solve(seed, REQUIREMENTS_DIFFICULTY, config).answer


def answer_token(
    seed: str, difficulty: str, user_agent: str, *, rng: random.Random, clock: Clock = local_now
) -> str:
    """The ``gAAAAAB…`` answer to a server challenge, with a fresh fingerprint."""
    config = build_config(user_agent, rng=rng, now=clock())
    return ANSWER_PREFIX + solve(seed, difficulty, config).answer
