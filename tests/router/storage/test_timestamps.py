"""UTCDateTime: aware UTC in, aware UTC out, on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from router.storage.accounts import AccountRepository
from router.storage.db import Database
from router.storage.tables import accounts as accounts_table

from .conftest import ACCESS_TOKEN


async def test_other_offsets_come_back_as_the_same_instant_in_utc(accounts: AccountRepository) -> None:
    plus_two = datetime(2030, 1, 2, 3, 4, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    record = await accounts.add(access_token=ACCESS_TOKEN, cooldown_until=plus_two)
    assert record.cooldown_until == plus_two
    assert record.cooldown_until is not None and record.cooldown_until.tzinfo is UTC
    fetched = await accounts.get(record.id)
    assert fetched.cooldown_until == plus_two and fetched.cooldown_until.tzinfo is UTC
    assert fetched.created_at.tzinfo is UTC


async def test_naive_datetimes_are_refused(accounts: AccountRepository) -> None:
    record = await accounts.add(access_token=ACCESS_TOKEN)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        await accounts.update(record.id, cooldown_until=datetime(2030, 1, 1))


async def test_comparisons_use_the_instant(db: Database, accounts: AccountRepository) -> None:
    record = await accounts.add(
        access_token=ACCESS_TOKEN, cooldown_until=datetime(2030, 1, 1, 12, tzinfo=UTC)
    )
    minus_five = timezone(timedelta(hours=-5))
    before = datetime(2030, 1, 1, 6, 59, tzinfo=minus_five)  # 11:59 UTC
    after = datetime(2030, 1, 1, 7, 1, tzinfo=minus_five)  # 12:01 UTC
    async with db.connect() as conn:
        query = sa.select(accounts_table.c.id)
        assert await conn.scalar(query.where(accounts_table.c.cooldown_until > before)) == record.id
        assert await conn.scalar(query.where(accounts_table.c.cooldown_until > after)) is None
