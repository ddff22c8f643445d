"""Alembic environment: the app's models are the target schema."""

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlmodel import SQLModel

import analysis.models  # noqa: F401
import analysis.models_reports  # noqa: F401
import core.audit  # noqa: F401
import core.models  # noqa: F401
import core.throttle  # noqa: F401
import participation.councils  # noqa: F401
import participation.models  # noqa: F401
import surveys.models  # noqa: F401

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline():
    """Write the SQL for the url without connecting."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Apply the migrations over a connection."""
    connectable = config.attributes.get("connection")
    if connectable is None:
        connectable = engine_from_config(
            config.get_section(config.config_ini_section, {}),
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        with connectable.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection):
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
