"""The running bot: receiver, workers, sender and the retention purge, started and stopped together.

SIGTERM (or SIGINT) first stops the receiver (no new update is acknowledged), then gives the
workers and the sender ``SHUTDOWN_SECONDS`` to finish what they hold, and exits 0. Anything not
finished is still in the database (an update in the inbox, a reply in the outbox) and is taken
up on restart, or at once by another replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
import uuid
from dataclasses import replace
from typing import Literal
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.error import TelegramError

from retainment_bot.engine.engine import Engine
from retainment_bot.engine.render import interface_text
from retainment_bot.settings import Settings
from retainment_bot.store import Store, StoreError
from retainment_bot.telegram import eventloop, logs, texts
from retainment_bot.telegram.app import POLL_SECONDS, build_application
from retainment_bot.telegram.process import Processor
from retainment_bot.telegram.ratelimit import Limits, SharedLimiter
from retainment_bot.telegram.receive import Inbox, Poller, WebhookReceiver
from retainment_bot.telegram.send import Sender

log = logging.getLogger(__name__)

PURGE_INTERVAL_SECONDS = 6 * 3600
Mode = Literal["webhook", "polling", "none"]


class Runtime:
    """One process of the bot. ``mode`` says how updates arrive; ``none`` only works off the
    inbox and outbox (a worker replica, or a test that fills the inbox itself)."""

    def __init__(self, engine: Engine, store: Store, settings: Settings, mode: Mode) -> None:
        self.store = store
        self.settings = settings
        self.mode = mode
        logs.quiet()  # before the Bot exists: it logs its URL, token included, at DEBUG
        self.application, self.handlers = build_application(engine, store, settings)
        self.owner = uuid.uuid4().hex
        limits = Limits(per_second=settings.send_rate, chat_interval=settings.chat_send_interval)
        bot = self.application.bot
        limiter = SharedLimiter(store, limits, time.time)
        # A lane's lease must outlast a send that hangs until its timeout, or another replica
        # could take the lane meanwhile and send the chat's next reply first.
        lane_lease = max(settings.lease_seconds, 3 * settings.send_timeout)
        self.sender = Sender(bot, store, limiter, self.owner, lanes=settings.send_lanes, lease_seconds=lane_lease)
        self.processor = Processor(
            self.application,
            self.handlers,
            store,
            workers=settings.workers,
            lease_seconds=settings.lease_seconds,
            on_applied=self.sender.applied,
            lanes=self.sender.lane_request,
        )
        self.inbox = Inbox(store, self.processor.notify, on_leased=self.processor.leased, room=self.processor.room)
        self.webhook: WebhookReceiver | None = None
        self.poller: Poller | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._polling: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the store, meet the Bot API, and start every part; the command menus are set
        once the bot is serving."""
        await self.store.open()
        await self.store.reset_leases()
        await self.application.initialize()
        bot = self.application.bot
        self.handlers.engine = replace(self.handlers.engine, bot_username=bot.username)
        self._tasks = [
            asyncio.create_task(self.processor.run()),
            asyncio.create_task(self.sender.run()),
            asyncio.create_task(self._purge_loop()),
        ]
        if self.mode == "webhook":
            assert self.settings.webhook_url
            self.webhook = WebhookReceiver(bot, self.inbox, self.settings.webhook_secret)
            await self.webhook.start(self.settings.listen, self.settings.port, urlparse(self.settings.webhook_url).path)
            await bot.set_webhook(
                self.settings.webhook_url,
                secret_token=self.settings.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
                max_connections=40,
            )
            log.info("serving the webhook on port %d", self.settings.port)
        elif self.mode == "polling":
            await bot.delete_webhook()
            self.poller = Poller(bot, self.inbox, POLL_SECONDS)
            self._polling = asyncio.create_task(self.poller.run())
            log.info("long polling")
        # Once updates are coming in: the menus are a call per language to Telegram that no reply needs.
        self._tasks.append(asyncio.create_task(self._register_commands()))
        if not gc.isenabled():  # started by `cli.run`, which holds the collector off until now
            # Start-up's objects (modules, classes, the engine) live as long as the process: set
            # aside for good, no later collection walks them again.
            gc.freeze()
            gc.enable()

    async def _register_commands(self) -> None:
        """The command menu in every language (best effort: the bot works without it)."""
        engine, bot = self.handlers.engine, self.application.bot
        try:
            for lang in engine.languages:
                commands = [
                    BotCommand(name, interface_text(engine.translator, lang, text)) for name, text in texts.COMMANDS
                ]
                if lang == engine.languages[0]:
                    await bot.set_my_commands(commands)  # the default, for every other client language
                else:
                    await bot.set_my_commands(commands, language_code=lang)
        except TelegramError as exc:
            log.warning("could not register the command menus (%s)", type(exc).__name__)
        except Exception:  # in a task of its own now: nothing else would report it
            log.exception("could not register the command menus")

    async def _purge_loop(self) -> None:
        """Delete the state of inactive users, old update ids and old questions, now and then."""
        await asyncio.sleep(60)
        while True:
            try:
                deleted = await self.store.purge(
                    int(time.time()), self.settings.retention_seconds, self.settings.unanswered_seconds
                )
                if deleted:
                    log.info("deleted the state of %d inactive users", deleted)
            except StoreError as exc:
                log.warning("the retention purge failed (%s); it runs again later", type(exc).__name__)
            await asyncio.sleep(PURGE_INTERVAL_SECONDS)

    async def stop(self) -> None:
        """Stop receiving, let work in progress finish for a few seconds, and close."""
        grace = self.settings.shutdown_seconds
        if self.webhook is not None:
            await self.webhook.stop()
        if self.poller is not None and self._polling is not None:
            # Cut the long poll short: an update is either committed to the inbox or not, and the
            # offset that would confirm it was not asked for yet, so Telegram sends it again.
            self.poller.stop()
            self._polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling
        await self.processor.stop(grace)
        await self.sender.stop(max(1.0, grace / 2))
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(TelegramError, RuntimeError):
            await self.application.shutdown()
        await self.store.close()


def run(engine: Engine, store: Store, settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM: a webhook when WEBHOOK_URL is set, else long polling."""
    runtime = Runtime(engine, store, settings, "webhook" if settings.webhook_url else "polling")
    eventloop.run(_serve(runtime), settings.event_loop)


async def _serve(runtime: Runtime) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await runtime.start()
    try:
        await stop.wait()
        log.info("stopping")
    finally:
        await runtime.stop()
    log.info("stopped")
