"""The embedded store: one SQLite file in WAL mode, for a laptop or a single process.

The standard library's ``sqlite3`` runs on one persistent connection in one worker thread (SQLite
has a single writer anyway, so one thread that does every call in turn is as fast as it gets and
needs no locking of our own); ``BEGIN IMMEDIATE`` takes the write lock before reading, so even a
second process sharing the file would serialize its transactions instead of losing one. The
inbox and outbox leases assume one process (see ``reset_leases``).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from retainment_bot.engine.engine import State
from retainment_bot.store.base import (
    DEDUPLICATION_SECONDS,
    HELD_SECONDS,
    LANE_ROWS,
    UNANSWERED_SECONDS,
    Applied,
    Effect,
    Lane,
    LaneRequest,
    Pending,
    Plan,
    Queued,
    Receipt,
    StoreError,
    Usage,
    UsageReport,
    decode,
    encode,
    gcra_wait,
)
from retainment_bot.store.base import (
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
    [
        """CREATE TABLE inbox (
            update_id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, payload TEXT NOT NULL,
            received_at INTEGER NOT NULL, leased_until REAL NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX inbox_user ON inbox (user_id, update_id)",
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT, chat_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
            method TEXT NOT NULL, params TEXT NOT NULL, created_at INTEGER NOT NULL,
            next_at REAL NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX outbox_chat ON outbox (chat_id, id)",
        "CREATE INDEX outbox_user ON outbox (user_id)",
        """CREATE TABLE send_lanes (
            chat_id INTEGER PRIMARY KEY, leased_until REAL NOT NULL DEFAULT 0, owner TEXT, tat REAL NOT NULL DEFAULT 0
        )""",
        "CREATE TABLE send_limits (key TEXT PRIMARY KEY, tat REAL NOT NULL)",
    ],
    [
        """CREATE TABLE held_questions (
            user_id INTEGER PRIMARY KEY, day TEXT NOT NULL, lang TEXT NOT NULL, question TEXT NOT NULL,
            held_at INTEGER NOT NULL
        )""",
    ],
]


_Call = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]
_Done = tuple["asyncio.Future[Any]", Any, BaseException | None]


class StoreThread:
    """The one thread that makes every call on the store's connection, one after another.

    ``loop.run_in_executor`` costs a ``concurrent.futures`` future chained to an asyncio one, and
    a wake-up of the event loop, per call; under load that hand-over cost the event loop's thread
    about as much as the SQL cost the store's (py-spy). Here a call is a tuple on a queue, and
    the answers of the calls that were waiting together go back to the loop in one wake-up. A
    call whose caller was cancelled before it started is skipped, as the executor skips it."""

    def __init__(self, name: str) -> None:
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def call(self, function: Callable[..., R], *args: Any) -> asyncio.Future[R]:
        """Queue ``function(*args)``; the future is resolved on the calling event loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._calls.put((loop, future, function, args))
        return future

    def stop(self) -> None:
        """Finish the calls queued so far, then end the thread."""
        self._calls.put(None)
        self._thread.join()

    def _serve(self) -> None:
        calls = self._calls
        while True:
            batch = [calls.get()]
            while True:  # everything queued meanwhile is answered with one wake-up of the loop
                try:
                    batch.append(calls.get_nowait())
                except queue.Empty:
                    break
            answers: dict[asyncio.AbstractEventLoop, list[_Done]] = {}
            for item in batch:
                if item is None:
                    continue
                loop, future, function, args = item
                if future.cancelled():
                    continue
                try:
                    done: _Done = (future, function(*args), None)
                except BaseException as exc:  # handed to the caller, as the executor does
                    done = (future, None, exc)
                answers.setdefault(loop, []).append(done)
            for loop, finished in answers.items():
                with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits for these any more
                    loop.call_soon_threadsafe(_settle, finished)
            if None in batch:
                return


def _settle(finished: list[_Done]) -> None:
    for future, result, error in finished:
        if future.done():  # cancelled meanwhile
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error if not isinstance(error, StopIteration) else RuntimeError(repr(error)))


class SqliteStore:
    """A :class:`~retainment_bot.store.base.Store` in a SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread: StoreThread | None = None
        self._connection: sqlite3.Connection | None = None
        self._synchronous = ""  # the connection's synchronous setting, changed only when it must
        self._arrivals: list[tuple[tuple[int, int, str, int, float], asyncio.Future[Receipt]]] = []
        self._arrivals_lock = threading.Lock()
        self._flushes: set[asyncio.Task[None]] = set()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the webhook answers 200, even across a power cut.
        connection.execute("PRAGMA synchronous=FULL")
        self._synchronous = "FULL"
        connection.execute("PRAGMA busy_timeout=30000")
        return connection

    async def _call(self, function: Callable[..., R], *args: Any) -> R:
        """Run ``function(connection, *args)`` on the store's thread and connection."""
        if self._thread is None:
            raise StoreError(f"SQLite store {self.path}: not open")
        try:
            return await self._thread.call(self._run, function, args)
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path}: {exc}") from exc

    def _run(self, function: Callable[..., R], args: tuple[Any, ...]) -> R:
        """On the store's thread: ``function(connection, *args)``, connecting first if needed."""
        if self._connection is None:
            self._connection = self._connect()
        return function(self._connection, *args)

    async def _write(self, function: Callable[..., R], *args: Any) -> R:
        """Run ``function`` in one ``BEGIN IMMEDIATE`` transaction, on disk before it returns."""
        return await self._call(self._transaction(function, durable=True), *args)

    async def _note(self, function: Callable[..., R], *args: Any) -> R:
        """Bookkeeping (leases, sent replies, rate slots): committed without waiting for the disk.
        A process crash loses none of it (WAL); a power cut could at worst resend a reply or
        release a lease early."""
        return await self._call(self._transaction(function, durable=False), *args)

    def _transaction(self, function: Callable[..., R], durable: bool) -> Callable[..., R]:
        synchronous = "FULL" if durable else "NORMAL"

        def transaction(connection: sqlite3.Connection, *inner: Any) -> R:
            # The setting stays with the connection: set only when it changes (most transactions
            # are NORMAL in a row), which saves a statement, and a hand-over of the GIL, each time.
            if self._synchronous != synchronous:
                connection.execute(f"PRAGMA synchronous={synchronous}")
                self._synchronous = synchronous
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = function(connection, *inner)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return result

        return transaction

    async def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"SQLite store {self.path}: {exc}") from exc
        if self._thread is None:
            self._thread = StoreThread("sqlite")
        try:
            await self._write(self._migrate)
        except StoreError:
            await self.close()
            raise

    @staticmethod
    def _migrate(connection: sqlite3.Connection) -> None:
        connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = connection.execute("SELECT max(version) FROM schema_version").fetchone()
        current = row[0] or 0
        for version, statements in enumerate(MIGRATIONS[current:], start=current + 1):
            for statement in statements:
                connection.execute(statement)
            connection.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    async def close(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return

        def shut() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
                self._synchronous = ""

        await thread.call(shut)
        thread.stop()

    # -- the hot path ---------------------------------------------------------------------------

    async def apply(
        self, user_id: int, update_id: int | None, now: int, plan: Plan, lanes: LaneRequest | None = None
    ) -> Applied[Effect]:
        # An update's transaction need not wait for the disk: its inbox row was flushed before the
        # webhook answered, and this transaction deletes that row together with writing the
        # state, so a power cut that loses the commit (WAL keeps the file consistent) only gives
        # the update back to be applied again. Without an update id nothing would be replayed.
        durable = update_id is None
        if lanes is None:
            return await self._call(self._transaction(self._apply, durable=durable), user_id, update_id, now, plan)
        return await self._call(
            self._transaction(self._apply_taking, durable=durable), user_id, update_id, now, plan, lanes
        )

    def _apply_taking(
        self,
        connection: sqlite3.Connection,
        user_id: int,
        update_id: int | None,
        now: int,
        plan: Plan,
        lanes: LaneRequest,
    ) -> Applied[Effect]:
        """:meth:`_apply`, then, in the same transaction, the free lanes of the replies' chats
        taken and their first rows read: the sender starts them with no call of its own."""
        applied = self._apply(connection, user_id, update_id, now, plan)
        if applied.result is None or not applied.result.replies:
            return applied
        taken = []
        for chat_id in dict.fromkeys(reply.chat_id for reply in applied.result.replies):
            row = connection.execute(
                """INSERT INTO send_lanes (chat_id, leased_until, owner, tat) VALUES (?, ?, ?, 0)
                   ON CONFLICT (chat_id) DO UPDATE SET leased_until = excluded.leased_until, owner = excluded.owner
                   WHERE send_lanes.leased_until <= ?
                   RETURNING tat""",
                (chat_id, lanes.until, lanes.owner, lanes.now),
            ).fetchone()
            if row is not None:
                taken.append((chat_id, Lane(float(row[0]), self._rows(connection, chat_id, LANE_ROWS))))
        return replace(applied, lanes=tuple(taken))

    def _apply(
        self, connection: sqlite3.Connection, user_id: int, update_id: int | None, now: int, plan: Plan
    ) -> Applied[Effect]:
        if update_id is not None:
            claimed = connection.execute(
                "INSERT OR IGNORE INTO processed_updates (update_id, seen_at) VALUES (?, ?)", (update_id, now)
            )
            connection.execute("DELETE FROM inbox WHERE update_id = ?", (update_id,))
            if claimed.rowcount == 0:
                return Applied(duplicate=True)
        effect = plan(self._read(connection, user_id))
        if effect.erase:
            self._erase(connection, user_id, keep_update=update_id)
        if effect.state is not None:
            self._save(connection, user_id, effect.state, now)
        if effect.usage is not None:
            self._record(connection, effect.usage)
        self._consent(connection, user_id, effect, now)
        connection.executemany(
            "INSERT INTO outbox (chat_id, user_id, method, params, created_at) VALUES (?, ?, ?, ?, ?)",
            [(reply.chat_id, user_id, reply.method, reply.params, now) for reply in effect.replies],
        )
        return Applied(duplicate=False, result=effect)

    def _consent(self, connection: sqlite3.Connection, user_id: int, effect: Effect, now: int) -> None:
        """Hold a question until the user answers, then keep it (anonymous) or delete it."""
        if effect.consent is True:
            row = connection.execute(
                "SELECT day, lang, question FROM held_questions WHERE user_id = ?", (user_id,)
            ).fetchone()
            if row is not None:
                self._record(connection, Usage(day=row[0], lang=row[1], unanswered=row[2]))
        if effect.consent is not None:
            connection.execute("DELETE FROM held_questions WHERE user_id = ?", (user_id,))
        if effect.hold is not None and effect.hold.unanswered:
            connection.execute(
                """INSERT INTO held_questions (user_id, day, lang, question, held_at) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET day = excluded.day, lang = excluded.lang,
                     question = excluded.question, held_at = excluded.held_at""",
                (user_id, effect.hold.day, effect.hold.lang, effect.hold.unanswered, now),
            )

    @staticmethod
    def _erase(connection: sqlite3.Connection, user_id: int, keep_update: int | None = None) -> bool:
        """Delete the user's state, pending replies, send lane and stored updates (but the update
        being handled, whose transaction deletes it anyway)."""
        deleted = connection.execute("DELETE FROM users WHERE user_id = ?", (user_id,)).rowcount > 0
        connection.execute("DELETE FROM outbox WHERE user_id = ?", (user_id,))
        connection.execute("DELETE FROM send_lanes WHERE chat_id = ?", (user_id,))
        connection.execute("DELETE FROM held_questions WHERE user_id = ?", (user_id,))
        if keep_update is None:
            connection.execute("DELETE FROM inbox WHERE user_id = ?", (user_id,))
        return deleted

    @staticmethod
    def _read(connection: sqlite3.Connection, user_id: int) -> State | None:
        row = connection.execute(
            "SELECT lang, lang_chosen, node, answers, history FROM users WHERE user_id = ?", (user_id,)
        ).fetchone()
        return decode(*row) if row else None

    @staticmethod
    def _save(connection: sqlite3.Connection, user_id: int, state: State, now: int) -> None:
        values = encode(state)
        connection.execute(
            """INSERT INTO users (user_id, lang, lang_chosen, node, answers, history, last_seen)
               VALUES (:user_id, :lang, :lang_chosen, :node, :answers, :history, :now)
               ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang, lang_chosen = excluded.lang_chosen,
                 node = excluded.node, answers = excluded.answers, history = excluded.history,
                 last_seen = excluded.last_seen""",
            {**values, "user_id": user_id, "now": now},
        )

    @staticmethod
    def _record(connection: sqlite3.Connection, usage: Usage) -> None:
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

    # -- the inbox ------------------------------------------------------------------------------

    async def enqueue(self, update_id: int, user_id: int, payload: str, now: int) -> bool:
        return await self.receive(update_id, user_id, payload, now, 0.0) != Receipt.DUPLICATE

    async def receive(self, update_id: int, user_id: int, payload: str, now: int, lease_until: float) -> Receipt:
        """Updates arriving together are committed together (one disk flush for the batch):
        each caller waits for the commit that includes its update."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Receipt] = loop.create_future()
        with self._arrivals_lock:
            self._arrivals.append(((update_id, user_id, payload, now, lease_until), future))
            first = len(self._arrivals) == 1
        if first:
            self._flushes.add(task := loop.create_task(self._commit_arrivals()))
            task.add_done_callback(self._flushes.discard)
        return await future

    async def _commit_arrivals(self) -> None:
        taken: list[tuple[tuple[int, int, str, int, float], asyncio.Future[Receipt]]] = []

        def insert(connection: sqlite3.Connection) -> list[Receipt]:
            # Taken when the thread gets to it: everything that arrived meanwhile joins the batch.
            with self._arrivals_lock:
                taken.extend(self._arrivals)
                self._arrivals = []
            receipts = []
            for (update_id, user_id, payload, now, lease_until), _ in taken:
                # Leased at once only when nothing else of the user waits: the user's earlier
                # update is then applied (its transaction deleted it) and this one is their next.
                # One writer at a time (the batch is one transaction) keeps that check true.
                row = connection.execute(
                    """INSERT OR IGNORE INTO inbox (update_id, user_id, payload, received_at, leased_until, attempts)
                       SELECT :update, :user, :payload, :now, lease, lease > 0 FROM (
                         SELECT CASE WHEN :until > 0 AND NOT EXISTS (SELECT 1 FROM inbox WHERE user_id = :user)
                                THEN :until ELSE 0 END AS lease)
                       WHERE NOT EXISTS (SELECT 1 FROM processed_updates WHERE update_id = :update)
                       RETURNING leased_until""",
                    {"update": update_id, "user": user_id, "payload": payload, "now": now, "until": lease_until},
                ).fetchone()
                receipts.append(Receipt.DUPLICATE if row is None else Receipt.LEASED if row[0] > 0 else Receipt.QUEUED)
            return receipts

        try:
            results = await self._write(insert)
        except Exception as exc:
            if not taken:  # the thread never ran it: fail what is waiting
                with self._arrivals_lock:
                    taken.extend(self._arrivals)
                    self._arrivals = []
            error = exc if isinstance(exc, StoreError) else StoreError(f"SQLite store {self.path}: {exc}")
            for _, future in taken:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), result in zip(taken, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def claim(self, now: float, lease_seconds: float, limit: int) -> list[Queued]:
        def lease(connection: sqlite3.Connection) -> list[Queued]:
            rows = connection.execute(
                """UPDATE inbox SET leased_until = ?, attempts = attempts + 1 WHERE update_id IN (
                     SELECT i.update_id FROM inbox i WHERE i.leased_until <= ? AND NOT EXISTS (
                       SELECT 1 FROM inbox j WHERE j.user_id = i.user_id AND j.update_id < i.update_id)
                     ORDER BY i.update_id LIMIT ?)
                   RETURNING update_id, user_id, payload, attempts""",
                (now + lease_seconds, now, limit),
            ).fetchall()
            return sorted((Queued(*row) for row in rows), key=lambda q: q.update_id)

        return await self._note(lease)

    async def release(self, update_id: int, retry_at: float) -> None:
        await self._note(
            lambda c: c.execute("UPDATE inbox SET leased_until = ? WHERE update_id = ?", (retry_at, update_id))
        )

    async def reset_leases(self) -> None:
        def reset(connection: sqlite3.Connection) -> None:
            connection.execute("UPDATE inbox SET leased_until = 0 WHERE leased_until > 0")
            connection.execute("UPDATE send_lanes SET leased_until = 0, owner = NULL")

        await self._note(reset)

    async def backlog(self) -> int:
        """How many updates wait in the inbox (for tests and logs)."""
        return int(await self._call(lambda c: c.execute("SELECT count(*) FROM inbox").fetchone()[0]))

    # -- the outbox -----------------------------------------------------------------------------

    async def take_lanes(
        self, owner: str, now: float, lease_seconds: float, limit: int, rows: int = LANE_ROWS
    ) -> list[tuple[int, Lane]]:
        def take(connection: sqlite3.Connection) -> list[tuple[int, Lane]]:
            taken = connection.execute(
                """INSERT INTO send_lanes (chat_id, leased_until, owner, tat)
                   SELECT o.chat_id, :until, :owner, 0 FROM outbox o WHERE o.next_at <= :now AND NOT EXISTS (
                     SELECT 1 FROM send_lanes l WHERE l.chat_id = o.chat_id AND l.leased_until > :now)
                   GROUP BY o.chat_id ORDER BY min(o.id) LIMIT :limit
                   ON CONFLICT (chat_id) DO UPDATE SET leased_until = excluded.leased_until, owner = excluded.owner
                   WHERE send_lanes.leased_until <= :now
                   RETURNING chat_id, tat""",
                {"until": now + lease_seconds, "owner": owner, "now": now, "limit": limit},
            ).fetchall()
            lanes = [(int(chat_id), Lane(float(tat), self._rows(connection, chat_id, rows))) for chat_id, tat in taken]
            return sorted(lanes, key=lambda lane: lane[1].rows[0].id if lane[1].rows else 0)

        return await self._note(take)

    async def lease_chat(
        self, chat_id: int, owner: str, now: float, lease_seconds: float, rows: int = LANE_ROWS
    ) -> Lane | None:
        def lease(connection: sqlite3.Connection) -> Lane | None:
            row = connection.execute(
                """INSERT INTO send_lanes (chat_id, leased_until, owner, tat) VALUES (?, ?, ?, 0)
                   ON CONFLICT (chat_id) DO UPDATE SET leased_until = excluded.leased_until, owner = excluded.owner
                   WHERE send_lanes.leased_until <= ? OR send_lanes.owner = excluded.owner
                   RETURNING tat""",
                (chat_id, now + lease_seconds, owner, now),
            ).fetchone()
            if row is None:
                return None
            return Lane(float(row[0]), self._rows(connection, chat_id, rows))

        return await self._note(lease)

    async def settle_chat(
        self, chat_id: int, owner: str, tat: float, done: int | Sequence[int] | None
    ) -> tuple[Pending, ...]:
        delivered = () if done is None else (done,) if isinstance(done, int) else tuple(done)

        def settle(connection: sqlite3.Connection) -> tuple[Pending, ...]:
            if delivered:
                connection.executemany("DELETE FROM outbox WHERE id = ?", [(row,) for row in delivered])
            rows = self._rows(connection, chat_id, LANE_ROWS)
            if not rows:
                self._release(connection, chat_id, owner, tat)
            return rows

        return await self._note(settle)

    async def release_chat(self, chat_id: int, owner: str, tat: float) -> None:
        await self._note(self._release, chat_id, owner, tat)

    @staticmethod
    def _release(connection: sqlite3.Connection, chat_id: int, owner: str, tat: float) -> None:
        connection.execute(
            "UPDATE send_lanes SET leased_until = 0, owner = NULL, tat = ? WHERE chat_id = ? AND owner = ?",
            (tat, chat_id, owner),
        )

    @staticmethod
    def _rows(connection: sqlite3.Connection, chat_id: int, limit: int) -> tuple[Pending, ...]:
        """The chat's oldest outbox rows."""
        if limit <= 0:
            return ()
        return tuple(
            Pending(*row)
            for row in connection.execute(
                """SELECT id, chat_id, method, params, attempts, next_at FROM outbox WHERE chat_id = ?
                   ORDER BY id LIMIT ?""",
                (chat_id, limit),
            )
        )

    async def sent(self, reply_id: int) -> None:
        await self._note(lambda c: c.execute("DELETE FROM outbox WHERE id = ?", (reply_id,)))

    async def retry(self, reply_id: int, at: float) -> None:
        await self._note(
            lambda c: c.execute("UPDATE outbox SET next_at = ?, attempts = attempts + 1 WHERE id = ?", (at, reply_id))
        )

    async def pending_replies(self) -> int:
        """How many replies wait in the outbox (for tests and logs)."""
        return int(await self._call(lambda c: c.execute("SELECT count(*) FROM outbox").fetchone()[0]))

    async def take_slot(self, key: str, now: float, interval: float, burst: int) -> float:
        def take(connection: sqlite3.Connection) -> float:
            connection.execute("INSERT OR IGNORE INTO send_limits (key, tat) VALUES (?, 0)", (key,))
            (tat,) = connection.execute("SELECT tat FROM send_limits WHERE key = ?", (key,)).fetchone()
            connection.execute("UPDATE send_limits SET tat = ? WHERE key = ?", (max(tat, now) + interval, key))
            return gcra_wait(float(tat), now, interval, burst)

        return await self._note(take)

    # -- privacy and maintenance ------------------------------------------------------------------

    async def load(self, user_id: int) -> State | None:
        return await self._call(self._read, user_id)

    async def forget(self, user_id: int) -> bool:
        return await self._write(self._erase, user_id)

    async def purge(self, now: int, retention_seconds: int, unanswered_seconds: int = UNANSWERED_SECONDS) -> int:
        def delete(connection: sqlite3.Connection) -> int:
            # One BEGIN IMMEDIATE transaction holds the only write lock: no update of these users
            # can be half-way through, so none can write their state back afterwards.
            cutoff = now - retention_seconds
            users = [
                row[0]
                for row in connection.execute("SELECT user_id FROM users WHERE last_seen < ?", (cutoff,)).fetchall()
            ]
            for user_id in users:
                self._erase(connection, user_id)
            connection.execute("DELETE FROM processed_updates WHERE seen_at < ?", (now - DEDUPLICATION_SECONDS,))
            connection.execute("DELETE FROM usage_unanswered WHERE created_at < ?", (now - unanswered_seconds,))
            connection.execute("DELETE FROM send_lanes WHERE leased_until = 0 AND tat < ?", (now,))
            connection.execute("DELETE FROM held_questions WHERE held_at < ?", (now - HELD_SECONDS,))
            return len(users)

        return await self._write(delete)

    async def record(self, usage: Usage) -> None:
        await self._write(self._record, usage)

    async def report(self, since: str) -> UsageReport:
        def read(connection: sqlite3.Connection) -> UsageReport:
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
