"""Candidate G (issue 12, session 10): a learned re-ranking of the matcher's candidates, a better
*first choice* where candidate F (:mod:`retainment_bot.engine.confidence`) leaves a question unsure.

The classifier's second opinion (:mod:`retainment_bot.engine.classifier`) is right more often than
the matcher's first suggestion on the questions the matcher only suggests. For a question the
matcher alone only suggests, the second opinion leaves a suggestion (never one with an off-topic
word, never the main menu first) and F does not answer, the candidates are the suggestions, the
best ``k`` content screens of the matcher's ranking and the classifier's first choice (when a
content screen). Each gets a linear score (a logistic model, pointwise: "this candidate is
right") from :data:`FEATURES`: its matcher score, rank and gap to the best and to the first
suggestion, its coverage, the classifier's value for it, its gap to the classifier's best and to
the first suggestion's value, its rank among the candidates by that value, whether it is the
classifier's first choice or of its topic, whether it is a topic's first screen, of the first
suggestion's topic, and the script. When the best-scored candidate is not the first suggestion and
beats it by ``margin``, it is put first; the other suggestions follow, those of its topic dropped
(suggestions stay of distinct topics, at most as many as before). Then G's own check (F's model
and features, refitted on G's order of the questions F leaves, with stricter cut-offs) may answer
the new first suggestion. Main menu and non-screens (out of scope, small talk) are never
candidates; answers (the matcher's, the agreement's, the veto's, candidate E's, F's) are never
touched, so G only re-orders suggestions and adds answers.

The weights, the check's model and its cut-offs are data (``search/rerank.json``), fitted with
scikit-learn by ``python -m benchmarks.fit_rerank --write`` on the tuning part only, the
classifier's values and F's probabilities left one writer out (``benchmarks/notes-s10-rerank.md``).
At run time: pure Python, about a dozen candidates times 16 multiplications. Switched off by
``Thresholds.rerank = False`` or by removing the file (exactly the matcher without G); with
``Thresholds.rerank_check = False`` G only re-orders (every answer as without G), and with
``Thresholds.confidence = False`` neither F nor G's check answers.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from retainment_bot.engine.confidence import Confidence, Model

# Bumped when the file's layout or the features' meaning changes.
FORMAT = 1
FEATURES = (
    "score",
    "gap",
    "below_first",
    "rank",
    "is_first",
    "suggested",
    "coverage",
    "cls",
    "cls_gap",
    "cls_over_first",
    "cls_choice",
    "cls_topic",
    "cls_rank",
    "entry",
    "first_topic",
    "japanese",
)
# How far down the matcher's ranking a candidate's rank is read (deeper ones count as this).
DEPTH = 40
# A label the classifier has no value for counts as this.
LOW = -2.0


def _topic(node: str) -> str:
    return node.split(".", 1)[0]


def candidates(
    ranked: Sequence[tuple[str, float]],
    suggested: Sequence[str],
    best_label: str,
    excluded: Collection[str],
    k: int,
) -> list[str]:
    """The suggestions, then the best ``k`` nodes of ``ranked`` and the classifier's first choice
    ``best_label``, none of them in ``excluded`` (main menu, non-screens), each once."""
    out = list(suggested)
    seen = set(out)
    taken = 0
    for node, _ in ranked:
        if taken >= k:
            break
        if node in excluded:
            continue
        taken += 1
        if node not in seen:
            out.append(node)
            seen.add(node)
    if best_label not in excluded and best_label not in seen:
        out.append(best_label)
    return out


def features(
    ranked: Sequence[tuple[str, float]],
    nodes: Sequence[str],
    suggested: Collection[str],
    coverage: Mapping[str, float],
    values: Mapping[str, float],
    best_label: str,
    entries: Collection[str],
    japanese: bool,
) -> list[list[float]]:
    """One row of :data:`FEATURES` per candidate of ``nodes`` (the first is the first suggestion)."""
    scores: dict[str, float] = {}
    places: dict[str, int] = {}
    for index, (node, score) in enumerate(ranked[:DEPTH]):
        scores.setdefault(node, score)
        places.setdefault(node, index)
    best = ranked[0][1] if ranked else 0.0
    top = max(values.values(), default=LOW)
    first = nodes[0]
    first_score, first_value = scores.get(first, 0.0), values.get(first, LOW)
    by_value = sorted(nodes, key=lambda n: -values.get(n, LOW))
    value_rank = {node: index for index, node in enumerate(by_value)}
    rows = []
    for index, node in enumerate(nodes):
        score, value = scores.get(node, 0.0), values.get(node, LOW)
        rows.append(
            [
                score / 100,
                min(max(best - score, 0.0), 40.0) / 100,
                (first_score - score) / 100,
                min(places.get(node, DEPTH), DEPTH) / 10,
                float(index == 0),
                float(node in suggested),
                coverage.get(node, 0.0),
                max(-2.0, min(2.0, value)),
                min(top - value, 3.0),
                max(-3.0, min(3.0, value - first_value)),
                float(best_label == node),
                float(_topic(best_label) == _topic(node)),
                min(value_rank[node], 5) / 5,
                float(node in entries),
                float(_topic(node) == _topic(first)),
                float(japanese),
            ]
        )
    return rows


@dataclass(frozen=True)
class Rerank:
    """A linear score per candidate over :data:`FEATURES` (in this order), how many of the
    ranking's screens are candidates (``k``) and by how much a candidate must beat the first
    suggestion to replace it (``margin``); with G's own check (``confidence``): F's model
    refitted on the new order of the questions F leaves unsure, with its cut-offs."""

    weights: tuple[float, ...]
    bias: float
    margin: float
    k: int
    # G's own check: F's model refitted on G's order of the questions F leaves unsure.
    confidence: Confidence | None = None

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"{len(self.weights)} weights for {len(FEATURES)} features")
        if self.k < 0:
            raise ValueError(f"k {self.k} < 0")

    def score(self, row: Sequence[float]) -> float:
        return self.bias + sum(w * x for w, x in zip(self.weights, row, strict=True))

    def choose(self, rows: Sequence[Sequence[float]]) -> int:
        """The index of the candidate to put first: 0 (the first suggestion) unless another's score
        beats it by at least ``margin`` (the best such one, the earliest on a tie)."""
        scores = [self.score(row) for row in rows]
        chosen = 0
        for index, value in enumerate(scores):
            if value > scores[chosen]:
                chosen = index
        return chosen if chosen and scores[chosen] - scores[0] >= self.margin else 0

    @classmethod
    def from_json(cls, text: str) -> Rerank:
        """Read ``search/rerank.json``; a malformed file raises ``ValueError``."""
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
            weights: Mapping[str, Any] = data["weights"]
            if set(weights) != set(FEATURES):
                raise ValueError(f"features {sorted(weights)}, expected {sorted(FEATURES)}")
            refitted = data.get("confidence")
            confidence = (
                None
                if refitted is None
                else Confidence(Model.from_data(refitted["latin"]), Model.from_data(refitted["japanese"]))
            )
            return cls(
                tuple(float(weights[name]) for name in FEATURES),
                float(data["bias"]),
                float(data["margin"]),
                int(data["k"]),
                confidence,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed rerank file: {exc!r}") from exc

    def to_json(self, note: str = "") -> str:
        data = {
            "format": FORMAT,
            "note": note,
            "bias": round(self.bias, 6),
            "margin": round(self.margin, 6),
            "k": self.k,
            "weights": {name: round(w, 6) for name, w in zip(FEATURES, self.weights, strict=True)},
        }
        if self.confidence is not None:
            data["confidence"] = {
                "latin": self.confidence.latin.to_data(),
                "japanese": self.confidence.japanese.to_data(),
            }
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
