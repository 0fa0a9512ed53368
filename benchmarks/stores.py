"""Store scaling: the cost of one update with 10k, 100k and 1M users already stored.

Everything that knows the Store API or the schema is in three small functions — :func:`open_for`,
:func:`one_update` and :func:`prefill` — so that a change of the pipeline (an inbox/outbox, a
new Store API) means adapting those and nothing else.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from retainment_bot.engine.engine import Engine, Event, Outcome, State
from retainment_bot.stats import usage_of
from retainment_bot.store import PostgresStore, SqliteStore, Store
from retainment_bot.store.base import Effect
from retainment_bot.telegram.handlers import outgoing

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def open_for(backend: str, workdir: Path, schema: str) -> Store:
    """A SQLite store in ``workdir``, or a PostgreSQL store in ``schema`` of the test database."""
    if backend == "sqlite":
        return SqliteStore(workdir / "scaling.sqlite3")
    return PostgresStore(PG_URL, schema=schema)


async def one_update(store: Store, engine: Engine, user_id: int, update_id: int, event: Event) -> Outcome | None:
    """One update through the store exactly as the bot's handler does it (retainment_bot.telegram.handlers
    ``_step``): under the store's lock and dedup, the engine step, and in the same transaction
    the new state, the usage figures and the replies' outbox rows."""
    now = time.time()
    day = datetime.fromtimestamp(now, UTC).date().isoformat()
    stepped: list[Outcome] = []

    def plan(state: State | None) -> Effect:
        outcome = engine.step(state or engine.new_state("en"), event)
        stepped.append(outcome)
        usage = usage_of(engine.content, outcome, outcome.state.lang, day)
        return Effect(state=outcome.state, replies=outgoing(user_id, outcome.replies), usage=usage)

    applied = await store.apply(user_id, update_id, int(now), plan)
    if applied.duplicate or not stepped:
        return None
    return stepped[-1]


def prefill(backend: str, workdir: Path, schema: str, first: int, last: int, node: str) -> None:
    """Users ``first``..``last`` (and as many remembered update ids) in one bulk statement each,
    as if they had each used the bot once today: INSERT … SELECT, no round trip per row."""
    now = int(time.time())
    if backend == "sqlite":
        with closing(sqlite3.connect(workdir / "scaling.sqlite3", isolation_level=None)) as connection:
            connection.execute("BEGIN")
            series = "WITH RECURSIVE s(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM s WHERE x < ?) "
            connection.execute(
                series + "INSERT INTO users (user_id, lang, lang_chosen, node, answers, history, last_seen) "
                "SELECT x, 'vi', 1, ?, '{}', '[]', ? FROM s",
                (first, last, node, now),
            )
            connection.execute(
                series + "INSERT INTO processed_updates (update_id, seen_at) SELECT x + 1000000000, ? FROM s",
                (first, last, now),
            )
            connection.execute("COMMIT")
        return
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True, options=f"-c search_path={schema}") as connection:
        params: dict[str, Any] = {"first": first, "last": last, "node": node, "now": now}
        connection.execute(
            "INSERT INTO users (user_id, lang, lang_chosen, node, answers, history, last_seen) "
            "SELECT g, 'vi', true, %(node)s, '{}', '[]', %(now)s "
            "FROM generate_series(%(first)s::bigint, %(last)s::bigint) g",
            params,
        )
        connection.execute(
            "INSERT INTO processed_updates (update_id, seen_at) "
            "SELECT g + 1000000000, %(now)s FROM generate_series(%(first)s::bigint, %(last)s::bigint) g",
            params,
        )
        connection.execute("ANALYZE users")
        connection.execute("ANALYZE processed_updates")


def create_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def process_url(schema: str) -> str:
    """The DATABASE_URL that puts a bot process's tables in ``schema`` (libpq ``options``)."""
    return f"{PG_URL}?options=-csearch_path%3D{schema}"
