"""Candidate G: the re-ranking of the suggestions before F decides, its data file and its switch."""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from pathlib import Path

import pytest

from retainment_bot.engine.confidence import Confidence, Model
from retainment_bot.engine.engine import Engine
from retainment_bot.engine.matcher import Matcher, Thresholds
from retainment_bot.engine.rerank import FEATURES, Rerank, candidates, features
from retainment_bot.project import RERANK_FILE, Project
from tests.matcher_eval import load_cases
from tests.test_confidence import PHRASES, Opinion, never, sure

QUESTION = "consent form or intern visa"  # suggests consent_form.start, then titp.start
# The classifier prefers titp.start, weakly (its first choice stays out of scope).
VALUES = {"out_of_scope": -0.2, "titp.start": -0.3, "consent_form.start": -0.6}


def by_classifier(margin: float = 0.5, confidence: Confidence | None = None) -> Rerank:
    """A model that puts first the candidate with the classifier's highest value."""
    weights = tuple(10.0 if name == "cls" else 0.0 for name in FEATURES)
    return Rerank(weights, 0.0, margin, 5, confidence)


def matcher(rerank: Rerank | None, confidence: Confidence | None = None, opinion: Opinion | None = None) -> Matcher:
    return Matcher.build(
        PHRASES,
        off_topic=["weather"],
        entries=["consent_form.start", "ssw.start", "titp.start"],
        # A weak classifier's ties: candidate K aside (test_tie_asks); S and V too (test_unsure_buttons).
        thresholds=Thresholds(tie=-math.inf, unsure_buttons=False, out_of_scope_veto=math.inf),
        second_opinion=opinion or Opinion(VALUES),  # type: ignore[arg-type]
        confidence=confidence,
        rerank=rerank,
    )


def nodes(m: Matcher, question: str = QUESTION) -> list[str]:
    return [c.node for c in m.match(question).candidates]


def test_candidates_are_the_suggestions_then_the_ranking_then_the_classifiers_choice() -> None:
    ranked = [("a.start", 50.0), ("menu.start", 49.0), ("b.x", 48.0), ("c.y", 40.0), ("d.z", 30.0)]
    got = candidates(ranked, ["b.x", "a.start"], "e.start", {"menu.start", "out_of_scope"}, 2)
    assert got == ["b.x", "a.start", "e.start"]  # k = 2 screens of the ranking, the menu skipped
    assert candidates(ranked, ["a.start"], "out_of_scope", {"menu.start", "out_of_scope"}, 3) == [
        "a.start",
        "b.x",
        "c.y",
    ]


def test_features_of_each_candidate() -> None:
    ranked = [("a.start", 50.0), ("b.x", 40.0)]
    rows = features(
        ranked, ["b.x", "a.start", "c.y"], {"b.x"}, {"a.start": 0.5}, {"a.start": 1.0}, "a.start", {"a.start"}, True
    )
    named = [dict(zip(FEATURES, row, strict=True)) for row in rows]
    assert named[0]["is_first"] == 1.0 and named[1]["is_first"] == 0.0
    assert named[0]["gap"] == pytest.approx(0.1) and named[1]["gap"] == 0.0
    assert named[1]["below_first"] == pytest.approx(-0.1)
    assert named[1]["cls_choice"] == 1.0 and named[1]["entry"] == 1.0 and named[1]["coverage"] == 0.5
    assert named[0]["cls"] == -2.0 and named[0]["cls_gap"] == 3.0  # no value: the lowest
    assert named[2]["rank"] == 4.0 and named[2]["score"] == 0.0  # not ranked: the deepest
    assert named[1]["cls_rank"] == 0.0 and all(row["japanese"] == 1.0 for row in named)


def test_choose_needs_the_margin() -> None:
    model = Rerank(tuple(1.0 if name == "cls" else 0.0 for name in FEATURES), 0.0, 0.5, 5)
    row = [0.0] * len(FEATURES)
    cls = FEATURES.index("cls")
    higher = [*row[:cls], 0.4, *row[cls + 1 :]]
    assert model.choose([row, higher]) == 0  # 0.4 < 0.5
    much = [*row[:cls], 0.6, *row[cls + 1 :]]
    assert model.choose([row, higher, much]) == 2
    assert model.choose([row]) == 0


def test_the_file_round_trip_and_clear_errors() -> None:
    f = Confidence(Model({"first": 1.0}, -0.5, 0.9), Model({"first": 1.0}, -0.5, 0.95))
    model = by_classifier(0.25, f)
    assert Rerank.from_json(model.to_json("a test")) == model
    assert Rerank.from_json(by_classifier().to_json()).confidence is None
    with pytest.raises(ValueError, match="format"):
        Rerank.from_json('{"format": 99}')
    with pytest.raises(ValueError, match="malformed"):
        Rerank.from_json(
            '{"format": 1, "weights": {}}'.replace("{}", str(dict.fromkeys(FEATURES, 0)).replace("'", '"'))
        )
    with pytest.raises(ValueError, match="features"):
        Rerank.from_json('{"format": 1, "weights": {"cls": 1}, "bias": 0, "margin": 0, "k": 3}')
    with pytest.raises(ValueError, match="weights for"):
        Rerank((1.0,), 0.0, 0.0, 3)
    with pytest.raises(ValueError):
        Rerank.from_json("{")


def test_the_classifiers_candidate_is_put_first_only_when_switched_on() -> None:
    assert nodes(matcher(None)) == ["consent_form.start", "titp.start"]
    assert nodes(matcher(by_classifier())) == ["titp.start", "consent_form.start"]
    assert matcher(by_classifier()).match(QUESTION).kind == "suggest"
    assert nodes(matcher(by_classifier(margin=100.0))) == ["consent_form.start", "titp.start"]
    switched = copy.copy(matcher(by_classifier()))
    object.__setattr__(switched, "thresholds", replace(switched.thresholds, rerank=False))
    assert nodes(switched) == ["consent_form.start", "titp.start"]


def test_f_decides_first_and_gs_check_answers_what_it_leaves() -> None:
    # F (search/confidence.json) answers on the matcher's order: G never touches its answer.
    verdict = matcher(by_classifier(confidence=sure()), confidence=sure()).match(QUESTION)
    assert verdict.kind == "answer" and verdict.candidates[0].node == "consent_form.start"
    # What F leaves is re-ordered, and G's own check may answer the new first suggestion.
    verdict = matcher(by_classifier(confidence=sure()), confidence=never()).match(QUESTION)
    assert verdict.kind == "answer" and verdict.candidates[0].node == "titp.start"
    verdict = matcher(by_classifier(confidence=never()), confidence=never()).match(QUESTION)
    assert verdict.kind == "suggest" and verdict.candidates[0].node == "titp.start"
    # Thresholds.confidence = False: G only re-orders.
    off = copy.copy(matcher(by_classifier(confidence=sure()), confidence=sure()))
    object.__setattr__(off, "thresholds", replace(off.thresholds, confidence=False))
    verdict = off.match(QUESTION)
    assert verdict.kind == "suggest" and verdict.candidates[0].node == "titp.start"
    # Thresholds.rerank_check = False: G re-orders, F still answers what it answers.
    only = copy.copy(matcher(by_classifier(confidence=sure()), confidence=never()))
    object.__setattr__(only, "thresholds", replace(only.thresholds, rerank_check=False))
    verdict = only.match(QUESTION)
    assert verdict.kind == "suggest" and verdict.candidates[0].node == "titp.start"
    # Without F's file, G still acts.
    assert matcher(by_classifier(confidence=sure())).match(QUESTION).kind == "answer"


def test_an_off_topic_question_and_the_main_menu_are_left_alone() -> None:
    assert nodes(matcher(by_classifier()), QUESTION + " and the weather")[0] == "consent_form.start"
    menu = Opinion({"out_of_scope": -0.2, "menu.start": 5.0, "consent_form.start": -0.6})
    # Candidate M would answer the menu the classifier is this sure of: off, to see what G does.
    built = Matcher.build(
        PHRASES,
        second_opinion=menu,  # type: ignore[arg-type]
        rerank=by_classifier(),
        navigation=["menu.start"],
        thresholds=Thresholds(menu=math.inf),
    )
    assert "menu.start" not in nodes(built)


def test_the_shipped_matcher_carries_g(engine: Engine) -> None:
    assert engine.matcher is not None and engine.matcher.rerank is not None
    assert engine.matcher.rerank.confidence is not None and engine.matcher.thresholds.rerank


def test_a_rerank_file_in_the_content_is_used_and_a_broken_one_reported(scratch: Path) -> None:
    (scratch / RERANK_FILE).write_text(by_classifier().to_json("a test"), encoding="utf-8")
    loaded = Project(scratch).load()
    assert loaded.engine.matcher is not None and loaded.engine.matcher.rerank == by_classifier()
    (scratch / RERANK_FILE).write_text('{"format": 1}', encoding="utf-8")
    broken = Project(scratch).load()
    assert broken.engine.matcher is not None and broken.engine.matcher.rerank is None
    assert any("rerank.json" in str(problem.where) for problem in broken.problems)
    (scratch / RERANK_FILE).unlink()
    assert Project(scratch).load().engine.matcher.rerank is None  # type: ignore[union-attr]


def test_on_the_tuning_part_g_only_reorders_suggestions_and_answers_their_new_first(engine: Engine) -> None:
    """Every verdict G changes was a suggestion: now the same screens' topics re-ordered (a new
    first, the rest kept in order, those of its topic dropped) or its new first answered."""
    shipped = engine.matcher
    assert shipped is not None and shipped.rerank is not None
    # S's buttons aside (tests/test_unsure_buttons.py): they come after G's order.
    shipped = copy.copy(shipped)
    object.__setattr__(shipped, "thresholds", replace(shipped.thresholds, unsure_buttons=False))
    without = copy.copy(shipped)
    object.__setattr__(without, "thresholds", replace(shipped.thresholds, rerank=False))
    changed = answered = 0
    for case in load_cases("tune"):
        before, after = without.match(case.question), shipped.match(case.question)
        if before == after:
            continue
        changed += 1
        assert before.kind == "suggest" and after.kind in ("suggest", "answer")
        answered += after.kind == "answer"
        first = after.candidates[0].node
        assert first not in shipped.navigation and first != "out_of_scope"
        topic = first.split(".")[0]
        rest = [c.node for c in before.candidates if c.node.split(".")[0] != topic]
        assert [c.node for c in after.candidates[1:]] == rest[: shipped.thresholds.suggestions - 1]
    assert changed > 50 and answered > 0, (changed, answered)
