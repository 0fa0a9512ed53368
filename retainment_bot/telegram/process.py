"""Processing: workers take updates from the inbox and apply each in one transaction.

Most updates come straight from this process's receiver, recorded already leased to it (its
user had nothing else waiting). The rest are claimed: a claim hands out only the oldest waiting
update of each user, and that update stays in the inbox (blocking the user's later ones) until
the transaction that applies it deletes it; so a user's updates are applied one at a time and in
order, while up to ``workers`` different users are handled at once, in this process and in every
other replica claiming from the same database. The transaction also takes the send lanes of the
replies' chats for the local sender, when it has room, and hands them over once committed.

Each update is turned into a :class:`telegram.Update` and given to the first handler of the
Application's handler table that accepts it (python-telegram-bot's own ``check_update``, so
filters and commands behave as documented); the handler returns a plan, and
:meth:`Store.apply` runs it and writes the state, the update id, the usage figures and the
replies (outbox rows) together, and deletes the inbox row. A database error leaves the update in
the inbox, to be claimed again after a short backoff; a bug in a handler is logged and answered
with an apology, so one bad update never blocks its user for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import Application

from retainment_bot.store import Applied, Effect, LaneRequest, Plan, Queued, Store, StoreError
from retainment_bot.telegram.handlers import Handlers, keep
from retainment_bot.telegram.receive import lane_of

log = logging.getLogger(__name__)

RETRY_SECONDS = (0.5, 1, 2, 5, 10)
RECEIVED_KEPT = 512  # parsed updates kept between receiving and claiming (the claim re-reads the rest)


class Processor:
    """The worker pool of one process."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        handlers: Handlers,
        store: Store,
        workers: int = 16,
        lease_seconds: float = 30,
        on_applied: Callable[[Applied[Effect]], None] = lambda applied: None,
        clock: Callable[[], float] = time.time,
        lanes: Callable[[], LaneRequest | None] = lambda: None,
    ) -> None:
        self.application = application
        self.handlers = handlers
        self.store = store
        self.workers = workers
        self.lease_seconds = lease_seconds
        self.on_applied = on_applied
        self.lanes = lanes
        self.clock = clock
        self.wake = asyncio.Event()
        self._active: dict[asyncio.Task[None], int] = {}  # task -> its user
        self._claiming = True
        self._received: OrderedDict[int, Update] = OrderedDict()
        # Updates the receiver recorded leased to this process, waiting for a free worker.
        self._local: deque[tuple[Queued, Update]] = deque()
        # Users with an update in the inbox that the receiver did not lease here (behind an
        # earlier one of theirs, or given back): the end of their current update wakes the claim.
        self._leftovers: set[int] = set()
        # A free worker kept for the claim (1) rather than the local queue, which would otherwise
        # take every worker that frees and starve the claimable updates under load.
        self._reserved = 0

    def room(self) -> float:
        """The lease for an update received now (0: no room, leave it to a claim). The workers
        and a queue as long again: beyond that the inbox holds the rest, for any replica."""
        if not self._claiming or len(self._active) + len(self._local) >= 2 * self.workers:
            return 0.0
        return self.lease_seconds

    def leased(self, item: Queued, update: Update) -> None:
        """The receiver recorded ``item`` leased to this process: handle it without a claim."""
        self._local.append((item, update))
        self._fill()

    def notify(self, update: Update | None = None) -> None:
        """Something was added to the inbox for a claim (by this process's receiver), ``update``
        itself as the receiver parsed it: kept for a while, so that it need not be parsed again."""
        if update is not None:
            self._received[update.update_id] = update
            if len(self._received) > RECEIVED_KEPT:  # claimed by another replica, say
                self._received.popitem(last=False)
            self._leftovers.add(lane_of(update))
        self.wake.set()

    async def run(self) -> None:
        """Claim and process until :meth:`stop`: what the receiver did not hand over (and, by
        polling, other replicas' leftovers and expired leases)."""
        failures = 0
        while self._claiming:
            self.wake.clear()
            free = self.workers - len(self._active) - (0 if self._reserved else len(self._local))
            self._reserved = 0
            claimed: list[Queued] = []
            if free > 0:
                try:
                    claimed = await self.store.claim(self.clock(), self.lease_seconds, free)
                    failures = 0
                except StoreError as exc:
                    failures += 1
                    log.warning("could not claim updates (%s); retrying", _short(exc))
                    await self._pause(RETRY_SECONDS[min(failures, len(RETRY_SECONDS)) - 1])
                    continue
                for item in claimed:
                    self._start(item)
                if len(claimed) < free:  # all that could be claimed was: the rest is behind an update in progress
                    self._leftovers &= set(self._active.values())
            self._fill()
            if not claimed or len(self._active) >= self.workers:
                await self._pause(0.25)

    def _start(self, item: Queued, update: Update | None = None) -> None:
        task = asyncio.create_task(self._one(item, update))
        self._active[task] = item.user_id
        task.add_done_callback(functools.partial(self._done, item.user_id))

    def _done(self, user_id: int, task: asyncio.Task[None]) -> None:
        self._active.pop(task, None)
        if self._leftovers and not self._reserved:  # the user's next update may be claimable now
            self._reserved = 1  # this worker is the claim's; the next one the local queue's
            self.wake.set()
        self._fill()

    def _fill(self) -> None:
        """Start updates of the local queue on the free workers (but one kept for the claim)."""
        while self._local and self._claiming and len(self._active) + self._reserved < self.workers:
            self._start(*self._local.popleft())

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), seconds)

    async def stop(self, grace_seconds: float) -> None:
        """Stop claiming; wait up to ``grace_seconds`` for the updates in progress. An update cut
        short stays in the inbox (its transaction never committed) and is claimed again later."""
        self._claiming = False
        self.wake.set()
        waiting, self._local = list(self._local), deque()
        for item, _ in waiting:  # not started: given back at once, for a restart or another replica
            with contextlib.suppress(StoreError):
                await self.store.release(item.update_id, 0)
        if self._active:
            _, pending = await asyncio.wait(set(self._active), timeout=grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("%d updates were still in progress; they stay in the inbox", len(pending))
                await asyncio.wait(pending, timeout=1)

    async def _one(self, item: Queued, update: Update | None = None) -> None:
        """Handle one update; on a database error give it back for a later try."""
        try:
            update = update or self._received.pop(item.update_id, None) or self._read(item)
            plan = keep if update is None else await self._plan(update)
            try:
                applied = await self.store.apply(item.user_id, item.update_id, int(self.clock()), plan, self.lanes())
            except StoreError:
                raise
            except Exception:
                log.exception("error while applying an update")
                assert update is not None
                applied = await self.store.apply(
                    item.user_id, item.update_id, int(self.clock()), self.handlers.apology(update), self.lanes()
                )
            if applied.deferred:  # an earlier update of the user is in the inbox: after it, by a claim
                self._leftovers.add(item.user_id)
                if update is not None:
                    self._received[item.update_id] = update
                await self.store.release(item.update_id, 0)
                return
        except StoreError as exc:
            delay = RETRY_SECONDS[min(item.attempts, len(RETRY_SECONDS)) - 1]
            log.warning("could not apply an update (%s); retrying in %.1f s", _short(exc), delay)
            self._leftovers.add(item.user_id)
            with contextlib.suppress(StoreError):  # else the lease runs out on its own
                await self.store.release(item.update_id, self.clock() + delay)
            return
        self.on_applied(applied)

    def _read(self, item: Queued) -> Update | None:
        try:
            return Update.de_json(json.loads(item.payload), self.application.bot)
        except (ValueError, TypeError, KeyError):
            log.error("dropped a stored update that cannot be read")
            return None

    async def _plan(self, update: Update) -> Plan:
        """The first matching handler's plan; nothing matching (or a handler with nothing to say)
        only records the update id; a failing handler gets the apology."""
        try:
            plan = await dispatch(self.application, update)
        except StoreError:
            raise
        except Exception:
            log.exception("error while handling an update")
            return self.handlers.apology(update)
        return plan or keep


async def dispatch(application: Application, update: Update) -> Plan | None:  # type: ignore[type-arg]
    """Run the first handler of the table (group 0) whose ``check_update`` accepts the update, as
    the Application would, and return what it returns."""
    for handler in application.handlers.get(0, []):
        check = handler.check_update(update)
        if check is None or check is False:
            continue
        context: Any = application.context_types.context.from_update(update, application)
        result: Plan | None = await handler.handle_update(update, application, check, context)
        return result
    return None


def _short(exc: BaseException) -> str:
    """An error's class and first line: database messages carry no user data, but stay short."""
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
