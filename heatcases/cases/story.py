"""A story in four parts (situation, what I did, outcome, takeaway) and the one body it is stored as.

The body keeps each part under a marker at the start of a line, ``【情况】`` or ``【Situation】``,
as the seed documents write their cases, so a story reads well anywhere (API, import, search) and
the edit form can split it back into its parts.
"""

from __future__ import annotations

import re

from heatcases.vocab import STORY_PARTS

PART_CODES = tuple(part.code for part in STORY_PARTS)
_CODE_OF_MARKER = {name: part.code for part in STORY_PARTS for name in (part.zh, part.en)}
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
