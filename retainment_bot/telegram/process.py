"""Processing: workers take updates from the inbox and apply each in one transaction.

A claim hands out only the oldest waiting update of each user, and that update stays in the inbox
(blocking the user's later ones) until the transaction that applies it deletes it; so a user's
updates are applied one at a time and in order, while up to ``workers`` different users are
handled at once, in this process and in every other replica claiming from the same database.

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
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import Application

from retainment_bot.store import Plan, Queued, Store, StoreError
from retainment_bot.telegram.handlers import Handlers, keep

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
        on_applied: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.application = application
        self.handlers = handlers
        self.store = store
        self.workers = workers
        self.lease_seconds = lease_seconds
        self.on_applied = on_applied
        self.clock = clock
        self.wake = asyncio.Event()
        self._active: set[asyncio.Task[None]] = set()
        self._claiming = True
        self._received: OrderedDict[int, Update] = OrderedDict()

    def notify(self, update: Update | None = None) -> None:
        """Something was added to the inbox (by this process's receiver), ``update`` itself as
        the receiver parsed it: kept for a while, so that it need not be parsed again here."""
        if update is not None:
            self._received[update.update_id] = update
            if len(self._received) > RECEIVED_KEPT:  # claimed by another replica, say
                self._received.popitem(last=False)
        self.wake.set()

    async def run(self) -> None:
        """Claim and process until :meth:`stop`; other replicas' inserts are found by polling."""
        failures = 0
        while self._claiming:
            self.wake.clear()
            free = self.workers - len(self._active)
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
                task = asyncio.create_task(self._one(item))
                self._active.add(task)
                task.add_done_callback(self._done)
            if not claimed or len(self._active) >= self.workers:
                await self._pause(0.25)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._active.discard(task)
        self.wake.set()  # the user's next update may be claimable now, and a worker is free

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), seconds)

    async def stop(self, grace_seconds: float) -> None:
        """Stop claiming; wait up to ``grace_seconds`` for the updates in progress. An update cut
        short stays in the inbox (its transaction never committed) and is claimed again later."""
        self._claiming = False
        self.wake.set()
        if self._active:
            _, pending = await asyncio.wait(set(self._active), timeout=grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("%d updates were still in progress; they stay in the inbox", len(pending))
                await asyncio.wait(pending, timeout=1)

    async def _one(self, item: Queued) -> None:
        """Handle one claimed update; on a database error give it back for a later try."""
        try:
            update = self._received.pop(item.update_id, None) or self._read(item)
            plan = keep if update is None else await self._plan(update)
            try:
                await self.store.apply(item.user_id, item.update_id, int(self.clock()), plan)
            except StoreError:
                raise
            except Exception:
                log.exception("error while applying an update")
                assert update is not None
                await self.store.apply(item.user_id, item.update_id, int(self.clock()), self.handlers.apology(update))
        except StoreError as exc:
            delay = RETRY_SECONDS[min(item.attempts, len(RETRY_SECONDS)) - 1]
            log.warning("could not apply an update (%s); retrying in %.1f s", _short(exc), delay)
            with contextlib.suppress(StoreError):  # else the lease runs out on its own
                await self.store.release(item.update_id, self.clock() + delay)
            return
        self.on_applied()

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
