"""Fit candidate F (``search/confidence.json``, :mod:`retainment_bot.engine.confidence`) on the
tuning part of tests/eval only, and report its leave-one-writer-out figures.

    python -m benchmarks.fit_confidence                 # build the rows (cached), fit, report
    python -m benchmarks.fit_confidence --write         # and write search/confidence.json
    python -m benchmarks.fit_confidence --rebuild       # recompute the rows (after a change to the matcher)

Rows. Each tuning question is ranked once by the matcher (its own steps, before the classifier).
The classifier's decision values for it are never in sample: each blind writer's file
(``blindN_LANG.yaml``) is read by a classifier fitted on the phrases and every *other* tuning
file; the project's own questions (``questions_*``, ``extra_*``) out of fold (5 folds, the blind
files always trained on). With those values the shipped verdict (matcher + second opinion) is
computed, and for every question the matcher alone only suggests and the opinion leaves a
suggestion (no off-topic word, a content screen first) one row: the features of its suggestion
list and whether the first suggestion is right.

Figures. Left one writer out, twice: for each blind writer the model is fitted (scikit-learn's
logistic regression) on every other row, the project's own questions' included, and that writer's
rows get their probability from it. The cut-off per script is then chosen on those held-out
probabilities: the lowest at which no language (of any script) answers more wrongly or more
out-of-scope questions than the shipped matcher does on the same proxy (ties go together). The
"nested cut-offs" lines judge each writer with cut-offs chosen on the other writers' held-out
probabilities: the honest figure for a new writer. Of a small grid (feature sets, products, C),
the best top-1 at those cut-offs is written: one model fitted on every row, with the cut-offs.
Results and what was dropped: ``benchmarks/notes-s10-verdict.md``. The rows are cached in
``/tmp`` (``--rebuild`` after a change to the matcher; the readings, shared with G's and H2's
fittings, are cached by what they read: :func:`benchmarks.writer_out.held_out_readings`).
"""

from __future__ import annotations

import argparse
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from retainment_bot.engine.classifier import NOT_SCREENS, Reading
from retainment_bot.engine.confidence import FEATURES, Confidence, Model, features
from retainment_bot.engine.matcher import _CJK, QUESTION_LIMIT, Matcher, Verdict, _topic
from retainment_bot.engine.normalize import clip, fold, hiragana
from retainment_bot.project import CONFIDENCE_FILE, Project
from tests.matcher_eval import LANGUAGES, Case, Figures, judge

from .second_opinion import ROOT
from .writer_out import held_out_readings, with_opinion, writers

CACHE = Path("/tmp/fit_confidence_rows.pkl")


@dataclass
class Row:
    case: Case
    writer: str
    shipped: Verdict
    japanese: bool
    found: dict[str, float] | None = None  # features when F may answer
    right: bool = False
    runtime: Verdict | None = None  # the matcher's own verdict with the model then in search/
    answered: dict[str, float] | None = None  # an answer's features (only explored: a demotion)
    how: str = ""  # who answered: the matcher alone, or the second opinion


class _Fixed:
    """An opinion that returns one precomputed reading."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading

    def read(self, folded: str) -> Reading:
        return self.reading


def build_rows(matcher: Matcher, readings: dict[Case, Reading]) -> list[Row]:
    """One row per tuning question, with its held-out reading (:func:`held_out_readings`)."""
    files = writers()
    shipped = with_opinion(matcher, None, {})
    rows = []
    for name, cases in files:
        for case in cases:
            rows.append(_row(matcher, shipped, case, name, readings[case]))
    return rows


def _row(matcher: Matcher, shipped: Matcher, case: Case, writer: str, reading: Reading) -> Row:
    text = clip(case.question, QUESTION_LIMIT)
    written = fold(text, kana=False)
    folded = hiragana(written)
    japanese = bool(_CJK.search(text))
    whole = with_opinion(matcher, _Fixed(reading), {"confidence": False})
    verdict = whole.match(case.question)
    runtime = with_opinion(matcher, _Fixed(reading), {}).match(case.question)
    if matcher._smalltalk(folded) is not None:
        return Row(case, writer, verdict, japanese, runtime=runtime)
    kept = fold(text, keep_diacritics=True, kana=False)
    ranked, signals = matcher._ranking(text, written, kept, folded)
    off_topic = matcher._off_topic(folded, kept, _topic(ranked[0][0]) if ranked else None)
    alone = shipped.decide(ranked, off_topic, japanese=japanese, signals=signals)
    row = Row(case, writer, verdict, japanese, runtime=runtime)
    if verdict.kind == "answer" and verdict.candidates[0].node not in matcher.navigation:
        nodes = [c.node for c in verdict.candidates]
        row.answered = features(
            ranked,
            nodes,
            signals.coverage,
            signals.explained,
            signals.weight,
            matcher.entries,
            reading.values,
            reading.best,
        )
        row.how = alone.kind
    if alone.kind == "suggest" and verdict.kind == "suggest" and not off_topic:
        first = verdict.candidates[0].node
        if first not in NOT_SCREENS and first not in matcher.navigation:
            nodes = [c.node for c in verdict.candidates]
            row.found = features(
                ranked,
                nodes,
                signals.coverage,
                signals.explained,
                signals.weight,
                matcher.entries,
                reading.values,
                reading.best,
            )
            row.right = first in case.expected
    return row


INTERACTIONS: dict[str, tuple[str, ...]] = {
    "none": (),
    "small": ("cls_first*first", "cls_agree*first", "cls_first*coverage", "cls_margin*first_gap"),
}
SETS: dict[str, tuple[str, ...]] = {
    "all": FEATURES,
    "core": ("best", "first", "first_gap", "rival_gap", "coverage", "cls_first", "cls_margin", "cls_agree", "cls_oos"),
}


def matrix(rows: Sequence[Row], names: Sequence[str]) -> np.ndarray:
    out = []
    for row in rows:
        assert row.found is not None
        f = row.found
        out.append([f[a] * f[b] if b else f[a] for a, _, b in (n.partition("*") for n in names)])
    return np.array(out)


def fit(rows: Sequence[Row], names: Sequence[str], c: float) -> Model:
    x, y = matrix(rows, names), np.array([row.right for row in rows])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    lr = LogisticRegression(C=c, max_iter=2000).fit((x - mean) / scale, y)
    coef = lr.coef_[0] / scale
    bias = float(lr.intercept_[0] - (coef * mean).sum())
    return Model(dict(zip(names, coef.tolist(), strict=True)), bias)


def verdict_with(row: Row, p: float | None, cutoff: float) -> Verdict:
    if row.found is not None and p is not None and p >= cutoff:
        return Verdict("answer", row.shipped.candidates)
    return row.shipped


def figures(rows: Sequence[Row], probs: dict[int, float], cuts: tuple[float, float]) -> dict[str, Figures]:
    out = {key: Figures() for key in (*LANGUAGES, "all")}
    for i, row in enumerate(rows):
        v = verdict_with(row, probs.get(i), cuts[row.japanese])
        judge(row.case, v, out[row.case.lang])
        judge(row.case, v, out["all"])
    return out


def held_out(rows: Sequence[Row], names: Sequence[str], c: float) -> dict[int, float]:
    """Each blind writer's rows' probabilities from a model fitted on every other row."""
    probs: dict[int, float] = {}
    usable = [i for i, row in enumerate(rows) if row.found is not None]
    for name in sorted({row.writer for row in rows if row.writer.startswith("blind")}):
        train = [rows[i] for i in usable if rows[i].writer != name]
        model = fit(train, names, c)
        for i in usable:
            if rows[i].writer == name:
                probs[i] = model.probability(rows[i].found)  # type: ignore[arg-type]
    return probs


def choose(rows: Sequence[Row], probs: dict[int, float], slack: int = 0) -> tuple[float, float]:
    """Per script the lowest cut-off at which no language of the script answers more wrongly or
    more out-of-scope questions than shipped (+``slack`` wrong answers per language)."""
    cuts = []
    for japanese in (False, True):
        langs = LANGUAGES
        mine = sorted(((p, i) for i, p in probs.items() if rows[i].japanese == japanese), reverse=True)
        wrong = dict.fromkeys(langs, 0)
        oos = dict.fromkeys(langs, 0)
        cut = 1.01
        for index, (p, i) in enumerate(mine):
            row = rows[i]
            if not row.right:
                wrong[row.case.lang] += 1
                oos[row.case.lang] += row.case.label == "out_of_scope"
            if any(oos[lang] > 0 or wrong[lang] > slack for lang in langs):
                break
            if index + 1 == len(mine) or mine[index + 1][0] < p:
                cut = p
        cuts.append(cut)
    return cuts[0], cuts[1]


def nested_cut(rows: Sequence[Row], probs: dict[int, float], slack: int = 0) -> dict[str, Figures]:
    """Honest figures for the cut-offs too: each writer judged with cut-offs chosen on the
    other writers' held-out probabilities."""
    out = {key: Figures() for key in (*LANGUAGES, "all")}
    for name in sorted({row.writer for row in rows}):
        others = {i: p for i, p in probs.items() if rows[i].writer != name}
        cuts = choose(rows, others, slack)
        for i, row in enumerate(rows):
            if row.writer == name:
                v = verdict_with(row, probs.get(i), cuts[row.japanese])
                judge(row.case, v, out[row.case.lang])
                judge(row.case, v, out["all"])
    return out


def line(by_lang: dict[str, Figures]) -> str:
    return " | ".join(
        f"{lang} {100 * f.share('top1'):.1f}% w {100 * f.share('wrong_confident'):.1f}% "
        f"oos {f.oos_answered}/{f.out_of_scope} topic {100 * f.share('unsure_right_topic'):.1f}%"
        for lang, f in by_lang.items()
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fit_confidence")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    project = Project(ROOT)
    matcher = project.engine(cached=False).matcher
    assert matcher is not None
    if args.rebuild or not CACHE.exists():
        phrases = project.search_phrases()
        read = held_out_readings([p.text for p in phrases], [p.node for p in phrases])
        rows = build_rows(matcher, read)
        CACHE.write_bytes(pickle.dumps(rows))
    rows = pickle.loads(CACHE.read_bytes())
    blind = [i for i, row in enumerate(rows) if row.writer.startswith("blind")]
    sub = [rows[i] for i in blind]
    print(f"{len(rows)} questions, {sum(r.found is not None for r in rows)} rows; blind {len(sub)}")
    if matcher.confidence is not None:  # the proxy's verdicts are the matcher's own
        conf = matcher.confidence
        probs_now = {
            i: (conf.japanese if r.japanese else conf.latin).probability(r.found) for i, r in enumerate(rows) if r.found
        }
        same = sum(
            verdict_with(r, probs_now.get(i), (conf.latin.cutoff, conf.japanese.cutoff)[r.japanese]) == r.runtime
            for i, r in enumerate(rows)
        )
        print(f"the proxy's verdicts with search/confidence.json = the matcher's: {same} of {len(rows)}")
    print(f"{'shipped (left one writer out)':<40} {line(figures(sub, {}, (1.01, 1.01)))}")
    best: Any = None
    for set_name, base in SETS.items():
        for inter, extra in INTERACTIONS.items():
            for c in (0.1, 1.0):
                names = (*base, *extra)
                probs = held_out(rows, names, c)
                sub_probs = {k: probs[i] for k, i in enumerate(blind) if i in probs}
                for slack in (0, 1):
                    cuts = choose(sub, sub_probs, slack)
                    figs = figures(sub, sub_probs, cuts)
                    print(
                        f"{set_name}+{inter} C{c} slack{slack} cut {cuts[0]:.3f}/{cuts[1]:.3f}".ljust(40),
                        line(figs),
                        flush=True,
                    )
                    print("  nested cut-offs".ljust(40), line(nested_cut(sub, sub_probs, slack)), flush=True)
                    if slack == 0 and (best is None or figs["all"].top1 > best[0]):
                        best = (figs["all"].top1, names, c, cuts)
    assert best is not None
    _, names, c, cuts = best
    print(f"chosen: {names} C {c} cuts {cuts}")
    if args.write:
        model = fit([r for r in rows if r.found is not None], names, c)
        confidence = Confidence(
            Model(model.weights, model.bias, cuts[0]),
            Model(model.weights, model.bias, cuts[1]),
        )
        note = "Fitted by `python -m benchmarks.fit_confidence --write` on tests/eval/tune (see its docstring)."
        (ROOT / CONFIDENCE_FILE).write_text(confidence.to_json(note), encoding="utf-8")
        print(f"wrote {CONFIDENCE_FILE}")


if __name__ == "__main__":
    main()
