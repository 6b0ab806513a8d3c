"""The index on disk: replaced documents never show twice, searchers follow other writers' commits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from heatcases.search.arrays import SEGMENT, Cache, read_lengths, read_postings
from heatcases.search.engine import Engine
from heatcases.search.index import CaseDocument, SearchIndex
from heatcases.search.query import IndexFilters, parse_query


def document(case_id: int, *, featured: bool = False) -> CaseDocument:
    return CaseDocument(case_id, f"标题{case_id}", "客人的航班取消了，老人需要改签。", ["trust"], [], "flight",
                        featured, datetime.now(UTC), None)  # fmt: skip


def test_a_case_updated_many_times_is_found_once(tmp_path):
    index = SearchIndex(tmp_path / "index")
    engine = Engine(index)
    for case_id in (1, 2, 3):
        with index.updating(timeout=1) as update:
            update.put(document(case_id))
    featured_now = set()
    for round_ in range(8):  # searches between commits keep their readers open
        case_id, featured = round_ % 3 + 1, round_ % 2 == 0
        with index.updating(timeout=1) as update:
            update.put(document(case_id, featured=featured))
        (featured_now.add if featured else featured_now.discard)(case_id)
        everything = engine.search(parse_query(""), IndexFilters(), sort="newest", offset=0, limit=10)
        assert sorted(case_id for case_id, _score in everything.hits) == [1, 2, 3]
        words = engine.search(parse_query("老人"), IndexFilters(), sort="relevance", offset=0, limit=10)
        assert words.total == 3
        featured = engine.search(parse_query(""), IndexFilters(featured=True), sort="newest", offset=0, limit=10)
        assert sorted(case_id for case_id, _ in featured.hits) == sorted(featured_now)


def test_a_segment_with_deletions_is_read_whole_blocks_at_a_time(tmp_path):
    """Editing or taking out a case deletes its copy in an older segment. That segment's postings are still read
    whole (deleted copies included, left out by the live mask): every other case is found, the edited one once."""
    index = SearchIndex(tmp_path / "index")
    engine = Engine(index)
    with index.updating(timeout=1) as update:
        for case_id in range(1, 301):  # one segment, postings of several blocks
            update.put(document(case_id))
    with index.updating(timeout=1) as update:
        update.put(document(7, featured=True))
        update.remove(9)
    searcher = index.searcher()
    big = max((sub for sub, _base in searcher.reader().leaf_readers()), key=lambda sub: sub.doc_count_all())
    assert big.has_deletions()
    ids, frequencies = read_postings(big, "body", "老人")
    assert len(ids) == 300 and set(frequencies) == {1.0}
    whoosh = big.postings("body", "老人")  # Whoosh's own reading, the deleted left out one by one
    assert [doc for doc in ids if doc not in big.deleted_docs_set] == list(whoosh.all_ids())
    result = engine.search(parse_query("老人"), IndexFilters(), sort="newest", offset=0, limit=400)
    found = [case_id for case_id, _score in result.hits]
    assert result.total == 299 and sorted(found) == [case_id for case_id in range(1, 301) if case_id != 9]


def test_postings_and_lengths_read_in_bulk_are_whoosh_own(tmp_path):
    """Postings are read leaving the positions out and field lengths a segment at a time (the fast ways): every
    word's cases and weights are exactly Whoosh's, in long lists (several blocks, gaps of every size, counts that
    differ) and in short ones, and so is every case's length of title and story."""
    index = SearchIndex(tmp_path / "index")
    with index.updating(timeout=1) as update:
        for case_id in range(1, 701):
            repeats = "老人" * (case_id % 5 + 1) + "客人" * (1 + (case_id % 97 == 0))
            rare = "轮椅" if case_id in (3, 350, 699) else ""
            body = f"{repeats}航班{'延误' if case_id % 3 == 0 else '取消'}。{rare}{'改签' * (case_id % 300 == 0)}"
            update.put(replace(document(case_id), body=body))
    leaves = list(index.searcher().reader().leaf_readers())  # (several segments: a one-pass iterator)
    checked = 0
    for sub, _base in leaves:
        for fieldname in ("title", "body", "tags"):  # (tags: postings without positions, loaded whole)
            for term in sub.lexicon(fieldname):
                word = term.decode() if isinstance(term, bytes) else term
                ids, frequencies = read_postings(sub, fieldname, word)
                whoosh, expected = sub.postings(fieldname, word), []
                while whoosh.is_active():
                    expected.append((whoosh.id(), whoosh.weight()))
                    whoosh.next()
                assert list(zip(ids.tolist(), frequencies.tolist(), strict=True)) == expected, (fieldname, word)
                checked += 1
    assert checked > 700
    for sub, _base in leaves:
        for fieldname in ("title", "body"):
            whoosh = [sub.doc_field_length(doc, fieldname, 0) or 0 for doc in range(sub.doc_count_all())]
            assert read_lengths(sub, fieldname).tolist() == whoosh
    ids, frequencies = read_postings(sub, "body", "老人")
    assert len(ids) == 700 and sorted(set(frequencies.tolist())) == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_a_second_process_sees_commits_and_removals(tmp_path):
    writer_side, reader_side = SearchIndex(tmp_path / "index"), SearchIndex(tmp_path / "index")
    engine = Engine(reader_side)
    with writer_side.updating(timeout=1) as update:
        update.put(document(1))
    assert engine.search(parse_query("老人"), IndexFilters(), sort="relevance", offset=0, limit=5).total == 1
    with writer_side.updating(timeout=1) as update:
        update.put(document(2))
        update.remove(1)
    result = engine.search(parse_query("老人"), IndexFilters(), sort="relevance", offset=0, limit=5)
    assert [case_id for case_id, _ in result.hits] == [2]


def test_a_case_indexed_again_and_again_keeps_its_rank(tmp_path):
    """Each change of a case (featured, edited) writes it again: a new copy, the old one deleted but kept
    in its segment until a merge. The old copies must not make the case's own words look common."""
    index = SearchIndex(tmp_path / "index")
    engine = Engine(index)
    refund = CaseDocument(1, "买错日期的火车票，讲清规则免费退票", "客人买错了日期，我讲清退票规则，免费退了票。",
                          ["effortless"], [], "train", False, datetime.now(UTC), None)  # fmt: skip
    english = CaseDocument(2, "Refund for a cancelled hotel upgrade", "The guest asked for a refund of the upgrade.",
                           ["trust"], [], "hotel", False, datetime.now(UTC), None)  # fmt: skip
    with index.updating(timeout=1) as update:
        for case_id in (3, 4, 5):
            update.put(document(case_id))
        update.put(refund)
        update.put(english)
    for round_ in range(1, 6):
        with index.updating(timeout=1) as update:
            update.put(replace(refund, featured=round_ % 2 == 1))
        result = engine.search(parse_query("退票"), IndexFilters(), sort="relevance", offset=0, limit=5)
        assert [case_id for case_id, _ in result.hits][0] == 1, f"after {round_} updates: {result.hits}"


def test_what_was_computed_for_earlier_commits_is_let_go(tmp_path):
    """A busy library commits every second or so; the arrays kept for each earlier state of the index must go
    with it, or the process grows until the cache's budget (per worker) is spent on states no search will see."""
    index = SearchIndex(tmp_path / "index")
    engine = Engine(index)
    filters = IndexFilters(business_line="flight", tags=["trust"])
    sizes = []
    for case_id in range(1, 41):
        with index.updating(timeout=1) as update:
            update.put(document(case_id))
        for words in ("老人", "航班 改签", "客人"):
            assert engine.search(parse_query(words), filters, sort="relevance", offset=0, limit=5).total == case_id
        sizes.append(engine._cache.bytes)
    assert max(sizes[20:]) < 1.5 * sizes[19], sizes  # levels off instead of growing with every commit


def test_the_cache_keeps_to_its_budget_and_forgets_states_gone_by():
    cache = Cache(budget=10_000)
    old_state, new_state = (("segment-a", 3),), (("segment-a", 3), ("segment-b", 1))
    for term in range(50):  # more than the budget holds: the least recently used go first
        cache.get((old_state, "m", "body", str(term)), lambda: np.zeros(1000, dtype=bool))
    postings = (SEGMENT, "segment-a", "p", "body", "老人")
    cache.get(postings, lambda: np.zeros(100, dtype=np.int64))
    assert 0 < cache.bytes <= 10_000
    cache.follow(new_state, generation=2)
    assert 0 < cache.bytes < 1000  # the masks of the old state are gone; the segment still there keeps its postings
    assert cache.get(postings, lambda: None) is not None
    cache.follow((("segment-c", 4),), generation=3)  # merged into one new segment
    assert cache.bytes == 0
