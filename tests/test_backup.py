"""Backups restore every row, on SQLite and across SQLite and PostgreSQL."""

import gzip
import json
import os
import shutil
import sqlite3
import stat
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import inspect
from sqlmodel import Session, SQLModel, func, select

from app import create_app
from core import audit, backup, db
from core.audit import AuditEvent
from core.db import make_engine
from core.models import User
from surveys.models import Answer, Response

POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
TEXTS = [
    "希望学校门口有红绿灯",
    '他说："别怕"，明天见😀',
    "第一行\n第二行\u2028第三行\t完",
    "爸爸喝酒以后打我",
    "=1+1 公式不该被执行",
]


def _post(client, launch, text, response_id=None):
    payload = {
        "id": response_id or str(uuid.uuid4()),
        "answers": {
            "safe_way": "unsafe",
            "way_worry": ["dark", "cars_fast"],
            "wish": text,
        },
    }
    return client.post(f"/k/{launch.code}/responses", json=payload), payload


@pytest.fixture
def filled(app, client, session, make_launch, make_user):
    """Fill every kind of row: launches, kiosk answers, flags, a refusal, logs."""
    first, second = make_launch(), make_launch("needs", "12-14", "hongqiao")
    for n, text in enumerate(TEXTS * 3):
        response, _ = _post(client, first if n % 2 else second, text)
        assert response.status_code == 201, response.json
    _, payload = _post(client, first, TEXTS[0])
    response, _ = _post(client, first, TEXTS[1], response_id=payload["id"])
    assert response.status_code == 409
    admin = make_user("admin", township_code="lecheng")
    with app.app_context():
        audit.record(session, audit.VIEWED_ANSWERS, "launch", first.code)
        audit.record_deletion(session, "request", "response", "x", 2, "请求", admin.id)
    session.commit()
    return app.config["DATABASE_URL"]


@pytest.fixture
def empty_url(migrated, tmp_path):
    """Return the URL of an empty, migrated SQLite database."""
    path = tmp_path / "empty.db"
    if POSTGRES:
        db.upgrade(f"sqlite:///{path}")
    else:
        shutil.copy(migrated, path)
    return f"sqlite:///{path}"


@contextmanager
def _engine(url):
    """Yield an engine on url, disposed afterwards."""
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _contents(url):
    """Return every row of every table, rows sorted by primary key."""
    with _engine(url) as engine, engine.connect() as conn:
        return {
            table.name: sorted(
                (dict(row) for row in conn.execute(select(table)).mappings()),
                key=lambda row, t=table: [str(row[c.name]) for c in t.primary_key],
            )
            for table in SQLModel.metadata.sorted_tables
        }


def _answers(url):
    with _engine(url) as engine, Session(engine) as session:
        return [
            a.model_dump() for a in session.exec(select(Answer).order_by(Answer.id))
        ]


def _round_trip(source_url, target_url, path, force=False):
    with _engine(source_url) as source, _engine(target_url) as target:
        written = backup.create_backup(source, path)
        restored = backup.restore_backup(target, path, force=force)
    return written, restored


def _insert_user(url):
    """Add a row after a restore, which fails if the id counter was not moved on."""
    with _engine(url) as engine, Session(engine) as session:
        user = User(username=f"new-{uuid.uuid4().hex[:6]}", display_name="n")
        user.role, user.password_hash = "staff", "x"
        session.add(user)
        session.commit()
        return user.id


def test_restore_finds_every_row_and_answer(filled, empty_url, tmp_path):
    before = _contents(filled)

    written, restored = _round_trip(filled, empty_url, tmp_path / "b.jsonl.gz")

    after = _contents(empty_url)
    assert written == restored == {name: len(rows) for name, rows in before.items()}
    assert after == before
    assert _answers(empty_url) == _answers(filled)
    assert {a["text"] for a in _answers(empty_url)} >= set(TEXTS)
    for table in ("response", "answer", "answertheme", "safeguardingflag"):
        assert restored[table] > 0, table
    assert restored["rejectedsubmission"] == 1
    assert _insert_user(empty_url) > max(u["id"] for u in before["user"])


def test_backup_is_private_gzip_json_lines(filled, tmp_path):
    path = tmp_path / "b.jsonl.gz"

    with _engine(filled) as engine:
        backup.create_backup(engine, path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    header, end = json.loads(lines[0]), json.loads(lines[-2])
    assert header["format"] == "tongsheng-backup"
    assert header["revisions"] and header["tables"][0] != "answer"
    assert header["tables"].index("response") < header["tables"].index("answer")
    assert end["rows"]["answer"] == len(_answers(filled))
    assert lines[-1] == ""
    assert not (tmp_path / "b.jsonl.gz.partial").exists()


def test_restore_refuses_a_database_with_responses(filled, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    with _engine(filled) as engine:
        backup.create_backup(engine, path)
    before = _contents(filled)

    with (
        _engine(filled) as engine,
        pytest.raises(backup.BackupError, match=f"{len(before['response'])} resp"),
    ):
        backup.restore_backup(engine, path)

    assert _contents(filled) == before


def test_forced_restore_replaces_everything(filled, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    with _engine(filled) as engine:
        backup.create_backup(engine, path)
    before = _contents(filled)
    _insert_user(filled)

    with _engine(filled) as engine:
        backup.restore_backup(engine, path, force=True)

    assert _contents(filled) == before


def _rewrite(path, change):
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = handle.read().split("\n")[:-1]
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("".join(f"{line}\n" for line in change(lines)))


def _with_header(**fields):
    def change(lines):
        return [json.dumps({**json.loads(lines[0]), **fields}), *lines[1:]]

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda lines: lines[:-1], "cut off"),
        (lambda lines: lines[:-5] + lines[-1:], "row counts differ"),
        (_with_header(revisions=["0001"]), "revisions"),
        (_with_header(format="other"), "not a Tongsheng backup"),
        (_with_header(version=9), "version 9"),
        (lambda lines: [*lines[:3], "{not json", *lines[3:]], "line 4 is not JSON"),
        (
            lambda lines: [*lines[:-1], '{"table": "nosuch", "row": {}}', lines[-1]],
            "unknown table",
        ),
    ],
)
def test_damaged_backup_is_refused_and_changes_nothing(
    filled, empty_url, tmp_path, change, message
):
    path = tmp_path / "b.jsonl.gz"
    with _engine(filled) as engine:
        backup.create_backup(engine, path)
    _rewrite(path, change)

    with _engine(empty_url) as target, pytest.raises(backup.BackupError, match=message):
        backup.restore_backup(target, path)

    assert all(rows == [] for rows in _contents(empty_url).values())


@pytest.mark.parametrize(
    "content", [b"", b"plain text, not gzip", gzip.compress(b"[]")]
)
def test_other_files_are_refused(empty_url, tmp_path, content):
    path = tmp_path / "other.gz"
    path.write_bytes(content)

    with _engine(empty_url) as target, pytest.raises(backup.BackupError):
        backup.restore_backup(target, path)


def test_commands_back_up_and_restore(filled, empty_url, runner, session, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    answers = _answers(filled)

    created = runner.invoke(args=["backup", "create", "--output", str(path)])
    refused = runner.invoke(args=["backup", "restore", str(path)])
    target = create_app({"TESTING": True, "DATABASE_URL": empty_url})
    restored = target.test_cli_runner().invoke(args=["backup", "restore", str(path)])
    target.extensions["db_engine"].dispose()

    assert created.exit_code == 0, created.output
    assert "written to" in created.output
    assert refused.exit_code != 0
    assert "not empty" in refused.output and "nothing was changed" in refused.output
    assert restored.exit_code == 0, restored.output
    assert "retention purge" in restored.output
    assert _answers(empty_url) == answers
    actions = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-1] == audit.CREATED_BACKUP


def test_demo_survives_a_round_trip(runner, session, empty_url, tmp_path):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    source = runner.app.config["DATABASE_URL"]
    responses = session.exec(select(func.count()).select_from(Response)).one()

    _round_trip(source, empty_url, tmp_path / "demo.jsonl.gz")

    assert responses >= 300
    assert _contents(empty_url) == _contents(source)


@pytest.mark.skipif(not POSTGRES, reason="TEST_DATABASE_URL is not PostgreSQL")
def test_postgresql_and_sqlite_restore_into_each_other(filled, empty_url, tmp_path):
    original = _contents(filled)

    _round_trip(filled, empty_url, tmp_path / "from-pg.jsonl.gz")
    assert _contents(empty_url) == original
    _round_trip(empty_url, filled, tmp_path / "from-sqlite.jsonl.gz", force=True)

    assert _contents(filled) == original
    assert _answers(filled) == _answers(empty_url)
    assert _insert_user(filled) > max(u["id"] for u in original["user"])


def _table_names(url):
    with _engine(url) as engine, engine.connect() as conn:
        return set(inspect(conn).get_table_names())


@pytest.mark.parametrize("blank", ["missing file", "file without tables"])
def test_restore_creates_the_schema_in_a_blank_database(
    filled, runner, tmp_path, blank
):
    path = tmp_path / "b.jsonl.gz"
    answers = _answers(filled)
    created = runner.invoke(args=["backup", "create", "--output", str(path)])
    target_file = tmp_path / "new" / "fresh.db"
    target_url = f"sqlite:///{target_file}"
    if blank == "file without tables":
        target_file.parent.mkdir()
        sqlite3.connect(target_file).close()
        assert _table_names(target_url) == set()
    else:
        assert not target_file.parent.exists()

    target = create_app({"TESTING": True, "DATABASE_URL": target_url})
    restored = target.test_cli_runner().invoke(args=["backup", "restore", str(path)])
    target.extensions["db_engine"].dispose()

    assert created.exit_code == 0, created.output
    assert restored.exit_code == 0, restored.output
    assert _answers(target_url) == answers
    assert _contents(target_url)["user"] == _contents(filled)["user"]
    with _engine(target_url) as engine, engine.connect() as conn:
        assert backup._revisions(conn) == backup._newest_revisions(target_url)
    with _engine(target_url) as engine, Session(engine) as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert audit.RESTORED_BACKUP in actions


def test_restore_into_a_blank_database_refuses_an_older_backup(filled, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    with _engine(filled) as engine:
        backup.create_backup(engine, path)
    _rewrite(path, _with_header(revisions=["0001"]))
    target_url = f"sqlite:///{tmp_path / 'fresh.db'}"

    with _engine(target_url) as target, pytest.raises(backup.BackupError, match="0001"):
        backup.restore_backup(target, path)

    assert _table_names(target_url) == set()
