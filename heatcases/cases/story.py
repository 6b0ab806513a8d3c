"""A text in parts and the one body it is stored as: an exemplar's story in four parts (situation, what I did,
outcome, takeaway), a lesson's in two (what happened, the result).

The body keeps each part under a marker at the start of a line, ``【情况】`` or ``【Situation】``,
as the seed documents write their cases, so a story reads well anywhere (API, import, search) and
the edit form can split it back into its parts.
"""

from __future__ import annotations

import functools
import re

from heatcases.vocab import LESSON_PARTS, STORY_PARTS, Term

PART_CODES = tuple(part.code for part in STORY_PARTS)
LESSON_PART_CODES = tuple(part.code for part in LESSON_PARTS)


@functools.cache
def _markers(parts: tuple[Term, ...]) -> tuple[dict[str, str], re.Pattern]:
    code_of_marker = {name: part.code for part in parts for name in (part.zh, part.en)}
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
