"""The Bot API calls a step's replies become: the keyboard JSON written directly equals PTB's own,
and the sender's requests are the ones PTB's ``send_message`` and ``answer_callback_query`` make."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from telegram.request import BaseRequest, RequestData

from retainment_bot.engine.engine import Engine, Press, Start, State
from retainment_bot.engine.render import Reply, ReplyButton
from retainment_bot.settings import Settings
from retainment_bot.store import SqliteStore
from retainment_bot.telegram.app import build_application
from retainment_bot.telegram.handlers import _keyboard, keyboard_json, outgoing
from retainment_bot.telegram.ratelimit import Limits, SharedLimiter
from retainment_bot.telegram.send import Sender


def test_the_keyboard_json_is_what_ptb_would_serialise_for_every_first_screen(engine: Engine) -> None:
    seen = 0
    for lang in ("vi", "en", "ja"):
        outcome = engine.step(State(lang), Start(""))
        replies = list(outcome.replies)
        for reply in outcome.replies:  # and the screens one press away
            for row in reply.buttons:
                for button in row:
                    if button.data:
                        replies.extend(engine.step(outcome.state, Press(button.data)).replies)
        for reply in replies:
            markup = _keyboard(reply.buttons)
            assert keyboard_json(reply.buttons) == (markup.to_dict() if markup else None)
            seen += markup is not None
    assert seen > 30


def test_a_link_button_and_a_press_button_in_one_keyboard() -> None:
    rows = ((ReplyButton("Site", url="https://example.org"), ReplyButton("Next", data="n:1:ab")), ())
    markup = _keyboard(rows)
    assert markup is not None and keyboard_json(rows) == markup.to_dict()
    (call,) = outgoing(5, [Reply(None, "hi", rows)])
    assert json.loads(call.params)["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Site", "url": "https://example.org"}, {"text": "Next", "callback_data": "n:1:ab"}]
        ]
    }


class _Recorder(BaseRequest):
    """A Bot API that records each request (URL and parameters, in order) and says "ok"."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, list[tuple[str, str | bytes]]]] = []

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        assert request_data is not None
        # The parameters as they go out (JSON-encoded values), in their order.
        self.seen.append((url, list(request_data.json_parameters.items())))
        message = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": ""}
        result: Any = message if url.endswith("/sendMessage") else True
        return 200, json.dumps({"ok": True, "result": result}).encode()


async def test_the_sender_makes_the_requests_ptbs_methods_make(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(token="123:abc", api_url="http://127.0.0.1:9/bot")
    store = SqliteStore(tmp_path / "s.db")
    application, _ = build_application(engine, store, settings)
    bot, recorder = application.bot, _Recorder()
    bot._request = (recorder, recorder)
    sender = Sender(bot, store, SharedLimiter(store, Limits(0, 0), lambda: 0.0), "owner")
    step = engine.step(engine.new_state("vi"), Start(None))
    markup = keyboard_json(step.replies[-1].buttons)
    assert markup is not None
    texts = [step.replies[-1].text, "a <b>bold</b> & plain \u00e9 text"]
    for text in texts:
        for keyboard in (markup, None):
            params = {"chat_id": 42, "text": text, **({"reply_markup": markup} if keyboard else {})}
            await sender._call("sendMessage", json.loads(json.dumps(params, ensure_ascii=False)))
            await bot.send_message(chat_id=42, text=text, api_kwargs={"reply_markup": markup} if keyboard else None)
    await sender._call("answerCallbackQuery", {"callback_query_id": "77"})
    await bot.answer_callback_query("77")
    assert len(recorder.seen) == 2 * len(texts) * 2 + 2
    for ours, ptbs in zip(recorder.seen[::2], recorder.seen[1::2], strict=True):
        assert ours == ptbs
    url, parameters = recorder.seen[0]
    assert url.endswith("/sendMessage")
    assert [name for name, _ in parameters] == ["chat_id", "text", "link_preview_options", "parse_mode", "reply_markup"]
