"""The audit log: who viewed or exported answers, and the admin page listing it."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from core import audit
from core.audit import AuditEvent
from tests.conftest import PASSWORD

WISH = "希望学校门口有红绿灯，放学过马路更安全"


def _events(session, action=None):
    session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return session.exec(query).all()


def _post_answers(client, launch, count):
    for n in range(count):
        answers = {"safe_way": "safe", "wish": f"{WISH}{n}"}
        payload = {"id": str(uuid.uuid4()), "answers": answers}
        response = client.post(f"/k/{launch.code}/responses", json=payload)
        assert response.status_code == 201, response.json


def test_record_stores_who_what_and_ids(app, session, make_user):
    user = make_user("staff")

    with app.test_request_context():
        audit.record(session, audit.CHANGED_CODEBOOK, "codebook", "v7", user_id=user.id)
    session.commit()

    event = _events(session)[0]
    assert (event.user_id, event.action) == (user.id, "changed codebook")
    assert (event.object_type, event.object_id) == ("codebook", "v7")
    assert event.at.tzinfo is not None
    assert event.detail == {}


def test_record_outside_a_request_says_command(app, session):
    with app.app_context():
        audit.record(session, audit.EXPORTED_ANSWERS, "launch", 3, responses=12)
    session.commit()

    event = _events(session)[0]
    assert event.user_id is None
    assert event.object_id == "3"
    assert event.detail == {"responses": 12, "via": "command"}


@pytest.mark.parametrize(
    "detail",
    [
        {"text": "我想要一个公园"},
        {"name": "张小明"},
        {"answers": ["我想要一个公园"]},
        {"note": "长" * 201},
        {"ids": list(range(1001))},
        {"blob": b"bytes"},
        {"nested": {"a": 1}},
    ],
)
def test_record_refuses_personal_or_unbounded_detail(app, session, detail):
    with app.app_context(), pytest.raises((ValueError, TypeError)):
        audit.record(session, audit.VIEWED_ANSWERS, "launch", "ABC123", **detail)


def test_counts_under_personal_sounding_keys_are_fine(app, session):
    with app.app_context():
        audit.record(session, audit.DELETED_RESPONSE, "response", "x", answers=3)
    session.commit()

    assert _events(session)[0].detail["answers"] == 3


def test_theme_report_and_cloud_views_are_logged(client, session, login, make_launch):
    launch = make_launch()
    _post_answers(client, launch, 10)
    staff = login("staff")

    report = client.get(f"/reports/launches/{launch.code.lower()}")
    cloud = client.get(f"/reports/launches/{launch.code}/cloud.png")

    assert report.status_code == 200 and cloud.status_code == 200
    events = _events(session, audit.VIEWED_ANSWERS)
    assert [(e.user_id, e.object_type, e.detail["page"]) for e in events] == [
        (staff.id, "launch", "theme report"),
        (staff.id, "launch", "word cloud"),
    ]
    assert {e.object_id.upper() for e in events} == {launch.code}
    assert WISH not in str([e.detail for e in events])


def test_failed_or_refused_views_are_not_logged(client, session, login, make_launch):
    launch = make_launch()
    login("facilitator")
    refused = client.get(f"/reports/launches/{launch.code}")
    client.post("/logout")
    login("staff")

    missing = client.get("/reports/launches/NOSUCH")
    too_few = client.get(f"/reports/launches/{launch.code}/cloud.png")

    assert (refused.status_code, missing.status_code, too_few.status_code) == (
        403,
        404,
        404,
    )
    assert _events(session, audit.VIEWED_ANSWERS) == []


def test_task_page_is_logged(client, session, login, seeded):
    department = login("department", department="市教育局")

    response = client.get("/plan/tasks/7")

    assert response.status_code == 200
    event = _events(session, audit.VIEWED_ANSWERS)[0]
    assert (event.user_id, event.object_type, event.object_id) == (
        department.id,
        "task",
        "7",
    )


def test_export_command_is_logged(runner, client, session, make_launch, tmp_path):
    launch = make_launch()
    _post_answers(client, launch, 2)

    result = runner.invoke(
        args=[
            "surveys",
            "export",
            "--launch",
            launch.code,
            "--output",
            tmp_path / "x.csv",
        ]
    )

    assert result.exit_code == 0, result.output
    event = _events(session, audit.EXPORTED_ANSWERS)[0]
    assert (event.object_type, event.object_id) == ("launch", launch.code)
    assert event.detail == {"responses": 2, "via": "command"}


def test_users_create_command_is_logged(runner, session):
    result = runner.invoke(
        args=["users", "create", "lin", "--role", "staff", "--name", "林老师"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    event = _events(session, audit.CREATED_USER)[0]
    assert event.object_type == "user"
    assert event.detail == {"role": "staff", "township": None, "via": "command"}
    assert "林老师" not in str(event.detail)


@pytest.mark.parametrize("role", ["facilitator", "staff", "department", "safeguarding"])
def test_audit_page_is_for_admins_only(client, login, role):
    login(role)

    assert client.get("/admin/audit").status_code == 403


def test_audit_page_needs_sign_in(client):
    response = client.get("/admin/audit")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.fixture
def logged(session, make_user):
    """Fill the log: 60 views by one user, 5 role changes by another, dated."""
    viewer, changer = make_user("staff"), make_user("admin")
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    for n in range(60):
        session.add(
            AuditEvent(
                at=start + timedelta(days=n % 3),
                user_id=viewer.id,
                action=audit.VIEWED_ANSWERS,
                object_type="launch",
                object_id=f"L{n}",
            )
        )
    for n in range(5):
        session.add(
            AuditEvent(
                at=start + timedelta(days=10),
                user_id=changer.id,
                action=audit.CHANGED_ROLE,
                object_type="user",
                object_id=str(n),
                detail={"before": "staff", "after": "department"},
            )
        )
    session.commit()
    return viewer, changer


def _rows_shown(response):
    return response.get_data(as_text=True).count("<tr>") - 1


def test_audit_page_pages_through_events(client, login, logged):
    login("admin")

    first = client.get("/admin/audit")
    second = client.get("/admin/audit?page=2")
    beyond = client.get("/admin/audit?page=99")

    assert first.status_code == 200
    assert _rows_shown(first) == 50
    assert _rows_shown(second) == 15
    assert "第 2 / 2 页" in beyond.get_data(as_text=True)
    assert "下一页" in first.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": audit.CHANGED_ROLE}, 5),
        ({"action": audit.VIEWED_ANSWERS, "since": "2026-03-02"}, 40),
        ({"since": "2026-03-02", "until": "2026-03-02"}, 20),
        ({"until": "2026-02-28"}, 0),
        ({"since": "not a date"}, 65),
        ({"user": "abc", "action": "no such action"}, 65),
        ({"user": "99999"}, 65),
    ],
)
def test_audit_page_filters(client, login, logged, query, expected):
    login("admin")

    response = client.get("/admin/audit", query_string={**query, "page": 1})

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f"共 {expected} 条" in body


def test_audit_page_filters_by_user(client, login, logged):
    viewer, changer = logged
    login("admin")

    by_viewer = client.get("/admin/audit", query_string={"user": viewer.id})
    by_changer = client.get("/admin/audit", query_string={"user": changer.id})

    assert "共 60 条" in by_viewer.get_data(as_text=True)
    body = by_changer.get_data(as_text=True)
    assert "共 5 条" in body
    assert "after=department；before=staff" in body


@pytest.fixture
def late_evening(session, make_user):
    """One event at 17:30:05 UTC on 1 March, 01:30:05 on 2 March in Beijing."""
    viewer = make_user("staff")
    at = datetime(2026, 3, 1, 17, 30, 5, tzinfo=UTC)
    session.add(
        AuditEvent(
            at=at,
            user_id=viewer.id,
            action=audit.VIEWED_ANSWERS,
            object_type="launch",
            object_id="L1",
        )
    )
    session.add(
        audit.DeletionRecord(
            at=at, kind="expiry", object_type="response", reason="到期", by="retention"
        )
    )
    session.commit()
    return at


@pytest.mark.parametrize("page", ["/admin/audit", "/admin/deletions"])
def test_admin_pages_show_beijing_time(client, login, late_evening, page):
    login("admin")

    body = client.get(page).get_data(as_text=True)

    assert "2026-03-02 01:30:05" in body
    assert "2026-03-01 17:30" not in body
    assert "北京时间" in body and "UTC" not in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"since": "2026-03-02", "until": "2026-03-02"}, 1),
        ({"until": "2026-03-01"}, 0),
        ({"since": "2026-03-02"}, 1),
    ],
)
def test_audit_dates_are_beijing_days(client, login, late_evening, query, expected):
    login("admin")

    response = client.get("/admin/audit", query_string=query)

    assert f"共 {expected} 条" in response.get_data(as_text=True)
