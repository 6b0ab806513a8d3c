"""Reader and writer transactions on one pooled connection (SQLite): a reader never writes, a writer does, in
any order, whichever mode the connection was last used in."""

from __future__ import annotations

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
