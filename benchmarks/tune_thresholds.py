"""Search the verdict's thresholds on the tuning part of tests/eval (never the test part).

    python -m benchmarks.tune_thresholds

Ranks each tuning question once, then replays :meth:`Matcher.decide` over a grid. Prints, for
each script (Latin or Japanese) and answer threshold, the best setting (most right direct
answers, a wrong one costing three) with its figures. The rule used for the shipped
thresholds: the lowest answer threshold whose wrong-and-confident share on the tuning part is
at most 1.5% with no out-of-scope question answered, for each script.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

from retainment_bot.engine.matcher import _CJK, Verdict
from retainment_bot.engine.normalize import fold
from retainment_bot.project import Project
from tests.matcher_eval import Figures, judge, load_cases

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    matcher = Project(ROOT).engine().matcher
    assert matcher is not None
    prepared = []
    for case in load_cases("tune"):
        folded = fold(case.question)
        small = matcher._smalltalk(folded)
        japanese = bool(_CJK.search(case.question))
        prepared.append((case, small, matcher.rank(case.question), matcher.blocks_answer(case.question), japanese))
    best: dict[tuple[str, int], tuple[int, tuple[int, ...], str]] = {}
    # The suggestion thresholds change only what is suggested, never what is answered.
    for script, answer, margin in itertools.product(("latin", "japanese"), range(30, 90, 5), range(2, 22, 4)):
        limits = replace(matcher.thresholds, answer=answer, answer_japanese=answer, margin=margin)
        figures = Figures()
        for case, small, ranked, off, japanese in prepared:
            if japanese != (script == "japanese"):
                continue
            judge(case, Verdict(small) if small else matcher.decide(ranked, off, limits, japanese), figures)
        key = figures.top1 - 3 * figures.wrong_confident
        if (script, answer) not in best or key > best[(script, answer)][0]:
            best[(script, answer)] = (key, (answer, margin), figures.line(f"tune {script}"))
    print("(answer, margin)")
    for _, settings, line in best.values():
        print(settings, line)


if __name__ == "__main__":
    main()
