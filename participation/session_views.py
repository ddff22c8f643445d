"""Session pages: the agenda, run mode for a projector, votes, proposals, minutes."""

import re

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlmodel import select
from wtforms.fields.choices import SelectChoice

from core.auth import roles_required
from core.db import get_session
from core.http import json_body
from core.models import utcnow
from participation import council_access as access
from participation import (
    council_evidence,
    council_ops,
    minutes,
    proposal_ops,
    session_ops,
    vote_ops,
)
from participation.council_forms import (
    AgendaItemForm,
    AttendanceForm,
    HandsForm,
    MinutesForm,
    ProposalForm,
    SpeakerForm,
    VoteForm,
)
from participation.council_ops import CouncilError
from participation.council_views import flash_errors, get_council, require
from participation.councils import (
    ELEMENTS,
    STAGES,
    VOTE_RULES,
    Activity,
    AgendaItem,
    Proposal,
    Vote,
)
from participation.models import Task
from participation.public_text import masked

bp = Blueprint("council_sessions", __name__, url_prefix="/councils/sessions")
tablets = Blueprint("council_votes", __name__)

#: how many lines run mode lists under 孩子们说
MAX_SAID = 5
#: run-mode buttons and the operation each calls
ACTIONS = {
    "start": session_ops.start,
    "finish": session_ops.finish,
    "next": lambda s, a: session_ops.go(s, a, 1),
    "prev": lambda s, a: session_ops.go(s, a, -1),
    "timer-start": lambda s, a: session_ops.timer(s, a, "start"),
    "timer-pause": lambda s, a: session_ops.timer(s, a, "pause"),
    "timer-reset": lambda s, a: session_ops.timer(s, a, "reset"),
    "speaker-next": session_ops.next_speaker,
    "queue-clear": session_ops.clear_queue,
}
VOTE_ACTIONS = {
    "open": vote_ops.open_vote,
    "close": vote_ops.close_vote,
    "release": vote_ops.release,
}


def _session_or_404(activity_id):
    """Return a session the user may run, or answer 404/403."""
    session = get_session()
    activity = session.get(Activity, activity_id)
    if activity is None or activity.kind != "session":
        abort(404)
    council = get_council(activity.council_id)
    require(access.can_manage(session, current_user, council))
    return session, activity, council


def _back(activity, anchor=""):
    """Redirect to the session page, at an anchor."""
    return redirect(
        url_for("council_sessions.detail", activity_id=activity.id) + anchor
    )


def _run_back(activity):
    """Redirect to run mode, keeping the projector-only view if asked."""
    screen = request.form.get("screen") == "1"
    return redirect(
        url_for(
            "council_sessions.run",
            activity_id=activity.id,
            screen=1 if screen else None,
        )
    )


def _attempt(session, operation, *args):
    """Run an operation; flash its message and roll back if it refuses."""
    try:
        operation(session, *args)
        return True
    except CouncilError as exc:
        session.rollback()
        flash(str(exc))
        return False


@bp.route("/<int:activity_id>")
@roles_required("facilitator", "staff")
def detail(activity_id):
    """Show a session: agenda, attendance, votes, proposals, links to run it."""
    session, activity, council = _session_or_404(activity_id)
    items = session_ops.items_of(session, activity.id)
    return render_template(
        "participation/councils/session.html",
        activity=activity,
        council=council,
        items=[_item_view(session, council, item) for item in items],
        votes=[_vote_view(session, v) for v in vote_ops.votes_of(session, activity.id)],
        proposals=_proposals(session, activity),
        item_form=_item_form(),
        attendance_form=AttendanceForm(obj=activity),
        vote_form=_with_items(VoteForm(formdata=None), items),
        proposal_form=_with_items(ProposalForm(formdata=None), items),
        hands_form=HandsForm(formdata=None),
        elements=ELEMENTS,
        stages=STAGES,
        rules=VOTE_RULES,
    )


def _item_form(formdata=None):
    """Return the agenda item form with the codebook's themes to choose."""
    from analysis.operations import current_codebook

    form = AgendaItemForm(formdata=formdata)
    form.theme.choices = [SelectChoice("", "不选")] + [
        SelectChoice(t.key, t.label) for t in current_codebook().themes
    ]
    return form


def _with_items(form, items):
    """Offer a session's agenda items on a form."""
    form.item.choices = [SelectChoice("", "不对应议题")] + [
        SelectChoice(str(i.id), f"{i.position}. {i.title}") for i in items
    ]
    return form


def _item_view(session, council, item):
    """Return an item with its task, lead unit and survey evidence."""
    task = session.get(Task, item.task_id) if item.task_id else None
    return {
        "item": item,
        "task": task,
        "unit": proposal_ops.suggest_unit(session, item.task_id),
        "evidence": council_evidence.item_evidence(
            session,
            council.township_code,
            task.number if task else None,
            item.theme,
            item.band,
        ),
    }


def _vote_view(session, vote):
    """Return a vote with its ballot count, and its results once released."""
    released = vote.released_at is not None
    return {
        "vote": vote,
        "ballots": vote_ops.ballot_count(session, vote),
        "results": vote_ops.results(session, vote) if released else None,
        "excess": vote_ops.excess_votes(session, vote) if vote.status != "draft" else 0,
        "url": url_for("council_votes.tablet", code=vote.code, _external=True),
    }


def _proposals(session, activity):
    """Return the proposals captured in a session."""
    return session.exec(
        select(Proposal)
        .where(Proposal.activity_id == activity.id)
        .order_by(Proposal.id)
    ).all()


@bp.route("/<int:activity_id>/items", methods=["POST"])
@roles_required("facilitator", "staff")
def add_item(activity_id):
    """Add an agenda item with its time box, task and theme."""
    session, activity, _ = _session_or_404(activity_id)
    form = _item_form(request.form)
    if not form.validate():
        flash_errors(form)
    elif _attempt(session, session_ops.add_item, activity, form.data):
        flash("已添加议题。")
    return _back(activity, "#agenda")


@bp.route("/<int:activity_id>/items/<int:item_id>", methods=["POST"])
@roles_required("facilitator", "staff")
def update_item(activity_id, item_id):
    """Change an agenda item."""
    session, activity, _ = _session_or_404(activity_id)
    item = _item(session, activity, item_id)
    form = _item_form(request.form)
    if not form.validate():
        flash_errors(form)
    elif _attempt(session, session_ops.update_item, item, form.data):
        flash("已保存议题。")
    return _back(activity, "#agenda")


@bp.route("/<int:activity_id>/items/<int:item_id>/delete", methods=["POST"])
@roles_required("facilitator", "staff")
def remove_item(activity_id, item_id):
    """Take an item off the agenda."""
    session, activity, _ = _session_or_404(activity_id)
    if _attempt(session, session_ops.remove_item, _item(session, activity, item_id)):
        flash("已删除议题。")
    return _back(activity, "#agenda")


def _item(session, activity, item_id):
    """Return an agenda item of the session or answer 404."""
    return _part_of(session, activity, AgendaItem, item_id)


def _part_of(session, activity, model, row_id):
    """Return the row of model with row_id if it belongs to the session, or 404."""
    row = session.get(model, row_id)
    if row is None or row.activity_id != activity.id:
        abort(404)
    return row


@bp.route("/<int:activity_id>/attendance", methods=["POST"])
@roles_required("facilitator", "staff")
def attendance(activity_id):
    """Record how many children and adults came."""
    session, activity, _ = _session_or_404(activity_id)
    form = AttendanceForm()
    if not form.validate():
        flash_errors(form)
    elif _attempt(
        session,
        session_ops.set_attendance,
        activity,
        form.children_present.data,
        form.adults_present.data,
    ):
        flash("已记录出席人数。")
    return _back(activity)


# Run mode --------------------------------------------------------------------


@bp.route("/<int:activity_id>/run")
@roles_required("facilitator", "staff")
def run(activity_id):
    """Show the session on a projector: item, timer, words, queue, vote."""
    session, activity, council = _session_or_404(activity_id)
    current = session_ops.current_item(session, activity)
    shown = _item_view(session, council, current) if current else None
    votes = [_vote_view(session, v) for v in vote_ops.votes_of(session, activity.id)]
    return render_template(
        "participation/councils/run.html",
        activity=activity,
        council=council,
        items=session_ops.items_of(session, activity.id),
        current=shown,
        said=_said(session, activity, shown),
        queue=session_ops.queue_of(session, activity.id),
        vote=_shown_vote(votes, current),
        waiting_vote=_waiting_vote(votes),
        speaker_form=_speaker_form(session, council),
        screen=request.args.get("screen") == "1",
        server_ms=_epoch_ms(utcnow()),
        epoch_ms=_epoch_ms,
        clock=_clock,
    )


def _said(session, activity, shown):
    """Return what the projector lists under 孩子们说: notes, proposals, quotes."""
    if shown is None:
        return {"notes": [], "proposals": [], "quotes": []}
    item = shown["item"]
    notes = [line for line in item.notes.splitlines() if line.strip()][-MAX_SAID:]
    proposals = [
        p for p in _proposals(session, activity) if p.agenda_item_id == item.id
    ][-MAX_SAID:]
    room = max(0, MAX_SAID - len(notes) - len(proposals) - 1)
    quotes = (shown["evidence"] or {}).get("quotes", [])[: min(room, 2)]
    return {"notes": notes, "proposals": proposals, "quotes": quotes}


def _speaker_form(session, council):
    """Return the speaking-queue form with the active members."""
    form = SpeakerForm(formdata=None)
    form.member.choices = [SelectChoice("", "选择成员")] + [
        SelectChoice(str(m.id), m.pseudonym)
        for m in council_ops.active_members(session, council.id)
    ]
    return form


def _shown_vote(votes, current):
    """Pick the vote the projector shows: open, awaiting release, else released."""
    for status in ("open", "closed"):
        for view in reversed(votes):
            vote = view["vote"]
            if vote.status == status and vote.released_at is None:
                return view
    released = [v for v in votes if v["results"] is not None]
    if current is not None:
        here = [v for v in released if v["vote"].agenda_item_id == current.id]
        released = here or released
    return released[-1] if released else None


def _waiting_vote(votes):
    """Return the vote the facilitator can start next, if one is prepared."""
    return next((v["vote"] for v in votes if v["vote"].status == "draft"), None)


def _epoch_ms(moment):
    """Return a moment as milliseconds since the epoch, for the script."""
    return int(moment.timestamp() * 1000) if moment else None


def _clock(seconds):
    """Return seconds as mm:ss, with a + once the time is over."""
    sign = "+" if seconds < 0 else ""
    minutes, rest = divmod(abs(int(seconds)), 60)
    return f"{sign}{minutes:02d}:{rest:02d}"


@bp.route("/<int:activity_id>/state")
@roles_required("facilitator", "staff")
def state(activity_id):
    """Return what run mode polls: the state version and ballots received."""
    session, activity, _ = _session_or_404(activity_id)
    open_vote = session.exec(
        select(Vote).where(Vote.activity_id == activity.id, Vote.status == "open")
    ).first()
    return jsonify(
        version=activity.state_version,
        ballots=vote_ops.ballot_count(session, open_vote) if open_vote else None,
    )


@bp.route("/<int:activity_id>/run/<action>", methods=["POST"])
@roles_required("facilitator", "staff")
def control(activity_id, action):
    """Carry out a run-mode button: move, time, give the floor, start, finish."""
    session, activity, _ = _session_or_404(activity_id)
    operation = ACTIONS.get(action) or abort(404)
    _attempt(session, operation, activity)
    if action == "finish":
        flash("会议已结束。可以生成纪要了。")
        return _back(activity)
    return _run_back(activity)


@bp.route("/<int:activity_id>/speakers", methods=["POST"])
@roles_required("facilitator", "staff")
def add_speaker(activity_id):
    """Put a member or a seat number in the speaking queue."""
    session, activity, _ = _session_or_404(activity_id)
    member = request.form.get("member", "")
    member_id = int(member) if member.isdigit() else None
    _attempt(
        session,
        session_ops.add_speaker,
        activity,
        member_id,
        request.form.get("label", ""),
    )
    return _run_back(activity)


@bp.route("/<int:activity_id>/said", methods=["POST"])
@roles_required("facilitator", "staff")
def said(activity_id):
    """Write down what children said on the current item."""
    session, activity, _ = _session_or_404(activity_id)
    _attempt(session, session_ops.add_said, activity, request.form.get("text", ""))
    return _run_back(activity)


# Votes -----------------------------------------------------------------------


@bp.route("/<int:activity_id>/votes", methods=["POST"])
@roles_required("facilitator", "staff")
def create_vote(activity_id):
    """Prepare a vote on tablets or by show of hands."""
    session, activity, _ = _session_or_404(activity_id)
    items = session_ops.items_of(session, activity.id)
    form = _with_items(VoteForm(), items)
    if not form.validate():
        flash_errors(form)
        return _back(activity, "#votes")
    item_id = int(form.item.data) if (form.item.data or "").isdigit() else None
    if item_id is not None and item_id not in {i.id for i in items}:
        abort(404)
    if _attempt(
        session,
        vote_ops.create_vote,
        activity,
        form.question.data,
        form.options.data.splitlines(),
        item_id,
    ):
        flash("表决已准备好。")
    return _back(activity, "#votes")


@bp.route("/<int:activity_id>/votes/<int:vote_id>/<action>", methods=["POST"])
@roles_required("facilitator", "staff")
def vote_action(activity_id, vote_id, action):
    """Open, close or release a vote."""
    session, activity, _ = _session_or_404(activity_id)
    vote = _vote(session, activity, vote_id)
    operation = VOTE_ACTIONS.get(action) or abort(404)
    _attempt(session, operation, vote)
    if request.form.get("from") == "run":
        return _run_back(activity)
    return _back(activity, "#votes")


@bp.route("/<int:activity_id>/votes/<int:vote_id>/hands", methods=["POST"])
@roles_required("facilitator", "staff")
def hands(activity_id, vote_id):
    """Record show-of-hands counts instead of tablet ballots."""
    session, activity, _ = _session_or_404(activity_id)
    vote = _vote(session, activity, vote_id)
    parts = [p for p in re.split(r"[,，、\s]+", request.form.get("counts", "")) if p]
    if not all(p.isdigit() for p in parts):
        flash("举手人数要写成数字，用逗号隔开，例如 9,3,1。")
    elif _attempt(session, vote_ops.record_hands, vote, [int(p) for p in parts]):
        flash("已录入举手票数。")
    return _back(activity, "#votes")


def _vote(session, activity, vote_id):
    """Return a vote of the session or answer 404."""
    return _part_of(session, activity, Vote, vote_id)


# Proposals and minutes -------------------------------------------------------


@bp.route("/<int:activity_id>/proposals", methods=["POST"])
@roles_required("facilitator", "staff")
def capture(activity_id):
    """Capture a proposal in the children's own words."""
    session, activity, council = _session_or_404(activity_id)
    items = session_ops.items_of(session, activity.id)
    form = _with_items(ProposalForm(), items)
    if not form.validate():
        flash_errors(form)
        return _back(activity, "#proposals")
    item = next((i for i in items if str(i.id) == form.item.data), None)
    if _attempt(session, proposal_ops.capture, council, form.data, activity, item):
        flash("已记下孩子们的建议。")
    if request.form.get("from") == "run":
        return _run_back(activity)
    return _back(activity, "#proposals")


@bp.route("/<int:activity_id>/minutes", methods=["GET", "POST"])
@roles_required("facilitator", "staff")
def edit_minutes(activity_id):
    """Show the minutes to edit, and save them."""
    session, activity, council = _session_or_404(activity_id)
    form = MinutesForm()
    if form.is_submitted() and form.validate():
        if _attempt(session, minutes.save, activity, form.text.data):
            flash("纪要已保存。")
            return redirect(
                url_for("council_sessions.edit_minutes", activity_id=activity.id)
            )
    elif form.is_submitted():
        flash_errors(form)
    if not form.is_submitted() or form.text.data is None:
        form.text.data = minutes.minutes_text(session, activity)
    return render_template(
        "participation/councils/minutes.html",
        activity=activity,
        council=council,
        form=form,
        saved=activity.minutes is not None,
    )


@bp.route("/<int:activity_id>/minutes/regenerate", methods=["POST"])
@roles_required("facilitator", "staff")
def regenerate_minutes(activity_id):
    """Draft the minutes again from the record, replacing the edited text."""
    session, activity, _ = _session_or_404(activity_id)
    if _attempt(session, minutes.save, activity, minutes.generate(session, activity)):
        flash("已按会议记录重新生成纪要。")
    return redirect(url_for("council_sessions.edit_minutes", activity_id=activity.id))


@bp.route("/<int:activity_id>/minutes/print")
@roles_required("facilitator", "staff")
def print_minutes(activity_id):
    """Show the minutes as a page to print."""
    session, activity, council = _session_or_404(activity_id)
    return render_template(
        "participation/councils/minutes_print.html",
        activity=activity,
        council=council,
        blocks=minutes.blocks(minutes.minutes_text(session, activity)),
    )


@bp.route("/<int:activity_id>/minutes.docx")
@roles_required("facilitator", "staff")
def minutes_docx(activity_id):
    """Download the minutes as a Word document."""
    session, activity, _ = _session_or_404(activity_id)
    data = minutes.to_docx(minutes.minutes_text(session, activity))
    name = f"minutes-{activity.held_on.isoformat()}-{activity.id}.docx"
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


# Tablets ---------------------------------------------------------------------


@tablets.route("/v")
def join():
    """Let a child type a vote's code."""
    code = request.args.get("code", "")
    if code:
        vote = vote_ops.find_vote(get_session(), code)
        if vote is not None:
            return redirect(url_for("council_votes.tablet", code=vote.code))
        flash("没有找到这个投票码，请再看一看。")
    return render_template("participation/councils/vote_join.html", code=code)


@tablets.route("/v/<code>")
def tablet(code):
    """Show a vote on a tablet: one big button per option, names masked."""
    vote = vote_ops.find_vote(get_session(), code) or abort(404)
    data = {
        "code": vote.code,
        "question": masked(vote.question),
        "options": [masked(option) for option in vote.options],
        "open": vote.status == "open",
        "waiting": vote.status == "draft",
        "ballot_url": url_for("council_votes.cast_ballot", code=vote.code),
    }
    return render_template("participation/councils/vote_tablet.html", vote=data)


@tablets.route("/v/<code>/ballots", methods=["POST"])
def cast_ballot(code):
    """Count a tablet's ballot once, whatever the number of resends."""
    session = get_session()
    vote = vote_ops.find_vote(session, code)
    if vote is None:
        return jsonify(error="没有这个投票码。"), 404
    payload = json_body()
    if payload is None:
        return jsonify(error="请求内容必须是 UTF-8 的 JSON。"), 400
    try:
        status = vote_ops.cast(session, vote, payload)
    except vote_ops.BallotError as exc:
        return jsonify(error=str(exc)), exc.status
    return jsonify(status=status), 201 if status == "stored" else 200
