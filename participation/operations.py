"""Operations that change the policy record."""

import csv
import logging

from sqlmodel import Session, delete, select

from core import DATA_DIR
from participation.models import Domain, Target, Task, TaskUnit, Township

log = logging.getLogger(__name__)

TOWNSHIPS_CSV = DATA_DIR / "townships.csv"


def load_townships(session: Session, path=TOWNSHIPS_CSV) -> int:
    """Insert or update the townships listed in path; return how many changed."""
    changed = 0
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            township = session.get(Township, row["code"])
            if township and (township.name, township.kind) == (
                row["name"],
                row["kind"],
            ):
                continue
            township = township or Township(code=row["code"])
            township.name, township.kind = row["name"], row["kind"]
            session.add(township)
            changed += 1
    session.commit()
    if changed:
        log.info("%s townships loaded", changed)
    return changed


def import_plan(session: Session, plan) -> dict[str, int]:
    """Write a parsed plan into the policy record, updating in place."""
    counts = {"domains": 0, "tasks": 0, "units": 0, "targets": 0}
    for parsed_domain in plan.domains:
        domain = _upsert_domain(session, parsed_domain)
        counts["domains"] += 1
        for parsed_task in parsed_domain.tasks:
            task = _upsert_task(session, domain, parsed_task)
            counts["units"] += _replace_units(session, task, parsed_task)
            counts["targets"] += _replace_targets(session, task, parsed_task)
            counts["tasks"] += 1
    session.commit()
    log.info("Plan imported: %s domains, %s tasks", counts["domains"], counts["tasks"])
    return counts


def _upsert_domain(session, parsed):
    domain = session.exec(select(Domain).where(Domain.number == parsed.number)).first()
    domain = domain or Domain(number=parsed.number)
    domain.title = parsed.title
    session.add(domain)
    session.flush()
    return domain


def _upsert_task(session, domain, parsed):
    task = session.exec(select(Task).where(Task.number == parsed.number)).first()
    task = task or Task(number=parsed.number)
    task.domain_id, task.title, task.body = domain.id, parsed.title, parsed.body
    session.add(task)
    session.flush()
    return task


def _replace_units(session, task, parsed):
    wanted = [("lead", name) for name in parsed.lead_units]
    wanted += [("partner", name) for name in parsed.partner_units]
    current = session.exec(
        select(TaskUnit).where(TaskUnit.task_id == task.id).order_by(TaskUnit.id)
    ).all()
    if [(u.role, u.name) for u in current] == wanted:
        return len(wanted)

    session.exec(delete(TaskUnit).where(TaskUnit.task_id == task.id))
    positions = {"lead": 0, "partner": 0}
    for role, name in wanted:
        session.add(
            TaskUnit(task_id=task.id, role=role, position=positions[role], name=name)
        )
        positions[role] += 1
    return len(wanted)


def _replace_targets(session, task, parsed):
    wanted = [_target_fields(t) for t in parsed.targets]
    current = session.exec(
        select(Target).where(Target.task_id == task.id).order_by(Target.position)
    ).all()
    if [_target_fields(t) for t in current] == wanted:
        return len(wanted)

    session.exec(delete(Target).where(Target.task_id == task.id))
    for position, fields in enumerate(wanted):
        session.add(Target(task_id=task.id, position=position, **fields))
    return len(wanted)


def _target_fields(target):
    return {
        "text": target.text,
        "what": target.what,
        "amount": target.amount,
        "unit": target.unit,
        "comparison": target.comparison,
        "by_year": target.by_year,
        "per_year": bool(getattr(target, "per_year", False)),
    }
