"""Experiment (issue 12): a learned classifier against the hand-tuned matcher.

    pip install scikit-learn   # not a dependency of the bot: only this experiment uses it
    python -m benchmarks.learned_model

Character n-gram TF-IDF features (as Rasa's default pipeline uses) and a logistic regression,
trained on every search phrase (all languages, Japanese readings included) and the tuning
questions. Its thresholds are chosen on out-of-fold predictions for the tuning part (5 folds),
never on the test part. Prints the figures of the classifier alone, of the matcher alone, and
of both together (answer only when they agree), for both parts, plus training and loading time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline

from retainment_bot.engine.matcher import Candidate, Verdict, content_phrases
from retainment_bot.engine.normalize import fold
from retainment_bot.i18n.readings import reading_phrases
from retainment_bot.project import Project
from tests.matcher_eval import CHECK, LANGUAGES, PARTS, Case, Figures, judge, load_cases

ROOT = Path(__file__).resolve().parent.parent


def features() -> FeatureUnion:
    return FeatureUnion(
        [
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, min_df=1)),
            ("words", TfidfVectorizer(analyzer="word", token_pattern=r"\S+", sublinear_tf=True)),
        ]
    )


def train(texts: Sequence[str], labels: Sequence[str]) -> Pipeline:
    model = Pipeline([("features", features()), ("model", LogisticRegression(C=20, max_iter=2000))])
    model.fit([fold(t) for t in texts], list(labels))
    return model


def label_of(case: Case) -> str:
    """One training label for a tuning question: its first acceptable node (the check for the check)."""
    nodes = sorted(case.expected - {CHECK})
    return CHECK if CHECK in case.expected else nodes[0]


def verdict_from(model: Pipeline, text: str, answer: float, suggest: float) -> Verdict:
    probabilities = model.predict_proba([fold(text)])[0]
    order = np.argsort(-probabilities)
    classes = model.classes_
    top = [(str(classes[i]), float(probabilities[i])) for i in order[:3]]
    if top[0][0] == "out_of_scope" or top[0][1] < suggest:
        return Verdict("none")
    kind = "answer" if top[0][1] >= answer else "suggest"
    shown = tuple(Candidate(node, round(100 * p, 1)) for node, p in top if node != "out_of_scope" and p >= suggest)
    return Verdict(kind, shown)


def figures_of(match: Callable[[str], Verdict], cases: list[Case]) -> dict[str, Figures]:
    result = {key: Figures() for key in (*LANGUAGES, "all")}
    for case in cases:
        verdict = match(case.question)
        judge(case, verdict, result[case.lang])
        judge(case, verdict, result["all"])
    return result


def main() -> None:
    engine = Project(ROOT).engine()
    matcher = engine.matcher
    assert matcher is not None
    phrases = content_phrases(engine.content, engine.translator)  # type: ignore[arg-type]
    phrases += reading_phrases(phrases, Project(ROOT).readings()[0])
    base_texts = [p.text for p in phrases]
    base_labels = [p.node for p in phrases]
    tune = [c for c in load_cases("tune") if c.label in ("content", "out_of_scope")]
    tune_labels = [label_of(c) if c.label == "content" else "out_of_scope" for c in tune]

    # Thresholds from out-of-fold predictions on the tuning part.
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    grouped = [label if tune_labels.count(label) >= 5 else "rare" for label in tune_labels]
    out_of_fold: list[tuple[Case, Pipeline]] = []
    for train_index, test_index in folds.split(tune, grouped):
        model = train(
            base_texts + [tune[i].question for i in train_index], base_labels + [tune_labels[i] for i in train_index]
        )
        out_of_fold += [(tune[i], model) for i in test_index]
    best = None
    for answer in np.arange(0.2, 0.9, 0.05):
        for suggest in (0.03, 0.05, 0.1):
            figures = Figures()
            for case, model in out_of_fold:
                judge(case, verdict_from(model, case.question, answer, suggest), figures)
            key = figures.top1 - 3 * figures.wrong_confident
            if best is None or key > best[0]:
                best = (key, float(answer), suggest, figures.line("tune oof"))
    assert best is not None
    _, answer, suggest, line = best
    print(f"classifier thresholds from 5-fold out-of-fold predictions: answer {answer:.2f} suggest {suggest}")
    print(line)

    started = time.perf_counter()
    model = train(base_texts + [c.question for c in tune], base_labels + tune_labels)
    print(f"training on {len(base_texts) + len(tune)} texts: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    for case in load_cases("tune")[:200]:
        model.predict_proba([fold(case.question)])
    print(f"classifier: {1000 * (time.perf_counter() - started) / 200:.2f} ms a question")

    def classifier(text: str) -> Verdict:
        return verdict_from(model, text, answer, suggest)

    def both(text: str) -> Verdict:
        """The matcher's verdict, but an answer only when the classifier's best agrees."""
        mine, theirs = matcher.match(text), classifier(text)
        if mine.kind != "answer":
            return mine
        agree = theirs.candidates and theirs.candidates[0].node == mine.candidates[0].node
        return mine if agree else Verdict("suggest", mine.candidates)

    for name, match in (("matcher", matcher.match), ("classifier", classifier), ("both", both)):
        for part in PARTS:
            result = figures_of(match, load_cases(part))
            for key in (*LANGUAGES, "all"):
                print(result[key].line(f"{name} {part} {key}"))


if __name__ == "__main__":
    main()
