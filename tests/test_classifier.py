"""The matcher's second opinion: the classifier's file, its numpy reader against the scores
scikit-learn gave when it was fitted, and when its agreement turns a suggestion into an answer."""

from __future__ import annotations

import copy
import io
import math
import os
import pickle
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from retainment_bot.cache import CACHE_ENV
from retainment_bot.engine.classifier import FORMAT, SecondOpinion, char_ngrams, load, prepare, probes
from retainment_bot.engine.engine import Engine
from retainment_bot.engine.matcher import Matcher, Thresholds
from retainment_bot.engine.normalize import fold
from retainment_bot.project import CLASSIFIER_FILE, Project
from tests.conftest import ROOT
from tests.matcher_eval import load_cases
from tests.test_calibration import PHRASES  # the same small index: three topics, two sharing a phrase

# The matcher alone only suggests here (two topics match, the best scores about 51).
BOTH = "intern visa or specified skilled worker"
# The matcher alone answers titp.start here (about 67).
INTERN = "my intern visa and my friend"


def model_file(
    prefers: str, classes: tuple[str, ...] = ("titp.start", "ssw.start", "out_of_scope"), lead: float = 0.5
) -> bytes:
    """A classifier file in the shipped format whose only words are "intern" and "skilled", each
    voting for its programme, with a head start of ``lead`` for ``prefers``."""

    def lines(strings: list[str]) -> np.ndarray:
        return np.frombuffer("\n".join(strings).encode("utf-8"), dtype=np.uint8)

    coef = np.array([[1.0, -1.0, -1.0], [-1.0, 1.0, -1.0]], dtype=np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        format=np.array(FORMAT),
        classes=lines(list(classes)),
        chars=lines([]),
        words=lines(["intern", "skilled"]),
        char_idf=np.zeros(0, dtype=np.float32),
        word_idf=np.ones(2, dtype=np.float32),
        coef=coef,
        intercept=np.array([lead if c == prefers else 0.0 for c in classes], dtype=np.float32),
        probes=lines([]),
        probe_scores=np.zeros((0, len(classes)), dtype=np.float32),
    )
    return buffer.getvalue()


def matcher(opinion: SecondOpinion | None, preferred: float = Thresholds.preferred) -> Matcher:
    return Matcher.build(
        PHRASES,
        off_topic=["weather"],
        entries=["consent_form.start", "ssw.start", "titp.start"],
        # Candidate O (a vetoed answer answered with the classifier's sure choice) has its own
        # tests (tests/test_overrule.py): here a veto only suggests.
        thresholds=Thresholds(preferred=preferred, overrule=math.inf, unsure_buttons=False, out_of_scope_veto=math.inf),
        second_opinion=opinion,
    )


def test_alone_the_matcher_only_suggests_the_example() -> None:
    verdict = matcher(None).match(BOTH)
    assert verdict.kind == "suggest" and verdict.candidates[0].node == "titp.start"
    assert verdict.candidates[0].score >= matcher(None).thresholds.agreed


def test_a_suggestion_the_classifier_agrees_with_is_answered() -> None:
    verdict = matcher(SecondOpinion(model_file("titp.start"))).match(BOTH)
    assert verdict.kind == "answer"
    assert verdict.candidates[0].node == "titp.start"
    assert "ssw.start" in [c.node for c in verdict.candidates], "the other topic stays a suggestion"


def test_a_classifier_that_prefers_another_screen_has_it_answered_only_when_sure() -> None:
    alone = matcher(None).match(BOTH)
    # "intern" and "skilled" cancel out: ssw.start's decision value is its head start.
    below = Thresholds().preferred / 2  # a head start short of ``preferred``
    assert matcher(SecondOpinion(model_file("ssw.start", lead=below))).match(BOTH) == alone, "below ``preferred``"
    preferred = matcher(SecondOpinion(model_file("ssw.start", lead=Thresholds().preferred + 0.2))).match(BOTH)
    assert preferred.kind == "answer" and preferred.candidates[0].node == "ssw.start"
    assert "titp.start" in [c.node for c in preferred.candidates[1:]], "the other topics stay suggestions"
    # Out of scope is no screen to answer.
    assert matcher(SecondOpinion(model_file("out_of_scope", lead=3.0))).match(BOTH) == alone


def test_the_classifier_must_be_sure_enough_to_count_as_agreeing() -> None:
    # No head start: "intern" and "skilled" cancel out at 0, below ``Thresholds.agreement``.
    assert matcher(SecondOpinion(model_file(""))).match(BOTH).kind == "suggest"


def test_agreement_needs_a_strong_enough_match_and_never_answers_an_off_topic_word_by_default() -> None:
    agrees = matcher(SecondOpinion(model_file("titp.start")))
    weak = "technical intern my cousin brother"  # the matcher's best scores 38.5, below ``agreed``
    assert agrees.match(weak).kind == "suggest"
    # "weather" is off topic: the matcher alone only suggests, and by default so does the
    # classifier however sure it is (``agreement_off_topic`` is infinite). Both words cancel
    # out, so titp.start's decision value is its head start.
    both = "intern visa or skilled worker weather"
    assert matcher(None).match(both).kind == "suggest"
    assert agrees.match(both).kind == "suggest"
    very_sure = SecondOpinion(model_file("titp.start", lead=5.0))
    assert matcher(very_sure).match(both).kind == "suggest"
    # With a finite ``agreement_off_topic`` (session 7's round 3, switched off), a sure enough
    # classifier answers.
    opened = Matcher.build(
        PHRASES,
        off_topic=["weather"],
        entries=["consent_form.start", "ssw.start", "titp.start"],
        thresholds=Thresholds(agreement_off_topic=0.8),
        second_opinion=very_sure,
    ).match(both)
    assert opened.kind == "answer" and opened.candidates[0].node == "titp.start"


def test_char_ngrams_are_scikit_learns_char_wb_one_to_four() -> None:
    # sklearn's _char_wb_ngrams: each word padded with spaces; a word shorter than n counts once.
    assert char_ngrams("ab  c") == [
        *[" ", "a", "b", " ", " a", "ab", "b ", " ab", "ab ", " ab "],
        *[" ", "c", " ", " c", "c ", " c "],
    ]


def test_char_ngrams_are_those_of_scikit_learns_loop_for_words_of_any_length() -> None:
    def reference(text: str) -> list[str]:  # sklearn's _char_wb_ngrams, written plainly
        found = []
        for word in text.split():
            padded = f" {word} "
            for n in range(1, 5):
                found += [padded[start : start + n] for start in range(max(1, len(padded) - n + 1))]
                if len(padded) <= n:
                    break
        return found

    for length in range(1, 10):
        for letters in ("abcdefghij", "会社が倒産しました", "công ty phá"):
            word = letters[:length].replace(" ", "x")
            assert char_ngrams(word) == reference(word), word
    assert char_ngrams("a bb  会社 ccc\tdddd") == reference("a bb  会社 ccc\tdddd")


def test_the_shipped_file_gives_the_scores_scikit_learn_gave_its_probes() -> None:
    data = (ROOT / CLASSIFIER_FILE).read_bytes()
    model = load(data)
    checked = probes(data)
    assert len(checked) >= 30 and {p.isascii() for p, _ in checked} == {True, False}
    for text, expected in checked:
        got = dict(model.scores(prepare(text)))
        assert [got[c] for c in model.classes] == pytest.approx(expected, abs=1e-4), text


def test_the_engine_cache_keeps_the_source_and_parses_it_again(engine: Engine) -> None:
    opinion = SecondOpinion(model_file("titp.start"))
    assert opinion.read(fold(BOTH)).best == "titp.start"
    restored = pickle.loads(pickle.dumps(opinion))
    assert restored.__getstate__() == {"source": opinion.data} and restored._model is None
    assert restored.read(fold(BOTH)) == opinion.read(fold(BOTH))
    # The bot's own: the file's path, not its 2.7 MB, read again at the first question.
    shipped = engine.matcher.second_opinion  # type: ignore[union-attr]
    assert shipped is not None and len(pickle.dumps(shipped)) < 1000
    assert pickle.loads(pickle.dumps(shipped)).read(fold(BOTH)) == shipped.read(fold(BOTH))


def test_an_answer_the_classifier_clearly_places_in_another_topic_is_only_suggested() -> None:
    alone = matcher(None).match(INTERN)
    assert alone.kind == "answer" and alone.candidates[0].node == "titp.start"
    # "intern" gives titp.start 1.0; a head start of 3 gives ssw.start 2.0: far enough ahead.
    vetoed = matcher(SecondOpinion(model_file("ssw.start", lead=3.0))).match(INTERN)
    assert vetoed.kind == "suggest" and vetoed.candidates[0] == alone.candidates[0]
    assert [c.node for c in vetoed.candidates] == ["titp.start", "ssw.start"], "the classifier's choice offered too"
    assert matcher(SecondOpinion(model_file("out_of_scope", lead=3.0))).match(INTERN).kind == "suggest"
    # Ahead by less than ``Thresholds.veto`` (ssw.start -1 + 2.2 = 1.2 against 1.0), or agreeing: answered.
    assert matcher(SecondOpinion(model_file("ssw.start", lead=2.2))).match(INTERN) == alone
    assert matcher(SecondOpinion(model_file("titp.start", lead=3.0))).match(INTERN) == alone


def test_an_answer_contested_by_the_classifiers_close_choice_is_only_suggested_both_first() -> None:
    """``Thresholds.contested``: the classifier's first choice, another screen the matcher ranks
    within that many points of the best, makes the answer a suggestion (too little apart for the
    veto: ssw.start 0.2 against titp.start 0 here, both words cancelling out)."""
    question = "intern visa and specified skilled"  # titp.start 65.9; consent_form.ssw, ssw.start 14.6
    alone = matcher(None).match(question)
    assert alone.kind == "answer" and alone.candidates[0].node == "titp.start"

    def judged(contested: float) -> Matcher:
        return Matcher.build(
            PHRASES,
            off_topic=["weather"],
            entries=["consent_form.start", "ssw.start", "titp.start"],
            # Candidate O would answer the contesting choice (tests/test_overrule.py): off here.
            thresholds=Thresholds(contested=contested, overrule_contested=math.inf),
            second_opinion=SecondOpinion(model_file("ssw.start", lead=0.2)),
        )

    # 51.3 points apart: contested within 60, not within 50, never in Latin script by default.
    contested = judged(60.0).match(question)
    assert contested.kind == "suggest"
    assert [c.node for c in contested.candidates] == ["titp.start", "ssw.start", "consent_form.ssw"]
    assert judged(50.0).match(question) == alone
    assert judged(Thresholds.contested).match(question) == alone
    # The classifier agreeing with the answer contests nothing.
    agreeing = Matcher.build(
        PHRASES,
        off_topic=["weather"],
        entries=["consent_form.start", "ssw.start", "titp.start"],
        thresholds=Thresholds(contested=60.0),
        second_opinion=SecondOpinion(model_file("titp.start", lead=0.2)),
    )
    assert agreeing.match(question) == alone


def test_suggestions_without_the_classifiers_choice_offer_it_last() -> None:
    weak = "technical intern my cousin brother"  # suggested: titp.start alone, too weak to agree on
    assert [c.node for c in matcher(None).match(weak).candidates] == ["titp.start"]
    # The classifier's choice is offered, not answered, below ``preferred``.
    offered = matcher(SecondOpinion(model_file("ssw.start", lead=3.0)), preferred=3.0).match(weak)
    assert offered.kind == "suggest" and [c.node for c in offered.candidates] == ["titp.start", "ssw.start"]
    # Out of scope is no screen to offer; a topic already suggested is not offered twice.
    assert matcher(SecondOpinion(model_file("out_of_scope", lead=3.0))).match(weak) == matcher(None).match(weak)
    assert matcher(SecondOpinion(model_file("titp.start", lead=3.0))).match(weak) == matcher(None).match(weak)


def test_an_off_topic_questions_suggestions_offer_the_classifiers_choice_but_it_is_never_answered() -> None:
    question = "technical intern my cousin brother weather"  # "weather" is off topic
    assert [c.node for c in matcher(None).match(question).candidates] == ["titp.start"]
    offered = matcher(SecondOpinion(model_file("ssw.start", lead=3.0))).match(question)
    assert offered.kind == "suggest" and [c.node for c in offered.candidates] == ["titp.start", "ssw.start"]
    # Sure of titp.start, but the best scores below ``agreed``: still only suggested.
    assert matcher(SecondOpinion(model_file("titp.start", lead=3.0))).match(question).kind == "suggest"


def test_the_shipped_matcher_changes_verdicts_only_as_its_rules_say(engine: Engine) -> None:
    """On the tuning part, every verdict the second opinion changes is a suggestion whose first
    screen is the classifier's first choice, now answered; a suggestion whose first screen is
    not, now answering the classifier's sure choice; an answer of another topic than the
    classifier's first choice, now suggested; or suggestions that lacked the classifier's first
    choice, now offering it last. (Candidate F's confident answers, G's re-ordering, H2's demotion,
    T's and X's offers, M's, M′'s and P's main menu, O's overruled answers, S's buttons and V's out-of-scope answers,
    switched off here, have their own tests in
    tests/test_confidence.py, tests/test_rerank.py, tests/test_demote.py, tests/test_offer_alone.py,
    tests/test_menu_understood.py, tests/test_overrule.py and tests/test_unsure_buttons.py.)"""
    assert engine.matcher is not None
    shipped = copy.copy(engine.matcher)
    # F, G, H2, T, X, M, M′, P, O, S and V have their own tests.
    changed = replace(
        shipped.thresholds,
        confidence=False,
        rerank=False,
        demote=False,
        alone=math.inf,
        alone_off_topic=math.inf,
        menu=math.inf,
        menu_veto=math.inf,
        menu_short=math.inf,
        overrule=math.inf,
        overrule_japanese=math.inf,
        overrule_contested=math.inf,
        unsure_buttons=False,
        out_of_scope_veto=math.inf,
    )
    object.__setattr__(shipped, "thresholds", changed)
    assert shipped.second_opinion is not None
    alone = copy.copy(shipped)
    object.__setattr__(alone, "second_opinion", None)
    counts = {"answered": 0, "preferred": 0, "vetoed": 0, "contested": 0, "offered": 0}
    for case in load_cases("tune"):
        before, after = alone.match(case.question), shipped.match(case.question)
        if before == after:
            continue
        reading = shipped.second_opinion.read(fold(case.question))
        choice, first = reading.best, before.candidates[0].node
        if after.kind == "answer" and choice == first:
            counts["answered"] += 1
            assert before.kind == "suggest" and after.candidates == before.candidates
            continue
        if after.kind == "answer":
            counts["preferred"] += 1
            assert before.kind == "suggest" and after.candidates[0].node == choice
            japanese = re.search(r"[\u3040-\u30ff\u3400-\u9fff]", case.question)
            limits = shipped.thresholds
            assert reading.value >= (limits.preferred_japanese if japanese else limits.preferred)
            continue
        assert after.kind == "suggest" and before.kind in ("answer", "suggest")
        own = reading.values.get(first, reading.value)
        if before.kind == "answer" and (
            choice.split(".")[0] == first.split(".")[0] or reading.value - own < shipped.thresholds.veto
        ):
            # Contested, not vetoed: Japanese script, the classifier's choice ranked close.
            counts["contested"] += 1
            assert re.search(r"[\u3040-\u30ff\u3400-\u9fff]", case.question)
            scores = dict(shipped.rank(case.question))
            assert shipped.rank(case.question)[0][1] - scores[choice] < shipped.thresholds.contested_japanese
            assert [c.node for c in after.candidates[:2]] == [first, choice]
            continue
        if before.kind == "answer":
            counts["vetoed"] += 1
        if after.candidates != before.candidates:
            counts["offered"] += 1
            assert [c.node for c in after.candidates] == [*(c.node for c in before.candidates[:2]), choice]
            assert choice.split(".")[0] not in {c.node.split(".")[0] for c in before.candidates}
    # Each rule must be exercised for its checks above to mean anything. Phrase rounds leave fewer
    # tuning questions only suggested: after session 8's round the offer changes 3 verdicts (was 6+).
    assert counts["answered"] > 50 and counts["preferred"] > 20 and counts["vetoed"] > 0 and counts["offered"] >= 2, (
        counts
    )
    assert counts["contested"] > 0, counts


def test_a_broken_classifier_file_is_reported_with_its_name_and_the_bot_matches_without_it(scratch: Path) -> None:
    path = scratch / CLASSIFIER_FILE
    path.write_bytes(path.read_bytes()[:1000])
    loaded = Project(scratch).load()
    assert loaded.engine.matcher is not None and loaded.engine.matcher.second_opinion is None
    found = [p for p in loaded.problems if CLASSIFIER_FILE in str(p.where)]
    assert found and "benchmarks.second_opinion --write" in found[0].message


def test_a_classifier_naming_a_screen_the_content_lacks_is_reported(scratch: Path) -> None:
    (scratch / CLASSIFIER_FILE).write_bytes(model_file("titp.start", ("titp.start", "no.such_screen", "out_of_scope")))
    loaded = Project(scratch).load()
    assert loaded.engine.matcher is not None and loaded.engine.matcher.second_opinion is None
    assert any("no.such_screen" in p.message for p in loaded.problems)


def loaded_after_a_question(environment: dict[str, str]) -> tuple[list[str], int]:
    """Whether numpy was imported at start and after one typed question, in a fresh process that
    takes its engine from the cache, as the running bot does."""
    code = (
        "import sys; from retainment_bot.project import Project; from retainment_bot.engine.engine import Typed; "
        "engine = Project.from_env().engine(cached=True); at_start = 'numpy' in sys.modules; "
        "outcome = engine.step(engine.new_state('en'), Typed('my company closed and i am an intern what can i do')); "
        "print(at_start, 'numpy' in sys.modules, len(outcome.replies))"
    )
    env = {**os.environ, **environment}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    *flags, replies = result.stdout.split()
    return flags, int(replies)


def test_numpy_loads_at_the_first_question_not_at_start(tmp_path: Path) -> None:
    where = {CACHE_ENV: str(tmp_path)}
    loaded_after_a_question(where)  # the first start builds the engine (and checks the file) and caches it
    assert loaded_after_a_question(where) == (["False", "True"], 1)


def test_a_small_host_can_turn_the_second_opinion_off(tmp_path: Path) -> None:
    """BOT_SECOND_OPINION=off: the classifier is never read and numpy never imported (about 25 MiB)."""
    flags, replies = loaded_after_a_question({CACHE_ENV: str(tmp_path), "BOT_SECOND_OPINION": "off"})
    assert flags == ["False", "False"] and replies >= 1
    assert Project(ROOT, second_opinion_on=False).engine().matcher.second_opinion is None  # type: ignore[union-attr]


def test_only_words_of_the_vocabulary_are_remembered_never_what_else_was_typed() -> None:
    model = SecondOpinion(model_file("titp.start")).model
    model.values(prepare("intern nguyen van an 090-1234-5678"))
    assert set(model.known) == {"intern"}
