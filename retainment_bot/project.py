"""The project's files on disk: where dialogues and catalogs live, and loading them into an Engine.

This is the one place that knows the layout (``dialogues/``, ``locales/``, ``search/``,
``languages.yaml``), so the CLI, the
terminal chat and the Telegram front end all start the same way. The content is read from, in
order: ``$BOT_CONTENT_DIR`` (an editable copy), the source checkout this package runs from (a
clone or an editable install), else the copy the wheel carries inside the package
(``<package>/content/``, put there by ``setup.py``), found with :mod:`importlib.resources`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from retainment_bot import cache
from retainment_bot.engine.engine import Engine
from retainment_bot.errors import ContentError, Location, Problem, display_path, require_extra

# What reads and checks the files (PyYAML, Babel, the validator) and the matcher (through the
# readings) are imported where they are used: a bot started from the engine cache loads none of it.
if TYPE_CHECKING:
    from retainment_bot.engine.calibration import Calibration
    from retainment_bot.engine.classifier import SecondOpinion
    from retainment_bot.engine.confidence import Confidence
    from retainment_bot.engine.demote import Demote
    from retainment_bot.engine.matcher import Matcher, Phrase
    from retainment_bot.engine.model import Content
    from retainment_bot.engine.render import Translator
    from retainment_bot.engine.rerank import Rerank
    from retainment_bot.engine.validate import ScreenLimits
    from retainment_bot.i18n.catalog import Catalogs
    from retainment_bot.i18n.checks import CheckSettings
    from retainment_bot.i18n.readings import Forms

CONTENT_ENV = "BOT_CONTENT_DIR"
# "on": a Japanese question is also put in dictionary forms with SudachiPy, whose dictionary then
# maps 8-80 MiB. Off by default since session 18 (candidate A′, tests/eval/README.md): beside the
# classifier, the forms gained half a point of Japanese top-1 for 44 MiB and no fewer wrong answers.
ANALYSER_ENV = "BOT_JAPANESE_ANALYSER"
# The optional extra (pyproject's `japanese`) for the analyser and `i18n readings`, and its modules.
JAPANESE_EXTRA = ("japanese", "sudachipy", "sudachidict_small")
READINGS_MODULES = ("pykakasi", *JAPANESE_EXTRA[1:])
# `off`: no second opinion (search/classifier.npz is not read, numpy never imported): for a small host.
SECOND_OPINION_ENV = "BOT_SECOND_OPINION"
# Beside dialogues/ and locales/, not inside locales/: gettext tools (pocount, pofilter, Weblate)
# read every file there as a catalog.
LANGUAGES_FILE = "languages.yaml"
SEARCH_DIR = "search"
# Keys of search/<lang>.yaml that are not node ids: words that mark a question as off topic, chat
# abbreviations with what they stand for ("ko = không"), and more greetings and thanks.
OFF_TOPIC_KEY, ABBREVIATIONS_KEY = "_off_topic", "_abbreviations"
# More ways to say hello and thank you than the interface's own lists (other languages workers
# speak, romaji): the matcher answers them as the catalog's greetings and thanks.
GREETINGS_KEY, THANKS_KEY = "_greetings", "_thanks"
SPECIAL_KEYS = (OFF_TOPIC_KEY, ABBREVIATIONS_KEY, GREETINGS_KEY, THANKS_KEY)
# The calibrated verdict's weights and cut-off (written by `python -m benchmarks.fit_verdict --write`).
VERDICT_FILE = "search/verdict.json"
# Candidate F's model (session 10): a likely-right suggestion answered (engine/confidence.py).
CONFIDENCE_FILE = "search/confidence.json"
# Candidate G's model (session 10): what F leaves unsure re-ordered, perhaps answered (engine/rerank.py).
RERANK_FILE = "search/rerank.json"
# Candidate H2's model (session 11): a likely-wrong answer only suggested (engine/demote.py).
DEMOTE_FILE = "search/demote.json"
# The matcher's second opinion (written by `python -m benchmarks.second_opinion --write`).
CLASSIFIER_FILE = "search/classifier.npz"
CLASSIFIER_COMMAND = "python -m benchmarks.second_opinion --write"


def _importance(content: Content) -> list[str]:
    """Nodes in the order ties are broken: topic entries first (general screens before specific
    ones), in the main menu's order, then every other screen in the same topic order."""
    menu = content.nodes.get(content.menu)
    targets = [b.goto for b in (menu.buttons if menu else ()) if b.goto and b.goto in content.nodes]
    topics = [content.nodes[target].topic for target in targets]
    topics += [slug for slug in content.topics if slug not in topics]
    entries = [content.topics[slug].entry for slug in topics if slug in content.topics]
    rest = [node.id for slug in topics for node in content.nodes.values() if node.topic == slug]
    return entries + [node for node in rest if node not in entries]


def _listed(extra: dict[str, dict[str, list[str]]] | None) -> dict[str, dict[str, list[str]]]:
    """The phrases of ``search/<lang>.yaml`` without its special keys."""
    return {lang: {k: v for k, v in nodes.items() if k not in SPECIAL_KEYS} for lang, nodes in (extra or {}).items()}


def stale_readings(phrases: Iterable[Phrase], forms: Mapping[str, Forms]) -> list[Problem]:
    """One problem when Japanese phrases have no entry in ``search/readings.json``."""
    from retainment_bot.i18n.readings import COMMAND as READINGS_COMMAND
    from retainment_bot.i18n.readings import READINGS_FILE, needs_forms

    missing = sorted({p.text for p in phrases if needs_forms(p.text) and p.text not in forms})
    if not missing:
        return []
    shown = ", ".join(repr(text) for text in missing[:3])
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    return [
        Problem(
            Location(READINGS_FILE, 0),
            f"out of date: no readings for {shown}{more}: run `{READINGS_COMMAND}`",
        )
    ]


def build_matcher(
    content: Content,
    catalogs: Catalogs,
    extra: dict[str, dict[str, list[str]]] | None = None,
    forms: Mapping[str, Forms] | None = None,
    japanese_analyser: bool = False,
    calibration: Calibration | None = None,
    second_opinion: SecondOpinion | None = None,
    confidence: Confidence | None = None,
    rerank: Rerank | None = None,
    demote: Demote | None = None,
) -> Matcher:
    """The free-text index: the content's phrases plus the per-language files, and the small-talk,
    filler and off-topic word lists of every language. ``forms`` are the Japanese phrases'
    readings and dictionary forms (``search/readings.json``); a phrase missing there is put in
    dictionary form with SudachiPy at start (``check`` reports it). ``japanese_analyser=True`` also
    puts a Japanese question in dictionary forms (off by default: candidate A′, session 18).
    ``calibration`` (``search/verdict.json``) decides when to answer; without it, the thresholds.
    ``second_opinion`` (``search/classifier.npz``) may answer what the matcher would suggest, and
    with it ``confidence`` (``search/confidence.json``, candidate F) a likely-right suggestion,
    and ``rerank`` (``search/rerank.json``, candidate G) what F leaves re-ordered; ``demote``
    (``search/demote.json``, candidate H2) only suggests a likely-wrong answer."""
    from retainment_bot.engine import ui
    from retainment_bot.engine.matcher import Matcher, content_phrases
    from retainment_bot.engine.render import interface_text
    from retainment_bot.engine.ui import UiText
    from retainment_bot.i18n.japanese import base_forms
    from retainment_bot.i18n.readings import reading_phrases

    def words(text: UiText) -> list[str]:
        return [w for lang in catalogs.languages for w in interface_text(catalogs, lang, text).split("|")]

    listed = _listed(extra)

    def special(key: str) -> list[str]:
        return [w for nodes in (extra or {}).values() for w in nodes.get(key, [])]

    unwanted = special(OFF_TOPIC_KEY)
    short = [pair.partition("=") for pair in special(ABBREVIATIONS_KEY)]
    phrases = content_phrases(content, catalogs, listed)
    forms = forms or {}
    return Matcher.build(
        [*phrases, *reading_phrases(phrases, forms)],
        greetings=[*words(ui.GREETINGS), *special(GREETINGS_KEY)],
        thanks=[*words(ui.THANKS), *special(THANKS_KEY)],
        off_topic=unwanted,
        aside=words(ui.OFF_TOPIC),
        abbreviations={a.strip(): b.strip() for a, _, b in short if a.strip() and b.strip()},
        stopwords=words(ui.STOPWORDS),
        order=_importance(content),
        entries=[topic.entry for topic in content.topics.values()],
        analyser=base_forms if japanese_analyser else None,
        base_forms={text: entry.base for text, entry in forms.items()},
        navigation=[node.id for node in content.nodes.values() if node.topic == content.nodes[content.menu].topic],
        calibration=calibration,
        second_opinion=second_opinion,
        confidence=confidence,
        rerank=rerank,
        demote=demote,
    )


def _switch(name: str, default: bool = True) -> bool:
    """A setting from the environment: ``off`` (or 0, no, false) and ``on`` (or 1, yes, true);
    ``default`` when it is unset."""
    value = os.environ.get(name, "").strip().lower()
    if value in ("off", "0", "no", "false"):
        return False
    if value in ("on", "1", "yes", "true"):
        return True
    return default


def content_labels(content: Content) -> set[str]:
    """What the classifier may name: every node, and the matcher's kinds of small talk and
    out-of-scope questions."""
    from retainment_bot.engine.classifier import NOT_SCREENS

    return {*content.nodes, *NOT_SCREENS}


def checkout_root() -> Path | None:
    """The source checkout this package runs from (a clone or an editable install), if any."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "dialogues").is_dir() else None


def installed_root() -> Path:
    """The content the wheel carries in ``<package>/content/``."""
    from importlib import resources

    content = resources.files(__package__ or __name__.rpartition(".")[0]) / "content"
    if not isinstance(content, Path):  # a zipped install: the loaders need real files
        raise ContentError([Problem(Location(str(content), 0), "the package must be installed unzipped")])
    return content


def default_root() -> Path:
    """Where the content is read from when ``$BOT_CONTENT_DIR`` is unset."""
    return checkout_root() or installed_root()


@dataclass(frozen=True)
class Project:
    """The content at ``root``: ``root/dialogues`` and ``root/locales``."""

    root: Path = field(default_factory=default_root)
    japanese_analyser: bool = False
    second_opinion_on: bool = True

    def __post_init__(self) -> None:
        # Said at start, not at the first Japanese question: the analyser needs an optional extra.
        if self.japanese_analyser:
            require_extra(JAPANESE_EXTRA[0], f"{ANALYSER_ENV}=on", *JAPANESE_EXTRA[1:])

    @classmethod
    def from_env(cls) -> Project:
        """The project at ``$BOT_CONTENT_DIR``, else the checkout or the installed package's copy;
        ``$BOT_JAPANESE_ANALYSER=on`` also reads Japanese questions in dictionary forms,
        ``$BOT_SECOND_OPINION=off`` matches without the classifier (for a small host)."""
        configured = os.environ.get(CONTENT_ENV)
        root = Path(configured) if configured else default_root()
        analyser, second_opinion = _switch(ANALYSER_ENV, default=False), _switch(SECOND_OPINION_ENV)
        return cls(root, japanese_analyser=analyser, second_opinion_on=second_opinion)

    @property
    def installed(self) -> bool:
        """Whether this is the copy inside the installed package (not to be edited in place)."""
        return self.root.resolve().is_relative_to(Path(__file__).resolve().parent)

    @property
    def dialogues(self) -> Path:
        return self.root / "dialogues"

    @property
    def locales(self) -> Path:
        return self.root / "locales"

    @property
    def template(self) -> Path:
        return self.locales / "messages.pot"

    def settings(self) -> tuple[CheckSettings, float, list[Problem]]:
        """Shipped languages and the completeness needed to offer a language."""
        from retainment_bot.engine.yamlread import LineDict, read_yaml
        from retainment_bot.i18n.checks import CheckSettings

        path = self.root / LANGUAGES_FILE
        name = LANGUAGES_FILE
        if not path.exists():
            return CheckSettings(frozenset()), 0.9, []
        data, problems = read_yaml(path.read_text(encoding="utf-8"), name)
        if not isinstance(data, LineDict):
            return CheckSettings(frozenset()), 0.9, [*problems, Problem(Location(name, 1), "must be a mapping")]
        shipped = data.get("shipped", [])
        if not isinstance(shipped, list) or not all(isinstance(code, str) for code in shipped):
            problems.append(Problem(Location(name, data.lines.get("shipped", 1)), "'shipped' must be a list of codes"))
            shipped = []
        try:
            threshold = float(data.get("min_completeness", "0.9"))
        except ValueError:
            problems.append(
                Problem(Location(name, data.lines.get("min_completeness", 1)), "'min_completeness' must be a number")
            )
            threshold = 0.9
        return CheckSettings(frozenset(shipped)), threshold, problems

    def screen_limits(self) -> tuple[ScreenLimits, list[Problem]]:
        """``screen_limits`` of ``languages.yaml``: language -> the most visible characters one
        screen may have, and ``default`` for the languages not listed. (The file's syntax problems
        are reported once, by :meth:`settings`.)"""
        from retainment_bot.engine.validate import ScreenLimits
        from retainment_bot.engine.yamlread import LineDict, read_yaml

        path = self.root / LANGUAGES_FILE
        name = LANGUAGES_FILE
        data = read_yaml(path.read_text(encoding="utf-8"), name)[0] if path.exists() else None
        problems: list[Problem] = []
        if not isinstance(data, LineDict) or "screen_limits" not in data:
            return ScreenLimits(), problems
        section = data["screen_limits"]
        where = Location(name, data.lines.get("screen_limits", 1))
        if not isinstance(section, dict) or not all(isinstance(v, str) and v.isdigit() for v in section.values()):
            return ScreenLimits(), [*problems, Problem(where, "'screen_limits' must map language codes to numbers")]
        limits = {lang: int(limit) for lang, limit in section.items() if lang != "default"}
        default = int(section.get("default", ScreenLimits().default))
        return ScreenLimits(limits, default), problems

    def load(self) -> Loaded:
        """Load content and catalogs and check everything; the engine may be partial if there are errors."""
        from retainment_bot.engine.loader import dialogue_files, load_content
        from retainment_bot.engine.matcher import content_phrases
        from retainment_bot.engine.validate import validate
        from retainment_bot.i18n.catalog import load_catalogs
        from retainment_bot.i18n.checks import check_catalogs, template_keys

        settings, threshold, translation = self.settings()
        screens, found = self.screen_limits()
        translation += found
        content, problems = load_content(dialogue_files(self.dialogues), self.root)
        catalogs, found = load_catalogs(self.locales, threshold, self.root)
        translation += found
        if self.template.exists():
            translation += check_catalogs(catalogs, template_keys(self.template), settings, self.root)
        else:
            translation.append(
                Problem(Location("locales/messages.pot", 0), "missing: run `python -m retainment_bot i18n extract`")
            )
        problems += validate(content, catalogs, screens)
        extra, found = self.search_files(set(content.nodes))
        translation += found
        forms, found = self.readings()
        translation += found
        translation += stale_readings(content_phrases(content, catalogs, _listed(extra)), forms)
        calibration, found = self.calibration()
        translation += found
        second_opinion, found = self.second_opinion(content_labels(content))
        translation += found
        confidence, found = self.confidence()
        translation += found
        rerank, found = self.rerank()
        translation += found
        demote, found = self.demote()
        translation += found
        matcher = build_matcher(
            content,
            catalogs,
            extra,
            forms,
            japanese_analyser=self.japanese_analyser,
            calibration=calibration,
            second_opinion=second_opinion,
            confidence=confidence,
            rerank=rerank,
            demote=demote,
        )
        return Loaded(Engine(content, catalogs, matcher), problems, translation)

    def write_readings(self) -> Path:
        """Compute the Japanese phrases' readings and dictionary forms into
        ``search/readings.json`` (pykakasi and SudachiPy, the ``japanese`` extra, are loaded for
        this only)."""
        require_extra(JAPANESE_EXTRA[0], "`i18n readings`", *READINGS_MODULES)
        from retainment_bot.engine.loader import dialogue_files, load_content
        from retainment_bot.engine.matcher import content_phrases
        from retainment_bot.i18n.catalog import load_catalogs
        from retainment_bot.i18n.readings import READINGS_FILE, compute, dump

        content, _ = load_content(dialogue_files(self.dialogues), self.root)
        _, threshold, _ = self.settings()
        catalogs, _ = load_catalogs(self.locales, threshold, self.root)
        extra, _ = self.search_files(set(content.nodes))
        phrases = content_phrases(content, catalogs, _listed(extra))
        path = self.root / READINGS_FILE
        path.write_text(dump(compute(p.text for p in phrases)), encoding="utf-8")
        return path

    def calibration(self) -> tuple[Calibration | None, list[Problem]]:
        """The calibrated verdict from ``search/verdict.json``, if the content has one."""
        from retainment_bot.engine.calibration import Calibration

        path = self.root / VERDICT_FILE
        if not path.exists():
            return None, []
        try:
            return Calibration.from_json(path.read_text(encoding="utf-8")), []
        except (ValueError, KeyError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
            return None, [Problem(Location(VERDICT_FILE, 0), f"{exc}: run `python -m benchmarks.fit_verdict --write`")]

    def confidence(self) -> tuple[Confidence | None, list[Problem]]:
        """Candidate F's model from ``search/confidence.json``, if the content has one."""
        from retainment_bot.engine.confidence import Confidence

        path = self.root / CONFIDENCE_FILE
        if not path.exists():
            return None, []
        try:
            return Confidence.from_json(path.read_text(encoding="utf-8")), []
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            return None, [
                Problem(Location(CONFIDENCE_FILE, 0), f"{exc}: run `python -m benchmarks.fit_confidence --write`")
            ]

    def rerank(self) -> tuple[Rerank | None, list[Problem]]:
        """Candidate G's model from ``search/rerank.json``, if the content has one."""
        from retainment_bot.engine.rerank import Rerank

        path = self.root / RERANK_FILE
        if not path.exists():
            return None, []
        try:
            return Rerank.from_json(path.read_text(encoding="utf-8")), []
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            return None, [Problem(Location(RERANK_FILE, 0), f"{exc}: run `python -m benchmarks.fit_rerank --write`")]

    def demote(self) -> tuple[Demote | None, list[Problem]]:
        """Candidate H2's model from ``search/demote.json``, if the content has one."""
        from retainment_bot.engine.demote import Demote

        path = self.root / DEMOTE_FILE
        if not path.exists():
            return None, []
        try:
            return Demote.from_json(path.read_text(encoding="utf-8")), []
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            return None, [Problem(Location(DEMOTE_FILE, 0), f"{exc}: run `python -m benchmarks.fit_demote --write`")]

    def search_phrases(self) -> list[Phrase]:
        """Every phrase the matcher indexes: the content's, ``search/<lang>.yaml``'s and the
        Japanese ones' readings and dictionary forms."""
        from retainment_bot.engine.matcher import content_phrases
        from retainment_bot.i18n.readings import reading_phrases

        engine = self.engine(cached=True)
        extra, _ = self.search_files(set(engine.content.nodes))
        phrases = content_phrases(engine.content, engine.translator, _listed(extra))
        return [*phrases, *reading_phrases(phrases, self.readings()[0])]

    def second_opinion(self, labels: set[str]) -> tuple[SecondOpinion | None, list[Problem]]:
        """The matcher's second opinion from ``search/classifier.npz``, if the content has one;
        every label it knows must be one of ``labels`` (or the file is reported and not used)."""
        from retainment_bot.engine.classifier import SecondOpinion, load

        path = self.root / CLASSIFIER_FILE
        if not self.second_opinion_on or not path.exists():
            return None, []
        data = path.read_bytes()
        try:
            model = load(data, labels)
        except ValueError as exc:
            return None, [Problem(Location(CLASSIFIER_FILE, 0), f"{exc}: run `{CLASSIFIER_COMMAND}`")]
        # The engine cache keeps how to read the file, not its 2.7 MB (the key covers its bytes).
        return SecondOpinion(functools.partial(Path.read_bytes, path), model), []

    def readings(self) -> tuple[dict[str, Forms], list[Problem]]:
        """The Japanese phrases' readings and dictionary forms from ``search/readings.json``."""
        from retainment_bot.i18n.readings import COMMAND as READINGS_COMMAND
        from retainment_bot.i18n.readings import READINGS_FILE, parse

        path = self.root / READINGS_FILE
        if not path.exists():
            return {}, []
        try:
            return parse(path.read_text(encoding="utf-8")), []
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            return {}, [Problem(Location(READINGS_FILE, getattr(exc, "lineno", 0)), f"{exc}: run `{READINGS_COMMAND}`")]

    def search_files(self, nodes: set[str]) -> tuple[dict[str, dict[str, list[str]]], list[Problem]]:
        """Extra search phrases from ``search/<lang>.yaml``: node id -> "a | b" or a list; also
        ``_off_topic`` (words that mark a question as off topic), ``_abbreviations``
        ("ko = không | dc = được"), ``_greetings`` and ``_thanks``."""
        from retainment_bot.engine.yamlread import LineDict, read_yaml

        extra: dict[str, dict[str, list[str]]] = {}
        problems: list[Problem] = []
        for path in sorted((self.root / SEARCH_DIR).glob("*.yaml")):
            name = display_path(path, self.root)
            data, found = read_yaml(path.read_text(encoding="utf-8"), name)
            problems += found
            if data is None:
                continue
            if not isinstance(data, LineDict):
                problems.append(Problem(Location(name, 1), "must map node ids to phrases"))
                continue
            phrases: dict[str, list[str]] = {}
            for node_id, value in data.items():
                where = Location(name, data.lines[node_id])
                if node_id == ABBREVIATIONS_KEY and isinstance(value, str) and "=" not in value:
                    problems.append(Problem(where, "abbreviations are written 'short = long | ...'"))
                    continue
                if node_id not in nodes and node_id not in SPECIAL_KEYS:
                    problems.append(Problem(where, f"unknown node '{node_id}'"))
                    continue
                words = value.split("|") if isinstance(value, str) else value
                if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
                    problems.append(Problem(where, "phrases must be text separated by |, or a list"))
                    continue
                phrases[node_id] = [word.strip() for word in words if word.strip()]
            extra[path.stem] = phrases
        return extra, problems

    def engine(self, cached: bool = False) -> Engine:
        """A ready engine; raises :class:`ContentError` if the dialogues are broken.

        Catalog problems do not stop the bot: a broken or missing translation falls back to
        English (``check`` reports it, and CI fails on it for a shipped language).
        ``cached=True`` (the running bot) takes the engine from :mod:`retainment_bot.cache`
        when it was built from exactly these files, else builds it and stores it there; such an
        engine keeps no Babel catalogs (the review site and ``check`` read those).
        """
        from retainment_bot.engine import render

        where = cache.cache_dir() if cached else None
        if where is not None:
            path, wanted = cache.path_for(where, self.root), self.cache_key()
            found = cache.read(path, wanted)
            if isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], Engine):
                render.remember(found[1])
                return found[0]
        loaded = self.load()
        errors = [p for p in loaded.content_problems if p.severity == "error"]
        if errors:
            raise ContentError(errors[:1])
        engine = loaded.engine
        if where is not None:
            engine = replace(engine, translator=_serving(engine.translator))
            # Every date and language name a reply can show, so that the restored bot needs no Babel.
            for lang in engine.languages:
                render.language_name(lang)
                for node in engine.content.nodes.values():
                    if node.as_of:
                        render.format_as_of(node.as_of, lang)
            # The matcher's index is kept pickled apart, for the first typed question (engine/later.py).
            kept = replace(engine, index=cache.later(engine.matcher)) if engine.matcher is not None else engine
            cache.write(path, wanted, (kept, render.formatted()))
        return engine

    def content_files(self) -> list[tuple[str, Path]]:
        """Every file the engine is built from, with its name under the root."""
        trees = [self.dialogues, self.locales, self.root / SEARCH_DIR]
        found = [path for tree in trees if tree.is_dir() for path in tree.rglob("*") if path.is_file()]
        settings = self.root / LANGUAGES_FILE
        found += [settings] if settings.is_file() else []
        return [(path.relative_to(self.root).as_posix(), path) for path in found]

    def cache_key(self) -> str:
        """The digest the cached engine of this content must carry (:func:`cache.key`)."""
        settings = [f"japanese_analyser={self.japanese_analyser}", f"second_opinion={self.second_opinion_on}"]
        return cache.key(self.content_files(), settings)


def _serving(translator: Translator) -> Translator:
    """The translator without what only ``check`` and the site read (Babel's catalogs)."""
    from retainment_bot.i18n.catalog import Catalogs

    return translator.for_serving() if isinstance(translator, Catalogs) else translator


@dataclass(frozen=True)
class Loaded:
    """An engine with the problems found while loading it."""

    engine: Engine
    content_problems: list[Problem]
    catalog_problems: list[Problem]

    @property
    def problems(self) -> list[Problem]:
        return self.content_problems + self.catalog_problems
