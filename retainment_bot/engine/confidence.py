"""Candidate F (issue 12, session 10): a verdict from the matcher's ranking *and* the classifier's
decision values, answering a suggestion whose first screen is likely right.

The matcher answers when its close candidates agree and the best score reaches a threshold; the
classifier's second opinion (:mod:`retainment_bot.engine.classifier`) answers a few more
suggestions. Many questions still end as "not sure" with the right screen first. For a question
the matcher alone only suggests and the second opinion leaves a suggestion (never one with an
off-topic word, never the main menu), a logistic model (one per script in the file; the shipped
one fitted on both, with a cut-off each) gives the probability that the first suggestion is right
from :data:`FEATURES`: the matcher's scores and gaps, how much of the
question the screen's phrases cover, the classifier's value for that screen, its own first choice
and margin, and a few products of those (``"a*b"`` in the file). At or above the script's
cut-off the first suggestion is answered, the other suggestions kept behind it.

The weights and cut-offs are data (``search/confidence.json``), fitted with scikit-learn by
``python -m benchmarks.fit_confidence --write`` on the tuning part only, the classifier's values
taken left one writer out (and out of fold for the project's own questions), never in sample;
the cut-offs are chosen so that, left one writer out, no language answers more wrongly or more
out-of-scope questions than the shipped matcher (``benchmarks/notes-s10-verdict.md``). At run
time: pure Python, a dot product and an exponential (a few microseconds). Switched off by
``Thresholds.confidence = False`` or by removing the file.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Bumped when the file's layout or the features' meaning changes.
FORMAT = 1
FEATURES = (
    "best",
    "first",
    "first_gap",
    "rival_gap",
    "coverage",
    "explained",
    "length",
    "entry",
    "suggested",
    "cls_first",
    "cls_best",
    "cls_margin",
    "cls_agree",
    "cls_topic",
    "cls_gap",
    "cls_oos",
)


def _topic(node: str) -> str:
    return node.split(".", 1)[0]


def features(
    ranked: Sequence[tuple[str, float]],
    suggested: Sequence[str],
    coverage: Mapping[str, float],
    explained: float,
    weight: float,
    entries: Collection[str],
    values: Mapping[str, float],
    best_label: str,
) -> dict[str, float]:
    """The features of a suggestion list (``suggested``, the first one the screen to answer with)
    given the matcher's ``ranked`` nodes and the ranking's signals (``coverage`` per node, the
    share ``explained``, the question's ``weight``), and the classifier's decision ``values`` per
    label with its first choice ``best_label``."""
    first = suggested[0]
    topic = _topic(first)
    best = ranked[0][1]
    # One pass over the ranking, stopping when all three are found: the first screen's score,
    # the best of another topic, the second suggestion's.
    after = suggested[1] if len(suggested) > 1 else None
    own = other = second = None
    for node, score in ranked:
        if own is None and node == first:
            own = score
        if other is None and _topic(node) != topic:
            other = score
        if second is None and node == after:
            second = score
        if own is not None and other is not None and (second is not None or after is None):
            break
    own, other, second = own or 0.0, other or 0.0, second or 0.0
    top, runner = _two(values.values())
    mine = values.get(first, top)
    return {
        "best": best / 100,
        "first": own / 100,
        "first_gap": min(max(own - second, 0.0), 40.0) / 100,
        "rival_gap": min(max(best - other, 0.0), 40.0) / 100,
        "coverage": coverage.get(first, 0.0),
        "explained": explained,
        "length": math.log1p(weight),
        "entry": float(first in entries),
        "suggested": float(len(suggested)),
        "cls_first": max(-2.0, min(2.0, mine)),
        "cls_best": max(-2.0, min(2.0, top)),
        "cls_margin": min(top - mine, 2.0),
        "cls_agree": float(best_label == first),
        "cls_topic": float(_topic(best_label) == topic),
        "cls_gap": min(top - runner, 2.0),
        "cls_oos": max(-2.0, min(2.0, values.get("out_of_scope", -1.0))),
    }


def _two(numbers: Iterable[float]) -> tuple[float, float]:
    """The largest two of ``numbers`` (the largest twice when there is one; zeros when none)."""
    ordered = heapq.nlargest(2, numbers)
    if not ordered:
        return 0.0, 0.0
    return ordered[0], ordered[-1]


def _terms(names: Sequence[str]) -> list[tuple[str, ...]]:
    return [tuple(name.split("*")) for name in names]


@dataclass(frozen=True)
class Model:
    """A logistic model over :data:`FEATURES` and products of two (``"a*b"``), and the
    probability from which to answer."""

    weights: Mapping[str, float]
    bias: float
    cutoff: float = 1.0
    # The weights as (feature, weight) and (feature, feature, weight), parsed once.
    _plain: tuple[tuple[str, float], ...] = field(init=False, repr=False, compare=False)
    _products: tuple[tuple[str, str, float], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        terms = _terms(list(self.weights))
        unknown = {part for term in terms for part in term} - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown features {sorted(unknown)}")
        if any(len(term) > 2 for term in terms):
            raise ValueError("a product of more than two features")
        plain = tuple((name, w) for name, w in self.weights.items() if "*" not in name)
        products = tuple((*name.split("*"), w) for name, w in self.weights.items() if "*" in name)
        object.__setattr__(self, "_plain", plain)  # frozen: set once, here
        object.__setattr__(self, "_products", products)

    def probability(self, found: Mapping[str, float]) -> float:
        """The probability that the first suggestion is right."""
        z = self.bias + sum(w * found[a] for a, w in self._plain)
        z += sum(w * found[a] * found[b] for a, b, w in self._products)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Model:
        weights = {str(name): float(value) for name, value in data["weights"].items()}
        return cls(weights, float(data["bias"]), float(data["cutoff"]))

    def to_data(self) -> dict[str, Any]:
        return {
            "bias": round(self.bias, 6),
            "cutoff": round(self.cutoff, 6),
            "weights": {name: round(value, 6) for name, value in self.weights.items()},
        }


@dataclass(frozen=True)
class Confidence:
    """One model for questions in Latin script, one for Japanese script."""

    latin: Model
    japanese: Model

    def answers(self, found: Mapping[str, float], japanese: bool) -> bool:
        """Whether the first suggestion is likely enough right to answer with it."""
        model = self.japanese if japanese else self.latin
        return model.probability(found) >= model.cutoff

    @classmethod
    def from_json(cls, text: str) -> Confidence:
        """Read ``search/confidence.json``; a malformed file raises ``ValueError``."""
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
            return cls(Model.from_data(data["latin"]), Model.from_data(data["japanese"]))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed confidence file: {exc!r}") from exc

    def to_json(self, note: str = "") -> str:
        data = {"format": FORMAT, "note": note, "latin": self.latin.to_data(), "japanese": self.japanese.to_data()}
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
