"""Admin pages: accounts and roles, each change audited; deletion on request."""

import uuid

import pytest
from sqlmodel import SQLModel, select

from core import audit
from core.audit import AuditEvent, DeletionRecord
from core.models import User
from surveys import operations as survey_ops
from surveys.models import Answer, Response
from tests.conftest import PASSWORD

ADMIN_PAGES = ["/admin/audit", "/admin/users", "/admin/deletions"]


def _events(session, action=None):
    session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return session.exec(query).all()


def _user(session, username):
    session.expire_all()
    return session.exec(select(User).where(User.username == username)).first()


def _new_account(**fields):
    return {
        "username": "wang",
        "display_name": "王老师",
        "role": "facilitator",
        "township": "lecheng",
        "department": "",
        "password": PASSWORD,
        **fields,
    }


def _edit(user, **fields):
    data = {
        "role": user.role,
        "township": user.township_code or "",
        "department": user.department or "",
        "active": "y" if user.active else "",
        **fields,
    }
    return {k: v for k, v in data.items() if v != ""}


@pytest.mark.parametrize("role", ["facilitator", "staff", "department", "safeguarding"])
@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_refuse_other_roles(client, login, role, page):
    login(role)

    assert client.get(page).status_code == 403
    assert client.post(page, data={}).status_code in (403, 405)


def test_nav_shows_admin_link_to_admins_only(client, login):
    login("staff")
    assert "/admin/audit" not in client.get("/").get_data(as_text=True)
    client.post("/logout")

    login("admin")

    assert "/admin/audit" in client.get("/").get_data(as_text=True)


def test_admin_creates_an_account_that_can_sign_in(client, session, login, seeded):
    admin = login("admin")

    response = client.post("/admin/users", data=_new_account())

    assert response.status_code == 302
    created = _user(session, "wang")
    assert (created.role, created.township_code) == ("facilitator", "lecheng")
    assert PASSWORD not in created.password_hash
    event = _events(session, audit.CREATED_USER)[0]
    assert (event.user_id, event.object_id) == (admin.id, str(created.id))
    assert event.detail == {"role": "facilitator", "township": "lecheng"}
    client.post("/logout")
    signed_in = client.post("/login", data={"username": "wang", "password": PASSWORD})
    assert signed_in.status_code == 302


@pytest.mark.parametrize(
    "fields",
    [
        {"password": "short"},
        {"role": "superuser"},
        {"township": "atlantis"},
        {"username": ""},
        {"username": "x" * 65},
    ],
)
def test_bad_account_is_refused(client, session, login, seeded, fields):
    login("admin")
    before = len(_events(session))

    response = client.post("/admin/users", data=_new_account(**fields))

    assert response.status_code == 200
    assert _user(session, fields.get("username", "wang")) is None
    assert len(_events(session)) == before


def test_taken_username_is_refused(client, session, login, seeded, make_user):
    make_user("staff", username="wang")
    login("admin")

    response = client.post("/admin/users", data=_new_account())

    assert "已经有人用了" in response.get_data(as_text=True)
    assert _events(session, audit.CREATED_USER) == []


def test_each_change_is_audited(client, session, login, seeded, make_user):
    admin = login("admin")
    target = make_user("staff", township_code=None)

    response = client.post(
        f"/admin/users/{target.id}",
        data=_edit(
            target, role="department", township="hongqiao", department="市教育局"
        ),
    )

    assert response.status_code == 302
    changed = _user(session, target.username)
    assert (changed.role, changed.township_code, changed.department) == (
        "department",
        "hongqiao",
        "市教育局",
    )
    events = [(e.action, e.user_id, e.object_id, e.detail) for e in _events(session)]
    assert events == [
        (
            "changed role",
            admin.id,
            str(target.id),
            {"before": "staff", "after": "department"},
        ),
        (
            "changed township",
            admin.id,
            str(target.id),
            {"before": None, "after": "hongqiao"},
        ),
        (
            "changed department",
            admin.id,
            str(target.id),
            {"before": None, "after": "市教育局"},
        ),
    ]


def test_saving_unchanged_records_nothing(client, session, login, make_user):
    login("admin")
    target = make_user("staff")

    client.post(f"/admin/users/{target.id}", data=_edit(target))

    assert _events(session) == []


def test_deactivated_account_cannot_sign_in(client, session, login, make_user):
    login("admin")
    target = make_user("staff")

    client.post(f"/admin/users/{target.id}", data=_edit(target, active=""))
    client.post("/logout")
    refused = client.post(
        "/login", data={"username": target.username, "password": PASSWORD}
    )

    assert refused.status_code == 401
    assert [e.action for e in _events(session)] == [audit.DEACTIVATED_USER]
    assert _user(session, target.username).active is False


@pytest.mark.parametrize("fields", [{"role": "staff"}, {"active": ""}])
def test_admin_cannot_lock_themselves_out(client, session, login, fields):
    admin = login("admin")

    response = client.post(f"/admin/users/{admin.id}", data=_edit(admin, **fields))

    assert "不能取消自己的管理员权限" in response.get_data(as_text=True)
    me = _user(session, admin.username)
    assert (me.role, me.active) == ("admin", True)
    assert _events(session) == []


def test_editing_a_missing_account_is_not_found(client, login):
    login("admin")

    assert client.get("/admin/users/9999").status_code == 404


@pytest.fixture
def response_id(session, make_launch):
    launch = make_launch()
    payload = {
        "id": str(uuid.uuid4()),
        "answers": {"safe_way": "safe", "wish": "希望学校门口有红绿灯"},
    }
    survey_ops.submit_response(session, launch, payload)
    return payload["id"]


def _snapshot(session):
    session.expire_all()
    return {
        table.name: session.exec(select(table)).all()
        for table in SQLModel.metadata.sorted_tables
        if table.name != "user"
    }


def test_admin_deletes_a_response_on_request(client, session, login, response_id):
    admin = login("admin")

    response = client.post(
        "/admin/deletions",
        data={"response_id": response_id, "reason": "监护人撤回同意", "confirm": "y"},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert "已删除回答" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Response, response_id) is None
    assert session.exec(select(Answer)).all() == []
    record = session.exec(select(DeletionRecord)).one()
    assert (record.kind, record.object_id, record.count) == ("request", response_id, 2)
    assert (record.by, record.by_user_id) == ("user", admin.id)
    assert _events(session, audit.DELETED_RESPONSE)[0].user_id == admin.id
    assert response_id in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"response_id": str(uuid.uuid4()), "reason": "请求", "confirm": "y"}, 404),
        ({"response_id": "nonsense", "reason": "请求", "confirm": "y"}, 404),
        ({"response_id": "RESPONSE", "reason": "请求"}, 200),
        ({"response_id": "RESPONSE", "reason": "", "confirm": "y"}, 200),
    ],
)
def test_refused_deletion_changes_nothing(
    client, session, login, response_id, data, status
):
    login("admin")
    data = {k: response_id if v == "RESPONSE" else v for k, v in data.items()}
    before = _snapshot(session)

    response = client.post("/admin/deletions", data=data)

    assert response.status_code == status
    assert _snapshot(session) == before
    if status == 404:
        assert "什么也没有删除" in response.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["ＳＴＡＦＦ", "Staff", " staff ", "ｓｔａｆｆ"])
def test_name_that_reads_as_a_taken_one_is_refused(
    client, session, login, seeded, make_user, typed
):
    make_user("staff", username="staff")
    login("admin")

    response = client.post("/admin/users", data=_new_account(username=typed))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已经有人用了" in html and "和账号 staff 相同" in html
    assert session.exec(select(User).where(User.username == typed)).first() is None
    assert len(session.exec(select(User).where(User.role == "staff")).all()) == 1
    assert _events(session, audit.CREATED_USER) == []


def test_name_taken_by_an_account_saved_before_normalising_is_refused(
    client, session, login, seeded, make_user
):
    make_user("staff", username="Wang")
    login("admin")

    response = client.post("/admin/users", data=_new_account(username="wang"))

    assert "和账号 Wang 相同" in response.get_data(as_text=True)
    assert _user(session, "wang") is None


def test_new_account_name_is_stored_normalised(client, session, login, seeded):
    login("admin")

    response = client.post("/admin/users", data=_new_account(username=" Ｗang "))

    assert response.status_code == 302
    created = _user(session, "wang")
    assert created is not None and created.display_name == "王老师"
    client.post("/logout")
    signed_in = client.post("/login", data={"username": "WANG", "password": PASSWORD})
    assert signed_in.status_code == 302


def _create_command(runner, username):
    return runner.invoke(
        args=["users", "create", username, "--role", "staff"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )


def test_create_command_stores_the_normalised_name(runner, session):
    result = _create_command(runner, " Li.Ming ")

    assert result.exit_code == 0, result.output
    assert _user(session, "li.ming") is not None


def test_create_command_refuses_a_name_that_reads_as_a_taken_one(
    runner, session, make_user
):
    make_user("staff", username="staff")

    result = _create_command(runner, "ＳＴＡＦＦ")

    assert result.exit_code != 0
    assert "exists already as 'staff'" in result.output
    assert len(session.exec(select(User)).all()) == 1
