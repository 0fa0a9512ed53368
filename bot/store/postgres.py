"""The shared store: PostgreSQL through psycopg 3's async connection pool, for several replicas.

A transaction-scoped advisory lock on the user id serializes two replicas handling the same
user (it also covers a user's very first update, when there is no row to lock yet); the unique
key on ``processed_updates`` makes a redelivered update a no-op.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from bot.engine.engine import State
from bot.store.base import (
    DEDUPLICATION_SECONDS,
    UNANSWERED_SECONDS,
    Applied,
    Step,
    StoreError,
    T,
    Usage,
    UsageReport,
    decode,
    encode,
    epoch,
)

# Keeps schema changes of replicas starting together one at a time.
MIGRATION_LOCK = 0x5E7A_1E00

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE users (
            user_id BIGINT PRIMARY KEY,
            lang TEXT NOT NULL,
            lang_chosen BOOLEAN NOT NULL DEFAULT FALSE,
            node TEXT,
            answers TEXT NOT NULL DEFAULT '{}',
            history TEXT NOT NULL DEFAULT '[]',
            last_seen BIGINT NOT NULL
        )""",
        "CREATE INDEX users_last_seen ON users (last_seen)",
        "CREATE TABLE processed_updates (update_id BIGINT PRIMARY KEY, seen_at BIGINT NOT NULL)",
        "CREATE INDEX processed_updates_seen_at ON processed_updates (seen_at)",
    ],
    [
        """CREATE TABLE usage_views (
            day TEXT NOT NULL, topic TEXT NOT NULL, lang TEXT NOT NULL, views INTEGER NOT NULL,
            PRIMARY KEY (day, topic, lang)
        )""",
        """CREATE TABLE usage_outcomes (
            day TEXT NOT NULL, node TEXT NOT NULL, outcome TEXT NOT NULL, lang TEXT NOT NULL,
            results INTEGER NOT NULL, PRIMARY KEY (day, node, lang)
        )""",
        """CREATE TABLE usage_unanswered (
            id BIGSERIAL PRIMARY KEY, day TEXT NOT NULL, lang TEXT NOT NULL,
            question TEXT NOT NULL, created_at BIGINT NOT NULL
        )""",
        "CREATE INDEX usage_unanswered_created_at ON usage_unanswered (created_at)",
    ],
]


class PostgresStore:
    """A :class:`~bot.store.base.Store` in PostgreSQL."""

    def __init__(
        self, url: str, min_size: int = 1, max_size: int = 10, schema: str | None = None, open_timeout: float = 30
    ) -> None:
        self.url = url
        self.open_timeout = open_timeout
        self.schema = schema
        self.sizes = (min_size, max_size)
        self._pool: AsyncConnectionPool | None = None

    @property
    def pool(self) -> AsyncConnectionPool:
        if self._pool is None:
            raise StoreError("the PostgreSQL store is not open")
        return self._pool

    async def open(self) -> None:
        options = {"options": f"-c search_path={self.schema}"} if self.schema else {}
        min_size, max_size = self.sizes
        # A pool cannot be reopened once closed, so each open() makes a new one.
        self._pool = AsyncConnectionPool(
            self.url, min_size=min_size, max_size=max_size, open=False, kwargs={"autocommit": True, **options}
        )
        try:
            await self._pool.open(wait=True, timeout=self.open_timeout)
            async with self.pool.connection() as connection, connection.transaction():
                await connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                if self.schema:
                    await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                await connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                cursor = await connection.execute("SELECT max(version) FROM schema_version")
                row = await cursor.fetchone()
                current = (row[0] if row else None) or 0
                for version, statements in enumerate(MIGRATIONS[current:], start=current + 1):
                    for statement in statements:
                        await connection.execute(statement)
                    await connection.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
        except (psycopg.Error, TimeoutError) as exc:
            raise StoreError(f"PostgreSQL store: {exc}") from exc

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def apply(self, user_id: int, update_id: int | None, now: int, step: Step[T]) -> Applied[T]:
        try:
            async with self.pool.connection() as connection, connection.transaction():
                if update_id is not None:
                    claimed = await connection.execute(
                        "INSERT INTO processed_updates (update_id, seen_at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                        (update_id, now),
                    )
                    if claimed.rowcount == 0:
                        return Applied(duplicate=True)
                await connection.execute("SELECT pg_advisory_xact_lock(%s)", (user_id,))
                state = await self._read(connection, user_id)
                new_state, result = step(state)
                await connection.execute(
                    """INSERT INTO users (user_id, lang, lang_chosen, node, answers, history, last_seen)
                       VALUES (%(user_id)s, %(lang)s, %(lang_chosen)s, %(node)s, %(answers)s, %(history)s, %(now)s)
                       ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang, lang_chosen = excluded.lang_chosen,
                         node = excluded.node, answers = excluded.answers, history = excluded.history,
                         last_seen = excluded.last_seen""",
                    {**encode(new_state), "user_id": user_id, "now": now},
                )
                return Applied(duplicate=False, result=result)
        except (psycopg.Error, TimeoutError) as exc:
            raise StoreError(f"PostgreSQL store: {exc}") from exc

    @staticmethod
    async def _read(connection: psycopg.AsyncConnection[Any], user_id: int) -> State | None:
        cursor = await connection.execute(
            "SELECT lang, lang_chosen, node, answers, history FROM users WHERE user_id = %s", (user_id,)
        )
        row = await cursor.fetchone()
        return decode(*row) if row else None

    async def load(self, user_id: int) -> State | None:
        try:
            async with self.pool.connection() as connection:
                return await self._read(connection, user_id)
        except (psycopg.Error, TimeoutError) as exc:
            raise StoreError(f"PostgreSQL store: {exc}") from exc

    async def forget(self, user_id: int) -> bool:
        try:
            async with self.pool.connection() as connection:
                cursor = await connection.execute("DELETE FROM users WHERE user_id = %s", (user_id,))
                return cursor.rowcount > 0
        except (psycopg.Error, TimeoutError) as exc:
            raise StoreError(f"PostgreSQL store: {exc}") from exc

    async def purge(self, now: int, retention_seconds: int, unanswered_seconds: int = UNANSWERED_SECONDS) -> int:
        try:
            async with self.pool.connection() as connection, connection.transaction():
                users = await connection.execute("DELETE FROM users WHERE last_seen < %s", (now - retention_seconds,))
                await connection.execute(
                    "DELETE FROM processed_updates WHERE seen_at < %s", (now - DEDUPLICATION_SECONDS,)
                )
                await connection.execute(
                    "DELETE FROM usage_unanswered WHERE created_at < %s", (now - unanswered_seconds,)
                )
                return users.rowcount
        except (psycopg.Error, TimeoutError) as exc:
            raise StoreError(f"PostgreSQL store: {exc}") from exc

    async def count_users(self) -> int:
        try:
            async with self.pool.connection() as connection:
                cursor = await connection.execute("SELECT count(*) FROM users")
                row = await cursor.fetchone()
                return int(row[0]) if row else 0
        except (psycopg.Error, TimeoutError) as exc:
            raise StoreError(f"PostgreSQL store: {exc}") from exc

    async def record(self, usage: Usage) -> None:
        try:
            async with self.pool.connection() as connection, connection.transaction():
                for topic in usage.topics:
                    await connection.execute(
                        """INSERT INTO usage_views (day, topic, lang, views) VALUES (%s, %s, %s, 1)
                           ON CONFLICT (day, topic, lang) DO UPDATE SET views = usage_views.views + 1""",
                        (usage.day, topic, usage.lang),
                    )
                for node, outcome in usage.outcomes:
                    await connection.execute(
                        """INSERT INTO usage_outcomes (day, node, outcome, lang, results) VALUES (%s, %s, %s, %s, 1)
                           ON CONFLICT (day, node, lang) DO UPDATE SET results = usage_outcomes.results + 1""",
                        (usage.day, node, outcome, usage.lang),
                    )
                if usage.unanswered:
                    await connection.execute(
                        "INSERT INTO usage_unanswered (day, lang, question, created_at) VALUES (%s, %s, %s, %s)",
                        (usage.day, usage.lang, usage.unanswered, epoch(usage.day)),
                    )
        except (psycopg.Error, TimeoutError) as exc:
            raise StoreError(f"PostgreSQL store: {exc}") from exc

    async def report(self, since: str) -> UsageReport:
        try:
            async with self.pool.connection() as connection:
                views = await (
                    await connection.execute(
                        "SELECT day, topic, lang, views FROM usage_views WHERE day >= %s ORDER BY day, topic, lang",
                        (since,),
                    )
                ).fetchall()
                outcomes = await (
                    await connection.execute(
                        """SELECT day, node, outcome, lang, results FROM usage_outcomes WHERE day >= %s
                           ORDER BY day, node, lang""",
                        (since,),
                    )
                ).fetchall()
                unanswered = await (
                    await connection.execute(
                        "SELECT day, lang, question FROM usage_unanswered WHERE day >= %s ORDER BY id", (since,)
                    )
                ).fetchall()
        except (psycopg.Error, TimeoutError) as exc:
            raise StoreError(f"PostgreSQL store: {exc}") from exc
        return UsageReport(
            tuple((d, t, lang, int(n)) for d, t, lang, n in views),
            tuple((d, node, o, lang, int(n)) for d, node, o, lang, n in outcomes),
            tuple((d, lang, q) for d, lang, q in unanswered),
        )
