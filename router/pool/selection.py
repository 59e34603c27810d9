"""Which free account takes the next task: the four ``pool.selection`` modes, as pure strategies.

The pool hands a :class:`Selector` the accounts that are eligible *and* have a free slot, each as a
:class:`Candidate` (its record plus its load), and gets one back. Nothing here knows about waiting
or limits; the pool never offers a full account.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from router.pool.eligibility import LeaseKind
from router.storage.accounts import AccountRecord

SelectionMode = Literal["round_robin", "random", "least_loaded", "quota_aware"]
SELECTION_MODES: tuple[str, ...] = get_args(SelectionMode)


@dataclass(frozen=True)
class Candidate:
    """A free account as the selector sees it."""

    record: AccountRecord
    #: tasks of the wanted kind in flight on the account
    used: int
    #: the account's limit for that kind (negative = unlimited)
    limit: int
    #: loop time of the account's last lease (0 = never)
    last_used: float = 0.0

    @property
    def share(self) -> float:
        """The part of the account's slots in use (0 for an unlimited account)."""
        return self.used / self.limit if self.limit > 0 else 0.0


def _load_key(candidate: Candidate) -> tuple[float, int, float, int]:
    return candidate.share, candidate.used, candidate.last_used, candidate.record.id


def _resets_key(candidate: Candidate) -> float:
    resets: datetime | None = candidate.record.quota_resets_at
    return resets.timestamp() if resets is not None else math.inf


class Selector:
    """One pool's selection mode, with the round-robin cursor per kind it needs."""

    def __init__(self, mode: SelectionMode = "least_loaded", *, rng: random.Random | None = None) -> None:
        if mode not in SELECTION_MODES:
            raise ValueError(f"unknown selection mode {mode!r}; use one of {', '.join(SELECTION_MODES)}")
        self.mode = mode
        self._rng = rng if rng is not None else random.Random()
        self._cursor: dict[LeaseKind, int] = {}

    def pick(self, candidates: list[Candidate], kind: LeaseKind) -> Candidate:
        """One of ``candidates`` (never empty)."""
        if not candidates:
            raise ValueError("pick() needs at least one candidate")
        if self.mode == "random":
            return self._rng.choice(candidates)
        if self.mode == "round_robin":
            return self._next_in_turn(candidates, kind)
        if self.mode == "quota_aware" and kind == "video":
            # the quota that resets soonest would be lost first: spend it first, then balance the load
            return min(candidates, key=lambda c: (_resets_key(c), *_load_key(c)))
        return min(candidates, key=_load_key)

    def _next_in_turn(self, candidates: list[Candidate], kind: LeaseKind) -> Candidate:
        """The first account after the last one picked for ``kind``, by id, wrapping around."""
        ordered = sorted(candidates, key=lambda c: c.record.id)
        last = self._cursor.get(kind, 0)
        chosen = next((c for c in ordered if c.record.id > last), ordered[0])
        self._cursor[kind] = chosen.record.id
        return chosen
