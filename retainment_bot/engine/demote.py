"""Candidate H2 (issue 12, session 11): a likely-wrong answer only suggested.

Wrong answers (an answer with a wrong screen, out-of-scope questions answered included) cost a
worker more than a question back. After the matcher's whole decision (its own answer, the
classifier's agreement or preferred choice, candidate F's confident verdict in
:mod:`retainment_bot.engine.confidence`, candidate G's check in :mod:`retainment_bot.engine.rerank`),
an answer with a content screen (never the main menu, never small talk) gets a probability of
being right from a logistic model over :data:`FEATURES`: F's features of the answered verdict's
candidates (the matcher's scores and gaps, the coverage, the classifier's values), which path
answered (:data:`PATHS`) and the script. Below the script's cut-off the answer becomes a
suggestion of the same candidates, the answered screen first: a right answer demoted costs one tap.

The weights and cut-offs are data (``search/demote.json``), fitted with scikit-learn by
``python -m benchmarks.fit_demote --write`` on the tuning part only; the cut-offs are chosen on a
proxy that never uses a question's own writer (the classifier's values and this model both fitted
without that writer) as the most demoting at which right answers demoted are at most twice the
wrong ones (``benchmarks/notes-s11-demote.md``). At run time: pure Python, a dot product and an
exponential. Switched off by ``Thresholds.demote = False`` or by removing the file (exactly the
verdicts before H2).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from retainment_bot.engine.confidence import FEATURES as CONFIDENCE_FEATURES

# Bumped when the file's layout or the features' meaning changes.
FORMAT = 1
# Who answered: the matcher alone, the classifier agreeing with its first suggestion, the
# classifier's sure choice preferred over it, candidate F, candidate G's check.
Path = Literal["matcher", "agreement", "preferred", "confidence", "rerank"]
PATHS: tuple[Path, ...] = ("matcher", "agreement", "preferred", "confidence", "rerank")
FEATURES = (*CONFIDENCE_FEATURES, *(f"by_{path}" for path in PATHS), "japanese")


@dataclass(frozen=True)
class Answered:
    """An answer H2 may act on: its row of :data:`FEATURES` and its script."""

    row: tuple[float, ...]
    japanese: bool


def answered(found: Mapping[str, float], path: Path, japanese: bool) -> Answered:
    """The answer's features: F's (``found``, :func:`retainment_bot.engine.confidence.features` of
    the answered verdict's candidates), who answered (``path``) and the script."""
    row = [found[name] for name in CONFIDENCE_FEATURES]
    row += [float(path == one) for one in PATHS]
    row.append(float(japanese))
    return Answered(tuple(row), japanese)


@dataclass(frozen=True)
class Demote:
    """A logistic model over :data:`FEATURES` (in this order) and, per script, the probability
    below which an answer is only suggested."""

    weights: tuple[float, ...]
    bias: float
    latin: float = 0.0
    japanese: float = 0.0

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"{len(self.weights)} weights for {len(FEATURES)} features")

    def probability(self, row: Sequence[float]) -> float:
        """The probability that the answered screen is right."""
        z = self.bias + sum(w * x for w, x in zip(self.weights, row, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def demotes(self, answer: Answered) -> bool:
        """Whether the answer is likely enough wrong to be only suggested."""
        return self.probability(answer.row) < (self.japanese if answer.japanese else self.latin)

    @classmethod
    def from_json(cls, text: str) -> Demote:
        """Read ``search/demote.json``; a malformed file raises ``ValueError``."""
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
            weights: Mapping[str, Any] = data["weights"]
            if set(weights) != set(FEATURES):
                raise ValueError(f"features {sorted(weights)}, expected {sorted(FEATURES)}")
            cutoffs = data["cutoff"]
            return cls(
                tuple(float(weights[name]) for name in FEATURES),
                float(data["bias"]),
                float(cutoffs["latin"]),
                float(cutoffs["japanese"]),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed demote file: {exc!r}") from exc

    def to_json(self, note: str = "") -> str:
        data = {
            "format": FORMAT,
            "note": note,
            "bias": round(self.bias, 6),
            "cutoff": {"latin": round(self.latin, 6), "japanese": round(self.japanese, 6)},
            "weights": {name: round(w, 6) for name, w in zip(FEATURES, self.weights, strict=True)},
        }
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
