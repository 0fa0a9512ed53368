"""Fit the calibrated verdict (``search/verdict.json``) on the tuning part of tests/eval, never
the test part, and report its cross-validated figures.

    python -m benchmarks.fit_verdict            # report the cross-validated figures
    python -m benchmarks.fit_verdict --write    # and write search/verdict.json

Each tuning question is ranked once by the matcher. A question the verdict could answer (not
small talk, not off topic, a candidate above the suggestion threshold) gives one row: the
features of the node it would answer with (:mod:`retainment_bot.engine.calibration`) and whether
that node is right (an out-of-scope question's never is). The cut-off rule: scanning down from the
most confident, the lowest probability at which, in every language, at most ``TARGET`` of the
questions are answered wrong and no out-of-scope question is answered.

The figures reported are **nested cross-validation** (``FOLDS`` folds, stratified by language,
``REPEATS`` shuffles): for each fold the model is fitted on the other folds, its cut-off chosen
from out-of-fold predictions inside those folds, and the held-out fold is judged with both; the
figures of a model fitted on the tuning part itself mean nothing. The shipped model is fitted on
the whole tuning part, its cut-off chosen from 5-fold out-of-fold predictions.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from retainment_bot.engine.calibration import FEATURES, Calibration, Model, Signals, fit
from retainment_bot.engine.matcher import _CJK, Matcher, Verdict
from retainment_bot.engine.normalize import fold
from retainment_bot.project import VERDICT_FILE, Project
from tests.matcher_eval import LANGUAGES, Case, Figures, judge, load_cases

ROOT = Path(__file__).resolve().parent.parent
FOLDS, REPEATS = 5, 3
TARGET = 0.015
L2 = 1.0


@dataclass(frozen=True)
class Prepared:
    """One tuning question, ranked once."""

    case: Case
    small: str | None
    ranked: list[tuple[str, float]]
    signals: Signals
    off_topic: bool
    japanese: bool
    row: tuple[dict[str, float], int] | None = None  # features and whether the node would be right


def prepare(matcher: Matcher, cases: Sequence[Case]) -> list[Prepared]:
    prepared = []
    for case in cases:
        folded = fold(case.question)
        small = matcher._smalltalk(folded)
        ranked, signals = matcher.ranking(case.question)
        off = matcher._off_topic(folded)
        japanese = bool(_CJK.search(case.question))
        prepared.append(Prepared(case, small, ranked, signals, off, japanese))
    return prepared


def rows(matcher: Matcher, items: Sequence[Prepared]) -> list[Prepared]:
    """``items`` with their features as ``matcher`` (and its examples) sees them."""
    limits = matcher.thresholds
    result = []
    for item in items:
        row = None
        if not item.small and not item.off_topic and item.ranked and item.ranked[0][1] >= limits.suggest:
            found = matcher.features(item.ranked, item.signals, item.japanese, item.case.question, limits)
            if found is not None:
                row = (found[1], int(found[0] in item.case.expected))
        result.append(replace(item, row=row))
    return result


def verdict(matcher: Matcher, item: Prepared, calibration: Calibration | None) -> Verdict:
    if item.small:
        return Verdict(item.small)  # type: ignore[arg-type]
    return matcher.decide(
        item.ranked,
        item.off_topic,
        japanese=item.japanese,
        signals=item.signals,
        text=item.case.question,
        calibration=calibration,
    )


def choose_cutoff(
    items: Sequence[Prepared], probabilities: Sequence[float | None], totals: Mapping[str, int], target: float = TARGET
) -> float:
    """The lowest cut-off above which, scanning down, every language keeps its wrong answers at
    most ``target`` of its questions (``totals``; in one script, ``items`` may be part of them)
    and answers no out-of-scope question."""
    scored = sorted(
        ((p, item) for p, item in zip(probabilities, items, strict=True) if p is not None and item.row),
        key=lambda pair: -pair[0],
    )
    wrong = dict.fromkeys(LANGUAGES, 0)
    cutoff = 1.0
    for index, (p, item) in enumerate(scored):
        assert item.row is not None
        if not item.row[1]:
            lang = item.case.lang
            wrong[lang] += 1
            if item.case.label == "out_of_scope" or wrong[lang] > target * totals[lang]:
                break
        # Answer down to p only if the next one does not share it (ties go together).
        if index + 1 == len(scored) or scored[index + 1][0] < p:
            cutoff = p
    return cutoff


def out_of_fold(items: Sequence[Prepared], folds: int, seed: int) -> list[float | None]:
    """Each item's probability from a model fitted without its fold."""
    assignment = stratified(items, folds, seed)
    result: list[float | None] = [None] * len(items)
    for k in range(folds):
        train = [item.row for item, f in zip(items, assignment, strict=True) if f != k and item.row]
        model = fit_model(train)
        for i, (item, f) in enumerate(zip(items, assignment, strict=True)):
            if f == k and item.row:
                result[i] = model.model(item.row[0]).probability(item.row[0])
    return result


def stratified(items: Sequence[Prepared], folds: int, seed: int) -> list[int]:
    """A fold for each item, the languages spread evenly."""
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    assignment = [0] * len(items)
    count = dict.fromkeys(LANGUAGES, 0)
    for i in order:
        lang = items[i].case.lang
        assignment[i] = count[lang] % folds
        count[lang] += 1
    return assignment


def fit_model(rows: Sequence[tuple[dict[str, float], int]]) -> Calibration:
    """A model for each script fitted on its ``rows`` (cut-offs left at 0.5)."""
    latin, japanese = ([row for row in rows if bool(row[0]["japanese"]) == script] for script in (False, True))
    return Calibration(Model(*fit(latin, L2)), Model(*fit(japanese, L2)))


def calibrate(items: Sequence[Prepared], seed: int = 0) -> Calibration:
    """A model fitted on ``items``, its cut-off from out-of-fold predictions among them."""
    model = fit_model([item.row for item in items if item.row])
    probabilities = out_of_fold(items, FOLDS, seed)
    totals = {lang: sum(item.case.lang == lang for item in items) for lang in LANGUAGES}
    cutoffs = [
        choose_cutoff(
            [item for item in items if item.japanese == japanese],
            [p for p, item in zip(probabilities, items, strict=True) if item.japanese == japanese],
            totals,
        )
        for japanese in (False, True)
    ]
    return Calibration(replace(model.latin, cutoff=cutoffs[0]), replace(model.japanese, cutoff=cutoffs[1]))


def cross_validate(matcher: Matcher, items: Sequence[Prepared]) -> dict[str, Figures]:
    """Nested cross-validated figures per language and ``all``, summed over the repeats: the
    weights and the cut-off come from the other folds only."""
    figures = {key: Figures() for key in (*LANGUAGES, "all")}
    for repeat in range(REPEATS):
        assignment = stratified(items, FOLDS, 100 + repeat)
        for k in range(FOLDS):
            train = [item for item, f in zip(items, assignment, strict=True) if f != k]
            model = calibrate(train, seed=repeat)
            for item, f in zip(items, assignment, strict=True):
                if f == k:
                    result = verdict(matcher, item, model)
                    judge(item.case, result, figures[item.case.lang])
                    judge(item.case, result, figures["all"])
    return figures


def main() -> None:
    matcher = Project(ROOT).engine().matcher
    assert matcher is not None
    items = rows(matcher, prepare(matcher, load_cases("tune")))
    figures = cross_validate(matcher, items)

    print(f"nested {FOLDS}-fold cross-validation on the tuning part, {REPEATS} shuffles (counts summed):")
    for key in (*LANGUAGES, "all"):
        print(figures[key].line(f"cv {key}"))
    model = calibrate(items)
    print(f"shipped models: cut-off {model.latin.cutoff:.3f} (Latin), {model.japanese.cutoff:.3f} (Japanese)")
    for name in FEATURES:
        print(f"  {name:<14} {model.latin.weights[name]:+.3f} {model.japanese.weights[name]:+.3f}")
    print(f"  {'bias':<14} {model.latin.bias:+.3f} {model.japanese.bias:+.3f}")
    if "--write" in sys.argv:
        note = "Fitted by `python -m benchmarks.fit_verdict --write` on tests/eval/tune (see its docstring)."
        (ROOT / VERDICT_FILE).write_text(model.to_json(note), encoding="utf-8")
        print(f"wrote {VERDICT_FILE}")


if __name__ == "__main__":
    main()
