"""Typed questions through the engine: answered, suggested, greeted, or not understood, in the
user's language, and never a content answer for small talk or off-topic text."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from retainment_bot.engine import ui
from retainment_bot.engine.engine import Engine, Press, Start, Typed
from retainment_bot.engine.render import interface_text
from retainment_bot.engine.ui import UiText
from tests.conftest import run_bot


def ask(engine: Engine, text: str, lang: str = "en", node: str | None = None) -> tuple[str | None, list[str], str]:
    """(node shown, button data, text of the first reply) after typing ``text``."""
    state = engine.step(engine.new_state(lang), Start()).state
    if node:
        state = replace(state, node=node)
    outcome = engine.step(state, Typed(text))
    last = outcome.replies[-1]
    return last.node, [b.data or "" for b in last.flat_buttons], outcome.replies[0].text


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("where do I send the consent form, I am specified skilled worker", "consent_form.ssw"),
        ("gia han them 6 thang duoc khong", "extension.start"),
        ("gia hạn thêm 6 tháng được không", "extension.start"),
        ("ﾄｸﾃｲｷﾞﾉｳ", "ssw.start"),
        ("とくていぎのう", "ssw.start"),
        ("tokutei ginou 2 go", "ssw.type2"),
        ("同意書の送り先", "consent_form.start"),
        ("技能実習とは", "titp.start"),
    ],
)
def test_a_clear_question_is_answered_with_its_topic(engine: Engine, text: str, node: str) -> None:
    shown, _, _ = ask(engine, text)
    assert shown == node


def test_a_few_words_in_no_clear_language_are_answered_in_the_user_language(engine: Engine) -> None:
    """ "tokutei ginou" is what every worker calls it: no reason to leave Vietnamese."""
    state = engine.step(engine.new_state("vi"), Start()).state
    outcome = engine.step(state, Typed("tokutei ginou"))
    assert outcome.state.lang == "vi" and len(outcome.replies) == 1
    assert outcome.replies[-1].node == "ssw.start"


def test_an_unclear_question_gets_suggestions_that_open_topics(engine: Engine) -> None:
    """ "Designated Activities" is how to apply, the extension and the report alike: ask which."""
    shown, data, text = ask(engine, "designated activities")
    assert shown is None and "not sure" in text
    suggestions = [d for d in data if d.startswith("go:")]
    assert 2 <= len(suggestions) <= 3 and "go:documents.start" in suggestions
    state = engine.step(engine.new_state("en"), Start()).state
    assert engine.step(state, Press(suggestions[0])).replies[-1].node == suggestions[0].removeprefix("go:")


def test_a_topic_name_opens_the_topic_even_when_its_screens_match_as_well(engine: Engine) -> None:
    shown, _, _ = ask(engine, "consent form")
    assert shown == "consent_form.start"


@pytest.mark.parametrize(
    ("text", "lang", "reply"),
    [
        ("hello", "en", ui.GREETING_REPLY),
        ("xin chào", "vi", ui.GREETING_REPLY),
        ("こんにちは", "ja", ui.GREETING_REPLY),
        ("hi bot", "en", ui.GREETING_REPLY),
        ("thank you", "en", ui.THANKS_REPLY),
        ("cảm ơn nhiều", "vi", ui.THANKS_REPLY),
        ("ありがとうございます", "ja", ui.THANKS_REPLY),
    ],
)
def test_greetings_and_thanks_get_a_friendly_reply_in_their_language_and_the_menu(
    engine: Engine, text: str, lang: str, reply: UiText
) -> None:
    outcome = engine.step(engine.step(engine.new_state("en"), Start()).state, Typed(text))
    assert outcome.state.lang == lang and outcome.replies[-1].node == "start.menu"
    assert interface_text(engine.translator, lang, reply) in [r.text for r in outcome.replies]


@pytest.mark.parametrize(
    "text",
    ["what is the weather tomorrow", "asdfghjkl", "😀😀😀", "k", "can my wife get a visa", "thuế thu nhập", "運転免許"],
)
def test_small_talk_and_off_topic_text_never_lands_on_a_content_topic(engine: Engine, text: str) -> None:
    shown, _, _ = ask(engine, text)
    assert shown in (None, "start.menu")


def test_a_typed_answer_to_the_current_question_wins_over_search(engine: Engine) -> None:
    """On the "wish to stay?" question, "no" presses No instead of searching for "no"."""
    shown, _, _ = ask(engine, "không", lang="vi", node="eligibility.wish")
    assert shown == "eligibility.not_wish"


def test_a_forged_suggestion_button_is_stale_not_an_error(engine: Engine) -> None:
    state = engine.step(engine.new_state("en"), Start()).state
    note, _ = engine.step(state, Press("go:eligibility.decide")).replies  # a junction cannot be shown
    assert "older message" in note.text


def test_the_jsonl_chat_shows_the_routed_node_for_typed_questions() -> None:
    lines = ['{"text": "/start"}', '{"text": "how do I apply for designated activities"}', '{"text": "hello"}']
    result = run_bot("chat", "--jsonl", "--lang", "en", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert answers[1]["replies"][-1]["node"] == "documents.start"
    assert answers[2]["replies"][-1]["node"] == "start.menu"


def test_a_search_file_with_an_unknown_node_is_reported(scratch) -> None:  # type: ignore[no-untyped-def]
    path = scratch / "search" / "vi.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "nowhere.node: something\n", encoding="utf-8")
    result = run_bot("check", root=scratch)
    line = len(path.read_text(encoding="utf-8").splitlines())
    assert f"search/vi.yaml:{line}: unknown node 'nowhere.node'" in result.stderr
