"""The bundled font: Noto Sans CJK JP cut down by ``tools/subset_font.py`` (licence: OFL.txt).

It covers Latin with every Vietnamese letter, kana and everyday kanji, so the QR flyers' labels
and the review site show Vietnamese and Japanese on any machine.
"""

from pathlib import Path

NOTO_SANS_CJK_JP = Path(__file__).resolve().parent / "NotoSansCJKjp-subset.otf"

__all__ = ["NOTO_SANS_CJK_JP"]
