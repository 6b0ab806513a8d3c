"""Text analysis for search: normalisation, Chinese segmentation, English stemming, synonyms.

Used at index time and query time alike, so a Traditional query finds Simplified text, and a
highlight lands on exactly the characters that matched. Offsets are always exact: normalisation
never changes the length of the text, and every token carries its own start and end.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import opencc
import rjieba
from whoosh.lang.porter import stem as porter_stem

DATA_DIR = Path(__file__).parent / "data"

# OpenCC's t2s keeps a few characters the mainland writes differently in this trade.
_FOLD = str.maketrans({"帐": "账", "姊": "姐"})
# Full-width ASCII (Ａ１！) to half-width, one character for one, so offsets stay put.
_HALF = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

# Function words that carry no meaning for search. Frequent content words (客人, 客服) stay in the
# index so they can be found alone; the query side drops them when better words are present.
STOP_WORDS = frozenset(
    "的 了 是 在 和 与 及 或 也 就 都 而 又 还 着 过 吗 呢 吧 啊 呀 哦 嗯 之 其 被 把 给 让 对 向 从 "
    "这 那 这个 那个 这样 那样 一个 一些 有些 我 你 他 她 它 我们 你们 他们 她们 自己 "
    "a an and are as at be by for from in into is it of on or that the this to was were with".split()
)
# Question words a trainee types ("客人航班取消了怎么办"): dropped from queries only.
QUERY_STOP_WORDS = STOP_WORDS | frozenset(
    "怎么 怎么办 怎样 如何 什么 什么时候 时候 有 还有 没有 有没有 办法 有办法 能 会 吗 哪些 为什么 能否 "
    "可以 需要 应该 要 想 办 处理 一下 情况 问题 案例 请问 "
    "how what why when which who should can could do does did i my me".split()
)

_WORD = re.compile(r"[0-9a-z\u3400-\u9fff\uf900-\ufaff]", re.IGNORECASE)
_LATIN = re.compile(r"^[0-9a-z][0-9a-z._'-]*$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

_lock = threading.RLock()
_converter: opencc.OpenCC | None = None
_segmenter_ready = False


def _t2s() -> opencc.OpenCC:
    global _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                _converter = opencc.OpenCC("t2s")
    return _converter


def _read_lines(path: Path) -> Iterator[str]:
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            yield line


def _ensure_segmenter() -> None:
    """Teach the segmenter the trade's words (航变, 退改签, 超售…) once per process."""
    global _segmenter_ready
    if _segmenter_ready:
        return
    with _lock:
        if _segmenter_ready:
            return
        words = set(_read_lines(DATA_DIR / "words.txt")) if (DATA_DIR / "words.txt").exists() else set()
        for group in synonym_groups():
            words.update(word for word in group if _CJK.search(word))
        for word in sorted(words):
            if len(word) > 1 and " " not in word:
                rjieba.add_word(word, 2000, None)
        _segmenter_ready = True


def dictionary_fingerprint() -> str:
    """Changes when the words the segmenter keeps whole change (words.txt, or words in synonyms.txt)."""
    digest = hashlib.sha256()
    for name in ("words.txt", "synonyms.txt"):
        path = DATA_DIR / name
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:12]


def simplified(text: str) -> str:
    """The text in Simplified script (Traditional characters and a few Hong Kong/Taiwan phrasings converted)."""
    return _t2s().convert(text).translate(_FOLD)


def normalize(text: str) -> str:
    """Simplified, half-width, lower-case text of exactly the same length as ``text``."""
    text = text.translate(_HALF)
    simplified = _t2s().convert(text)
    if len(simplified) != len(text):  # a phrase conversion changed the length: go one character at a time
        simplified = "".join(converted if len(converted := _t2s().convert(char)) == 1 else char for char in text)
    return simplified.translate(_FOLD).lower()


def stem(word: str) -> str:
    return porter_stem(word) if word.isascii() and word.isalpha() else word


@dataclass(slots=True)
class Token:
    text: str
    position: int
    start: int
    end: int


def tokens(text: str, *, for_index: bool = True) -> Iterator[Token]:
    """Words of ``text`` with exact character offsets.

    Index time adds the dictionary sub-words of long words at their parent's position (search-mode
    granularity: 共和国 is found by 共和), so phrases still match word by word. Stop words are
    skipped but keep their place, so "老人的航班" matches as a phrase with slop.
    """
    _ensure_segmenter()
    normalized = normalize(text)
    position = -1
    for word, start, end in rjieba.tokenize(normalized):
        if not _WORD.search(word):
            continue
        position += 1
        if word in STOP_WORDS:
            continue
        yield Token(stem(word), position, start, end)
        if for_index and len(word) > 2 and _CJK.match(word):
            for size in (2, 3):
                for offset in range(len(word) - size + 1):
                    gram = word[offset : offset + size]
                    if gram != word and rjieba.has_word(gram):
                        yield Token(gram, position, start + offset, start + offset + size)


def query_words(text: str) -> list[str]:
    """The meaningful words of a query, in order, without duplicates.

    A word of a supervisor's synonym group that the segmenter would cut (see ``set_extra_synonym_groups``)
    stays one word, so it finds its group; ``index_words`` gives the words the index holds for it."""
    seen: dict[str, None] = {}
    _ensure_segmenter()
    for piece, whole in _split_compounds(normalize(text)):
        if whole:
            seen.setdefault(piece, None)
            continue
        for word, _start, _end in rjieba.tokenize(piece):
            if _WORD.search(word) and word not in QUERY_STOP_WORDS:
                seen.setdefault(stem(word), None)
    return list(seen)


def is_latin(word: str) -> bool:
    return bool(_LATIN.match(word))


# --- synonyms ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def synonym_groups(path: str | None = None) -> tuple[tuple[str, ...], ...]:
    """Groups of interchangeable words from the team's data file (one group per line)."""
    source = Path(path) if path else DATA_DIR / "synonyms.txt"
    if not source.exists():
        return ()
    groups = []
    for line in _read_lines(source):
        words = tuple(dict.fromkeys(normalize(word) for word in line.split()))
        if len(words) > 1:
            groups.append(words)
    return tuple(groups)


def _index_of(groups) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for group in groups:
        for word in group:
            key = stem(word)
            index.setdefault(key, [])
            index[key].extend(other for other in group if other != word and other not in index[key])
    return {word: tuple(others) for word, others in index.items()}


@lru_cache(maxsize=1)
def _synonym_index() -> dict[str, tuple[str, ...]]:
    return _index_of(synonym_groups())


@dataclass(frozen=True, slots=True)
class _Extra:
    """The supervisors' groups as the query side uses them (replaced whole, so readers never see half)."""

    groups: tuple[tuple[str, ...], ...] = ()
    index: dict[str, tuple[str, ...]] | None = None  # shipped and supervisors' groups together
    compounds: dict[str, tuple[str, ...]] | None = None  # word -> the index's words, for words the segmenter cuts
    pattern: re.Pattern | None = None  # finds those words in a normalised query


_extra = _Extra()


def set_extra_synonym_groups(groups) -> None:
    """Add groups to the shipped file's (heatcases.synonyms keeps the supervisors' ones in the database).

    Applied at query time only: the segmenter is not taught these words (the index and its
    ``dictionary_fingerprint`` stay as they are); a word it would cut is kept whole in queries and matched
    as a phrase of its parts. Each call replaces the previous groups."""
    global _extra
    cleaned = []
    for group in groups:
        words = tuple(dict.fromkeys(word for word in (normalize(item).strip() for item in group) if word))
        if len(words) > 1:
            cleaned.append(words)
    if not cleaned:
        _extra = _Extra()
        return
    compounds = {}
    for group in cleaned:
        for word in group:
            parts = tuple(token.text for token in tokens(word, for_index=False))
            if parts and parts != (stem(word),):
                compounds[word] = parts
    pattern = None
    if compounds:
        alternatives = []
        for word in sorted(compounds, key=len, reverse=True):
            before = r"(?<![0-9a-z])" if re.match(r"[0-9a-z]", word) else ""
            after = r"(?![0-9a-z])" if re.search(r"[0-9a-z]$", word) else ""
            alternatives.append(before + re.escape(word) + after)
        pattern = re.compile("|".join(alternatives))
    _extra = _Extra(tuple(cleaned), _index_of(synonym_groups() + tuple(cleaned)), compounds, pattern)


def extra_synonym_groups() -> tuple[tuple[str, ...], ...]:
    return _extra.groups


def _split_compounds(normalized: str) -> Iterator[tuple[str, bool]]:
    """The query in pieces: (a supervisor's word the segmenter would cut, True) or (other text, False)."""
    pattern = _extra.pattern
    if pattern is None:
        yield normalized, False
        return
    cursor = 0
    for match in pattern.finditer(normalized):
        if match.start() > cursor:
            yield normalized[cursor : match.start()], False
        yield match.group(), True
        cursor = match.end()
    if cursor < len(normalized):
        yield normalized[cursor:], False


def index_words(word: str) -> tuple[str, ...]:
    """The index's words for a query word: itself, or the parts of a supervisor's word the segmenter cuts."""
    compounds = _extra.compounds
    return compounds.get(word, (word,)) if compounds else (word,)


def synonyms(word: str) -> tuple[str, ...]:
    """Other words a searcher typing ``word`` also wants (stemmed, normalised)."""
    index = _extra.index
    return (index if index is not None else _synonym_index()).get(word, ())
