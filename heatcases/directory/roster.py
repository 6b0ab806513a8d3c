"""Roster import for sites without a directory: a CSV or Excel file of people, one a row.

Columns (a header row first; English or Chinese names): ``username`` (用户名), ``display_name`` (姓名),
``role`` (角色: a code or its label, e.g. ``agent`` or 客服), ``team`` (班组, optional; created when new).
Every row is checked before anything is written, and each problem is reported as ``line N: field: reason``;
with any problem nothing is written. Otherwise one transaction creates the new people, each with a one-time
password they must replace at their first login, and updates those whose row changed: importing the same
file again changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlmodel import Session, select

from heatcases.accounts import passwords
from heatcases.accounts import service as accounts
from heatcases.errors import HeatcasesError
from heatcases.models import User
from heatcases.vocab import ROLES

MAX_ROWS = 20_000
MAX_BYTES = 1024 * 1024  # as the request body limit: ~20,000 rows of CSV
COLUMNS = {
    "username": "username", "用户名": "username", "账号": "username",
    "display_name": "display_name", "name": "display_name", "姓名": "display_name", "显示名": "display_name",
    "role": "role", "角色": "role",
    "team": "team", "班组": "team",
}  # fmt: skip
ROLE_NAMES = {name.lower(): term.code for term in ROLES for name in (term.code, term.zh, term.en)}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a roster: where (a line and a field, or the file), and why, in English for the
    command line and the API (``str()``: ``line N: field: reason``) and as a page text (``roster.problem_<code>``
    filled with ``line``, ``field`` (the column's name) and ``values``)."""

    code: str
    reason: str
    line: int | None = None
    column: str | None = None
    values: dict = field(default_factory=dict)

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line else []
        return ": ".join([*where, *([self.column] if self.column else []), self.reason])


class RosterUnreadable(HeatcasesError):
    status_code = 422
    message_key = "roster.unreadable"

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass
class Row:
    line: int
    username: str
    display_name: str | None
    role: str
    team: str | None


@dataclass
class RosterReport:
    problems: list[Problem] = field(default_factory=list)
    created: list[tuple[str, str]] = field(default_factory=list)  # (username, one-time password)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def errors(self) -> list[str]:
        """Every problem as ``line N: field: reason``."""
        return [str(problem) for problem in self.problems]


def read_rows(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line number, {column: text}) for every non-empty row of a .csv or .xlsx file."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        table = _xlsx_rows(data)
    elif name.endswith(".csv"):
        table = _csv_rows(data)
    else:
        raise RosterUnreadable(Problem("file_type", "the roster must be a .csv or .xlsx file"))
    header, *body = table or [[]]
    columns = [COLUMNS.get(str(cell or "").strip().lower()) for cell in header]
    missing = {"username", "role"} - set(columns)
    if missing:
        columns = ", ".join(sorted(missing))
        reason = f"the header needs the columns {columns}"
        raise RosterUnreadable(Problem("header", reason, 1, None, {"columns": columns}))
    if len(body) > MAX_ROWS:
        raise RosterUnreadable(Problem("too_many_rows", f"at most {MAX_ROWS} rows at once", values={"rows": MAX_ROWS}))
    rows = []
    for number, cells in enumerate(body, start=2):
        values = {column: _text(cell) for column, cell in zip(columns, cells, strict=False) if column}
        if any(values.values()):
            rows.append((number, values))
    return rows


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # Excel keeps 1001 as 1001.0
    return " ".join(str(cell).split())


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")  # Excel's plain CSV on a Chinese Windows
        except UnicodeDecodeError:
            raise RosterUnreadable(Problem("encoding", "the CSV file is neither UTF-8 nor GB18030 text")) from None
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise RosterUnreadable(Problem("not_csv", f"not a CSV file: {error}")) from None


def _xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook  # only an import of an Excel file pays for loading it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises zipfile, KeyError and its own errors for damaged files
        raise RosterUnreadable(Problem("not_xlsx", f"not an Excel (.xlsx) file: {error.__class__.__name__}")) from None
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def check_rows(rows: list[tuple[int, dict[str, str]]]) -> tuple[list[Row], list[Problem]]:
    """The rows as people, and every problem of every row."""
    people, problems, seen = [], [], {}
    roles = ", ".join(term.code for term in ROLES)
    for line, values in rows:
        found = []
        username = values.get("username", "")
        try:
            accounts.check_username(username)
        except HeatcasesError as error:
            found.append(Problem("username_invalid", error.detail, line, "username"))
        if username in seen:
            found.append(Problem("username_repeats", f"repeats line {seen[username]}", line, "username",
                                 {"other": seen[username]}))  # fmt: skip
        seen.setdefault(username, line)
        role = ROLE_NAMES.get(values.get("role", "").lower())
        if role is None:
            found.append(Problem("role_unknown", f"must be one of {roles}", line, "role", {"roles": roles}))
        display_name = values.get("display_name") or None  # None: no such column, or empty: keep / the username
        if display_name and (len(display_name) > 60 or not display_name.isprintable()):
            found.append(Problem("name_invalid", "must be 1-60 printable characters", line, "display_name"))
        team = values.get("team")  # None: no such column (keep the team); "": no team
        if team and (len(team) > 60 or not team.isprintable()):
            found.append(Problem("name_invalid", "must be 1-60 printable characters", line, "team"))
        problems.extend(found)
        if not found:
            people.append(Row(line, username, display_name, role, team))
    return people, problems


def import_roster(session: Session, filename: str, data: bytes, *, actor: User | None) -> RosterReport:
    """Check every row, then create and update the people in one transaction (nothing when any row is wrong)."""
    report = RosterReport()
    if len(data) > MAX_BYTES:
        kib = MAX_BYTES // 1024
        report.problems = [Problem("too_large", f"the file is larger than {kib} KiB", values={"kib": kib})]
        return report
    try:
        people, report.problems = check_rows(read_rows(filename, data))
    except RosterUnreadable as error:
        report.problems = [error.problem]
        return report
    existing = {
        user.username: user
        for user in session.exec(select(User).where(User.username.in_([person.username for person in people])))
    }
    for person in people:
        user = existing.get(person.username)
        if user is not None and user.source != "local":
            reason = "a directory account; the directory keeps it"
            report.problems.append(Problem("directory_account", reason, person.line, "username"))
    if report.problems:
        return report
    who = actor or "roster import"
    try:
        for person in people:
            user = existing.get(person.username)
            if user is None:
                password, hashed = passwords.one_time_password()
                accounts.create_user(
                    session, username=person.username, password="", password_hash=hashed, role=person.role,
                    team=person.team or None, display_name=person.display_name, actor=who, commit=False,
                    must_change_password=True,
                )  # fmt: skip
                report.created.append((person.username, password))
            elif accounts.change_user(
                session, user, role=person.role, team=person.team, display_name=person.display_name,
                actor=who, action="roster_update",
            ):  # fmt: skip
                report.updated.append(person.username)
            else:
                report.unchanged += 1
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return report
