"""Safeguarding triage: flagged answers in the children's own words, for review.

Only the safeguarding role (and admin) reaches these pages. They are the one
place the original text of a flagged answer is shown; every list read is
recorded in the audit log. Staff and departments who read a quote that may
disclose harm report it from here too, which flags it.
"""

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import aliased
from sqlmodel import Session, func, select
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length

from analysis.models import SafeguardingFlag
from analysis.models_reports import SafeguardingReview
from analysis.operations import process_answers, report_answer
from core.audit import RELEASED_ANSWER, VIEWED_ANSWERS, record
from core.auth import roles_required, safe_next
from core.db import get_session
from core.forms import Form
from core.models import User, utcnow
from participation.models import Township
from surveys.models import Answer, Launch, RejectedSubmission, Response
from surveys.operations import HARM_NOTE

log = logging.getLogger(__name__)

bp = Blueprint("safeguarding", __name__, url_prefix="/safeguarding")
ROLES = ("safeguarding", "admin")
CATEGORIES = {
    "abuse": "虐待",
    "self_harm": "自伤",
    "bullying": "欺凌",
    "neglect": "忽视",
    "reported": "员工报告",
}
SHOW = {"all": "全部", "open": "待处理"}
PER_PAGE = 100


NOTE_MAX = 2000


class ReviewForm(Form):
    note = TextAreaField(
        "处理记录",
        validators=[
            DataRequired("没有保存：请先写下处理记录（做了什么）再提交。"),
            Length(max=NOTE_MAX, message=f"没有保存：处理记录不要超过 {NOTE_MAX} 字。"),
        ],
    )
    release = BooleanField("没有伤害风险：这条回答（替换个人信息后）回到报告和导出")


@bp.route("")
@roles_required("safeguarding")
def flags():
    """List flagged answers newest first, with the original words."""
    show = _show()
    session = get_session()
    items = list_flags(session, open_only=show == "open")
    record(session, VIEWED_ANSWERS, "safeguarding", None, flags=len(items))
    session.commit()
    refused = refused_disclosures(session)
    return render_template(
        "analysis/safeguarding.html",
        items=items,
        refused=refused,
        show=show,
        choices=SHOW,
        categories=CATEGORIES,
        form=ReviewForm(formdata=None),
    )


def refused_disclosures(session: Session, limit=PER_PAGE) -> list[dict]:
    """Return refused submissions (a used id with other answers) that may
    disclose harm, newest first: their launch, kinds of harm and masked text."""
    rows = session.exec(
        select(RejectedSubmission, Launch.code, Township.name, Launch.band)
        .join(Launch, Launch.id == RejectedSubmission.launch_id)
        .join(Township, Township.code == Launch.township_code)
        .where(RejectedSubmission.reason.contains(HARM_NOTE))
        .order_by(RejectedSubmission.received_at.desc(), RejectedSubmission.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "received_at": refused.received_at,
            "launch": {"code": code, "township": township, "band": band},
            "categories": refused.reason.split(HARM_NOTE, 1)[1].split(", "),
            "texts": [
                value
                for value in (refused.payload.get("answers") or {}).values()
                if isinstance(value, str)
            ],
        }
        for refused, code, township, band in rows
    ]


@bp.route("/<int:flag_id>/review", methods=["POST"])
@roles_required("safeguarding")
def review(flag_id):
    """Mark a flagged answer reviewed, with a note of what was done.

    A note is required: the review is the record of what was done.
    """
    session = get_session()
    flag = session.get(SafeguardingFlag, flag_id) or abort(404)
    form = ReviewForm()
    if not form.validate():
        flash(form.note.errors[0] if form.note.errors else "表单不完整，请再试一次。")
        return redirect(url_for("safeguarding.flags", show=_show()))

    mark_reviewed(session, flag, current_user.id, form.note.data)
    if form.release.data:
        release_answer(session, flag.answer_id, current_user.id)
        flash("已标记为已处理。这条回答没有伤害风险，已回到报告（个人信息仍然替换）。")
    else:
        flash("已标记为已处理。")
    return redirect(url_for("safeguarding.flags", show=_show()))


@bp.route("/answers/<int:answer_id>/report", methods=["POST"])
@roles_required("staff", "department")
def report(answer_id):
    """Send a quoted answer to the safeguarding lead and out of every report."""
    try:
        flagged = report_answer(get_session(), answer_id, current_user.id)
    except LookupError:
        abort(404)

    if flagged:
        flash("已报告给儿童保护负责人。这条回答不再出现在报告、原话和导出中。")
    else:
        flash("这条回答已经报告过了，儿童保护负责人会处理。")
    return redirect(safe_next() or url_for("home"))


def _show():
    """Return the list the reviewer came from: all flags or the open ones."""
    show = request.args.get("show", "all")
    return show if show in SHOW else "all"


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
    """Return flags newest first with answer, place, band, launch and notes.

    The launch is named by its join code, township and band only.
    """
    launch_town = aliased(Township)
    query = (
        select(SafeguardingFlag, Answer, Response, Township.name, Launch, launch_town)
        .join(Answer, Answer.id == SafeguardingFlag.answer_id)
        .join(Response, Response.id == Answer.response_id)
        .join(Launch, Launch.id == Response.launch_id)
        .outerjoin(Township, Township.code == Response.township_code)
        .outerjoin(launch_town, launch_town.code == Launch.township_code)
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
            "launch": _launch(launch, launch_town),
            "notes": notes.get(flag.id, []),
        }
        for flag, answer, response, town, launch, launch_town in rows
    ]


def _launch(launch, town) -> dict:
    """Return the ids and metadata that name a launch: code, township, band."""
    return {
        "code": launch.code,
        "township": town.name if town else launch.township_code,
        "band": launch.band,
    }


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


def release_answer(session: Session, answer_id: int, user_id: int) -> int:
    """Let a flagged answer back into reports, quotes and exports.

    For an answer the safeguarding lead found no risk of harm in: a wrong
    match of the screen, or a quote reported by mistake. Every flag of the
    answer is released and the answer is coded again, so an answer the screen
    held back gets its themes; screening it again adds no flag of a kind it
    had. Return how many flags were released.
    """
    flags = session.exec(
        select(SafeguardingFlag).where(
            SafeguardingFlag.answer_id == answer_id,
            SafeguardingFlag.released_at.is_(None),
        )
    ).all()
    now = utcnow()
    for flag in flags:
        flag.released_at, flag.released_by = now, user_id
        session.add(flag)
    if flags:
        record(session, RELEASED_ANSWER, "answer", answer_id, user_id=user_id)
    session.commit()
    answer = session.get(Answer, answer_id)
    if flags and answer is not None and answer.text is not None:
        process_answers(session, [answer])
    log.info("Answer %s released to reports by user %s", answer_id, user_id)
    return len(flags)
