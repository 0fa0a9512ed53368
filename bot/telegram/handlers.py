"""The handlers: each turns one kind of update into an engine event, runs the step under the
store's lock, and sends the replies. See ``app.build_application`` for the map of handlers."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import Forbidden, NetworkError, TelegramError
from telegram.ext import ContextTypes

from bot.engine.engine import (
    MENU_DATA,
    Engine,
    Event,
    Menu,
    Outcome,
    Press,
    ShowLanguages,
    Start,
    State,
    Typed,
    Unreadable,
)
from bot.engine.html import split_message, strip_html
from bot.engine.render import Reply, ReplyButton, interface_text
from bot.engine.ui import MENU, UiText
from bot.settings import Settings
from bot.stats import summary, usage_of
from bot.store import Store, StoreError
from bot.telegram import texts

log = logging.getLogger(__name__)

FORGET_ASK, FORGET_YES, FORGET_NO = "forget:ask", "forget:yes", "forget:no"
Context = ContextTypes.DEFAULT_TYPE


class Handlers:
    """The bot's handlers, sharing the engine, the store and the settings."""

    def __init__(self, engine: Engine, store: Store, settings: Settings, clock: Callable[[], float] = time.time):
        self.engine = engine
        self.store = store
        self.settings = settings
        self.clock = clock

    # -- commands and messages that go through the engine -----------------------------------

    async def start(self, update: Update, context: Context) -> None:
        """/start [payload]: the menu, or the topic a deep link names."""
        payload = context.args[0] if context.args else None
        await self._step(update, context, Start(payload))

    async def menu(self, update: Update, context: Context) -> None:
        """/menu: the main menu."""
        await self._step(update, context, Menu())

    async def language(self, update: Update, context: Context) -> None:
        """/language: offer the languages."""
        await self._step(update, context, ShowLanguages())

    async def text(self, update: Update, context: Context) -> None:
        """Typed text and unknown commands: a button's words, or "I did not understand"."""
        assert update.effective_message is not None
        await self._step(update, context, Typed(update.effective_message.text or ""))

    async def button(self, update: Update, context: Context) -> None:
        """A button press: answer the query, then run the engine on its data."""
        query = update.callback_query
        assert query is not None
        await _quietly(query.answer())
        await self._step(update, context, Press(query.data or ""))

    async def unreadable(self, update: Update, context: Context) -> None:
        """Stickers, photos, voice, files, locations, contacts, polls…: a short note and the menu."""
        await self._step(update, context, Unreadable())

    # -- commands the front end answers itself ------------------------------------------------

    async def help(self, update: Update, context: Context) -> None:
        """/help: how to use the bot."""
        lang = await self._language(update)
        await self._send(update, context, [self._note(lang, texts.HELP, menu=True)])

    async def privacy(self, update: Update, context: Context) -> None:
        """/privacy: what is stored, why, and for how long."""
        lang = await self._language(update)
        days, question_days = str(self.settings.retention_days), str(self.settings.unanswered_days)
        text = self._text(lang, texts.PRIVACY, days=days, question_days=question_days)
        buttons = ((ReplyButton(self._text(lang, texts.ERASE), data=FORGET_ASK),),)
        await self._send(update, context, [Reply(None, text, (*buttons, self._menu_row(lang)))])

    async def forget(self, update: Update, context: Context) -> None:
        """/forget: ask for confirmation before erasing."""
        lang = await self._language(update)
        row = (
            ReplyButton(self._text(lang, texts.FORGET_YES), data=FORGET_YES),
            ReplyButton(self._text(lang, texts.FORGET_NO), data=FORGET_NO),
        )
        await self._send(update, context, [Reply(None, self._text(lang, texts.FORGET_CONFIRM), (row,))])

    async def forget_button(self, update: Update, context: Context) -> None:
        """The confirmation buttons of /forget (and the privacy page's erase button)."""
        query, user = update.callback_query, update.effective_user
        assert query is not None and user is not None
        await _quietly(query.answer())
        if query.data == FORGET_ASK:
            await self.forget(update, context)
            return
        lang = await self._language(update)
        if query.data == FORGET_YES:
            await self.store.forget(user.id)
            log.info("a user erased their data")
            await self._send(update, context, [self._note(lang, texts.FORGOTTEN)])
        else:
            await self._send(update, context, [self._note(lang, texts.NOT_FORGOTTEN, menu=True)])

    async def edited(self, update: Update, context: Context) -> None:
        """An edited message: say that edits are not read (the original was already answered)."""
        lang = await self._language(update)
        await self._send(update, context, [self._note(lang, texts.EDITED)])

    async def group(self, update: Update, context: Context) -> None:
        """In a group, answer /start and mentions only, pointing to a private chat."""
        message = update.effective_message
        if message is None:
            return
        username = context.bot.username
        is_start = bool(message.text and message.text.split("@")[0].split(" ")[0] == "/start")
        mentions = message.parse_entities([MessageEntity.MENTION]).values() if message.text else []
        if not is_start and f"@{username}".lower() not in {m.lower() for m in mentions}:
            return
        lang = self.engine.new_state(update.effective_user.language_code if update.effective_user else None).lang
        link = html.escape(f"https://t.me/{username}")
        await self._send(update, context, [Reply(None, self._text(lang, texts.GROUP, link=link))])

    async def inline(self, update: Update, context: Context) -> None:
        """Inline mode (@bot consent): matching topics in the user's language, each posting its
        answer with a button that opens the bot at that topic."""
        query = update.inline_query
        if query is None:
            return
        lang = await self._language(update)
        results = [
            InlineQueryResultArticle(
                id=reply.node or str(index),
                title=self.engine.title(lang, reply.node or ""),
                description=_preview(reply.text),
                input_message_content=InputTextMessageContent(
                    reply.text, parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
                ),
                reply_markup=_keyboard(reply.buttons),
            )
            for index, reply in enumerate(self.engine.search(lang, query.query))
        ]
        await query.answer(results, cache_time=300, is_personal=True)

    async def stats(self, update: Update, context: Context) -> None:
        """/stats: the usage figures of the last 30 days for the admins; anyone else gets the
        ordinary answer to an unknown command."""
        user, message = update.effective_user, update.effective_message
        if user is None or message is None or user.id not in self.settings.admin_ids:
            await self.text(update, context)
            return
        today = datetime.fromtimestamp(self.clock(), UTC).date()
        since = (today - timedelta(days=29)).isoformat()
        report = await self.store.report(since)
        text = f"<pre>{html.escape(summary(report, since))}</pre>"
        await self._send(update, context, [Reply(None, text)])

    async def error(self, update: object, context: Context) -> None:
        """Log the error (never message text or the token), then apologise with the menu."""
        log.error("error while handling an update", exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        if update.effective_chat.type != ChatType.PRIVATE:
            return
        user = update.effective_user
        state = self.engine.new_state(user.language_code if user else None)
        menu = self.engine.step(state, Menu()).replies
        await self._send(update, context, [self._note(state.lang, texts.APOLOGY), *menu])

    # -- the shared path ------------------------------------------------------------------------

    async def _step(self, update: Update, context: Context, event: Event) -> None:
        """Apply ``event`` to the user's saved state (once per update id) and send the replies."""
        user = update.effective_user
        if user is None or update.effective_chat is None:
            return
        language_code = user.language_code

        engine = self.engine

        def step(state: State | None) -> tuple[State, Outcome]:
            outcome = engine.step(state or engine.new_state(language_code), event)
            return outcome.state, outcome

        now = self.clock()
        applied = await self.store.apply(user.id, update.update_id, int(now), step)
        if applied.duplicate or applied.result is None:
            log.info("dropped a redelivered update")
            return
        outcome = applied.result
        day = datetime.fromtimestamp(now, UTC).date().isoformat()
        try:
            await self.store.record(usage_of(engine.content, outcome, outcome.state.lang, day))
        except StoreError:
            log.warning("could not record usage figures")  # the user still gets the answer
        await self._send(update, context, outcome.replies)

    async def _language(self, update: Update) -> str:
        """The user's language: their saved choice, else their Telegram client's."""
        user = update.effective_user
        saved: State | None = None
        if user is not None:
            try:
                saved = await self.store.load(user.id)
            except StoreError:
                log.warning("store unavailable while looking up a language")
        if saved is not None and saved.lang in self.engine.languages:
            return saved.lang
        return self.engine.new_state(user.language_code if user else None).lang

    async def _send(self, update: Update, context: Context, replies: Sequence[Reply]) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        try:
            for reply in replies:
                parts = split_message(reply.text)
                for index, part in enumerate(parts):
                    markup = _keyboard(reply.buttons) if index == len(parts) - 1 else None
                    await context.bot.send_message(
                        chat.id,
                        part,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    )
        except Forbidden:
            log.info("a user has blocked the bot; their replies were not sent")

    def _text(self, lang: str, text: UiText, **values: str) -> str:
        return interface_text(self.engine.translator, lang, text, **values)

    def _menu_row(self, lang: str) -> tuple[ReplyButton, ...]:
        return (ReplyButton(self._text(lang, MENU), data=MENU_DATA),)

    def _note(self, lang: str, text: UiText, menu: bool = False) -> Reply:
        return Reply(None, self._text(lang, text), (self._menu_row(lang),) if menu else ())


def _preview(text: str) -> str:
    """The first line of an answer, as plain text, for an inline result's description."""
    lines = [line for line in strip_html(text).splitlines() if line.strip()]
    return " ".join(lines[1:2] or lines[:1])[:100]


def _keyboard(rows: tuple[tuple[ReplyButton, ...], ...]) -> InlineKeyboardMarkup | None:
    keyboard = [
        [
            InlineKeyboardButton(b.label, url=b.url) if b.url else InlineKeyboardButton(b.label, callback_data=b.data)
            for b in row
        ]
        for row in rows
        if row
    ]
    return InlineKeyboardMarkup(keyboard) if keyboard else None


async def _quietly(awaitable: Awaitable[object]) -> None:
    """Answer a callback query; an old query Telegram no longer accepts is not an error for the user."""
    try:
        await awaitable
    except (NetworkError, TelegramError) as exc:
        log.info("could not answer a callback query: %s", type(exc).__name__)
