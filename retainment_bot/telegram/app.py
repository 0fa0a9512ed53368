"""The python-telegram-bot Application as the bot's map of handlers; the pipeline is ours.

The Application provides the Bot (HTTP requests to the Bot API) and the handler table, whose
``check_update`` decides which handler gets an update. Its Updater and its update queue are not
used: they acknowledge an update before it is processed (see ``retainment_bot.telegram.receive``).

Try it without Telegram: start a Bot API server of your own (or the tests' fake one,
``python -m tests.fakebotapi``) and run
``TELEGRAM_BOT_TOKEN=123:abc TELEGRAM_API_URL=http://127.0.0.1:8081/bot python -m retainment_bot``.
"""

from __future__ import annotations

from telegram import LinkPreviewOptions, MessageEntity
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from retainment_bot.engine.engine import Engine
from retainment_bot.settings import Settings
from retainment_bot.store import Store
from retainment_bot.telegram.handlers import Handlers
from retainment_bot.telegram.http import AiohttpRequest

POLL_SECONDS = 10


def build_application(engine: Engine, store: Store, settings: Settings) -> tuple[Application, Handlers]:  # type: ignore[type-arg]
    """The Application with every handler registered, and the handlers' shared object."""
    assert settings.token, "TELEGRAM_BOT_TOKEN is required"
    handlers = Handlers(engine, store, settings)
    # A connection for each send lane and a few for inline answers (PTB's default is 256).
    sending = AiohttpRequest(connections=settings.send_lanes + 4, timeout=settings.send_timeout)
    polling = AiohttpRequest(connections=1, timeout=POLL_SECONDS + 10)
    builder = (
        Application.builder()
        .token(settings.token)
        .updater(None)
        .job_queue(None)
        .request(sending)
        .get_updates_request(polling)
        # Every message is Telegram HTML without link previews: said once, not on every send.
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
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
            CallbackQueryHandler(h.keep_button, pattern=r"^keep:"),
            CallbackQueryHandler(h.button),
            MessageHandler(private & (filters.TEXT | filters.COMMAND), h.text),
            MessageHandler(private, h.unreadable),
            # In groups: /start (PTB's CommandHandler ignores /start@SomeOtherBot) and mentions.
            CommandHandler("start", h.group, groups),
            MessageHandler(groups & filters.Entity(MessageEntity.MENTION), h.group_mention),
        ]
    )
    return application, handlers
