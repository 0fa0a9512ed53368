"""Candidate M: a question the classifier reads as asking for the main menu ("go back to the top",
"show the options again") is answered with it where the matcher only suggests or has nothing; M′:
also where the classifier's veto takes back the matcher's answer in favour of the menu; P: a text of
a word or two ("start", "menu ください") is read for the menu, and for nothing else; M″: from -0.4."""

from __future__ import annotations

import copy
import math
from dataclasses import replace

from retainment_bot.engine.engine import Engine, Start, Typed
from retainment_bot.engine.matcher import Matcher, Phrase, Thresholds
from tests.test_confidence import PHRASES, Opinion

MENU = "start.menu"
UNKNOWN = "which paper do i bring"  # no phrase shares a word with it: the matcher ranks nothing
TIED = "specified skilled worker"  # two screens of two topics list it: the matcher only suggests
ANSWERED = "technical intern training please"  # the matcher alone answers titp.start


def matcher(
    opinion: Opinion,
    menu: float = 0.0,
    alone_off_topic: float = math.inf,
    menu_veto: float = 0.0,
    menu_short: float = 0.0,
) -> Matcher:
    return Matcher.build(
        [*PHRASES, Phrase(MENU, "en", "main menu")],
        thanks=["thanks", "thank you"],
        off_topic=["wife"],
        entries=["consent_form.start", "ssw.start", "titp.start"],
        navigation=[MENU],
        thresholds=Thresholds(
            menu=menu,
            alone=-0.6,
            alone_off_topic=alone_off_topic,
            menu_veto=menu_veto,
            menu_short=menu_short,
            overrule=math.inf,
            out_of_scope_veto=math.inf,
        ),
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


def test_a_word_or_two_is_answered_with_the_menu_it_asks_for() -> None:
    """Candidate P: T never reads a text this short; M does."""
    for text in ("start", "menu please", "paper please"):
        verdict = matcher(menu_reading(0.3)).match(text)
        assert verdict.kind == "answer" and [c.node for c in verdict.candidates] == [MENU], text
        assert matcher(menu_reading(0.3), menu_short=math.inf).match(text).kind == "none", text  # before P


def test_a_word_or_two_is_read_for_the_menu_only() -> None:
    """ "ok" read as a screen (the shipped classifier reads it as the check) is no question to guess
    at; nor a text without a letter, nor one with an off-topic word, nor a menu read below the value."""
    content = Opinion({"titp.start": 2.0, MENU: -1.0, "out_of_scope": -1.0})
    assert matcher(content).match("ok").kind == "none"
    assert matcher(content).match("paper please").kind == "none"
    for text in ("5", "??", "my wife"):
        assert matcher(menu_reading(2.0)).match(text).kind == "none", text
    assert matcher(menu_reading(0.3), menu_short=0.5).match("start").kind == "none"


def test_an_answer_the_classifier_takes_back_for_the_menu_is_the_menu() -> None:
    """Candidate M′: the classifier's veto reads the menu ("options list pls" answered with a
    content screen by a shared word): the menu is answered, the matcher's answer behind it."""
    alone = Matcher.build(PHRASES, entries=["consent_form.start", "ssw.start", "titp.start"]).match(ANSWERED)
    assert alone.kind == "answer" and alone.candidates[0].node == "titp.start"
    vetoing = Opinion({MENU: 0.3, "titp.start": -0.5, "out_of_scope": -0.8})
    verdict = matcher(vetoing).match(ANSWERED)
    assert verdict.kind == "answer" and [c.node for c in verdict.candidates] == [MENU, "titp.start"]


def test_below_the_value_a_veto_for_the_menu_only_suggests_content_as_before() -> None:
    vetoing = Opinion({MENU: -0.1, "titp.start": -0.5, "out_of_scope": -0.8})
    verdict = matcher(vetoing).match(ANSWERED)
    assert verdict.kind == "suggest" and MENU not in [c.node for c in verdict.candidates]
    before = matcher(Opinion({MENU: 0.9, "titp.start": -0.5}), menu_veto=math.inf).match(ANSWERED)
    assert before.kind == "suggest" and [c.node for c in before.candidates] == ["titp.start"]


def test_infinite_is_the_matcher_before_m() -> None:
    assert matcher(menu_reading(2.0), menu=math.inf).match(UNKNOWN).kind == "none"
    assert matcher(menu_reading(2.0), menu=math.inf).match("start").kind == "none"


def test_the_shipped_bot_shows_the_menu_to_a_worker_who_asks_for_it_in_other_words(engine: Engine) -> None:
    """ "back to the beginning please" matches no menu phrase well enough (the matcher alone had
    nothing); the classifier reads it as the menu."""
    assert engine.matcher is not None and engine.matcher.thresholds.menu < math.inf
    state = engine.step(engine.new_state("en"), Start()).state
    outcome = engine.step(state, Typed("back to the beginning please"))
    assert outcome.replies[-1].node == MENU


def test_the_shipped_bot_shows_the_menu_to_a_worker_who_types_start(engine: Engine) -> None:
    """ "start": the matcher alone suggested three screens sharing a word with it."""
    state = engine.step(engine.new_state("en"), Start()).state
    outcome = engine.step(state, Typed("start"))
    assert outcome.replies[-1].node == MENU


def test_the_shipped_bot_answers_a_request_for_the_menu_it_reads_below_zero(engine: Engine) -> None:
    """Candidate M″: "show the top menu again" in Japanese (a tuning question) is read as the menu
    at a value below 0, above M's -0.4; before M″ it was "not understood"."""
    assert engine.matcher is not None
    question = "トップのmenuもう一回出して"
    verdict = engine.matcher.match(question)
    assert verdict.kind == "answer" and verdict.candidates[0].node == MENU
    before = copy.copy(engine.matcher)
    object.__setattr__(before, "thresholds", replace(engine.matcher.thresholds, menu=0.0, menu_veto=0.0))
    assert before.match(question).kind == "none"
