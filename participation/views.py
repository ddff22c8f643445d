"""The policy record: the plan's domains and tasks with the children's evidence."""

from flask import Blueprint, abort, render_template
from sqlmodel import select

from analysis import evidence, reports
from core.audit import VIEWED_ANSWERS, audited
from core.auth import roles_required
from core.db import get_session
from participation.models import Domain, Target, Task, TaskUnit, Township

bp = Blueprint("participation", __name__)


@bp.route("/plan")
@roles_required("staff", "department")
def plan():
    """Show the six domains and 32 tasks with units, targets and answer counts."""
    session = get_session()
    domains = session.exec(select(Domain).order_by(Domain.number)).all()
    tasks = session.exec(select(Task).order_by(Task.number)).all()
    return render_template(
        "participation/plan.html",
        domains=domains,
        tasks_by_domain={
            d.id: [t for t in tasks if t.domain_id == d.id] for d in domains
        },
        units=_units(session),
        targets=_targets(session),
        counts=evidence.task_answer_counts(session),
    )


@bp.route("/plan/tasks/<int:number>")
@roles_required("staff", "department")
@audited(VIEWED_ANSWERS, "task", "number", page="task quotes")
def task(number):
    """Show one task, its units and targets, and the themes and answers behind it."""
    session = get_session()
    found = session.exec(select(Task).where(Task.number == number)).first() or abort(
        404
    )
    townships = {t.code: t.name for t in session.exec(select(Township))}
    return render_template(
        "participation/task.html",
        task=found,
        domain=session.get(Domain, found.domain_id),
        units=_units(session, found.id).get(found.id, {}),
        targets=_targets(session, found.id).get(found.id, []),
        evidence=evidence.task_evidence(
            session, number, published=reports.load_published(session)
        ),
        townships=townships,
    )


def _units(session, task_id=None):
    query = select(TaskUnit).order_by(
        TaskUnit.task_id, TaskUnit.role, TaskUnit.position
    )
    if task_id is not None:
        query = query.where(TaskUnit.task_id == task_id)
    units = {}
    for unit in session.exec(query):
        units.setdefault(unit.task_id, {"lead": [], "partner": []})[unit.role].append(
            unit.name
        )
    return units


def _targets(session, task_id=None):
    query = select(Target).order_by(Target.task_id, Target.position)
    if task_id is not None:
        query = query.where(Target.task_id == task_id)
    targets = {}
    for target in session.exec(query):
        targets.setdefault(target.task_id, []).append(target)
    return targets
