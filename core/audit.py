"""The audit log of who read or changed children's data, and the deletion log.

Call `record(session, ACTION, object_type, object_id, **detail)` beside the
change it describes; the caller's commit stores both together. Views that only
read answers use `@audited(VIEWED_ANSWERS, object_type, id_arg)`. Details hold
ids, counts and codes only, never a child's words or an adult's name.
"""

import functools
import logging
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import has_request_context, make_response
from flask_login import current_user
from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, func, select

from core.db import session_scope
from core.models import utcnow

log = logging.getLogger(__name__)

#: the pages show times, and the audit filter reads dates, in Beijing time
TIMEZONE = ZoneInfo("Asia/Shanghai")

VIEWED_ANSWERS = "viewed answers"
EXPORTED_ANSWERS = "exported answers"
CHANGED_CODEBOOK = "changed codebook"
ANSWERED_PROPOSAL = "answered proposal"
CREATED_USER = "created user"
CHANGED_ROLE = "changed role"
CHANGED_TOWNSHIP = "changed township"
CHANGED_DEPARTMENT = "changed department"
DEACTIVATED_USER = "deactivated user"
REACTIVATED_USER = "reactivated user"
DELETED_RESPONSE = "deleted response"
CREATED_BACKUP = "created backup"
RESTORED_BACKUP = "restored backup"
REPORTED_ANSWER = "reported answer"
RELEASED_ANSWER = "released answer"
NAMED_EMERGENT = "named emergent theme"
DISCARDED_EMERGENT = "discarded emergent theme"

ACTIONS = (
    VIEWED_ANSWERS,
    EXPORTED_ANSWERS,
    CHANGED_CODEBOOK,
    ANSWERED_PROPOSAL,
    CREATED_USER,
    CHANGED_ROLE,
    CHANGED_TOWNSHIP,
    CHANGED_DEPARTMENT,
    DEACTIVATED_USER,
    REACTIVATED_USER,
    DELETED_RESPONSE,
    CREATED_BACKUP,
    RESTORED_BACKUP,
    REPORTED_ANSWER,
    RELEASED_ANSWER,
    NAMED_EMERGENT,
    DISCARDED_EMERGENT,
)

#: detail keys that would carry a child's words or a person's details
PERSONAL_KEYS = frozenset(
    {
        "address",
        "answer",
        "answers",
        "birth_date",
        "display_name",
        "email",
        "guardian",
        "id_number",
        "masked",
        "name",
        "password",
        "phone",
        "quote",
        "text",
    }
)
MAX_DETAIL_TEXT = 200
MAX_DETAIL_ITEMS = 1000
PER_PAGE = 50


class AuditEvent(SQLModel, table=True):
    """One read or change of sensitive data: who, what, when; never the data."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    #: the signed-in adult; none for commands run on the server
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    #: one of ACTIONS or a feature's own past-tense phrase
    action: str = Field(max_length=64, index=True)
    #: what was touched: launch, task, response, user, codebook, proposal …
    object_type: str = Field(max_length=32)
    object_id: str | None = Field(default=None, max_length=64)
    #: ids, counts and codes only
    detail: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )

    def __repr__(self):
        return f"<AuditEvent {self.id} {self.action!r} {self.object_type}>"


class DeletionRecord(SQLModel, table=True):
    """What was deleted, when, why and by whom: counts and ids, never content."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    #: expiry (retention period over) or request (deletion asked for)
    kind: str = Field(max_length=20, index=True)
    #: response, rejected_submission, or a feature's own kind of object
    object_type: str = Field(max_length=32)
    object_id: str | None = Field(default=None, max_length=64)
    #: how many rows or texts went with the object
    count: int = 1
    reason: str = Field(max_length=200)
    #: retention for the scheduled purge, user for the admin page, command
    by: str = Field(max_length=20)
    by_user_id: int | None = Field(default=None, foreign_key="user.id")

    def __repr__(self):
        return f"<DeletionRecord {self.id} {self.kind} {self.object_type}>"


def record(session: Session, action, object_type, object_id=None, **detail):
    """Add an audit event to session; the caller's commit stores it."""
    user_id = detail.pop("user_id", None) or _current_user_id()
    if not has_request_context():
        detail.setdefault("via", "command")
    event = AuditEvent(
        user_id=user_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id)[:64],
        detail=clean_detail(detail),
    )
    session.add(event)
    log.info("Audit %r on %s %s by user %s", action, object_type, object_id, user_id)
    return event


def record_deletion(session: Session, kind, object_type, object_id, count, reason, by):
    """Add a deletion record to session; by is retention, command or a user id."""
    by_user_id = by if isinstance(by, int) else None
    entry = DeletionRecord(
        kind=kind,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        count=count,
        reason=reason[:200],
        by="user" if by_user_id is not None else by,
        by_user_id=by_user_id,
    )
    session.add(entry)
    return entry


def audited(action, object_type, id_arg=None, **detail):
    """Record action on the view's object each time the view answers successfully."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            response = make_response(view(*args, **kwargs))
            if response.status_code < 400:
                object_id = kwargs.get(id_arg) if id_arg else None
                with session_scope() as session:
                    record(session, action, object_type, object_id, **detail)
            return response

        return wrapped

    return decorator


def clean_detail(detail: dict) -> dict:
    """Return detail as JSON-ready values, refusing text under personal keys."""
    cleaned = {}
    for key, value in detail.items():
        cleaned[key] = _scalar_or_list(key, value)
        words = cleaned[key] if isinstance(cleaned[key], list) else [cleaned[key]]
        if key.lower() in PERSONAL_KEYS and any(isinstance(w, str) for w in words):
            raise ValueError(f"audit detail {key!r} could carry personal data")
    return cleaned


def _scalar_or_list(key, value):
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else list(value)
        if len(items) > MAX_DETAIL_ITEMS:
            raise ValueError(f"audit detail {key!r} lists more than {MAX_DETAIL_ITEMS}")
        return [_scalar(key, item) for item in items]
    return _scalar(key, value)


def _scalar(key, value):
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        if len(value) > MAX_DETAIL_TEXT:
            raise ValueError(f"audit detail {key!r} is longer than {MAX_DETAIL_TEXT}")
        return value
    raise TypeError(f"audit detail {key!r} must be a number, text or list of them")


def _current_user_id():
    if has_request_context() and current_user.is_authenticated:
        return current_user.id
    return None


@dataclass
class Page:
    """One page of a listing, with what the links to its neighbours need."""

    items: list
    number: int
    pages: int
    total: int

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_next(self):
        return self.number < self.pages


def list_events(session, user_id=None, action=None, since=None, until=None, page=1):
    """Return a page of audit events, newest first, filtered by user, action, dates."""
    query = select(AuditEvent)
    if user_id is not None:
        query = query.where(AuditEvent.user_id == user_id)
    if action:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(AuditEvent.at >= _day_start(since))
    if until is not None:
        query = query.where(AuditEvent.at < _day_start(until + timedelta(days=1)))
    return paginate(session, query, AuditEvent.at, AuditEvent.id, page=page)


def list_deletions(session, page=1):
    """Return a page of deletion records, newest first."""
    query = select(DeletionRecord)
    return paginate(session, query, DeletionRecord.at, DeletionRecord.id, page=page)


def paginate(session, query, *newest_first, page=1):
    """Return the page-th page of query, ordered by the columns descending."""
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    pages = max(1, math.ceil(total / PER_PAGE))
    number = min(max(1, page), pages)
    items = session.exec(
        query.order_by(*(column.desc() for column in newest_first))
        .offset((number - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    return Page(items=list(items), number=number, pages=pages, total=total)


def known_actions(session):
    """Return the standard actions and any others already in the log, sorted."""
    stored = session.exec(select(AuditEvent.action).distinct()).all()
    return sorted(set(ACTIONS) | set(stored))


def _day_start(day: date) -> datetime:
    """Return the start of day in Beijing time, as UTC like the stored times."""
    return datetime.combine(day, time(), tzinfo=TIMEZONE).astimezone(UTC)
