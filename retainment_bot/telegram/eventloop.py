"""The event loop the bot runs on: uvloop where it is installed, else asyncio's own.

Under load the bot is bound by the CPU of one Python process, and a part of each update's CPU is
the loop itself (callbacks, timers, socket readiness, transports of tornado, httpx and the
store). uvloop (libuv, in C) does that work for less; it is a dependency on CPython outside
Windows only (pyproject's marker), so elsewhere, or with ``EVENT_LOOP=asyncio``, asyncio's own
loop is used. Nothing in the bot depends on which loop runs it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
Choice = Literal["uvloop", "asyncio"]


def loop_factory(choice: Choice) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory when asked for and importable; ``None`` (asyncio's default) otherwise."""
    if choice != "uvloop":
        return None
    try:
        import uvloop
    except ImportError:
        log.info("uvloop is not installed: running on asyncio's own event loop")
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T], choice: Choice) -> T:
    """Run ``main`` to the end on the chosen loop (as :func:`asyncio.run` does)."""
    with asyncio.Runner(loop_factory=loop_factory(choice)) as runner:
        return runner.run(main)
