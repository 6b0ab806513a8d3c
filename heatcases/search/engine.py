"""Running a search against the index: parse, match, filter, facet, rank, suggest, relate.

Matching is done with sets of document numbers (cached per index generation), so the total and the
facet counts come from C-speed set operations; Whoosh then only ranks the documents that survived the
filters, with its block-skipping top-k collector. Words in nearly every case (客人, 客服) are dropped
from a query that has better words, so they neither slow it down nor add noise.
"""

from __future__ import annotations

import heapq
import math
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import date

from whoosh import collectors
from whoosh import query as wq

from heatcases.search import text
from heatcases.search.index import SearchIndex, date_number
from heatcases.vocab import BUSINESS_LINE_CODES as _LINES
from heatcases.vocab import TAGS as _TAGS

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
COMMON_SHARE = 0.25  # a word in more than this share of cases (and in COMMON_MIN of them) is too common
COMMON_MIN = 200  # to narrow a query or to tell what a case is about
SYNONYM_BOOST = 0.5
FALLBACK_BELOW = 5  # an all-words match with fewer hits widens to most-words
FIELDS = ("title", "body")

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
    rest = raw
    for match in _QUOTED.finditer(raw):
        words = [token.text for token in text.tokens(match.group(1), for_index=False)]
        if len(words) > 1:
            parsed.phrases.append(words[:MAX_QUERY_WORDS])
        else:
            parsed.words.extend(words)
    rest = _QUOTED.sub(" ", rest)
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


def _common(df: int, total_docs: int) -> bool:
    return df > COMMON_MIN and df / total_docs > COMMON_SHARE


class _SetCache:
    """Document-number sets per index state; shared by all threads (docnums are stable per state)."""

    def __init__(self, size: int = 1024):
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, key, compute):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


def _state(reader) -> tuple:
    readers = [reader] if reader.is_atomic() else [sub for sub, _offset in reader.leaf_readers()]
    segments = [sub.segment() for sub in readers]
    return tuple((segment.segment_id(), segment.deleted_count()) for segment in segments if segment is not None)


class Engine:
    """Search, related cases and suggestions over one :class:`SearchIndex`."""

    def __init__(self, index: SearchIndex):
        self.index = index
        self._cache = _SetCache()

    # --- document sets ---------------------------------------------------------------------------

    def _live(self, searcher, state) -> frozenset[int]:
        return self._cache.get((state, "live"), lambda: frozenset(searcher.reader().all_doc_ids()))

    def _term_docs(self, searcher, state, fieldname: str, term: str) -> frozenset[int]:
        def compute():
            reader = searcher.reader()
            if (fieldname, term) not in reader:
                return frozenset()
            docs = frozenset(reader.postings(fieldname, term).all_ids())
            return docs & self._live(searcher, state) if reader.has_deletions() else docs

        return self._cache.get((state, fieldname, term), compute)

    def _query_docs(self, searcher, state, query: wq.Query) -> frozenset[int]:
        return self._cache.get((state, "q", repr(query)), lambda: frozenset(searcher.docs_for_query(query)))

    def _variant_query(self, variant: str) -> tuple[list[str], wq.Query]:
        words = [token.text for token in text.tokens(variant, for_index=False)] or [variant]
        if len(words) == 1:
            return words, wq.Or([wq.Term(name, words[0]) for name in FIELDS])
        return words, wq.Or([wq.Phrase(name, words, slop=2) for name in FIELDS])

    def _group(self, searcher, state, word: str) -> tuple[frozenset[int], wq.Query]:
        """Documents with ``word`` or a synonym, and the query that ranks them (synonyms weigh less)."""
        docs: set[int] = set()
        parts = []
        variants = {word: 1.0}
        for other in text.synonyms(word):
            variants.setdefault(text.stem(other), SYNONYM_BOOST)
        for variant, boost in variants.items():
            words, variant_query = self._variant_query(variant) if variant != word else ([word], None)
            if variant_query is None:
                variant_query = wq.Or([wq.Term(name, word) for name in FIELDS])
            if len(words) == 1:
                for name in FIELDS:
                    docs |= self._term_docs(searcher, state, name, words[0])
            else:
                docs |= self._query_docs(searcher, state, variant_query)
            parts.append(variant_query.with_boost(boost) if boost != 1.0 else variant_query)
        return frozenset(docs), (parts[0] if len(parts) == 1 else wq.Or(parts))

    def _phrase(self, searcher, state, words: list[str]) -> tuple[frozenset[int], wq.Query]:
        query = wq.Or([wq.Phrase(name, words, slop=2) for name in FIELDS])
        return self._query_docs(searcher, state, query), query

    def _filter_docs(self, searcher, state, filters: IndexFilters, *, skip: str = "") -> frozenset[int] | None:
        sets = [self._term_docs(searcher, state, "tags", tag) for tag in filters.tags if skip != "tags"]
        if filters.behavior:
            sets.append(self._term_docs(searcher, state, "behaviors", filters.behavior))
        if filters.business_line and skip != "business_line":
            sets.append(self._term_docs(searcher, state, "business_line", filters.business_line))
        if filters.featured is not None:
            featured = self._term_docs(searcher, state, "featured", "t")
            sets.append(featured if filters.featured else self._live(searcher, state) - featured)
        if filters.date_from or filters.date_to:
            start = date_number(filters.date_from) if filters.date_from else None
            end = date_number(filters.date_to) if filters.date_to else None
            sets.append(self._query_docs(searcher, state, wq.NumericRange("occurred", start, end)))
        if not sets:
            return None
        sets.sort(key=len)
        return frozenset.intersection(*sets)

    # --- search ---------------------------------------------------------------------------------

    def search(self, parsed: ParsedQuery, filters: IndexFilters, *, sort: str, offset: int, limit: int,
               want_suggestion: bool = True) -> EngineResult:  # fmt: skip
        searcher = self.index.searcher()
        state = _state(searcher.reader())
        live = self._live(searcher, state)
        matched, ranking = self._match(searcher, state, parsed, live)
        for word in parsed.excluded:
            for name in FIELDS:
                matched = matched - self._term_docs(searcher, state, name, word)

        narrowed = self._filter_docs(searcher, state, filters)
        final = matched if narrowed is None else matched & narrowed
        facets = {
            "tags": {tag: len(final & self._term_docs(searcher, state, "tags", tag)) for tag in _TAGS},
            "business_line": self._line_counts(searcher, state, matched, filters),
        }
        hits = self._rank(searcher, state, final, ranking, sort=sort, offset=offset, limit=limit)
        suggestion = None
        if want_suggestion and len(final) < 3 and parsed.words:
            suggestion = self.suggest(searcher, parsed)
        return EngineResult(len(final), hits, facets, parsed.highlight_terms(), suggestion)

    def _line_counts(self, searcher, state, matched, filters: IndexFilters) -> dict[str, int]:
        others = self._filter_docs(searcher, state, filters, skip="business_line")
        base = matched if others is None else matched & others
        counts = {line: len(base & self._term_docs(searcher, state, "business_line", line)) for line in _LINES}
        return {line: count for line, count in counts.items() if count}

    def _match(self, searcher, state, parsed: ParsedQuery, live):
        """The matching documents and the query that ranks them (None: no words, list everything)."""
        if parsed.empty:
            return live, None
        total_docs = max(len(live), 1)
        groups = [self._group(searcher, state, word) for word in parsed.words]
        phrases = [self._phrase(searcher, state, words) for words in parsed.phrases]
        # Drop words found in nearly every case while rarer words remain: they narrow nothing.
        specific = [group for group in groups if not _common(len(group[0]), total_docs)]
        if specific and len(specific) < len(groups):
            groups = specific
        required = groups + phrases
        matched = frozenset.intersection(*(docs for docs, _query in sorted(required, key=lambda g: len(g[0]))))
        ranking = wq.And([query for _docs, query in required]) if len(required) > 1 else required[0][1]
        if len(matched) < FALLBACK_BELOW and len(groups) > 1:
            # Colloquial questions rarely share every word with a story: take cases with most words.
            # Most words first; fewer while that still finds too little (the bonus ranks fuller matches first).
            counts = Counter()
            for docs, _query in groups:
                counts.update(docs)
            need = max(1, math.ceil(len(groups) / 2))
            while True:
                widened = frozenset(doc for doc, hits in counts.items() if hits >= need)
                for docs, _query in phrases:
                    widened &= docs
                if len(widened) >= FALLBACK_BELOW or need == 1:
                    break
                need -= 1
            if len(widened) > len(matched):
                matched = widened
                # The coordination bonus ranks cases with more of the words first.
                ranking = wq.Or([query for _docs, query in groups] + [query for _docs, query in phrases], scale=0.9)
        return matched, ranking

    def _rank(self, searcher, state, final, ranking, *, sort, offset, limit) -> list[tuple[int, float]]:
        if not final or limit <= 0:
            return []
        wanted = offset + limit
        stored = searcher.reader()
        if sort == "relevance" and ranking is not None:
            # No block-quality skipping or matcher replacement: in whoosh-reloaded 2.7.5 they can drop
            # documents that belong in the top N (page 1 would depend on the page size).
            collector = collectors.FilterCollector(
                collectors.TopCollector(limit=wanted, usequality=False, replace=0), allow=set(final)
            )
            searcher.search_with_collector(ranking, collector)
            results = collector.results()
            return [(int(hit["id"]), float(hit.score)) for hit in results[offset:wanted]]
        column = "views" if sort == "views" else "created"
        ordered = self._ordered(searcher, state, column, final, wanted)
        return [(int(stored.stored_fields(doc)["id"]), 0.0) for doc in ordered[offset:wanted]]

    def _ordered(self, searcher, state, column: str, final, wanted: int) -> list[int]:
        """The first ``wanted`` of ``final``, largest ``column`` first (newest or most viewed)."""
        values = searcher.reader().column_reader(column)
        tiebreak = searcher.reader().column_reader("created") if column != "created" else None
        if tiebreak is None:
            key = values.__getitem__
        else:

            def key(doc):
                return values[doc], tiebreak[doc]

        if len(final) <= 5000:
            return heapq.nlargest(wanted, final, key=key)
        order = self._cache.get((state, "order", column), lambda: sorted(self._live(searcher, state), key=key,
                                                                         reverse=True))  # fmt: skip
        picked = []
        for doc in order:
            if doc in final:
                picked.append(doc)
                if len(picked) >= wanted:
                    break
        return picked

    # --- did you mean ----------------------------------------------------------------------------

    def suggest(self, searcher, parsed: ParsedQuery) -> str | None:
        """A close spelling that is in the library, for a query that found (almost) nothing."""
        reader = searcher.reader()
        words = list(parsed.words)
        # A mistyped Chinese word (航斑) falls apart into single characters: try them joined again.
        pairs = [a + b for a, b in zip(words, words[1:], strict=False) if len(a) == 1 and len(b) == 1]
        changed = False
        replacements: dict[str, str] = {}
        for word in words + pairs:
            if len(word) < 2 or reader.doc_frequency("body", word) + reader.doc_frequency("title", word) > 0:
                continue
            candidates = set(reader.terms_within("body", word, 1)) | set(reader.terms_within("title", word, 1))
            candidates = {c for c in candidates if len(c) == len(word) and c != word}
            if candidates:
                best = max(candidates, key=lambda c: (reader.doc_frequency("body", c), c))
                replacements[word] = best
                changed = True
        if not changed:
            return None
        suggestion = text.normalize(parsed.raw)
        for wrong, right in replacements.items():
            suggestion = suggestion.replace(wrong, right)
        return suggestion if suggestion != text.normalize(parsed.raw) else None

    # --- related ----------------------------------------------------------------------------------

    def related(self, case_id: int, title: str, body: str, tags: list[str], business_line: str,
                limit: int) -> list[tuple[int, float]]:  # fmt: skip
        """Cases most like this one: its most telling words, then shared values and business line."""
        searcher = self.index.searcher()
        reader = searcher.reader()
        state = _state(reader)
        total_docs = max(len(self._live(searcher, state)), 1)
        counts = Counter(
            token.text
            for token in text.tokens(f"{title}\n{title}\n{body}", for_index=False)
            if len(token.text) > 1 and not any(char.isdigit() for char in token.text)
        )
        weights = {}
        for word, tf in counts.items():
            df = reader.doc_frequency("body", word)
            if df < 2 or _common(df, total_docs):
                continue
            weight = (1 + math.log(tf)) * math.log((total_docs + 1) / df)
            if weight > 0:
                weights[word] = weight
        key_terms = heapq.nlargest(12, weights.items(), key=lambda item: item[1])
        if not key_terms:
            return []
        top = key_terms[0][1]
        ranking = wq.Or([wq.Term(name, word, boost=weight / top) for word, weight in key_terms for name in FIELDS])
        own = set(searcher.document_numbers(id=str(case_id)))
        results = searcher.search(ranking, limit=limit * 4, mask=own or None)
        scored = []
        for hit in results:
            fields = reader.stored_fields(hit.docnum)
            shared = sum(1 for tag in tags if hit.docnum in self._term_docs(searcher, state, "tags", tag))
            same_line = hit.docnum in self._term_docs(searcher, state, "business_line", business_line)
            scored.append((int(fields["id"]), hit.score * (1 + 0.15 * shared + 0.1 * same_line)))
        scored.sort(key=lambda item: item[1], reverse=True)
        return scored[:limit]
