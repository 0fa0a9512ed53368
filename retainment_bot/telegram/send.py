"""Sending: deliver the outbox, each chat's replies in order, retried until Telegram takes them.

A step's replies are outbox rows written in the step's own transaction; the sender delivers them
afterwards, so no network call happens under a lock and a crash loses no reply (a reply whose
delivery was not yet recorded is sent again: at least once). A chat is a *lane*: one sender at a
time holds it (a lease in ``send_lanes``, shared by replicas) and sends its oldest row first, so a
chat's replies arrive in order even while one of them is being retried. A worker's transaction
usually takes the lane already and hands it over with its rows (:meth:`Sender.applied`);
``take_lanes`` finds the rest.

What a failure means:

- 429 Too Many Requests: try the row again after Telegram's ``retry_after``;
- 5xx, a timeout, a network error: try again with exponential backoff (0.5 s doubling to 60 s);
- 403 Forbidden (blocked by the user), 400 Bad Request (chat not found, a query too old…):
  it can never be sent: dropped, logged without its text.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Defaults

from retainment_bot.store import Applied, Effect, Lane, LaneRequest, Pending, Store, StoreError
from retainment_bot.telegram.ratelimit import SharedLimiter

log = logging.getLogger(__name__)

# Lanes taken by the workers' transactions that may wait for a free place, per place: beyond,
# the rows are left to ``take_lanes``.
HANDED = 8
MAX_ATTEMPTS = 50  # about 45 minutes of retries with the backoff below
SENT, DROPPED = "sent", "dropped"


def backoff(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones."""
    return float(min(60.0, 0.5 * 2 ** max(attempts, 0)))


class Sender:
    """The outbox sender of one process; several replicas' senders share the lanes."""

    def __init__(
        self,
        bot: Bot,
        store: Store,
        limiter: SharedLimiter,
        owner: str,
        lanes: int = 32,
        lease_seconds: float = 30,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bot = bot
        self.store = store
        self.limiter = limiter
        self.owner = owner
        self.lanes = lanes
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.wake = asyncio.Event()
        self._active: dict[int, asyncio.Task[None]] = {}
        self._running = True
        # Lanes the workers' transactions took for this sender, waiting for a free lane.
        self._handed: deque[tuple[int, Lane, float]] = deque()  # chat, lane, when it was taken
        # Rows may wait that no lane of this sender will read: the end of a lane looks for them.
        self._behind = True
        # A free place kept for the next ``take_lanes`` (1) rather than a handed lane; and whose
        # turn the next free place is, while rows may wait for ``take_lanes``.
        self._reserved = 0
        self._take_turn = True
        # Chats with new rows that a worker's transaction could not take while a lane of this
        # sender held them: when that lane ends having given the chat back (its last rows read
        # before the new ones were committed), ``take_lanes`` looks at once, not at its next poll.
        self._missed: set[int] = set()
        # Chats whose lanes a worker's transaction took while this sender's lane of the chat was
        # still running: taken again (``lease_chat``, rows read afresh) when that lane ends.
        self._again: dict[int, Lane] = {}

    def notify(self) -> None:
        """New rows were written (by this process's workers)."""
        self._behind = True
        self.wake.set()

    def lane_request(self) -> LaneRequest | None:
        """What a worker's transaction asks for, to take its replies' lanes for this sender; none
        when this sender has no room for them (``take_lanes`` finds them later). Up to
        ``HANDED`` times as many lanes as it sends at once may wait for a free one, in order: a
        lane that waited long takes its lease again, and its rows afresh, before sending."""
        if not self._running or len(self._active) + len(self._handed) >= HANDED * self.lanes:
            return None
        now = self.clock()
        return LaneRequest(self.owner, now, now + self.lease_seconds)

    def applied(self, applied: Applied[Effect]) -> None:
        """A worker's transaction committed: send the lanes it took; look for the rest."""
        effect = applied.result
        if effect is None or not effect.replies:
            return
        for chat_id, lane in applied.lanes:
            if chat_id not in self._active:
                self._handed.append((chat_id, lane, self.clock()))
            else:  # this sender's lane of the chat has given it back and not yet ended, or is still
                # sending after its lease ran out: once it ends, the lane is taken again with its
                # rows read afresh (those handed over may be ones it has sent since)
                self._again[chat_id] = lane
        chats = {reply.chat_id for reply in effect.replies}
        if len(applied.lanes) < len(chats):
            self._missed.update(chats.intersection(self._active).difference(chat for chat, _ in applied.lanes))
            self.notify()
        self._fill()

    def _fill(self) -> None:
        """Start handed lanes in the free places (but one kept for ``take_lanes``)."""
        while self._handed and self._running and len(self._active) + self._reserved < self.lanes:
            chat_id, lane, taken_at = self._handed.popleft()
            if chat_id not in self._active:
                self._start(chat_id, lane, taken_at)

    async def run(self) -> None:
        """Take the lanes of chats with due rows and send them, until :meth:`stop`."""
        failures = 0
        while self._running:
            self.wake.clear()
            taken: list[tuple[int, Lane]] = []
            free = self.lanes - len(self._active)
            if free > 0:
                try:
                    taken = await self.store.take_lanes(self.owner, self.clock(), self.lease_seconds, free)
                    failures = 0
                except StoreError as exc:
                    failures += 1
                    log.warning("could not read the outbox (%s); retrying", type(exc).__name__)
                    await self._pause(min(5.0, 0.5 * failures))
                    continue
                # As many as asked for: more may be due.
                self._behind = len(taken) >= free
            self._reserved = 0
            for chat_id, lane in taken:
                if chat_id in self._active:  # still sending after its lease ran out: it renews it itself
                    continue
                self._start(chat_id, lane)
            self._fill()
            await self._pause(0.25)

    def _start(self, chat_id: int, lane: Lane, taken_at: float | None = None) -> None:
        task = asyncio.create_task(self._lane(chat_id, lane, taken_at))
        self._active[chat_id] = task
        task.add_done_callback(functools.partial(self._done, chat_id))

    def _done(self, chat_id: int, _task: asyncio.Task[None]) -> None:
        self._active.pop(chat_id, None)
        again = self._again.pop(chat_id, None)
        if again is not None:
            self._handed.appendleft((chat_id, again, float("-inf")))  # taken again before it sends
        if chat_id in self._missed:
            self._missed.discard(chat_id)
            self._behind = True
            self.wake.set()
        if self._behind and not self._reserved:
            # Rows may wait for a lane that was not handed over: every other place that frees is
            # theirs, or the handed lanes (in order) would take every one and starve them under
            # load, or the other way round.
            if self._take_turn or not self._handed:
                self._reserved = 1
                self.wake.set()
            self._take_turn = not self._take_turn
        self._fill()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), seconds)

    async def stop(self, grace_seconds: float) -> None:
        """Stop starting lanes; let the current sends finish for up to ``grace_seconds``."""
        self._running = False
        self.wake.set()
        handed, self._handed = list(self._handed), deque()
        for chat_id, lane, _ in handed:  # never started: given back at once, for another sender
            with contextlib.suppress(StoreError):
                await self.store.release_chat(chat_id, self.owner, lane.tat)
        if self._active:
            _, pending = await asyncio.wait(set(self._active.values()), timeout=grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1)
        handed, self._handed = list(self._handed), deque()  # handed back by lanes that ended meanwhile
        for chat_id, lane, _ in handed:
            with contextlib.suppress(StoreError):
                await self.store.release_chat(chat_id, self.owner, lane.tat)

    async def _lane(self, chat_id: int, lane: Lane, taken_at: float | None = None) -> None:
        """Send the rows of a chat whose lane this sender took, in order, until none is left or one
        must wait. The lanes come with their first rows (from the worker's transaction, or one
        ``take_lanes`` call for all the chats due), and recording the last delivery reads the
        next rows or gives the lane back: one store call for a step's usual one or two replies.
        A delivered ``answerCallbackQuery`` is recorded with the row after it: sent again after a
        crash, Telegram refuses it (400, dropped), so the longer window costs nothing."""
        tat, rows, held = lane.tat, list(lane.rows), True
        if taken_at is not None and self.clock() - taken_at > self.lease_seconds / 2:
            # Handed over long ago: the lease may have run out, and another sender sent rows.
            fresh = await self._lease_again(chat_id)
            if fresh is None:
                return
            tat, rows, taken_at = fresh.tat, list(fresh.rows), None
        done: list[int] = []  # delivered, not yet recorded
        leased_at = self.clock() if taken_at is None else taken_at
        try:
            while self._running and rows:
                row = rows.pop(0)
                if row.next_at > self.clock():
                    break
                if self.clock() - leased_at > self.lease_seconds / 2:
                    if await self.store.lease_chat(chat_id, self.owner, self.clock(), self.lease_seconds, 0) is None:
                        held = False
                        return
                    leased_at = self.clock() if taken_at is None else taken_at
                if row.method == "sendMessage":
                    tat = await self.limiter.chat(tat)
                    await self.limiter.overall()
                result = await self._deliver(row)
                if result not in (SENT, DROPPED):
                    await self.store.retry(row.id, float(result))
                    break
                done.append(row.id)
                if rows:
                    if row.method != "answerCallbackQuery":
                        await self._record(done)
                else:  # the last row read: record it and read on, or give the lane back
                    rows = list(await self.store.settle_chat(chat_id, self.owner, tat, done))
                    done.clear()
                    held = bool(rows)
        except StoreError as exc:
            log.warning("outbox bookkeeping failed (%s); the lane is retried", type(exc).__name__)
        finally:
            if held:
                with contextlib.suppress(StoreError):  # else the lease runs out on its own
                    await self._record(done)
                    await self.store.release_chat(chat_id, self.owner, tat)

    async def _lease_again(self, chat_id: int) -> Lane | None:
        """The lane's lease taken again, with its rows read afresh; ``None`` if another sender
        holds it now (or the database is away: the lease runs out on its own)."""
        try:
            return await self.store.lease_chat(chat_id, self.owner, self.clock(), self.lease_seconds)
        except StoreError as exc:
            log.warning("outbox bookkeeping failed (%s); the lane is retried", type(exc).__name__)
            return None

    async def _record(self, done: list[int]) -> None:
        """Delete the delivered rows ``done`` (and forget them)."""
        while done:
            await self.store.sent(done[0])
            done.pop(0)

    async def _deliver(self, row: Pending) -> str | float:
        """Make the call: :data:`SENT`, :data:`DROPPED`, or when to try again."""
        params: dict[str, Any] = json.loads(row.params)
        try:
            await self._call(row.method, params)
            return SENT
        except RetryAfter as exc:
            delay = _retry_after(exc)
            log.info("Telegram asked to slow down (retry after %s s)", delay)
            return self.clock() + delay
        except (Forbidden, BadRequest, ChatMigrated, InvalidToken) as exc:
            log.info("a %s could not be delivered (%s); dropped", row.method, type(exc).__name__)
            return DROPPED
        except (NetworkError, TelegramError) as exc:  # 5xx, timeouts, connection errors
            if row.attempts + 1 >= MAX_ATTEMPTS:
                log.warning("a %s failed %d times (%s); dropped", row.method, MAX_ATTEMPTS, type(exc).__name__)
                return DROPPED
            delay = backoff(row.attempts)
            log.info("a %s failed (%s); retrying in %.1f s", row.method, type(exc).__name__, delay)
            return self.clock() + delay

    async def _call(self, method: str, params: dict[str, Any]) -> None:
        """The call, made as ``Bot.send_message`` and ``Bot.answer_callback_query`` make it (the
        same parameters in the same order, the Application's defaults filled in the same way:
        ``tests/test_outgoing.py`` holds the two equal), through PTB's ``_post``: the public
        methods also turn the answer into PTB objects (the sent ``Message``), which nothing reads
        here, and check arguments this path never has; that was about 130 µs of CPU a message."""
        if method == "sendMessage":
            data: dict[str, Any] = {
                "chat_id": params["chat_id"],
                "text": params["text"],
                # HTML, no link preview: the Application's Defaults, where send_message finds them.
                "link_preview_options": self._defaults.get("link_preview_options"),
                "parse_mode": self._defaults.get("parse_mode"),
            }
            markup = params.get("reply_markup")
            if markup:
                # The keyboard as the handler serialised it goes out as is: rebuilding PTB objects
                # only to serialise them again cost more than the rest of the call's preparation.
                data["reply_markup"] = markup
            await self.bot._post("sendMessage", data)
        elif method == "answerCallbackQuery":
            await self.bot._post("answerCallbackQuery", {"callback_query_id": params["callback_query_id"]})
        else:
            raise BadRequest(f"the outbox does not know the method {method}")

    @functools.cached_property
    def _defaults(self) -> dict[str, Any]:
        """The Application's defaults for sending (``ExtBot.defaults``), or none for a plain Bot."""
        defaults: Defaults | None = getattr(self.bot, "defaults", None)
        return dict(defaults.api_defaults) if defaults is not None else {}


def _retry_after(exc: RetryAfter) -> float:
    """Telegram's ``retry_after`` in seconds (a ``timedelta`` with ``PTB_TIMEDELTA``, set by this package)."""
    value: int | float | timedelta = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
