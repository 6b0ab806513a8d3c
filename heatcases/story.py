"""A text in parts and the one body it is stored as: an exemplar's story in four parts (situation, what I did,
outcome, takeaway), a lesson's in two (what happened, the result).

The body keeps each part under a marker at the start of a line, ``【情况】`` or ``【Situation】``,
as the seed documents write their cases, so a story reads well anywhere (API, import, search) and
the edit form can split it back into its parts. Where it is read, the parts are headings in the reader's
language (``sections``) and previews leave the markers out (``excerpt``, ``without_markers``).
"""

from __future__ import annotations

import functools
import re

from heatcases.vocab import LESSON_PARTS, STORY_PARTS, Term

PART_CODES = tuple(part.code for part in STORY_PARTS)
LESSON_PART_CODES = tuple(part.code for part in LESSON_PARTS)
# Stories written in Traditional Chinese (an import, the API) mark their parts in it: 【情況】【結果】【經過】.
_TRADITIONAL = {"情况": "情況", "结果": "結果", "经过": "經過"}
_EVERY_PART = STORY_PARTS + LESSON_PARTS


@functools.cache
def _markers(parts: tuple[Term, ...]) -> tuple[dict[str, str], re.Pattern]:
    code_of_marker = {
        name: part.code for part in parts for name in (part.zh, part.en, _TRADITIONAL.get(part.zh, part.zh))
    }
    marker = re.compile(
        r"^[ \t]*[【\[](" + "|".join(re.escape(name) for name in code_of_marker) + r")[】\]][ \t]*", re.MULTILINE
    )
    return code_of_marker, marker


def compose(parts: dict[str, str], lang: str, terms: tuple[Term, ...] = STORY_PARTS) -> str:
    """The body of the parts that were written, each under its marker in the author's language."""
    pieces = []
    for part in terms:
        text = (parts.get(part.code) or "").strip()
        if text:
            pieces.append(f"【{part.label(lang)}】{text}")
    return "\n\n".join(pieces)


def content_length(parts: dict[str, str]) -> int:
    """How much the author wrote, markers not counted."""
    return sum(len((text or "").strip()) for text in parts.values())


def split(body: str, terms: tuple[Term, ...] = STORY_PARTS) -> dict[str, str] | None:
    """The parts of a body written with the markers, or None when it is free text (an import, the API)."""
    code_of_marker, marker_pattern = _markers(terms)
    markers = list(marker_pattern.finditer(body or ""))
    if not markers or body[: markers[0].start()].strip():
        return None
    parts: dict[str, str] = {}
    for marker, following in zip(markers, markers[1:] + [None], strict=True):
        code = code_of_marker[marker.group(1)]
        if code in parts:
            return None
        parts[code] = body[marker.end() : following.start() if following else len(body)].strip()
    return parts


def sections(body: str) -> list[tuple[str, str]] | None:
    """The written parts of a body (a story's or a lesson's) in the order it holds them, as (part code, text),
    or None for free text. This is how a story is read on a page: each part under a heading."""
    for terms in (STORY_PARTS, LESSON_PARTS):
        parts = split(body, terms)
        if parts is not None:
            return [(code, text) for code, text in parts.items() if text]
    return None


def without_markers(body: str) -> str:
    """The body with each marker blanked to spaces of its length: positions in it are the body's own."""
    _codes, marker = _markers(_EVERY_PART)
    return marker.sub(lambda found: " " * len(found.group()), body or "")


# A run of characters that reads as one token (a masked number 139****5678, an e-mail, an order code): an
# excerpt never ends inside one.
_TOKEN_CHARS = "[0-9A-Za-z*@._+-]"
_TOKEN_TAIL = re.compile(_TOKEN_CHARS + "+$")
_TOKEN_CHAR = re.compile(_TOKEN_CHARS)


def excerpt(body: str, limit: int) -> str:
    """A plain-text preview of at most ``limit`` characters (and an ellipsis): the markers left out, the
    parts run together, cut before a word or masked number rather than inside it."""
    flat = " ".join(without_markers(body).split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit]
    token = _TOKEN_TAIL.search(cut)
    if token and _TOKEN_CHAR.match(flat[limit]):  # the cut would split a token: end before it, or after it
        rest = re.match(_TOKEN_CHARS + "*", flat[limit:]).end()
        cut = cut[: token.start()] if token.start() >= limit // 3 else flat[: limit + rest]
    return cut.rstrip(" ,，、;；:：") + "…"
