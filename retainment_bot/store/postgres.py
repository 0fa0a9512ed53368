"""The shared store: PostgreSQL through psycopg 3's async connection pool, for several replicas.

A transaction-scoped advisory lock on the user id serializes two replicas handling the same
user (it also covers a user's very first update, when there is no row to lock yet); the unique
key on ``processed_updates`` makes a redelivered update a no-op. Replicas share the inbox with
``FOR UPDATE SKIP LOCKED`` and leases, and the send limits through rows of ``send_limits``.
The pool waits at most ``timeout`` seconds for a connection, so an unreachable server is
reported fast (the webhook answers 503 and the work is retried) instead of holding everyone up.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import psycopg
from psycopg.pq import ExecStatus
from psycopg_pool import AsyncConnectionPool

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
    epoch,
    gcra_wait,
)

# Whether apply takes the replies' lanes when asked (one more statement in its transaction, no
# separate call by the sender).
TAKE_LANES_IN_APPLY = True

# The end of a statement that takes send lanes: the chats of a CTE ``chats(chat)`` (the
# statement's start) get their lanes (one another sender took meanwhile fails the upsert's
# condition and is left out), and each lane comes back with its chat's first outbox rows.
TAKE_LANES = """,
   taken AS (
     INSERT INTO send_lanes (chat_id, leased_until, owner, tat)
     SELECT chat, %(until)s, %(owner)s, 0 FROM chats
     ON CONFLICT (chat_id) DO UPDATE SET leased_until = excluded.leased_until, owner = excluded.owner
     WHERE send_lanes.leased_until <= %(now)s
     RETURNING chat_id, tat)
   SELECT t.chat_id, t.tat, r.id, r.chat_id, r.method, r.params, r.attempts, r.next_at
   FROM taken t LEFT JOIN LATERAL (
     SELECT id, chat_id, method, params, attempts, next_at FROM outbox
     WHERE chat_id = t.chat_id ORDER BY id LIMIT %(rows)s) r ON true
   ORDER BY r.id"""


def _lanes(rows: list[tuple[Any, ...]]) -> dict[int, tuple[float, list[Pending]]]:
    """A lane-taking statement's rows, by chat: the lane's rate-limit time and its rows in order."""
    lanes: dict[int, tuple[float, list[Pending]]] = {}
    for chat_id, tat, *row in rows:
        found = lanes.setdefault(int(chat_id), (float(tat), []))
        if row[0] is not None:
            found[1].append(Pending(*row))
    return lanes


# A statement and its parameters.
Statement = tuple[str, Any]


class _Prepared:
    """A statement prepared by the server once per connection (``PREPARE``) and called in a
    script as ``EXECUTE name (literals)``: the server parses and plans it once (then keeps a
    generic plan), where a statement sent as text is parsed and planned every time (70–90 µs
    of the server's CPU for the claim, the lanes and the settle statements, measured with
    ``EXPLAIN ANALYZE``). The arguments are bound on the client like the rest of the script."""

    def __init__(self, name: str, types: Sequence[str], query: str) -> None:
        self.name = name
        self.definition = f"PREPARE {name} ({', '.join(types)}) AS {query}"
        self.call = f"EXECUTE {name} ({', '.join(['%s'] * len(types))})"


# Why the server may not know a statement this connection prepared: between the bot and it, a
# pooler that gives each transaction another server session.
LOST_PREPARED = (
    "the server session lost the bot's prepared statements; DATABASE_URL must be a direct or "
    "session-mode connection, not a transaction-mode pooler"
)

# The connections whose server has every one of ``PREPARED`` (a connection's prepared statements
# last as long as its session; the pool never discards them).
_READY: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], bool] = weakref.WeakKeyDictionary()


async def _ready(connection: psycopg.AsyncConnection[Any]) -> None:
    """Prepare ``PREPARED`` on the connection, once (one query, outside any transaction)."""
    if connection not in _READY:
        await psycopg.AsyncClientCursor(connection).execute("; ".join(p.definition for p in PREPARED))
        _READY[connection] = True


# How long a delivery's record (``settle_chat``) waits for an apply to carry it (in the apply's
# last query, so in its transaction and round trip) before it goes on its own, in seconds. Under
# load an apply's writes go out every few milliseconds; idle, a lane is given back this late.
SETTLE_WAIT = 0.004

# Deletes the delivered rows, reads the chat's next ones and, when there are none, gives the
# lane back: one statement. Its parts see the rows as they were when it began, so the next rows
# leave out the ones it deletes.
SETTLE = """WITH gone AS (DELETE FROM outbox WHERE id = ANY(%(done)s::bigint[])),
   next AS (
     SELECT id, chat_id, method, params, attempts, next_at FROM outbox
     WHERE chat_id = %(chat)s AND NOT id = ANY(%(done)s::bigint[]) ORDER BY id LIMIT %(rows)s),
   given AS (
     UPDATE send_lanes SET leased_until = 0, owner = NULL, tat = %(tat)s
     WHERE chat_id = %(chat)s AND owner = %(owner)s AND NOT EXISTS (SELECT 1 FROM next))
   SELECT * FROM next ORDER BY id"""

SETTLE_PREPARED = _Prepared(
    "rb_settle",
    ("bigint[]", "bigint", "integer", "double precision", "text"),
    SETTLE.replace("%(done)s::bigint[]", "$1")
    .replace("%(chat)s", "$2")
    .replace("%(rows)s", "$3")
    .replace("%(tat)s", "$4")
    .replace("%(owner)s", "$5"),
)

# The claim of the update being applied (see ``_apply``).
CLAIM = _Prepared(
    "rb_claim",
    ("bigint", "bigint", "bigint"),
    """WITH early AS (
         SELECT 1 FROM inbox WHERE user_id = $3 AND update_id < $1 LIMIT 1),
       claimed AS (
         INSERT INTO processed_updates (update_id, seen_at)
         SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM early)
         ON CONFLICT DO NOTHING RETURNING 1),
       taken AS (DELETE FROM inbox WHERE update_id = $1 AND NOT EXISTS (SELECT 1 FROM early))
       SELECT (SELECT count(*) FROM claimed), (SELECT count(*) FROM early),
         u.lang, u.lang_chosen, u.node, u.answers, u.history
       FROM (VALUES (1)) AS one LEFT JOIN users u ON u.user_id = $3""",
)

# The replies' lanes taken in the apply (see ``_lanes_statement``).
APPLY_LANES = _Prepared(
    "rb_apply_lanes",
    ("bigint[]", "double precision", "text", "double precision", "integer"),
    """WITH chats AS (
         SELECT chat FROM unnest($1) AS c(chat) WHERE NOT EXISTS (
           SELECT 1 FROM send_lanes l WHERE l.chat_id = c.chat AND l.leased_until > $4))"""
    + TAKE_LANES.replace("%(until)s", "$2")
    .replace("%(owner)s", "$3")
    .replace("%(now)s", "$4")
    .replace("%(rows)s", "$5"),
)

PREPARED = (SETTLE_PREPARED, CLAIM, APPLY_LANES)


class _Settle:
    """A ``settle_chat`` waiting for a transaction to carry it."""

    __slots__ = ("future", "params")

    def __init__(self, params: tuple[Any, ...], future: asyncio.Future[tuple[Pending, ...]]) -> None:
        self.params = params
        self.future = future

    def done(self, rows: list[tuple[Any, ...]]) -> None:
        if not self.future.done():
            self.future.set_result(tuple(Pending(*row) for row in rows))

    def failed(self, exc: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(
                exc if isinstance(exc, StoreError) else StoreError(f"PostgreSQL store: {type(exc).__name__}: {exc}")
            )


class _Script:
    """Statements sent to the server together, as one query: psycopg's execute costs a send, a
    wait and its own bookkeeping per statement, and a transaction's ``BEGIN`` and ``COMMIT``
    one each too, where one query of several statements costs them once. The parameters are
    bound on the client by psycopg (``AsyncClientCursor.mogrify``); the results come in text.
    In READ COMMITTED each statement of the query still takes its own snapshot as it starts.
    A statement added with ``prepare`` goes as ``EXECUTE`` of a statement the connection's
    server prepared (:func:`_shape`), once per shape and connection (a query of its own, the
    first time: ``PREPARE`` is not undone by a rollback, so it is marked done once it ran)."""

    def __init__(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self.cursor = psycopg.AsyncClientCursor(connection)
        self.parts: list[str] = []
        self.known = _PREPARED_ON.setdefault(connection, set())
        self.preparing: list[_Prepared] = []

    def add(self, query: str, params: Any = None, prepare: bool = False) -> int:
        """A statement to send with the next :meth:`run`; its index among that run's results."""
        if prepare and params and PREPARE_WRITES:
            shaped = _shape(query, params)
            if shaped is not None:
                prepared, args = shaped
                if prepared.name not in self.known and prepared not in self.preparing:
                    self.preparing.append(prepared)
                query, params = prepared.call, args
        self.parts.append(query if params is None else self.cursor.mogrify(query, params))
        return len(self.parts) - 1

    def extend(self, statements: Sequence[Statement], prepare: bool = False) -> None:
        for query, params in statements:
            self.add(query, params, prepare)

    async def run(self) -> list[list[tuple[Any, ...]]]:
        """The statements added since the last run, sent as one query: each one's rows (none for
        a statement that returns none)."""
        for prepared in self.preparing:
            await self.cursor.execute(prepared.definition)
            self.known.add(prepared.name)
        self.preparing = []
        query, self.parts = "; ".join(self.parts), []
        await self.cursor.execute(query)
        results: list[list[tuple[Any, ...]]] = []
        while True:
            rows = self.cursor.pgresult is not None and self.cursor.pgresult.status == ExecStatus.TUPLES_OK
            results.append(await self.cursor.fetchall() if rows else [])
            if not self.cursor.nextset():
                return results


# Whether :class:`_Script` prepares the statements added with ``prepare`` (the apply's writes).
PREPARE_WRITES = True

# The statements prepared on each connection's server by :class:`_Script` (their names).
_PREPARED_ON: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], set[str]] = weakref.WeakKeyDictionary()

# The shapes of statements met so far (their text with ``$n`` and the parameters' types), each
# with the statement that prepares it; at most ``SHAPES`` of them, the rest go as text.
_SHAPES: dict[tuple[str, tuple[str, ...]], _Prepared] = {}
SHAPES = 512
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s")


def _sql_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "double precision"
    return "text"


def _shape(query: str, params: Any) -> tuple[_Prepared, tuple[Any, ...]] | None:
    """The prepared statement of ``query`` with ``params`` (``%s`` or ``%(name)s``; a ``None``
    becomes ``NULL`` in the statement's text, so its type is the column's) and its arguments."""
    args: list[Any] = []
    types: list[str] = []
    slots: dict[str, str] = {}
    positional = iter(params) if isinstance(params, tuple | list) else None

    def placeholder(match: re.Match[str]) -> str:
        key = match.group(1)
        if key is None:
            assert positional is not None
            value = next(positional)
        elif key in slots:
            return slots[key]
        else:
            value = params[key]
        if value is None:
            found = "NULL"
        else:
            args.append(value)
            types.append(_sql_type(value))
            found = f"${len(args)}"
        if key is not None:
            slots[key] = found
        return found

    text = _PLACEHOLDER.sub(placeholder, query)
    key = (text, tuple(types))
    prepared = _SHAPES.get(key)
    if prepared is None:
        if len(_SHAPES) >= SHAPES:
            return None
        prepared = _SHAPES[key] = _Prepared(f"rb_w{len(_SHAPES)}", types, text)
    return prepared, tuple(args)


def _lanes_statement(effect: Effect, lanes: LaneRequest) -> Statement | None:
    """The statement taking the free lanes of the replies' chats, with their first rows (this
    transaction's new rows among them), in the apply's transaction. As in ``take_lanes``, only a
    lane free in the statement's snapshot is taken: one released by its holder meanwhile (found
    free once its lock is waited for) would come with rows the holder has since delivered and
    deleted, which the snapshot still shows."""
    chats = list(dict.fromkeys(reply.chat_id for reply in effect.replies))
    if not chats:
        return None
    return APPLY_LANES.call, (_bigints(chats), lanes.until, lanes.owner, lanes.now, LANE_ROWS)


def _bigints(values: Sequence[int]) -> str:
    """Integers as the text of a PostgreSQL array, for a ``::bigint[]`` parameter: psycopg dumps a
    list element by element in Python, a string at once."""
    return "{" + ",".join(str(int(value)) for value in values) + "}"


def _values(name: str, rows: Sequence[Sequence[Any]], params: dict[str, Any]) -> str:
    """A ``VALUES`` list of ``rows``, their values added to ``params`` (as ``name``, row and
    column): psycopg adapts a list (an array) element by element in Python, a scalar cheaply."""
    listed: list[str] = []
    for row_index, row in enumerate(rows):
        names = [f"{name}_{row_index}_{column}" for column in range(len(row))]
        params.update(zip(names, row, strict=True))
        listed.append("(" + ", ".join(f"%({key})s" for key in names) + ")")
    return "VALUES " + ", ".join(listed)


def _effect_statements(user_id: int, effect: Effect, now: int) -> list[Statement]:
    """The new state, the views of the topics shown and the replies (in their order): one
    statement of the parts the step needs (none when it needs none)."""
    parts: list[str] = []
    params: dict[str, Any] = {"user_id": user_id, "now": now}
    if effect.state is not None:
        parts.append(
            """saved AS (
                 INSERT INTO users (user_id, lang, lang_chosen, node, answers, history, last_seen)
                 VALUES (%(user_id)s, %(lang)s, %(lang_chosen)s, %(node)s, %(answers)s, %(history)s, %(now)s)
                 ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang, lang_chosen = excluded.lang_chosen,
                   node = excluded.node, answers = excluded.answers, history = excluded.history,
                   last_seen = excluded.last_seen)"""
        )
        params.update(encode(effect.state))
    if effect.usage is not None and effect.usage.topics:
        topics = _values("topic", [(topic,) for topic in effect.usage.topics], params)
        parts.append(
            f"""viewed AS (
                 INSERT INTO usage_views (day, topic, lang, views)
                 SELECT %(day)s, topic, %(usage_lang)s, count(*) FROM ({topics}) AS t(topic)
                 GROUP BY topic
                 ON CONFLICT (day, topic, lang) DO UPDATE SET views = usage_views.views + excluded.views)"""
        )
        params.update(day=effect.usage.day, usage_lang=effect.usage.lang)
    if effect.replies:
        replies = [(n, reply.chat_id, reply.method, reply.params) for n, reply in enumerate(effect.replies)]
        parts.append(
            f"""queued AS (
                 INSERT INTO outbox (chat_id, user_id, method, params, created_at)
                 SELECT chat, %(user_id)s, method, body, %(now)s
                 FROM ({_values("reply", replies, params)}) AS r(n, chat, method, body)
                 ORDER BY n)"""
        )
    return [("WITH " + ", ".join(parts) + " SELECT 1", params)] if parts else []


def _consent_statements(user_id: int, effect: Effect, now: int) -> list[Statement]:
    """Hold a question until the user answers, then keep it (anonymous: its day, language and
    text, dated midnight UTC of its day as ``epoch`` does) or delete it."""
    statements: list[Statement] = []
    if effect.consent is True:
        statements.append(
            (
                """INSERT INTO usage_unanswered (day, lang, question, created_at)
                   SELECT day, lang, question, extract(epoch FROM day::date)::bigint FROM held_questions
                   WHERE user_id = %s AND question <> ''""",
                (user_id,),
            )
        )
    if effect.consent is not None:
        statements.append(("DELETE FROM held_questions WHERE user_id = %s", (user_id,)))
    if effect.hold is not None and effect.hold.unanswered:
        statements.append(
            (
                """INSERT INTO held_questions (user_id, day, lang, question, held_at) VALUES (%s, %s, %s, %s, %s)
                   ON CONFLICT (user_id) DO UPDATE SET day = excluded.day, lang = excluded.lang,
                     question = excluded.question, held_at = excluded.held_at""",
                (user_id, effect.hold.day, effect.hold.lang, effect.hold.unanswered, now),
            )
        )
    return statements


def _erase_statements(user_id: int, keep_update: int | None = None) -> list[Statement]:
    """Delete the user's state (first: its row count says whether there was one), pending
    replies, send lane and stored updates (but the update being handled, whose transaction
    deletes it anyway). The caller holds the user's lock."""
    statements: list[Statement] = [
        ("DELETE FROM users WHERE user_id = %s", (user_id,)),
        ("DELETE FROM outbox WHERE user_id = %s", (user_id,)),
        ("DELETE FROM send_lanes WHERE chat_id = %s", (user_id,)),
        ("DELETE FROM held_questions WHERE user_id = %s", (user_id,)),
    ]
    if keep_update is None:
        statements.append(("DELETE FROM inbox WHERE user_id = %s", (user_id,)))
    return statements


def _record_statements(usage: Usage) -> list[Statement]:
    """Usage counted: a view per topic, a result per outcome, the unanswered question."""
    statements: list[Statement] = [
        (
            """INSERT INTO usage_views (day, topic, lang, views) VALUES (%s, %s, %s, 1)
               ON CONFLICT (day, topic, lang) DO UPDATE SET views = usage_views.views + 1""",
            (usage.day, topic, usage.lang),
        )
        for topic in usage.topics
    ]
    statements.extend(
        (
            """INSERT INTO usage_outcomes (day, node, outcome, lang, results) VALUES (%s, %s, %s, %s, 1)
               ON CONFLICT (day, node, lang) DO UPDATE SET results = usage_outcomes.results + 1""",
            (usage.day, node, outcome, usage.lang),
        )
        for node, outcome in usage.outcomes
    )
    if usage.unanswered:
        statements.append(
            (
                "INSERT INTO usage_unanswered (day, lang, question, created_at) VALUES (%s, %s, %s, %s)",
                (usage.day, usage.lang, usage.unanswered, epoch(usage.day)),
            )
        )
    return statements


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
    [
        """CREATE TABLE inbox (
            update_id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, payload TEXT NOT NULL,
            received_at BIGINT NOT NULL, leased_until DOUBLE PRECISION NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX inbox_user ON inbox (user_id, update_id)",
        """CREATE TABLE outbox (
            id BIGSERIAL PRIMARY KEY, chat_id BIGINT NOT NULL, user_id BIGINT NOT NULL,
            method TEXT NOT NULL, params TEXT NOT NULL, created_at BIGINT NOT NULL,
            next_at DOUBLE PRECISION NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX outbox_chat ON outbox (chat_id, id)",
        "CREATE INDEX outbox_user ON outbox (user_id)",
        """CREATE TABLE send_lanes (
            chat_id BIGINT PRIMARY KEY, leased_until DOUBLE PRECISION NOT NULL DEFAULT 0, owner TEXT,
            tat DOUBLE PRECISION NOT NULL DEFAULT 0
        )""",
        "CREATE TABLE send_limits (key TEXT PRIMARY KEY, tat DOUBLE PRECISION NOT NULL)",
    ],
    [
        """CREATE TABLE held_questions (
            user_id BIGINT PRIMARY KEY, day TEXT NOT NULL, lang TEXT NOT NULL, question TEXT NOT NULL,
            held_at BIGINT NOT NULL
        )""",
    ],
]


class PostgresStore:
    """A :class:`~retainment_bot.store.base.Store` in PostgreSQL."""

    def __init__(
        self,
        url: str,
        min_size: int = 1,
        max_size: int = 20,
        schema: str | None = None,
        open_timeout: float = 30,
        timeout: float = 5,
    ) -> None:
        self.url = url
        self.open_timeout = open_timeout
        self.timeout = timeout
        self.schema = schema
        self.sizes = (min_size, max_size)
        self._pool: AsyncConnectionPool | None = None
        self._arrivals: list[tuple[tuple[int, int, str, int, float], asyncio.Future[Receipt]]] = []
        self._flusher: asyncio.Task[None] | None = None
        # Deliveries to record, waiting for the next apply to carry them (``settle_chat``).
        self._settles: list[_Settle] = []
        self._settle_timer: asyncio.TimerHandle | None = None
        self._settling: set[asyncio.Task[None]] = set()

    @property
    def pool(self) -> AsyncConnectionPool:
        if self._pool is None:
            raise StoreError("the PostgreSQL store is not open")
        return self._pool

    @asynccontextmanager
    async def _connection(self, transaction: bool = True) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A pooled connection (in a transaction unless told otherwise); database errors and a
        pool that has no connection within ``timeout`` become :class:`StoreError`."""
        try:
            async with self.pool.connection(timeout=self.timeout) as connection:
                if transaction:
                    async with connection.transaction():
                        yield connection
                else:
                    yield connection
        except psycopg.errors.InvalidSqlStatementName as exc:
            raise StoreError(f"PostgreSQL store: {exc}: {LOST_PREPARED}") from exc
        except (psycopg.Error, TimeoutError) as exc:
            raise StoreError(f"PostgreSQL store: {type(exc).__name__}: {exc}") from exc

    async def open(self) -> None:
        options = {"options": f"-c search_path={self.schema}"} if self.schema else {}
        min_size, max_size = self.sizes
        # A pool cannot be reopened once closed, so each open() makes a new one.
        self._pool = AsyncConnectionPool(
            self.url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            timeout=self.timeout,
            kwargs={"autocommit": True, "connect_timeout": max(2, int(self.timeout)), **options},
        )
        try:
            await self._pool.open(wait=True, timeout=self.open_timeout)
        except (psycopg.Error, TimeoutError) as exc:
            raise StoreError(f"PostgreSQL store: {exc}") from exc
        async with self._connection() as connection:
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

    async def close(self) -> None:
        if self._pool is not None:
            # Deliveries still to record are recorded first.
            await self._run_settles(self._take_settles())
            if self._settling:
                await asyncio.wait(set(self._settling))
            await self._pool.close()
            self._pool = None

    # -- the hot path ---------------------------------------------------------------------------

    async def apply(
        self, user_id: int, update_id: int | None, now: int, plan: Plan, lanes: LaneRequest | None = None
    ) -> Applied[Effect]:
        # The transaction is begun by hand (``BEGIN`` in the first query): the pool's connection
        # context rolls it back on an exception (a failed statement, the step's own error, a
        # cancellation) and commits what is still open when the block ends.
        async with self._connection(transaction=False) as connection:
            await _ready(connection)
            return await self._apply(_Script(connection), user_id, update_id, now, plan, lanes)

    async def _apply(
        self, script: _Script, user_id: int, update_id: int | None, now: int, plan: Plan, lanes: LaneRequest | None
    ) -> Applied[Effect]:
        """:meth:`apply` in two queries, each several statements: ``BEGIN``, the user's lock and
        the read, then (once the step has run) the writes and ``COMMIT``."""
        # The user's lock first, in a statement of its own: the read after it takes its snapshot
        # once the lock is held. An update's transaction need not wait for the WAL flush: its
        # inbox row was committed before the webhook answered and is deleted here with the state
        # written, so a server crash that loses this commit only replays the update.
        script.add("BEGIN")
        script.add(
            "SELECT set_config('synchronous_commit', %s, true), pg_advisory_xact_lock(%s)",
            ("on" if update_id is None else "off", user_id),
            prepare=True,
        )
        if update_id is None:
            script.add(
                "SELECT lang, lang_chosen, node, answers, history FROM users WHERE user_id = %s",
                (user_id,),
                prepare=True,
            )
            read = (await script.run())[-1]
            state = decode(*read[0]) if read else None
        else:  # claim the update id, take it out of the inbox and read the state: one statement
            # Under the user's lock, with an earlier update of the user still in the inbox this
            # one waits (``deferred``): two replicas may each have leased a user's update as
            # they recorded it, neither seeing the other's uncommitted row.
            script.add(CLAIM.call, (update_id, now, user_id))
            row = (await script.run())[-1][0]
            if row[1] or row[0] == 0:  # committed as the connection goes back
                return Applied(duplicate=False, deferred=True) if row[1] else Applied(duplicate=True)
            state = decode(*row[2:]) if row[2] is not None else None
        effect = plan(state)
        writes: list[Statement] = []
        if effect.erase:
            writes.extend(_erase_statements(user_id, keep_update=update_id))
        writes.extend(_effect_statements(user_id, effect, now))
        if effect.usage is not None and (effect.usage.outcomes or effect.usage.unanswered):
            writes.extend(_record_statements(replace(effect.usage, topics=())))  # the topics are written
        writes.extend(_consent_statements(user_id, effect, now))
        taking = _lanes_statement(effect, lanes) if lanes and TAKE_LANES_IN_APPLY else None
        # Deliveries waiting to be recorded go in the writes' query, in this transaction, after the
        # writes: a lane of the user's own chat still sending reads the new rows and goes on (its
        # sender is still running it: a lane given back here and taken again by the statement
        # below would be handed to a sender that skips it, as the chat is still active there).
        carried = self._take_settles()
        sent = False
        try:
            script.extend(writes, prepare=True)
            settled = [(settle, script.add(SETTLE_PREPARED.call, settle.params)) for settle in carried]
            at = script.add(*taking) if taking else None
            script.add("COMMIT")
            sent = True
            results = await script.run()
        except BaseException as exc:
            if sent:  # rolled back (or its end unknown): as a settle_chat that failed
                for settle in carried:
                    settle.failed(exc)
            else:  # never sent: for the next transaction
                self._requeue(carried)
            raise
        for settle, index in settled:
            settle.done(results[index])
        if at is None:
            return Applied(duplicate=False, result=effect)
        found = _lanes(results[at])
        taken = tuple((chat_id, Lane(tat, tuple(rows))) for chat_id, (tat, rows) in found.items())
        return Applied(duplicate=False, result=effect, lanes=taken)

    @staticmethod
    async def _erase(connection: psycopg.AsyncConnection[Any], user_id: int) -> bool:
        """:func:`_erase_statements` one at a time: whether the user had a state."""
        first, *rest = _erase_statements(user_id)
        cursor = await connection.execute(*first)
        for query, params in rest:
            await connection.execute(query, params)
        return cursor.rowcount > 0

    @staticmethod
    async def _read(connection: psycopg.AsyncConnection[Any], user_id: int) -> State | None:
        cursor = await connection.execute(
            "SELECT lang, lang_chosen, node, answers, history FROM users WHERE user_id = %s", (user_id,)
        )
        row = await cursor.fetchone()
        return decode(*row) if row else None

    @staticmethod
    async def _record(connection: psycopg.AsyncConnection[Any], usage: Usage) -> None:
        for query, params in _record_statements(usage):
            await connection.execute(query, params)

    # -- the inbox ------------------------------------------------------------------------------

    async def enqueue(self, update_id: int, user_id: int, payload: str, now: int) -> bool:
        return await self.receive(update_id, user_id, payload, now, 0.0) != Receipt.DUPLICATE

    async def receive(self, update_id: int, user_id: int, payload: str, now: int, lease_until: float) -> Receipt:
        """Updates arriving together are inserted and committed together (one round trip and one
        commit for the batch); each caller waits for the commit that includes its update."""
        future: asyncio.Future[Receipt] = asyncio.get_running_loop().create_future()
        self._arrivals.append(((update_id, user_id, payload, now, lease_until), future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._commit_arrivals())
        return await future

    async def _commit_arrivals(self) -> None:
        while self._arrivals:
            batch, self._arrivals = self._arrivals, []
            columns = list(zip(*(row for row, _ in batch), strict=True))
            try:
                async with self._connection(transaction=False) as connection:
                    # One statement (a transaction of its own). A row is leased at once when it is
                    # its user's first in the batch and the inbox holds nothing else of the user;
                    # this process's batches are one at a time, and another replica's row not yet
                    # committed is caught by apply (``deferred``).
                    cursor = await connection.execute(
                        """INSERT INTO inbox (update_id, user_id, payload, received_at, leased_until, attempts)
                           SELECT u, o, p, r, lease, (lease > 0)::int FROM (
                             SELECT u, o, p, r, CASE WHEN l > 0 AND row_number() OVER (PARTITION BY o ORDER BY u) = 1
                                 AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.user_id = t.o) THEN l ELSE 0 END AS lease
                             FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::bigint[], %s::float8[])
                               AS t(u, o, p, r, l)
                             WHERE NOT EXISTS (SELECT 1 FROM processed_updates WHERE update_id = t.u)) AS n
                           ON CONFLICT DO NOTHING RETURNING update_id, leased_until""",
                        [
                            _bigints(columns[0]),
                            _bigints(columns[1]),
                            list(columns[2]),
                            _bigints(columns[3]),
                            list(columns[4]),
                        ],
                    )
                    inserted = {int(row[0]): float(row[1]) for row in await cursor.fetchall()}
            except StoreError as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for row, future in batch:
                if not future.done():
                    lease = inserted.get(row[0])
                    future.set_result(
                        Receipt.DUPLICATE if lease is None else Receipt.LEASED if lease > 0 else Receipt.QUEUED
                    )

    async def claim(self, now: float, lease_seconds: float, limit: int) -> list[Queued]:
        async with self._connection(transaction=False) as connection:
            # Only the oldest update of each user can be claimed, and it stays in the inbox (blocking
            # the user's next ones) until the transaction that applies it deletes it. SKIP LOCKED
            # lets replicas claim at the same time without waiting for one another. One statement
            # is a transaction of its own: no BEGIN and COMMIT round trips.
            cursor = await connection.execute(
                """WITH heads AS (
                     SELECT i.update_id FROM inbox i WHERE i.leased_until <= %(now)s AND NOT EXISTS (
                       SELECT 1 FROM inbox j WHERE j.user_id = i.user_id AND j.update_id < i.update_id)
                     ORDER BY i.update_id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
                   UPDATE inbox SET leased_until = %(until)s, attempts = inbox.attempts + 1 FROM heads
                   WHERE inbox.update_id = heads.update_id
                   RETURNING inbox.update_id, inbox.user_id, inbox.payload, inbox.attempts""",
                {"now": now, "until": now + lease_seconds, "limit": limit},
            )
            rows = await cursor.fetchall()
        return sorted((Queued(*row) for row in rows), key=lambda q: q.update_id)

    async def release(self, update_id: int, retry_at: float) -> None:
        async with self._connection(transaction=False) as connection:
            await connection.execute("UPDATE inbox SET leased_until = %s WHERE update_id = %s", (retry_at, update_id))

    async def reset_leases(self) -> None:
        """Replicas share PostgreSQL: a lease is only given up when it runs out."""

    async def backlog(self) -> int:
        """How many updates wait in the inbox (for tests and logs)."""
        return await self._count("SELECT count(*) FROM inbox")

    async def _count(self, query: str) -> int:
        async with self._connection(transaction=False) as connection:
            row = await (await connection.execute(query)).fetchone()
            return int(row[0]) if row else 0

    # -- the outbox -----------------------------------------------------------------------------

    async def take_lanes(
        self, owner: str, now: float, lease_seconds: float, limit: int, rows: int = LANE_ROWS
    ) -> list[tuple[int, Lane]]:
        async with self._connection(transaction=False) as connection:
            # One statement (so a transaction of its own): the due chats, their lanes taken (a lane
            # another replica took meanwhile fails the upsert's condition and is left out), and each
            # one's first rows.
            cursor = await connection.execute(
                """WITH chats AS (
                     SELECT o.chat_id AS chat FROM outbox o WHERE o.next_at <= %(now)s AND NOT EXISTS (
                       SELECT 1 FROM send_lanes l WHERE l.chat_id = o.chat_id AND l.leased_until > %(now)s)
                     GROUP BY o.chat_id ORDER BY min(o.id) LIMIT %(limit)s)"""
                + TAKE_LANES,
                {"now": now, "until": now + lease_seconds, "owner": owner, "limit": limit, "rows": rows},
            )
            lanes = _lanes(await cursor.fetchall())
        ordered = sorted(lanes.items(), key=lambda item: item[1][1][0].id if item[1][1] else 0)
        return [(chat_id, Lane(tat, tuple(pending))) for chat_id, (tat, pending) in ordered]

    async def lease_chat(
        self, chat_id: int, owner: str, now: float, lease_seconds: float, rows: int = LANE_ROWS
    ) -> Lane | None:
        async with self._connection() as connection:
            cursor = await connection.execute(
                """INSERT INTO send_lanes (chat_id, leased_until, owner, tat) VALUES (%s, %s, %s, 0)
                   ON CONFLICT (chat_id) DO UPDATE SET leased_until = excluded.leased_until, owner = excluded.owner
                   WHERE send_lanes.leased_until <= %s OR send_lanes.owner = excluded.owner
                   RETURNING tat""",
                (chat_id, now + lease_seconds, owner, now),
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            return Lane(float(row[0]), await self._rows(connection, chat_id, rows))

    async def settle_chat(
        self, chat_id: int, owner: str, tat: float, done: int | Sequence[int] | None
    ) -> tuple[Pending, ...]:
        """Recorded by the next apply's transaction (its last query, which also commits it), or
        on its own after ``SETTLE_WAIT`` when no apply comes: a statement, a transaction and a
        round trip fewer per delivery under load. The caller waits for the commit either way."""
        delivered = [] if done is None else [done] if isinstance(done, int) else list(done)
        loop = asyncio.get_running_loop()
        params = (_bigints(delivered), chat_id, LANE_ROWS, tat, owner)
        settle = _Settle(params, loop.create_future())
        self._settles.append(settle)
        if self._settle_timer is None:
            self._settle_timer = loop.call_later(SETTLE_WAIT, self._settle_alone)
        return await settle.future

    def _take_settles(self) -> list[_Settle]:
        """The waiting settles (but those whose caller gave up), for one transaction to carry."""
        taken, self._settles = [settle for settle in self._settles if not settle.future.done()], []
        if self._settle_timer is not None:
            self._settle_timer.cancel()
            self._settle_timer = None
        return taken

    def _requeue(self, settles: list[_Settle]) -> None:
        if settles:
            self._settles[:0] = settles
            if self._settle_timer is None:
                self._settle_timer = asyncio.get_running_loop().call_later(SETTLE_WAIT, self._settle_alone)

    def _settle_alone(self) -> None:
        self._settle_timer = None
        carried = self._take_settles()
        if carried:
            task = asyncio.get_running_loop().create_task(self._run_settles(carried))
            self._settling.add(task)
            task.add_done_callback(self._settling.discard)

    async def _run_settles(self, carried: list[_Settle]) -> None:
        """Settles no apply carried: one query (several statements are one transaction)."""
        if not carried:
            return
        try:
            async with self._connection(transaction=False) as connection:
                await _ready(connection)
                script = _Script(connection)
                for settle in carried:
                    script.add(SETTLE_PREPARED.call, settle.params)
                results = await script.run()
        except BaseException as exc:
            for settle in carried:
                settle.failed(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for settle, rows in zip(carried, results, strict=True):
            settle.done(rows)

    async def release_chat(self, chat_id: int, owner: str, tat: float) -> None:
        async with self._connection(transaction=False) as connection:
            await self._release(connection, chat_id, owner, tat)

    @staticmethod
    async def _release(connection: psycopg.AsyncConnection[Any], chat_id: int, owner: str, tat: float) -> None:
        await connection.execute(
            "UPDATE send_lanes SET leased_until = 0, owner = NULL, tat = %s WHERE chat_id = %s AND owner = %s",
            (tat, chat_id, owner),
        )

    @staticmethod
    async def _rows(connection: psycopg.AsyncConnection[Any], chat_id: int, limit: int) -> tuple[Pending, ...]:
        """The chat's oldest outbox rows."""
        if limit <= 0:
            return ()
        cursor = await connection.execute(
            """SELECT id, chat_id, method, params, attempts, next_at FROM outbox WHERE chat_id = %s
               ORDER BY id LIMIT %s""",
            (chat_id, limit),
        )
        return tuple(Pending(*row) for row in await cursor.fetchall())

    async def sent(self, reply_id: int) -> None:
        async with self._connection(transaction=False) as connection:
            await connection.execute("DELETE FROM outbox WHERE id = %s", (reply_id,))

    async def retry(self, reply_id: int, at: float) -> None:
        async with self._connection(transaction=False) as connection:
            await connection.execute(
                "UPDATE outbox SET next_at = %s, attempts = attempts + 1 WHERE id = %s", (at, reply_id)
            )

    async def pending_replies(self) -> int:
        """How many replies wait in the outbox (for tests and logs)."""
        return await self._count("SELECT count(*) FROM outbox")

    async def take_slot(self, key: str, now: float, interval: float, burst: int) -> float:
        # Every message books a slot when the limit is on: one statement (a transaction of its
        # own) that locks the row, books the next slot and returns the time it found; the row is
        # made once, the first time.
        async with self._connection(transaction=False) as connection:
            for _ in range(2):
                cursor = await connection.execute(
                    """UPDATE send_limits s SET tat = greatest(o.tat, %(now)s) + %(interval)s
                       FROM (SELECT key, tat FROM send_limits WHERE key = %(key)s FOR UPDATE) o
                       WHERE s.key = o.key RETURNING o.tat""",
                    {"key": key, "now": now, "interval": interval},
                )
                row = await cursor.fetchone()
                if row is not None:
                    return gcra_wait(float(row[0]), now, interval, burst)
                await connection.execute(
                    "INSERT INTO send_limits (key, tat) VALUES (%s, 0) ON CONFLICT DO NOTHING", (key,)
                )
        raise StoreError("PostgreSQL store: the rate-limit row could not be made")

    # -- privacy and maintenance ------------------------------------------------------------------

    async def load(self, user_id: int) -> State | None:
        async with self._connection(transaction=False) as connection:
            return await self._read(connection, user_id)

    async def forget(self, user_id: int) -> bool:
        async with self._connection() as connection:
            await connection.execute("SELECT pg_advisory_xact_lock(%s)", (user_id,))
            return await self._erase(connection, user_id)

    async def purge(self, now: int, retention_seconds: int, unanswered_seconds: int = UNANSWERED_SECONDS) -> int:
        cutoff = now - retention_seconds
        async with self._connection(transaction=False) as connection:
            cursor = await connection.execute("SELECT user_id FROM users WHERE last_seen < %s", (cutoff,))
            candidates = [int(row[0]) for row in await cursor.fetchall()]
        deleted = 0
        for user_id in candidates:
            # Each user under their own lock, re-checked inside it: an update applied meanwhile
            # made them active again and keeps them; none can write back a deleted state.
            async with self._connection() as connection:
                await connection.execute("SELECT pg_advisory_xact_lock(%s)", (user_id,))
                cursor = await connection.execute(
                    "SELECT 1 FROM users WHERE user_id = %s AND last_seen < %s", (user_id, cutoff)
                )
                if await cursor.fetchone() is not None:
                    deleted += await self._erase(connection, user_id)
        async with self._connection() as connection:
            await connection.execute("DELETE FROM processed_updates WHERE seen_at < %s", (now - DEDUPLICATION_SECONDS,))
            await connection.execute("DELETE FROM usage_unanswered WHERE created_at < %s", (now - unanswered_seconds,))
            await connection.execute("DELETE FROM send_lanes WHERE leased_until = 0 AND tat < %s", (now,))
            await connection.execute("DELETE FROM held_questions WHERE held_at < %s", (now - HELD_SECONDS,))
        return deleted

    async def record(self, usage: Usage) -> None:
        async with self._connection() as connection:
            await self._record(connection, usage)

    async def report(self, since: str) -> UsageReport:
        async with self._connection(transaction=False) as connection:
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
        return UsageReport(
            tuple((d, t, lang, int(n)) for d, t, lang, n in views),
            tuple((d, node, o, lang, int(n)) for d, node, o, lang, n in outcomes),
            tuple((d, lang, q) for d, lang, q in unanswered),
        )
