"""Anonymous usage figures for NGO staff and funders: what is recorded per step, and the tables,
CSV and chart made from the store's report. Nothing here knows a user: the store keeps counts per
day, topic and language, eligibility results by outcome, and redacted unanswered questions."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from retainment_bot.engine.engine import Outcome
from retainment_bot.engine.model import Content
from retainment_bot.store.base import Usage, UsageReport

CHARTS_EXTRA = ("charts", "matplotlib")  # the optional extra and the module it provides


def usage_of(content: Content, outcome: Outcome, lang: str, day: str) -> Usage:
    """The figures one step adds: topics shown and eligibility results reached. An unanswered
    question is not among them: it is only kept if the user agrees (see :func:`question_to_hold`)."""
    shown = [content.nodes[r.node] for r in outcome.replies if r.node is not None and r.node in content.nodes]
    topics = tuple(dict.fromkeys(node.topic for node in shown))
    outcomes = tuple((node.id, node.outcome) for node in shown if node.outcome)
    return Usage(day=day, lang=lang, topics=topics, outcomes=outcomes)


def question_to_hold(outcome: Outcome, lang: str, day: str) -> Usage | None:
    """The step's unanswered question (already redacted by the engine), worth asking the user
    about: at least two words of letters, so that emoji, a lone word or a stray key are not."""
    question = outcome.unanswered
    if not question:
        return None
    words = [word for word in question.split() if any(char.isalpha() for char in word) and "[" not in word]
    if len(words) < 2 and not any("\u3040" <= char <= "\u9fff" for char in question):
        return None
    return Usage(day=day, lang=lang, unanswered=question)


def summary(report: UsageReport, since: str, unanswered_shown: int = 10) -> str:
    """Plain-text tables: views per topic and language, results by outcome, unanswered questions."""
    views: Counter[tuple[str, str]] = Counter()
    for _, topic, lang, count in report.views:
        views[(topic, lang)] += count
    languages = sorted({lang for _, lang in views})
    topics = sorted({topic for topic, _ in views}, key=lambda t: -sum(views[(t, lang)] for lang in languages))
    lines = [f"Usage since {since}", "", "Views per topic and language"]
    header = f"{'topic':<26}" + "".join(f"{lang:>7}" for lang in languages) + f"{'total':>8}"
    lines.append(header)
    for topic in topics:
        cells = "".join(f"{views[(topic, lang)]:>7}" for lang in languages)
        lines.append(f"{topic:<26}{cells}{sum(views[(topic, lang)] for lang in languages):>8}")
    lines.append(f"{'total':<26}" + "".join(f"{sum(views[(t, lang)] for t in topics):>7}" for lang in languages)
                 + f"{sum(views.values()):>8}")  # fmt: skip
    results: Counter[tuple[str, str]] = Counter()
    for _, node, outcome, _, count in report.outcomes:
        results[(outcome, node)] += count
    lines += ["", "Eligibility check results"]
    lines += [f"{outcome:<14}{node:<34}{count:>6}" for (outcome, node), count in sorted(results.items())] or ["none"]
    lines += ["", f"Questions without a confident answer: {len(report.unanswered)}"]
    lines += [f"  {day} {lang}  {text}" for day, lang, text in report.unanswered[-unanswered_shown:]]
    return "\n".join(lines)


def write_csv(report: UsageReport, path: Path) -> None:
    """One row per figure: kind, day, topic or node, outcome, language, count (or question)."""
    with path.open("w", newline="", encoding="utf-8") as fileobj:
        writer = csv.writer(fileobj)
        writer.writerow(["kind", "day", "topic_or_node", "outcome", "lang", "count", "question"])
        for day, topic, lang, count in report.views:
            writer.writerow(["views", day, topic, "", lang, count, ""])
        for day, node, outcome, lang, count in report.outcomes:
            writer.writerow(["eligibility", day, node, outcome, lang, count, ""])
        for day, lang, text in report.unanswered:
            writer.writerow(["unanswered", day, "", "", lang, 1, text])


def write_png(report: UsageReport, path: Path, today: date, days: int = 30) -> None:
    """A bar chart of the last ``days`` days: views per day, stacked by language."""
    import matplotlib  # the 'charts' extra (see CHARTS_EXTRA): imported only by this tool

    matplotlib.use("Agg")  # no screen: draw to a file
    from matplotlib import pyplot

    span = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    per_day: Counter[tuple[str, str]] = Counter()
    for day, _, lang, count in report.views:
        per_day[(day, lang)] += count
    languages = sorted({lang for _, lang in per_day}) or ["en"]
    figure, axes = pyplot.subplots(figsize=(10, 4), dpi=100)
    bottom = [0] * len(span)
    labels = [d.isoformat() for d in span]
    for lang in languages:
        heights = [per_day[(label, lang)] for label in labels]
        axes.bar([d.strftime("%m-%d") for d in span], heights, bottom=bottom, label=lang)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_title(f"Answers shown per day, last {days} days (to {today.isoformat()})")
    axes.set_ylabel("views")
    axes.tick_params(axis="x", labelrotation=90, labelsize=7)
    axes.legend(title="language")
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
