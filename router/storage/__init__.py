"""Durable state: the database, its migrations, encrypted tokens and the repositories.

``Database`` (``db.py``) owns the engine; ``migrations.py`` brings the schema up to date;
``tables.py`` is the current schema the repositories (``accounts.py``, ``tasks.py``,
``credentials.py``) read and write. Repositories return frozen dataclasses, never SQLAlchemy rows.
"""
