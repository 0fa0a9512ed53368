"""Remove what could identify someone from a question before it is kept for content editors.

The text is cut to :data:`CUT` characters *before* any pattern runs (a pattern on a long text
can take long). Then, in order: e-mail addresses, links, @names; what follows "my name is",
"I live in" and their Vietnamese and Japanese equivalents; runs of two or more capitalised words
(how names and places are written: "Nguyen Van Binh", "Minato Ward"); Japanese addresses
(…都/道/府/県/市/区/町/村/丁目); and every digit. The result may lose a harmless proper noun: a
kept question is for spotting missing topics, not for quoting.
"""

from __future__ import annotations

import re

CUT = 600
KEEP = 300

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+|t\.me/\S+", re.IGNORECASE)
_HANDLE = re.compile(r"@\w+")
_DIGITS = re.compile(r"\d")
# "my name is …", "I live in …" and the like: the words after the cue, up to punctuation.
_CUES = re.compile(
    r"(?P<cue>\b(?:my name is|my name's|i am called|call me|i live in|i live at|i'm from|i am from|"
    r"my address is|tên (?:tôi|em|mình|của tôi) là|tôi tên là|em tên là|mình tên là|"
    r"tôi (?:sống|ở|đang sống) (?:ở|tại)|em (?:sống|ở) (?:ở|tại)|địa chỉ (?:của tôi |của em )?là)\b)"
    r"\s*[^,.;:!?\n]*",
    re.IGNORECASE,
)
_JA_CUES = re.compile(r"(?P<cue>名前は|なまえは|住所は)[^、。,.!?！？\s]*|[^、。,.!?！？\s]+(?=と申します|に住んで)")
_JA_PLACE = re.compile(
    r"[\u3400-\u9fff\u30a0-\u30ff]*[\u3400-\u9fff\u30a0-\u30ff](?:都|道|府|県|市|区|町|村|丁目|番地)"
)
_WORD = re.compile(r"[^\W\d_][^\W\d_'-]*")


def redact(text: str) -> str:
    """``text`` cut short, with e-mail addresses, links, @names, names, addresses and every
    digit replaced."""
    text = text[:CUT]
    text = _EMAIL.sub("[email]", text)
    text = _URL.sub("[link]", text)
    text = _HANDLE.sub("[name]", text)
    text = _CUES.sub(lambda m: f"{m.group('cue')} [name]", text)
    text = _JA_CUES.sub(lambda m: f"{m.group('cue')}[name]" if m.group("cue") else "[name]", text)
    text = _JA_PLACE.sub("[place]", text)
    text = _capitalised_runs(text)
    text = _DIGITS.sub("#", text)
    return " ".join(text.split())[:KEEP]


def _capitalised_runs(text: str) -> str:
    """Replace two or more capitalised words in a row (names, places) by ``[name]``; acronyms
    such as COVID or TITP and the word "I" do not count."""
    words = list(_WORD.finditer(text))
    out: list[str] = []
    run: list[re.Match[str]] = []
    last = 0

    def flush() -> None:
        nonlocal last
        if len(run) >= 2:
            out.append(text[last : run[0].start()])
            out.append("[name]")
            last = run[-1].end()
        run.clear()

    for index, word in enumerate(words):
        value = word.group()
        capital = value[0].isupper() and not value.isupper() and len(value) > 1
        adjacent = bool(run) and text[run[-1].end() : word.start()].strip(" -") == ""
        if capital and (not run or adjacent):
            run.append(word)
        else:
            flush()
            if capital:
                run.append(word)
        if index == len(words) - 1:
            flush()
    out.append(text[last:])
    return "".join(out)
