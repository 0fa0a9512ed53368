"""Candidate K: a first suggestion tied at the matcher's top score with a screen of another topic
(one phrase both list) is not answered by F or G's check unless the classifier's value for it
reaches ``Thresholds.tie``: the bot asks which."""

from __future__ import annotations

import math

from retainment_bot.engine.matcher import Matcher, Thresholds
from tests.test_confidence import PHRASES, Opinion, sure

TIED = "specified skilled worker"  # consent_form.ssw and ssw.start list it: both score 100


def matcher(opinion: Opinion, tie: float = 0.0) -> Matcher:
    return Matcher.build(
        PHRASES,
        entries=["consent_form.start", "ssw.start", "titp.start"],
        thresholds=Thresholds(tie=tie, unsure_buttons=False, out_of_scope_veto=math.inf),  # S and V aside
        second_opinion=opinion,  # type: ignore[arg-type]
        confidence=sure(),  # F would answer any first suggestion
    )


def unsure(value: float) -> Opinion:
    """A classifier whose first choice is out of scope, with ``value`` for both tied screens."""
    return Opinion({"out_of_scope": 0.9, "consent_form.ssw": value, "ssw.start": value})


def test_a_tie_the_classifier_does_not_break_stays_a_question() -> None:
    verdict = matcher(unsure(-0.2)).match(TIED)
    assert verdict.kind == "suggest"
    assert {c.node for c in verdict.candidates} == {"consent_form.ssw", "ssw.start"}


def test_a_tie_is_answered_when_the_classifier_backs_the_first_suggestion() -> None:
    assert matcher(unsure(0.1)).match(TIED).kind == "answer"


def test_minus_infinity_is_f_before_k() -> None:
    assert matcher(unsure(-0.2), tie=-math.inf).match(TIED).kind == "answer"


def test_a_tie_inside_one_topic_is_no_question() -> None:
    """ "consent form please": two consent-form screens tie; that topic is the answer either way."""
    opinion = Opinion({"consent_form.start": -0.3, "out_of_scope": -0.5})
    verdict = matcher(opinion).match("consent form please")
    assert verdict.kind == "answer" and verdict == matcher(opinion, tie=-math.inf).match("consent form please")
