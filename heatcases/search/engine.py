"""Running a search against the index: match, filter, facet, rank; suggestions and related cases beside it.

A parsed query (:mod:`heatcases.search.query`) is matched lexically, word by word with its synonyms and
phrase by phrase, on an :class:`~heatcases.search.arrays.IndexView`: boolean masks for matching, filters
and facet counts, BM25 sums for ranking, a partial sort for the top N (why arrays rather than Whoosh's own
matchers: see :mod:`heatcases.search.arrays`). ``Engine._match`` gives the matching documents and their
scores; excluded words, filters, facets and ranking work on that mask and score alone, so another way of
matching (a semantic one) can stand beside it without changing them. "Did you mean" is in
:mod:`heatcases.search.suggest`, related cases in :mod:`heatcases.search.related`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from heatcases.search import crosslingual, text
from heatcases.search import related as related_cases
from heatcases.search import suggest as did_you_mean
from heatcases.search.arrays import FIELD_BOOST, FIELDS, Cache, IndexView, is_common
from heatcases.search.embedding import Matches
from heatcases.search.index import SearchIndex, date_number
from heatcases.search.query import IndexFilters, ParsedQuery, parse_query
from heatcases.vocab import BUSINESS_LINE_CODES, CASE_KIND_CODES, DEFECT_CLASS_CODES, SERVQUAL_CODES, TAGS

SYNONYM_BOOST = 0.5
TRANSLATION_BOOST = 0.5  # an English word's Chinese words (CC-CEDICT) weigh below the word typed
_ENGLISH_WORD = re.compile(r"[a-z][a-z'-]*[a-z]")
FALLBACK_BELOW = 5  # an all-words match with fewer hits widens to most-words
# Fusion with the meaning layer, chosen on ../shared/relevance (bench/relevance.py):
# score = (1 - weight) x lexical / best lexical + weight x (similarity - FLOOR) / (best - FLOOR), where the
# weight is MEANING_WEIGHT, or MEANING_WEIGHT_WIDENED when no case holds every word typed (a colloquial question,
# or other words for the thing than the stories use): then the words matched say less than the meaning does
# (all 60 queries there: nDCG@10 0.835 -> 0.852 with 0.7; 0.5 0.839, 0.6 0.843, 0.8 0.847).
MEANING_WEIGHT = 0.35
MEANING_WEIGHT_WIDENED = 0.7
MEANING_FLOOR = 0.1
FEEDBACK_CASES = 3  # the first fusion's best cases that steer the second (0: one fusion only)
# Found by meaning alone: when the best is at least MEANING_MIN similar (nonsense and words the model does
# not know stay below it), the MEANING_TOP nearest within MEANING_SHARE of the best, and any other case
# within MEANING_NEAR_BEST of it.
MEANING_MIN = 0.15
MEANING_TOP = 10
MEANING_SHARE = 0.3
MEANING_NEAR_BEST = 0.8


@dataclass
class EngineResult:
    total: int
    hits: list[tuple[int, float]]
    facets: dict[str, dict[str, int]]
    terms: list[str]
    suggestion: str | None = None
    meant: bool = False  # cases found by meaning were added to the words' matches


class Engine:
    """Search, related cases and suggestions over one :class:`SearchIndex`."""

    def __init__(self, index: SearchIndex, *, views_of: Callable[[np.ndarray], np.ndarray] | None = None,
                 meaning: Callable[..., Matches] | None = None):  # fmt: skip
        """``views_of(case_ids)`` gives their counted views for the "most viewed" order (without it, that
        order is the newest first); ``meaning(text, like_case_ids=(), among=None)`` the cases nearest in
        meaning to the text (and to those cases, when given; among those case ids only, when given), best
        first (without it, or when it finds nothing, search is by words alone)."""
        self.index = index
        self.views_of = views_of
        self.meaning = meaning
        self._cache = Cache()

    @property
    def cache_bytes(self) -> int:
        """The memory the cache of index arrays holds now."""
        return self._cache.bytes

    def view(self) -> IndexView:
        return IndexView(self._cache, self.index.searcher())

    # --- matching -------------------------------------------------------------------------------

    def _variants(self, word: str, translated: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], float]]:
        """The typed word, then each synonym and translation as the index's words (any may be several)."""
        variants = {text.index_words(word): 1.0}
        for others, boost in ((text.synonyms(word), SYNONYM_BOOST), (translated, TRANSLATION_BOOST)):
            for other in others:
                words = tuple(token.text for token in text.tokens(other, for_index=False))
                if words:
                    variants.setdefault(words, boost)
        return list(variants.items())

    @staticmethod
    def _translations(view: IndexView, parsed: ParsedQuery) -> dict[str, tuple[str, ...]]:
        """The query's English words (as the index stems them) → their Chinese words in the library."""
        typed = _ENGLISH_WORD.findall(parsed.meant.lower())
        if not typed:
            return {}

        def frequency(chinese: str) -> int:
            parts = [token.text for token in text.tokens(chinese, for_index=False)]
            return min((max(view.doc_frequency(name, part) for name in FIELDS) for part in parts), default=0)

        found = crosslingual.translations(typed, frequency=frequency)
        return {text.stem(word): chinese for word, chinese in found.items()}

    def _group(self, view: IndexView, word: str, translated: tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
        """(mask of documents with ``word``, a synonym or a translation, their score for it; those weigh less).

        Kept while the index is unchanged, keyed by the words searched (so a supervisor's new synonym is a new
        key): the same words come back in search after search, and a word with a dozen synonyms costs a dozen
        BM25 passes over their postings."""
        variants = tuple(self._variants(word, translated))
        return view.cache.get((view.state, "group", variants), lambda: self._scored_group(view, variants))

    @staticmethod
    def _scored_group(view: IndexView, variants: tuple) -> tuple[np.ndarray, np.ndarray]:
        mask = np.zeros(view.size, dtype=bool)
        score = np.zeros(view.size, dtype=np.float32)
        for words, boost in variants:
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

    def _phrase(self, view: IndexView, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        mask = view.query_mask(wq.Or([wq.Phrase(name, words, slop=2) for name in FIELDS]))
        score = np.zeros(view.size, dtype=np.float32)
        for name in FIELDS:
            for word in words:
                ids, scores = view.bm25(name, word)
                score[ids] += scores * FIELD_BOOST[name]
        return mask, score * mask

    def _filters(self, view: IndexView, filters: IndexFilters, *, skip: str = "") -> np.ndarray | None:
        masks = [view.mask("tags", tag) for tag in filters.tags if skip != "tags"]
        if filters.behavior:
            masks.append(view.mask("behaviors", filters.behavior))
        if filters.business_line and skip != "business_line":
            masks.append(view.mask("business_line", filters.business_line))
        if filters.kind and skip != "kind":
            masks.append(view.mask("kind", filters.kind))
        if filters.defect_class and skip != "defect_class":
            masks.append(view.mask("defect_class", filters.defect_class))
        masks.extend(view.mask("servqual", element) for element in filters.servqual)
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

    def _match(
        self, view: IndexView, parsed: ParsedQuery, *, widen: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None, bool]:
        """The matching documents, their scores (None: no words, list everything) and whether the match was
        widened. ``widen``: a query that finds little takes the cases with most of its words (else only those
        with all of them)."""
        if parsed.empty:
            return view.live, None, False
        translated = self._translations(view, parsed)
        groups = [self._group(view, word, translated.get(word, ())) for word in parsed.words]
        phrases = [self._phrase(view, words) for words in parsed.phrases]
        # Words found in nearly every case do not narrow the query while rarer words remain.
        specific = [group for group in groups if not is_common(int(group[0].sum()), view.live_count)]
        required = specific if specific and len(specific) < len(groups) else groups
        matched = view.live.copy()
        for mask, _score in required + phrases:
            matched &= mask
        score = np.zeros(view.size, dtype=np.float32)
        for _mask, part in groups + phrases:
            score += part
        widened_match = False
        if widen and int(matched.sum()) < FALLBACK_BELOW and len(groups) > 1:
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
                matched, widened_match = widened, True
                # Cases with more of the words first, then by score within the same number of words.
                score = hits * (float(score.max()) + 1.0) + score
        return matched, score, widened_match

    def _fuse(self, view: IndexView, parsed: ParsedQuery, matched: np.ndarray, score: np.ndarray | None,
              narrowed: np.ndarray | None, weight: float) -> tuple[np.ndarray, np.ndarray | None, bool]:  # fmt: skip
        """Add the cases near in meaning to the lexical matches and fuse the two scores.

        Twice: the first fusion's best cases then tell the meaning layer more about what is wanted
        (pseudo-relevance feedback: the query's vector moves towards theirs; the cases found the first time
        are scored again, not the whole library), and the second is the answer.
        """
        if self.meaning is None or parsed.empty or score is None:
            return matched, score, False
        if not any(char.isalpha() for char in parsed.meant):  # numbers and codes have no meaning to look for
            return matched, score, False
        found = self.meaning(parsed.meant, ())
        if not found:
            return matched, score, False
        first_matched, first = self._fused(view, matched, score, narrowed, found, weight)
        if FEEDBACK_CASES and first_matched.any():
            candidates = np.flatnonzero(first_matched)
            top = candidates[np.argsort(-first[candidates], kind="stable")[:FEEDBACK_CASES]]
            case_ids = view.column("case_id")[top]
            like = tuple(int(case_id) for case_id in case_ids)
            found = self.meaning(parsed.meant, like, found.case_ids) or found
            return (*self._fused(view, matched, score, narrowed, found, weight), True)
        return first_matched, first, True

    @staticmethod
    def _fused(view: IndexView, matched: np.ndarray, score: np.ndarray, narrowed: np.ndarray | None,
               found: Matches, weight: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        docs = view.docs_of(found.case_ids)
        similarity = found.similarity
        meaningful = float(similarity.max()) >= MEANING_MIN  # over the whole library, before any filter
        keep = docs >= 0
        if narrowed is not None:
            keep &= narrowed[np.maximum(docs, 0)]
        if not keep.any():
            return matched, score
        docs, similarity = docs[keep], similarity[keep]
        best = float(similarity.max())
        meaning = np.clip((similarity - MEANING_FLOOR) / max(best - MEANING_FLOOR, 1e-6), 0.0, 1.0)
        lexical_best = float(score[matched if narrowed is None else matched & narrowed].max(initial=0.0))
        fused = (1.0 - weight) * score / lexical_best if lexical_best > 0 else np.zeros_like(score)
        fused[docs] += weight * meaning + 1e-3 * similarity  # the nearer first where both are 0
        matched = matched.copy()
        if meaningful:
            near = (similarity >= best * MEANING_SHARE) & (
                (np.arange(len(docs)) < MEANING_TOP) | (similarity >= best * MEANING_NEAR_BEST)
            )
            matched[docs[near]] = True
        return matched, fused.astype(np.float32)

    # --- search ---------------------------------------------------------------------------------

    def search(self, parsed: ParsedQuery, filters: IndexFilters, *, sort: str, offset: int, limit: int,
               want_suggestion: bool = True, mode: str = "hybrid") -> EngineResult:  # fmt: skip
        """``mode``: "hybrid" (words and meaning, fused), "words" or "meaning" alone (to see why a case matched)."""
        view = self.view()
        narrowed = self._filters(view, filters)
        matched, score, widened = self._match(view, parsed)
        if parsed.unsearchable:  # "！！？？" lists nothing rather than the whole library
            matched = np.zeros(view.size, dtype=bool)
            mode = "words"
        if mode == "meaning" and score is not None:
            matched, score = np.zeros(view.size, dtype=bool), np.zeros(view.size, dtype=np.float32)
        meant = False
        if mode != "words":
            weight = MEANING_WEIGHT_WIDENED if widened else MEANING_WEIGHT
            matched, score, meant = self._fuse(view, parsed, matched, score, narrowed, weight)
        for word in parsed.excluded:
            for name in FIELDS:
                matched = matched & ~view.mask(name, word)
        final = matched if narrowed is None else matched & narrowed
        facets = {
            "tags": {tag: int(np.count_nonzero(final & view.mask("tags", tag))) for tag in TAGS},
            # A choice's own facet counts the other choices too (the filters but that one).
            **{
                name: self._facet(view, matched, filters, name, codes)
                for name, codes in (
                    ("business_line", BUSINESS_LINE_CODES),
                    ("kind", CASE_KIND_CODES),
                    ("defect_class", DEFECT_CLASS_CODES),
                )  # fmt: skip
            },
            "servqual": {
                code: count
                for code in SERVQUAL_CODES
                if (count := int(np.count_nonzero(final & view.mask("servqual", code))))
            },
        }
        total = int(np.count_nonzero(final))
        hits = self._rank(view, final, score, sort=sort, offset=offset, limit=limit) if total else []
        suggestion = None
        if want_suggestion and parsed.words and (total < 3 or did_you_mean.has_unknown_word(view, parsed)):
            suggestion = self.suggest(view, parsed, filters)
        return EngineResult(total, hits, facets, parsed.highlight_terms(), suggestion, meant)

    def _facet(self, view: IndexView, matched: np.ndarray, filters: IndexFilters, name: str,
               codes: tuple[str, ...]) -> dict[str, int]:  # fmt: skip
        """The matches per code of one field, under every filter but that field's own; codes without any left out."""
        others = self._filters(view, filters, skip=name)
        base = matched if others is None else matched & others
        return {code: count for code in codes if (count := int(np.count_nonzero(base & view.mask(name, code))))}

    def _rank(self, view: IndexView, final, score, *, sort, offset, limit) -> list[tuple[int, float]]:
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

    def filter_cases(self, case_ids: list[int], filters: IndexFilters) -> list[int]:
        """Those of ``case_ids`` that are searchable and pass ``filters``, in the order given (pinned cases)."""
        if not case_ids:
            return []
        view = self.view()
        allowed = view.live if (narrowed := self._filters(view, filters)) is None else view.live & narrowed
        columns = view.column("case_id")
        found = {int(case_id) for case_id in columns[allowed & np.isin(columns, case_ids)]}
        return [case_id for case_id in case_ids if case_id in found]

    # --- did you mean, related ------------------------------------------------------------------

    def suggest(self, view: IndexView, parsed: ParsedQuery, filters: IndexFilters | None = None) -> str | None:
        """A close spelling that is in the library (:func:`heatcases.search.suggest.suggest`), offered only when
        more cases hold every word of it than hold every word typed (within the same filters)."""
        suggestion = did_you_mean.suggest(view, parsed)
        if suggestion is None:
            return None
        narrowed = self._filters(view, filters or IndexFilters())

        def complete_matches(query: ParsedQuery) -> int:
            matched, _score, _widened = self._match(view, query, widen=False)
            return int(np.count_nonzero(matched if narrowed is None else matched & narrowed))

        return suggestion if complete_matches(parse_query(suggestion)) > complete_matches(parsed) else None

    def related(self, case_id: int, title: str, body: str, tags: list[str], business_line: str,
                limit: int) -> list[tuple[int, float]]:  # fmt: skip
        """Cases most like this one, kept a few minutes (:func:`heatcases.search.related.related`)."""
        near = (lambda: self.meaning("", (case_id,))) if self.meaning else None
        return related_cases.related(self._cache, self.view, case_id, title, body, tags, business_line, limit, near)
