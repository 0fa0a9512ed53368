"""The matcher's shortcuts leave nothing out: what the index finds for a typo or a Japanese
question is what comparing with everything finds.

The speed work (issue 12) replaced comparisons with every word or phrase by bounds worked out
when the index is made; a bound too tight would drop a match without any error. These check the
bounds against brute force on the shipped index, with typos and questions made up here."""

from __future__ import annotations

import random

import pytest
from rapidfuzz import fuzz, process

from retainment_bot.engine.matcher import BASE, RAW, Matcher, _bigrams, _enough_words, _shared_needed
from retainment_bot.engine.normalize import compact

LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"


@pytest.fixture(scope="module")
def shipped() -> Matcher:
    from retainment_bot.project import Project

    matcher = Project().engine().matcher
    assert matcher is not None
    return matcher


def typo(word: str, chance: random.Random) -> str:
    """``word`` with up to three letters dropped, added or changed."""
    letters = list(word)
    for _ in range(chance.randint(0, 3)):
        at = chance.randrange(len(letters) + 1)
        kind = chance.random()
        if kind < 1 / 3 and len(letters) > 1:
            del letters[min(at, len(letters) - 1)]
        elif kind < 2 / 3:
            letters.insert(at, chance.choice(LETTERS))
        else:
            letters[min(at, len(letters) - 1)] = chance.choice(LETTERS)
    return "".join(letters)


def test_a_typo_finds_what_the_whole_vocabulary_finds(shipped: Matcher) -> None:
    chance = random.Random(12)
    cutoff = shipped.thresholds.phrase
    tokens = [typo(chance.choice(shipped.vocabulary), chance) for _ in range(4000)]
    tokens += ["".join(chance.choice(LETTERS) for _ in range(chance.randint(4, 16))) for _ in range(1000)]
    found = 0
    for token in (t for t in tokens if len(t) >= 4):
        everything = process.extract(token, shipped.vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=4)
        indexed = process.extract(token, shipped._typo_words(token), scorer=fuzz.ratio, score_cutoff=cutoff, limit=4)
        assert [(w, s) for w, s, _ in indexed] == [(w, s) for w, s, _ in everything], token
        found += bool(everything)
    assert found > 1000  # the typos are close enough to be found, so the comparison means something


def test_a_japanese_question_finds_every_text_sharing_enough_bigrams(shipped: Matcher) -> None:
    chance = random.Random(13)
    texts = shipped.texts[RAW].texts
    questions = [
        compact(t) for t in ("特定技能の外国人を雇っていましたが契約を終了", "うちの実習生がコロナで仕事がなくなった")
    ]
    for _ in range(400):  # pieces of phrases run together, with a few characters changed
        joined = "".join(chance.choice(texts) for _ in range(chance.randint(1, 8)))
        chars = [chance.choice("のにはをがで") if chance.random() < 0.1 else c for c in joined]
        questions.append("".join(chars))
    for place in shipped.texts[RAW].neediest[:60]:  # parts of long texts: the long text shares them
        text = texts[place]
        start = chance.randrange(len(text) // 2)
        questions.append(text[start : start + chance.randint(2, len(text) - start)])
    for question in questions:
        grams, enough = _bigrams(question), _shared_needed(len(question))
        for form in (RAW, BASE):
            by = shipped.texts[form]
            brute = {
                place
                for place, text_grams in enumerate(by.grams)
                if len(grams & set(text_grams)) >= min(by.needed[place], enough)
            }
            assert set(shipped._sharing(question, by)) == brute, question


def test_a_question_finds_every_latin_phrase_with_enough_of_its_words(shipped: Matcher) -> None:
    chance = random.Random(14)
    shapes = shipped.shapes
    words = sorted({word for found in shapes.words for word in found})
    for _ in range(2000):  # words of a few phrases and some others, as a question's
        asked = {word for _ in range(chance.randint(1, 6)) for word in chance.choice(shapes.words)}
        asked |= set(chance.sample(words, chance.randint(0, 20)))
        where = dict.fromkeys(chance.sample(sorted(asked), chance.randint(1, len(asked))))
        brute = {
            place
            for place, found in enumerate(shapes.distinct)
            if len(where.keys() & set(found)) >= shapes.needed[place]
        }
        assert set(_enough_words(shapes, where)) == brute
