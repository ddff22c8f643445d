"""The plan's participation figures: status command, dashboard, evaluation pack."""

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from participation import council_ops, proposal_ops, status
from participation.council_ops import local_today
from participation.models import Target, Task, Township
from tests.conftest import PASSWORD

YEAR = local_today().year
ELEMENTS = {
    "space": "围坐开会",
    "voice": "看了问卷结果",
    "audience": "分管领导到场",
    "influence": "部门答复已公示",
}


def _council(session, code, start, end, facilitator):
    return council_ops.create_council(
        session,
        {
            "township_code": code,
            "name": f"{code} 议事会",
            "term_start": start,
            "term_end": end,
        },
        [facilitator.id],
    )


def _activity(session, council, kind, held_on, answered=True):
    elements = {k: v for k, v in ELEMENTS.items() if answered or k != "influence"}
    return council_ops.create_activity(
        session,
        council,
        {"kind": kind, "title": f"{kind} 活动", "held_on": held_on, **elements},
    )


@pytest.fixture
def record(seeded, session, make_user):
    """This year: one council, 1 training, 3 activities, 2 charity, 1 session."""
    facilitator = make_user("facilitator")
    this_year = date(YEAR, 1, 1)
    lecheng = _council(
        session, "lecheng", this_year, date(YEAR + 1, 8, 31), facilitator
    )
    _council(
        session, "liushi", date(YEAR - 2, 9, 1), date(YEAR - 1, 8, 31), facilitator
    )
    day = min(local_today(), date(YEAR, 6, 1))
    for kind in ("training", "participation", "participation", "charity", "charity"):
        _activity(session, lecheng, kind, day)
    _activity(session, lecheng, "participation", day, answered=False)
    session_row = _activity(session, lecheng, "session", day)
    _activity(session, lecheng, "training", date(YEAR - 1, 5, 1))
    words = {"problem": "问", "reason": "因", "solution": "办", "supporters": 1}
    late = proposal_ops.capture(
        session, lecheng, {**words, "title": "晚了"}, session_row
    )
    proposal_ops.route(session, late, "市教育局", local_today())
    late.due_on = local_today() - timedelta(days=3)
    session.add(late)
    session.commit()
    proposal_ops.capture(session, lecheng, {**words, "title": "刚提"}, session_row)
    return {"late": late}


def _lines(runner, *args):
    result = runner.invoke(args=["participation", "status", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_status_prints_the_years_figures(runner, session, record):
    townships = session.exec(select(func.count()).select_from(Township)).one()

    lines = _lines(runner)

    assert lines[0] == f"year: {YEAR}"
    assert f"townships covered: 1/{townships}" in lines
    for line in (
        "sessions: 1",
        "trainings: 1",
        "activities: 3",
        "charity projects: 2",
        "proposals raised: 1",
        "proposals drafting: 1",
        "proposals decided: 0",
        "proposals overdue: 1",
        "activities where children were heard: 7/7",
        "activities where children were also answered: 6/7",
        "target (task 3) 儿童参与专题培训 ≥1次 每年: 1 met",
        "target (task 3) 儿童参与主题活动 ≥3场 每年: 3 met",
        "target (task 4) 儿童公益慈善项目 ≥2个 每年: 2 met",
    ):
        assert line in lines


def test_status_for_another_year_and_one_township(runner, record):
    last_year = _lines(runner, "--year", str(YEAR - 1))
    liushi = _lines(runner, "--township", "liushi")

    assert "trainings: 1" in last_year and "activities: 0" in last_year
    assert "townships covered: 0/1" in liushi and "trainings: 0" in liushi


def test_unknown_township_is_an_error(runner, record):
    result = runner.invoke(args=["participation", "status", "--township", "atlantis"])

    assert result.exit_code != 0
    assert "no township with code 'atlantis'" in result.output


def test_targets_come_from_the_policy_record(runner, session, record):
    target = session.exec(
        select(Target)
        .join(Task, Task.id == Target.task_id)
        .where(Task.number == 3, Target.what.contains("主题活动"))
    ).one()
    target.amount = "5"
    session.add(target)
    session.commit()

    lines = _lines(runner)

    assert "target (task 3) 儿童参与主题活动 ≥5场 每年: 3 not met" in lines


def test_coverage_target_is_in_progress_before_its_year(session, record):
    found = next(f for f in status.targets(session) if f["figure"] == "coverage")
    fig = status.figures(session, found["target"].by_year - 1)

    checked = status.assess(found, fig)

    assert checked["state"] == "in progress"


def test_dashboard_flags_overdue_proposals(client, session, make_user, record):
    staff = make_user("staff")
    client.post("/login", data={"username": staff.username, "password": PASSWORD})

    page = client.get("/councils/dashboard").get_data(as_text=True)

    assert 'class="overdue"><td><a href="/proposals/' in page
    assert "晚了" in page and "逾期" in page
    assert "刚提" in page
    assert "儿童参与专题培训 ≥1次 每年" in page


def test_pack_as_page_and_workbook(client, session, make_user, record):
    staff = make_user("staff")
    client.post("/login", data={"username": staff.username, "password": PASSWORD})

    page = client.get(f"/councils/pack?year={YEAR}&township=lecheng").get_data(
        as_text=True
    )
    download = client.get(f"/councils/pack.xlsx?year={YEAR}&township=lecheng")
    book = load_workbook(io.BytesIO(download.data))

    assert "乐成街道" in page and "晚了" in page
    assert page.count('<td class="mark">否</td>') == 1
    assert book.sheetnames == ["概况", "乡镇", "活动", "建议"]
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(values_only=True)}
    assert summary["乡镇（街道）有议事会"] == "1/1"
    assert summary["儿童参与专题培训"] == 1
    assert summary["建议 · 逾期未答复"] == 1
    assert book["活动"].max_row == 8
    assert book["建议"].max_row == 3


def test_pack_refuses_unknown_township_and_bad_year(client, make_user, record):
    staff = make_user("staff")
    client.post("/login", data={"username": staff.username, "password": PASSWORD})

    assert client.get("/councils/pack?township=atlantis").status_code == 404
    assert client.get("/councils/pack?year=abc").status_code == 400
