"""The matcher's second opinion: a linear classifier over character n-grams and words, learned
from the search phrases and the tuning part's questions of ``tests/eval``.

The matcher reads a question through hand-written phrases; the classifier through the way
people actually typed (``search/classifier.npz``, fitted by scikit-learn's ``TfidfVectorizer``
and ``LinearSVC`` in ``python -m benchmarks.second_opinion --write``). The matcher
(:meth:`Matcher.match <retainment_bot.engine.matcher.Matcher.match>`) answers a first suggestion
that is also the classifier's first choice (two different readings agree), answers the
classifier's sure choice over another first suggestion, only suggests an answer of another topic
than the classifier's clear first choice, and offers the classifier's choice among suggestions
that lack it. The classifier never answers where the matcher has nothing to suggest: alone it
answered more out-of-scope questions (``tests/eval/README.md``, sessions 6 and 7).

Only numpy reads the file: the features are scikit-learn's ``char_wb`` n-grams (1-4) and
whitespace words, each set weighed by sublinear tf-idf and scaled to unit length, as the
fitting computed them (the file carries probe questions and the scores scikit-learn gave them,
and ``tests/test_classifier.py`` holds this module to them). The file is parsed at the first
question that asks for a second opinion, so numpy is not imported at start.
"""

from __future__ import annotations

import io
import itertools
import math
import operator
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from retainment_bot.engine.normalize import fold

if TYPE_CHECKING:
    import numpy as np

# Bumped when the file's layout changes.
FORMAT = 1
NGRAMS = (1, 4)  # the lengths :func:`_word_ngrams` makes (the fitting passes them to scikit-learn)
# The arrays the file must hold.
ARRAYS = ("format", "classes", "chars", "words", "char_idf", "word_idf", "coef", "intercept", "probes", "probe_scores")
_SPACES = re.compile(r"\s\s+")  # scikit-learn's char_wb collapses runs of white space first
# The labels that are no screen: what the classifier says of out-of-scope questions and small talk.
NOT_SCREENS = frozenset({"out_of_scope", "greeting", "thanks"})
# How many words' n-gram columns a model remembers (a few MiB at most).
KNOWN = 10_000


@dataclass(frozen=True)
class Model:
    """The fitted classifier: its labels (node ids, ``out_of_scope``, ``greeting``, ``thanks``),
    its vocabulary (n-gram or word -> column) and weights."""

    classes: tuple[str, ...]
    chars: Mapping[str, int]
    words: Mapping[str, int]
    idf: np.ndarray[Any, Any]
    coef: np.ndarray[Any, Any]  # (features, classes): chars' columns first, then words'
    intercept: np.ndarray[Any, Any]

    # Word -> the columns of its known n-grams: a word's n-grams never change, and workers reuse
    # words. Only words of the vocabulary (the phrases' and tuning questions' own) are kept: a
    # name or a number someone typed is never remembered.
    known: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False, compare=False)

    def values(self, text: str) -> np.ndarray[Any, Any]:
        """Every label's decision value for ``text`` (as :func:`prepare` gives it), in ``classes``' order."""
        import numpy as np

        tokens = text.split()  # the words scikit-learn's char_wb and token_pattern see (text is folded)
        grams = Counter(itertools.chain.from_iterable(map(self._grams, tokens)))
        grams.pop(None, None)  # the n-grams outside the vocabulary
        words = Counter(map(self.words.get, tokens))
        words.pop(None, None)
        # Both sets in one pass (the calls into numpy, not their arithmetic, are what costs): one
        # array of columns, one of counts, one gather of the weights; each set scaled to unit length
        # and multiplied on its own, so every value is what two passes gave, to the last bit.
        chars, count = len(grams), len(grams) + len(words)
        if not count:
            return self.intercept.astype(np.float64)
        columns = np.fromiter(itertools.chain(grams, words), dtype=np.intp, count=count)
        # The counts read as integers (a quarter faster than as floats; the logarithm is the same).
        weight = np.fromiter(itertools.chain(grams.values(), words.values()), dtype=np.intp, count=count)
        weight = (1.0 + np.log(weight)) * self.idf[columns]  # sublinear tf-idf
        rows = self.coef.take(columns, axis=0)  # the rows gathered: take() is twice as quick as [columns]
        (start, end), *rest = [(start, end) for start, end in ((0, chars), (chars, count)) if start < end]
        values = _product(weight, rows, start, end)
        values += self.intercept  # in float64, and x + i is i + x to the last bit
        for start, end in rest:
            values += _product(weight, rows, start, end)
        return values

    def scores(self, text: str) -> list[tuple[str, float]]:
        """Every label's decision value for ``text`` (as :func:`prepare` gives it), best first."""
        values = self.values(text)
        return sorted(zip(self.classes, (float(v) for v in values), strict=True), key=lambda item: -item[1])

    def _grams(self, word: str) -> Iterable[int | None]:
        """The columns of ``word``'s n-grams, ``None`` for those outside the vocabulary (a tuple of
        the known ones remembered for up to ``KNOWN`` vocabulary words)."""
        found = self.known.get(word)
        if found is not None:
            return found
        columns = map(self.chars.get, _word_ngrams(word))
        if word in self.words and len(self.known) < KNOWN:
            self.known[word] = found = tuple(column for column in columns if column is not None)
            return found
        return columns


def _product(weight: np.ndarray[Any, Any], rows: np.ndarray[Any, Any], start: int, end: int) -> np.ndarray[Any, Any]:
    """One feature set's weights (``weight[start:end]``, scaled here to unit length) times its
    rows of the coefficients: its part of every label's decision value."""
    own, against = (weight, rows) if end - start == len(weight) else (weight[start:end], rows[start:end])
    own /= math.sqrt(own @ own)  # a float's root in C, not a call into numpy
    return own @ against


@dataclass(frozen=True)
class Reading:
    """What the classifier makes of one question: its first choice and every label's value."""

    best: str
    value: float
    values: Mapping[str, float]


def prepare(text: str) -> str:
    """The text as the classifier reads it: folded as the matcher folds (no diacritics, kana as
    hiragana), lower-cased as scikit-learn does."""
    return fold(text).lower()


def char_ngrams(text: str) -> list[str]:
    """scikit-learn's ``char_wb`` analyser: n-grams inside each word padded with spaces."""
    return list(itertools.chain.from_iterable(map(_word_ngrams, _SPACES.sub(" ", text).split())))


def _word_ngrams(word: str) -> Iterator[str]:
    """One word's ``char_wb`` n-grams (1-4) in scikit-learn's order: the word padded with a space
    each side, its characters, then its pairs, triples and fours, each made from the one shorter
    by a C-level ``map`` (a list comprehension of slices cost twice as much: a long Japanese
    sentence is one word of a hundred n-grams); the characters listed once, since a string makes
    a new one-character string at every pass over a character outside Latin-1. A word shorter
    than n counts once as a whole: padded, it is the one n-gram of its own length and has none
    longer."""
    padded = list(f" {word} ")
    pairs = list(map(operator.add, padded, padded[1:]))
    triples = list(map(operator.add, pairs, padded[2:]))
    return itertools.chain(padded, pairs, triples, map(operator.add, triples, padded[3:]))


def words(text: str) -> list[str]:
    """The whitespace-separated words (scikit-learn's ``token_pattern=r"\\S+"``)."""
    return text.split()


def load(data: bytes, labels: Collection[str] | None = None) -> Model:
    """The model in ``data`` (an ``.npz`` file's bytes); ``ValueError`` says what is wrong with
    it. With ``labels``, every class must be one of them (a node id the content still has)."""
    import numpy as np

    try:
        arrays = np.load(io.BytesIO(data), allow_pickle=False)
        found = {name: arrays[name] for name in ARRAYS}
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"not a classifier file: {exc}") from None
    if int(found["format"]) != FORMAT:
        raise ValueError(f"format {int(found['format'])}, expected {FORMAT}")
    classes = tuple(_lines(found["classes"]))
    chars, word_list = _lines(found["chars"]), _lines(found["words"])
    features = len(chars) + len(word_list)
    shapes_ok = (
        found["coef"].shape == (features, len(classes))
        and found["intercept"].shape == (len(classes),)
        and found["char_idf"].shape == (len(chars),)
        and found["word_idf"].shape == (len(word_list),)
    )
    if not shapes_ok:
        raise ValueError("its arrays do not fit together (vocabulary, weights and classes differ in size)")
    unknown = sorted(set(classes) - set(labels)) if labels is not None else []
    if unknown:
        raise ValueError(f"labels the content does not have: {', '.join(unknown[:3])}")
    return Model(
        classes=classes,
        chars={gram: column for column, gram in enumerate(chars)},
        words={word: len(chars) + column for column, word in enumerate(word_list)},
        idf=np.concatenate([found["char_idf"], found["word_idf"]]).astype(np.float64),
        coef=found["coef"],
        intercept=found["intercept"],
    )


def probes(data: bytes) -> list[tuple[str, list[float]]]:
    """The probe questions the file carries, each with the decision values (in class order)
    scikit-learn computed for it when the model was fitted."""
    import numpy as np

    arrays = np.load(io.BytesIO(data), allow_pickle=False)
    return [
        (text, [float(v) for v in row])
        for text, row in zip(_lines(arrays["probes"]), arrays["probe_scores"], strict=True)
    ]


def _lines(array: Any) -> list[str]:
    """Strings stored as UTF-8 bytes, one a line (no pickled objects in the file)."""
    text = bytes(array.tobytes()).decode("utf-8")
    return text.split("\n") if text else []


class SecondOpinion:
    """The classifier, parsed at its first use from ``source``: the file's bytes, or a function
    that reads them (as the bot has it: the shell passes the reading in, as it passes the
    Japanese analyser, so the engine does no I/O of its own). The bot's engine cache pickles only
    the source, so a restored bot neither reads the file nor imports numpy until a question
    needs the classifier."""

    def __init__(self, source: bytes | Callable[[], bytes], model: Model | None = None) -> None:
        self.source = source
        self._model = model

    def __getstate__(self) -> dict[str, bytes | Callable[[], bytes]]:
        return {"source": self.source}

    def __setstate__(self, state: dict[str, bytes | Callable[[], bytes]]) -> None:
        self.source, self._model = state["source"], None

    @property
    def data(self) -> bytes:
        """The file's bytes."""
        return self.source if isinstance(self.source, bytes) else self.source()

    @property
    def model(self) -> Model:
        if self._model is None:
            self._model = load(self.data)
        return self._model

    def read(self, folded: str) -> Reading:
        """The classifier's reading of a question given as :func:`fold` gives it."""
        model = self.model
        values = model.values(folded.lower())
        first = int(values.argmax())  # the first of equal values, as a stable sort gives
        return Reading(
            model.classes[first], float(values[first]), dict(zip(model.classes, values.tolist(), strict=True))
        )

    def scores(self, text: str) -> list[tuple[str, float]]:
        """Every label's decision value for ``text`` (as the user wrote it), best first."""
        return self.model.scores(prepare(text))
