"""A story in four parts (situation, what I did, outcome, takeaway) and the one body it is stored as.

The body keeps each part under a marker at the start of a line, ``【情况】`` or ``【Situation】``,
as the seed documents write their cases, so a story reads well anywhere (API, import, search) and
the edit form can split it back into its parts.
"""

from __future__ import annotations

import re

from heatcases.vocab import STORY_PARTS

PART_CODES = tuple(part.code for part in STORY_PARTS)
# Stories written in Traditional Chinese (an import, the API) mark their parts in it: 【情況】【結果】.
_TRADITIONAL = {"情况": "情況", "结果": "結果"}
_CODE_OF_MARKER = {
    name: part.code for part in STORY_PARTS for name in (part.zh, part.en, _TRADITIONAL.get(part.zh, part.zh))
}
_MARKER = re.compile(
    r"^[ \t]*[【\[](" + "|".join(re.escape(name) for name in _CODE_OF_MARKER) + r")[】\]][ \t]*", re.MULTILINE
)


def compose(parts: dict[str, str], lang: str) -> str:
    """The body of the parts that were written, each under its marker in the author's language."""
    pieces = []
    for part in STORY_PARTS:
        text = (parts.get(part.code) or "").strip()
        if text:
            pieces.append(f"【{part.label(lang)}】{text}")
    return "\n\n".join(pieces)


def content_length(parts: dict[str, str]) -> int:
    """How much the author wrote, markers not counted."""
    return sum(len((parts.get(code) or "").strip()) for code in PART_CODES)


def sections(body: str) -> list[tuple[str, str]] | None:
    """The written parts of a body in the order it holds them, as (part code, text), or None for free text.

    This is how a story is read on a page: each part under a heading in the reader's language.
    """
    parts = split(body)
    if parts is None:
        return None
    return [(code, text) for code, text in parts.items() if text]


def without_markers(body: str) -> str:
    """The body with each marker blanked to spaces of its length: positions in it are the body's own."""
    return _MARKER.sub(lambda marker: " " * len(marker.group()), body or "")


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


def split(body: str) -> dict[str, str] | None:
    """The parts of a body written with the markers, or None when it is free text (an import, the API)."""
    markers = list(_MARKER.finditer(body or ""))
    if not markers or body[: markers[0].start()].strip():
        return None
    parts: dict[str, str] = {}
    for marker, following in zip(markers, markers[1:] + [None], strict=True):
        code = _CODE_OF_MARKER[marker.group(1)]
        if code in parts:
            return None
        parts[code] = body[marker.end() : following.start() if following else len(body)].strip()
    return parts
