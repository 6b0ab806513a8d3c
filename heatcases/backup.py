"""`heatcases backup DEST`: a consistent copy of the database, taken while the server runs and writes.

SQLite: the online backup API copies the database in one step, that is inside one read transaction,
so the copy is one committed state; in WAL mode writers go on meanwhile. The copy is a single
self-contained file (rollback journal, no ``-wal`` beside it), checked with ``PRAGMA quick_check``.

PostgreSQL: ``pg_dump`` in its custom format reads everything in one repeatable-read snapshot, so the
dump is one committed state too; writers are not blocked. ``pg_restore --list`` checks the archive.

Either way the copy is written beside DEST under a temporary name and renamed into place once
complete: a failed backup leaves no partial file, and never a half-written DEST. The database is only
read, never migrated: a backup taken before an upgrade is a copy of the old schema. The search index is
not copied; it is derived from the database (``heatcases reindex`` rebuilds it after a restore).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

PG_DUMP = "/usr/bin/pg_dump"
PG_TIMEOUT_SECONDS = 6 * 3600


class BackupError(Exception):
    """The backup could not be written; the message says why, for the operator."""


@dataclass
class BackupResult:
    path: Path
    size: int
    kind: str
    seconds: float
    cases: int | None = None  # counted in the copy itself (SQLite)
    entries: int | None = None  # table of contents entries of the archive (PostgreSQL)

    def describe(self) -> str:
        what = f"{self.cases} cases" if self.cases is not None else f"{self.entries} archive entries"
        size = human_size(self.size) + (f", {self.size:,} bytes" if self.size >= 1024 else "")
        return f"backup written: {self.path} ({size}; {self.kind}; {what}; {self.seconds:.1f} s)"


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def backup_database(database_url: str, dest: str | Path, *, force: bool = False, pg_dump: str | None = None,
                    now: datetime | None = None) -> BackupResult:  # fmt: skip
    """Copy the database at ``database_url`` (a SQLAlchemy URL) to ``dest``: a file, or a folder to name one in."""
    try:
        url = make_url(database_url)
    except ArgumentError as error:
        raise BackupError(f"the database URL cannot be read: {error}") from None
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {backend} database: only SQLite and PostgreSQL are supported")
    is_sqlite = backend == "sqlite"
    if str(dest).endswith(("/", os.sep)) and not Path(dest).expanduser().is_dir():  # meant as a folder
        raise BackupError(f"the folder {dest} does not exist")
    target = target_path(dest, ".db" if is_sqlite else ".dump", now or datetime.now())
    if target.exists() and not force:
        raise BackupError(f"{target} exists: choose another name, or pass --force to replace it")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    started = time.perf_counter()
    try:
        if is_sqlite:
            result = _backup_sqlite(url, partial)
        else:
            result = _backup_postgres(url, partial, pg_dump or default_pg_dump())
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)
    finally:
        for leftover in (partial, *(partial.with_name(partial.name + end) for end in ("-journal", "-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
    result.path = target
    result.size = target.stat().st_size
    result.seconds = time.perf_counter() - started
    return result


def target_path(dest: str | Path, suffix: str, now: datetime) -> Path:
    """DEST itself, or a dated file name inside DEST when it is a folder."""
    dest = Path(dest).expanduser()
    if dest.is_dir():
        return dest / f"heatcases-{now:%Y%m%d-%H%M%S}{suffix}"
    return dest


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# --- SQLite -----------------------------------------------------------------------------------


def _backup_sqlite(url: URL, partial: Path) -> BackupResult:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("an in-memory SQLite database cannot be backed up")
    source_path = Path(database).expanduser().resolve()
    if not source_path.is_file():
        raise BackupError(f"the database file {source_path} does not exist")
    try:
        # mode=rw: never create an empty database where the real one was expected.
        source = sqlite3.connect(f"{source_path.as_uri()}?mode=rw", uri=True, timeout=30)
    except sqlite3.Error as error:
        raise BackupError(f"cannot open {source_path}: {error}") from None
    try:
        copy = sqlite3.connect(partial)
        try:
            source.execute("PRAGMA busy_timeout=30000")
            # pages=-1: the whole database in one step, i.e. one read transaction and one committed state.
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, nothing in a -wal beside it
            check = copy.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
            cases = _count_cases(copy)
        finally:
            copy.close()
    except sqlite3.Error as error:
        raise BackupError(f"SQLite backup of {source_path} failed: {error}") from None
    finally:
        source.close()
    return BackupResult(partial, 0, "SQLite database", 0.0, cases=cases)


def _count_cases(connection: sqlite3.Connection) -> int | None:
    try:
        return connection.execute("SELECT count(*) FROM service_case").fetchone()[0]
    except sqlite3.OperationalError:  # an empty database, never migrated
        return None


# --- PostgreSQL -------------------------------------------------------------------------------


def default_pg_dump() -> str:
    if os.path.exists(PG_DUMP):
        return PG_DUMP
    return shutil.which("pg_dump") or PG_DUMP


def libpq_url(url: URL | str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for a SQLAlchemy PostgreSQL URL, and the environment carrying its password.

    The password travels in ``PGPASSWORD``, not on the command line where ``ps`` would show it.
    """
    url = make_url(url) if isinstance(url, str) else url
    plain = URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database, query=url.query
    )
    env = {"PGPASSWORD": url.password} if url.password else {}
    return plain.render_as_string(hide_password=False), env


def _backup_postgres(url: URL, partial: Path, pg_dump: str) -> BackupResult:
    if not os.path.exists(pg_dump) and not shutil.which(pg_dump):
        raise BackupError(f"{pg_dump} not found: install the PostgreSQL client (pg_dump), or pass --pg-dump PATH")
    uri, password_env = libpq_url(url)
    env = {**os.environ, **password_env}
    # --no-password: fail at once rather than wait for a password prompt nobody answers (cron).
    command = [pg_dump, "--format=custom", "--no-password", f"--file={partial}", f"--dbname={uri}"]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT_SECONDS)
    except OSError as error:
        raise BackupError(f"cannot run {pg_dump}: {error.strerror}") from None
    except subprocess.TimeoutExpired:
        raise BackupError(f"pg_dump did not finish within {PG_TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed (exit {done.returncode}): {_last_lines(done.stderr)}")
    return BackupResult(partial, 0, "PostgreSQL custom-format dump", 0.0, entries=_archive_entries(pg_dump, partial))


def _archive_entries(pg_dump: str, archive: Path) -> int:
    """Read the archive's table of contents back with pg_restore, which proves it is complete."""
    pg_restore = str(Path(pg_dump).with_name("pg_restore"))
    if not os.path.exists(pg_restore):
        pg_restore = shutil.which("pg_restore") or pg_restore
    try:
        done = subprocess.run([pg_restore, "--list", str(archive)], capture_output=True, text=True, timeout=600)
    except OSError as error:
        raise BackupError(f"cannot run {pg_restore} to check the dump: {error.strerror}") from None
    if done.returncode != 0:
        raise BackupError(f"the dump cannot be read back: {_last_lines(done.stderr)}")
    return sum(1 for line in done.stdout.splitlines() if line and not line.startswith(";"))


def _last_lines(text: str, count: int = 5) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "no message"
