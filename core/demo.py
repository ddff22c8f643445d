"""The demo: the real plan, built-in templates, demo launches and answers."""

import csv
import hashlib
import logging
import uuid
from collections import defaultdict
from datetime import timedelta

from flask import current_app
from sqlmodel import func, select

from core import DATA_DIR, db
from core.models import Role, User, find_user, normalise_username, utcnow

log = logging.getLogger(__name__)

PLAN_PATH = DATA_DIR / "plans" / "yueqing-2022-2024.txt"
ANSWERS_PATH = DATA_DIR / "demo" / "answers.csv"
DEMO_NAMESPACE = uuid.UUID("6f1d1c52-8a39-4a7e-9a55-2f0d5c1b7e10")
DEMO_PASSWORD = "tongsheng-demo"
DEMO_USERS = [
    ("admin", Role.ADMIN, "管理员", None, None),
    ("staff", Role.STAFF, "市妇儿工委办", None, None),
    ("facilitator", Role.FACILITATOR, "乐成街道辅导员", "lecheng", None),
    ("department", Role.DEPARTMENT, "市教育局", None, "市教育局"),
    ("safeguarding", Role.SAFEGUARDING, "儿童保护专员", None, None),
]
LIVE_LAUNCH = ("needs", "9-11", "lecheng")
#: the demo's answers are dated over this many days before it is loaded
SPREAD_DAYS = 180


def run():
    """Load everything the demo needs into the configured database, once."""
    from analysis import operations as analysis_ops
    from participation import councils_demo
    from participation import operations as plan_ops
    from participation.plan import read_plan
    from surveys import operations as survey_ops

    db.upgrade(current_app.config["DATABASE_URL"])
    logging.getLogger().setLevel(logging.WARNING)
    with db.session_scope() as session:
        plan_ops.load_townships(session)
        plan_ops.import_plan(session, read_plan(PLAN_PATH))
        survey_ops.load_templates(session)
        _users(session)
        stored = _answers(session)
        live = _launch(session, *LIVE_LAUNCH, code=_code(LIVE_LAUNCH, "live"))
        analysis_ops.process_answers(session, _unprocessed(session))
        screened = _screened(session)
        councils_demo.load(session)
        return {
            "stored": stored,
            "screened": screened,
            "live_code": live.code,
            "report_code": _largest_launch(session),
            "counts": row_counts(session),
        }


def describe(summary, host):
    """Return the lines the demo command prints."""
    lines = [
        f"Demo ready: {summary['stored']} new responses stored, "
        f"{summary['screened']} open answers screened and themed in all.",
        "Rows: " + ", ".join(f"{k}={v}" for k, v in summary["counts"].items()),
        "",
        "Run the site:  flask --app app run   then open these pages",
        f"  sign in            {host}/login",
        f"  policy record      {host}/plan",
        f"  theme report       {host}/reports/launches/{summary['report_code']}",
        f"  launches           {host}/launches",
        f"  kiosk (a child)    {host}/k/{summary['live_code']}",
        f"  councils           {host}/councils",
        f"  plan figures       {host}/councils/dashboard",
        f"  你说，我们做        {host}/feedback/lecheng",
        f"  safeguarding       {host}/safeguarding",
        f"  survey editor      {host}/surveys/",
        "",
        f"Demo logins (password {DEMO_PASSWORD} for each):",
    ]
    lines += [f"  {name:<13} {role.value}" for name, role, *_ in DEMO_USERS]
    lines.append("  facilitator2  facilitator (柳市镇)")
    return lines


def row_counts(session):
    """Return row counts of the main tables, to show a rerun adds nothing."""
    from analysis.models import AnswerTask, AnswerTheme
    from participation import councils as c
    from participation.models import Task
    from surveys.models import Answer, Launch, Response, Survey

    tables = {
        "tasks": Task,
        "surveys": Survey,
        "launches": Launch,
        "responses": Response,
        "answers": Answer,
        "themes": AnswerTheme,
        "task_links": AnswerTask,
        "users": User,
        "councils": c.Council,
        "council_facilitators": c.CouncilFacilitator,
        "council_members": c.CouncilMember,
        "consents": c.Consent,
        "activities": c.Activity,
        "agenda_items": c.AgendaItem,
        "speaking_turns": c.SpeakingTurn,
        "votes": c.Vote,
        "ballots": c.Ballot,
        "proposals": c.Proposal,
        "proposal_notes": c.ProposalNote,
    }
    return {
        name: session.exec(select(func.count()).select_from(model)).one()
        for name, model in tables.items()
    }


def _users(session):
    for username, role, name, township, department in DEMO_USERS:
        if find_user(session, username) is not None:
            continue
        user = User(
            username=normalise_username(username),
            display_name=name,
            role=role.value,
            township_code=township,
            department=department,
        )
        user.set_password(DEMO_PASSWORD)
        session.add(user)
        log.info("Demo user %s created", username)
    session.commit()


def _code(key, salt):
    from surveys.operations import CODE_ALPHABET

    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in digest[:6])


def _launch(session, survey_key, band, township, code):
    from surveys import operations as survey_ops
    from surveys.models import Launch, Survey

    launch = session.exec(select(Launch).where(Launch.code == code)).first()
    if launch is not None:
        return launch
    survey = session.exec(select(Survey).where(Survey.key == survey_key)).one()
    return survey_ops.create_launch(session, survey, band, township, code=code)


def _answers(session):
    """Submit the demo answers through the same path as the tablets."""
    from surveys import operations as survey_ops
    from surveys.models import Survey

    stored = 0
    for (survey_key, band, township), respondents in _read_answers().items():
        key = (survey_key, band, township)
        launch = _launch(session, *key, code=_code(key, "demo"))
        spec = session.get(Survey, launch.survey_id).spec
        multi = {q["key"] for q in spec["questions"] if q["type"] == "multi"}
        for respondent, child in respondents.items():
            payload = {
                "id": str(uuid.uuid5(DEMO_NAMESPACE, respondent)),
                "answers": {
                    k: v.split("|") if k in multi else v
                    for k, v in child["answers"].items()
                },
                "gender": child["gender"],
            }
            status, response = survey_ops.submit_response(session, launch, payload)
            if status == "stored":
                _backdate(session, response, respondent)
                stored += 1
    return stored


def _backdate(session, response, respondent: str):
    """Spread the demo's answers over the last half year, so that the reports
    by month have something to show; each respondent has a day of its own."""
    days = int(hashlib.sha256(respondent.encode()).hexdigest(), 16) % SPREAD_DAYS
    response.submitted_at = utcnow() - timedelta(days=days)
    session.add(response)
    session.commit()


def _read_answers():
    grouped = defaultdict(lambda: defaultdict(lambda: {"gender": None, "answers": {}}))
    with open(ANSWERS_PATH, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["survey"], row["band"], row["township"])
            child = grouped[key][row["respondent"]]
            child["answers"][row["question"]] = row["answer"]
            child["gender"] = row["gender"] or None
    return grouped


def _screened(session):
    from surveys.models import Answer

    return session.exec(
        select(func.count()).select_from(Answer).where(Answer.masked.is_not(None))
    ).one()


def _unprocessed(session):
    from surveys.models import Answer

    return session.exec(
        select(Answer).where(Answer.text.is_not(None), Answer.masked.is_(None))
    ).all()


def _largest_launch(session):
    from surveys.models import Launch, Response

    row = session.exec(
        select(Launch.code, func.count(Response.id))
        .join(Response, Response.launch_id == Launch.id)
        .group_by(Launch.code)
        .order_by(func.count(Response.id).desc(), Launch.code)
    ).first()
    return row[0] if row else None
