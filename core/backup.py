"""Portable backups: every table as gzip'd JSON Lines, for SQLite or PostgreSQL.

The file holds a header line (format, Alembic revisions, tables in dependency
order), one line per row ({"table": name, "row": {column: value}}) and an end
line with the row count of each table, so a cut-off file is refused.
"""

import base64
import gzip
import io
import json
import logging
import os
import uuid
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import click
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask.cli import AppGroup
from sqlalchemy import JSON, Integer, TypeDecorator, func, inspect, select, text
from sqlalchemy.exc import StatementError
from sqlmodel import SQLModel

from core import audit, db
from core.db import get_engine, session_scope

log = logging.getLogger(__name__)

FORMAT = "tongsheng-backup"
VERSION = 1
BATCH = 500


class BackupError(RuntimeError):
    """The backup cannot be written or restored as asked; nothing was changed."""


def create_backup(engine, path) -> dict[str, int]:
    """Write every table of engine's database to path; return rows per table."""
    with engine.connect() as conn:
        tables = _tables(conn)
        header = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": datetime.now(UTC).isoformat(),
            "dialect": conn.dialect.name,
            "revisions": _revisions(conn),
            "tables": [table.name for table in tables],
        }
        partial = Path(f"{path}.partial")
        with _private_text_file(partial) as handle:
            _write(handle, header)
            counts = {table.name: _dump_table(conn, table, handle) for table in tables}
            _write(handle, {"end": True, "rows": counts})
        partial.replace(path)
    log.info(
        "Backup written with %s rows in %s tables", sum(counts.values()), len(counts)
    )
    return counts


@contextmanager
def _private_text_file(path):
    """Open path for gzip'd UTF-8 text readable by its owner only."""
    with ExitStack() as stack:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        raw = stack.enter_context(os.fdopen(descriptor, "wb"))
        packed = stack.enter_context(gzip.GzipFile(fileobj=raw, mode="wb"))
        handle = stack.enter_context(
            io.TextIOWrapper(packed, encoding="utf-8", newline="\n")
        )
        try:
            yield handle
        except BaseException:
            path.unlink(missing_ok=True)
            raise


def _tables(conn):
    """Return the app's tables in dependency order, refusing a partial backup."""
    present = set(inspect(conn).get_table_names()) - {"alembic_version"}
    known = {table.name for table in SQLModel.metadata.sorted_tables}
    unknown = sorted(present - known)
    if unknown:
        raise BackupError(f"tables the app does not know: {', '.join(unknown)}")
    missing = sorted(known - present)
    if missing:
        raise BackupError(
            f"tables missing, run flask db upgrade first: {', '.join(missing)}"
        )
    return list(SQLModel.metadata.sorted_tables)


def _revisions(conn):
    return sorted(MigrationContext.configure(conn).get_current_heads())


def _dump_table(conn, table, handle):
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(yield_per=1000).execute(
        select(table).order_by(*order)
    )
    count = 0
    for row in result.mappings():
        _write(handle, {"table": table.name, "row": dict(row)})
        count += 1
    return count


def _write(handle, obj):
    handle.write(json.dumps(obj, ensure_ascii=False, default=_encode))
    handle.write("\n")


def _encode(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


def restore_backup(engine, path, force=False) -> dict[str, int]:
    """Load a backup into engine's database in one transaction.

    A database without tables (a new SQLite file, say) is first brought to
    the newest schema, which must be the backup's.
    """
    try:
        with _open(path) as handle:
            header = _read_header(handle)
            _migrate_if_blank(engine, header)
            with engine.begin() as conn:
                _check_target(conn, header, force)
                counts = _load_rows(conn, handle, header)
                if conn.dialect.name == "postgresql":
                    _reset_sequences(conn)
    except (OSError, EOFError) as exc:
        raise BackupError(f"cannot read {path}: {exc}") from None
    log.info(
        "Backup restored with %s rows in %s tables", sum(counts.values()), len(counts)
    )
    return counts


def _open(path):
    try:
        return gzip.open(path, "rt", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None


def _read_header(handle):
    try:
        header = json.loads(handle.readline())
    except (OSError, EOFError, ValueError) as exc:
        raise BackupError(f"not a backup file: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("not a Tongsheng backup file")
    if header.get("version") != VERSION:
        raise BackupError(f"backup format version {header.get('version')} unknown")
    return header


def _migrate_if_blank(engine, header):
    """Bring a database without tables to the newest schema for the backup."""
    with engine.connect() as conn:
        if inspect(conn).get_table_names() or _revisions(conn):
            return
    url = engine.url.render_as_string(hide_password=False)
    newest = _newest_revisions(url)
    if header["revisions"] != newest:
        raise BackupError(
            f"the backup is at revisions {', '.join(header['revisions'])} but this "
            f"version of the app creates {', '.join(newest)}; migrate the empty "
            "database to the backup's revisions first (see docs/backup.md)"
        )
    db.upgrade(url)
    log.info("Empty database brought to the newest schema before restore")


def _newest_revisions(url):
    """Return the revisions `flask db upgrade` brings a database to, sorted."""
    return sorted(ScriptDirectory.from_config(db.alembic_config(url)).get_heads())


def _check_target(conn, header, force):
    """Refuse a target at other revisions, or holding data unless force."""
    revisions = _revisions(conn)
    if revisions != header["revisions"]:
        raise BackupError(
            f"the backup is at revisions {', '.join(header['revisions'])} but the "
            f"database is at {', '.join(revisions) or 'none'}; migrate the database "
            "to the backup's revisions, restore, then run flask db upgrade"
        )
    known = {table.name for table in SQLModel.metadata.sorted_tables}
    unknown = sorted(set(header["tables"]) - known)
    if unknown:
        raise BackupError(f"the backup has tables the app does not know: {unknown}")
    _check_empty(conn, force)


def _check_empty(conn, force):
    filled = {
        table.name: n
        for table in SQLModel.metadata.sorted_tables
        if (n := conn.execute(select(func.count()).select_from(table)).scalar())
    }
    if not filled:
        return
    if not force:
        responses = filled.get("response", 0)
        raise BackupError(
            f"the database is not empty ({responses} responses, "
            f"{sum(filled.values())} rows); restore into an empty database "
            "or pass --force to replace everything in it"
        )
    for table in reversed(SQLModel.metadata.sorted_tables):
        conn.execute(table.delete())
    log.warning(
        "Database emptied before restore: %s rows deleted", sum(filled.values())
    )


def _load_rows(conn, handle, header):
    tables = {table.name: table for table in SQLModel.metadata.sorted_tables}
    counts = dict.fromkeys(header["tables"], 0)
    batch, current = [], None
    for number, line in enumerate(handle, start=2):
        item = _parse_line(line, number)
        if item.get("end"):
            _flush(conn, current, batch)
            _check_counts(counts, item.get("rows"))
            return counts
        table = tables.get(item.get("table"))
        if table is None or table.name not in counts:
            raise BackupError(f"line {number}: unknown table {item.get('table')!r}")
        if table is not current:
            _flush(conn, current, batch)
            batch, current = [], table
        batch.append(_decode_row(table, item["row"], number))
        counts[table.name] += 1
        if len(batch) == BATCH:
            _flush(conn, current, batch)
            batch = []
    raise BackupError("the backup file is cut off: its end line is missing")


def _parse_line(line, number):
    try:
        item = json.loads(line)
    except ValueError:
        raise BackupError(f"line {number} is not JSON") from None
    if not isinstance(item, dict):
        raise BackupError(f"line {number} is not a JSON object")
    return item


def _flush(conn, table, batch):
    if table is None or not batch:
        return
    try:
        conn.execute(table.insert(), batch)
    except StatementError as exc:
        # The message would quote the rows, answers included; name the table only.
        reason = type(getattr(exc, "orig", exc)).__name__
        raise BackupError(
            f"the database refused rows of {table.name}: {reason}"
        ) from None


def _check_counts(counts, expected):
    if counts != expected:
        raise BackupError(f"row counts differ from the backup's end line: {counts}")


def _decode_row(table, row, number):
    unknown = set(row) - set(table.columns.keys())
    if unknown:
        raise BackupError(f"line {number}: columns unknown in {table.name}: {unknown}")
    return {name: _decode(table.columns[name], value) for name, value in row.items()}


def _decode(column, value):
    """Turn a JSON value back into what column stores."""
    stored = column.type
    if isinstance(stored, TypeDecorator):
        stored = stored.impl
    if value is None or isinstance(stored, JSON):
        return value
    try:
        kind = stored.python_type
    except NotImplementedError:
        return value
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is time:
        return time.fromisoformat(value)
    if kind is Decimal:
        return Decimal(value)
    if kind is bytes:
        return base64.b64decode(value)
    return value


def _reset_sequences(conn):
    """Move each PostgreSQL id sequence past the restored ids."""
    quote = conn.dialect.identifier_preparer.quote
    for table in SQLModel.metadata.sorted_tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            sequence = conn.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": quote(table.name), "column": column.name},
            ).scalar()
            if sequence is None:
                continue
            conn.execute(
                text(
                    f"SELECT setval(:sequence, COALESCE(MAX({quote(column.name)}), 0)"
                    f" + 1, false) FROM {quote(table.name)}"
                ),
                {"sequence": sequence},
            )


backup_cli = AppGroup("backup", help="Back up and restore the whole database.")


@backup_cli.command("create")
@click.option("--output", required=True, type=click.Path(dir_okay=False))
def create_command(output):
    """Write every table to OUTPUT as gzip'd JSON Lines."""
    try:
        counts = create_backup(get_engine(), output)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    with session_scope() as session:
        audit.record(
            session, audit.CREATED_BACKUP, "database", None, rows=sum(counts.values())
        )
    click.echo(
        f"{sum(counts.values())} rows of {len(counts)} tables written to {output}"
    )


@backup_cli.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace all data already in the database.")
def restore_command(backup_file, force):
    """Load BACKUP_FILE into the configured, empty database.

    A database without tables is brought to the newest schema first.
    """
    try:
        counts = restore_backup(get_engine(), backup_file, force=force)
    except BackupError as exc:
        raise click.ClickException(f"{exc}; nothing was changed") from None
    with session_scope() as session:
        audit.record(
            session, audit.RESTORED_BACKUP, "database", None, rows=sum(counts.values())
        )
    click.echo(f"{sum(counts.values())} rows of {len(counts)} tables restored")
    click.echo(
        "Run flask --app app retention purge to apply retention since the backup."
    )
