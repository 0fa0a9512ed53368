"""Make the flyers' font: Noto Sans CJK JP cut down to what the bot's languages need.

    apt-get install fonts-noto-cjk
    python tools/subset_font.py            # writes retainment_bot/fonts/NotoSansCJKjp-subset.otf

Kept: Latin with every Vietnamese letter, punctuation, kana, full-width forms, the everyday
kanji (JIS level 1), and every character of the dialogues and the catalogs (so every topic
title and language name). Run it again if a translation brings a rarer kanji:
tests/test_qr_labels.py fails until then.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
TARGET = ROOT / "retainment_bot" / "fonts" / "NotoSansCJKjp-subset.otf"
RANGES = [
    (0x0020, 0x024F),  # Basic Latin to Latin Extended-B (ơ, ư, đ)
    (0x0300, 0x036F),  # combining diacritics
    (0x1E00, 0x1EFF),  # Latin Extended Additional (ạ, ế, ữ ...)
    (0x2000, 0x206F),  # general punctuation
    (0x3000, 0x30FF),  # CJK punctuation, hiragana, katakana
    (0xFF00, 0xFFEF),  # full-width forms
]


def jis_level1_kanji() -> set[int]:
    """The 2,965 everyday kanji of JIS X 0208 level 1 (Shift_JIS lead bytes 0x88-0x98), so a new
    title or translation rarely needs a new subset."""
    found: set[int] = set()
    for lead in range(0x88, 0x99):
        for trail in [*range(0x40, 0x7F), *range(0x80, 0xFD)]:
            try:
                found.add(ord(bytes([lead, trail]).decode("shift_jis")))
            except UnicodeDecodeError:
                continue
    return {code for code in found if 0x4E00 <= code <= 0x9FFF}


def characters() -> set[int]:
    """Every code point to keep."""
    wanted = {code for low, high in RANGES for code in range(low, high + 1)} | jis_level1_kanji()
    files = [*ROOT.glob("dialogues/*.yaml"), *ROOT.glob("locales/*/LC_MESSAGES/*.po"), *ROOT.glob("locales/*/*.yaml")]
    for path in files:
        wanted |= {ord(ch) for ch in path.read_text(encoding="utf-8")}
    return wanted


def main() -> int:
    font = TTCollection(str(SOURCE)).fonts[0]  # Noto Sans CJK JP
    available = set(font.getBestCmap())
    options = subset.Options()
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(characters() & available))
    subsetter.subset(font)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(TARGET))
    print(f"wrote {TARGET} ({TARGET.stat().st_size // 1024} KiB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
