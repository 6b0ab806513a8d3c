"""Running a search against the index: parse, match, filter, facet, rank, suggest, relate.

Whoosh stores the index (segments, postings with positions, columns); matching and ranking run here
on NumPy arrays, because Whoosh's pure-Python matchers score one document at a time (~250 ms for a
word found in most of 100,000 cases). Each segment's postings are read once into arrays and cached by
segment id, so a commit, which adds a small segment, costs the cache almost nothing. A query is then
a few vector operations: boolean masks for matching, filters and facet counts, BM25 sums for ranking,
a partial sort for the top N.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from pypinyin import lazy_pinyin
from whoosh import query as wq

from heatcases.search import text
from heatcases.search.index import SearchIndex, date_number
from heatcases.vocab import BUSINESS_LINE_CODES, TAGS

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
SYNONYM_BOOST = 0.5
FIELD_BOOST = {"title": 2.5, "body": 1.0}
FIELDS = tuple(FIELD_BOOST)
K1, B = 1.2, 0.75  # BM25
FALLBACK_BELOW = 5  # an all-words match with fewer hits widens to most-words
COMMON_SHARE = 0.25  # a word in more than this share of cases (and in COMMON_MIN of them) is too common
COMMON_MIN = 200  # to narrow a query or to tell what a case is about
CACHE_BYTES = 256 * 1024 * 1024
RELATED_SECONDS = 300.0  # how long a case's related list is kept (at most)

_QUOTED = re.compile(r'["“”「」『』]([^"“”「」『』]*)["“”「」『』]?')
_EXCLUDED = re.compile(r"(?:^|\s)[-－]([^\s\"“”]+)")


@dataclass
class ParsedQuery:
    """What a user typed, understood: words (all wanted), phrases (in order), excluded words."""

    raw: str
    words: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.words or self.phrases)

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


@dataclass
class EngineResult:
    total: int
    hits: list[tuple[int, float]]
    facets: dict[str, dict[str, int]]
    terms: list[str]
    suggestion: str | None = None


class _Cache:
    """A least-recently-used cache bounded by the bytes of the arrays it holds; thread-safe."""

    def __init__(self, budget: int = CACHE_BYTES):
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._budget = budget
        self._bytes = 0

    @staticmethod
    def _size(value) -> int:
        if isinstance(value, np.ndarray):
            return value.nbytes + 100
        if isinstance(value, tuple):
            return sum(_Cache._size(item) for item in value) + 100
        return 100

    def get(self, key, compute):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        for array in value if isinstance(value, tuple) else (value,):
            if isinstance(array, np.ndarray):
                array.flags.writeable = False  # shared by every query and thread: never changed in place
        size = self._size(value)
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self._bytes += size
                while self._bytes > self._budget and len(self._items) > 1:
                    _old_key, old = self._items.popitem(last=False)
                    self._bytes -= self._size(old)
        return value


_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_TF = np.zeros(0, dtype=np.float32)


def _segment_key(sub) -> str:
    segment = sub.segment()
    return segment.segment_id() if segment is not None else f"reader-{id(sub)}"


class _View:
    """One searcher's index state as arrays: segments laid end to end in document-number order."""

    def __init__(self, engine: Engine, searcher):
        self.engine = engine
        self.searcher = searcher
        self.reader = searcher.reader()
        self.leaves = list(self.reader.leaf_readers())
        self.size = self.reader.doc_count_all()
        self.state = tuple((_segment_key(sub), sub.doc_count()) for sub, _base in self.leaves)
        self.live = engine._cache.get((self.state, "live"), self._live)
        self.live_count = int(self.live.sum())

    def _live(self) -> np.ndarray:
        mask = np.ones(self.size, dtype=bool)
        for sub, base in self.leaves:
            if sub.has_deletions():
                deleted = np.fromiter(sub.segment().deleted_docs(), dtype=np.int64)
                mask[deleted + base] = False
        return mask

    # --- postings ---------------------------------------------------------------------------------

    def postings(self, fieldname: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Global document numbers and term frequencies of ``term`` (deleted documents included)."""
        parts = [self._segment_postings(sub, fieldname, term) for sub, _base in self.leaves]
        if len(parts) == 1:
            return parts[0]
        ids = [part[0] + base for part, (_sub, base) in zip(parts, self.leaves, strict=True)]
        return np.concatenate(ids), np.concatenate([part[1] for part in parts])

    def _segment_postings(self, sub, fieldname: str, term: str):
        def read():
            if (fieldname, term) not in sub:
                return _EMPTY_IDS, _EMPTY_TF
            matcher = sub.postings(fieldname, term)
            ids: list[int] = []
            weights: list[float] = []
            try:  # whole blocks at a time (whoosh-reloaded 2.7.5's W3LeafMatcher, pinned)
                while matcher.is_active():
                    if matcher._ids is None:
                        matcher._read_ids()
                    if matcher._weights is None:
                        matcher._read_weights()
                    ids.extend(matcher._ids)
                    weights.extend(matcher._weights)
                    matcher._next_block()
            except AttributeError:  # a small, inlined posting list
                matcher = sub.postings(fieldname, term)
                ids, weights = [], []
                while matcher.is_active():
                    ids.append(matcher.id())
                    weights.append(matcher.weight())
                    matcher.next()
            return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32)

        return self.engine._cache.get((_segment_key(sub), "p", fieldname, term), read)

    def mask(self, fieldname: str, term: str) -> np.ndarray:
        def build():
            mask = np.zeros(self.size, dtype=bool)
            mask[self.postings(fieldname, term)[0]] = True
            return mask & self.live

        return self.engine._cache.get((self.state, "m", fieldname, term), build)

    def query_mask(self, query: wq.Query) -> np.ndarray:
        """Documents matching a Whoosh query (phrases, ranges): positions are checked by Whoosh."""

        def build():
            mask = np.zeros(self.size, dtype=bool)
            docs = np.fromiter(self.searcher.docs_for_query(query), dtype=np.int64)
            mask[docs] = True
            return mask & self.live

        return self.engine._cache.get((self.state, "q", repr(query)), build)

    def lengths(self, fieldname: str) -> np.ndarray:
        def segment_lengths(sub):
            def read():
                count = sub.doc_count_all()
                lengths = (sub.doc_field_length(doc, fieldname, 0) or 0 for doc in range(count))
                return np.fromiter(lengths, dtype=np.float32, count=count)

            return self.engine._cache.get((_segment_key(sub), "len", fieldname), read)

        def build():
            return np.concatenate([segment_lengths(sub) for sub, _base in self.leaves] or [_EMPTY_TF])

        return self.engine._cache.get((self.state, "len", fieldname), build)

    def column(self, name: str) -> np.ndarray:
        def segment_column(sub):
            return self.engine._cache.get(
                (_segment_key(sub), "col", name), lambda: np.asarray(list(sub.column_reader(name)), dtype=np.int64)
            )

        def build():
            return np.concatenate([segment_column(sub) for sub, _base in self.leaves] or [_EMPTY_IDS])

        return self.engine._cache.get((self.state, "col", name), build)

    # --- spelling -----------------------------------------------------------------------------------

    def misspelt(self, word: str) -> set[str]:
        """Words of the library one character away from ``word`` (same length: a wrong character)."""
        found: set[str] = set()
        for sub, _base in self.leaves:
            neighbours = self.engine._cache.get((_segment_key(sub), "spell"), lambda sub=sub: _spelling_index(sub))
            for position in range(len(word)):
                found.update(neighbours.get(word[:position] + "\0" + word[position + 1 :], ()))
        found.discard(word)
        # A segment's words include those of its deleted documents (archived cases) until it is merged:
        # suggesting one would show a word of a case that is no longer in the library.
        return {candidate for candidate in found if self.in_library("body", candidate)}

    def doc_frequency(self, fieldname: str, term: str) -> int:
        """Documents (deleted ones included, as Whoosh counts) with ``term``: read once per segment, which
        never changes, instead of from the segment files at every query and every related list."""

        def total():
            return sum(
                self.engine._cache.get(
                    (_segment_key(sub), "df", fieldname, term), lambda sub=sub: sub.doc_frequency(fieldname, term)
                )
                for sub, _base in self.leaves
            )

        # One lookup per word while the index is unchanged (a related list asks for a hundred words).
        return self.engine._cache.get((self.state, "df", fieldname, term), total)

    def in_library(self, fieldname: str, term: str) -> bool:
        """Whether a live (not deleted) document has ``term`` in ``fieldname``."""
        ids, _tf = self.postings(fieldname, term)
        return bool(len(ids)) and bool(self.live[ids].any())

    # --- scoring ----------------------------------------------------------------------------------

    def bm25(self, fieldname: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(documents, BM25 score of ``term`` in ``fieldname``) with Whoosh's BM25F constants."""
        ids, tf = self.postings(fieldname, term)
        if not len(ids):
            return ids, tf
        # Live documents only: Whoosh's count keeps every deleted copy until segments merge, and the views
        # of much-read cases are indexed again every few seconds, so their own words would look common and
        # rank them below cases nobody read.
        df = int(self.live[ids].sum()) or 1
        idf = math.log(1 + (max(self.live_count, 1) - df + 0.5) / (df + 0.5))
        avg = (self.reader.field_length(fieldname) / max(self.size, 1)) or 1.0
        dl = self.lengths(fieldname)[ids]
        return ids, idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avg))


class Engine:
    """Search, related cases and suggestions over one :class:`SearchIndex`."""

    def __init__(self, index: SearchIndex, *, views_of: Callable[[np.ndarray], np.ndarray] | None = None):
        """``views_of(case_ids)`` gives their counted views for the "most viewed" order (without it, that
        order is the newest first)."""
        self.index = index
        self.views_of = views_of
        self._cache = _Cache()

    def view(self) -> _View:
        return _View(self, self.index.searcher())

    # --- matching -------------------------------------------------------------------------------

    def _variants(self, word: str) -> list[tuple[tuple[str, ...], float]]:
        """The typed word, then each synonym as the index's words (a synonym may be several words)."""
        variants = {(word,): 1.0}
        for other in text.synonyms(word):
            words = tuple(token.text for token in text.tokens(other, for_index=False))
            if words:
                variants.setdefault(words, SYNONYM_BOOST)
        return list(variants.items())

    def _group(self, view: _View, word: str) -> tuple[np.ndarray, np.ndarray]:
        """(mask of documents with ``word`` or a synonym, their score for it; synonyms weigh less)."""
        mask = np.zeros(view.size, dtype=bool)
        score = np.zeros(view.size, dtype=np.float32)
        for words, boost in self._variants(word):
            phrase_mask = None
            if len(words) > 1:  # a synonym of several words must appear as a phrase
                phrase_mask = view.query_mask(wq.Or([wq.Phrase(name, list(words), slop=2) for name in FIELDS]))
                mask |= phrase_mask
            for name in FIELDS:
                for part in words:
                    ids, scores = view.bm25(name, part)
                    if phrase_mask is not None:
                        keep = phrase_mask[ids]
                        ids, scores = ids[keep], scores[keep]
                    else:
                        mask[ids] = True
                    score[ids] += scores * (boost * FIELD_BOOST[name])  # ids are unique per posting list
        return mask & view.live, score

    def _phrase(self, view: _View, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        mask = view.query_mask(wq.Or([wq.Phrase(name, words, slop=2) for name in FIELDS]))
        score = np.zeros(view.size, dtype=np.float32)
        for name in FIELDS:
            for word in words:
                ids, scores = view.bm25(name, word)
                score[ids] += scores * FIELD_BOOST[name]
        return mask, score * mask

    def _filters(self, view: _View, filters: IndexFilters, *, skip: str = "") -> np.ndarray | None:
        masks = [view.mask("tags", tag) for tag in filters.tags if skip != "tags"]
        if filters.behavior:
            masks.append(view.mask("behaviors", filters.behavior))
        if filters.business_line and skip != "business_line":
            masks.append(view.mask("business_line", filters.business_line))
        if filters.featured is not None:
            featured = view.mask("featured", "t")
            masks.append(featured if filters.featured else view.live & ~featured)
        if filters.date_from or filters.date_to:
            days = view.column("occurred")
            mask = view.live.copy()
            if filters.date_from:
                mask &= days >= date_number(filters.date_from)
            if filters.date_to:
                mask &= days <= date_number(filters.date_to)
            masks.append(mask)
        if not masks:
            return None
        combined = masks[0].copy()
        for mask in masks[1:]:
            combined &= mask
        return combined

    def _match(self, view: _View, parsed: ParsedQuery) -> tuple[np.ndarray, np.ndarray | None]:
        """The matching documents and their scores (None: no words, list everything)."""
        if parsed.empty:
            return view.live, None
        groups = [self._group(view, word) for word in parsed.words]
        phrases = [self._phrase(view, words) for words in parsed.phrases]
        # Words found in nearly every case do not narrow the query while rarer words remain.
        specific = [group for group in groups if not _common(int(group[0].sum()), view.live_count)]
        required = specific if specific and len(specific) < len(groups) else groups
        matched = view.live.copy()
        for mask, _score in required + phrases:
            matched &= mask
        score = np.zeros(view.size, dtype=np.float32)
        for _mask, part in groups + phrases:
            score += part
        if int(matched.sum()) < FALLBACK_BELOW and len(groups) > 1:
            # Colloquial questions rarely share every word with a story: take the cases with most of
            # the words, fewer while that still finds too little; more words rank higher.
            hits = np.zeros(view.size, dtype=np.int8)
            for mask, _score in groups:
                hits += mask
            need = max(1, math.ceil(len(groups) / 2))
            while True:
                widened = hits >= need
                for mask, _score in phrases:
                    widened &= mask
                if int(widened.sum()) >= FALLBACK_BELOW or need == 1:
                    break
                need -= 1
            if int(widened.sum()) > int(matched.sum()):
                matched = widened
                # Cases with more of the words first, then by score within the same number of words.
                score = hits * (float(score.max()) + 1.0) + score
        return matched, score

    # --- search ---------------------------------------------------------------------------------

    def search(self, parsed: ParsedQuery, filters: IndexFilters, *, sort: str, offset: int, limit: int,
               want_suggestion: bool = True) -> EngineResult:  # fmt: skip
        view = self.view()
        matched, score = self._match(view, parsed)
        for word in parsed.excluded:
            for name in FIELDS:
                matched = matched & ~view.mask(name, word)
        narrowed = self._filters(view, filters)
        final = matched if narrowed is None else matched & narrowed
        others = self._filters(view, filters, skip="business_line")
        base = matched if others is None else matched & others
        facets = {
            "tags": {tag: int(np.count_nonzero(final & view.mask("tags", tag))) for tag in TAGS},
            "business_line": {
                line: count
                for line in BUSINESS_LINE_CODES
                if (count := int(np.count_nonzero(base & view.mask("business_line", line))))
            },
        }
        total = int(np.count_nonzero(final))
        hits = self._rank(view, final, score, sort=sort, offset=offset, limit=limit) if total else []
        suggestion = None
        if want_suggestion and parsed.words and (total < 3 or self._has_unknown_word(view, parsed)):
            suggestion = self.suggest(view, parsed)
        return EngineResult(total, hits, facets, parsed.highlight_terms(), suggestion)

    def _rank(self, view: _View, final, score, *, sort, offset, limit) -> list[tuple[int, float]]:
        wanted = offset + limit
        if limit <= 0:
            return []
        docs = np.flatnonzero(final)
        created = view.column("created")[docs]
        if sort == "relevance" and score is not None:
            keys = (-created, -score[docs])  # lexsort: last key first
        elif sort == "views" and self.views_of is not None:
            keys = (-created, -self.views_of(view.column("case_id")[docs]))
        else:
            keys = (-created,)
        if len(docs) > wanted * 4:  # keep the work proportional to what is shown
            primary = keys[-1]
            cut = np.argpartition(primary, wanted - 1)[:wanted] if wanted < len(docs) else np.arange(len(docs))
            threshold = primary[cut].max()
            keep = primary <= threshold
            docs, keys = docs[keep], tuple(key[keep] for key in keys)
        order = np.lexsort(keys)[offset:wanted]
        case_ids = view.column("case_id")
        scores = score[docs[order]] if (sort == "relevance" and score is not None) else np.zeros(len(order))
        return [(int(case_ids[doc]), float(value)) for doc, value in zip(docs[order], scores, strict=True)]

    # --- did you mean ----------------------------------------------------------------------------

    @staticmethod
    def _has_unknown_word(view: _View, parsed: ParsedQuery) -> bool:
        return any(
            len(word) > 1 and view.doc_frequency("body", word) + view.doc_frequency("title", word) == 0
            for word in parsed.words
        )

    def suggest(self, view: _View, parsed: ParsedQuery) -> str | None:
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
            candidates = view.misspelt(word)
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

    # --- related ----------------------------------------------------------------------------------

    def related(self, case_id: int, title: str, body: str, tags: list[str], business_line: str,
                limit: int) -> list[tuple[int, float]]:  # fmt: skip
        """Cases most like this one: its most telling words, then shared values and business line.

        Kept for up to RELATED_SECONDS per case: every reader of a case page asks for the same list, it costs
        more than a search, and a case's nearest neighbours hardly move in minutes. (Whether each one may
        be shown is decided by the caller from the database, every time.)"""
        # Kept in the engine's cache under the current RELATED_SECONDS period: a new period is a new key.
        period = int(time.monotonic() // RELATED_SECONDS)
        return self._cache.get(
            ("related", case_id, limit, period),
            lambda: self._related_now(case_id, title, body, tags, business_line, limit),
        )

    def _related_now(self, case_id: int, title: str, body: str, tags: list[str], business_line: str,
                     limit: int) -> list[tuple[int, float]]:  # fmt: skip
        view = self.view()
        total_docs = max(view.live_count, 1)
        counts: dict[str, int] = {}
        for token in text.tokens(f"{title}\n{title}\n{body}", for_index=False):
            if len(token.text) > 1 and not any(char.isdigit() for char in token.text):
                counts[token.text] = counts.get(token.text, 0) + 1
        weights = {}
        for word, tf in counts.items():
            df = view.doc_frequency("body", word)
            if df < 2 or _common(df, total_docs):
                continue
            weight = (1 + math.log(tf)) * math.log((total_docs + 1) / df)
            if weight > 0:
                weights[word] = weight
        key_terms = sorted(weights.items(), key=lambda item: item[1], reverse=True)[:12]
        if not key_terms:
            return []
        top = key_terms[0][1]
        score = np.zeros(view.size, dtype=np.float32)
        for word, weight in key_terms:
            for name in FIELDS:
                ids, scores = view.bm25(name, word)
                score[ids] += scores * (FIELD_BOOST[name] * weight / top)
        score *= view.live
        bonus = 1 + 0.1 * view.mask("business_line", business_line)
        for tag in tags:
            bonus = bonus + 0.15 * view.mask("tags", tag)
        score *= bonus
        own = np.flatnonzero(view.column("case_id") == case_id)
        score[own] = 0
        candidates = np.flatnonzero(score > 0)
        order = candidates[np.argsort(-score[candidates], kind="stable")][:limit]
        case_ids = view.column("case_id")
        return [(int(case_ids[doc]), float(score[doc])) for doc in order]


def _spelling_index(sub) -> dict[str, tuple[str, ...]]:
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


def _common(df: int, total_docs: int) -> bool:
    return df > COMMON_MIN and df / total_docs > COMMON_SHARE
