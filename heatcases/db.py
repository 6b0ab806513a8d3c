"""Engine, sessions and migrations."""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import MetaData, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, create_engine

from heatcases.config import Settings

# Stable constraint names, so Alembic can alter them on every backend.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

ROOT = Path(__file__).resolve().parent.parent


def utcnow() -> datetime:
    """Now, as the aware UTC datetime every table stores."""
    return datetime.now(UTC)


# On SQLite a transaction is either a reader (BEGIN DEFERRED: no lock, a WAL snapshot) or a writer
# (BEGIN IMMEDIATE: the one write lock, taken at BEGIN so writers queue behind the busy timeout instead
# of failing when a reader upgrades). The engine's default is the writer; ``reader(engine)`` is the same
# engine and pool with reader transactions, and ``begin_write`` turns a reading session into a writer.
# A reader transaction is also PRAGMA query_only: a write that forgot ``begin_write`` fails at once
# (in the tests) instead of upgrading a snapshot, which fails under contention with "database is locked".
BEGIN_OPTION = "heatcases_begin"
READ, WRITE = "read", "write"
POOL_SPARE = 8  # connections beyond the request limit: the index syncer, warm-up, the view rollup, the CLI


def make_engine(settings: Settings) -> Engine:
    """The engine of the process. Its pool holds a connection for every request the server lets in at
    once (``max_active_requests``) and a few for background work, so no request waits for a connection."""
    url = settings.sqlalchemy_url
    pool_size = settings.max_active_requests + POOL_SPARE
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=pool_size, max_overflow=8
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=8)


def reader(engine: Engine) -> Engine:
    """The same engine (and pool) whose transactions only read: on SQLite they take no lock."""
    return engine.execution_options(**{BEGIN_OPTION: READ})


def begin_read(session: Session) -> None:
    """Start the session's next transaction as a reader (no-op when one is already open)."""
    if not session.in_transaction():
        session.connection(execution_options={BEGIN_OPTION: READ})


def begin_write(session: Session) -> None:
    """End what the session was reading and open a writer transaction for the writes that follow.

    Needed in a session bound to ``reader(engine)`` (the pages and API calls that read: GET requests)
    before it writes: counted views, impressions, logged searches. Objects loaded stay usable.
    """
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write with unflushed changes: call it before changing anything")
        session.commit()
    session.connection(execution_options={BEGIN_OPTION: WRITE})


def insert_ignore(session: Session, table, values: dict) -> bool:
    """INSERT that does nothing when a unique key exists; True when the row was inserted.

    RETURNING tells reliably whether it was: drivers report rowcount -1 for some such statements.
    """
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(table).values(**values).on_conflict_do_nothing()
    return session.execute(statement.returning(*table.primary_key.columns)).first() is not None


WRITER_WAIT_SECONDS = 30  # as SQLite's busy timeout


class WriterBusy(OperationalError):
    """No write transaction could start within WRITER_WAIT_SECONDS."""


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling would start transactions lazily and as readers; a
    # reader that later writes can fail at once with "database is locked" instead of waiting.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        _record.info[_QUERY_ONLY] = False

    # Writers take their turn before BEGIN IMMEDIATE: at a Python lock among the threads of this process, then
    # at a lock file among the processes of this database (the workers of one server). A writer then starts
    # the moment the one before it commits. Left to SQLite's busy handler, waiting writers sleep and poll with
    # growing pauses (up to 100 ms), and under a burst they pile up: the logins at the start of a shift, two
    # workers, waited 7 s in all in 20 s, 437 ms at most (bench/load, session 15). The command line and
    # other programs still meet at SQLite's lock.
    turn = WriterTurn(_lock_file(engine))

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(BEGIN_OPTION) == READ:
            _query_only(connection, True)
            connection.exec_driver_sql("BEGIN DEFERRED")
            return
        if not turn.acquire(timeout=WRITER_WAIT_SECONDS):
            raise WriterBusy("BEGIN IMMEDIATE", None, TimeoutError("no write turn within 30 s"))
        connection.info[_WRITER_TURN] = turn
        try:
            _query_only(connection, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _end_turn(connection)
            raise

    event.listen(engine, "commit", _finish_writer("COMMIT"))
    event.listen(engine, "rollback", _finish_writer("ROLLBACK"))


def _lock_file(engine: Engine) -> Path | None:
    """The lock file beside a SQLite database file (None for a database in memory)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).with_name(Path(database).name + ".writer-lock")


class WriterTurn:
    """One writer at a time among the threads of this process and, with a lock file, among the processes
    that share it: a Python lock, then an exclusive ``flock`` on the file (released by the kernel if the
    process dies). The file lock is polled every POLL_SECONDS while another process holds it, so a waiter
    starts within a millisecond of the other's commit."""

    POLL_SECONDS = 0.001

    def __init__(self, lock_file: Path | None):
        self._threads = threading.Lock()
        self._path = lock_file
        self._descriptor: int | None = None

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            return False
        try:
            taken = self._path is None or self._take_file(deadline)
        except BaseException:
            self._threads.release()
            raise
        if not taken:
            self._threads.release()
        return taken

    def _take_file(self, deadline: float) -> bool:
        if self._descriptor is None:
            self._descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            weakref.finalize(self, os.close, self._descriptor)  # closed with the engine's listeners
        while True:
            try:
                fcntl.flock(self._descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(self.POLL_SECONDS)

    def release(self) -> None:
        try:
            if self._descriptor is not None:
                fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        finally:
            self._threads.release()


_WRITER_TURN = "heatcases_writer_turn"
_QUERY_ONLY = "heatcases_query_only"  # the connection's PRAGMA query_only, kept with it in the pool


def _query_only(connection, on: bool) -> None:
    """Set PRAGMA query_only only when it changes: most transactions on a connection are of the same kind, and
    each statement is a round through SQLite that gives up the GIL."""
    info = connection.connection.info
    if info.get(_QUERY_ONLY) is not on:
        connection.exec_driver_sql(f"PRAGMA query_only={'ON' if on else 'OFF'}")
        info[_QUERY_ONLY] = on


def _end_turn(connection) -> None:
    turn = connection.info.pop(_WRITER_TURN, None)
    if turn is not None:
        turn.release()


def _finish_writer(statement: str):
    """End a writer's transaction, then its turn. (The engine's commit and rollback events come before
    SQLAlchemy ends the transaction; ending it here first means the next writer never meets SQLite's
    lock still held. SQLAlchemy's own COMMIT or ROLLBACK then finds no transaction and does nothing.)"""

    def finish(connection) -> None:
        if _WRITER_TURN not in connection.info:
            return
        try:
            raw = connection.connection.dbapi_connection
            if raw.in_transaction:
                raw.execute(statement)
        finally:
            _end_turn(connection)

    return finish


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def alembic_config(settings: Settings):
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["settings"] = settings
    return config


def migrate(settings: Settings, engine: Engine | None = None) -> None:
    """Bring the schema to the newest migration; safe when several processes start at once."""
    from alembic import command

    config = alembic_config(settings)
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with open(settings.data_dir / ".migrate.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            command.upgrade(config, "head")
        return
    engine = engine or make_engine(settings)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(4242001)"))
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(4242001)"))
            connection.commit()
