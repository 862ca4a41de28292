"""Alembic environment: runs on a synchronous connection handed in by ``procurement.migrate``."""

from alembic import context

from procurement.models_registry import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
