"""Bulk import of an existing case archive (JSON Lines or CSV), as API.md's `heatcases import` says.

Every row is validated like a submitted case and its personal data masked before anything is stored;
rows are written in batches, each batch one transaction; a row whose ``external_id`` (or, without one,
whose author, title and body) is already in the library is skipped, so running a file twice adds
nothing. Rejected rows are reported with their line number and the reason.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlmodel import Session

from heatcases.cases.schemas import CaseCreate
from heatcases.cases.service import BULK_LISTED, mask_text, team_id_of
from heatcases.db import utcnow
from heatcases.errors import InvalidInput
from heatcases.lessons import value as customer_value
from heatcases.models import Case, CaseBehavior, CaseEvent, CaseServqual, CaseTag, User
from heatcases.vocab import AUTHOR_ROLES

BATCH = 500
STATUSES = ("approved", "pending")
LIST_FIELDS = ("tags", "behaviors", "servqual")


@dataclass
class Rejected:
    line: int
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    skipped: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    imported_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


class ImportFileError(Exception):
    """The file itself cannot be read (missing, unknown kind, not UTF-8, no header)."""


def read_records(path: Path) -> Iterator[tuple[int, dict | str]]:
    """(line number, record) for each row; a record that cannot be parsed comes as the reason (str)."""
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise ImportFileError("the file must be JSON Lines (.jsonl) or CSV (.csv)")
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ImportFileError(f"cannot read {path}: {error.strerror}") from None
    with handle:
        try:
            yield from (_json_lines(handle) if suffix == ".jsonl" else _csv_rows(handle))
        except UnicodeDecodeError:
            raise ImportFileError("the file is not UTF-8 text") from None


def _json_lines(handle) -> Iterator[tuple[int, dict | str]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, f"not valid JSON: {error.msg}"
            continue
        yield number, record if isinstance(record, dict) else "a record must be a JSON object"


def _csv_rows(handle) -> Iterator[tuple[int, dict | str]]:
    reader = csv.DictReader(handle)
    if not reader.fieldnames:
        raise ImportFileError("the CSV file has no header row")
    while True:
        line = reader.line_num + 1  # where the record starts (a quoted cell may span lines)
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportFileError(f"line {line}: not valid CSV: {error}") from None
        if None in row:
            yield line, "more cells than header columns"
            continue
        record = {name.strip(): (value.strip() if value is not None else "") for name, value in row.items() if name}
        record = {name: value for name, value in record.items() if value != ""}
        for name in LIST_FIELDS:
            if name in record:
                record[name] = [item.strip() for item in record[name].split(";") if item.strip()]
        yield line, record


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    message = first.get("msg", "invalid").removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _fingerprint(author_id: int, title: str, body: str) -> str:
    return hashlib.sha256(f"{author_id}\x00{title}\x00{body}".encode()).hexdigest()


class _Importer:
    def __init__(self, session: Session, default_author: User | None):
        self.session = session
        self.default_author = default_author
        self.users: dict[str, User | None] = {}
        self.seen_external: set[str] = set()
        self.fingerprints: set[str] | None = None  # loaded on the first row without an external_id

    def author(self, username: str | None) -> User | None:
        if username is None:
            return self.default_author
        if username not in self.users:
            self.users[username] = self.session.execute(select(User).where(User.username == username)).scalars().first()
        return self.users[username]

    def existing_fingerprints(self) -> set[str]:
        if self.fingerprints is None:
            rows = self.session.execute(select(Case.author_id, Case.title, Case.body))
            self.fingerprints = {_fingerprint(*row) for row in rows}
        return self.fingerprints

    def known_external_ids(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        return set(self.session.execute(select(Case.external_id).where(Case.external_id.in_(ids))).scalars())


def import_cases(session: Session, path: Path, *, default_author: User | None,
                 on_row: Callable[[int], None] | None = None) -> ImportReport:  # fmt: skip
    """Load the archive at ``path``; see the module docstring for the rules."""
    importer = _Importer(session, default_author)
    report = ImportReport()
    batch: list[tuple[int, dict]] = []
    for number, record in read_records(path):
        report.rows += 1
        if isinstance(record, str):
            report.rejected.append(Rejected(number, record))
        else:
            batch.append((number, record))
        if len(batch) >= BATCH:
            _write_batch(importer, batch, report)
            batch = []
        if on_row:
            on_row(number)
    if batch:
        _write_batch(importer, batch, report)
    return report


def _prepare(importer: _Importer, number: int, record: dict, report: ImportReport) -> dict | None:
    try:
        data = CaseCreate.model_validate(record)
    except ValidationError as error:
        report.rejected.append(Rejected(number, _reason(error)))
        return None
    author = importer.author(str(record["author"]).strip() if record.get("author") else None)
    if author is None:
        who = record.get("author")
        reason = f"author: no such user {who!r}" if who else "author: missing (give one or use --as)"
        report.rejected.append(Rejected(number, reason))
        return None
    if author.role not in AUTHOR_ROLES:
        report.rejected.append(Rejected(number, f"author: {author.username} is a {author.role} and cannot write cases"))
        return None
    status = str(record.get("status") or "approved").strip()
    if status not in STATUSES:
        report.rejected.append(Rejected(number, f"status: must be one of {', '.join(STATUSES)}"))
        return None
    external_id = str(record["external_id"]).strip()[:100] if record.get("external_id") not in (None, "") else None
    try:
        team_id = team_id_of(importer.session, author, data.team)
    except InvalidInput as error:
        report.rejected.append(Rejected(number, f"{error.field}: {error.detail}"))
        return None
    text = mask_text(data.title, data.body, data.lesson, data.partner)
    return {
        "data": data,
        "author": author,
        "team_id": team_id,
        "status": status,
        "external_id": external_id,
        "title": text.title,
        "body": text.body,
        "lesson": text.lesson,
        "partner": text.partner,
        "masked": text.masked,
        "featured": str(record.get("featured", "")).lower() in ("true", "1", "yes") and status == "approved",
    }


def _write_batch(importer: _Importer, batch: list[tuple[int, dict]], report: ImportReport) -> None:
    prepared = [(number, row) for number, record in batch if (row := _prepare(importer, number, record, report))]
    known = importer.known_external_ids([row["external_id"] for _n, row in prepared if row["external_id"]])
    rows = []
    for _number, row in prepared:
        external_id = row["external_id"]
        if external_id:
            if external_id in known or external_id in importer.seen_external:
                report.skipped += 1
                continue
            importer.seen_external.add(external_id)
        else:
            fingerprint = _fingerprint(row["author"].id, row["title"], row["body"])
            if fingerprint in importer.existing_fingerprints():
                report.skipped += 1
                continue
            importer.fingerprints.add(fingerprint)
        rows.append(row)
    if not rows:
        return
    session = importer.session
    now = utcnow()
    prices = customer_value.current(session)  # an approved lesson is priced as it is written
    ids = (
        session.execute(
            insert(Case.__table__).returning(Case.__table__.c.id, sort_by_parameter_order=True),
            [
                {
                    "external_id": row["external_id"],
                    "title": row["title"],
                    "body": row["body"],
                    "business_line": row["data"].business_line,
                    "channel": row["data"].channel,
                    "occurred_on": row["data"].occurred_on,
                    "praise": row["data"].praise,
                    "status": row["status"],
                    "featured": row["featured"],
                    "archived": False,
                    "author_id": row["author"].id,
                    "team_id": row["team_id"],
                    "kind": row["data"].kind,
                    "lesson": row["lesson"],
                    "defect_class": row["data"].defect_class,
                    "defect_kind": row["data"].defect_kind,
                    "found_by": row["data"].found_by,
                    "partner": row["partner"],
                    "value_at_risk": prices.value_at_risk(row["data"].business_line, row["data"].defect_class)
                    if row["data"].kind == "lesson" and row["status"] == "approved"
                    else None,
                    "views": 0,
                    "unique_viewers": 0,
                    "masked": row["masked"],
                    "created_at": now,
                    "updated_at": now,
                    "reviewed_at": now if row["status"] == "approved" else None,
                    "featured_at": now if row["featured"] else None,
                }
                for row in rows
            ],
        )
        .scalars()
        .all()
    )
    tags, behaviors, elements, events, listed = [], [], [], [], []
    for case_id, row in zip(ids, rows, strict=True):
        tags.extend({"case_id": case_id, "tag": tag} for tag in row["data"].tags)
        elements.extend({"case_id": case_id, "element": code} for code in row["data"].servqual or [])
        behaviors.extend({"case_id": case_id, "behavior": code} for code in row["data"].behaviors)
        events.append(
            {
                "case_id": case_id,
                "actor_id": row["author"].id,
                "action": "import",
                "from_status": None,
                "to_status": row["status"],
                "comment": None,
                "created_at": now,
            }  # fmt: skip
        )
        if row["status"] == "approved":
            listed.append(case_id)
    for table, values in ((CaseTag, tags), (CaseBehavior, behaviors), (CaseServqual, elements)):
        if values:  # a lesson may name no HEAT value
            session.execute(insert(table.__table__), values)
    session.execute(insert(CaseEvent.__table__), events)
    # Told to the session's listeners (the search change log) in the same transaction, at its commit.
    session.info.setdefault(BULK_LISTED, set()).update(listed)
    session.commit()
    report.imported += len(ids)
    report.imported_ids.extend(ids)
