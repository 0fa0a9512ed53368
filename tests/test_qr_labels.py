"""QR flyers labelled in the reader's language: each decodes to its link, and its label is drawn
with real glyphs of the bundled font, not the boxes (.notdef) a font without them draws."""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from retainment_bot.engine.engine import Engine
from retainment_bot.engine.render import language_name
from retainment_bot.qr import FONT, SCALE, _fitting, label_font, label_lines, links, write_qr
from tests.conftest import LANGUAGES, ROOT

BOT = "retainment_test_bot"
ABSENT = chr(0x10FFFD)  # a private-use code point no font has: its drawing is the .notdef box


def drawing(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, text: str) -> bytes:
    image = Image.new("L", (96, 64), 255)
    ImageDraw.Draw(image).text((8, 4), text, font=font, fill=0)
    return image.tobytes()


def tofu(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, text: str) -> set[str]:
    """The characters of ``text`` that ``font`` draws as its missing-glyph box (or not at all)."""
    box, blank = drawing(font, ABSENT), drawing(font, "")
    return {ch for ch in set(text) if not ch.isspace() and drawing(font, ch) in (box, blank)}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_flyer_decodes_to_its_link_and_is_labelled_in_its_language(engine: Engine, tmp_path: Path, lang: str) -> None:
    for link in links(engine, BOT, (lang,)):
        path = write_qr(link, tmp_path)
        image = Image.open(path)
        (decoded,) = zxingcpp.read_barcodes(image)
        assert decoded.text == link.url == f"https://t.me/{BOT}?start={link.topic}-{lang}"
        topic = engine.content.topics[link.topic]
        assert link.title == engine.translator.translate(lang, topic.entry, topic.title)
        assert link.language == language_name(lang)
        label = image.crop((0, image.width, image.width, image.height)).convert("L")  # under the square code
        darkest, _ = label.getextrema()
        assert isinstance(darkest, int) and darkest < 100, "the label area is blank"
    vi = {link.topic: link.title for link in links(engine, BOT, ("vi",))}
    assert vi["eligibility"] != "Was I eligible?" and language_name("vi") == "Tiếng Việt"
    assert language_name("ja") == "日本語"


def test_every_label_is_drawn_with_glyphs_where_pillows_default_font_draws_boxes(engine: Engine) -> None:
    text = "".join(line for link in links(engine, BOT) for line, _ in label_lines(link, 480))
    ours = label_font(24)
    assert tofu(ours, text) == set()
    # The comparison can tell: Pillow's own font lacks these, and draws them as boxes.
    default = ImageFont.load_default(size=24)
    missing = tofu(default, text)
    assert {"日", "本", "語", "ệ"} <= missing
    assert all(ch not in tofu(ours, ch) for ch in missing)


def test_the_titles_stay_readable_and_the_font_ships_with_its_licence(engine: Engine) -> None:
    for link in links(engine, BOT):
        (title, size), *_ = label_lines(link, (33 + 8) * SCALE)
        assert _fitting(title, size, (33 + 8) * SCALE - 2 * SCALE).size >= 16, title
    assert FONT.is_relative_to(ROOT / "retainment_bot") and FONT.stat().st_size < 2_000_000
    licence = (FONT.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert "Noto Sans CJK JP" in TTFont(FONT)["name"].getDebugName(1)
