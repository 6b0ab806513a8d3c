"""Highlighted snippets: the passage of a story where the query's words are, marks around them.

Works on the stored story itself (the database's copy), finding the query's normalised words in the
normalised text, which has exactly the original's length: so a mark always covers exactly the
characters that matched (no 马克思 highlighted as 马克), and no hit is segmented again.
"""

from __future__ import annotations

import re
from html import escape

from markupsafe import Markup

from heatcases import story
from heatcases.search import text

WIDTH = 120
LEAD = 24
_LATIN_WORD = re.compile(r"[0-9a-z]+(?:['-][0-9a-z]+)*")
_SPACE = re.compile(r"\s+")
_SENTENCE_END = "。！？；!?;\n"


def _spans(normalized: str, terms: list[str]) -> list[tuple[int, int]]:
    spans = []
    latin = {term for term in terms if text.is_latin(term)}
    for term in terms:
        if term in latin or not term:
            continue
        start = normalized.find(term)
        while start != -1:
            spans.append((start, start + len(term)))
            start = normalized.find(term, start + len(term))
    if latin:
        for match in _LATIN_WORD.finditer(normalized):
            if text.stem(match.group()) in latin or match.group() in latin:
                spans.append(match.span())
    # Longest first at each place, then drop spans inside an earlier one.
    spans.sort(key=lambda span: (span[0], -span[1]))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            continue
        merged.append((start, end))
    return merged


def _window(normalized: str, spans: list[tuple[int, int]], width: int) -> int:
    """Where the passage starts: the window that holds the most distinct matched words."""
    best_start, best_score = 0, -1
    for index, (start, _end) in enumerate(spans):
        seen = set()
        for other_start, other_end in spans[index:]:
            if other_end - start > width - LEAD:
                break
            seen.add(normalized[other_start:other_end])
        score = len(seen) * 10 - index * 0.01  # ties: the earlier passage
        if score > best_score:
            best_start, best_score = start, score
    begin = max(0, best_start - LEAD)
    # Prefer to start at the beginning of the sentence when it is close.
    for position in range(best_start - 1, begin - 1, -1):
        if normalized[position] in _SENTENCE_END:
            return position + 1
    return begin


def make_snippet(body: str, terms: list[str], *, width: int = WIDTH, passage: tuple[int, int] | None = None) -> Markup:
    """An HTML snippet of ``body``: escaped text, ``<mark>`` around the matched words.

    ``passage`` (start, end) is the part of the story that matched by meaning: the snippet shows it, with
    any matched words marked, unless the words themselves were found elsewhere and not in it.
    """
    body = story.without_markers(body)  # the part markers are not the story's words; positions stay the same
    normalized = text.normalize(body)
    spans = _spans(normalized, [term for term in terms if term])
    if passage and passage[1] > passage[0]:
        inside = [span for span in spans if passage[0] <= span[0] < passage[1]]
        if inside or not spans:
            spans = inside
            begin = _window(normalized, inside, width) if inside else passage[0]
        else:
            begin = _window(normalized, spans, width)
    else:
        begin = _window(normalized, spans, width) if spans else 0
    end = min(len(body), begin + width)
    parts = ["…" if begin > 0 else ""]
    cursor = begin
    for start, stop in spans:
        if stop <= begin or start >= end:
            continue
        start, stop = max(start, begin), min(stop, end)
        parts.append(escape(body[cursor:start], quote=False))
        parts.append(f"<mark>{escape(body[start:stop], quote=False)}</mark>")
        cursor = stop
    parts.append(escape(body[cursor:end], quote=False))
    if end < len(body):
        parts.append("…")
    return Markup(_SPACE.sub(" ", "".join(parts)).strip())
