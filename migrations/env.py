"""Alembic environment: the URL comes from the HEATCASES_* settings, the tables from heatcases.models."""

from alembic import context

import heatcases.models  # noqa: F401  (registers every table on the metadata)
from heatcases.config import get_settings
from heatcases.db import make_engine, metadata

config = context.config


def run_migrations_offline() -> None:
    settings = config.attributes.get("settings") or get_settings()
    context.configure(
        url=settings.sqlalchemy_url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    settings = config.attributes.get("settings") or get_settings()
    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
