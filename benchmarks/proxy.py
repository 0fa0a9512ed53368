"""The tuning proxy: the tuning part judged as new writers would meet it, under the shipped
thresholds or others, and the moves between the two.

    python -m benchmarks.proxy                                   # the shipped thresholds' figures
    python -m benchmarks.proxy --set out_of_scope_veto=0.0       # and this setting's, and the moves
    python -m benchmarks.proxy --set menu_veto=inf --list        # and the questions that moved
    python -m benchmarks.proxy --readings in-sample              # the shipped classifier's readings

By default each question's classifier reading is one it was never fitted on: each blind writer's
file left out of the fit, the project's own questions out of fold
(:func:`benchmarks.writer_out.held_out_readings`, which needs the ``train`` extra and caches the
readings in the temporary directory: about 7 minutes the first time). ``--readings in-sample``
reads with the shipped classifier instead (it has seen these questions: no measure, but quick, and
what the test holds the wiring to). Only the thresholds change between the two sides
(``Thresholds`` field names; ``inf``, ``-inf``, ``true`` and ``false`` as Python reads them): a
change of phrases or code is compared by running this in two checkouts. The tuning part may be
read (``--list``); the test part never is here (``tests/eval/README.md``).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from retainment_bot.engine.classifier import Reading
from retainment_bot.engine.matcher import QUESTION_LIMIT, Matcher, Thresholds, Verdict
from retainment_bot.engine.normalize import clip, fold, hiragana
from retainment_bot.project import Project
from tests.matcher_eval import Case, load_cases

from .judge_set import moves_lines, report

ROOT = Path(__file__).resolve().parent.parent


def read_as_matcher(text: str) -> str:
    """The form in which :meth:`Matcher.match` hands a question to its second opinion."""
    return hiragana(fold(clip(text, QUESTION_LIMIT), kana=False))


class Readings:
    """A second opinion that answers from readings made beforehand (one per tuning question)."""

    def __init__(self, found: Mapping[Case, Reading]) -> None:
        self.table = {read_as_matcher(case.question): reading for case, reading in found.items()}

    def read(self, folded: str) -> Reading:
        return self.table[folded]


def setting(pairs: Sequence[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs as ``Thresholds`` fields; ``ValueError`` names a field it lacks."""
    fields = {field.name: field for field in dataclasses.fields(Thresholds)}
    found: dict[str, Any] = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        if name not in fields:
            raise ValueError(f"Thresholds has no field {name!r}")
        default = getattr(Thresholds(), name)
        if isinstance(default, bool):
            found[name] = {"true": True, "false": False}[text.lower()]
        else:
            found[name] = type(default)(float(text))
    return found


def under(matcher: Matcher, opinion: Any, changed: Mapping[str, Any]) -> Matcher:
    """``matcher`` with ``opinion`` for its second opinion and its thresholds ``changed``."""
    copied = copy.copy(matcher)
    object.__setattr__(copied, "second_opinion", opinion)
    object.__setattr__(copied, "thresholds", dataclasses.replace(matcher.thresholds, **changed))
    return copied


def in_sample(matcher: Matcher, cases: Sequence[Case]) -> dict[Case, Reading]:
    """The shipped classifier's readings of ``cases``."""
    assert matcher.second_opinion is not None
    return {case: matcher.second_opinion.read(read_as_matcher(case.question)) for case in cases}


def held_out(project: Project) -> dict[Case, Reading]:
    """Every tuning question's reading by a classifier that was not fitted on it (the train extra)."""
    from .writer_out import held_out_readings  # scikit-learn: only here

    phrases = project.search_phrases()
    return held_out_readings([p.text for p in phrases], [p.node for p in phrases])


def verdicts(matcher: Matcher, cases: Sequence[Case]) -> list[Verdict]:
    return [matcher.match(case.question) for case in cases]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.proxy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE", help="thresholds to compare")
    parser.add_argument("--readings", choices=("held-out", "in-sample"), default="held-out")
    parser.add_argument("--only", default="", help="only the tuning files named <ONLY>_<lang>.yaml")
    parser.add_argument("--list", action="store_true", help="also print each question that moved")
    args = parser.parse_args(argv)
    changed = setting(args.set)
    project = Project(ROOT)
    matcher = project.engine().matcher
    assert matcher is not None
    cases = load_cases("tune", args.only)
    found = in_sample(matcher, cases) if args.readings == "in-sample" else held_out(project)
    opinion = Readings(found)
    shipped = verdicts(under(matcher, opinion, {}), cases)
    figures, before = report("shipped", cases, shipped)
    print(figures)
    if not changed:
        return
    other = verdicts(under(matcher, opinion, changed), cases)
    figures, after = report("setting", cases, other)
    print(f"{figures}\nmoves (shipped -> {' '.join(args.set)}):")
    print("\n".join(moves_lines(before, after)))
    if args.list:
        for case, old, new in zip(cases, shipped, other, strict=True):
            if old != new:
                nodes = [c.node for c in new.candidates]
                print(f"  {case.lang} {case.question!r} want {sorted(case.expected)}: {old.kind} -> {new.kind} {nodes}")


if __name__ == "__main__":
    main()
