"""The free-text matcher against the labelled evaluation set in tests/eval/ (questions written the
way workers type, by native speakers, independently of the search phrases).

Targets (issue 4): top-1 accuracy >= 90%, wrong confident answers <= 3%, out-of-scope questions
answered with content 0%. The figures are printed per language.

A question labelled with a screen inside the eligibility check (a question or a personal result)
is also answered correctly by the check's first screen: the bot never jumps to a personal result
without asking the questions that decide it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.engine.engine import Engine
from bot.engine.matcher import Verdict

EVAL = Path(__file__).parent / "eval"
SPECIAL = {"greeting", "thanks", "out_of_scope"}
CHECK = "eligibility.start"


@dataclass(frozen=True)
class Case:
    lang: str
    question: str
    expected: frozenset[str]

    @property
    def label(self) -> str:
        return next(iter(self.expected)) if self.expected & SPECIAL else "content"


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(EVAL.glob("*/questions_*.yaml")):
        lang = path.stem.removeprefix("questions_")
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            expected = entry["expect"] if isinstance(entry["expect"], list) else [entry["expect"]]
            if any(node.startswith("eligibility.") for node in expected):
                expected = [*expected, CHECK]
            cases.append(Case(lang, str(entry["q"]), frozenset(expected)))
    return cases


def judge(case: Case, verdict: Verdict) -> tuple[bool, bool, bool]:
    """(correct at top 1, a wrong confident answer, out of scope answered with content)."""
    top = verdict.candidates[0].node if verdict.candidates else None
    if case.label in ("greeting", "thanks"):
        return verdict.kind == case.label, verdict.kind == "answer", False
    if case.label == "out_of_scope":
        answered = verdict.kind == "answer"
        return not answered and verdict.kind not in ("greeting", "thanks"), answered, answered
    correct = verdict.kind in ("answer", "suggest") and top in case.expected
    return correct, verdict.kind == "answer" and top not in case.expected, False


@dataclass
class Figures:
    total: int = 0
    correct: int = 0
    wrong_confident: int = 0
    out_of_scope: int = 0
    out_of_scope_answered: int = 0

    def line(self, name: str) -> str:
        return (
            f"{name:<6} {self.total:>4} questions  top-1 {100 * self.correct / self.total:5.1f}%  "
            f"wrong confident {100 * self.wrong_confident / self.total:4.1f}%  "
            f"out-of-scope answered {self.out_of_scope_answered}/{self.out_of_scope}"
        )


def evaluate(engine: Engine) -> tuple[dict[str, Figures], list[str]]:
    assert engine.matcher is not None
    figures: dict[str, Figures] = {}
    misses: list[str] = []
    for case in load_cases():
        verdict = engine.matcher.match(case.question)
        correct, wrong, answered = judge(case, verdict)
        for key in (case.lang, "all"):
            row = figures.setdefault(key, Figures())
            row.total += 1
            row.correct += correct
            row.wrong_confident += wrong
            row.out_of_scope += case.label == "out_of_scope"
            row.out_of_scope_answered += answered
        if not correct:
            got = ", ".join(f"{c.node} {c.score}" for c in verdict.candidates) or "-"
            misses.append(f"{case.lang} {verdict.kind:<8} {case.question!r} expected {sorted(case.expected)} got {got}")
    return figures, misses


def test_the_evaluation_set_is_large_and_covers_every_language() -> None:
    cases = load_cases()
    assert len(cases) >= 200
    assert {case.lang for case in cases} == {"en", "vi", "ja"}
    for lang in ("en", "vi", "ja"):
        mine = [case for case in cases if case.lang == lang]
        assert sum(case.label == "out_of_scope" for case in mine) >= 15
        assert sum(case.label == "content" for case in mine) >= 80


def test_free_text_matching_meets_its_targets(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    figures, misses = evaluate(engine)
    report = "\n".join(figures[key].line(key) for key in ("en", "vi", "ja", "all"))
    with capsys.disabled():
        print("\n" + report)
    total = figures["all"]
    assert total.correct / total.total >= 0.90, report + "\n" + "\n".join(misses)
    assert total.wrong_confident / total.total <= 0.03, report + "\n" + "\n".join(misses)
    assert total.out_of_scope_answered == 0, report + "\n" + "\n".join(misses)
