"""How the second opinion carries to writers it never saw: leave-one-writer-out figures on the
tuning part (issue 12, session 8).

    python -m benchmarks.writer_out                   # the shipped fitting, shipped thresholds
    python -m benchmarks.writer_out --variant NAME    # another fitting (``variants()``), to compare
    python -m benchmarks.writer_out --grid            # and the classifier's thresholds shifted
    python -m benchmarks.writer_out --folds [--blind] # out of fold by question instead (5 folds)

Each ``tests/eval/tune/blindN_LANG.yaml`` file is one writer. For each, the classifier is fitted
on every search phrase and every other tuning question (the project's own ``questions_*`` and
``extra_*`` always among them), and that writer's questions are judged by the matcher with its
opinion, under the shipped thresholds (``Thresholds``), or those ``--set`` and ``--grid`` give.
Out of fold by question (``benchmarks.second_opinion``), a writer's other questions could teach the
classifier that writer's way of typing, which a new writer's are not: left one writer out, they
cannot (session 8 found the two about equal: ``tests/eval/README.md``).

The decision values come from scikit-learn here (the fitted model's ``decision_function``, looked
up by the question as the matcher folds it), so variants the numpy reader does not (yet) compute
can be compared; the shipped variant is what ``benchmarks.second_opinion.fit`` writes. The
matcher ranks each question once (:func:`bases`, its own steps before the opinion); only the
opinion's rules run per setting, checked against :meth:`Matcher.match` on the first writer.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.svm import LinearSVC

from retainment_bot.engine.classifier import NGRAMS, Reading, prepare
from retainment_bot.engine.matcher import _CJK, QUESTION_LIMIT, Matcher, Verdict, _topic
from retainment_bot.engine.normalize import clip, fold, hiragana
from retainment_bot.project import Project
from tests.matcher_eval import EVAL, LANGUAGES, Case, Figures, judge, load_cases

from .second_opinion import FOLDS, ROOT, C, label_of


@dataclass(frozen=True)
class Variant:
    """One way to fit the classifier: its features, regularisation and training texts."""

    analyzer: str = "char_wb"
    ngrams: tuple[int, int] = NGRAMS
    word_ngrams: tuple[int, int] = (1, 1)
    sublinear: bool = True
    c: float = C
    class_weight: str | None = None
    min_df: int = 1
    word_min_df: int = 1
    # Whether the words' set keeps words in Japanese script (a Japanese sentence is one "word").
    cjk_words: bool = True
    words: bool = True
    # The words' set scaled after its unit length (the weights of a file absorb it: no reader change).
    word_scale: float = 1.0
    # The weight of a tuning question against a phrase's (LinearSVC's sample weights).
    question_weight: float = 1.0
    # Each training text -> more texts with the same label (augmentation), phrases and questions.
    augment: Callable[[str], list[str]] | None = field(default=None, compare=False)
    # The text as the classifier reads it (``prepare`` by default).
    read: Callable[[str], str] = field(default=prepare, compare=False)


class Fitted:
    """A fitted variant: its decision values for any texts."""

    def __init__(self, variant: Variant, texts: Sequence[str], labels: Sequence[str], phrases: int = 0) -> None:
        self.variant = variant
        weights = [1.0] * phrases + [variant.question_weight] * (len(texts) - phrases)
        if variant.augment is not None:
            more = [
                (extra, label) for text, label in zip(texts, labels, strict=True) for extra in variant.augment(text)
            ]
            texts, labels = [*texts, *(t for t, _ in more)], [*labels, *(lab for _, lab in more)]
            weights += [1.0] * len(more)
        prepared = [variant.read(text) for text in texts]
        self.chars = TfidfVectorizer(
            analyzer=variant.analyzer,
            ngram_range=variant.ngrams,
            sublinear_tf=variant.sublinear,
            lowercase=False,
            min_df=variant.min_df,
            dtype=np.float64,
        )
        self.words = TfidfVectorizer(
            analyzer="word",
            token_pattern=r"\S+" if variant.cjk_words else None,
            tokenizer=None if variant.cjk_words else _latin_tokens,
            ngram_range=variant.word_ngrams,
            min_df=variant.word_min_df,
            sublinear_tf=variant.sublinear,
            lowercase=False,
            dtype=np.float64,
        )
        parts = [self.chars.fit_transform(prepared)]
        if variant.words:
            parts.append(self.words.fit_transform(prepared) * variant.word_scale)
        matrix = hstack(parts).tocsr()
        self.model = LinearSVC(C=variant.c, class_weight=variant.class_weight, random_state=0).fit(
            matrix, list(labels), sample_weight=np.array(weights)
        )
        self.classes = [str(c) for c in self.model.classes_]

    def matrix(self, texts: Sequence[str]) -> csr_matrix:
        prepared = [self.variant.read(text) for text in texts]
        parts = [self.chars.transform(prepared)]
        if self.variant.words:
            parts.append(self.words.transform(prepared) * self.variant.word_scale)
        return hstack(parts).tocsr()

    def values(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.model.decision_function(self.matrix(texts)))


def _latin_tokens(text: str) -> list[str]:
    """The whitespace words without Japanese script."""
    return [word for word in text.split() if not _CJK.search(word)]


class Looked:
    """A second opinion whose readings were computed beforehand (by question, as folded)."""

    def __init__(self, fitted: Fitted, questions: Sequence[str]) -> None:
        values = fitted.values(questions)
        self.readings: dict[str, Reading] = {}
        for question, row in zip(questions, values, strict=True):
            first = int(row.argmax())
            self.readings[fold(question)] = Reading(
                fitted.classes[first], float(row[first]), dict(zip(fitted.classes, row.tolist(), strict=True))
            )

    def read(self, folded: str) -> Reading:
        return self.readings[folded]


def writers() -> list[tuple[str, list[Case]]]:
    """The tuning part's files: name (``blind5_vi``) and questions."""
    return [(path.stem, _file_cases(path.stem)) for path in sorted(EVAL.joinpath("tune").glob("*_*.yaml"))]


def held_out_readings(texts: list[str], labels: list[str], jobs: int | None = None) -> dict[Case, Reading]:
    """Every tuning question's classifier reading, never in sample: each blind writer's file
    (``blindN_LANG``) read by a classifier fitted on the phrases (``texts``, ``labels``) and every
    other tuning file; the other files' questions (the project's own, the training writers')
    out of fold (5 folds, the blind files always trained on). F's, G's and H2's fittings read the
    same: the readings are cached in the temporary directory under a digest of everything the
    fits read (about 66 fits of 10 to 20 s each on this machine: one set serves the three), and
    the fits run in ``jobs`` processes (all cores by default)."""
    files = writers()
    blind = [(name, cases) for name, cases in files if name.startswith("blind")]
    own = [case for name, cases in files if not name.startswith("blind") for case in cases]
    folds: list[tuple[list[Case], list[Case]]] = []
    for name, held in blind:
        folds.append(([c for other, cases in files if other != name for c in cases], held))
    blind_cases = [c for _, cases in blind for c in cases]
    for kept_i, held_i in KFold(5, shuffle=True, random_state=0).split(own):
        folds.append((blind_cases + [own[i] for i in kept_i], [own[i] for i in held_i]))
    # Sorted labels: a frozenset's order changes with each process's string hashing.
    read = [(name, [(c.lang, c.question, sorted(c.expected)) for c in cases]) for name, cases in files]
    digest = hashlib.sha256(pickle.dumps((Variant(), texts, labels, read))).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"retainment-readings-{digest}.pkl"
    if cache.exists():
        found: dict[Case, Reading] = pickle.loads(cache.read_bytes())
        print(f"  {len(found)} readings from {cache}", flush=True)
        return found
    found = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs or os.cpu_count()) as pool:
        futures = [pool.submit(_read_fold, texts, labels, kept, held) for kept, held in folds]
        for future in concurrent.futures.as_completed(futures):
            found.update(future.result())
            print(f"  {len(found)} read", flush=True)
    cache.write_bytes(pickle.dumps(found))
    return found


def _read_fold(texts: list[str], labels: list[str], kept: list[Case], held: list[Case]) -> dict[Case, Reading]:
    """``held``'s readings by a classifier fitted on the phrases and ``kept`` (one process's work)."""
    fitted = Fitted(Variant(), texts + [c.question for c in kept], labels + [label_of(c) for c in kept], len(texts))
    looked = Looked(fitted, [c.question for c in held])
    return {c: looked.read(fold(c.question)) for c in held}


def _file_cases(stem: str) -> list[Case]:
    prefix, lang = stem.rsplit("_", 1)
    return [case for case in load_cases("tune", prefix) if case.lang == lang]


def with_opinion(matcher: Matcher, opinion: Any, setting: dict[str, Any]) -> Matcher:
    changed = copy.copy(matcher)
    object.__setattr__(changed, "second_opinion", opinion)
    object.__setattr__(changed, "thresholds", replace(matcher.thresholds, **setting))
    return changed


Result = dict[str, dict[str, Figures]]  # setting -> language (and "all") -> figures


@dataclass(frozen=True)
class Base:
    """The matcher's verdict on one question before the second opinion (its ranking costs; the
    opinion's rules, applied per setting, do not)."""

    case: Case
    verdict: Verdict
    folded: str = ""
    ranked: tuple[tuple[str, float], ...] = ()
    off_topic: bool = False
    japanese: bool = False

    @property
    def asks(self) -> bool:
        """Whether the second opinion is asked (the verdict answers or suggests)."""
        return bool(self.folded)


def bases(matcher: Matcher, cases: Sequence[Case]) -> dict[Case, Base]:
    """Each question's verdict before the opinion, as :meth:`Matcher.match` computes it."""
    alone = with_opinion(matcher, None, {})
    found = {}
    for case in cases:
        text = clip(case.question, QUESTION_LIMIT)
        written = fold(text, kana=False)
        folded = hiragana(written)
        if matcher._smalltalk(folded) is not None:
            found[case] = Base(case, alone.match(case.question))
            continue
        kept = fold(text, keep_diacritics=True, kana=False)
        ranked, signals = matcher._ranking(text, written, kept, folded)
        off_topic = matcher._off_topic(folded, kept, _topic(ranked[0][0]) if ranked else None)
        japanese = bool(_CJK.search(text))
        verdict = matcher.decide(ranked, off_topic, japanese=japanese, signals=signals)
        if verdict.kind in ("answer", "suggest"):
            found[case] = Base(case, verdict, folded, tuple(ranked), off_topic, japanese)
        else:
            found[case] = Base(case, alone.match(case.question))
    return found


def opinion_verdict(matcher: Matcher | None, base: Base, opinion: Any) -> Verdict:
    """The verdict with ``opinion`` under ``matcher``'s thresholds (what ``match`` returns), or
    the matcher's alone (``matcher`` ``None``)."""
    if not base.asks or matcher is None:
        return base.verdict
    return matcher._second(base.folded, base.verdict, opinion, base.ranked, base.off_topic, base.japanese)


def leave_writer_out(
    matcher: Matcher,
    variant: Variant,
    texts: list[str],
    labels: list[str],
    settings: dict[str, dict[str, Any] | None],
    folds: bool = False,
    blind_only: bool = False,
    found: dict[Case, Base] | None = None,
) -> Result:
    """Each blind writer's questions judged with a classifier fitted without that writer (or,
    with ``folds``, every tuning question out of fold by question, as ``second_opinion`` does;
    with ``blind_only`` too, only the blind writers' questions counted, as without ``folds``)."""
    files = writers()
    result: Result = {name: {lang: Figures() for lang in (*LANGUAGES, "all")} for name in settings}
    every = [case for _, cases in files for case in cases]
    blind = {case for name, cases in files if name.startswith("blind") for case in cases}
    found = bases(matcher, every) if found is None else found
    if folds:
        targets = [label_of(case) for case in every]
        strata = [t if targets.count(t) >= FOLDS else "rare" for t in targets]
        split = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0).split(every, strata)
        groups = [([every[i] for i in kept], [every[i] for i in held]) for kept, held in split]
    else:
        groups = []
        for name, held in files:
            if not name.startswith("blind"):
                continue
            kept = [case for other, cases in files if other != name for case in cases]
            groups.append((kept, held))
    judged = {
        name: with_opinion(matcher, None, setting) if setting is not None else None
        for name, setting in settings.items()
    }
    for number, (kept, held) in enumerate(groups):
        fitted = Fitted(
            variant, texts + [c.question for c in kept], labels + [label_of(c) for c in kept], phrases=len(texts)
        )
        opinion = Looked(fitted, [c.question for c in held])
        if number == 0:  # the shortcut gives what the matcher itself gives
            whole = with_opinion(matcher, opinion, {})
            assert all(opinion_verdict(whole, found[c], opinion) == whole.match(c.question) for c in held)
        for name in settings:
            for case in held:
                if blind_only and case not in blind:
                    continue
                verdict = opinion_verdict(judged[name], found[case], opinion)
                judge(case, verdict, result[name][case.lang])
                judge(case, verdict, result[name]["all"])
    return result


def line(by_lang: dict[str, Figures]) -> str:
    return " | ".join(
        f"{lang} {100 * f.share('top1'):.1f}% w {100 * f.share('wrong_confident'):.1f}% "
        f"oos {f.oos_answered}/{f.out_of_scope} topic {100 * f.share('unsure_right_topic'):.1f}%"
        for lang, f in by_lang.items()
    )


def _kana_romaji() -> Callable[[str], list[str]]:
    """Japanese training texts also in hiragana and romaji (pykakasi), as workers type them."""
    import pykakasi

    converter = pykakasi.kakasi()  # type: ignore[no-untyped-call]
    cache: dict[str, list[str]] = {}

    def augment(text: str) -> list[str]:
        if not any("\u3040" <= ch <= "\u9fff" for ch in text):
            return []
        if text not in cache:
            parts = converter.convert(text)
            hira = "".join(p["hira"] for p in parts)
            romaji = " ".join(p["hepburn"] for p in parts if p["hepburn"].strip())
            cache[text] = [t for t in {hira, romaji} if t and t != text]
        return cache[text]

    return augment


def _abbreviated(project: Project) -> Callable[[str], list[str]]:
    """Training texts with their long words written short, as in the matcher's abbreviation list."""
    matcher = project.engine(cached=True).matcher
    assert matcher is not None
    longs: dict[tuple[str, ...], str] = {}
    for short, long in matcher.abbreviations.items():
        key = tuple(fold(word) for word in long)
        if len(short) >= 2 and key not in longs:
            longs[key] = short

    def augment(text: str) -> list[str]:
        words = fold(text).split()
        out, i, changed = [], 0, False
        while i < len(words):
            for size in (3, 2, 1):
                key = tuple(words[i : i + size])
                if len(key) == size and key in longs:
                    out.append(longs[key])
                    i += size
                    changed = True
                    break
            else:
                out.append(words[i])
                i += 1
        return [" ".join(out)] if changed else []

    return augment


def _expanded(project: Project) -> Callable[[str], str]:
    """The text read with the matcher's abbreviations written out (and kept)."""
    matcher = project.engine(cached=True).matcher
    assert matcher is not None
    table = {short: " ".join(fold(word) for word in long) for short, long in matcher.abbreviations.items()}

    def read(text: str) -> str:
        words = prepare(text).split()
        return " ".join(table.get(word, word) for word in words)

    return read


def variants(project: Project) -> dict[str, Variant]:
    """The fittings compared (names for ``--variant``)."""
    base = Variant()
    found = {
        "shipped": base,
        "C 0.1": replace(base, c=0.1),
        "C 0.2": replace(base, c=0.2),
        "C 1": replace(base, c=1.0),
        "C 2": replace(base, c=2.0),
        "balanced": replace(base, class_weight="balanced"),
        "char 1-4": replace(base, analyzer="char"),
        "char_wb 1-5": replace(base, ngrams=(1, 5)),
        "char_wb 2-5": replace(base, ngrams=(2, 5)),
        "char_wb 1-3": replace(base, ngrams=(1, 3)),
        "char_wb 2-4": replace(base, ngrams=(2, 4)),
        "words 1-2": replace(base, word_ngrams=(1, 2)),
        "plain tf": replace(base, sublinear=False),
        "min_df 2": replace(base, min_df=2),
        "words min_df 2": replace(base, word_min_df=2),
        "no cjk words": replace(base, cjk_words=False),
        "no words": replace(base, words=False),
        "questions x2": replace(base, question_weight=2.0),
        "questions x0.5": replace(base, question_weight=0.5),
        "questions x1.5": replace(base, question_weight=1.5),
        "questions x3": replace(base, question_weight=3.0),
        "questions x5": replace(base, question_weight=5.0),
        "words x0.5": replace(base, word_scale=0.5),
        "words x0.7": replace(base, word_scale=0.7),
        "words x1.4": replace(base, word_scale=1.4),
        "ja kana+romaji": replace(base, augment=_kana_romaji()),
        "abbreviated": replace(base, augment=_abbreviated(project)),
        "expanded": replace(base, read=_expanded(project)),
    }
    return found


# The decision values' scale changes with the features and C: the classifier's thresholds
# (agreement, preferred) shifted together from the shipped ones, and the veto.
GRID: dict[str, dict[str, Any]] = {
    f"latin {latin:+.2f} ja {japanese:+.2f} veto {veto}": {
        "agreement": 0.2 + latin,
        "preferred": 0.3 + latin,
        "agreement_japanese": -0.2 + japanese,
        "preferred_japanese": 0.2 + japanese,
        "veto": veto,
    }
    for latin in np.arange(-0.15, 0.41, 0.05).round(2)
    for japanese in np.arange(-0.15, 0.41, 0.05).round(2)
    for veto in (0.2, 0.3, 0.4)
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.writer_out", description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", action="append", help="a fitting to compare (default: shipped)")
    parser.add_argument("--folds", action="store_true", help="out of fold by question instead (5 folds)")
    parser.add_argument("--blind", action="store_true", help="with --folds: count only the blind writers' questions")
    parser.add_argument("--grid", action="store_true", help="and the classifier's thresholds shifted together")
    parser.add_argument("--set", action="append", default=[], help="a threshold change: name=value (repeatable)")
    args = parser.parse_args(argv)
    project = Project(ROOT)
    phrases = project.search_phrases()
    texts, labels = [p.text for p in phrases], [p.node for p in phrases]
    matcher = project.engine(cached=False).matcher
    assert matcher is not None
    known = variants(project)
    settings: dict[str, dict[str, Any] | None] = {"matcher alone": None, "shipped": {}}
    for change in args.set:
        setting: dict[str, Any] = {}
        for part in change.split(","):
            name, value = part.split("=")
            setting[name] = float(value)
        settings[change] = setting
    if args.grid:
        settings.update(GRID)
    found = bases(matcher, [case for _, cases in writers() for case in cases])
    for chosen in args.variant or ["shipped"]:
        start = time.perf_counter()
        result = leave_writer_out(
            matcher, known[chosen], texts, labels, settings, folds=args.folds, blind_only=args.blind, found=found
        )
        for setting_name, by_lang in result.items():
            print(f"{chosen:<16} {setting_name:<32} {line(by_lang)}  ({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
