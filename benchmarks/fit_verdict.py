"""Fit the calibrated verdict (``search/verdict.json``) on the tuning part of tests/eval, never
the test part, and report its cross-validated figures.

    python -m benchmarks.fit_verdict                      # nested cross-validated figures
    python -m benchmarks.fit_verdict --write              # and write search/verdict.json
    python -m benchmarks.fit_verdict --features all       # another feature set (names, or "all")

Each tuning question is ranked once by the matcher. A question the verdict could answer (not
small talk, not off topic, a candidate above the suggestion threshold, the close candidates
agreeing on a topic) gives one row: the features of the node it would answer with
(:mod:`retainment_bot.engine.calibration`) and whether that node is right (an out-of-scope
question's never is). One logistic model is fitted per script (Latin, Japanese). Its cut-off:
scanning down from the most confident row, the lowest probability above which no out-of-scope
question is answered and at most ``TARGETS`` (one per script) of its questions are answered wrong.

The figures reported are **nested cross-validation** (``FOLDS`` folds stratified by language,
``REPEATS`` shuffles, counts summed): for each fold the models and their cut-offs come from the
other folds only, and the held-out fold is judged with them; the figures of a model fitted on the
tuning part itself mean nothing. The cut-off is chosen on the training folds' own predictions:
out-of-fold predictions from five refitted models were tried and were worse (models of one weak
feature differ from fold to fold more than the rows they should order). The shipped models are
fitted on the whole tuning part.

The default feature set is the best score alone (a per-script threshold on the best score of
agreeing candidates, as a probability): richer sets did worse in cross-validation (tests/eval/README.md).
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
# The most wrong answers a script's questions (Latin, Japanese) may get on the training folds, as
# a share of them. At 1.5% the cross-validated wrong answers are 1.4% in all but 2.3% for the
# Vietnamese questions (they take most of the Latin script's); 1.0-1.25% leaves Vietnamese at
# 1.8-2.2% and costs 2-11 points of top-1 (tests/eval/README.md).
TARGETS = (0.015, 0.015)
L2 = 1.0
FITTED = ("best", "rival_gap")


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
    """Rank every question once, and read the features of the node the verdict would answer with."""
    limits = matcher.thresholds
    prepared = []
    for case in cases:
        folded = fold(case.question)
        small = matcher._smalltalk(folded)
        ranked, signals = matcher.ranking(case.question)
        off = matcher.blocks_answer(case.question)
        japanese = bool(_CJK.search(case.question))
        row = None
        if not small and not off and ranked and ranked[0][1] >= limits.suggest:
            found = matcher.features(ranked, signals, japanese, limits)
            if found is not None:
                row = (found[1], int(found[0] in case.expected))
        prepared.append(Prepared(case, small, ranked, signals, off, japanese, row))
    return prepared


def verdict(matcher: Matcher, item: Prepared, calibration: Calibration) -> Verdict:
    if item.small:
        return Verdict(item.small)  # type: ignore[arg-type]
    return matcher.decide(
        item.ranked,
        item.off_topic,
        japanese=item.japanese,
        signals=item.signals,
        calibration=calibration,
    )


def choose_cutoff(items: Sequence[Prepared], model: Model, target: float) -> float:
    """The lowest cut-off above which no out-of-scope question is answered and at most ``target``
    of ``items`` (the questions of one script) are answered wrong."""
    scored = sorted(((model.probability(item.row[0]), item) for item in items if item.row), key=lambda pair: -pair[0])
    wrong = 0
    cutoff = 1.0
    for index, (p, item) in enumerate(scored):
        assert item.row is not None
        if not item.row[1]:
            if item.case.label == "out_of_scope":
                break
            wrong += 1
        # Answer down to p only if the next one does not share it (ties go together).
        if wrong <= target * len(items) and (index + 1 == len(scored) or scored[index + 1][0] < p):
            cutoff = p
    return cutoff


def calibrate(items: Sequence[Prepared], names: Sequence[str]) -> Calibration:
    """A model per script fitted on ``items``, each with its cut-off."""
    models = []
    for japanese in (False, True):
        mine = [item for item in items if item.japanese == japanese]
        weights, bias = fit([item.row for item in mine if item.row], names, L2)
        model = Model(weights, bias)
        models.append(replace(model, cutoff=choose_cutoff(mine, model, TARGETS[japanese])))
    return Calibration(*models)


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


def cross_validate(matcher: Matcher, items: Sequence[Prepared], names: Sequence[str]) -> Mapping[str, Figures]:
    """Nested cross-validated figures per language and ``all``, summed over the repeats."""
    figures = {key: Figures() for key in (*LANGUAGES, "all")}
    for repeat in range(REPEATS):
        assignment = stratified(items, FOLDS, 100 + repeat)
        for k in range(FOLDS):
            model = calibrate([item for item, f in zip(items, assignment, strict=True) if f != k], names)
            for item, f in zip(items, assignment, strict=True):
                if f == k:
                    result = verdict(matcher, item, model)
                    judge(item.case, result, figures[item.case.lang])
                    judge(item.case, result, figures["all"])
    return figures


def main() -> None:
    names: Sequence[str] = FITTED
    if "--features" in sys.argv:
        chosen = sys.argv[sys.argv.index("--features") + 1]
        names = FEATURES if chosen == "all" else tuple(chosen.split(","))
    matcher = Project(ROOT).engine().matcher
    assert matcher is not None
    items = prepare(matcher, load_cases("tune"))
    figures = cross_validate(matcher, items, names)
    print(f"features: {', '.join(names)}")
    print(f"nested {FOLDS}-fold cross-validation on the tuning part, {REPEATS} shuffles (counts summed):")
    for key in (*LANGUAGES, "all"):
        print(figures[key].line(f"cv {key}"))
    model = calibrate(items, names)
    print(f"shipped models: cut-off {model.latin.cutoff:.3f} (Latin), {model.japanese.cutoff:.3f} (Japanese)")
    for name in names:
        print(f"  {name:<14} {model.latin.weights[name]:+.3f} {model.japanese.weights[name]:+.3f}")
    print(f"  {'bias':<14} {model.latin.bias:+.3f} {model.japanese.bias:+.3f}")
    if "--write" in sys.argv:
        note = "Fitted by `python -m benchmarks.fit_verdict --write` on tests/eval/tune (see its docstring)."
        (ROOT / VERDICT_FILE).write_text(model.to_json(note), encoding="utf-8")
        print(f"wrote {VERDICT_FILE}")


if __name__ == "__main__":
    main()
