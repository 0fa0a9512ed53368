"""Candidate M: a question the classifier reads as asking for the main menu ("go back to the top",
"show the options again") is answered with it where the matcher only suggests or has nothing."""

from __future__ import annotations

import math

from retainment_bot.engine.engine import Engine, Start, Typed
from retainment_bot.engine.matcher import Matcher, Phrase, Thresholds
from tests.test_confidence import PHRASES, Opinion

MENU = "start.menu"
UNKNOWN = "which paper do i bring"  # no phrase shares a word with it: the matcher ranks nothing
TIED = "specified skilled worker"  # two screens of two topics list it: the matcher only suggests


def matcher(opinion: Opinion, menu: float = 0.0, alone_off_topic: float = math.inf) -> Matcher:
    return Matcher.build(
        [*PHRASES, Phrase(MENU, "en", "main menu")],
        thanks=["thanks", "thank you"],
        off_topic=["wife"],
        entries=["consent_form.start", "ssw.start", "titp.start"],
        navigation=[MENU],
        thresholds=Thresholds(menu=menu, alone=-0.6, alone_off_topic=alone_off_topic),
        second_opinion=opinion,  # type: ignore[arg-type]
    )


def menu_reading(value: float) -> Opinion:
    return Opinion({MENU: value, "titp.start": value - 0.5, "out_of_scope": -0.8})


def test_the_menu_is_answered_where_the_matcher_has_nothing() -> None:
    verdict = matcher(menu_reading(0.3)).match(UNKNOWN)
    assert verdict.kind == "answer"
    assert [c.node for c in verdict.candidates] == [MENU]


def test_the_menu_is_answered_where_the_matcher_only_suggests() -> None:
    before = matcher(menu_reading(0.3), menu=math.inf).match(TIED)
    assert before.kind == "suggest" and MENU not in [c.node for c in before.candidates]
    verdict = matcher(menu_reading(0.3)).match(TIED)
    assert verdict.kind == "answer" and verdict.candidates[0].node == MENU


def test_below_the_cut_off_nothing_changes_and_the_menu_is_never_a_suggestion() -> None:
    verdict = matcher(menu_reading(-0.1)).match(UNKNOWN)
    assert verdict.kind == "none"  # T offers content screens only
    suggested = matcher(menu_reading(-0.1)).match(TIED)
    assert suggested.kind == "suggest" and MENU not in [c.node for c in suggested.candidates]


def test_never_with_an_off_topic_word() -> None:
    assert matcher(menu_reading(2.0)).match("my wife came too, which paper").kind == "none"
    verdict = matcher(menu_reading(2.0)).match("my wife is a specified skilled worker")
    assert verdict.kind == "suggest" and MENU not in [c.node for c in verdict.candidates]
    # Even where T may offer a button to a question with an off-topic word, M does not answer it.
    opened = matcher(menu_reading(2.0), alone_off_topic=-1.0).match("my wife came too, which paper")
    assert opened.kind != "answer"


def test_a_word_or_two_is_still_no_question_to_guess_at() -> None:
    for text in ("ok", "5", "paper please"):
        assert matcher(menu_reading(2.0)).match(text).kind == "none", text


def test_infinite_is_the_matcher_before_m() -> None:
    assert matcher(menu_reading(2.0), menu=math.inf).match(UNKNOWN).kind == "none"


def test_the_shipped_bot_shows_the_menu_to_a_worker_who_asks_for_it_in_other_words(engine: Engine) -> None:
    """ "back to the beginning please" matches no menu phrase well enough (the matcher alone had
    nothing); the classifier reads it as the menu."""
    assert engine.matcher is not None and engine.matcher.thresholds.menu < math.inf
    state = engine.step(engine.new_state("en"), Start()).state
    outcome = engine.step(state, Typed("back to the beginning please"))
    assert outcome.replies[-1].node == MENU
