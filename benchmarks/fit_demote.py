"""Fit candidate H2 (``search/demote.json``, :mod:`retainment_bot.engine.demote`) on the tuning part of
tests/eval only, and report its proxy figures.

    python -m benchmarks.fit_demote                 # build the rows (cached), fit, report
    python -m benchmarks.fit_demote --write         # and write search/demote.json
    python -m benchmarks.fit_demote --ratio 1       # cut-offs for another trade (default 2)

Rows. Every tuning question's classifier reading is never in sample
(:func:`benchmarks.writer_out.held_out_readings`: each blind writer's file read by a classifier fitted on
the phrases and every other tuning file, the project's own questions out of fold, 5 folds). With
that reading the matcher's whole verdict before H2 (:meth:`Matcher.verdict`: its own answer, the
opinion's rules, F, G) is computed, and for every answer H2 may act on (a content screen) the
features H2 reads at run time and whether the answered screen is right.

Proxy, never a question's own writer: the groups are the blind writers (one file each) and the
project's own questions' 5 folds (those of the readings). Each group's answers get their
probability from the model (scikit-learn's logistic regression, C 1, standardised features) fitted
on the other groups' answers. The rule, written before any figure (session 11's brief): per
script (Latin, Japanese) the cut-off is the most demoting one at which, over the script's
questions of the whole tuning part, right answers demoted are at most twice the wrong answers
demoted (out-of-scope answered included). ``--write`` fits the model on every answer, writes it
with those cut-offs and checks that the matcher loaded from the files gives the proxy's verdicts
with the final model. Figures: ``benchmarks/notes-s11-demote.md``. The readings are shared with F's
and G's fittings (:func:`benchmarks.writer_out.held_out_readings`, cached by what they read).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from retainment_bot.engine.classifier import Reading
from retainment_bot.engine.demote import Answered, Demote
from retainment_bot.engine.matcher import Matcher, Verdict
from retainment_bot.project import DEMOTE_FILE, Project
from tests.matcher_eval import LANGUAGES, Case, Figures, judge

from .fit_confidence import _Fixed
from .second_opinion import ROOT
from .writer_out import held_out_readings, with_opinion, writers

C = 1.0
RATIO = 2.0  # right answers demoted per wrong answer demoted, at most


@dataclass
class Row:
    case: Case
    group: str  # the blind writer's file, or the project's own questions' fold
    verdict: Verdict  # main's: the whole verdict before H2
    answer: Answered | None  # when H2 may act
    right: bool = False

    @property
    def japanese(self) -> bool:
        return self.answer is not None and self.answer.japanese


def groups() -> dict[Case, str]:
    """Each tuning question's group: its blind writer, or its fold of the project's own (as the
    readings' folds: :func:`benchmarks.writer_out.held_out_readings`)."""
    files = writers()
    out = {c: name for name, cases in files if name.startswith("blind") for c in cases}
    own = [c for name, cases in files if not name.startswith("blind") for c in cases]
    for k, (_, held) in enumerate(KFold(5, shuffle=True, random_state=0).split(own)):
        out.update({own[i]: f"_own{k}" for i in held})
    return out


def build_rows(matcher: Matcher, read: dict[Case, Reading]) -> list[Row]:
    by_case = groups()
    rows = []
    for _, cases in writers():
        for case in cases:
            whole = with_opinion(matcher, _Fixed(read[case]), {"demote": False})
            verdict, answer = whole.verdict(case.question, True)
            right = answer is not None and verdict.candidates[0].node in case.expected
            rows.append(Row(case, by_case[case], verdict, answer, right))
    return rows


def fit(rows: Sequence[Row]) -> Demote:
    x = np.array([r.answer.row for r in rows if r.answer is not None])
    y = np.array([r.right for r in rows if r.answer is not None])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    lr = LogisticRegression(C=C, max_iter=3000).fit((x - mean) / scale, y)
    coef = lr.coef_[0] / scale
    return Demote(tuple(float(w) for w in coef), float(lr.intercept_[0] - (coef * mean).sum()))


def held_out(rows: Sequence[Row]) -> dict[int, float]:
    """Each group's answers' probabilities from the model fitted on the other groups' answers."""
    probs: dict[int, float] = {}
    for group in sorted({r.group for r in rows}):
        model = fit([r for r in rows if r.group != group])
        for i, r in enumerate(rows):
            if r.group == group and r.answer is not None:
                probs[i] = model.probability(r.answer.row)
    return probs


def choose(rows: Sequence[Row], probs: dict[int, float], japanese: bool, ratio: float = RATIO) -> float:
    """The script's most demoting cut-off (demote below it) at which right answers demoted are at
    most ``ratio`` times the wrong ones (ties in probability demoted together)."""
    mine = sorted((p, i) for i, p in probs.items() if rows[i].japanese == japanese)
    right = wrong = 0
    cut = 0.0
    for index, (p, i) in enumerate(mine):
        right += rows[i].right
        wrong += not rows[i].right
        following = mine[index + 1][0] if index + 1 < len(mine) else 1.0
        if following > p and right <= ratio * wrong:
            cut = (p + following) / 2
    return cut


def verdict_with(row: Row, p: float | None, cut: float) -> Verdict:
    if p is not None and p < cut:
        return Verdict("suggest", row.verdict.candidates)
    return row.verdict


def figures(rows: Sequence[Row], probs: dict[int, float], cuts: tuple[float, float]) -> dict[str, Figures]:
    out = {key: Figures() for key in (*LANGUAGES, "all")}
    for i, row in enumerate(rows):
        v = verdict_with(row, probs.get(i), cuts[row.japanese])
        judge(row.case, v, out[row.case.lang])
        judge(row.case, v, out["all"])
    return out


def demoted(rows: Sequence[Row], probs: dict[int, float], cuts: tuple[float, float]) -> tuple[int, int]:
    """Right and wrong answers demoted."""
    hit = [rows[i] for i, p in probs.items() if p < cuts[rows[i].japanese]]
    return sum(r.right for r in hit), sum(not r.right for r in hit)


def nested(rows: Sequence[Row], probs: dict[int, float], ratio: float = RATIO) -> dict[str, Figures]:
    """Each group judged with cut-offs chosen on the other groups' held-out probabilities."""
    out = {key: Figures() for key in (*LANGUAGES, "all")}
    for group in sorted({r.group for r in rows}):
        others = {i: p for i, p in probs.items() if rows[i].group != group}
        cuts = (choose(rows, others, False, ratio), choose(rows, others, True, ratio))
        for i, row in enumerate(rows):
            if row.group == group:
                v = verdict_with(row, probs.get(i), cuts[row.japanese])
                judge(row.case, v, out[row.case.lang])
                judge(row.case, v, out["all"])
    return out


def line(by_lang: dict[str, Figures]) -> str:
    return " | ".join(
        f"{lang} {100 * f.share('top1'):.1f} L{100 * f.share('loose'):.1f} w{100 * f.share('wrong_confident'):.1f} "
        f"oos{f.oos_answered}/{f.out_of_scope}"
        for lang, f in by_lang.items()
    )


def report(rows: Sequence[Row], probs: dict[int, float], cuts: tuple[float, float], label: str) -> None:
    right, wrong = demoted(rows, probs, cuts)
    blind = [i for i, r in enumerate(rows) if r.group.startswith("blind")]
    sub = [rows[i] for i in blind]
    sub_probs = {k: probs[i] for k, i in enumerate(blind) if i in probs}
    b_right, b_wrong = demoted(sub, sub_probs, cuts)
    per = []
    for lang in LANGUAGES:
        mine = [i for i, r in enumerate(rows) if r.case.lang == lang]
        got = demoted([rows[i] for i in mine], {k: probs[i] for k, i in enumerate(mine) if i in probs}, cuts)
        per.append(f"{lang} {got[0]}/{got[1]}")
    print(f"{label}: cut {cuts[0]:.3f}/{cuts[1]:.3f} demoted right {right} wrong {wrong} (right/wrong {' '.join(per)})")
    print(f"  all tune   {line(figures(rows, probs, cuts))}")
    print(f"  blind only (right {b_right} wrong {b_wrong}) {line(figures(sub, sub_probs, cuts))}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fit_demote")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--ratio", type=float, default=RATIO, help="right answers demoted per wrong one, at most")
    args = parser.parse_args(argv)
    project = Project(ROOT)
    matcher = project.engine(cached=False).matcher
    assert matcher is not None
    phrases = project.search_phrases()
    read = held_out_readings([p.text for p in phrases], [p.node for p in phrases])
    rows = build_rows(matcher, read)
    usable = sum(r.answer is not None for r in rows)
    print(f"{len(rows)} questions, {usable} answers H2 may act on, {sum(r.right for r in rows)} right")
    probs = held_out(rows)
    report(rows, probs, (0.0, 0.0), "main (no demotion)")
    for cut in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        report(rows, probs, (cut, cut), f"cut {cut}")
    cuts = (choose(rows, probs, False, args.ratio), choose(rows, probs, True, args.ratio))
    report(rows, probs, cuts, f"CHOSEN (per script, right <= {args.ratio:g} x wrong)")
    print(f"  nested cut-offs: {line(nested(rows, probs, args.ratio))}", flush=True)
    if not args.write:
        return
    final = fit(rows)
    model = Demote(final.weights, final.bias, cuts[0], cuts[1])
    note = "Fitted by `python -m benchmarks.fit_demote --write` on tests/eval/tune (see its docstring)."
    (ROOT / DEMOTE_FILE).write_text(model.to_json(note), encoding="utf-8")
    print(f"wrote {DEMOTE_FILE}, cut-offs {cuts[0]:.4f} / {cuts[1]:.4f}")
    check(rows, read, Demote.from_json(model.to_json()))  # as read back: the file rounds


def check(rows: Sequence[Row], read: dict[Case, Reading], model: Demote) -> None:
    """The matcher loaded from the written file gives the rows' verdicts demoted by the final model."""
    matcher = Project(ROOT).engine(cached=False).matcher
    assert matcher is not None and matcher.demote == model
    same = 0
    for row in rows:
        expected = row.verdict
        if row.answer is not None and model.demotes(row.answer):
            expected = Verdict("suggest", row.verdict.candidates)
        same += with_opinion(matcher, _Fixed(read[row.case]), {}).match(row.case.question) == expected
    print(f"the proxy's verdicts = the matcher's with the written file: {same} of {len(rows)}")


if __name__ == "__main__":
    main()
