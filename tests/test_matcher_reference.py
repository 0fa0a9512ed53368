"""The shipped matcher's results, pinned: every ``tests/eval`` question (both parts) gets the
verdict and the ranking recorded in ``tests/matcher_reference.json``.

Speed work on the matcher's scoring must change no result; this says whether it did. The
fixture holds only a digest of each question and of its ranking, so the held-out questions'
text is copied nowhere. A deliberate change of results records a new reference:

    python -m tests.test_matcher_reference --record
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from retainment_bot.engine.matcher import Matcher
from tests.matcher_eval import PARTS, load_cases

REFERENCE = Path(__file__).parent / "matcher_reference.json"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def outcome(matcher: Matcher, question: str) -> dict[str, Any]:
    """What the matcher makes of one question: the verdict (kind, nodes, scores to 0.1) and a
    digest of the whole ranking (nodes, scores to 0.1) and its signals (to 1e-6)."""
    verdict = matcher.match(question)
    ranked, signals = matcher.ranking(question)
    shape = [
        [[node, round(score, 1)] for node, score in ranked],
        sorted((node, round(share, 6)) for node, share in signals.coverage.items()),
        round(signals.explained, 6),
        round(signals.weight, 6),
    ]
    return {
        "q": digest(question),
        "kind": verdict.kind,
        "candidates": [[c.node, round(c.score, 1)] for c in verdict.candidates],
        "ranking": digest(json.dumps(shape, ensure_ascii=False)),
    }


def outcomes(matcher: Matcher) -> dict[str, list[dict[str, Any]]]:
    return {part: [outcome(matcher, case.question) for case in load_cases(part)] for part in PARTS}


@pytest.fixture(scope="module")
def shipped() -> Matcher:
    from retainment_bot.project import Project

    matcher = Project().engine().matcher
    assert matcher is not None
    return matcher


@pytest.mark.parametrize("part", PARTS)
def test_results_equal_the_reference(shipped: Matcher, part: str) -> None:
    recorded = json.loads(REFERENCE.read_text(encoding="utf-8"))[part]
    found = [outcome(shipped, case.question) for case in load_cases(part)]
    assert len(found) == len(recorded)
    # Compared by index and question digest: a failure names neither the question nor its text.
    differing = [index for index, (got, want) in enumerate(zip(found, recorded, strict=True)) if got != want]
    assert not differing, (
        f"{part}: {len(differing)} questions changed, at indices {differing[:20]}; if the change is meant "
        "(new phrases, a scoring rule), judge it with `python -m tests.matcher_eval` and re-record with "
        "`python -m tests.test_matcher_reference --record`"
    )


if __name__ == "__main__" and "--record" in sys.argv:
    from retainment_bot.project import Project

    engine = Project().engine()
    assert engine.matcher is not None
    recorded = outcomes(engine.matcher)
    # One line a question: a changed result is a one-line diff.
    parts = [
        f'"{part}": [\n' + ",\n".join(json.dumps(entry) for entry in entries) + "\n]"
        for part, entries in recorded.items()
    ]
    REFERENCE.write_text("{\n" + ",\n".join(parts) + "\n}\n", encoding="utf-8")
    print(f"recorded {REFERENCE}")
