"""The real python-telegram-bot Application against a local fake Bot API server, on real
SQLite and PostgreSQL: conversations, every kind of bad input, groups, and errors."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from retainment_bot.engine.engine import Engine
from retainment_bot.store import SqliteStore, Store
from tests.fakebotapi import FakeBotApi, WebhookPoster, message, press
from tests.pipeline_harness import free_port
from tests.telegram_harness import running, settings_for

USER = 777


def data_of(sent: Any, prefix: str) -> str:
    found = [str(b.get("callback_data", "")) for b in sent.buttons if b.get("callback_data", "").startswith(prefix)]
    assert found, f"no {prefix!r} in {sent.buttons}"
    return found[0]


async def send(api: FakeBotApi, update: dict[str, Any], replies: int = 1, chat: int = USER) -> list[Any]:
    """Queue an update and wait for ``replies`` more messages to ``chat``; return the new ones."""
    before = len(api.messages_to(chat))
    api.queue(update)
    messages = await api.wait_messages(chat, before + replies)
    return messages[before:]


async def test_a_full_conversation_in_vietnamese(api: FakeBotApi, engine: Engine, store: Store) -> None:
    """Start, walk the eligibility check with buttons, switch language, then erase the data."""
    async with running(engine, store, settings_for(api)):
        (menu,) = await send(api, message(USER, "/start", lang="vi"))
        assert "Hãy chọn một chủ đề" in menu.text
        assert menu.params["parse_mode"] == "HTML"  # the Application's Defaults
        assert menu.params["link_preview_options"] == {"is_disabled": True}
        assert {b.get("callback_data", "") for b in menu.buttons} >= {"lang:en", "lang:ja"}

        (question,) = await send(api, press(USER, data_of(menu, "start.menu:0:"), lang="vi"))
        (reason,) = await send(api, press(USER, data_of(question, "eligibility.start:0:"), lang="vi"))
        (status,) = await send(api, press(USER, data_of(reason, "eligibility.reason:0:"), lang="vi"))
        (difficulty,) = await send(api, press(USER, data_of(status, "eligibility.status:0:"), lang="vi"))
        (wish,) = await send(api, press(USER, data_of(difficulty, "eligibility.difficulty:0:"), lang="vi"))
        (result,) = await send(api, message(USER, "có", lang="vi"))  # typed yes presses Yes
        assert "phù hợp với quy định" in result.text
        assert "外国人在留総合インフォメーションセンター" in result.text
        assert "Hoạt động đặc định" in result.text
        assert wish.text != result.text

        note, again = await send(api, press(USER, "lang:ja", lang="vi"), replies=2)
        assert "日本語" in note.text
        assert "該当していた" in again.text
        saved = await store.load(USER)
        assert saved is not None and saved.lang == "ja" and saved.answer("status") == "titp"

        (confirm,) = await send(api, message(USER, "/forget", lang="vi"))
        assert {b.get("callback_data", "") for b in confirm.buttons} == {"forget:yes", "forget:no"}
        (done,) = await send(api, press(USER, "forget:yes", lang="vi"))
        assert "消去" in done.text  # the chosen language still applies to the goodbye
        assert await store.load(USER) is None
        answered = [c for c in api.calls if c.method == "answerCallbackQuery"]
        assert len(answered) >= 5


async def test_a_typed_request_to_erase_asks_to_confirm_then_erases(
    api: FakeBotApi, engine: Engine, store: Store
) -> None:
    """ "xoa du lieu cua toi" is answered as /forget is: nothing is erased before Yes."""
    async with running(engine, store, settings_for(api)):
        await send(api, message(USER, "/start", lang="vi"))
        assert await store.load(USER) is not None
        (confirm,) = await send(api, message(USER, "xoa du lieu cua toi", lang="vi"))
        assert {b.get("callback_data", "") for b in confirm.buttons} == {"forget:yes", "forget:no"}
        assert await store.load(USER) is not None
        await send(api, press(USER, "forget:yes", lang="vi"))
        assert await store.load(USER) is None


async def test_a_deep_link_opens_the_topic_in_its_language(api: FakeBotApi, engine: Engine, store: Store) -> None:
    async with running(engine, store, settings_for(api)):
        (reply,) = await send(api, message(USER, "/start consent_form-vi", lang="en"))
        assert "Giấy đồng ý" in reply.text
        saved = await store.load(USER)
        assert saved is not None and saved.lang == "vi" and saved.node == "consent_form.start"


def menus(calls: list[Any]) -> list[Any]:
    return [c for c in calls if c.method == "setMyCommands" and not c.failed]


async def test_commands_are_registered_for_each_language(api: FakeBotApi, engine: Engine, store: Store) -> None:
    async with running(engine, store, settings_for(api)):
        registered = menus(await api.wait_for(lambda calls: len(menus(calls)) == 3))
    by_language = {c.params.get("language_code"): c.params["commands"] for c in registered}
    assert set(by_language) == {None, "vi", "ja"}
    assert {c["command"] for c in by_language[None]} == {"start", "menu", "language", "help", "privacy", "forget"}
    assert by_language["ja"][1]["description"] != by_language[None][1]["description"]


@pytest.mark.parametrize("polling", [True, False], ids=["polling", "webhook"])
async def test_the_first_reply_does_not_wait_for_the_command_menus(
    api: FakeBotApi, engine: Engine, store: Store, polling: bool
) -> None:
    """The menus are set once the bot serves: Telegram's answer to them is not on a reply's path."""
    api.held["setMyCommands"] = asyncio.Event()
    port = free_port()
    hook = f"http://127.0.0.1:{port}/hook"
    settings = settings_for(api) if polling else settings_for(api, webhook_url=hook, port=port)
    poster = WebhookPoster(hook)
    await poster.start()
    try:
        async with running(engine, store, settings, polling=polling):
            if polling:
                api.queue(message(USER, "/start"))
            else:
                poster.post({"update_id": api.next_update_id(), **message(USER, "/start")})
            (menu,) = await api.wait_messages(USER, 1)
            assert "choose a topic" in menu.text.lower()
            assert not menus(api.calls), "Telegram has not answered setMyCommands yet"
            api.held["setMyCommands"].set()
            await api.wait_for(lambda calls: len(menus(calls)) == 3)
    finally:
        await poster.stop()


async def test_a_command_menu_telegram_refuses_is_logged_and_the_bot_answers(
    api: FakeBotApi, engine: Engine, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    api.fail_next.append(("setMyCommands", 500, "Internal Server Error"))
    async with running(engine, store, settings_for(api)):
        await api.wait_for(lambda calls: any(c.method == "setMyCommands" for c in calls))
        (menu,) = await send(api, message(USER, "/start"))
    assert "choose a topic" in menu.text.lower()
    assert "could not register the command menus (NetworkError)" in caplog.text


async def test_a_bot_started_without_the_garbage_collector_turns_it_on_once_serving(
    api: FakeBotApi, engine: Engine, store: Store
) -> None:
    """``cli.run`` holds the collector off during start-up; the runtime sets start-up's objects
    aside and turns it back on, so that no garbage is kept for ever after."""
    gc.disable()
    try:
        async with running(engine, store, settings_for(api)):
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0
            (menu,) = await send(api, message(USER, "/start"))
            assert "choose a topic" in menu.text.lower()
    finally:
        gc.unfreeze()
        gc.enable()


NOT_TEXT: dict[str, dict[str, Any]] = {
    "sticker": {"sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1,
                            "is_animated": False, "is_video": False}},
    "photo": {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]},
    "voice": {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 1}},
    "video": {"video": {"file_id": "v", "file_unique_id": "v", "width": 1, "height": 1, "duration": 1}},
    "document": {"document": {"file_id": "d", "file_unique_id": "d"}},
    "location": {"location": {"latitude": 35.67, "longitude": 139.75}},
    "contact": {"contact": {"phone_number": "+810000", "first_name": "A"}},
    "poll": {"poll": {"id": "1", "question": "?", "total_voter_count": 0, "is_closed": False, "is_anonymous": True,
                      "type": "regular", "allows_multiple_answers": False, "allows_revoting": False,
                      "members_only": False,
                      "options": [{"text": "a", "voter_count": 0, "persistent_id": "o1"}]}},
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(NOT_TEXT))
async def test_a_message_that_is_not_text_gets_a_short_note_and_the_menu(
    api: FakeBotApi, engine: Engine, tmp_path: Any, kind: str
) -> None:
    async with running(engine, SqliteStore(tmp_path / "bot.sqlite3"), settings_for(api)):
        note, menu = await send(api, message(USER, None, lang="ja", **NOT_TEXT[kind]), replies=2)
    assert "テキスト" in note.text
    assert "start.menu:0:" in str(menu.buttons)


BAD_TEXT = {
    "very_long_text": ("x" * 4096, "did not understand"),
    "emoji_only": ("😀🙏🎌", "did not understand"),
    "unknown_command": ("/doesnotexist", "did not understand"),
    "unknown_deep_link": ("/start no_such_topic", "link is not known"),
}


@pytest.mark.parametrize("case", sorted(BAD_TEXT))
async def test_bad_text_gets_a_short_answer_and_the_menu(
    api: FakeBotApi, engine: Engine, tmp_path: Any, case: str
) -> None:
    text, expected = BAD_TEXT[case]
    async with running(engine, SqliteStore(tmp_path / "bot.sqlite3"), settings_for(api)):
        note, menu = await send(api, message(USER, text), replies=2)
    assert expected in note.text
    assert len(note.text) < 200
    assert "start.menu:0:" in str(menu.buttons)


@pytest.mark.parametrize(
    ("data", "expected"),
    [("eligibility.start:0:ffff", "older message"), ("<script>", "not valid"), ("x" * 64, "not valid")],
)
async def test_stale_or_forged_buttons_are_explained(
    api: FakeBotApi, engine: Engine, tmp_path: Any, data: str, expected: str
) -> None:
    async with running(engine, SqliteStore(tmp_path / "bot.sqlite3"), settings_for(api)):
        note, _screen = await send(api, press(USER, data), replies=2)
    assert expected in note.text


async def test_an_edited_message_is_answered_without_changing_state(
    api: FakeBotApi, engine: Engine, tmp_path: Any
) -> None:
    store = SqliteStore(tmp_path / "bot.sqlite3")
    async with running(engine, store, settings_for(api)):
        await send(api, message(USER, "/start ssw", lang="vi"))
        edited = message(USER, "hello", lang="vi")
        (note,) = await send(api, {"edited_message": edited["message"]})
        assert "tin nhắn mới" in note.text
        saved = await store.load(USER)
        assert saved is not None and saved.node == "ssw.start"


async def test_in_a_group_only_start_and_mentions_are_answered(api: FakeBotApi, engine: Engine, tmp_path: Any) -> None:
    group = -100123
    store = SqliteStore(tmp_path / "bot.sqlite3")
    async with running(engine, store, settings_for(api)):
        (reply,) = await send(api, message(USER, "/start", chat_id=group), chat=group)
        assert "https://t.me/retainment_test_bot" in reply.text
        api.queue(message(USER, "just chatting", chat_id=group))
        api.queue(message(USER, "/start@SomeOtherBot", chat_id=group))  # another bot's command
        other = message(USER, "@someone_else hello", chat_id=group)
        other["message"]["entities"] = [{"type": "mention", "offset": 0, "length": 13}]
        api.queue(other)
        mention = message(USER, "@retainment_test_bot hello", chat_id=group)
        mention["message"]["entities"] = [{"type": "mention", "offset": 0, "length": 20}]
        (again,) = await send(api, mention, chat=group)
        assert "private chat" in again.text
        (addressed,) = await send(api, message(USER, "/start@retainment_test_bot", chat_id=group), chat=group)
        assert "https://t.me/retainment_test_bot" in addressed.text
        assert len(api.messages_to(group)) == 3  # the chat, the other bot's command, the other mention: no answer
        assert await store.load(USER) is None  # nothing personal is stored from groups


async def test_help_and_privacy_answer_in_the_user_language(api: FakeBotApi, engine: Engine, tmp_path: Any) -> None:
    async with running(engine, SqliteStore(tmp_path / "bot.sqlite3"), settings_for(api, retention_days=90)):
        (help_text,) = await send(api, message(USER, "/help", lang="ja"))
        (privacy,) = await send(api, message(USER, "/privacy", lang="ja"))
    assert "/forget" in help_text.text
    assert "90" in privacy.text
    assert "forget:ask" in str(privacy.buttons)


async def test_a_failing_step_gets_an_apology_and_the_menu(
    api: FakeBotApi, engine: Engine, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug while handling one update: it is logged and apologised for, the update is not retried
    for ever, and the next update of the same user is served."""
    from retainment_bot.engine.engine import Engine as EngineClass
    from retainment_bot.engine.engine import Typed

    real_step = EngineClass.step

    def failing_step(self: Any, state: Any, event: Any) -> Any:
        if isinstance(event, Typed) and event.text == "boom":
            raise RuntimeError("a bug")
        return real_step(self, state, event)

    monkeypatch.setattr(EngineClass, "step", failing_step)
    async with running(engine, SqliteStore(tmp_path / "bot.sqlite3"), settings_for(api)):
        apology, menu = await send(api, message(USER, "boom"), replies=2)
        assert "went wrong" in apology.text
        assert "start.menu:0:" in str(menu.buttons)
        (after,) = await send(api, message(USER, "/start ssw"))
    assert "ssw" in str(after.buttons) or after.text


async def test_a_user_who_blocked_the_bot_is_handled_quietly(api: FakeBotApi, engine: Engine, tmp_path: Any) -> None:
    """Forbidden from Telegram: nothing crashes, the state is still saved, the next user is served."""
    store = SqliteStore(tmp_path / "bot.sqlite3")
    async with running(engine, store, settings_for(api)):
        api.fail_next.append(("sendMessage", 403, "Forbidden: bot was blocked by the user"))
        api.queue(message(USER, "/start ssw"))
        await api.wait_for(lambda calls: any(c.failed and c.chat_id == USER for c in calls))
        (reply,) = await send(api, message(USER + 1, "/start"), chat=USER + 1)
        saved = await store.load(USER)
    assert "start.menu:0:" in str(reply.buttons)
    assert saved is not None and saved.node == "ssw.start"
    assert api.messages_to(USER) == []


async def test_flood_limits_are_retried_after_the_delay_telegram_asks(
    api: FakeBotApi, engine: Engine, tmp_path: Any
) -> None:
    """A 429 with retry_after: the sender waits that long and sends the reply again."""
    api.fail_next.append(("sendMessage", 429, "Too Many Requests: retry after 1"))
    async with running(engine, SqliteStore(tmp_path / "bot.sqlite3"), settings_for(api)):
        (reply,) = await send(api, message(USER, "/start"))
    assert "start.menu:0:" in str(reply.buttons)
