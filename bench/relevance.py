"""Search relevance on the demo cases: nDCG@10, recall@10 and strict P@1 against human judgments.

Builds a throwaway library (temporary folder, SQLite, migrations, the demo cases, a fresh index),
runs every judged query as the demo trainee would through ``search_cases``, and scores the first
page (10 hits, sorted by relevance) against ``bench/relevance/judgments.json``.

.venv/bin/python bench/relevance.py [-v] [--json] [--judgments PATH]

With ``--collection DIR`` it scores an outside test collection instead (``cases.jsonl`` and
``queries.jsonl``, the format of ``../shared/relevance/``): the cases are imported as approved into the
throwaway library, and ``--half tune`` (d01–d30, to tune on) or ``--half heldout`` (d31–d60, to score
once at the end) picks the queries; judged cases are named by their key.

.venv/bin/python bench/relevance.py --collection ../shared/relevance --half tune [-v]

Exits 0 whatever the scores are (it is a measurement); exits 2 when the judgments are stale (a
judged title is not a demo case) or malformed (an unknown filter).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import select

from heatcases import db
from heatcases.cases import service as case_service
from heatcases.config import Settings
from heatcases.demo import load_demo
from heatcases.models import Case, User
from heatcases.search import sync
from heatcases.search.query import IndexFilters
from heatcases.search.service import SearchParams, SearchService, search_cases
from heatcases.vocab import canonical_tags

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JUDGMENTS = ROOT / "bench" / "relevance" / "judgments.json"
SEARCHER = "trainee_xu"
K = 10
FILTER_KEYS = {"tag", "business_line", "featured", "behavior"}


class StaleJudgments(Exception):
    """The judgments do not fit the demo data (or are malformed)."""


@dataclass
class Judged:
    q: str
    kind: str
    filters: dict
    relevant: dict[str, int]


@dataclass
class Scored:
    query: Judged
    ndcg: float
    recall: float
    p1_strict: bool
    ranked: list[tuple[str, int | None]]  # (title, grade; None when unjudged), in rank order
    missed: list[tuple[str, int]] = field(default_factory=list)  # relevant cases not in the top K
    total: int = 0


# --- judgments -------------------------------------------------------------------------------------


def load_judgments(path: Path) -> list[Judged]:
    data = json.loads(path.read_text(encoding="utf-8"))
    queries = []
    for number, raw in enumerate(data["queries"], start=1):
        filters = raw.get("filters") or {}
        unknown = set(filters) - FILTER_KEYS
        if unknown:
            raise StaleJudgments(f"query {number} ({raw['q']!r}): unknown filter(s) {', '.join(sorted(unknown))}")
        queries.append(Judged(q=raw["q"], kind=raw.get("kind", "-"), filters=filters, relevant=dict(raw["relevant"])))
    return queries


def load_collection_queries(folder: Path, half: str) -> list[Judged]:
    """The queries of an outside collection (``queries.jsonl``), the chosen half."""
    queries = []
    for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        number = int(raw["qid"].lstrip("df"))  # d01-d60 (../shared/relevance), f01-f48 (bench/relevance/fresh)
        if (half == "tune" and number > 30) or (half == "heldout" and number <= 30):
            continue
        filters = {"tag": raw.get("tags") or []}
        if raw.get("business_line"):
            filters["business_line"] = raw["business_line"]
        queries.append(Judged(q=raw["q"], kind=raw["type"], filters=filters, relevant=dict(raw["relevant"])))
    return queries


def import_collection(session, folder: Path) -> None:
    """The collection's cases, approved, written by one agent (each keeps its key as external id)."""
    from heatcases.accounts import service as accounts
    from heatcases.cases.importer import import_cases

    author = accounts.create_user(session, username="collection_agent", password="x" * 12, role="agent")
    accounts.create_user(session, username=SEARCHER, password="x" * 12, role="trainee")
    session.commit()
    with tempfile.TemporaryDirectory() as folder_for_file:
        archive = Path(folder_for_file) / "cases.jsonl"
        with archive.open("w", encoding="utf-8") as out:
            for line in (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines():
                if line.strip():
                    case = json.loads(line)
                    record = {**case, "external_id": case["key"], "status": "approved"}
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
        report = import_cases(session, archive, default_author=author)
    if not report.ok:
        raise StaleJudgments(f"the collection did not import: {report.rejected[:3]}")


def params_for(query: Judged) -> SearchParams:
    tags = query.filters.get("tag") or []
    if isinstance(tags, str):
        tags = [tags]
    # As /api/search does: with no words, "relevance" means newest first.
    sort = "relevance" if query.q.strip() else "newest"
    filters = IndexFilters(
        tags=list(dict.fromkeys(tags)),
        behavior=query.filters.get("behavior"),
        business_line=query.filters.get("business_line"),
        featured=query.filters.get("featured"),
    )
    return SearchParams(
        q=query.q,
        filters=filters,
        sort=sort,
        page=1,
        per_page=K,
    )


def check_judgments(queries: list[Judged], cases: dict[str, Case]) -> list[str]:
    """Raise on judged titles that are not demo cases; return warnings for unreachable ones."""
    missing, warnings = [], []
    for query in queries:
        for title in query.relevant:
            case = cases.get(title)
            if case is None:
                missing.append(f"  {query.q!r}: {title}")
                continue
            if not case_service.is_listed(case):
                warnings.append(f"{query.q!r}: judged case is not approved, it can never be found: {title}")
            elif reason := _filtered_out(case, query.filters):
                warnings.append(f"{query.q!r}: judged case is excluded by the filter ({reason}): {title}")
    if missing:
        raise StaleJudgments("judged titles not found among the demo cases (stale judgments?):\n" + "\n".join(missing))
    return warnings


def _filtered_out(case: Case, filters: dict) -> str | None:
    tags = filters.get("tag") or []
    if isinstance(tags, str):
        tags = [tags]
    case_tags = set(canonical_tags(row.tag for row in case.tag_rows))
    if tags and not set(tags) <= case_tags:
        return f"tags {sorted(case_tags)}"
    if filters.get("business_line") and case.business_line != filters["business_line"]:
        return f"business line {case.business_line}"
    if filters.get("featured") is not None and case.featured != filters["featured"]:
        return f"featured={case.featured}"
    return None


# --- metrics ---------------------------------------------------------------------------------------


def gain(grade: int) -> float:
    return 2.0**grade - 1.0


def dcg(grades: list[int]) -> float:
    return sum(gain(grade) / math.log2(rank + 1) for rank, grade in enumerate(grades[:K], start=1))


def score(query: Judged, titles: list[str], total: int) -> Scored:
    grades = [query.relevant.get(title, 0) for title in titles[:K]]
    ideal = dcg(sorted(query.relevant.values(), reverse=True))
    relevant = {title for title, grade in query.relevant.items() if grade >= 1}
    found = relevant & set(titles[:K])
    return Scored(
        query=query,
        ndcg=dcg(grades) / ideal if ideal > 0 else 0.0,
        recall=len(found) / len(relevant) if relevant else 0.0,
        p1_strict=bool(grades) and grades[0] == 3,
        ranked=[(title, query.relevant.get(title)) for title in titles[:K]],
        missed=sorted(((t, g) for t, g in query.relevant.items() if t in relevant - found), key=lambda item: -item[1]),
        total=total,
    )


# --- running ---------------------------------------------------------------------------------------


def run(
    queries: list[Judged], collection: Path | None = None, *, semantic: bool = True
) -> tuple[list[Scored], list[str]]:
    with tempfile.TemporaryDirectory(prefix="heatcases-relevance-") as folder:
        data_dir = Path(folder) / "data"
        settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'heatcases.db'}",
                            semantic_search=semantic)  # fmt: skip
        engine = db.make_engine(settings)
        try:
            db.migrate(settings, engine)
            with db.session_scope(engine) as session:
                if collection is None:
                    load_demo(session)
                else:
                    import_collection(session, collection)
            search = SearchService(settings, engine)  # not started: no background thread needed
            sync.rebuild(engine, search.index)
            if settings.semantic_search:
                search.filler.fill_all()
                search.vectors.load()
            with db.session_scope(engine) as session:
                cases = session.exec(select(Case)).unique().all()
                key = (lambda case: case.title) if collection is None else (lambda case: case.external_id)
                by_key = {key(case): case for case in cases}
                warnings = check_judgments(queries, by_key)
                name_of = {case.id: key(case) for case in cases}
                user = session.exec(select(User).where(User.username == SEARCHER)).one()
                results = []
                for query in queries:
                    page = search_cases(session, search, user, params_for(query))
                    results.append(score(query, [name_of[hit.id] for hit in page.hits], page.total))
        finally:
            engine.dispose()
    return results, warnings


def summary(results: list[Scored]) -> dict:
    kinds: dict[str, list[Scored]] = {}
    for result in results:
        kinds.setdefault(result.query.kind, []).append(result)
    return {
        "queries": len(results),
        "ndcg@10": round(statistics.fmean(r.ndcg for r in results), 4) if results else 0.0,
        "recall@10": round(statistics.fmean(r.recall for r in results), 4) if results else 0.0,
        "p@1_strict": round(statistics.fmean(r.p1_strict for r in results), 4) if results else 0.0,
        "by_kind": {
            kind: {
                "queries": len(group),
                "ndcg@10": round(statistics.fmean(r.ndcg for r in group), 4),
                "recall@10": round(statistics.fmean(r.recall for r in group), 4),
                "p@1_strict": round(statistics.fmean(r.p1_strict for r in group), 4),
            }
            for kind, group in kinds.items()
        },
    }


def as_json(results: list[Scored], warnings: list[str]) -> dict:
    return {
        **summary(results),
        "warnings": warnings,
        "per_query": [
            {
                "q": r.query.q,
                "kind": r.query.kind,
                "filters": r.query.filters,
                "ndcg@10": round(r.ndcg, 4),
                "recall@10": round(r.recall, 4),
                "p@1_strict": r.p1_strict,
                "total": r.total,
                "top": [{"title": title, "grade": grade} for title, grade in r.ranked],
                "missed": [{"title": title, "grade": grade} for title, grade in r.missed],
            }
            for r in results
        ],
    }


def print_report(results: list[Scored], warnings: list[str], *, verbose: bool) -> None:
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{'kind':<11} {'nDCG@10':>7} {'R@10':>5} {'P@1':>3}  query")
    for r in results:
        filters = f"  {json.dumps(r.query.filters, ensure_ascii=False)}" if r.query.filters else ""
        print(
            f"{r.query.kind:<11} {r.ndcg:>7.3f} {r.recall:>5.2f} {'✓' if r.p1_strict else '·':>3}  {r.query.q}{filters}"
        )
        if verbose:
            for rank, (title, grade) in enumerate(r.ranked[:5], start=1):
                print(f"{'':>30}{rank}. [{'-' if grade is None else grade}] {title}")
            print(f"{'':>30}({r.total} matching, {len(r.ranked)} shown)")
            for title, grade in r.missed:
                print(f"{'':>30}missed [{grade}] {title}")
    stats = summary(results)
    print()
    print(f"mean nDCG@10   {stats['ndcg@10']:.3f}")
    for kind, group in stats["by_kind"].items():
        print(f"  {kind:<12} {group['ndcg@10']:.3f}  ({group['queries']} queries)")
    print(f"mean recall@10 {stats['recall@10']:.3f}")
    print(f"P@1 strict     {stats['p@1_strict']:.3f}")
    print(f"queries        {stats['queries']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judgments", type=Path, default=DEFAULT_JUDGMENTS, help="judgments file (JSON)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the top 5 hits and missed cases")
    parser.add_argument("--json", action="store_true", help="print a machine-readable summary instead")
    parser.add_argument("--lexical", action="store_true", help="words only: search by meaning switched off")
    parser.add_argument("--collection", type=Path, help="an outside collection (cases.jsonl, queries.jsonl)")
    parser.add_argument("--half", choices=("tune", "heldout", "all"), default="tune",
                        help="with --collection: d01-d30 (tune), d31-d60 (heldout, score once) or all")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        if args.collection:
            queries = load_collection_queries(args.collection, args.half)
        else:
            queries = load_judgments(args.judgments)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"error: cannot read judgments {args.judgments}: {error!r}", file=sys.stderr)
        return 2
    except StaleJudgments as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        results, warnings = run(queries, args.collection, semantic=not args.lexical)
    except StaleJudgments as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(as_json(results, warnings), ensure_ascii=False, indent=2))
    else:
        print_report(results, warnings, verbose=args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
