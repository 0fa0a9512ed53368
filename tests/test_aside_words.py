"""Candidate U: the interface's broad off-topic words (``ui.OFF_TOPIC``: family, statuses, tax,
small talk) only add the ``elsewhere`` notice when the bot is unsure; the search files'
``_off_topic`` phrases still keep a question from being answered."""

from __future__ import annotations

import copy
from dataclasses import replace

from retainment_bot.engine.engine import Engine, Typed
from retainment_bot.engine.matcher import Matcher, Thresholds
from tests.test_confidence import PHRASES


def matcher(aside: bool = True) -> Matcher:
    return Matcher.build(
        PHRASES,
        off_topic=["weather"],
        aside=["wife"],
        entries=["consent_form.start", "ssw.start", "titp.start"],
        thresholds=Thresholds(aside=aside),
    )


def test_an_aside_word_only_marks_the_question_a_blocking_word_keeps_it_from_an_answer() -> None:
    shipped = matcher()
    verdict, named = shipped.judge("my wife asks about the intern visa technical intern training")
    assert verdict.kind == "answer" and verdict.candidates[0].node == "titp.start"
    assert named  # unsure of it, the bot would still say whom to ask
    verdict, named = shipped.judge("weather and the intern visa technical intern training")
    assert verdict.kind == "suggest" and named


def test_before_u_an_aside_word_kept_the_question_from_an_answer() -> None:
    verdict, named = matcher(aside=False).judge("my wife asks about the intern visa technical intern training")
    assert verdict.kind == "suggest" and named


def test_a_word_in_both_lists_keeps_blocking() -> None:
    both = Matcher.build(PHRASES, off_topic=["wife"], aside=["wife"], entries=["titp.start"])
    assert both.blocks_answer("my wife asks about the intern visa technical intern training")


def test_the_shipped_bot_answers_a_status_holder_asking_whether_the_measure_covered_them(engine: Engine) -> None:
    """A spouse visa is a status of residence: whether it was covered is the check's question (its
    answer: no), not something the bot cannot talk about."""
    assert engine.matcher is not None
    for lang, text in (
        ("en", "spouse visa, lost job by covid, am i covered?"),
        ("vi", "visa vo chong nguoi nhat bi mat viec do covid co thuoc dien ko"),
        ("ja", "日本人の配偶者等の在留資格です。コロナで解雇されました。この特例は使えますか"),
    ):
        state = replace(engine.new_state(lang), lang_chosen=True)
        assert engine.step(state, Typed(text)).state.node == "eligibility.start", text
    before = copy.copy(engine.matcher)
    object.__setattr__(before, "thresholds", replace(before.thresholds, aside=False))
    assert before.match("spouse visa, lost job by covid, am i covered?").kind == "suggest"


def test_the_shipped_bot_still_tells_an_unsure_aside_question_whom_to_ask(engine: Engine) -> None:
    state = replace(engine.new_state("en"), lang_chosen=True)
    (suggestion,) = engine.step(state, Typed("my wife wants to come to japan, what visa")).replies
    assert suggestion.node is None and "ask a person" in suggestion.text
    assert "go:contact.start" in [b.data for b in suggestion.flat_buttons]
