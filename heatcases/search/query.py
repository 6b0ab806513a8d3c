"""What a user typed, understood: words, phrases, excluded words (``parse_query``), and the filters.

Parsing never fails and never touches the index; the engine matches a :class:`ParsedQuery` lexically,
and any other kind of matching would start from the same parsed query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from heatcases.search import text

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12

_QUOTED = re.compile(r'["“”「」『』]([^"“”「」『』]*)["“”「」『』]?')
_EXCLUDED = re.compile(r"(?:^|\s)[-－]([^\s\"“”]+)")


@dataclass
class ParsedQuery:
    """What a user typed, understood: words (all wanted), phrases (in order), excluded words."""

    raw: str
    words: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    meant: str = ""  # what was typed, without quotes and excluded words: for matching by meaning

    @property
    def empty(self) -> bool:
        return not (self.words or self.phrases)

    @property
    def unsearchable(self) -> bool:
        """Something was typed, but nothing in it can be searched (only punctuation, emoji, symbols)."""
        return bool(self.raw) and self.empty and not self.excluded

    def highlight_terms(self) -> list[str]:
        """Every form worth marking in a snippet: the words, their synonyms, the phrase words."""
        terms = list(self.words)
        for word in self.words:
            terms.extend(text.synonyms(word))
        for phrase in self.phrases:
            terms.extend(phrase)
        return list(dict.fromkeys(terms))


def parse_query(raw: str) -> ParsedQuery:
    """Quotes make a phrase, a leading minus excludes a word; anything else is words. Never fails."""
    raw = (raw or "").replace("\x00", " ")[:MAX_QUERY_CHARS]
    parsed = ParsedQuery(raw=raw.strip())
    for match in _QUOTED.finditer(raw):
        words = [token.text for token in text.tokens(match.group(1), for_index=False)]
        if len(words) > 1:
            parsed.phrases.append(words[:MAX_QUERY_WORDS])
        else:
            parsed.words.extend(words)
    rest = _QUOTED.sub(" ", raw)
    for match in _EXCLUDED.finditer(rest):
        parsed.excluded.extend(text.query_words(match.group(1)))
    rest = _EXCLUDED.sub(" ", rest)
    parsed.meant = " ".join(_EXCLUDED.sub(" ", re.sub(r'["“”「」『』]', " ", raw)).split())
    parsed.words.extend(word for word in text.query_words(rest) if word not in parsed.words)
    parsed.words = [word for word in parsed.words if word not in parsed.excluded][:MAX_QUERY_WORDS]
    return parsed


@dataclass
class IndexFilters:
    tags: list[str] = field(default_factory=list)
    behavior: str | None = None
    business_line: str | None = None
    featured: bool | None = None
    date_from: date | None = None
    date_to: date | None = None
    kind: str | None = None  # exemplar | lesson; None: both
    defect_class: str | None = None
    servqual: list[str] = field(default_factory=list)
