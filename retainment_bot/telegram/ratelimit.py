"""Rate limits: Telegram's send limits, kept for the bot as a whole rather than per process.

Telegram allows a bot about 30 messages a second overall and about one a second in a chat
(short bursts are tolerated). Both are the generic cell rate algorithm (GCRA): one number per
limit, the *theoretical arrival time* of the next free slot. The overall limit lives in a row of
the database (``Store.take_slot`` books the next slot; the sender sleeps until it), so every
replica draws from the same budget; a chat's limit
lives in its send lane, which one sender holds at a time (``Store.take_lanes``), so it is kept
in that sender's memory while it holds the lane and written back when it gives the lane up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from retainment_bot.store import Store
from retainment_bot.store.base import gcra_wait

GLOBAL = "global"


@dataclass(frozen=True)
class Limits:
    """Messages per second for the whole bot, and the interval and burst within one chat."""

    per_second: float = 30.0
    burst: int = 5
    chat_interval: float = 1.0
    chat_burst: int = 3


class SharedLimiter:
    """Waits for a slot of the overall limit and of a chat's limit before each message."""

    def __init__(self, store: Store, limits: Limits, clock: Callable[[], float]) -> None:
        self.store = store
        self.limits = limits
        self.clock = clock

    async def overall(self) -> None:
        """Book a slot of the shared budget and wait for it."""
        interval = 1.0 / self.limits.per_second if self.limits.per_second > 0 else 0.0
        if interval == 0:
            return
        wait = await self.store.take_slot(GLOBAL, self.clock(), interval, self.limits.burst)
        if wait > 0:
            await asyncio.sleep(wait)

    async def chat(self, tat: float) -> float:
        """Wait until the chat (whose lane time is ``tat``) may get a message; the new lane time."""
        interval = self.limits.chat_interval
        if interval <= 0:
            return tat
        wait = gcra_wait(tat, self.clock(), interval, self.limits.chat_burst)
        if wait > 0:
            await asyncio.sleep(wait)
        return max(tat, self.clock()) + interval
