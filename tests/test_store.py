"""The stores on their own: schema migration, retention, erasure, and a database that is missing."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from retainment_bot.engine.engine import State
from retainment_bot.store import (
    Effect,
    LaneRequest,
    Outgoing,
    PostgresStore,
    Receipt,
    SqliteStore,
    Store,
    StoreError,
    open_store,
)
from retainment_bot.store.base import DEDUPLICATION_SECONDS, Usage, gcra_wait

DAY = 24 * 3600


def put(state: State) -> Any:
    return lambda _old: Effect(state=state)


def replying(reply: Outgoing) -> Any:
    return lambda _old: Effect(state=State("en"), replies=(reply,))


async def test_inactive_users_are_deleted_after_the_retention(store: Store) -> None:
    await store.open()
    try:
        now = 1_800_000_000
        await store.apply(1, None, now - 200 * DAY, put(State("vi", node="ssw.start")))
        await store.apply(2, None, now - 10 * DAY, put(State("ja")))
        assert await store.purge(now, retention_seconds=180 * DAY) == 1
        assert await store.load(1) is None
        assert (await store.load(2)) == State("ja")
    finally:
        await store.close()


async def test_update_ids_are_forgotten_after_the_deduplication_window(store: Store) -> None:
    await store.open()
    try:
        now = 1_800_000_000
        assert not (await store.apply(1, 99, now, put(State("en")))).duplicate
        assert (await store.apply(1, 99, now, put(State("en")))).duplicate
        await store.purge(now + DEDUPLICATION_SECONDS + 1, retention_seconds=365 * DAY)
        assert not (await store.apply(1, 99, now, put(State("en")))).duplicate
    finally:
        await store.close()


async def test_forget_erases_the_user(store: Store) -> None:
    await store.open()
    try:
        await store.apply(5, 1, 0, put(State("en", answers=(("status", "ssw"),))))
        assert await store.forget(5) is True
        assert await store.load(5) is None
        assert await store.forget(5) is False
    finally:
        await store.close()


async def test_a_send_lane_reads_its_rows_with_the_lease_and_is_given_back_when_empty(store: Store) -> None:
    await store.open()
    try:
        replies = tuple(Outgoing(7, "sendMessage", f'{{"chat_id": 7, "text": "{n}"}}') for n in range(3))
        await store.apply(7, 1, 0, lambda _old: Effect(state=State("en"), replies=replies))
        lane = await store.lease_chat(7, "me", now=10.0, lease_seconds=30, rows=2)
        assert lane is not None and [row.params for row in lane.rows] == [r.params for r in replies[:2]]
        assert await store.lease_chat(7, "another sender", now=11.0, lease_seconds=30) is None
        await store.sent(lane.rows[0].id)
        rest = await store.settle_chat(7, "me", tat=12.5, done=lane.rows[1].id)
        assert [row.params for row in rest] == [replies[2].params]  # read on: the lane is still held
        assert await store.lease_chat(7, "another sender", now=12.0, lease_seconds=30) is None
        assert await store.settle_chat(7, "me", tat=13.5, done=rest[0].id) == ()
        assert await store.pending_replies() == 0
        again = await store.lease_chat(7, "another sender", now=14.0, lease_seconds=30)
        assert again is not None and again.tat == 13.5 and again.rows == ()  # given back, its time kept
    finally:
        await store.close()


async def test_a_sender_takes_the_lanes_of_due_chats_with_their_first_rows(store: Store) -> None:
    """Oldest row first; a lane another sender holds, and rows not yet due, are left alone; a
    lane given back can be taken again, with its rate-limit time."""
    await store.open()
    try:
        for update_id, chat in enumerate((8, 7, 9, 8), start=1):
            reply = Outgoing(chat, "sendMessage", f'{{"chat_id": {chat}, "text": "{update_id}"}}')
            await store.apply(chat, update_id, 0, replying(reply))
        assert await store.lease_chat(9, "another sender", now=10.0, lease_seconds=30) is not None
        later = await store.take_lanes("another sender", now=10.0, lease_seconds=30, limit=8, rows=0)
        assert [chat for chat, _ in later] == [8, 7]  # 9 is its own already
        await store.release_chat(8, "another sender", tat=12.0)
        await store.release_chat(7, "another sender", tat=0.0)
        first = (await store.take_lanes("me", now=11.0, lease_seconds=30, limit=1))[0]
        assert first[0] == 8 and first[1].tat == 12.0
        assert [row.params for row in first[1].rows] == ['{"chat_id": 8, "text": "1"}', '{"chat_id": 8, "text": "4"}']
        for row in first[1].rows:
            await store.retry(row.id, at=100.0)
        await store.release_chat(8, "me", tat=13.0)
        rest = await store.take_lanes("me", now=12.0, lease_seconds=30, limit=8)
        assert [(chat, [row.params for row in lane.rows]) for chat, lane in rest] == [
            (7, ['{"chat_id": 7, "text": "2"}'])  # 8's rows wait until 100, 9's lane is held
        ]
        assert await store.take_lanes("me", now=13.0, lease_seconds=30, limit=8) == []
        again = await store.take_lanes("me", now=101.0, lease_seconds=30, limit=8)
        assert [chat for chat, _ in again] == [8, 7, 9]  # the leases of 7 and 9 ran out at 42 and 40
    finally:
        await store.close()


async def test_a_received_update_is_leased_to_its_receiver_only_when_nothing_of_its_user_waits(store: Store) -> None:
    """The receiving process leases an update as it records it (no claim) only when it is its
    user's only one in the inbox; the user's later ones wait for a claim, in order; a leased
    update whose receiver died is claimed by anyone once the lease runs out."""
    await store.open()
    try:
        assert await store.receive(10, 7, "{}", 0, lease_until=100.0) == Receipt.LEASED
        assert await store.receive(11, 7, "{}", 0, lease_until=100.0) == Receipt.QUEUED  # behind 10
        assert await store.receive(12, 8, "{}", 0, lease_until=0.0) == Receipt.QUEUED  # no room asked for
        assert await store.receive(10, 7, "{}", 0, lease_until=100.0) == Receipt.DUPLICATE
        together = await asyncio.gather(
            store.receive(20, 9, "{}", 0, lease_until=100.0), store.receive(21, 9, "{}", 0, lease_until=100.0)
        )
        assert list(together) == [Receipt.LEASED, Receipt.QUEUED]  # one user's two in one batch: the first only
        assert [q.update_id for q in await store.claim(now=1.0, lease_seconds=300, limit=10)] == [12]
        assert not (await store.apply(7, 10, 1, put(State("en")))).duplicate
        assert await store.receive(10, 7, "{}", 1, lease_until=100.0) == Receipt.DUPLICATE  # processed
        assert [q.update_id for q in await store.claim(now=2.0, lease_seconds=300, limit=10)] == [11]
        # 20's receiver never handled it: once its lease has run out, a claim hands it out (and 21 after it).
        assert [(q.update_id, q.attempts) for q in await store.claim(now=101.0, lease_seconds=30, limit=10)] == [
            (20, 2)
        ]
    finally:
        await store.close()


async def test_an_update_is_deferred_while_an_earlier_one_of_its_user_is_in_the_inbox(pg_schema: str) -> None:
    """PostgreSQL: two replicas may each lease one of a user's updates as they record them (each
    insert not seeing the other's); apply then leaves the later one in the inbox until the
    earlier one is applied."""
    from tests.telegram_harness import postgres_store

    store = postgres_store(pg_schema)
    await store.open()
    try:
        assert await store.receive(31, 5, "{}", 0, lease_until=100.0) == Receipt.LEASED
        assert await store.enqueue(30, 5, "{}", 0)  # the earlier update, recorded after it
        deferred = await store.apply(5, 31, 0, put(State("ja")))
        assert deferred.deferred and not deferred.duplicate and deferred.result is None
        assert await store.load(5) is None and await store.backlog() == 2
        assert not (await store.apply(5, 30, 0, put(State("en")))).deferred
        assert not (await store.apply(5, 31, 0, put(State("vi")))).deferred
        assert await store.load(5) == State("vi") and await store.backlog() == 0
    finally:
        await store.close()


async def test_apply_takes_the_free_lanes_of_its_replies_with_their_first_rows(store: Store) -> None:
    """Asked to, the update's transaction takes the lane of each chat it replies to, with the
    chat's first rows (older ones first), unless a sender holds it; several delivered rows are
    recorded in one settle."""
    await store.open()
    try:
        older = Outgoing(7, "sendMessage", '{"chat_id": 7, "text": "older"}')
        await store.apply(7, 1, 0, replying(older))  # not asked: the lane stays free
        replies = (
            Outgoing(7, "answerCallbackQuery", '{"callback_query_id": "1"}'),
            Outgoing(7, "sendMessage", '{"chat_id": 7, "text": "new"}'),
            Outgoing(8, "sendMessage", '{"chat_id": 8, "text": "elsewhere"}'),
        )
        assert await store.lease_chat(8, "another sender", now=10.0, lease_seconds=30) is not None
        applied = await store.apply(
            7, 2, 10, lambda _old: Effect(state=State("en"), replies=replies), LaneRequest("me", 10.0, 40.0)
        )
        assert [(chat, [row.params for row in lane.rows]) for chat, lane in applied.lanes] == [
            (7, [older.params, replies[0].params, replies[1].params])  # 8's lane is another sender's
        ]
        assert await store.lease_chat(7, "another sender", now=11.0, lease_seconds=30) is None  # taken for "me"
        again = await store.apply(7, 3, 12, replying(older), LaneRequest("another sender", 12.0, 42.0))
        assert again.lanes == ()
        rows = applied.lanes[0][1].rows
        rest = await store.settle_chat(7, "me", tat=0.0, done=[row.id for row in rows])
        assert [row.params for row in rest] == [older.params]  # update 3's reply; the three delivered are gone
        assert await store.pending_replies() == 2  # that one and chat 8's
    finally:
        await store.close()


async def test_text_with_quotes_and_placeholders_is_stored_as_given(store: Store) -> None:
    """Whatever the text holds (quotes, backslashes, placeholders, a semicolon, a comment, a
    dollar quote, non-Latin scripts), apply stores it as given: PostgreSQL's apply binds its
    values on the client and sends several statements as one query."""
    tricky = 'it\'s \\ "q" %s %(x)s $1 $$ ; -- COMMIT; ROLLBACK; ビザ Gia hạn 😀'
    state = State("en", True, tricky, (("key", tricky),), (tricky,))
    replies = (Outgoing(7, "sendMessage", json.dumps({"text": tricky})), Outgoing(7, "m;'", tricky))
    usage = Usage(day="2026-01-02", lang="en", topics=(tricky, tricky, "plain"), outcomes=((tricky, "x'"),))
    await store.open()
    try:
        applied = await store.apply(
            7, 1, 0, lambda _old: Effect(state=state, replies=replies, usage=usage), LaneRequest("me", 0.0, 30.0)
        )
        assert await store.load(7) == state
        ((chat, lane),) = applied.lanes
        assert chat == 7 and [(row.method, row.params) for row in lane.rows] == [(r.method, r.params) for r in replies]
        report = await store.report("2026-01-01")
        assert sorted((topic, count) for _, topic, _, count in report.views) == sorted([("plain", 1), (tricky, 2)])
        assert [(node, outcome) for _, node, outcome, _, _ in report.outcomes] == [(tricky, "x'")]
    finally:
        await store.close()


async def test_a_step_that_fails_writes_nothing(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """A plan that raises: nothing of the update is written, it stays in the inbox to be tried
    again, the user's lock is free, and (PostgreSQL) the transaction begun by hand is rolled back
    before its connection goes back to the pool, which would warn if it had to."""

    def failing(_old: State | None) -> Effect:
        raise ValueError("the step failed")

    await store.open()
    try:
        assert await store.enqueue(1, 5, "{}", 0)
        with pytest.raises(ValueError, match="the step failed"):
            await store.apply(5, 1, 0, failing)
        assert await store.load(5) is None and await store.backlog() == 1
        applied = await asyncio.wait_for(store.apply(5, 1, 0, put(State("vi"))), 10)
        assert not applied.duplicate and await store.load(5) == State("vi") and await store.backlog() == 0
    finally:
        await store.close()
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


async def test_senders_booking_slots_at_once_each_get_their_own(store: Store) -> None:
    """The shared rate limit under concurrent bookings: every caller gets a different slot, and
    the waits are exactly those of the bookings made one after another."""
    await store.open()
    try:
        now, interval, burst = 1_000.0, 1 / 30, 5
        waits = await asyncio.gather(*(store.take_slot("global", now, interval, burst) for _ in range(12)))
        expected, tat = [], 0.0
        for _ in range(12):
            expected.append(gcra_wait(tat, now, interval, burst))
            tat = max(tat, now) + interval
        assert sorted(waits) == expected
        assert await store.take_slot("global", now + 1.0, interval, burst) == 0.0  # the slots have passed
    finally:
        await store.close()


async def test_opening_twice_migrates_once(store: Store) -> None:
    await store.open()
    await store.close()
    await store.open()  # a second replica, or a restart: the schema is already there
    try:
        await store.apply(1, None, 0, put(State("en")))
        assert await store.load(1) == State("en")
    finally:
        await store.close()


async def test_an_unreachable_database_raises_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError):
        await SqliteStore(blocker / "bot.sqlite3").open()
    postgres = PostgresStore("postgresql://nobody@127.0.0.1:1/none", open_timeout=2)
    with pytest.raises(StoreError):
        await postgres.open()
    await postgres.close()


def test_the_database_url_chooses_the_backend(tmp_path: Path) -> None:
    assert isinstance(open_store(None, tmp_path), SqliteStore)
    assert isinstance(open_store("postgres://u@h/db", tmp_path), PostgresStore)
    assert isinstance(open_store("postgresql://u@h/db", tmp_path), PostgresStore)
    assert open_store(None, tmp_path).path == tmp_path / "bot.sqlite3"  # type: ignore[attr-defined]


async def test_sqlite_commits_each_transaction_with_its_own_synchronous_setting(tmp_path: Path) -> None:
    """The inbox's writes wait for the disk (FULL), bookkeeping and applies do not (NORMAL); the
    setting is changed only when it differs from the last one, so it must follow every switch."""
    store = SqliteStore(tmp_path / "s.db")
    await store.open()

    def setting(connection: Any) -> int:
        return int(connection.execute("PRAGMA synchronous").fetchone()[0])

    full, normal = 2, 1
    try:
        seen = [
            await store._note(setting),
            await store._note(setting),
            await store._write(setting),
            await store._write(setting),
            await store._note(setting),
            await store._call(store._transaction(setting, durable=True)),
            await store._call(store._transaction(setting, durable=False)),
        ]
        assert seen == [normal, normal, full, full, normal, full, normal]
        await store.close()
        await store.open()  # a new connection starts at FULL again, and is switched as before
        assert [await store._note(setting), await store._write(setting)] == [normal, full]
    finally:
        await store.close()


async def test_the_sqlite_thread_answers_each_call_with_its_own_result_and_skips_cancelled_ones(
    tmp_path: Path,
) -> None:
    """Calls made together are answered together, each with its own result or error; a call whose
    caller was cancelled before the thread reached it is never made."""
    store = SqliteStore(tmp_path / "s.db")
    await store.open()

    def select(connection: sqlite3.Connection, number: int) -> int:
        if number == 3:
            raise sqlite3.OperationalError("refused")
        return int(connection.execute("SELECT ?", (number,)).fetchone()[0])

    try:
        results = await asyncio.gather(*(store._call(select, n) for n in range(6)), return_exceptions=True)
        assert results[:3] == [0, 1, 2] and results[4:] == [4, 5]
        assert isinstance(results[3], StoreError)

        gate, made = threading.Event(), []
        blocking = asyncio.ensure_future(store._call(lambda _c: gate.wait(10)))
        cancelled = asyncio.ensure_future(store._call(lambda _c: made.append("made")))
        await asyncio.sleep(0)  # both are queued
        cancelled.cancel()
        gate.set()
        assert await blocking is True
        assert await store._call(select, 7) == 7  # the thread is past the cancelled call
        assert made == [] and cancelled.cancelled()
    finally:
        await store.close()


async def test_postgres_records_a_delivery_in_the_next_apply_s_transaction(
    pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``settle_chat`` waits for the next apply and goes in its transaction: the delivered row is
    deleted and the lane given back when that transaction commits, never before (and nothing is
    recorded on its own meanwhile); an apply to the same chat has its sender's lane read the new
    rows and go on (the lane statement does not take a lane still held)."""
    from retainment_bot.store import postgres
    from tests.telegram_harness import postgres_store

    monkeypatch.setattr(postgres, "SETTLE_WAIT", 30.0)  # only an apply can carry it
    store = postgres_store(pg_schema)
    await store.open()
    try:
        reply = Outgoing(7, "sendMessage", '{"chat_id": 7, "text": "a"}')
        await store.apply(7, 1, 0, replying(reply))
        lane = await store.lease_chat(7, "me", now=10.0, lease_seconds=30)
        assert lane is not None and len(lane.rows) == 1
        settling = asyncio.ensure_future(store.settle_chat(7, "me", tat=11.0, done=lane.rows[0].id))
        await asyncio.sleep(0.05)
        assert not settling.done() and await store.pending_replies() == 1  # not recorded yet
        other = Outgoing(8, "sendMessage", '{"chat_id": 8, "text": "b"}')
        applied = await store.apply(8, 2, 0, replying(other), LaneRequest("me", 12.0, 42.0))
        assert await asyncio.wait_for(settling, 1) == ()  # recorded by that apply, the lane given back
        assert [chat for chat, _ in applied.lanes] == [8]
        assert await store.pending_replies() == 1  # chat 8's
        again = await store.lease_chat(7, "another sender", now=13.0, lease_seconds=30)
        assert again is not None and again.tat == 11.0

        # The same chat: the settle, after the apply's writes, reads the new row and keeps the lane.
        lane = await store.lease_chat(8, "me", now=14.0, lease_seconds=30)
        assert lane is not None and len(lane.rows) == 1
        settling = asyncio.ensure_future(store.settle_chat(8, "me", tat=15.0, done=lane.rows[0].id))
        await asyncio.sleep(0)
        newer = Outgoing(8, "sendMessage", '{"chat_id": 8, "text": "c"}')
        applied = await store.apply(8, 3, 0, replying(newer), LaneRequest("me", 16.0, 46.0))
        assert applied.lanes == ()  # still held by its sender, which reads on
        assert [row.params for row in await settling] == [newer.params]
        assert await store.lease_chat(8, "another sender", now=17.0, lease_seconds=30) is None
    finally:
        await store.close()


async def test_postgres_statements_lost_by_the_server_session_say_how_to_connect(pg_schema: str) -> None:
    """Behind a transaction-mode pooler a later transaction meets a server session without the
    bot's prepared statements: simulated with ``DEALLOCATE ALL`` on the pool's only connection.
    The error says what to change, and the failed apply writes nothing."""
    from retainment_bot.store import PostgresStore
    from tests.telegram_harness import DATABASE_URL

    store = PostgresStore(DATABASE_URL, min_size=1, max_size=1, schema=pg_schema)
    await store.open()
    try:
        reply = Outgoing(7, "sendMessage", '{"chat_id": 7, "text": "a"}')
        await store.apply(7, 1, 0, replying(reply))  # prepares the statements
        async with store.pool.connection() as connection:
            await connection.execute("DEALLOCATE ALL")
        with pytest.raises(StoreError, match="session-mode"):
            await store.apply(7, 2, 0, replying(reply))
        assert await store.pending_replies() == 1  # the first apply's reply only
    finally:
        await store.close()


async def test_postgres_a_delivery_whose_carrying_apply_fails_is_recorded_by_no_one_else(
    pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The apply carrying a settle fails on the server: both roll back together, the settle fails
    as ``settle_chat`` failing would (the sender then records the row itself, ``sent``), the
    update stays in the inbox and is applied once, later; the row is never sent twice."""
    from retainment_bot.store import postgres
    from tests.telegram_harness import postgres_store

    monkeypatch.setattr(postgres, "SETTLE_WAIT", 30.0)
    store = postgres_store(pg_schema)
    await store.open()
    try:
        await store.apply(7, 1, 0, replying(Outgoing(7, "sendMessage", '{"chat_id": 7, "text": "a"}')))
        lane = await store.lease_chat(7, "me", now=10.0, lease_seconds=30)
        assert lane is not None
        assert await store.receive(2, 8, "{}", 0, 0.0) == Receipt.QUEUED
        settling = asyncio.ensure_future(store.settle_chat(7, "me", tat=11.0, done=lane.rows[0].id))
        await asyncio.sleep(0)
        with monkeypatch.context() as patched:
            patched.setattr(postgres, "_effect_statements", lambda *_: [("SELECT no_such_column FROM users", None)])
            with pytest.raises(StoreError):
                await store.apply(8, 2, 0, replying(Outgoing(8, "sendMessage", '{"chat_id": 8, "text": "b"}')))
        with pytest.raises(StoreError):
            await settling
        assert await store.pending_replies() == 1  # not recorded: the sender does it (``sent``)
        assert await store.lease_chat(7, "another sender", now=12.0, lease_seconds=30) is None  # still held
        await store.sent(lane.rows[0].id)
        await store.release_chat(7, "me", 11.0)
        assert await store.backlog() == 1  # the update is still there
        assert not (await store.apply(8, 2, 0, put(State("en")))).duplicate
        assert (await store.apply(8, 2, 0, put(State("en")))).duplicate
        assert await store.pending_replies() == 0
    finally:
        await store.close()


async def test_postgres_a_delivery_no_apply_carries_is_recorded_on_its_own_and_at_close(
    pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Idle, a settle goes alone after ``SETTLE_WAIT``; one still waiting when the store closes
    (a shutdown) is recorded before the pool closes, so a restart does not send it again."""
    from retainment_bot.store import postgres
    from tests.telegram_harness import postgres_store

    store = postgres_store(pg_schema)
    await store.open()
    try:
        replies = tuple(Outgoing(7, "sendMessage", f'{{"chat_id": 7, "text": "{n}"}}') for n in range(2))
        await store.apply(7, 1, 0, lambda _old: Effect(state=State("en"), replies=replies))
        lane = await store.lease_chat(7, "me", now=10.0, lease_seconds=30, rows=1)
        assert lane is not None
        rest = await asyncio.wait_for(store.settle_chat(7, "me", tat=11.0, done=lane.rows[0].id), 5)
        assert [row.params for row in rest] == [replies[1].params]
        monkeypatch.setattr(postgres, "SETTLE_WAIT", 30.0)
        settling = asyncio.ensure_future(store.settle_chat(7, "me", tat=12.0, done=rest[0].id))
        await asyncio.sleep(0)
    finally:
        await store.close()
    assert await settling == ()
    store = postgres_store(pg_schema)
    await store.open()
    try:
        assert await store.pending_replies() == 0
        assert await store.take_lanes("me", 13.0, 30, 8) == []
    finally:
        await store.close()


def test_postgres_statements_are_prepared_by_shape() -> None:
    """A statement's shape: ``$n`` per distinct parameter (a name used twice is one), ``NULL`` in
    the text for ``None`` (so its type is the column's), types from the values; the same shape is
    one prepared statement, whatever the values."""
    from retainment_bot.store.postgres import _shape

    first = _shape("SELECT %(a)s, %(b)s, %(a)s, %(c)s, %(d)s", {"a": 1, "b": "x", "c": None, "d": True})
    assert first is not None
    prepared, args = first
    assert prepared.definition.endswith("(bigint, text, boolean) AS SELECT $1, $2, $1, NULL, $3")
    assert args == (1, "x", True) and prepared.call == f"EXECUTE {prepared.name} (%s, %s, %s)"
    second = _shape("SELECT %(a)s, %(b)s, %(a)s, %(c)s, %(d)s", {"a": 2, "b": "y", "c": None, "d": False})
    assert second is not None and second[0] is prepared and second[1] == (2, "y", False)
    positional = _shape("SELECT %s, %s", (1.5, "z"))
    assert positional is not None and positional[0].definition.endswith("(double precision, text) AS SELECT $1, $2")


async def test_a_lane_handed_over_while_its_chat_s_last_lane_is_ending_is_sent_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's transaction takes a chat's lane that this sender's lane of the chat has just
    given back (its last delivery recorded) but whose task has not ended yet: the new lane is
    taken again, its rows read afresh, once that task ends; every reply is sent once."""
    from retainment_bot.telegram.ratelimit import Limits, SharedLimiter
    from retainment_bot.telegram.send import Sender

    await store.open()
    try:
        calls: list[str] = []
        sender = Sender(None, store, SharedLimiter(store, Limits(0, 0), lambda: 0.0), "me")  # type: ignore[arg-type]

        async def call(method: str, params: dict[str, Any]) -> None:
            calls.append(params["text"])

        monkeypatch.setattr(sender, "_call", call)
        real = store.settle_chat
        recorded, go_on = asyncio.Event(), asyncio.Event()

        async def slow_settle(*args: Any, **kwargs: Any) -> Any:
            rows = await real(*args, **kwargs)
            recorded.set()
            await go_on.wait()  # the lane's task has not resumed yet
            return rows

        monkeypatch.setattr(store, "settle_chat", slow_settle)
        first = Outgoing(7, "sendMessage", '{"chat_id": 7, "text": "first"}')
        sender.applied(await store.apply(7, 1, 0, replying(first), sender.lane_request()))
        await asyncio.wait_for(recorded.wait(), 5)
        second = Outgoing(7, "sendMessage", '{"chat_id": 7, "text": "second"}')
        applied = await store.apply(7, 2, 0, replying(second), sender.lane_request())
        assert [chat for chat, _ in applied.lanes] == [7]  # given back: taken by this transaction
        sender.applied(applied)
        go_on.set()
        for _ in range(200):
            if len(calls) >= 2 and not sender._active:
                break
            await asyncio.sleep(0.01)
        assert calls == ["first", "second"]
        assert await store.pending_replies() == 0
        assert await store.lease_chat(7, "another sender", now=time.time(), lease_seconds=30) is not None  # given back
    finally:
        await store.close()
