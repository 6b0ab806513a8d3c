"""Suggestions ("did you mean"): a close spelling that is in the library, for a query that found little.

A word one character away from a typed word is found through a per-segment spelling index (every word
under each key with one character blanked out), cached like the postings in :mod:`heatcases.search.arrays`.
"""

from __future__ import annotations

from pypinyin import lazy_pinyin

from heatcases.search import text
from heatcases.search.arrays import IndexView, segment_key
from heatcases.search.query import ParsedQuery


def has_unknown_word(view: IndexView, parsed: ParsedQuery) -> bool:
    return any(
        len(word) > 1 and view.doc_frequency("body", word) + view.doc_frequency("title", word) == 0
        for word in parsed.words
    )


def suggest(view: IndexView, parsed: ParsedQuery) -> str | None:
    """A close spelling that is in the library, for a query that found (almost) nothing."""
    words = list(parsed.words)
    # A mistyped Chinese word (航斑) falls apart into single characters: try them joined again.
    pairs = [a + b for a, b in zip(words, words[1:], strict=False) if len(a) == 1 and len(b) == 1]
    replacements: dict[str, str] = {}
    for word in words + pairs:
        if len(word) < 2 or len(word) > 20:
            continue
        if view.doc_frequency("body", word) + view.doc_frequency("title", word) > 0:
            continue
        candidates = misspelt(view, word)
        if candidates:
            # Chinese typos are mostly homophones from a pinyin keyboard (航斑 for 航班): prefer those.
            sound = lazy_pinyin(word)
            replacements[word] = max(
                candidates,
                key=lambda c: (
                    lazy_pinyin(c) == sound,
                    view.doc_frequency("body", c) + view.doc_frequency("title", c),
                    c,
                ),
            )
    if not replacements:
        return None
    original = text.normalize(parsed.raw)
    suggestion = original
    for wrong, right in replacements.items():
        suggestion = suggestion.replace(wrong, right)
    return suggestion if suggestion != original else None


def misspelt(view: IndexView, word: str) -> set[str]:
    """Words of the library one character away from ``word`` (same length: a wrong character)."""
    found: set[str] = set()
    for sub, _base in view.leaves:
        neighbours = view.cache.get((segment_key(sub), "spell"), lambda sub=sub: spelling_index(sub))
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
