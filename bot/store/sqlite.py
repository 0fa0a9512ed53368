"""The embedded store: one SQLite file in WAL mode, for a laptop or a single process.

The standard library's ``sqlite3`` runs in a worker thread (``asyncio.to_thread``) with a short-
lived connection per call; ``BEGIN IMMEDIATE`` takes the write lock before reading, so two
processes sharing the file serialize their updates of a user instead of losing one.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

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
)
from bot.store.base import (
    epoch as _epoch,
)

R = TypeVar("R")

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE users (
            user_id INTEGER PRIMARY KEY,
            lang TEXT NOT NULL,
            lang_chosen INTEGER NOT NULL DEFAULT 0,
            node TEXT,
            answers TEXT NOT NULL DEFAULT '{}',
            history TEXT NOT NULL DEFAULT '[]',
            last_seen INTEGER NOT NULL
        )""",
        "CREATE INDEX users_last_seen ON users (last_seen)",
        "CREATE TABLE processed_updates (update_id INTEGER PRIMARY KEY, seen_at INTEGER NOT NULL)",
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
            id INTEGER PRIMARY KEY AUTOINCREMENT, day TEXT NOT NULL, lang TEXT NOT NULL,
            question TEXT NOT NULL, created_at INTEGER NOT NULL
        )""",
        "CREATE INDEX usage_unanswered_created_at ON usage_unanswered (created_at)",
    ],
]


class SqliteStore:
    """A :class:`~bot.store.base.Store` in a SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA busy_timeout=30000")
        return connection

    async def _call(self, function: Callable[..., R], *args: Any) -> R:
        try:
            return await asyncio.to_thread(function, *args)
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path}: {exc}") from exc

    async def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"SQLite store {self.path}: {exc}") from exc
        await self._call(self._migrate)

    def _migrate(self) -> None:
        with closing(self._connect()) as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                row = connection.execute("SELECT max(version) FROM schema_version").fetchone()
                current = row[0] or 0
                for version, statements in enumerate(MIGRATIONS[current:], start=current + 1):
                    for statement in statements:
                        connection.execute(statement)
                    connection.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    async def close(self) -> None:
        return None

    async def apply(self, user_id: int, update_id: int | None, now: int, step: Step[T]) -> Applied[T]:
        return await self._call(self._apply, user_id, update_id, now, step)

    def _apply(self, user_id: int, update_id: int | None, now: int, step: Step[T]) -> Applied[T]:
        with closing(self._connect()) as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                if update_id is not None:
                    claimed = connection.execute(
                        "INSERT OR IGNORE INTO processed_updates (update_id, seen_at) VALUES (?, ?)", (update_id, now)
                    )
                    if claimed.rowcount == 0:
                        connection.execute("ROLLBACK")
                        return Applied(duplicate=True)
                state = self._read(connection, user_id)
                new_state, result = step(state)
                self._write(connection, user_id, new_state, now)
                connection.execute("COMMIT")
                return Applied(duplicate=False, result=result)
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    @staticmethod
    def _read(connection: sqlite3.Connection, user_id: int) -> State | None:
        row = connection.execute(
            "SELECT lang, lang_chosen, node, answers, history FROM users WHERE user_id = ?", (user_id,)
        ).fetchone()
        return decode(*row) if row else None

    @staticmethod
    def _write(connection: sqlite3.Connection, user_id: int, state: State, now: int) -> None:
        values = encode(state)
        connection.execute(
            """INSERT INTO users (user_id, lang, lang_chosen, node, answers, history, last_seen)
               VALUES (:user_id, :lang, :lang_chosen, :node, :answers, :history, :now)
               ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang, lang_chosen = excluded.lang_chosen,
                 node = excluded.node, answers = excluded.answers, history = excluded.history,
                 last_seen = excluded.last_seen""",
            {**values, "user_id": user_id, "now": now},
        )

    async def load(self, user_id: int) -> State | None:
        def read() -> State | None:
            with closing(self._connect()) as connection:
                return self._read(connection, user_id)

        return await self._call(read)

    async def forget(self, user_id: int) -> bool:
        def delete() -> bool:
            with closing(self._connect()) as connection:
                return connection.execute("DELETE FROM users WHERE user_id = ?", (user_id,)).rowcount > 0

        return await self._call(delete)

    async def purge(self, now: int, retention_seconds: int, unanswered_seconds: int = UNANSWERED_SECONDS) -> int:
        def delete() -> int:
            with closing(self._connect()) as connection:
                connection.execute("BEGIN IMMEDIATE")
                users = connection.execute("DELETE FROM users WHERE last_seen < ?", (now - retention_seconds,))
                connection.execute("DELETE FROM processed_updates WHERE seen_at < ?", (now - DEDUPLICATION_SECONDS,))
                connection.execute("DELETE FROM usage_unanswered WHERE created_at < ?", (now - unanswered_seconds,))
                connection.execute("COMMIT")
                return users.rowcount

        return await self._call(delete)

    async def count_users(self) -> int:
        def count() -> int:
            with closing(self._connect()) as connection:
                return int(connection.execute("SELECT count(*) FROM users").fetchone()[0])

        return await self._call(count)

    async def record(self, usage: Usage) -> None:
        def write() -> None:
            with closing(self._connect()) as connection:
                connection.execute("BEGIN IMMEDIATE")
                for topic in usage.topics:
                    connection.execute(
                        """INSERT INTO usage_views (day, topic, lang, views) VALUES (?, ?, ?, 1)
                           ON CONFLICT (day, topic, lang) DO UPDATE SET views = views + 1""",
                        (usage.day, topic, usage.lang),
                    )
                for node, outcome in usage.outcomes:
                    connection.execute(
                        """INSERT INTO usage_outcomes (day, node, outcome, lang, results) VALUES (?, ?, ?, ?, 1)
                           ON CONFLICT (day, node, lang) DO UPDATE SET results = results + 1""",
                        (usage.day, node, outcome, usage.lang),
                    )
                if usage.unanswered:
                    connection.execute(
                        "INSERT INTO usage_unanswered (day, lang, question, created_at) VALUES (?, ?, ?, ?)",
                        (usage.day, usage.lang, usage.unanswered, _epoch(usage.day)),
                    )
                connection.execute("COMMIT")

        await self._call(write)

    async def report(self, since: str) -> UsageReport:
        def read() -> UsageReport:
            with closing(self._connect()) as connection:
                views = connection.execute(
                    "SELECT day, topic, lang, views FROM usage_views WHERE day >= ? ORDER BY day, topic, lang", (since,)
                ).fetchall()
                outcomes = connection.execute(
                    """SELECT day, node, outcome, lang, results FROM usage_outcomes WHERE day >= ?
                       ORDER BY day, node, lang""",
                    (since,),
                ).fetchall()
                unanswered = connection.execute(
                    "SELECT day, lang, question FROM usage_unanswered WHERE day >= ? ORDER BY id", (since,)
                ).fetchall()
            return UsageReport(tuple(map(tuple, views)), tuple(map(tuple, outcomes)), tuple(map(tuple, unanswered)))

        return await self._call(read)
