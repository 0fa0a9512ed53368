"""Candidate O: an answer the classifier vetoes or contests is answered with the classifier's
choice from a decision value (``Thresholds.overrule``, ``overrule_japanese``,
``overrule_contested``), the matcher's answer behind it; below, or for a choice that is no
content screen, the answer only becomes a suggestion, as before O."""

from __future__ import annotations

import copy
import math
from dataclasses import replace

from retainment_bot.engine.engine import Engine
from retainment_bot.engine.matcher import Matcher, Phrase, Thresholds
from tests.test_confidence import PHRASES, Opinion

ENTRIES = ["consent_form.start", "ssw.start", "titp.start"]
# "consent form": the matcher answers consent_form.start (its two screens tie: one topic).
ASKED = "consent form"


def latin(opinion: Opinion, overrule: float = 0.35) -> Matcher:
    return Matcher.build(
        PHRASES,
        entries=ENTRIES,
        thresholds=Thresholds(overrule=overrule),
        second_opinion=opinion,  # type: ignore[arg-type]
    )


def vetoing(value: float) -> Opinion:
    """A classifier whose first choice, another topic's screen, beats the answer by the veto."""
    return Opinion({"titp.start": value, "consent_form.start": value - 1.0})


def nodes(verdict: object) -> list[str]:
    return [c.node for c in verdict.candidates]  # type: ignore[attr-defined]


def test_a_vetoed_answer_is_answered_with_the_classifiers_sure_choice() -> None:
    verdict = latin(vetoing(0.5)).match(ASKED)
    assert verdict.kind == "answer"
    assert nodes(verdict) == ["titp.start", "consent_form.start"]


def test_below_the_value_a_vetoed_answer_stays_a_suggestion() -> None:
    verdict = latin(vetoing(0.2)).match(ASKED)
    assert verdict.kind == "suggest"
    assert nodes(verdict) == ["consent_form.start", "titp.start"]


def test_infinity_is_the_matcher_before_o() -> None:
    verdict = latin(vetoing(0.9), overrule=math.inf).match(ASKED)
    assert verdict.kind == "suggest" and nodes(verdict)[0] == "consent_form.start"


def test_out_of_scope_never_overrules() -> None:
    """A veto by "out of scope" makes the answer a suggestion; nothing is answered for it."""
    verdict = latin(Opinion({"out_of_scope": 0.9, "consent_form.start": -0.9})).match(ASKED)
    assert verdict.kind == "suggest" and nodes(verdict) == ["consent_form.start"]


JAPANESE = [Phrase("titp.start", "ja", "在留期間の延長"), Phrase("ssw.start", "ja", "在留期間の延長申請")]
# The matcher answers ssw.start (100) with titp.start at 57: contested from 50 points.
ASKED_JA = "在留期間の延長申請"


def japanese(opinion: Opinion, **limits: float) -> Matcher:
    return Matcher.build(
        JAPANESE,
        entries=["ssw.start", "titp.start"],
        thresholds=Thresholds(contested_japanese=50.0, **limits),  # type: ignore[arg-type]
        second_opinion=opinion,  # type: ignore[arg-type]
    )


def contesting(value: float) -> Opinion:
    """The classifier's first choice is the matcher's runner-up, within the veto of the answer."""
    return Opinion({"titp.start": value, "ssw.start": value - 0.2})


def test_a_contested_japanese_answer_is_answered_with_the_classifiers_choice() -> None:
    verdict = japanese(contesting(-0.3), overrule_contested=-0.5).match(ASKED_JA)
    assert verdict.kind == "answer"
    assert nodes(verdict) == ["titp.start", "ssw.start"]


def test_a_contested_answer_below_the_value_is_suggested_the_matchers_first() -> None:
    verdict = japanese(contesting(-0.6), overrule_contested=-0.5).match(ASKED_JA)
    assert verdict.kind == "suggest" and nodes(verdict) == ["ssw.start", "titp.start"]


def test_a_vetoed_japanese_answer_reads_its_own_value() -> None:
    opinion = Opinion({"titp.start": 0.3, "ssw.start": -0.5})  # a veto: 0.8 ahead
    assert japanese(opinion, overrule_japanese=0.2, overrule=math.inf).match(ASKED_JA).kind == "answer"
    assert japanese(opinion, overrule_japanese=0.4, overrule=0.0).match(ASKED_JA).kind == "suggest"


def test_the_shipped_bot_answers_the_screen_the_classifier_contests_with(engine: Engine) -> None:
    """ "WAASAとCINGAの関係は": the matcher ranks about.waasa first (it names WAASA), the classifier
    reads what WAASA does with CINGA (about.activity), a screen the matcher ranks close: answered."""
    assert engine.matcher is not None
    verdict = engine.matcher.match("WAASAとCINGAの関係は")
    assert verdict.kind == "answer" and nodes(verdict) == ["about.activity", "about.waasa"]
    before = copy.copy(engine.matcher)
    object.__setattr__(before, "thresholds", replace(engine.matcher.thresholds, overrule_contested=math.inf))
    assert nodes(before.match("WAASAとCINGAの関係は")) == ["about.waasa", "about.activity"]
