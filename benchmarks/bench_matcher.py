"""Free-text matching latency: p50 and p99 per question over the real index, and over an index
ten times larger, in the same run (the ratio is what to compare between machines); also the
start-up cost (loading the content and building the index, the Japanese analyser's dictionary)
and the worst case of a very long message.

    python benchmarks/bench_matcher.py [--rounds 5]

Target (issues 4 and 12): p99 below 1 ms per question on one core for the real index. This is a
benchmark, not a test: these machines are noisy, so it reports and never fails. The questions
timed are the tuning part's (tests/eval/tune).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from retainment_bot.engine.classifier import SecondOpinion
from retainment_bot.engine.matcher import Matcher, Phrase, content_phrases
from retainment_bot.i18n.catalog import Catalogs
from retainment_bot.i18n.japanese import base_forms
from retainment_bot.i18n.readings import reading_phrases
from retainment_bot.project import Project, build_matcher

EVAL = Path(__file__).resolve().parent.parent / "tests" / "eval"


def questions() -> list[str]:
    found: list[str] = []
    for path in sorted((EVAL / "tune").glob("*.yaml")):
        found += [str(entry["q"]) for entry in yaml.safe_load(path.read_text(encoding="utf-8"))]
    return found


def tenfold(project: Project) -> Matcher:
    """The real phrases plus nine variants of each, every variant with words of its own."""
    loaded = project.load()
    engine = loaded.engine
    phrases = content_phrases(engine.content, engine.translator)
    phrases += reading_phrases(phrases, project.readings()[0])
    grown = list(phrases)
    for copy in range(1, 10):
        grown += [Phrase(p.node, p.lang, f"{p.text} {'variant'}{copy}{index}") for index, p in enumerate(phrases)]
    real = engine.matcher
    assert real is not None
    return Matcher.build(grown, stopwords=real.stopwords, order=real.order, abbreviations=None, analyser=real.analyser)


def latencies(
    matcher: Matcher, asked: list[str], rounds: int, clock: Callable[[], float] = time.perf_counter
) -> list[float]:
    """Seconds per question; ``clock=time.thread_time`` counts CPU only (not time preempted)."""
    times: list[float] = []
    for _ in range(rounds):
        for question in asked:
            started = clock()
            matcher.match(question)
            times.append(clock() - started)
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    project = Project()
    wall, cpu = time.perf_counter(), time.thread_time()
    base_forms("起動")  # the analyser's dictionary (loaded by the bot on the first Japanese question in doubt)
    analyser = (time.perf_counter() - wall, time.thread_time() - cpu)
    wall, cpu = time.perf_counter(), time.thread_time()
    engine = project.engine()
    loaded = (time.perf_counter() - wall, time.thread_time() - cpu)
    wall, cpu = time.perf_counter(), time.thread_time()
    catalogs = engine.translator
    assert isinstance(catalogs, Catalogs)
    assert engine.matcher is not None
    real = build_matcher(
        engine.content,
        catalogs,
        project.search_files(set(engine.content.nodes))[0],
        project.readings()[0],
        second_opinion=engine.matcher.second_opinion,  # the classifier, as the bot has it
        confidence=engine.matcher.confidence,  # candidate F's model (None without the file)
        rerank=engine.matcher.rerank,  # candidate G's model (None without the file)
        demote=engine.matcher.demote,  # candidate H2's model (None without the file)
    )
    built = (time.perf_counter() - wall, time.thread_time() - cpu)
    wall, cpu = time.perf_counter(), time.thread_time()
    if real.second_opinion is not None:  # what the first question that asks costs a restored bot (numpy aside)
        SecondOpinion(real.second_opinion.data).read("")
    opinion = (time.perf_counter() - wall, time.thread_time() - cpu)
    print("start-up, wall / CPU ms: ", end="")
    print(f"Japanese analyser {1000 * analyser[0]:.0f} / {1000 * analyser[1]:.0f}; ", end="")
    print(f"content, catalogs and index {1000 * loaded[0]:.0f} / {1000 * loaded[1]:.0f}; ", end="")
    print(f"of which the index {1000 * built[0]:.0f} / {1000 * built[1]:.0f}; ", end="")
    print(f"parsing the classifier's file {1000 * opinion[0]:.0f} / {1000 * opinion[1]:.0f} (numpy's import: ~80 more)")
    big = tenfold(project)
    asked = questions()
    latencies(real, asked, 1)  # warm up caches and rapidfuzz
    rows = []
    for name, matcher in (("real", real), ("10x", big)):
        runs = [latencies(matcher, asked, 1) for _ in range(args.rounds)]
        p50 = statistics.median(percentile(run, 0.50) for run in runs) * 1000
        p99 = statistics.median(percentile(run, 0.99) for run in runs) * 1000
        rows.append((name, matcher.size, p50, p99))
    print(f"{len(asked)} questions x {args.rounds} rounds; medians of per-round percentiles")
    for name, size, p50, p99 in rows:
        print(f"{name:<5} {size:>6} phrases  p50 {p50:6.3f} ms  p99 {p99:6.3f} ms")
    print(f"10x / real: p50 x{rows[1][2] / rows[0][2]:.2f}, p99 x{rows[1][3] / rows[0][3]:.2f}")
    long = ["my company went bankrupt because of covid, " * 3000, "コロナで会社が倒産しました。" * 5000, "a" * 100_000]
    worst = max(latencies(real, long, args.rounds))
    print(f"messages of 100,000+ characters: slowest {1000 * worst:.2f} ms")


if __name__ == "__main__":
    main()
