"""Search the verdict's thresholds on the tuning part of tests/eval (never the test part).

    python -m benchmarks.tune_thresholds

Ranks each tuning question once, then replays :meth:`Matcher.decide` over a grid. Prints, for
each answer threshold, the best setting (most right direct answers, a wrong one costing three),
with its figures; choose the lowest threshold with no wrong answer on the tuning part, then
leave a safety margin (questions written by others score lower than the tuning part).
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

from bot.engine.matcher import Verdict
from bot.engine.normalize import fold
from bot.project import Project
from tests.matcher_eval import Figures, judge, load_cases

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    matcher = Project(ROOT).engine().matcher
    assert matcher is not None
    prepared = []
    for case in load_cases("tune"):
        folded = fold(case.question)
        small = matcher._smalltalk(folded)
        prepared.append((case, small, matcher.rank(case.question), matcher._off_topic(folded)))
    best: dict[int, tuple[int, tuple[int, ...], str]] = {}
    for answer, margin, suggest, window in itertools.product(
        range(30, 80, 5), range(2, 22, 2), range(25, 45, 5), range(10, 45, 5)
    ):
        limits = replace(matcher.thresholds, answer=answer, margin=margin, suggest=suggest, window=window)
        figures = Figures()
        for case, small, ranked, off in prepared:
            judge(case, Verdict(small) if small else matcher.decide(ranked, off, limits), figures)
        key = figures.top1 - 3 * figures.wrong_confident
        if answer not in best or key > best[answer][0]:
            best[answer] = (key, (answer, margin, suggest, window), figures.line("tune"))
    print("(answer, margin, suggest, window)")
    for _, settings, line in best.values():
        print(settings, line)


if __name__ == "__main__":
    main()
