"""Reader and writer transactions on one pooled connection (SQLite): a reader never writes, a writer does, in
any order, whichever mode the connection was last used in."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool

from heatcases import db


@pytest.fixture
def engine(settings):
    engine = db.make_engine(settings)
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's reader transactions (PRAGMA query_only)")
    # One connection for every transaction: the modes alternate on the same SQLite connection.
    engine.pool = StaticPool(engine.pool._creator, dialect=engine.dialect)
    yield engine
    engine.dispose()


def write(engine, value: int) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO probe (value) VALUES (:value)"), {"value": value})


def test_a_reader_refuses_to_write_and_a_writer_writes_whatever_came_before(engine):
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS probe (value INTEGER)"))
    for round_ in range(3):  # reader, reader, writer, writer, reader... on the one connection
        for _twice in range(2):
            with db.reader(engine).connect() as connection, pytest.raises(OperationalError, match="readonly"):
                connection.execute(text("INSERT INTO probe (value) VALUES (0)"))
        write(engine, round_ + 1)
        write(engine, round_ + 10)
    with db.reader(engine).connect() as connection:
        values = connection.execute(text("SELECT value FROM probe ORDER BY value")).scalars().all()
    assert values == [1, 2, 3, 10, 11, 12]
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE probe"))


def test_writers_of_two_processes_take_turns_at_the_lock_file(settings, monkeypatch):
    """Two server processes on one SQLite file (two engines here: each opens the lock file for itself, as a
    process does): the second writer waits while the first holds its transaction, starts once it commits
    (no "database is locked"), and one that waits too long gets WriterBusy and can write later."""
    first, second = db.make_engine(settings), db.make_engine(settings)
    if first.dialect.name != "sqlite":
        pytest.skip("the lock file is SQLite's")
    try:
        with first.begin() as connection:
            connection.execute(text("CREATE TABLE IF NOT EXISTS probe (value INTEGER)"))
        done = threading.Event()

        def second_writes() -> None:
            write(second, 2)
            done.set()

        with first.begin() as connection:
            connection.execute(text("INSERT INTO probe (value) VALUES (1)"))
            waiting = threading.Thread(target=second_writes)
            waiting.start()
            assert not done.wait(0.3)  # the second process waits its turn
        assert done.wait(10)  # ...and writes once the first committed
        waiting.join()

        monkeypatch.setattr(db, "WRITER_WAIT_SECONDS", 0.2)
        with first.begin() as connection:
            connection.execute(text("INSERT INTO probe (value) VALUES (3)"))
            with pytest.raises(db.WriterBusy):
                write(second, 0)
        write(second, 4)  # its turn was given back
        with db.reader(first).connect() as connection:
            values = connection.execute(text("SELECT value FROM probe ORDER BY value")).scalars().all()
        assert values == [1, 2, 3, 4]
        assert Path(f"{first.url.database}.writer-lock").exists()  # beside the database
    finally:
        with first.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS probe"))
        first.dispose()
        second.dispose()
