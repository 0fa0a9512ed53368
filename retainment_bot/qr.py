"""Printable QR codes for deep links: one PNG per link, the code above a label in the link's
language (the topic's title and the language's own name), drawn with the bundled Noto Sans CJK JP
subset (``retainment_bot/fonts/``), which covers Vietnamese and Japanese."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from retainment_bot.engine.engine import Engine
from retainment_bot.engine.links import deep_link
from retainment_bot.engine.render import language_name
from retainment_bot.fonts import NOTO_SANS_CJK_JP

if TYPE_CHECKING:
    from PIL import ImageFont

QR_EXTRA = ("qr", "segno", "PIL")  # the optional extra and the modules it provides
SCALE = 12  # pixels per module: about 5 cm wide at 300 dpi for a typical link
FONT = NOTO_SANS_CJK_JP


@dataclass(frozen=True)
class Link:
    """One deep link: a topic in a language."""

    topic: str
    title: str  # in ``lang``
    lang: str
    url: str

    @property
    def language(self) -> str:
        """The language's own name, e.g. ``Tiếng Việt``."""
        return language_name(self.lang)

    @property
    def filename(self) -> str:
        return f"{self.topic}-{self.lang}.png"


def links(engine: Engine, username: str, languages: tuple[str, ...] | None = None) -> list[Link]:
    """Every topic x language deep link, topics in the main menu's order."""
    chosen = languages or engine.languages
    menu = engine.content.nodes.get(engine.content.menu)
    order = [engine.content.nodes[b.goto].topic for b in (menu.buttons if menu else ()) if b.goto]
    topics = ["start", *order, *(t for t in engine.content.topics if t not in order and t != "start")]
    found = []
    for slug in dict.fromkeys(topics):
        topic = engine.content.topics.get(slug)
        if topic is None:
            continue
        for lang in chosen:
            title = engine.translator.translate(lang, topic.entry, topic.title)
            found.append(Link(slug, title, lang, deep_link(username, slug, lang)))
    return found


def label_font(size: int) -> ImageFont.FreeTypeFont:
    """The flyers' font at ``size`` pixels."""
    from PIL import ImageFont  # the 'qr' extra (see QR_EXTRA): imported only by this tool

    return ImageFont.truetype(str(FONT), size)


def _fitting(text: str, size: int, width: int) -> ImageFont.FreeTypeFont:
    """The label font at ``size``, smaller if ``text`` would not fit in ``width`` pixels."""
    font = label_font(size)
    while size > 8 and font.getlength(text) > width:
        size -= 1
        font = label_font(size)
    return font


def label_lines(link: Link, width: int) -> list[tuple[str, int]]:
    """The label's lines, largest first: the topic, the language, the link."""
    return [(link.title, width // 18), (link.language, width // 24), (link.url, width // 30)]


def write_qr(link: Link, directory: Path) -> Path:
    """A PNG with the QR code of ``link.url`` and, under it, the topic, language and URL."""
    import segno  # the 'qr' extra (see QR_EXTRA): imported only by this tool
    from PIL import Image, ImageDraw

    buffer = io.BytesIO()
    segno.make(link.url, error="m").save(buffer, kind="png", scale=SCALE, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    lines = label_lines(link, code.width)
    fonts = [_fitting(text, size, code.width - 2 * SCALE) for text, size in lines]
    height = sum(int(font.getbbox(text)[3]) + 12 for (text, _), font in zip(lines, fonts, strict=True)) + 16
    page = Image.new("RGB", (code.width, code.height + height), "white")
    page.paste(code, (0, 0))
    draw = ImageDraw.Draw(page)
    y = code.height
    for (text, _), font in zip(lines, fonts, strict=True):
        draw.text(((code.width - font.getlength(text)) / 2, y), text, fill="black", font=font)
        y += int(font.getbbox(text)[3]) + 12
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / link.filename
    page.save(path)
    return path
