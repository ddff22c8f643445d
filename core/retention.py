"""Retention: raw answers expire, deletion on request, and jobs for other data.

Expiry deletes raw answers and keeps only aggregates: the open text and its
masked copy are cleared on Answer rows older than their survey's
retention_days; choice values, skips, themes, task links and safeguarding
flags stay. Every deletion is written to DeletionRecord as ids and counts.
"""

import logging
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import click
from flask.cli import AppGroup
from sqlmodel import Session, delete, func, or_, select, update

from analysis.models import AnswerTask, AnswerTheme, SafeguardingFlag
from core import audit
from core.db import session_scope
from surveys.models import Answer, Launch, RejectedSubmission, Response, Survey

log = logging.getLogger(__name__)

BATCH = 500

#: A job takes (session, now), deletes what has expired at now, adds a
#: DeletionRecord per object (core.audit.record_deletion), never commits, and
#: returns counts by kind of object. purge() commits or rolls back each job.
RetentionJob = Callable[[Session, datetime], dict[str, int]]


class NotFound(LookupError):
    """The object to delete does not exist; nothing was changed."""


def expire_answer_texts(session: Session, now: datetime) -> dict[str, int]:
    """Clear the words of open answers older than their survey's retention."""
    counts = Counter(responses=0, answers=0, held=0)
    for survey in session.exec(select(Survey).order_by(Survey.id)).all():
        cutoff = now - timedelta(days=survey.retention_days)
        counts.update(_expire_survey(session, survey, cutoff))
    return dict(counts)


def _expire_survey(session, survey, cutoff):
    rows = session.exec(
        select(Answer.id, Answer.response_id)
        .join(Response, Response.id == Answer.response_id)
        .join(Launch, Launch.id == Response.launch_id)
        .where(
            Launch.survey_id == survey.id,
            Response.submitted_at < cutoff,
            or_(Answer.text.is_not(None), Answer.masked.is_not(None)),
        )
        .order_by(Answer.response_id, Answer.id)
    ).all()
    held = _under_review(session, [answer_id for answer_id, _ in rows])
    expiring = [(answer_id, r) for answer_id, r in rows if answer_id not in held]
    cleared = [answer_id for answer_id, _ in expiring]
    by_response = Counter(response_id for _, response_id in expiring)
    for start in range(0, len(cleared), BATCH):
        session.exec(
            update(Answer)
            .where(Answer.id.in_(cleared[start : start + BATCH]))
            .values(text=None, masked=None)
        )
    reason = f"survey {survey.id} keeps raw answers {survey.retention_days} days"
    for response_id, count in by_response.items():
        audit.record_deletion(
            session, "expiry", "response", response_id, count, reason, "retention"
        )
    return {"responses": len(by_response), "answers": len(cleared), "held": len(held)}


def _under_review(session, answer_ids):
    """Return the answer ids whose safeguarding flag nobody has reviewed yet."""
    held = set()
    for start in range(0, len(answer_ids), BATCH):
        held.update(
            session.exec(
                select(SafeguardingFlag.answer_id).where(
                    SafeguardingFlag.answer_id.in_(answer_ids[start : start + BATCH]),
                    SafeguardingFlag.reviewed_at.is_(None),
                )
            )
        )
    return held


def expire_rejected_submissions(session: Session, now: datetime) -> dict[str, int]:
    """Delete refused resends, which hold raw answers, when their survey expires."""
    deleted = 0
    for survey in session.exec(select(Survey).order_by(Survey.id)).all():
        cutoff = now - timedelta(days=survey.retention_days)
        ids = session.exec(
            select(RejectedSubmission.id)
            .join(Launch, Launch.id == RejectedSubmission.launch_id)
            .where(
                Launch.survey_id == survey.id, RejectedSubmission.received_at < cutoff
            )
            .order_by(RejectedSubmission.id)
        ).all()
        session.exec(delete(RejectedSubmission).where(RejectedSubmission.id.in_(ids)))
        reason = f"survey {survey.id} keeps raw answers {survey.retention_days} days"
        for rejected_id in ids:
            audit.record_deletion(
                session,
                "expiry",
                "rejected_submission",
                rejected_id,
                1,
                reason,
                "retention",
            )
        deleted += len(ids)
    return {"rejected": deleted}


#: Run in order by `flask retention purge`; append a RetentionJob to add one.
RETENTION_JOBS: list[RetentionJob] = [expire_answer_texts, expire_rejected_submissions]


def purge(session: Session, now=None, dry_run=False, jobs=None):
    """Run each retention job at now, committing each unless dry_run; return counts."""
    now = now or datetime.now(UTC)
    results, failed = {}, []
    for job in RETENTION_JOBS if jobs is None else jobs:
        try:
            results[job.__name__] = job(session, now)
        except Exception:
            session.rollback()
            log.exception(
                "Retention job %s failed; its changes were undone", job.__name__
            )
            failed.append(job.__name__)
            continue
        _finish(session, job, results[job.__name__], dry_run)
    return results, failed


def _finish(session, job, counts, dry_run):
    if dry_run:
        session.rollback()
        log.info("Retention job %s dry run: %s", job.__name__, counts)
        return
    session.commit()
    log.info("Retention job %s deleted %s", job.__name__, counts)


def delete_response(session: Session, response_id, reason, by="command"):
    """Delete a response with its answers, themes, task links and flags; record it."""
    response_id = _response_id(response_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a reason is required")
    response = session.get(Response, response_id) if response_id else None
    if response is None:
        raise NotFound(response_id)

    counts = _delete_response_rows(session, response_id)
    audit.record_deletion(
        session, "request", "response", response_id, counts["answers"], reason, by
    )
    user_id = by if isinstance(by, int) else None
    audit.record(
        session,
        audit.DELETED_RESPONSE,
        "response",
        response_id,
        user_id=user_id,
        **counts,
    )
    session.commit()
    log.info("Response %s deleted on request: %s", response_id, counts)
    return counts


def _response_id(raw):
    try:
        return str(uuid.UUID(str(raw).strip()))
    except ValueError:
        return None


def _delete_response_rows(session, response_id):
    answer_ids = select(Answer.id).where(Answer.response_id == response_id)
    counts = {
        "answers": _count(session, Answer, Answer.response_id == response_id),
        "themes": _count(session, AnswerTheme, AnswerTheme.answer_id.in_(answer_ids)),
        "tasks": _count(session, AnswerTask, AnswerTask.answer_id.in_(answer_ids)),
        "flags": _count(
            session, SafeguardingFlag, SafeguardingFlag.answer_id.in_(answer_ids)
        ),
        "rejected": _count(
            session, RejectedSubmission, RejectedSubmission.response_id == response_id
        ),
    }
    for model in (AnswerTheme, AnswerTask, SafeguardingFlag):
        session.exec(delete(model).where(model.answer_id.in_(answer_ids)))
    session.exec(delete(Answer).where(Answer.response_id == response_id))
    session.exec(
        delete(RejectedSubmission).where(RejectedSubmission.response_id == response_id)
    )
    session.exec(delete(Response).where(Response.id == response_id))
    return counts


def _count(session, model, condition):
    return session.exec(select(func.count()).select_from(model).where(condition)).one()


retention_cli = AppGroup("retention", help="Delete raw answers that have expired.")


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
@click.option("--now", "now_text", help="Take this ISO time as now, e.g. 2027-01-01.")
def purge_command(dry_run, now_text):
    """Delete raw answers older than their survey's retention, keeping aggregates."""
    now = _parse_now(now_text)
    with session_scope() as session:
        results, failed = purge(session, now=now, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    for name, counts in results.items():
        shown = ", ".join(f"{key}={value}" for key, value in sorted(counts.items()))
        click.echo(f"{name}: {verb} {shown}")
    if failed:
        raise click.ClickException(f"failed and undone: {', '.join(failed)}")


def _parse_now(text):
    if not text:
        return None
    try:
        now = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO date or time") from None
    return now if now.tzinfo else now.replace(tzinfo=UTC)


@retention_cli.command("delete-response")
@click.argument("response_id")
@click.option("--reason", required=True, help="Why, without names: e.g. 监护人撤回同意")
def delete_response_command(response_id, reason):
    """Delete RESPONSE_ID with its answers, themes, task links and flags."""
    with session_scope() as session:
        try:
            counts = delete_response(session, response_id, reason, by="command")
        except NotFound:
            raise click.ClickException(
                f"no response {response_id!r}; nothing was deleted"
            ) from None
        except ValueError as exc:
            raise click.ClickException(f"{exc}; nothing was deleted") from None
    shown = ", ".join(f"{key}={value}" for key, value in counts.items())
    click.echo(f"deleted response {response_id}: {shown}")
