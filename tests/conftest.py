"""Fixtures: an app on a fresh database per test, clients, sign-in and factories.

Tests run on SQLite by default; set TEST_DATABASE_URL to a PostgreSQL URL
(postgresql+psycopg://…) to run the same tests there.
"""

import os
import shutil
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, SQLModel, select

from app import create_app
from core import DATA_DIR, db
from core.models import User

PASSWORD = "correct horse battery"
POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


@pytest.fixture(scope="session")
def migrated(tmp_path_factory):
    """Return a database URL migrated to the newest schema, once per run."""
    if POSTGRES:
        url = os.environ["TEST_DATABASE_URL"]
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        db.upgrade(url)
        return url

    path = tmp_path_factory.mktemp("template") / "template.db"
    db.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(migrated, tmp_path):
    """Return the URL of an empty, fully migrated database for one test."""
    if POSTGRES:
        engine = create_engine(migrated)
        names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return migrated

    path = tmp_path / "test.db"
    shutil.copy(migrated, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app(database_url, tmp_path):
    """Return the app configured for tests on a fresh database."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret",
            "SUBMISSIONS_INLINE": True,
        }
    )
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """Return a session on the test database, outside any request."""
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        yield session


@pytest.fixture
def make_user(session):
    """Return a factory that creates an account of a role."""

    def make(role, username=None, **fields):
        user = User(
            username=username or f"{role}-{uuid.uuid4().hex[:6]}",
            display_name=fields.pop("display_name", role),
            role=role,
            **fields,
        )
        user.set_password(PASSWORD)
        session.add(user)
        session.commit()
        return user

    return make


@pytest.fixture
def login(client, make_user):
    """Return a helper that signs the client in as a new user of a role."""

    def sign_in(role, **fields):
        user = make_user(role, **fields)
        response = client.post(
            "/login", data={"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return sign_in


@pytest.fixture
def seeded(session):
    """Load the townships, the real Yueqing plan and the built-in templates."""
    from participation import operations as plan_ops
    from participation.plan import read_plan
    from surveys import operations as survey_ops

    plan_ops.load_townships(session)
    plan_ops.import_plan(session, read_plan(DATA_DIR / "plans/yueqing-2022-2024.txt"))
    survey_ops.load_templates(session)
    return session


@pytest.fixture
def make_launch(seeded):
    """Return a factory that opens a built-in survey for a band and township."""
    from surveys import operations as survey_ops
    from surveys.models import Survey

    def make(key="needs", band="9-11", township="lecheng"):
        survey = seeded.exec(select(Survey).where(Survey.key == key)).one()
        return survey_ops.create_launch(seeded, survey, band, township)

    return make
