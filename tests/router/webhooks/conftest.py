"""The storage tests' database fixtures (SQLite, and PostgreSQL when one listens) for the delivery table."""

from tests.router.storage.conftest import database_url, db, postgres_database

__all__ = ["database_url", "db", "postgres_database"]
