"""Candidate H2: the demotion model over an answer's features, its data file, and when the matcher
only suggests an answer with it."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import pytest

from retainment_bot.engine.confidence import FEATURES as CONFIDENCE_FEATURES
from retainment_bot.engine.demote import FEATURES, PATHS, Answered, Demote, answered
from retainment_bot.engine.engine import Engine
from retainment_bot.engine.matcher import Matcher, Phrase
from retainment_bot.project import DEMOTE_FILE, Project
from tests.matcher_eval import load_cases
from tests.test_confidence import PHRASES as CONFIDENCE_PHRASES
from tests.test_confidence import Opinion

PHRASES = [*CONFIDENCE_PHRASES, Phrase("start.menu", "en", "main menu")]
# The classifier reads every question as titp.start, surely.
SURE = {"out_of_scope": -0.5, "titp.start": 0.9, "consent_form.start": -0.6}


def model(bias: float, latin: float = 0.5, japanese: float = 0.5) -> Demote:
    return Demote((0.0,) * len(FEATURES), bias, latin, japanese)


def matcher(demote: Demote | None, opinion: Opinion | None = None) -> Matcher:
    return Matcher.build(
        PHRASES,
        entries=["consent_form.start", "ssw.start", "titp.start"],
        navigation=["start.menu"],
        second_opinion=opinion or Opinion(SURE),  # type: ignore[arg-type]
        demote=demote,
    )


def switched_off(shipped: Matcher) -> Matcher:
    changed = copy.copy(shipped)
    object.__setattr__(changed, "thresholds", replace(shipped.thresholds, demote=False))
    return changed


def test_the_features_are_f_s_then_who_answered_then_the_script() -> None:
    found = {name: float(index) for index, name in enumerate(CONFIDENCE_FEATURES)}
    got = answered(found, "confidence", japanese=True)
    assert len(got.row) == len(FEATURES)
    assert got.row[: len(CONFIDENCE_FEATURES)] == tuple(found.values())
    paths = got.row[len(CONFIDENCE_FEATURES) : -1]
    assert paths == tuple(float(path == "confidence") for path in PATHS)
    assert got.row[-1] == 1.0 and got.japanese


def test_the_script_chooses_the_cut_off_and_below_it_the_answer_is_demoted() -> None:
    demote = model(0.0, latin=0.4, japanese=0.6)  # probability 0.5 everywhere
    row = (0.0,) * len(FEATURES)
    assert demote.probability(row) == pytest.approx(0.5)
    assert not demote.demotes(Answered(row, japanese=False))
    assert demote.demotes(Answered(row, japanese=True))
    # Bounded: no overflow however large the sum.
    assert Demote((1e6, *(0.0,) * (len(FEATURES) - 1)), 0.0).probability((1.0, *row[1:])) == pytest.approx(1.0)


def test_the_file_round_trips_and_a_bad_one_is_a_clear_error() -> None:
    demote = Demote(tuple(0.25 * i for i in range(len(FEATURES))), -1.5, 0.69, 0.83)
    assert Demote.from_json(demote.to_json("note")) == demote
    data = json.loads(demote.to_json())
    with pytest.raises(ValueError, match="format"):
        Demote.from_json(json.dumps(data | {"format": 99}))
    with pytest.raises(ValueError, match="features"):
        Demote.from_json(json.dumps(data | {"weights": {"mood": 1.0}}))
    with pytest.raises(ValueError, match="malformed"):
        Demote.from_json(json.dumps({k: v for k, v in data.items() if k != "cutoff"}))
    with pytest.raises(ValueError, match="weights for"):
        Demote((1.0,), 0.0)
    with pytest.raises(ValueError):
        Demote.from_json("{")


def test_a_demoted_answer_is_a_suggestion_with_the_same_first_screen() -> None:
    question = "intern visa"
    before = matcher(None).match(question)
    assert before.kind == "answer" and before.candidates[0].node == "titp.start"
    opinion = Opinion(SURE)
    after = matcher(model(-30.0), opinion).match(question)
    # The same candidates first (candidate S may add the classifier's next screens after them).
    assert after.kind == "suggest" and after.candidates[: len(before.candidates)] == before.candidates
    assert opinion.reads == 1  # the classifier reads the question once, as before H2
    assert matcher(model(30.0)).match(question) == before  # likely right: still answered
    assert switched_off(matcher(model(-30.0))).match(question) == before


def test_h2_never_acts_on_the_main_menu_or_a_suggestion() -> None:
    sure_wrong = model(-30.0)
    assert matcher(sure_wrong).match("main menu") == matcher(None).match("main menu")
    assert matcher(sure_wrong).match("main menu").kind == "answer"
    unsure = Opinion({"out_of_scope": -0.5, "consent_form.start": -0.6, "titp.start": -0.9})
    verdict, nothing = matcher(sure_wrong, unsure).verdict("consent form or intern visa", True)
    assert verdict.kind == "suggest" and nothing is None
    # Without the switch the features are never computed.
    assert matcher(sure_wrong).verdict("intern visa")[1] is None


def test_the_shipped_matcher_carries_the_model(engine: Engine) -> None:
    assert engine.matcher is not None and engine.matcher.demote is not None
    assert engine.matcher.thresholds.demote


def test_switched_off_the_verdicts_are_those_before_h2_on_the_tuning_part(engine: Engine) -> None:
    """``Thresholds.demote = False`` gives exactly the decision before H2 (``Matcher.verdict``) on
    every tuning question (tests/test_matcher_reference.py holds that decision to its record)."""
    assert engine.matcher is not None
    off = switched_off(engine.matcher)
    for case in load_cases("tune"):
        assert off.match(case.question) == engine.matcher.verdict(case.question)[0], case.question


def test_on_the_tuning_part_h2_only_makes_answers_suggestions_of_the_same_screens(engine: Engine) -> None:
    assert engine.matcher is not None
    off = switched_off(engine.matcher)
    changed = 0
    for case in load_cases("tune"):
        before, after = off.match(case.question), engine.matcher.match(case.question)
        if before != after:
            changed += 1
            # The same first screen (S may change the buttons after it).
            assert before.kind == "answer" and after.kind == "suggest", case.question
            assert after.candidates[0] == before.candidates[0], case.question
    assert changed > 0


def test_a_demote_file_in_the_content_is_used_and_a_broken_one_reported(scratch: Path) -> None:
    (scratch / DEMOTE_FILE).write_text(model(-30.0).to_json("a test"), encoding="utf-8")
    loaded = Project(scratch).load()
    assert loaded.engine.matcher is not None and loaded.engine.matcher.demote == model(-30.0)
    (scratch / DEMOTE_FILE).write_text('{"format": 1}', encoding="utf-8")
    broken = Project(scratch).load()
    assert broken.engine.matcher is not None and broken.engine.matcher.demote is None
    assert any("demote.json" in str(problem.where) for problem in broken.problems)
    (scratch / DEMOTE_FILE).unlink()
    assert Project(scratch).load().engine.matcher.demote is None  # type: ignore[union-attr]
