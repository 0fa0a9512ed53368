"""The handlers: each turns one kind of update into an engine event and returns a :data:`Plan`,
what to write in the update's transaction (state, replies, usage figures). They send nothing: the
replies become outbox rows (``retainment_bot.telegram.send`` delivers them). See ``app.build_application``
for the map of handlers and ``retainment_bot.telegram.process`` for who runs them."""

from __future__ import annotations

import html
import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType
from telegram.error import NetworkError, TelegramError
from telegram.ext import ContextTypes

from retainment_bot.engine.engine import (
    MENU_DATA,
    Engine,
    Event,
    Menu,
    Press,
    ShowLanguages,
    Start,
    State,
    Typed,
    Unreadable,
)
from retainment_bot.engine.html import split_message, strip_html
from retainment_bot.engine.privacy import asks_to_forget
from retainment_bot.engine.render import Reply, ReplyButton, interface_text
from retainment_bot.engine.ui import MENU, UiText
from retainment_bot.settings import Settings
from retainment_bot.stats import question_to_hold, summary, usage_of
from retainment_bot.store import Effect, Outgoing, Plan, Store
from retainment_bot.telegram import texts

log = logging.getLogger(__name__)

FORGET_ASK, FORGET_YES, FORGET_NO = "forget:ask", "forget:yes", "forget:no"
KEEP_YES, KEEP_NO = "keep:yes", "keep:no"
Context = ContextTypes.DEFAULT_TYPE


def keep(_state: State | None) -> Effect:
    """The plan of an update that needs no answer: only its id is recorded."""
    return Effect()


class Handlers:
    """The bot's handlers, sharing the engine, the store and the settings."""

    def __init__(self, engine: Engine, store: Store, settings: Settings, clock: Callable[[], float] = time.time):
        self.engine = engine
        self.store = store
        self.settings = settings
        self.clock = clock

    # -- commands and messages that go through the engine -----------------------------------

    async def start(self, update: Update, context: Context) -> Plan | None:
        """/start [payload]: the menu, or the topic a deep link names."""
        payload = context.args[0] if context.args else None
        return self._step(update, Start(payload))

    async def menu(self, update: Update, context: Context) -> Plan | None:
        """/menu: the main menu."""
        return self._step(update, Menu())

    async def language(self, update: Update, context: Context) -> Plan | None:
        """/language: offer the languages."""
        return self._step(update, ShowLanguages())

    async def text(self, update: Update, context: Context) -> Plan | None:
        """Typed text and unknown commands: a request to erase the user's data (asked to confirm,
        as /forget is), a button's words, a question, or "I did not understand"."""
        assert update.effective_message is not None
        text = update.effective_message.text or ""
        if asks_to_forget(text):
            return self._answer(update, self._confirm_forget)
        return self._step(update, Typed(text))

    async def button(self, update: Update, context: Context) -> Plan | None:
        """A button press: answer the query, then run the engine on its data."""
        query = update.callback_query
        assert query is not None
        return self._step(update, Press(query.data or ""))

    async def unreadable(self, update: Update, context: Context) -> Plan | None:
        """Stickers, photos, voice, files, locations, contacts, polls…: a short note and the menu."""
        return self._step(update, Unreadable())

    # -- commands the front end answers itself ------------------------------------------------

    async def help(self, update: Update, context: Context) -> Plan | None:
        """/help: how to use the bot."""
        return self._answer(update, lambda lang: [self._note(lang, texts.HELP, menu=True)])

    async def privacy(self, update: Update, context: Context) -> Plan | None:
        """/privacy: what is stored, why, and for how long."""
        days, question_days = str(self.settings.retention_days), str(self.settings.unanswered_days)

        def page(lang: str) -> list[Reply]:
            text = self._text(lang, texts.PRIVACY, days=days, question_days=question_days)
            buttons = ((ReplyButton(self._text(lang, texts.ERASE), data=FORGET_ASK),),)
            return [Reply(None, text, (*buttons, self._menu_row(lang)))]

        return self._answer(update, page)

    async def forget(self, update: Update, context: Context) -> Plan | None:
        """/forget: ask for confirmation before erasing."""
        return self._answer(update, self._confirm_forget)

    def _confirm_forget(self, lang: str) -> list[Reply]:
        row = (
            ReplyButton(self._text(lang, texts.FORGET_YES), data=FORGET_YES),
            ReplyButton(self._text(lang, texts.FORGET_NO), data=FORGET_NO),
        )
        return [Reply(None, self._text(lang, texts.FORGET_CONFIRM), (row,))]

    async def forget_button(self, update: Update, context: Context) -> Plan | None:
        """The confirmation buttons of /forget (and the privacy page's erase button). Erasing
        happens in the update's own transaction, under the user's lock, so no other update of
        the user can write the erased state back."""
        query = update.callback_query
        assert query is not None
        if query.data == FORGET_ASK:
            return self._answer(update, self._confirm_forget)
        if query.data == FORGET_YES:
            return self._answer(update, lambda lang: [self._note(lang, texts.FORGOTTEN)], erase=True)
        return self._answer(update, lambda lang: [self._note(lang, texts.NOT_FORGOTTEN, menu=True)])

    async def keep_button(self, update: Update, context: Context) -> Plan | None:
        """The answer to "may I keep your question?": keep it (anonymous, redacted) or delete it."""
        query, chat = update.callback_query, update.effective_chat
        if query is None or chat is None:
            return None
        consent = query.data == KEEP_YES
        first = _callback_answer(update)

        def plan(state: State | None) -> Effect:
            lang = self._language(update, state)
            note = self._note(lang, texts.KEPT if consent else texts.NOT_KEPT)
            return Effect(replies=outgoing(chat.id, [note], first), consent=consent)

        return plan

    async def edited(self, update: Update, context: Context) -> Plan | None:
        """An edited message: say that edits are not read (the original was already answered)."""
        return self._answer(update, lambda lang: [self._note(lang, texts.EDITED)])

    async def group_mention(self, update: Update, context: Context) -> Plan | None:
        """A message in a group that mentions someone: answered only if it mentions this bot."""
        message = update.effective_message
        mentions = message.parse_entities([MessageEntity.MENTION]).values() if message and message.text else []
        if f"@{context.bot.username}".lower() not in {m.lower() for m in mentions}:
            return None
        return await self.group(update, context)

    async def group(self, update: Update, context: Context) -> Plan | None:
        """In a group, /start (addressed to this bot) and mentions get a pointer to a private
        chat. Nothing about the user is stored."""
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None:
            return None
        username = context.bot.username
        lang = self.engine.new_state(update.effective_user.language_code if update.effective_user else None).lang
        link = html.escape(f"https://t.me/{username}")
        replies = outgoing(chat.id, [Reply(None, self._text(lang, texts.GROUP, link=link))])
        return lambda _state: Effect(replies=replies)

    async def inline(self, update: Update, context: Context) -> Plan | None:
        """Inline mode (@bot consent): matching topics in the user's language, each posting its
        answer with a button that opens the bot at that topic. The one answer sent from here:
        Telegram forgets an inline query within seconds, so it is worth nothing later."""
        query = update.inline_query
        if query is None:
            return None
        saved = await self.store.load(query.from_user.id)
        lang = self._language(update, saved)
        results = [
            InlineQueryResultArticle(
                id=reply.node or str(index),
                title=self.engine.title(lang, reply.node or ""),
                description=_preview(reply.text),
                input_message_content=InputTextMessageContent(
                    reply.text  # HTML, no link preview: the Application's Defaults
                ),
                reply_markup=_keyboard(reply.buttons),
            )
            for index, reply in enumerate(self.engine.search(lang, query.query))
        ]
        try:
            await query.answer(results, cache_time=300, is_personal=True)
        except (NetworkError, TelegramError) as exc:
            log.info("could not answer an inline query: %s", type(exc).__name__)
        return None

    async def stats(self, update: Update, context: Context) -> Plan | None:
        """/stats: the usage figures of the last 30 days for the admins; anyone else gets the
        ordinary answer to an unknown command."""
        user, message, chat = update.effective_user, update.effective_message, update.effective_chat
        if user is None or message is None or chat is None or user.id not in self.settings.admin_ids:
            return await self.text(update, context)
        today = datetime.fromtimestamp(self.clock(), UTC).date()
        since = (today - timedelta(days=29)).isoformat()
        report = await self.store.report(since)
        replies = outgoing(chat.id, [Reply(None, f"<pre>{html.escape(summary(report, since))}</pre>")])
        return lambda _state: Effect(replies=replies)

    def apology(self, update: Update) -> Plan:
        """When handling failed: the apology and the menu, in a private chat; the state is kept."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or chat.type != ChatType.PRIVATE:
            return keep
        state = self.engine.new_state(user.language_code if user else None)
        menu = self.engine.step(state, Menu()).replies
        replies = outgoing(chat.id, [self._note(state.lang, texts.APOLOGY), *menu], _callback_answer(update))
        return lambda _state: Effect(replies=replies)

    # -- the shared path ------------------------------------------------------------------------

    def _step(self, update: Update, event: Event) -> Plan | None:
        """The plan that applies ``event`` to the user's saved state: new state, replies and the
        step's anonymous figures, written together."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return None
        language_code, engine = user.language_code, self.engine
        day = datetime.fromtimestamp(self.clock(), UTC).date().isoformat()
        first = _callback_answer(update)

        def plan(state: State | None) -> Effect:
            outcome = engine.step(state or engine.new_state(language_code), event)
            lang = outcome.state.lang
            usage = usage_of(engine.content, outcome, lang, day)
            hold = question_to_hold(outcome, lang, day)
            replies = [*outcome.replies, self._ask_to_keep(lang)] if hold else outcome.replies
            return Effect(state=outcome.state, replies=outgoing(chat.id, replies, first), usage=usage, hold=hold)

        return plan

    def _ask_to_keep(self, lang: str) -> Reply:
        """One tap: may the question the bot could not answer be kept (without the name)?"""
        row = (
            ReplyButton(self._text(lang, texts.KEEP_YES), data=KEEP_YES),
            ReplyButton(self._text(lang, texts.KEEP_NO), data=KEEP_NO),
        )
        return Reply(None, self._text(lang, texts.KEEP_QUESTION), (row,))

    def _answer(self, update: Update, replies: Callable[[str], list[Reply]], erase: bool = False) -> Plan | None:
        """The plan of a reply in the user's language that leaves the state as it is (or erases it)."""
        chat = update.effective_chat
        if chat is None:
            return None
        first = _callback_answer(update)

        def plan(state: State | None) -> Effect:
            return Effect(replies=outgoing(chat.id, replies(self._language(update, state)), first), erase=erase)

        return plan

    def _language(self, update: Update, saved: State | None) -> str:
        """The user's language: their saved choice, else their Telegram client's."""
        if saved is not None and saved.lang in self.engine.languages:
            return saved.lang
        user = update.effective_user
        return self.engine.new_state(user.language_code if user else None).lang

    def _text(self, lang: str, text: UiText, **values: str) -> str:
        return interface_text(self.engine.translator, lang, text, **values)

    def _menu_row(self, lang: str) -> tuple[ReplyButton, ...]:
        return (ReplyButton(self._text(lang, MENU), data=MENU_DATA),)

    def _note(self, lang: str, text: UiText, menu: bool = False) -> Reply:
        return Reply(None, self._text(lang, text), (self._menu_row(lang),) if menu else ())


def outgoing(chat_id: int, replies: Sequence[Reply], first: Outgoing | None = None) -> tuple[Outgoing, ...]:
    """The Bot API calls that deliver ``replies`` to a chat, long texts split, the buttons on the
    last part; ``first`` (a callback query's answer) goes before them."""
    calls = [first] if first is not None else []
    for reply in replies:
        parts = split_message(reply.text)
        for index, part in enumerate(parts):
            params: dict[str, object] = {"chat_id": chat_id, "text": part}
            markup = keyboard_json(reply.buttons) if index == len(parts) - 1 else None
            if markup is not None:
                params["reply_markup"] = markup
            calls.append(Outgoing(chat_id, "sendMessage", json.dumps(params, ensure_ascii=False)))
    return tuple(calls)


def _callback_answer(update: Update) -> Outgoing | None:
    """Answering a button press stops the client's spinner; it goes first in the chat's lane."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return None
    return Outgoing(chat.id, "answerCallbackQuery", json.dumps({"callback_query_id": query.id}))


def _preview(text: str) -> str:
    """The first line of an answer, as plain text, for an inline result's description."""
    lines = [line for line in strip_html(text).splitlines() if line.strip()]
    return " ".join(lines[1:2] or lines[:1])[:100]


def keyboard_json(rows: tuple[tuple[ReplyButton, ...], ...]) -> dict[str, object] | None:
    """The Bot API's ``InlineKeyboardMarkup`` as JSON, written directly: building PTB's objects
    only to serialise them at once cost more than the rest of an outgoing reply (it is what
    :func:`_keyboard`'s ``to_dict()`` gives; a test holds the two together)."""
    keyboard = [
        [{"text": b.label, "url": b.url} if b.url else {"text": b.label, "callback_data": b.data} for b in row]
        for row in rows
        if row
    ]
    return {"inline_keyboard": keyboard} if keyboard else None


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
