"""The baseline: a bare python-telegram-bot 22 Application behind the same webhook, with one
MessageHandler and one CallbackQueryHandler, reading the same environment as ``python -m retainment_bot``.

    TELEGRAM_BOT_TOKEN=… TELEGRAM_API_URL=… WEBHOOK_URL=… PORT=… WEBHOOK_SECRET=… python -m benchmarks.echo_bot

It echoes text with a two-button keyboard (so the load generator has buttons to press) and
answers a button press, then echoes its data: the least any bot does per update. With
``ECHO_RATE_LIMITER=1`` it sends through PTB's ``AIORateLimiter`` as the bot does (an experiment:
that limiter allows 30 messages a second in all, Telegram's documented broadcast limit).
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import AIORateLimiter, Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=label.lower()) for label in ("A", "B")]])


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "?", reply_markup=KEYBOARD)


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    await query.answer()
    await context.bot.send_message(update.effective_chat.id, query.data or "?", reply_markup=KEYBOARD)


def main() -> None:
    api_url = os.environ["TELEGRAM_API_URL"]
    webhook_url = os.environ["WEBHOOK_URL"]
    builder = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(api_url)
        .base_file_url(api_url.replace("/bot", "/file/bot"))
    )
    if os.environ.get("ECHO_RATE_LIMITER") == "1":
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(press))
    application.run_webhook(
        listen="127.0.0.1",
        port=int(os.environ["PORT"]),
        url_path=urlparse(webhook_url).path.lstrip("/"),
        webhook_url=webhook_url,
        secret_token=os.environ.get("WEBHOOK_SECRET"),
        allowed_updates=Update.ALL_TYPES,
    )


if __name__ == "__main__":
    main()
