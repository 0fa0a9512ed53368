"""The pure core on its own: microseconds per engine step (button presses and /start, and typed
questions), and per question in the free-text matcher (real index with and without the
classifier's second opinion, and ten times larger).

Times are the calling thread's CPU time (``time.thread_time``): on a shared machine, wall time
would count the milliseconds the process waits while another one runs, and set p99 alone."""

from __future__ import annotations

import copy
import random
import statistics
import time
from dataclasses import dataclass

from benchmarks.bench_matcher import latencies, questions, tenfold
from benchmarks.load import LANGUAGES, material, percentile
from retainment_bot.engine.engine import Engine, Event, Press, Start, Typed
from retainment_bot.project import Project


@dataclass(frozen=True)
class CoreFigures:
    """Seconds per call, one list of samples per round (a preempted round does not set p99 alone)."""

    steps: list[list[float]]  # /start and presses
    typed: list[list[float]]  # engine steps of typed questions (matcher included)
    matcher: list[list[float]]  # Matcher.match alone, real index (with the classifier's second opinion)
    matcher_alone: list[list[float]]  # the same without the classifier (what the second opinion costs)
    matcher_10x: list[list[float]]  # empty when not measured
    phrases: tuple[int, int]


def walk(engine: Engine, users: int, rng: random.Random) -> tuple[list[float], list[float]]:
    """Sessions like the load generator's, timed one step at a time."""
    stuff = material(sorted(engine.content.topics))
    steps: list[float] = []
    typed: list[float] = []
    for _ in range(users):
        lang = rng.choice(LANGUAGES)
        state = engine.new_state(lang)
        payload = rng.choice([None, *stuff.topics])
        buttons: list[str] = []
        for kind in ("start", "press", "press", "type", "press", "type"):
            event: Event
            if kind == "start":
                event = Start(payload)
            elif kind == "press" and buttons:
                event = Press(rng.choice(buttons))
            else:
                kind = "type"
                event = Typed(rng.choice(stuff.questions[lang]))
            started = time.thread_time()
            outcome = engine.step(state, event)
            (typed if kind == "type" else steps).append(time.thread_time() - started)
            state = outcome.state
            found = [b.data for reply in outcome.replies for b in reply.flat_buttons if b.data]
            buttons = found or buttons
    return steps, typed


def measure(engine: Engine, users: int, rounds: int, grown: bool = True) -> CoreFigures:
    project = Project()
    walk(engine, max(1, users // 10), random.Random(1))  # warm caches
    walks = [walk(engine, users, random.Random(2 + index)) for index in range(rounds)]
    real = engine.matcher  # the shipped index: content phrases, search/<lang>.yaml and the readings
    assert real is not None
    big = tenfold(project) if grown else None
    alone = copy.copy(real)  # the same index, no second opinion
    object.__setattr__(alone, "second_opinion", None)
    asked = questions()
    latencies(real, asked, 1)
    timed: dict[str, list[list[float]]] = {"real": [], "alone": []}
    for _ in range(rounds):  # alternated, so that a busy minute weighs on both
        timed["real"].append(latencies(real, asked, 1, time.thread_time))
        timed["alone"].append(latencies(alone, asked, 1, time.thread_time))
    return CoreFigures(
        steps=[steps for steps, _ in walks],
        typed=[typed for _, typed in walks],
        matcher=timed["real"],
        matcher_alone=timed["alone"],
        matcher_10x=[latencies(big, asked, 1, time.thread_time) for _ in range(rounds)] if big else [],
        phrases=(real.size, big.size if big else 0),
    )


def rows(figures: CoreFigures) -> list[tuple[str, int, float, float]]:
    """(what, samples, p50 µs, p99 µs): medians over the rounds of each round's percentiles."""
    found = []
    for name, values in (
        ("engine step: /start and presses", figures.steps),
        ("engine step: typed question", figures.typed),
        (f"matcher, shipped index ({figures.phrases[0]} phrases)", figures.matcher),
        ("the same without its second opinion (the classifier)", figures.matcher_alone),
        (f"matcher, 10x index ({figures.phrases[1]} phrases)", figures.matcher_10x),
    ):
        if values:
            p50 = statistics.median(percentile(run, 0.5) for run in values) * 1e6
            p99 = statistics.median(percentile(run, 0.99) for run in values) * 1e6
            found.append((name, sum(len(run) for run in values), p50, p99))
    return found
