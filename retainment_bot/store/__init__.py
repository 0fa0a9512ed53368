"""Durable per-user state: a Protocol with two real backends, SQLite and PostgreSQL.

Each update of a user is applied in one transaction that (1) claims the update id, so a
redelivered update is applied once, (2) locks the user's row, so two replicas handling the same
user at once serialize instead of losing a change, (3) reads the state, runs the pure step and
writes the new state. Nothing here knows Telegram; ``retainment_bot.telegram`` calls :meth:`Store.apply`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from retainment_bot.store.base import (
    Applied,
    Effect,
    Lane,
    LaneRequest,
    Outgoing,
    Pending,
    Plan,
    Queued,
    Receipt,
    Store,
    StoreError,
    Usage,
    UsageReport,
)
from retainment_bot.store.sqlite import SqliteStore

# psycopg and its pool (about 10 MiB and a quarter of a second) load only for PostgreSQL.
if TYPE_CHECKING:
    from retainment_bot.store.postgres import PostgresStore

__all__ = [
    "Applied",
    "Effect",
    "Lane",
    "LaneRequest",
    "Outgoing",
    "Pending",
    "Plan",
    "PostgresStore",
    "Queued",
    "Receipt",
    "SqliteStore",
    "Store",
    "StoreError",
    "Usage",
    "UsageReport",
    "open_store",
]


def __getattr__(name: str) -> Any:
    if name == "PostgresStore":
        from retainment_bot.store.postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_store(database_url: str | None, data_dir: Path) -> Store:
    """PostgreSQL for a ``postgres://`` or ``postgresql://`` URL, else SQLite under ``data_dir``."""
    if database_url and database_url.startswith(("postgres://", "postgresql://")):
        from retainment_bot.store.postgres import PostgresStore

        return PostgresStore(database_url)
    if database_url and database_url.startswith("sqlite:///"):
        return SqliteStore(Path(database_url.removeprefix("sqlite:///")))
    return SqliteStore(data_dir / "bot.sqlite3")
