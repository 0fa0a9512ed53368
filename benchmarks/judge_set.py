"""Judge a blind set whole: this checkout's shipped matcher against another revision's.

    python -m benchmarks.judge_set /work/blind40/blind40                  # its figures
    python -m benchmarks.judge_set /work/blind40/blind40 --against main   # and main's, and the moves

The set is the writers' three files ``<prefix>_en.yaml``, ``_vi.yaml`` and ``_ja.yaml``, before
``tests.eval.split`` halves them. Every question is matched by the engine this checkout builds
(``Project(ROOT).engine()``: the shipped classifier and thresholds) and, with ``--against``, by the
engine of that revision, built in a temporary git worktree by a child process that imports only
that tree's code (any revision with ``Project.engine``). Printed: each side's figures per language
(``tests.matcher_eval``'s), then the *moves*: how many questions went from one outcome to another
(``unsure-topic -> right`` and so on), counts only. A candidate's rule in ``tests/eval/README.md``
is judged on these; a candidate that is a setting is compared by committing it on a branch.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from retainment_bot.engine.matcher import Candidate, Verdict
from retainment_bot.project import Project
from tests.matcher_eval import LANGUAGES, Case, Figures, file_cases, judge

ROOT = Path(__file__).resolve().parent.parent  # the checkout (not the train extra's second_opinion)
Outcomes = dict[str, str]  # "<lang>\t<question>" -> outcome
# What the child process runs in the other revision's tree: questions on stdin, verdicts out.
CHILD = """
import json, sys
from pathlib import Path
from retainment_bot.project import Project
matcher = Project(Path.cwd()).engine().matcher
verdicts = [matcher.match(question) for question in json.load(sys.stdin)]
json.dump([[v.kind, [c.node for c in v.candidates]] for v in verdicts], sys.stdout)
"""


def cases(prefix: Path) -> list[Case]:
    """The set's questions, its three files in order."""
    return [case for lang in LANGUAGES for case in file_cases(Path(f"{prefix}_{lang}.yaml"), "blind")]


def outcome(case: Case, verdict: Verdict) -> str:
    """What the bot did with one question, as the rules count it."""
    nodes = [c.node for c in verdict.candidates] if verdict.kind in ("answer", "suggest") else []
    if case.label == "out_of_scope":
        return "oos-answered" if verdict.kind == "answer" else ("oos-button" if nodes else "oos-none")
    if case.label in ("greeting", "thanks"):
        return "right" if verdict.kind == case.label else "missed"
    if verdict.kind == "answer":
        return "right" if nodes[0] in case.expected else "wrong"
    return "unsure-topic" if any(node.split(".")[0] in case.topics for node in nodes) else "unsure-none"


def here(questions: list[Case]) -> list[Verdict]:
    """This checkout's verdicts."""
    matcher = Project(ROOT).engine().matcher
    assert matcher is not None
    return [matcher.match(case.question) for case in questions]


def elsewhere(questions: list[Case], revision: str) -> list[Verdict]:
    """``revision``'s verdicts: its tree in a temporary worktree, matched by a child process."""
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), revision], cwd=ROOT, check=True)
        try:
            child = subprocess.run(
                [sys.executable, "-c", CHILD],
                input=json.dumps([case.question for case in questions]),
                capture_output=True,
                text=True,
                cwd=tree,
                env={**os.environ, "PYTHONPATH": str(tree)},
                check=True,
            )
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=True)
    return [Verdict(kind, tuple(Candidate(node, 0.0) for node in nodes)) for kind, nodes in json.loads(child.stdout)]


def report(name: str, questions: list[Case], verdicts: list[Verdict]) -> tuple[str, Outcomes]:
    """The figures (one line per language and ``all``) and every question's outcome."""
    figures = {key: Figures() for key in (*LANGUAGES, "all")}
    outcomes: Outcomes = {}
    for case, verdict in zip(questions, verdicts, strict=True):
        judge(case, verdict, figures[case.lang])
        judge(case, verdict, figures["all"])
        outcomes[f"{case.lang}\t{case.question}"] = outcome(case, verdict)
    return "\n".join(figures[key].line(f"{name} {key}") for key in (*LANGUAGES, "all")), outcomes


def moves(before: Outcomes, after: Outcomes) -> Counter[tuple[str, str, str]]:
    """(language, outcome before, outcome after) -> how many questions moved so."""
    return Counter((key.split("\t", 1)[0], before[key], after[key]) for key in after if before.get(key) != after[key])


def moves_lines(before: Outcomes, after: Outcomes) -> list[str]:
    """:func:`moves` as printed: one line per (language, outcome before, outcome after), or none."""
    found = moves(before, after)
    lines = [f"  {lang}  {was} -> {now}: {count}" for (lang, was, now), count in sorted(found.items())]
    return lines or ["  none"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.judge_set", description=__doc__.split("\n\n")[0])
    parser.add_argument("prefix", type=Path, help="the set's files without _<lang>.yaml, e.g. /work/blind40/blind40")
    parser.add_argument("--against", metavar="REV", help="a git revision to compare with (main, a commit)")
    args = parser.parse_args(argv)
    questions = cases(args.prefix)
    figures, outcomes = report(args.prefix.name, questions, here(questions))
    if not args.against:
        print(figures)
        return
    their_figures, theirs = report(args.prefix.name, questions, elsewhere(questions, args.against))
    print(f"{args.against}:\n{their_figures}\nthis checkout:\n{figures}\nmoves ({args.against} -> this checkout):")
    print("\n".join(moves_lines(theirs, outcomes)))


if __name__ == "__main__":
    main()
