"""Suggestions ("did you mean"): a close spelling that is in the library, for a query that found little.

A word one character away from a typed word is found through a per-segment spelling index (every word
under each key with one character blanked out), cached like the postings in :mod:`heatcases.search.arrays`.
"""

from __future__ import annotations

import os

# Every reading of each character is all a suggestion needs (below), so pypinyin's dictionary of phrases, 44 MB in
# each server process, is left unread (the variables are read when pypinyin is first imported).
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")

from pypinyin import Style, pinyin  # noqa: E402

from heatcases.search import text  # noqa: E402
from heatcases.search.arrays import SEGMENT, IndexView, segment_key  # noqa: E402
from heatcases.search.query import ParsedQuery  # noqa: E402


def has_unknown_word(view: IndexView, parsed: ParsedQuery) -> bool:
    return any(
        len(word) > 1 and view.doc_frequency("body", word) + view.doc_frequency("title", word) == 0
        for word in parsed.words
    )


def suggest(view: IndexView, parsed: ParsedQuery) -> str | None:
    """A close spelling that is in the library, for a query that found (almost) nothing.

    A Chinese word is only replaced by one that sounds (nearly) the same: typos come from a pinyin keyboard
    (航斑 for 航班), while a word one character away that sounds different (协调 for 空调) is another word.
    The suggestion keeps what was typed around the word (its punctuation, its spacing).
    """
    words = list(parsed.words)
    # A mistyped Chinese word (航斑) falls apart into single characters: try them joined again.
    pairs = [a + b for a, b in zip(words, words[1:], strict=False) if len(a) == 1 and len(b) == 1]
    replacements: dict[str, str] = {}
    for word in words + pairs:
        if len(word) < 2 or len(word) > 20:
            continue
        if view.doc_frequency("body", word) + view.doc_frequency("title", word) > 0:
            continue
        candidates = {candidate: _readings(candidate) for candidate in misspelt(view, word)}
        exact = _readings(word)
        if not text.is_latin(word):
            sound = _folded(exact)
            candidates = {c: readings for c, readings in candidates.items() if _alike(_folded(readings), sound)}
        if candidates:
            replacements[word] = max(
                candidates,
                key=lambda c: (
                    _alike(candidates[c], exact),
                    view.doc_frequency("body", c) + view.doc_frequency("title", c),
                    c,
                ),
            )
    if not replacements:
        return None
    typed = parsed.raw
    normalized = text.normalize(typed)
    suggestion = typed if len(normalized) == len(typed) else normalized
    for wrong, right in replacements.items():
        # The normalised text has the typed text's length: replace at the same places in what was typed.
        start = normalized.find(wrong)
        while start != -1:
            suggestion = suggestion[:start] + right + suggestion[start + len(wrong) :]
            start = normalized.find(wrong, start + len(wrong))
    return suggestion if suggestion != typed else None


# Sounds a pinyin keyboard user easily mixes up (z/zh, c/ch, s/sh, n/l, -n/-ng): one key for each pair.
_FUZZY_SOUNDS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ang", "an"), ("eng", "en"), ("ing", "in"))


def _readings(word: str) -> list[frozenset[str]]:
    """Each character's readings without tones (调: diao, tiao; a character without pinyin stands for itself)."""
    return [frozenset(readings) for readings in pinyin(word, style=Style.NORMAL, heteronym=True, errors="default")]


def _folded(readings: list[frozenset[str]]) -> list[frozenset[str]]:
    """The readings with the sounds that are easily mixed up folded together."""
    return [frozenset(_fold(syllable) for syllable in each) for each in readings]


def _fold(syllable: str) -> str:
    for sound, plain in _FUZZY_SOUNDS:
        syllable = syllable.replace(sound, plain)
    if syllable.startswith("l"):
        syllable = "n" + syllable[1:]
    return syllable


def _alike(one: list[frozenset[str]], other: list[frozenset[str]]) -> bool:
    """Whether two words can be read the same: character by character, some reading in common."""
    return len(one) == len(other) and all(a & b for a, b in zip(one, other, strict=True))


def misspelt(view: IndexView, word: str) -> set[str]:
    """Words of the library one character away from ``word`` (same length: a wrong character)."""
    found: set[str] = set()
    for sub, _base in view.leaves:
        neighbours = view.cache.get((SEGMENT, segment_key(sub), "spell"), lambda sub=sub: spelling_index(sub))
        for position in range(len(word)):
            found.update(neighbours.get(word[:position] + "\0" + word[position + 1 :], ()))
    found.discard(word)
    # A segment's words include those of its deleted documents (archived cases) until it is merged:
    # suggesting one would show a word of a case that is no longer in the library.
    return {candidate for candidate in found if view.in_library("body", candidate)}


def spelling_index(sub) -> dict[str, tuple[str, ...]]:
    """Each story word of a segment, under every key with one character blanked out.

    Looking a misspelt word up under its own keys finds every word one substitution away in a few
    dictionary lookups (Whoosh's ``terms_within`` walks the whole lexicon: ~0.5 s at 100,000 cases).
    """
    index: dict[str, list[str]] = {}
    for raw, _info in sub.iter_field("body"):
        term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        if not 2 <= len(term) <= 8 or any(char.isdigit() for char in term):
            continue
        for position in range(len(term)):
            index.setdefault(term[:position] + "\0" + term[position + 1 :], []).append(term)
    return {key: tuple(words) for key, words in index.items()}
