"""Typed text beyond the search itself: the language it is written in, typed language names,
typed answers inside the eligibility check, and bounded cost for any input."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from retainment_bot.engine.engine import LANGUAGE_PREFIX, TYPED_LIMIT, Engine, Press, Start, State, Typed
from retainment_bot.engine.language import asks_for_languages, detect, language_named
from retainment_bot.engine.normalize import clip
from retainment_bot.engine.redact import KEEP, redact
from tests.conftest import run_bot


def started(engine: Engine, lang: str) -> State:
    return engine.step(engine.new_state(lang), Start()).state


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("toi la thuc tap sinh, cong ty pha san, co duoc o lai nhat khong", "vi"),
        ("tôi bị mất việc vì covid", "vi"),
        ("cty pha san thi co dc o lai ko", "vi"),
        ("gaikokujin wo koyou dekimasu ka", "ja"),
        ("tokutei ginou ni naritai desu", "ja"),
        ("求人企業として登録するには", "ja"),
        ("とくていぎのう", "ja"),
        ("my company went bankrupt, can I stay in Japan?", "en"),
        ("dong y thu gui di dau", "vi"),
        # A Japanese term quoted in a Vietnamese or English question (each once switched to Japanese),
        ("tai mau 同意書 o dau", "vi"),
        ("where do i send the 同意書", "en"),
        # and Latin words in a Japanese question, which stays Japanese.
        ("which visa OK? ざいりゅうしかく の しゅるい おしえて", "ja"),
        ("WAASAってなに", "ja"),
        ("特定活動のpassportはいりますか", "ja"),
    ],
)
def test_the_language_of_a_question_is_recognised(text: str, lang: str) -> None:
    assert detect(text) == (lang, True)


@pytest.mark.parametrize("text", ["tokutei ginou", "consent form", "ok", "", "12345", "jisshusei"])
def test_a_few_shared_words_are_no_clear_language(text: str) -> None:
    assert detect(text)[1] is False


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("日本語", "ja"),
        ("nihongo", "ja"),
        ("tiếng Nhật", "ja"),
        ("Japanese", "ja"),
        ("English", "en"),
        ("tiếng Anh", "en"),
        ("英語", "en"),
        ("Tieng Viet", "vi"),
        ("vietnamese", "vi"),
        ("ベトナム語", "vi"),
        ("switch to English please", "en"),
        # Names inside a request, as workers type them (each once went to the search instead:
        # "can you speak vietnamese" was answered with "Ask a person").
        ("toi muon doi sang tieng viet", "vi"),
        ("can you speak vietnamese", "vi"),
        ("i want english", "en"),
        ("nihongo de onegai shimasu", "ja"),
        ("日本語にしてください", "ja"),
        ("英語でお願いします", "en"),
        ("ベトナム語で", "vi"),
    ],
)
def test_typed_language_names_are_recognised(text: str, lang: str) -> None:
    assert language_named(text) == lang


@pytest.mark.parametrize(
    "text",
    [
        "japanese visa for my wife",
        "where is the english list",
        "visa",
        "hoc tieng nhat o dau",
        "英語の試験は必要ですか",
        "日本語能力試験",
        "please",
        "ください",
    ],
)
def test_a_question_mentioning_a_language_is_not_a_language_name(text: str) -> None:
    assert language_named(text) is None
    assert not asks_for_languages(text)


@pytest.mark.parametrize("text", ["change language", "language", "doi ngon ngu", "言語を変更したい", "言語"])
def test_a_request_for_another_language_without_a_name_opens_the_choice(engine: Engine, text: str) -> None:
    assert asks_for_languages(text) and language_named(text) is None
    state = started(engine, "en")
    for where in ("eligibility.status", "consent_form.start", None):
        outcome = engine.step(replace(state, node=where), Typed(text))
        (picker,) = outcome.replies
        assert {b.data for b in picker.flat_buttons} >= {f"{LANGUAGE_PREFIX}{lang}" for lang in ("en", "vi", "ja")}
        assert outcome.state.node == where  # nothing else changed: Back returns to the screen


@pytest.mark.parametrize(
    ("start", "typed", "lang"),
    [
        ("en", "日本語", "ja"),
        ("ja", "Tieng Viet", "vi"),
        ("vi", "english", "en"),
        ("en", "toi muon doi sang tieng viet", "vi"),
        ("vi", "日本語にしてください", "ja"),
    ],
)
def test_a_typed_language_name_switches_the_language_anywhere(
    engine: Engine, start: str, typed: str, lang: str
) -> None:
    state = started(engine, start)
    for where in ("eligibility.status", "consent_form.start", None):
        outcome = engine.step(replace(state, node=where), Typed(typed))
        assert outcome.state.lang == lang and outcome.state.lang_chosen
        assert outcome.replies[-1].node == (where or "start.menu")


def test_a_question_in_another_language_is_answered_in_it_with_a_way_back(engine: Engine) -> None:
    state = started(engine, "en")
    outcome = engine.step(state, Typed("toi la thuc tap sinh, cong ty pha san, co duoc o lai nhat khong"))
    assert outcome.state.lang == "vi"
    note, *_, last = outcome.replies
    assert "Tiếng Việt" in note.text
    assert [b.data for b in note.flat_buttons] == [f"{LANGUAGE_PREFIX}en"]
    assert last.node is None or last.node.startswith("eligibility.")
    back = engine.step(outcome.state, Press(f"{LANGUAGE_PREFIX}en"))
    assert back.state.lang == "en" and back.replies[-1].node == outcome.state.node


def test_a_japanese_question_in_an_english_chat_is_answered_in_japanese(engine: Engine) -> None:
    outcome = engine.step(started(engine, "en"), Typed("同意書はどこに送りますか"))
    assert outcome.state.lang == "ja"
    # Where to send it depends on the worker's group: the consent form answered, or its screens
    # offered first (the matcher and the classifier disagree on which), in Japanese either way.
    last = outcome.replies[-1]
    shown = last.node or (next(b.data for b in last.flat_buttons) or "").removeprefix("go:")
    assert shown.startswith("consent_form.")
    assert "日本語" in outcome.replies[0].text
    assert last.node is not None or any("同意書" in b.label for b in last.flat_buttons)


@pytest.mark.parametrize(
    ("node", "typed", "value"),
    [
        ("eligibility.start", "neither", "neither"),
        ("eligibility.start", "Non of these", "neither"),
        ("eligibility.reason", "bankrupt", "bankruptcy"),
        ("eligibility.reason", "downsizing", "downsizing"),
        ("eligibility.status", "titp", "titp"),
        ("eligibility.status", "ssw", "ssw"),
        ("eligibility.wish", "はい", "yes"),
        ("eligibility.wish", "ko", "no"),
        ("eligibility.returnee", "yep", "yes"),
        ("eligibility.returnee", "iie", "no"),
        # Answers in a sentence of their own, the button's words among others (each once kept
        # the user on the question with "please answer the question").
        ("eligibility.start", "mat viec vi covid", "job"),
        ("eligibility.start", "コロナで仕事がなくなった", "job"),
        ("eligibility.reason", "cty pha san", "bankruptcy"),
        ("eligibility.reason", "倒産しました", "bankruptcy"),
        ("eligibility.reason", "hop dong het han", "fixed_term"),
        ("eligibility.reason", "not caused by covid", "not_covid"),
        ("eligibility.status", "i am a trainee", "titp"),
        ("eligibility.status", "技能実習生です", "titp"),
        # A run typed longer than the name's (内定取: 採用内定 and 取り消された in the button).
        ("eligibility.start", "内定取り消しになりました", "offer"),
        ("eligibility.start", "コロナで内定取消", "offer"),
    ],
)
def test_other_words_answer_a_question_of_the_check(engine: Engine, node: str, typed: str, value: str) -> None:
    state = replace(started(engine, "en"), node=node)
    asked = engine.content.nodes[node].ask
    assert asked is not None
    outcome = engine.step(state, Typed(typed))
    assert outcome.state.answer(asked) == value


@pytest.mark.parametrize(
    ("node", "typed"),
    [
        ("eligibility.status", "what is this"),
        ("eligibility.status", "covid"),
        ("eligibility.status", "asdfgh"),
        ("eligibility.status", "I am not sure"),
        # One word shared with one answer ("not") is no answer; nor are words two answers share.
        ("eligibility.reason", "I am not sure"),
        ("eligibility.reason", "covid"),
    ],
)
def test_anything_else_keeps_the_user_on_the_question_with_a_hint(engine: Engine, node: str, typed: str) -> None:
    state = replace(started(engine, "en"), node=node)
    outcome = engine.step(state, Typed(typed))
    hint, screen = outcome.replies
    assert "answer the question" in hint.text
    assert screen.node == node and outcome.state.node == node
    answers = [b.data for b in screen.flat_buttons if (b.data or "").startswith(f"{node}:")]
    assert len(answers) == len(engine.content.nodes[node].buttons)


@pytest.mark.parametrize(
    ("lang", "typed", "found"),
    [
        ("en", "how does a company register on the employer list", "employers.register"),
        ("vi", "gui giay dong y o dau", "consent_form"),
        ("ja", "在留期間の更新はできますか", "extension"),
    ],
)
def test_a_question_about_another_topic_on_a_question_offers_it_and_keeps_the_question(
    engine: Engine, lang: str, typed: str, found: str
) -> None:
    opened = engine.step(started(engine, lang), Press("go:eligibility.start"))
    first = opened.replies[-1].flat_buttons[0].data  # "my job or training ended"
    assert first is not None
    asked = engine.step(opened.state, Press(first))
    question = asked.replies[-1].node
    assert question is not None and question != "eligibility.start"
    outcome = engine.step(asked.state, Typed(typed))
    hint, screen = outcome.replies
    assert screen.node == question and outcome.state.node == question
    offered = [b.data.removeprefix("go:") for b in hint.flat_buttons if b.data]
    assert offered and offered[0].startswith(found)
    assert all(not node.startswith(("eligibility.", "start.")) for node in offered)
    shown = engine.step(outcome.state, Press(f"go:{offered[0]}"))
    assert shown.replies[-1].node == offered[0]
    back = engine.step(shown.state, Press("nav:back"))
    assert back.state.node == question and back.state.answers == asked.state.answers


def test_a_question_about_the_check_itself_on_a_question_only_hints(engine: Engine) -> None:
    state = replace(started(engine, "en"), node="eligibility.status")
    hint, screen = engine.step(state, Typed("am i eligible for this measure")).replies
    assert not hint.flat_buttons and screen.node == "eligibility.status"


@pytest.mark.parametrize(
    ("lang", "typed", "reply"),
    [
        ("en", "ok thank you", "You're welcome! When you are ready"),
        ("vi", "cam on nhieu", "Không có gì! Khi bạn sẵn sàng"),
        ("ja", "ありがとうございます", "どういたしまして。準備ができたら"),
        ("en", "hello", "Hello! When you are ready"),
    ],
)
def test_thanks_or_a_greeting_on_a_question_gets_a_short_reply_and_the_question(
    engine: Engine, lang: str, typed: str, reply: str
) -> None:
    state = replace(started(engine, lang), node="eligibility.status")
    outcome = engine.step(state, Typed(typed))
    note, screen = outcome.replies
    assert note.text.startswith(reply) and not note.flat_buttons
    assert screen.node == "eligibility.status" and outcome.state == state


def test_a_huge_message_is_cut_before_it_is_read(engine: Engine) -> None:
    """Its start and end are kept: a long story asks its question at the end."""
    text = "my company went bankrupt because of covid " * 2500 + "where do I send the consent form"
    assert len(text) > 100_000
    clipped = clip(text, TYPED_LIMIT)
    assert len(clipped) <= TYPED_LIMIT + 3 and clipped.endswith("consent form")
    outcome = engine.step(started(engine, "en"), Typed(text))
    assert outcome.replies and (outcome.unanswered is None or len(outcome.unanswered) <= KEEP)
    assert len(redact("1" * 1_000_000)) == KEEP


def jsonl(lines: list[str]) -> list[dict[str, Any]]:
    result = run_bot("chat", "--jsonl", "--lang", "en", stdin="".join(line + "\n" for line in lines), timeout=120)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_the_jsonl_chat_answers_every_line_with_exactly_one_line() -> None:
    lines = [
        "",
        "   ",
        json.dumps({"text": "hello", "press": "nav:menu"}),
        json.dumps({"text": "x" * 100_000}),
        "not json",
        json.dumps({"text": "consent form"}),
    ]
    answers = jsonl(lines)
    assert len(answers) == len(lines)
    assert [("error" in answer) for answer in answers] == [True, True, True, False, True, False]
    assert "both" in answers[2]["error"] and "empty" in answers[0]["error"]
    assert answers[3]["replies"] and answers[5]["replies"]
