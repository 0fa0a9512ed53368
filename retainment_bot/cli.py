"""``python -m retainment_bot``: start the bot, or run one of the tools.

    python -m retainment_bot                 the Telegram bot if TELEGRAM_BOT_TOKEN is set, else the terminal chat
    python -m retainment_bot webhook         the Telegram bot behind a webhook (needs WEBHOOK_URL)
    python -m retainment_bot polling         the Telegram bot with long polling
    python -m retainment_bot chat            the terminal chat [--lang vi|en|ja] [--jsonl]
    python -m retainment_bot check           check every dialogue and catalog; exit 1 on any error
    python -m retainment_bot i18n extract    collect strings into locales/messages.pot (prints the pybabel command)
    python -m retainment_bot i18n update     merge the template into every catalog (prints the pybabel command)
    python -m retainment_bot i18n stats      per-language progress
    python -m retainment_bot i18n init LANG  start a catalog for a new language
    python -m retainment_bot i18n readings   readings and dictionary forms of the Japanese search phrases
    python -m retainment_bot links --username BOT [--lang vi] [--qr DIR]
                                  every topic x language deep link; --qr writes printable PNGs
    python -m retainment_bot stats [--since DATE] [--csv FILE] [--png FILE]
                                  anonymous usage figures from the store
    python -m retainment_bot site OUT_DIR [--username BOT]
                                  the review site: every screen in every language, map, handbooks

Output is built by small functions and printed here; errors map to exit codes in :func:`main`.
Each command imports what only it needs inside its function, so that starting the bot loads
neither the translators' tools (Babel's command line) nor the terminal chat, QR codes or charts.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from retainment_bot.errors import BotError, ContentError, Problem, UsageError, require_extra
from retainment_bot.project import Project
from retainment_bot.settings import Settings

if TYPE_CHECKING:
    from retainment_bot.store.base import UsageReport  # the store's drivers load only for `stats`

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="the Telegram bot if TELEGRAM_BOT_TOKEN is set, else the terminal chat")
    commands.add_parser("webhook", help="the Telegram bot behind a webhook (WEBHOOK_URL, PORT, WEBHOOK_SECRET)")
    commands.add_parser("polling", help="the Telegram bot with long polling")
    chat = commands.add_parser("chat", help="chat with the bot in this terminal")
    chat.add_argument("--lang", help="the client's language code, as Telegram would send it (vi, en, ja)")
    chat.add_argument("--jsonl", action="store_true", help="JSON lines in and out, for scripts and tests")
    commands.add_parser("check", help="check every dialogue and catalog")
    translate = commands.add_parser("i18n", help="translators' commands: pybabel with the project's options")
    actions = translate.add_subparsers(dest="action", required=True)
    actions.add_parser("extract", help="collect strings into locales/messages.pot")
    actions.add_parser("update", help="merge messages.pot into every catalog")
    actions.add_parser("stats", help="translated, fuzzy and untranslated messages per language")
    actions.add_parser("readings", help="write search/readings.json (Japanese phrases' kana, romaji, base forms)")
    new = actions.add_parser("init", help="start the catalog of a new language")
    new.add_argument("lang", help="a language code such as id, ne, my, fil or zh")
    share = commands.add_parser("links", help="deep links to every topic in every language, and QR codes")
    share.add_argument("--username", required=True, help="the bot's Telegram username, e.g. MyHelpBot")
    share.add_argument("--lang", action="append", help="only this language (repeat for several)")
    share.add_argument("--qr", type=Path, metavar="DIR", help="write one labelled PNG QR code per link here")
    figures = commands.add_parser("stats", help="anonymous usage figures (DATABASE_URL or DATA_DIR)")
    figures.add_argument("--since", type=date.fromisoformat, help="first day, YYYY-MM-DD (default: 30 days ago)")
    figures.add_argument("--csv", type=Path, metavar="FILE", help="write every figure as CSV")
    figures.add_argument("--png", type=Path, metavar="FILE", help="write a bar chart of the last 30 days")
    review = commands.add_parser("site", help="write the review site (static HTML) into OUT_DIR")
    review.add_argument("out", type=Path, metavar="OUT_DIR", help="where to write the pages (created if missing)")
    review.add_argument("--username", help="the bot's username, to show the Share buttons and deep links")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        project = Project.from_env()  # BOT_JAPANESE_ANALYSER=on without its extra stops here, said plainly
        if args.command == "check":
            return check(project)
        if args.command == "i18n":
            return translators(project, args.action, getattr(args, "lang", None))
        if args.command == "chat":
            return chat(project, args.lang, args.jsonl)
        if args.command == "links":
            return share_links(project, args.username, args.lang, args.qr)
        if args.command == "stats":
            return usage(args.since, args.csv, args.png)
        if args.command == "site":
            return review_site(project, args.out, args.username)
        return run(project, args.command)
    except ContentError as exc:
        print(format_problems(exc.problems), file=sys.stderr)
        print("The content has errors: run `python -m retainment_bot check` for the full list.", file=sys.stderr)
        return EXIT_PROBLEMS
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        return EXIT_OK


def format_problems(problems: Sequence[Problem]) -> str:
    return "\n".join(str(problem) for problem in problems)


def check(project: Project) -> int:
    """Print every problem; exit 1 if any is an error."""
    from retainment_bot.i18n import commands as i18n

    problems = project.load().problems + i18n.template_problems(project.root)
    errors = sum(problem.severity == "error" for problem in problems)
    warnings = len(problems) - errors
    if problems:
        print(format_problems(problems), file=sys.stderr)
    print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return EXIT_PROBLEMS if errors else EXIT_OK


def chat(project: Project, lang: str | None, jsonl: bool) -> int:
    from retainment_bot.chat import run_interactive, run_jsonl

    engine = project.engine()
    if jsonl:
        run_jsonl(engine, lang, sys.stdin, sys.stdout)
    else:
        run_interactive(engine, lang, sys.stdin, sys.stdout)
    return EXIT_OK


def share_links(project: Project, username: str, languages: list[str] | None, qr: Path | None) -> int:
    """Print the deep-link table; with ``qr``, write a PNG per link."""
    from retainment_bot.engine.links import clean_username
    from retainment_bot.qr import QR_EXTRA, links, write_qr

    if qr is not None:
        require_extra(QR_EXTRA[0], "`links --qr`", *QR_EXTRA[1:])

    name = clean_username(username)
    if name is None:
        raise UsageError(f"not a Telegram bot username: {username!r}")
    engine = project.engine()
    unknown = sorted(set(languages or ()) - set(engine.languages))
    if unknown:
        raise UsageError(f"unknown language {', '.join(unknown)} (offered: {', '.join(engine.languages)})")
    rows = links(engine, name, tuple(languages) if languages else None)
    width = max(len(row.topic) for row in rows)
    for row in rows:
        print(f"{row.topic:<{width}}  {row.lang:<4}  {row.url}")
    if qr is not None:
        for row in rows:
            write_qr(row, qr)
        print(f"wrote {len(rows)} QR codes to {qr}", file=sys.stderr)
    return EXIT_OK


def usage(since: date | None, csv_path: Path | None, png_path: Path | None) -> int:
    """Print the usage figures; optionally write them as CSV and a chart."""
    from retainment_bot import stats
    from retainment_bot.store import open_store

    if png_path is not None:
        require_extra(stats.CHARTS_EXTRA[0], "`stats --png`", *stats.CHARTS_EXTRA[1:])

    settings = Settings.from_env()
    today = datetime.now(UTC).date()
    first = (since or today - timedelta(days=29)).isoformat()

    async def read() -> UsageReport:
        store = open_store(settings.database_url, settings.data_dir)
        await store.open()
        try:
            return await store.report(first)
        finally:
            await store.close()

    report = asyncio.run(read())
    print(stats.summary(report, first))
    if csv_path is not None:
        stats.write_csv(report, csv_path)
    if png_path is not None:
        stats.write_png(report, png_path, today)
    return EXIT_OK


def review_site(project: Project, out: Path, username: str | None) -> int:
    """Write the static review site; print where its start page is."""
    require_extra("site", "`site`", "jinja2")
    from retainment_bot.engine.links import clean_username
    from retainment_bot.site import build_site

    engine = project.engine()
    if username is not None:
        name = clean_username(username)
        if name is None:
            raise UsageError(f"not a Telegram bot username: {username!r}")
        engine = replace(engine, bot_username=name)
    written = build_site(engine, out, datetime.now(UTC).date(), project.root)
    print(f"wrote {len(written)} files; open {out / 'index.html'}", file=sys.stderr)
    return EXIT_OK


def translators(project: Project, action: str, lang: str | None) -> int:
    if action != "stats" and project.installed:
        raise UsageError("the content inside the installed package is not for editing: set BOT_CONTENT_DIR to a copy")

    from retainment_bot.i18n import commands as i18n
    from retainment_bot.i18n.catalog import Catalogs

    if action == "extract":
        print(f"wrote {i18n.extract(project.root)}")
    elif action == "update":
        i18n.update(project.root)
    elif action == "init":
        if not lang or not lang.replace("_", "").isalpha():
            raise UsageError(f"not a language code: {lang!r}")
        i18n.init(project.root, lang)
    elif action == "readings":
        print(f"wrote {project.write_readings()}")
    else:
        engine = project.load().engine
        catalogs = engine.translator
        assert isinstance(catalogs, Catalogs)
        print(i18n.stats_table(i18n.stats(catalogs), engine.languages))
    return EXIT_OK


# glibc's mallopt parameter: blocks from this size get a mapping of their own (glibc's default).
M_MMAP_THRESHOLD, MMAP_THRESHOLD = -3, 128 * 1024


def fixed_malloc_threshold() -> bool:
    """Keep glibc's malloc from raising its threshold for blocks mapped apart (returns whether it
    could: glibc only). By default, freeing such a block (a pickle's or the classifier file's
    bytes) raises the threshold to its size, so later large temporaries come from the heap, and
    the small objects that outlive them keep the heap from shrinking: 3.5 MiB of the bot's
    memory after 1,000 updates (``benchmarks/notes-s8-mem.md``), for a few more mmap calls."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def run(project: Project, mode: str | None) -> int:
    """Start Telegram when a token is configured, otherwise the terminal chat."""
    settings = Settings.from_env()
    if settings.token:
        from retainment_bot.telegram.logs import configure

        configure(os.environ.get("LOG_LEVEL", "INFO"), settings.token)
    if not settings.token:
        if mode in ("webhook", "polling"):
            raise UsageError("TELEGRAM_BOT_TOKEN is not set")
        print("TELEGRAM_BOT_TOKEN is not set: starting the terminal chat.", file=sys.stderr)
        return chat(project, os.environ.get("BOT_LANG"), jsonl=False)
    if mode == "webhook" and not settings.webhook_url:
        raise UsageError("WEBHOOK_URL is not set")
    if mode == "polling":
        settings = replace(settings, webhook_url=None)
    # No garbage collection until the bot serves (the runtime turns it on): start-up makes a few
    # hundred thousand objects that all live on (python-telegram-bot, httpx, the engine) and
    # almost no garbage, and the collections they set off walked the growing heap again and again.
    gc.disable()
    fixed_malloc_threshold()
    # aiohttp (the Bot API's client) loads the certificate store twice as it is imported: disk and
    # OpenSSL work that releases the GIL, done on another thread while python-telegram-bot imports.
    threading.Thread(target=importlib.import_module, args=("aiohttp",), name="import", daemon=True).start()
    from retainment_bot.store import open_store
    from retainment_bot.telegram.runtime import run as run_telegram

    run_telegram(project.engine(cached=True), open_store(settings.database_url, settings.data_dir), settings)
    return EXIT_OK
