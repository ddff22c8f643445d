"""From a facilitator's launch and a child's tap to the staff's policy record."""

import re
import uuid

from sqlmodel import func, select

from analysis.models import AnswerTask
from surveys.models import Response, Survey
from surveys.templates import questions_for

ROAD = "放学的时候校门口的汽车开得飞快，我们都不敢过马路"
PARK = "小区旁边能不能建一个有秋千和沙坑的儿童乐园"


def _open_key(spec, band):
    return next(
        q["key"]
        for q in questions_for(spec, band)
        if q["type"] == "text" and not q["practice"] and not q["show_if"]
    )


def test_whole_path(app, client, session, seeded, make_user):
    from tests.conftest import PASSWORD

    facilitator = make_user("facilitator", township_code="lecheng")
    client.post("/login", data={"username": facilitator.username, "password": PASSWORD})
    created = client.post(
        "/launches/new", data={"survey": "needs", "band": "9-11", "township": "lecheng"}
    )
    code = re.search(r"/launches/([A-Z0-9]+)", created.headers["Location"]).group(1)
    assert code in client.get(f"/launches/{code}").get_data(as_text=True)
    client.post("/logout")

    tablet = app.test_client(use_cookies=False)
    spec = session.exec(select(Survey).where(Survey.key == "needs")).one().spec
    key = _open_key(spec, "9-11")
    posts = [
        {"id": str(uuid.uuid4()), "answers": {key: ROAD}},
        {"id": str(uuid.uuid4()), "answers": {key: PARK}},
        {"id": str(uuid.uuid4()), "answers": {key: "我喜欢画画"}},
    ]
    statuses = [tablet.post(f"/k/{code}/responses", json=p).status_code for p in posts]
    resend = tablet.post(f"/k/{code}/responses", json=posts[0])

    assert statuses == [201, 201, 201]
    assert resend.status_code == 200
    assert session.exec(select(func.count()).select_from(Response)).one() == 3

    tasks = set(session.exec(select(AnswerTask.task_number)).all())
    assert 20 in tasks

    staff = make_user("staff")
    client.post("/login", data={"username": staff.username, "password": PASSWORD})
    plan_page = client.get("/plan").get_data(as_text=True)
    assert "改善儿童安全出行体验" in plan_page
    assert re.search(r'data-task="20">\s*&lt;10', plan_page)
    task_page = client.get("/plan/tasks/20").get_data(as_text=True)
    assert "改善儿童安全出行体验" in task_page
    assert "市公安局" in task_page or "牵头单位" in task_page
    assert "&lt;10 条回答" in task_page
