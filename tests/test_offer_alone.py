"""Candidate T: where the matcher has nothing to suggest, the classifier's first choice is offered
alone as a button (never answered), from its decision value."""

from __future__ import annotations

import math

from retainment_bot.engine.engine import Engine, Start, Typed
from retainment_bot.engine.matcher import Matcher, Thresholds
from tests.test_confidence import PHRASES, Opinion

UNKNOWN = "which paper do i bring"  # no phrase shares a word with it: the matcher ranks nothing
KNOWN = "consent form"


def matcher(opinion: Opinion, alone: float, alone_off_topic: float | None = None) -> Matcher:
    return Matcher.build(
        PHRASES,
        thanks=["thanks", "thank you"],
        off_topic=["wife"],
        entries=["consent_form.start", "ssw.start", "titp.start"],
        thresholds=Thresholds(alone=alone, alone_off_topic=alone if alone_off_topic is None else alone_off_topic),
        second_opinion=opinion,  # type: ignore[arg-type]
    )


def test_the_classifiers_content_choice_is_offered_alone_where_the_matcher_has_nothing() -> None:
    opinion = Opinion({"titp.start": 0.1, "out_of_scope": -0.4})
    verdict = matcher(opinion, alone=0.0).match(UNKNOWN)
    assert verdict.kind == "suggest"
    assert [c.node for c in verdict.candidates] == ["titp.start"]


def test_nothing_is_offered_below_the_cut_off_or_when_the_classifier_says_out_of_scope() -> None:
    assert matcher(Opinion({"titp.start": -0.3, "out_of_scope": -0.4}), alone=0.0).match(UNKNOWN).kind == "none"
    assert matcher(Opinion({"out_of_scope": 0.5, "titp.start": -0.4}), alone=-1.0).match(UNKNOWN).kind == "none"


def test_before_t_the_classifier_is_not_read_where_the_matcher_has_nothing() -> None:
    opinion = Opinion({"titp.start": 2.0, "out_of_scope": -0.4})
    assert matcher(opinion, alone=float("inf")).match(UNKNOWN).kind == "none"
    assert opinion.reads == 0


def test_a_question_with_an_off_topic_word_has_its_own_cut_off() -> None:
    opinion = Opinion({"titp.start": 0.1, "out_of_scope": -0.4})
    assert matcher(opinion, alone=0.0, alone_off_topic=0.5).match("my wife came too").kind == "none"
    assert matcher(opinion, alone=0.0, alone_off_topic=0.0).match("my wife came too").kind == "suggest"


def test_t_leaves_what_the_matcher_suggests_or_answers_alone() -> None:
    opinion = Opinion({"titp.start": 3.0, "out_of_scope": -0.4})
    verdict = matcher(opinion, alone=-1.0).match(KNOWN)
    assert verdict.kind in ("answer", "suggest") and verdict.candidates[0].node.startswith("consent_form.")


def test_small_talk_inside_a_message_still_wins() -> None:
    opinion = Opinion({"titp.start": 3.0, "out_of_scope": -0.4})
    assert matcher(opinion, alone=-1.0).match("ok thanks, very helpful").kind == "thanks"


def test_the_shipped_bot_offers_a_button_where_it_would_have_said_not_understood(engine: Engine) -> None:
    """ "bạn là ai" (who are you) shares no word with any phrase; the classifier reads it as the
    screen about the bot: a button for it and the menu, not "I did not understand"."""
    assert engine.matcher is not None and engine.matcher.thresholds.alone < math.inf
    assert not engine.matcher.rank("bạn là ai")
    state = engine.step(engine.new_state("vi"), Start()).state
    outcome = engine.step(state, Typed("bạn là ai"))
    last = outcome.replies[-1]
    assert last.node is None
    assert next(b.data for b in last.flat_buttons) == "go:about.start"
    assert outcome.unanswered  # still kept (redacted) for the team: the bot only guessed


def test_the_shipped_bot_still_says_not_understood_to_gibberish(engine: Engine) -> None:
    state = engine.step(engine.new_state("en"), Start()).state
    outcome = engine.step(state, Typed("asdfghjkl"))
    assert not any((b.data or "").startswith("go:") for r in outcome.replies for b in r.flat_buttons)


def test_a_word_or_two_is_no_question_to_guess_at() -> None:
    opinion = Opinion({"titp.start": 3.0, "out_of_scope": -0.4})
    for text in ("ok", "5", "x" * 5000, "paper please", "書類は"):
        assert matcher(opinion, alone=-1.0).match(text).kind == "none", text
    assert matcher(opinion, alone=-1.0).match("書類はどれ？").kind == "suggest"
