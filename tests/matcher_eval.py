"""The free-text evaluation: figures per part (``tune``, ``test``) and language.

    python -m tests.matcher_eval               # the table for both parts
    python -m tests.matcher_eval --part tune   # the tuning part only (what a tuner may look at)
    python -m tests.matcher_eval --misses      # and the tuning part's misses (never the test part's)

Definitions (a question's label is a node, a list of nodes, ``greeting``, ``thanks`` or
``out_of_scope``; a question labelled with a screen of the eligibility check is also answered by
the check's first screen):

- *top-1*: of the in-scope questions, the share the bot handles right directly: it **answers**
  with an acceptable screen (or recognises the greeting or thanks).
- *loose*: it answers with an acceptable screen, or its first suggestion is one.
- *wrong confident*: of all questions, the share answered with a screen that is not acceptable
  (an out-of-scope question answered counts here too).
- *oos answered*: out-of-scope questions answered with a screen.
- *unsure, right topic*: of the content questions the bot does not answer, the share whose
  suggestions include a screen of the right topic (no suggestion at all counts as a miss).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from retainment_bot.engine.matcher import Verdict

EVAL = Path(__file__).parent / "eval"
PARTS = ("tune", "test")
LANGUAGES = ("en", "vi", "ja")
SPECIAL = frozenset({"greeting", "thanks", "out_of_scope"})
CHECK = "eligibility.start"
# The test part's blind sets, also reported alone (blind3 to blind7 sessions 4 to 7; blind8 to blind12
# session 8; blind13 to blind16 session 10; blind17 to blind20 session 11; blind21 to blind29 session
# 12; blind30 to blind34 session 13; blind35 and blind36 session 15; blind37 to blind39 session 16;
# blind40 and blind41 session 17; blind42 and blind43 session 18).
FRESH = tuple(f"blind{n}" for n in range(3, 44))


@dataclass(frozen=True)
class Case:
    part: str
    lang: str
    question: str
    expected: frozenset[str]

    @property
    def label(self) -> str:
        return next(iter(self.expected)) if self.expected & SPECIAL else "content"

    @property
    def topics(self) -> frozenset[str]:
        return frozenset(node.split(".")[0] for node in self.expected)


def load_cases(part: str, only: str = "") -> list[Case]:
    """Every labelled question of one part (``questions_*.yaml``, ``blind_*.yaml``, ...), or only
    those of the files named ``{only}_*.yaml``."""
    return [case for path in sorted((EVAL / part).glob(f"{only or '*'}_*.yaml")) for case in file_cases(path, part)]


def file_cases(path: Path, part: str) -> list[Case]:
    """The labelled questions of one file ``<name>_<lang>.yaml`` (a writer's file, split or not)."""
    lang = path.stem.rsplit("_", 1)[1]
    cases = []
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        expected = entry["expect"] if isinstance(entry["expect"], list) else [entry["expect"]]
        expected = [str(node) for node in expected]
        if any(node.startswith("eligibility.") for node in expected):
            expected = [*expected, CHECK]
        cases.append(Case(part, lang, str(entry["q"]), frozenset(expected)))
    return cases


@dataclass
class Figures:
    """Counts for one part and language."""

    questions: int = 0
    in_scope: int = 0
    top1: int = 0
    loose: int = 0
    wrong_confident: int = 0
    out_of_scope: int = 0
    oos_answered: int = 0
    unsure: int = 0
    unsure_right_topic: int = 0
    misses: list[str] = field(default_factory=list)

    def share(self, name: str) -> float:
        """A figure as a share: top1, loose, wrong_confident or unsure_right_topic."""
        base = {"top1": self.in_scope, "loose": self.in_scope, "wrong_confident": self.questions}
        total = base.get(name, self.unsure)
        return getattr(self, name) / total if total else 1.0

    def line(self, name: str) -> str:
        return (
            f"{name:<9} {self.questions:>4}  top-1 {100 * self.share('top1'):5.1f}%  "
            f"loose {100 * self.share('loose'):5.1f}%  wrong-confident {100 * self.share('wrong_confident'):4.1f}%  "
            f"oos answered {self.oos_answered}/{self.out_of_scope}  "
            f"unsure→right topic {100 * self.share('unsure_right_topic'):5.1f}% ({self.unsure})"
        )


def judge(case: Case, verdict: Verdict, figures: Figures) -> None:
    """Add one question's outcome to ``figures``."""
    nodes = [c.node for c in verdict.candidates] if verdict.kind in ("answer", "suggest") else []
    answered = nodes[0] if verdict.kind == "answer" else None
    figures.questions += 1
    ok = False
    if case.label == "out_of_scope":
        figures.out_of_scope += 1
        figures.oos_answered += answered is not None
        figures.wrong_confident += answered is not None
        ok = answered is None and verdict.kind not in ("greeting", "thanks")
    elif case.label in ("greeting", "thanks"):
        figures.in_scope += 1
        ok = verdict.kind == case.label
        figures.top1 += ok
        figures.loose += ok
    else:
        figures.in_scope += 1
        ok = answered in case.expected
        figures.top1 += ok
        figures.loose += ok or (bool(nodes) and nodes[0] in case.expected)
        if answered is not None and not ok:
            figures.wrong_confident += 1
        if answered is None:
            figures.unsure += 1
            figures.unsure_right_topic += any(n.split(".")[0] in case.topics for n in nodes)
    if not ok:
        got = ", ".join(f"{c.node} {c.score}" for c in verdict.candidates) or "-"
        figures.misses.append(f"{case.lang} {verdict.kind:<8} {case.question!r} want {sorted(case.expected)} got {got}")


def evaluate(match: Callable[[str], Verdict], part: str, only: str = "") -> dict[str, Figures]:
    """Figures per language and for ``all`` of one part (or of its ``only`` files)."""
    figures = {key: Figures() for key in (*LANGUAGES, "all")}
    for case in load_cases(part, only):
        verdict = match(case.question)
        judge(case, verdict, figures[case.lang])
        judge(case, verdict, figures["all"])
    return figures


def table(match: Callable[[str], Verdict], parts: tuple[str, ...] = PARTS) -> str:
    """The report: one line per part and language."""
    lines = []
    for part in parts:
        figures = evaluate(match, part)
        lines += [figures[key].line(f"{part} {key}") for key in (*LANGUAGES, "all")]
    if "test" in parts:
        # The newest blind sets alone: the questions whose figures were first seen in sessions 4 to 8.
        for only in FRESH:
            figures = evaluate(match, "test", only)
            lines += [figures[key].line(f"{only} {key}") for key in (*LANGUAGES, "all")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """The command line. Unknown options are refused rather than ignored: ``--help`` once ran
    the test part for three tuners, where a tuner may only look at ``--part tune``."""
    import argparse

    from retainment_bot.project import Project

    parser = argparse.ArgumentParser(prog="python -m tests.matcher_eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=PARTS, help="one part only (a tuner: tune)")
    parser.add_argument("--misses", action="store_true", help="also list the tuning part's misses")
    args = parser.parse_args(argv)
    engine = Project(Path(__file__).resolve().parent.parent).engine()
    assert engine.matcher is not None
    print(table(engine.matcher.match, (args.part,) if args.part else PARTS))
    if args.misses:
        for miss in evaluate(engine.matcher.match, "tune")["all"].misses:
            print(miss)


if __name__ == "__main__":
    main()
