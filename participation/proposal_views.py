"""Proposal pages for staff and departments, and the children's feedback page."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select

from core.auth import roles_required
from core.db import get_session
from core.models import Role
from participation import council_access as access
from participation import council_evidence, council_ops, proposal_ops
from participation.council_forms import AnswerForm, EvaluateForm, NoteForm, RouteForm
from participation.council_ops import CouncilError
from participation.council_views import flash_errors, require
from participation.councils import (
    DECISIONS,
    STAGES,
    Council,
    Proposal,
)
from participation.models import Township

bp = Blueprint("proposals", __name__, url_prefix="/proposals")
public = Blueprint("feedback", __name__)


def _proposal(proposal_id):
    """Return the session and a proposal the user may see, else 404/403."""
    session = get_session()
    proposal = session.get(Proposal, proposal_id) or abort(404)
    require(access.can_see_proposal(session, current_user, proposal))
    return session, proposal


def _back(proposal):
    """Redirect to the proposal's page."""
    return redirect(url_for("proposals.detail", proposal_id=proposal.id))


def _attempt(session, operation, *args, **kwargs):
    """Run an operation; flash its message and roll back if it refuses."""
    try:
        operation(session, *args, **kwargs)
        return True
    except CouncilError as exc:
        session.rollback()
        flash(str(exc))
        return False


@bp.route("")
@roles_required("staff", "department", "facilitator")
def index():
    """List the proposals the user may see, overdue ones flagged."""
    session = get_session()
    stage = request.args.get("stage") or None
    query = access.proposals_query(current_user)
    if stage in STAGES:
        query = query.where(Proposal.stage == stage)
    proposals = session.exec(query).all()
    councils = {c.id: c for c in session.exec(select(Council))}
    return render_template(
        "participation/councils/proposals.html",
        proposals=proposals,
        councils=councils,
        townships={t.code: t.name for t in session.exec(select(Township))},
        stages=STAGES,
        decisions=DECISIONS,
        stage=stage,
        overdue=proposal_ops.is_overdue,
    )


@bp.route("/<int:proposal_id>")
@roles_required("staff", "department", "facilitator")
def detail(proposal_id):
    """Show a proposal, its stages, its answer and what staff may do next."""
    session, proposal = _proposal(proposal_id)
    council = session.get(Council, proposal.council_id)
    route_form = RouteForm(formdata=None)
    route_form.unit.data = proposal.lead_unit or proposal.suggested_unit
    return render_template(
        "participation/councils/proposal.html",
        proposal=proposal,
        council=council,
        township=session.get(Township, council.township_code),
        task=council_evidence.task_label(session, proposal.task_id),
        notes=proposal_ops.notes_of(session, proposal.id),
        units=proposal_ops.unit_names(session),
        route_form=route_form,
        answer_form=AnswerForm(formdata=None, obj=_answer_obj(proposal)),
        note_form=NoteForm(formdata=None),
        evaluate_form=EvaluateForm(formdata=None),
        stages=STAGES,
        stage_dates=proposal_ops.STAGE_DATES,
        decisions=DECISIONS,
        note_kinds=proposal_ops.NOTE_KINDS,
        overdue=proposal_ops.is_overdue(proposal),
        is_staff=current_user.role in access.OVERSEERS,
        can_evaluate=current_user.role in access.OVERSEERS
        or access.facilitates(session, current_user, council.id),
    )


def _answer_obj(proposal):
    """Return the proposal's answer in the shape the answer form reads."""
    return type(
        "Answer",
        (),
        {
            "decision": proposal.decision or "",
            "reason": proposal.decision_reason,
            "answer": proposal.answer,
        },
    )()


@bp.route("/<int:proposal_id>/route", methods=["POST"])
@roles_required("staff")
def route(proposal_id):
    """Send the proposal to the lead unit staff confirmed, with a due date."""
    session, proposal = _proposal(proposal_id)
    form = RouteForm()
    if not form.validate():
        flash_errors(form)
    elif _attempt(
        session,
        proposal_ops.route,
        proposal,
        form.unit.data,
        form.due_on.data,
        user_id=current_user.id,
    ):
        flash(f"已转给{proposal.lead_unit}。")
    return _back(proposal)


@bp.route("/<int:proposal_id>/answer", methods=["POST"])
@roles_required("staff")
def answer(proposal_id):
    """Record the department's answer."""
    session, proposal = _proposal(proposal_id)
    form = AnswerForm()
    if not form.validate():
        flash_errors(form)
    elif _attempt(
        session,
        proposal_ops.record_answer,
        proposal,
        form.decision.data,
        form.reason.data,
        form.answer.data,
    ):
        flash("已记录答复。")
    return _back(proposal)


@bp.route("/<int:proposal_id>/notes", methods=["POST"])
@roles_required("staff")
def note(proposal_id):
    """Record progress in percent, consulting the children, or a note."""
    session, proposal = _proposal(proposal_id)
    form = NoteForm()
    if not form.validate():
        flash_errors(form)
    elif _attempt(
        session,
        proposal_ops.add_note,
        proposal,
        form.kind.data,
        form.text.data,
        progress=form.progress.data,
        public=form.public.data,
        user_id=current_user.id,
    ):
        flash("已记录。")
    return _back(proposal)


@bp.route("/<int:proposal_id>/publish", methods=["POST"])
@roles_required("staff")
def publish(proposal_id):
    """Publish the decision on the children's feedback page."""
    session, proposal = _proposal(proposal_id)
    if _attempt(session, proposal_ops.publish, proposal):
        flash("已公示，孩子们在「你说，我们做」页面上能看到。")
    return _back(proposal)


@bp.route("/<int:proposal_id>/evaluate", methods=["POST"])
@roles_required("staff", "facilitator")
def evaluate(proposal_id):
    """Record how the children judged what was done."""
    session, proposal = _proposal(proposal_id)
    require(
        current_user.role != Role.DEPARTMENT
        and (
            current_user.role in access.OVERSEERS
            or access.facilitates(session, current_user, proposal.council_id)
        )
    )
    form = EvaluateForm()
    if not form.validate():
        flash_errors(form)
    elif _attempt(session, proposal_ops.evaluate, proposal, form.evaluation.data):
        flash("已记录孩子们的评价。")
    return _back(proposal)


# The children's page ---------------------------------------------------------


@public.route("/feedback")
def townships():
    """List the townships whose children have published answers to read."""
    session = get_session()
    codes = set(session.exec(select(Council.township_code)))
    rows = session.exec(select(Township).order_by(Township.code)).all()
    return render_template(
        "participation/feedback/index.html",
        townships=[t for t in rows if t.code in codes],
    )


@public.route("/feedback/<township_code>")
def feedback(township_code):
    """Show children what was decided and done about their proposals."""
    session = get_session()
    township = council_ops.find_township(session, township_code) or abort(404)
    return render_template(
        "participation/feedback/township.html",
        township=township,
        proposals=proposal_ops.published_in(session, township.code),
        waiting=proposal_ops.in_progress_count(session, township.code),
        today=council_ops.local_today(),
    )
