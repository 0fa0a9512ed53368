"""The event loop the bot runs on: uvloop where installed, asyncio's own when asked or without it."""

from __future__ import annotations

import asyncio
import sys

import pytest

from retainment_bot.errors import UsageError
from retainment_bot.settings import Settings
from retainment_bot.telegram import eventloop


async def loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


def test_the_setting_chooses_the_loop_and_refuses_others() -> None:
    assert Settings.from_env({}).event_loop == "uvloop"
    assert Settings.from_env({"EVENT_LOOP": "asyncio"}).event_loop == "asyncio"
    assert Settings.from_env({"EVENT_LOOP": " UVLoop "}).event_loop == "uvloop"
    with pytest.raises(UsageError, match="EVENT_LOOP"):
        Settings.from_env({"EVENT_LOOP": "trio"})


def test_the_bot_runs_on_uvloop_unless_told_otherwise() -> None:
    if sys.platform == "win32" or sys.implementation.name != "cpython":
        pytest.skip("uvloop is a dependency on CPython outside Windows only (pyproject's marker)")
    # No skip where the marker installs it: a lost dependency fails here, not silently elsewhere.
    assert eventloop.run(loop_module(), "uvloop") == "uvloop"
    assert eventloop.run(loop_module(), "asyncio") == "asyncio"


def test_without_uvloop_asyncio_runs_the_bot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as if it were not installed: import fails
    assert eventloop.loop_factory("uvloop") is None
    assert eventloop.run(loop_module(), "uvloop") == "asyncio"
