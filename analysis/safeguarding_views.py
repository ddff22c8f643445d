"""Safeguarding triage: flagged answers in the children's own words, for review.

Only the safeguarding role (and admin) reaches these pages. They are the one
place the original text of a flagged answer is shown; every list read is
recorded in the audit log.
"""

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlmodel import Session, func, select
from wtforms import TextAreaField
from wtforms.validators import Length

from analysis.models import SafeguardingFlag
from analysis.models_reports import SafeguardingReview
from core.audit import VIEWED_ANSWERS, record
from core.auth import roles_required
from core.db import get_session
from core.models import User, utcnow
from participation.models import Township
from surveys.models import Answer, Response

log = logging.getLogger(__name__)

bp = Blueprint("safeguarding", __name__, url_prefix="/safeguarding")
ROLES = ("safeguarding", "admin")
CATEGORIES = {
    "abuse": "虐待",
    "self_harm": "自伤",
    "bullying": "欺凌",
    "neglect": "忽视",
}
SHOW = {"all": "全部", "open": "待处理"}
PER_PAGE = 100


class ReviewForm(FlaskForm):
    note = TextAreaField("处理记录", validators=[Length(max=2000)])


@bp.route("")
@roles_required("safeguarding")
def flags():
    """List flagged answers newest first, with the original words."""
    show = request.args.get("show", "all")
    if show not in SHOW:
        show = "all"
    session = get_session()
    items = list_flags(session, open_only=show == "open")
    record(session, VIEWED_ANSWERS, "safeguarding", None, flags=len(items))
    session.commit()
    return render_template(
        "analysis/safeguarding.html",
        items=items,
        show=show,
        choices=SHOW,
        categories=CATEGORIES,
        form=ReviewForm(formdata=None),
    )


@bp.route("/<int:flag_id>/review", methods=["POST"])
@roles_required("safeguarding")
def review(flag_id):
    """Mark a flagged answer reviewed, with a note of what was done."""
    session = get_session()
    flag = session.get(SafeguardingFlag, flag_id) or abort(404)
    form = ReviewForm()
    if not form.validate():
        flash("处理记录不要超过 2000 字。")
        return redirect(url_for("safeguarding.flags"))

    mark_reviewed(session, flag, current_user.id, form.note.data or "")
    flash("已标记为已处理。")
    return redirect(url_for("safeguarding.flags", show=request.args.get("show", "all")))


@bp.app_context_processor
def open_badge():
    """Give the nav the number of flags waiting, for the roles that review them."""
    if not current_user.is_authenticated or current_user.role not in ROLES:
        return {}
    return {"safeguarding_open": open_count(get_session())}


def open_count(session: Session) -> int:
    """Return how many flags nobody has reviewed yet."""
    return session.exec(
        select(func.count(SafeguardingFlag.id)).where(
            SafeguardingFlag.reviewed_at.is_(None)
        )
    ).one()


def list_flags(session: Session, open_only=False) -> list[dict]:
    """Return flags newest first with answer, place, band and review notes."""
    query = (
        select(SafeguardingFlag, Answer, Response, Township.name)
        .join(Answer, Answer.id == SafeguardingFlag.answer_id)
        .join(Response, Response.id == Answer.response_id)
        .outerjoin(Township, Township.code == Response.township_code)
        .order_by(SafeguardingFlag.created_at.desc(), SafeguardingFlag.id.desc())
        .limit(PER_PAGE)
    )
    if open_only:
        query = query.where(SafeguardingFlag.reviewed_at.is_(None))
    rows = session.exec(query).all()
    notes = _notes(session, [flag.id for flag, *_ in rows])
    return [
        {
            "flag": flag,
            "text": answer.text,
            "question": answer.question_key,
            "band": response.band,
            "township": town or response.township_code,
            "submitted_at": response.submitted_at,
            "notes": notes.get(flag.id, []),
        }
        for flag, answer, response, town in rows
    ]


def _notes(session, flag_ids) -> dict[int, list[dict]]:
    """Return flag id -> review notes, oldest first, with who wrote them."""
    if not flag_ids:
        return {}
    rows = session.exec(
        select(SafeguardingReview, User.display_name)
        .join(User, User.id == SafeguardingReview.reviewed_by)
        .where(SafeguardingReview.flag_id.in_(flag_ids))
        .order_by(SafeguardingReview.reviewed_at, SafeguardingReview.id)
    ).all()
    notes = {}
    for review_row, name in rows:
        notes.setdefault(review_row.flag_id, []).append(
            {"at": review_row.reviewed_at, "by": name, "note": review_row.note}
        )
    return notes


def mark_reviewed(session: Session, flag: SafeguardingFlag, user_id: int, note: str):
    """Record that user_id reviewed flag, with a note; the newest review counts."""
    now = utcnow()
    flag.reviewed_at = now
    flag.reviewed_by = user_id
    session.add(flag)
    session.add(
        SafeguardingReview(
            flag_id=flag.id, reviewed_by=user_id, reviewed_at=now, note=note.strip()
        )
    )
    session.commit()
    log.info("Safeguarding flag %s reviewed by user %s", flag.id, user_id)
