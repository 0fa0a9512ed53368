"""The Bot API calls a step's replies become: the keyboard JSON written directly equals PTB's own."""

from __future__ import annotations

import json

from retainment_bot.engine.engine import Engine, Press, Start, State
from retainment_bot.engine.render import Reply, ReplyButton
from retainment_bot.telegram.handlers import _keyboard, keyboard_json, outgoing


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
