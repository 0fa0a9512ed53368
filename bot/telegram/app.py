"""Build and run the python-telegram-bot Application: the handler table is the bot's map.

Try it without Telegram: start a Bot API server of your own (or the tests' fake one,
``python -m tests.fakebotapi``) and run
``TELEGRAM_BOT_TOKEN=123:abc TELEGRAM_API_URL=http://127.0.0.1:8081/bot python -m bot``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.engine.engine import Engine
from bot.engine.render import interface_text
from bot.settings import Settings
from bot.store import Store
from bot.telegram import texts
from bot.telegram.handlers import Handlers

log = logging.getLogger(__name__)

PURGE_INTERVAL_SECONDS = 6 * 3600


def build_application(engine: Engine, store: Store, settings: Settings) -> Application:  # type: ignore[type-arg]
    """The Application with every handler registered; the store opens and closes with it."""
    assert settings.token, "TELEGRAM_BOT_TOKEN is required"
    handlers = Handlers(engine, store, settings)
    builder = (
        Application.builder()
        .token(settings.token)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(lambda app: _on_start(app, handlers, store))
        .post_shutdown(lambda app: store.close())
    )
    if settings.api_url:
        builder = builder.base_url(settings.api_url).base_file_url(settings.api_url.replace("/bot", "/file/bot"))
    application = builder.build()

    h = handlers
    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    edited = filters.UpdateType.EDITED
    application.add_handlers(
        [
            MessageHandler(edited & private, h.edited),
            CommandHandler("start", h.start, private),
            CommandHandler("menu", h.menu, private),
            CommandHandler("language", h.language, private),
            CommandHandler("help", h.help, private),
            CommandHandler("privacy", h.privacy, private),
            CommandHandler("forget", h.forget, private),
            CommandHandler("stats", h.stats, private),
            InlineQueryHandler(h.inline),
            CallbackQueryHandler(h.forget_button, pattern=r"^forget:"),
            CallbackQueryHandler(h.button),
            MessageHandler(private & (filters.TEXT | filters.COMMAND), h.text),
            MessageHandler(private, h.unreadable),
            MessageHandler(groups, h.group),
        ]
    )
    application.add_error_handler(h.error)
    if application.job_queue is not None:
        application.job_queue.run_repeating(_purge(store, settings), interval=PURGE_INTERVAL_SECONDS, first=60)
    return application


async def _on_start(application: Application, handlers: Handlers, store: Store) -> None:  # type: ignore[type-arg]
    """Open the store (creating or migrating the schema), register the command menus, and give
    the engine the bot's username for Share buttons and inline results."""
    await store.open()
    bot = application.bot
    handlers.engine = replace(handlers.engine, bot_username=bot.username)
    engine = handlers.engine
    for lang in engine.languages:
        commands = [BotCommand(name, interface_text(engine.translator, lang, text)) for name, text in texts.COMMANDS]
        if lang == engine.languages[0]:
            await bot.set_my_commands(commands)  # the default, for every other client language
        else:
            await bot.set_my_commands(commands, language_code=lang)


def _purge(store: Store, settings: Settings):  # type: ignore[no-untyped-def]
    async def purge(context: ContextTypes.DEFAULT_TYPE) -> None:
        """Delete the state of users inactive for longer than the retention."""
        deleted = await store.purge(int(time.time()), settings.retention_seconds, settings.unanswered_seconds)
        if deleted:
            log.info("deleted the state of %d inactive users", deleted)

    return purge


def run(engine: Engine, store: Store, settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM: a webhook when WEBHOOK_URL is set, else long polling."""
    application = build_application(engine, store, settings)
    if settings.webhook_url:
        log.info("serving the webhook on port %d", settings.port)
        application.run_webhook(
            listen="0.0.0.0",
            port=settings.port,
            url_path=urlparse(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        log.info("long polling")
        application.run_polling(allowed_updates=Update.ALL_TYPES)
