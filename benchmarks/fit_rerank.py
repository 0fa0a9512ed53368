"""Fit candidate G (``search/rerank.json``, :mod:`retainment_bot.engine.rerank`: the re-ranking
and its own check) on the tuning part of tests/eval only, and report the leave-one-writer-out
figures of main (with F) and of G.

    python -m benchmarks.fit_rerank                 # build the rows (cached), fit, report
    python -m benchmarks.fit_rerank --write         # and write search/rerank.json
    python -m benchmarks.fit_rerank --rebuild       # recompute the rows (after a change to the matcher)
    python -m benchmarks.fit_rerank --grid          # also a small grid of C, margin and k

Rows. The classifier's decision values are never in sample, as for F
(:func:`benchmarks.writer_out.held_out_readings`, shared and cached): each blind writer's file
read by a classifier fitted on the phrases and every other tuning file, the others out of fold. Each
question gets the shipped verdict without F and G (matcher + second opinion); the questions the
matcher alone only suggests and the second opinion leaves a suggestion (no off-topic word, a
content screen first) are F's and G's: their ranking, signals and the classifier's reading kept.

Proxy, left one writer out at every step (each blind writer, and the project's own questions as
one group). F is refitted on the shipped order (its features and products, C 1) and answers at
**main's cut-offs** (those of ``search/confidence.json``): main's proxy. On the rest, the
re-ranking model (scikit-learn's logistic regression, one row per candidate, "this candidate is
right") fitted on the other groups re-orders the suggestions; G's check (F's features and model
refitted on those rows in G's order) gives each a held-out probability, and its cut-off per
script is the lowest at which no language answers one more wrong or out-of-scope question than
main's proxy. "Nested" lines judge each writer with cut-offs chosen on the other writers.

``--write`` fits the re-ranking on every row (the chosen C, margin and k), the check on every row
F leaves (held-out orders and probabilities, as in the proxy) with the proxy's cut-offs, writes
``search/rerank.json`` and checks that the matcher loaded from the files (the proxy's classifier
readings fed in) gives the proxy's verdicts with those final models. Figures and what was dropped:
``benchmarks/notes-s10-rerank.md``. Rows cached in ``/tmp`` (``--rebuild`` after a change to the
matcher or F; the classifier's readings are cached by what they read).
"""

from __future__ import annotations

import argparse
import functools
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from retainment_bot.engine.calibration import Signals
from retainment_bot.engine.classifier import NOT_SCREENS, Reading
from retainment_bot.engine.confidence import Confidence, Model
from retainment_bot.engine.confidence import features as confidence_features
from retainment_bot.engine.matcher import _CJK, QUESTION_LIMIT, Candidate, Matcher, Verdict, _topic
from retainment_bot.engine.normalize import clip, fold, hiragana
from retainment_bot.engine.rerank import Rerank, candidates, features
from retainment_bot.project import RERANK_FILE, Project
from tests.matcher_eval import LANGUAGES, Case, Figures, judge

from .fit_confidence import INTERACTIONS, SETS, _Fixed
from .second_opinion import ROOT
from .writer_out import held_out_readings, with_opinion, writers

CACHE = Path("/tmp/fit_rerank_rows.pkl")
F_NAMES = (*SETS["all"], *INTERACTIONS["small"])
OWN = "_own"  # the project's own questions, held out together


@dataclass
class Row:
    case: Case
    writer: str
    japanese: bool
    shipped: Verdict  # matcher + second opinion, without F and G
    ranked: list[tuple[str, float]] = field(default_factory=list)
    signals: Signals | None = None
    reading: Reading | None = None
    nodes: list[str] = field(default_factory=list)  # G's candidates (when F and G may act)
    x: np.ndarray | None = None
    y: np.ndarray | None = None

    @property
    def group(self) -> str:
        return self.writer if self.writer.startswith("blind") else OWN


def build_rows(matcher: Matcher, read: dict[Case, Reading]) -> list[Row]:
    plain = with_opinion(matcher, None, {})
    rows = []
    for name, cases in writers():
        for case in cases:
            reading = read[case]
            text = clip(case.question, QUESTION_LIMIT)
            written = fold(text, kana=False)
            folded = hiragana(written)
            japanese = bool(_CJK.search(text))
            shipped = with_opinion(matcher, _Fixed(reading), {"confidence": False, "rerank": False}).match(
                case.question
            )
            row = Row(case, name, japanese, shipped)
            rows.append(row)
            if matcher._smalltalk(folded) is not None or shipped.kind != "suggest":
                continue
            kept = fold(text, keep_diacritics=True, kana=False)
            ranked, signals = matcher._ranking(text, written, kept, folded)
            off_topic = matcher._off_topic(folded, kept, _topic(ranked[0][0]) if ranked else None)
            alone = plain.decide(ranked, off_topic, japanese=japanese, signals=signals)
            first = shipped.candidates[0].node
            if alone.kind == "suggest" and not off_topic and first not in NOT_SCREENS | matcher.navigation:
                row.ranked, row.signals, row.reading = list(ranked[:60]), signals, reading
    return rows


def prepare(rows: Sequence[Row], matcher: Matcher, k: int) -> list[Row]:
    """G's candidates and features for the rows where G and F may act."""
    usable = []
    excluded = NOT_SCREENS | matcher.navigation
    for row in rows:
        if row.reading is None or row.signals is None:
            continue
        suggested = [c.node for c in row.shipped.candidates]
        row.nodes = candidates(row.ranked, suggested, row.reading.best, excluded, k)
        row.x = np.array(
            features(
                row.ranked,
                row.nodes,
                suggested,
                row.signals.coverage,
                row.reading.values,
                row.reading.best,
                matcher.entries,
                row.japanese,
            )
        )
        row.y = np.array([node in row.case.expected for node in row.nodes])
        usable.append(row)
    return usable


def fit_rerank(train: Sequence[Row], c: float, margin: float, k: int) -> Rerank:
    x = np.vstack([row.x for row in train if row.x is not None])
    y = np.concatenate([row.y for row in train if row.y is not None])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    lr = LogisticRegression(C=c, max_iter=3000).fit((x - mean) / scale, y)
    coef = lr.coef_[0] / scale
    bias = float(lr.intercept_[0] - (coef * mean).sum())
    return Rerank(tuple(float(w) for w in coef), bias, margin, k)


def reorder(row: Row, model: Rerank | None, limit: int) -> tuple[Candidate, ...]:
    """The suggestions as G leaves them (the matcher's ``_reranked``)."""
    if model is None or row.x is None:
        return row.shipped.candidates
    chosen = model.choose(row.x.tolist())
    if chosen == 0:
        return row.shipped.candidates
    node = row.nodes[chosen]
    score = next((s for n, s in row.ranked if n == node), 0.0)
    rest = tuple(c for c in row.shipped.candidates if _topic(c.node) != _topic(node))
    return (Candidate(node, round(score, 1)), *rest)[:limit]


def f_found(row: Row, order: Sequence[Candidate], entries: frozenset[str]) -> dict[str, float]:
    assert row.signals is not None and row.reading is not None
    s = row.signals
    nodes = [c.node for c in order]
    return confidence_features(
        row.ranked, nodes, s.coverage, s.explained, s.weight, entries, row.reading.values, row.reading.best
    )


def f_matrix(found: Sequence[dict[str, float]]) -> np.ndarray:
    return np.array([[f[a] * f[b] if b else f[a] for a, _, b in (n.partition("*") for n in F_NAMES)] for f in found])


def fit_f(found: Sequence[dict[str, float]], right: Sequence[bool], c: float = 1.0) -> Model:
    x, y = f_matrix(found), np.array(right)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    lr = LogisticRegression(C=c, max_iter=2000).fit((x - mean) / scale, y)
    coef = lr.coef_[0] / scale
    return Model(dict(zip(F_NAMES, coef.tolist(), strict=True)), float(lr.intercept_[0] - (coef * mean).sum()))


Item = tuple[float, bool, str, bool, bool]  # probability, right, language, out of scope, Japanese


def choose(items: Sequence[Item], slack: int = 0) -> tuple[float, float]:
    """F's cut-off per script (as :func:`benchmarks.fit_confidence.choose`)."""
    cuts = []
    for japanese in (False, True):
        mine = sorted((it for it in items if it[4] == japanese), key=lambda it: -it[0])
        wrong, oos = dict.fromkeys(LANGUAGES, 0), dict.fromkeys(LANGUAGES, 0)
        cut = 1.01
        for index, (p, right, lang, out, _) in enumerate(mine):
            if not right:
                wrong[lang] += 1
                oos[lang] += out
            if any(oos[lang] > 0 or wrong[lang] > slack for lang in LANGUAGES):
                break
            if index + 1 == len(mine) or mine[index + 1][0] < p:
                cut = p
        cuts.append(cut)
    return cuts[0], cuts[1]


@dataclass
class Proxy:
    figures: dict[str, Figures]
    nested: dict[str, Figures]
    cuts: tuple[float, float]
    orders: dict[int, tuple[Candidate, ...]]
    left: list[Row]  # the rows F leaves unsure (F's held-out probability below its cut-off)
    found: dict[int, dict[str, float]]  # their features on G's order


def _held(
    groups: Sequence[str], rows: Sequence[Row], found: dict[int, dict[str, float]], right: dict[int, bool]
) -> dict[int, float]:
    """Each group's rows' probabilities from F's model fitted on the other groups' rows."""
    probs: dict[int, float] = {}
    for group in groups:
        train = [r for r in rows if r.group != group]
        model = fit_f([found[id(r)] for r in train], [right[id(r)] for r in train])
        for r in rows:
            if r.group == group:
                probs[id(r)] = model.probability(found[id(r)])
    return probs


def _fit_with(train: Sequence[Row], *, c: float, margin: float, k: int) -> Rerank:
    return fit_rerank(train, c, margin, k)


def proxy(
    rows: Sequence[Row],
    usable: Sequence[Row],
    matcher: Matcher,
    fitter: Callable[[Sequence[Row]], Rerank] | None,
    main_cuts: tuple[float, float],
) -> Proxy:
    """Left one writer out: F (refitted on the shipped order) at main's cut-offs answers first;
    G re-orders what it leaves; G's check (F's model refitted on those rows in G's order) answers
    from the cut-offs chosen here: no language answers one more wrong or out-of-scope question."""
    limit = matcher.thresholds.suggestions
    excluded = NOT_SCREENS | matcher.navigation
    groups = sorted({row.group for row in usable})
    found0 = {id(r): f_found(r, r.shipped.candidates, matcher.entries) for r in usable}
    right0 = {id(r): r.shipped.candidates[0].node in r.case.expected for r in usable}
    main_p = _held(groups, usable, found0, right0)
    answered = {id(r) for r in usable if main_p[id(r)] >= main_cuts[r.japanese]}
    orders: dict[int, tuple[Candidate, ...]] = {}
    for group in groups:
        model = fitter([r for r in usable if r.group != group]) if fitter else None
        for row in usable:
            if row.group == group:
                orders[id(row)] = reorder(row, model, limit)
    left = [r for r in usable if id(r) not in answered and orders[id(r)][0].node not in excluded]
    found = {id(r): f_found(r, orders[id(r)], matcher.entries) for r in left}
    right = {id(r): orders[id(r)][0].node in r.case.expected for r in left}
    probs = _held(groups, left, found, right) if fitter else {}
    blind = [r for r in rows if r.writer.startswith("blind")]

    def items(some: Sequence[Row]) -> list[Item]:
        return [
            (probs[id(r)], right[id(r)], r.case.lang, r.case.label == "out_of_scope", r.japanese)
            for r in some
            if id(r) in probs
        ]

    def verdict(row: Row, cuts: tuple[float, float]) -> Verdict:
        if id(row) not in orders:
            return row.shipped
        if id(row) in answered:
            return Verdict("answer", row.shipped.candidates)
        answer = id(row) in probs and probs[id(row)] >= cuts[row.japanese]
        return Verdict("answer" if answer else "suggest", orders[id(row)])

    cuts = choose(items(blind))
    figures = {key: Figures() for key in (*LANGUAGES, "all")}
    nested = {key: Figures() for key in (*LANGUAGES, "all")}
    for row in blind:
        v = verdict(row, cuts)
        judge(row.case, v, figures[row.case.lang])
        judge(row.case, v, figures["all"])
    for writer in sorted({r.writer for r in blind}):
        other = choose(items([r for r in blind if r.writer != writer]))
        for row in blind:
            if row.writer == writer:
                v = verdict(row, other)
                judge(row.case, v, nested[row.case.lang])
                judge(row.case, v, nested["all"])
    return Proxy(figures, nested, cuts, orders, left, found)


def line(by_lang: dict[str, Figures]) -> str:
    return " | ".join(
        f"{lang} {100 * f.share('top1'):.1f} L{100 * f.share('loose'):.1f} w{100 * f.share('wrong_confident'):.1f} "
        f"oos{f.oos_answered} t{100 * f.share('unsure_right_topic'):.1f}"
        for lang, f in by_lang.items()
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fit_rerank")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--c", type=float, default=0.1)
    parser.add_argument("--margin", type=float, default=0.5)
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--grid", action="store_true", help="also report a small grid of C, margin and k")
    args = parser.parse_args(argv)
    project = Project(ROOT)
    matcher = project.engine(cached=False).matcher
    assert matcher is not None and matcher.confidence is not None
    main_cuts = (matcher.confidence.latin.cutoff, matcher.confidence.japanese.cutoff)
    if args.rebuild or not CACHE.exists():
        phrases = project.search_phrases()
        read = held_out_readings([p.text for p in phrases], [p.node for p in phrases])
        CACHE.write_bytes(pickle.dumps(build_rows(matcher, read)))
    rows: list[Row] = pickle.loads(CACHE.read_bytes())
    usable = prepare(rows, matcher, args.k)
    print(f"{len(rows)} questions, {len(usable)} where F and G may act; main's F cut-offs {main_cuts}")
    main_f = proxy(rows, usable, matcher, None, main_cuts)
    print("main (F refitted)".ljust(26), line(main_f.figures))
    grid: list[tuple[float, float, int]] = [(args.c, args.margin, args.k)]
    if args.grid:
        grid += [(c, m, k) for k in (3, 8) for c in (0.1, 1.0) for m in (0.0, 0.5, 1.0)]
    for c, margin, k in grid:
        some = prepare(rows, matcher, k)
        got = proxy(rows, some, matcher, functools.partial(_fit_with, c=c, margin=margin, k=k), main_cuts)
        print(f"G C{c} m{margin} k{k}".ljust(26), line(got.figures))
        print(f"  nested; cuts {got.cuts[0]:.3f}/{got.cuts[1]:.3f}".ljust(26), line(got.nested), flush=True)
    if not args.write:
        return
    usable = prepare(rows, matcher, args.k)
    g = proxy(rows, usable, matcher, lambda train: fit_rerank(train, args.c, args.margin, args.k), main_cuts)
    model = fit_rerank(usable, args.c, args.margin, args.k)
    f_model = fit_f([g.found[id(r)] for r in g.left], [g.orders[id(r)][0].node in r.case.expected for r in g.left])
    confidence = Confidence(
        Model(f_model.weights, f_model.bias, g.cuts[0]), Model(f_model.weights, f_model.bias, g.cuts[1])
    )
    model = replace(model, confidence=confidence)
    note = "Fitted by `python -m benchmarks.fit_rerank --write` on tests/eval/tune (see its docstring)."
    (ROOT / RERANK_FILE).write_text(model.to_json(note), encoding="utf-8")
    print(f"wrote {RERANK_FILE}, its check's cut-offs {g.cuts[0]:.4f} / {g.cuts[1]:.4f}")
    check(rows, usable, Rerank.from_json(model.to_json()))  # as read back: the file rounds


def check(rows: Sequence[Row], usable: Sequence[Row], model: Rerank) -> None:
    """The matcher loaded from the written file gives the proxy's verdicts (the final models:
    F's from search/confidence.json, then G's)."""
    matcher = Project(ROOT).engine(cached=False).matcher
    assert matcher is not None and matcher.rerank == model
    assert model.confidence is not None and matcher.confidence is not None
    excluded = NOT_SCREENS | matcher.navigation
    ids = {id(r) for r in usable}
    same = 0
    for row in rows:
        expected: Any = row.shipped
        if id(row) in ids:
            if matcher.confidence.answers(f_found(row, row.shipped.candidates, matcher.entries), row.japanese):
                expected = Verdict("answer", row.shipped.candidates)
            else:
                order = reorder(row, model, matcher.thresholds.suggestions)
                answer = order[0].node not in excluded and model.confidence.answers(
                    f_found(row, order, matcher.entries), row.japanese
                )
                expected = Verdict("answer" if answer else "suggest", order)
        reading = row.reading
        same += reading is None or with_opinion(matcher, _Fixed(reading), {}).match(row.case.question) == expected
    print(f"the proxy's verdicts = the matcher's with the written files: {same} of {len(rows)}")


if __name__ == "__main__":
    main()
