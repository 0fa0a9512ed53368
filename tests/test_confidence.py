"""Candidate F: the confidence model over the ranking and the classifier's values, its data file,
and when the matcher answers a suggestion with it."""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from pathlib import Path

import pytest

from retainment_bot.engine.classifier import Reading
from retainment_bot.engine.confidence import FEATURES, Confidence, Model, features
from retainment_bot.engine.engine import Engine
from retainment_bot.engine.matcher import Matcher, Phrase, Thresholds
from retainment_bot.project import CONFIDENCE_FILE, Project

PHRASES = [
    Phrase("consent_form.start", "en", "consent form"),
    Phrase("consent_form.ssw", "en", "consent form"),
    Phrase("consent_form.ssw", "en", "specified skilled worker"),
    Phrase("ssw.start", "en", "specified skilled worker"),
    Phrase("titp.start", "en", "technical intern training"),
    Phrase("titp.start", "en", "intern visa"),
]


class Opinion:
    """A second opinion that reads every question the same way: out of scope, weakly."""

    def __init__(self, values: dict[str, float] | None = None) -> None:
        self.values = values or {"out_of_scope": -0.5, "consent_form.start": -0.6, "titp.start": -0.9}
        self.reads = 0

    def read(self, folded: str) -> Reading:
        self.reads += 1
        best = max(self.values, key=self.values.__getitem__)
        return Reading(best, self.values[best], self.values)


def sure(cutoff: float = 0.5) -> Confidence:
    model = Model({}, 30.0, cutoff)
    return Confidence(model, model)


def never() -> Confidence:
    model = Model({}, -30.0, 0.5)
    return Confidence(model, model)


def matcher(confidence: Confidence | None, opinion: Opinion | None = None) -> Matcher:
    return Matcher.build(
        PHRASES,
        off_topic=["weather"],
        entries=["consent_form.start", "ssw.start", "titp.start"],
        # The questions here tie screens of two topics that a weak classifier does not back:
        # candidate K (tests/test_tie_asks.py) would keep them questions.
        thresholds=Thresholds(tie=-math.inf),
        second_opinion=opinion or Opinion(),  # type: ignore[arg-type]
        confidence=confidence,
    )


def found(**changed: float) -> dict[str, float]:
    return dict.fromkeys(FEATURES, 0.0) | changed


def test_the_probability_is_a_logistic_of_the_weights_and_their_products() -> None:
    model = Model({"first": 2.0, "cls_first*first": 4.0}, -1.0)
    assert model.probability(found(first=0.5, cls_first=0.0)) == pytest.approx(0.5)
    assert model.probability(found(first=0.5, cls_first=1.0)) == pytest.approx(1 / (1 + 2.718281828459045**-2))
    assert model.probability(found(first=0.5, cls_first=-1.0)) < 0.5
    # Bounded: no overflow however large the sum.
    assert Model({"first": 1e6}, 0.0).probability(found(first=1.0)) == pytest.approx(1.0)


def test_the_script_chooses_the_model_and_its_cut_off() -> None:
    confidence = Confidence(Model({}, 0.0, 0.4), Model({}, 0.0, 0.6))
    assert confidence.answers(found(), japanese=False)
    assert not confidence.answers(found(), japanese=True)


def test_features_read_the_ranking_and_the_classifier() -> None:
    ranked = [("consent_form.ssw", 70.0), ("consent_form.start", 65.0), ("ssw.start", 50.0)]
    values = {"consent_form.ssw": 0.4, "ssw.start": 0.9, "out_of_scope": -1.0}
    shown = ["consent_form.ssw", "ssw.start"]
    got = features(ranked, shown, {"consent_form.ssw": 0.8}, 0.9, 3.0, (), values, "ssw.start")
    assert got["best"] == got["first"] == 0.7
    assert got["first_gap"] == pytest.approx(0.2) and got["rival_gap"] == pytest.approx(0.2)
    assert got["coverage"] == 0.8 and got["suggested"] == 2.0
    assert got["cls_first"] == 0.4 and got["cls_best"] == 0.9 and got["cls_margin"] == pytest.approx(0.5)
    assert got["cls_agree"] == 0.0 and got["cls_topic"] == 0.0 and got["cls_oos"] == -1.0
    assert set(got) == set(FEATURES)


def test_the_file_round_trips_and_a_bad_one_is_a_clear_error() -> None:
    confidence = Confidence(Model({"first": 1.5, "cls_first*coverage": -2.0}, -1.0, 0.9), Model({}, 0.5, 0.95))
    assert Confidence.from_json(confidence.to_json("note")) == confidence
    model = '{"bias": 0, "cutoff": 0.5, "weights": {"mood": 1}}'
    with pytest.raises(ValueError, match="unknown features"):
        Confidence.from_json(f'{{"format": 1, "latin": {model}, "japanese": {model}}}')
    with pytest.raises(ValueError, match="format"):
        Confidence.from_json('{"format": 99}')
    with pytest.raises(ValueError, match="malformed"):
        Confidence.from_json('{"format": 1, "latin": {"bias": 0}}')
    with pytest.raises(ValueError, match="more than two"):
        Model({"first*best*coverage": 1.0}, 0.0)
    with pytest.raises(ValueError):
        Confidence.from_json("{")


def test_a_likely_right_suggestion_is_answered_and_only_when_switched_on() -> None:
    question = "consent form or intern visa"
    opinion = Opinion()
    assert matcher(None).match(question).kind == "suggest"
    assert matcher(never()).match(question).kind == "suggest"
    verdict = matcher(sure(), opinion).match(question)
    assert verdict.kind == "answer" and verdict.candidates[0].node == "consent_form.start"
    assert [c.node for c in verdict.candidates] == [c.node for c in matcher(None).match(question).candidates]
    assert opinion.reads == 1  # the classifier reads the question once
    switched = copy.copy(matcher(sure()))
    object.__setattr__(switched, "thresholds", replace(switched.thresholds, confidence=False))
    assert switched.match(question).kind == "suggest"


def test_an_off_topic_question_is_never_answered_however_sure_the_model() -> None:
    assert matcher(sure()).match("consent form or intern visa, and the weather").kind != "answer"


def test_the_shipped_matcher_carries_the_model(engine: Engine) -> None:
    assert engine.matcher is not None and engine.matcher.confidence is not None
    assert engine.matcher.thresholds.confidence


def test_a_confidence_file_in_the_content_is_used_and_a_broken_one_reported(scratch: Path) -> None:
    (scratch / CONFIDENCE_FILE).write_text(sure(0.5).to_json("a test"), encoding="utf-8")
    loaded = Project(scratch).load()
    assert loaded.engine.matcher is not None and loaded.engine.matcher.confidence == sure(0.5)
    (scratch / CONFIDENCE_FILE).write_text('{"format": 1}', encoding="utf-8")
    broken = Project(scratch).load()
    assert broken.engine.matcher is not None and broken.engine.matcher.confidence is None
    assert any("confidence.json" in str(problem.where) for problem in broken.problems)
    (scratch / CONFIDENCE_FILE).unlink()
    assert Project(scratch).load().engine.matcher.confidence is None  # type: ignore[union-attr]
