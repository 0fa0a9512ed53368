"""The calibrated verdict: how likely the matcher's first choice is right, from the shape of its
candidate list.

When the close candidates agree on a topic (:meth:`Matcher._agreed <retainment_bot.engine.matcher.Matcher>`),
a logistic model per script (Latin words and Japanese characters score differently) turns the
features of the candidate list into the probability that the chosen screen is right, and the
matcher answers above the model's cut-off. The weights and cut-offs are data
(``search/verdict.json``), fitted on the tuning part of ``tests/eval`` and checked by nested
cross-validation with ``python -m benchmarks.fit_verdict``. The features are what a person would
look at — the best score, how far the best node of *another* topic trails, whether the top
candidates share a topic, how much of the question the chosen node's phrases cover and how much
no phrase explains, the script, the length; the shipped models weigh only the first two, because
the richer sets answered more wrongly in cross-validation (``tests/eval/README.md``). Pure
Python: a dot product and an exponential per question, nothing loaded but a small JSON file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# The features, in the order the weights file lists them.
FEATURES = (
    "best",
    "best_over_50",
    "best_over_60",
    "best_over_70",
    "chosen",
    "rival_gap",
    "rival_gap_10",
    "single_topic",
    "second_gap",
    "close_topics",
    "top3_topic",
    "coverage",
    "explained",
    "unexplained",
    "length",
    "japanese",
    "entry",
    "rule",
    "nodes",
)
# How close (in score points) a node must be to count as a close rival of another topic.
CLOSE = 10.0


@dataclass(frozen=True)
class Signals:
    """What the ranking saw besides the scores: for each node the share of the question's weight
    its phrases cover, the share any node explains, and the question's weight (content words, or
    Japanese characters with particles counting little)."""

    coverage: Mapping[str, float] = field(default_factory=dict)
    explained: float = 0.0
    weight: float = 0.0


@dataclass(frozen=True)
class Model:
    """A logistic model over :data:`FEATURES` and the probability above which to answer."""

    weights: Mapping[str, float]
    bias: float
    cutoff: float = 0.5

    def probability(self, features: Mapping[str, float]) -> float:
        """The probability that the chosen node is a right answer."""
        z = self.bias + sum(self.weights.get(name, 0.0) * value for name, value in features.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Model:
        weights = {str(name): float(value) for name, value in data["weights"].items()}
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown features {sorted(unknown)}")
        return cls(weights, float(data["bias"]), float(data["cutoff"]))

    def to_data(self) -> dict[str, Any]:
        return {
            "bias": round(self.bias, 6),
            "cutoff": round(self.cutoff, 4),
            "weights": {name: round(self.weights[name], 6) for name in FEATURES if name in self.weights},
        }


@dataclass(frozen=True)
class Calibration:
    """One model for questions in Latin script and one for Japanese script: words and character
    alignment score differently, and a wrong Japanese answer should not make the bot shy in
    Vietnamese."""

    latin: Model
    japanese: Model

    def model(self, features: Mapping[str, float]) -> Model:
        """The model for a question with these features."""
        return self.japanese if features.get("japanese") else self.latin

    def answers(self, features: Mapping[str, float]) -> bool:
        """Whether the chosen node is likely enough right to answer with it."""
        model = self.model(features)
        return model.probability(features) >= model.cutoff

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        """Read the weights file written by :meth:`to_json`."""
        data = json.loads(text)
        return cls(Model.from_data(data["latin"]), Model.from_data(data["japanese"]))

    def to_json(self, note: str = "") -> str:
        data = {"note": note, "latin": self.latin.to_data(), "japanese": self.japanese.to_data()}
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def _topic(node: str) -> str:
    return node.split(".", 1)[0]


def features(
    ranked: Sequence[tuple[str, float]],
    chosen: str,
    signals: Signals,
    rule: bool,
    japanese: bool,
    entries: Collection[str],
) -> dict[str, float]:
    """The features of a ranked candidate list for answering with ``chosen`` (the best node, or
    a topic's first screen the close candidates agree on); ``rule`` when the hand thresholds
    alone would answer."""
    best = ranked[0][1]
    topic = _topic(chosen)
    scores = dict(ranked)
    rival = next((score for node, score in ranked if _topic(node) != topic), 0.0)
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    close = {_topic(node) for node, score in ranked if score >= best - CLOSE}
    top3 = ranked[:3]
    explained = signals.explained
    return {
        "best": best / 100,
        "best_over_50": max(0.0, best - 50) / 100,
        "best_over_60": max(0.0, best - 60) / 100,
        "best_over_70": max(0.0, best - 70) / 100,
        "chosen": scores.get(chosen, 0.0) / 100,
        "rival_gap": min(best - rival, 30.0) / 100,
        "rival_gap_10": float(best - rival >= 10),
        "single_topic": float(all(_topic(node) == topic for node, _ in ranked)),
        "second_gap": min(best - second, 30.0) / 100,
        "close_topics": float(len(close - {topic})),
        "top3_topic": sum(_topic(node) == topic for node, _ in top3) / len(top3),
        "coverage": signals.coverage.get(chosen, 0.0),
        "explained": explained,
        "unexplained": (1 - explained) * math.log1p(signals.weight),
        "length": math.log1p(signals.weight),
        "japanese": float(japanese),
        "entry": float(chosen in entries),
        "rule": float(rule),
        "nodes": math.log1p(len(ranked)),
    }


def fit(
    rows: Sequence[tuple[Mapping[str, float], int]],
    names: Sequence[str] = FEATURES,
    l2: float = 1.0,
    steps: int = 30,
) -> tuple[dict[str, float], float]:
    """Logistic regression by Newton's method with an L2 penalty (not on the bias): the weights
    of the features ``names`` and the bias for ``rows`` of (features, 1 if the chosen node was
    right else 0)."""
    names = list(names)
    size = len(names) + 1
    matrix = [[row[name] for name in names] + [1.0] for row, _ in rows]
    labels = [label for _, label in rows]
    theta = [0.0] * size
    for _ in range(steps):
        gradient = [0.0] * size
        hessian = [[0.0] * size for _ in range(size)]
        for x, y in zip(matrix, labels, strict=True):
            z = sum(t * v for t, v in zip(theta, x, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            w = p * (1 - p)
            for i in range(size):
                gradient[i] += (p - y) * x[i]
                row = hessian[i]
                wx = w * x[i]
                for j in range(i, size):
                    row[j] += wx * x[j]
        for i in range(size):
            for j in range(i):
                hessian[i][j] = hessian[j][i]
        for i in range(size - 1):
            gradient[i] += l2 * theta[i]
            hessian[i][i] += l2
        step = _solve(hessian, gradient)
        theta = [t - s for t, s in zip(theta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-7:
            break
    return dict(zip(names, theta[:-1], strict=True)), theta[-1]


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """``a x = b`` by Gaussian elimination with partial pivoting (``a`` is small and positive definite)."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            factor = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= factor * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x
