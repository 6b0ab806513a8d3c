"""Engine, sessions and migrations."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Engine
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


def make_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_read_engine(settings: Settings, engine: Engine) -> Engine:
    """An engine for work that only reads (the metrics): on SQLite its transactions do not take the
    write lock, so a long report never makes views and submissions wait (WAL readers see a snapshot).
    Elsewhere the same engine."""
    if not settings.sqlalchemy_url.startswith("sqlite"):
        return engine
    reader = create_engine(settings.sqlalchemy_url, connect_args={"check_same_thread": False, "timeout": 30})
    _configure_sqlite(reader, begin="BEGIN DEFERRED")
    return reader


def _configure_sqlite(engine: Engine, begin: str = "BEGIN IMMEDIATE") -> None:
    # pysqlite's own transaction handling would start transactions lazily and as readers; a
    # reader that later writes can fail at once with "database is locked" instead of waiting.
    # Taking the write lock at BEGIN makes concurrent writers queue behind the busy timeout.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql(begin)


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
