"""Related cases: the cases most like one case, by its most telling words, shared values and business line.

Scored on the same :class:`~heatcases.search.arrays.IndexView` as a search (BM25 per field, the
common-word rule), and kept for a while in the engine's cache.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from heatcases.search import text
from heatcases.search.arrays import FIELD_BOOST, FIELDS, Cache, IndexView, is_common
from heatcases.search.embedding import Matches

RELATED_SECONDS = 900.0  # how long a case's related list is kept (at most)


def related(cache: Cache, open_view: Callable[[], IndexView], case_id: int, title: str, body: str,
            tags: list[str], business_line: str, limit: int,
            near: Callable[[], Matches] | None = None) -> list[tuple[int, float]]:  # fmt: skip
    """Cases most like this one: its most telling words, then shared values and business line.

    Kept for up to RELATED_SECONDS per case: every reader of a case page asks for the same list, it costs
    more than a search, and a case's nearest neighbours hardly move in a quarter of an hour. (Whether each one may
    be shown is decided by the caller from the database, every time.) ``open_view`` is called only when
    the list is not kept; ``near()`` gives the cases nearest to this one in meaning, when there is a
    meaning layer (the two are fused as in a search)."""
    # Kept in the engine's cache under the current RELATED_SECONDS period: a new period is a new key. Each
    # case's periods begin at a moment of their own, so the lists are not all computed again at once.
    shift = (case_id * 7919) % RELATED_SECONDS
    period = int((time.monotonic() + shift) // RELATED_SECONDS)
    return cache.get(
        ("related", case_id, limit, period),
        lambda: related_now(open_view(), case_id, title, body, tags, business_line, limit, near() if near else None),
    )


def related_now(view: IndexView, case_id: int, title: str, body: str, tags: list[str], business_line: str,
                limit: int, near: Matches | None = None) -> list[tuple[int, float]]:  # fmt: skip
    total_docs = max(view.live_count, 1)
    counts: dict[str, int] = {}
    for token in text.tokens(f"{title}\n{title}\n{body}", for_index=False):
        if len(token.text) > 1 and not any(char.isdigit() for char in token.text):
            counts[token.text] = counts.get(token.text, 0) + 1
    weights = {}
    for word, tf in counts.items():
        df = view.doc_frequency("body", word)
        if df < 2 or is_common(df, total_docs):
            continue
        weight = (1 + math.log(tf)) * math.log((total_docs + 1) / df)
        if weight > 0:
            weights[word] = weight
    key_terms = sorted(weights.items(), key=lambda item: item[1], reverse=True)[:12]
    if not view.live_count or not (key_terms or near):
        return []
    score = np.zeros(view.size, dtype=np.float32)
    for word, weight in key_terms:
        for name in FIELDS:
            ids, scores = view.bm25(name, word)
            score[ids] += scores * (FIELD_BOOST[name] * weight / key_terms[0][1])
    score *= view.live
    if near:
        score = _with_meaning(view, score, near)
    bonus = 1 + 0.1 * view.mask("business_line", business_line)
    for tag in tags:
        bonus = bonus + 0.15 * view.mask("tags", tag)
    score *= bonus
    own = np.flatnonzero(view.column("case_id") == case_id)
    score[own] = 0
    candidates = np.flatnonzero(score > 0)
    if not len(candidates):
        return []
    if 0 < limit < len(candidates):  # sort only those that can make the list (ties at the cut kept): not all 50,000
        threshold = np.partition(score[candidates], len(candidates) - limit)[len(candidates) - limit]
        candidates = candidates[score[candidates] >= threshold]
    order = candidates[np.argsort(-score[candidates], kind="stable")][:limit]
    case_ids = view.column("case_id")
    return [(int(case_ids[doc]), float(score[doc])) for doc in order]


def _with_meaning(view: IndexView, score: np.ndarray, near: Matches) -> np.ndarray:
    """The words' scores fused with the nearest cases in meaning (the search's weights)."""
    from heatcases.search.engine import MEANING_FLOOR, MEANING_WEIGHT

    docs = view.docs_of(near.case_ids)
    similarity = near.similarity
    keep = docs >= 0
    docs, similarity = docs[keep], similarity[keep]
    if not len(docs):
        return score
    best = float(similarity[1:].max(initial=similarity[0]))  # the first is usually the case itself
    meaning = np.clip((similarity - MEANING_FLOOR) / max(best - MEANING_FLOOR, 1e-6), 0.0, 1.0)
    top = float(score.max(initial=0.0))
    fused = (1.0 - MEANING_WEIGHT) * score / top if top > 0 else np.zeros_like(score)
    fused[docs] += MEANING_WEIGHT * meaning * view.live[docs]
    return fused
