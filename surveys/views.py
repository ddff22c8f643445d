"""Launch pages for facilitators and the kiosk children answer on."""

import io
import logging

import qrcode
import qrcode.image.svg
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlmodel import func, select
from wtforms.fields.choices import SelectChoice

from core.auth import roles_required
from core.db import get_session
from core.http import json_body
from participation.models import Township
from surveys import operations
from surveys.forms import LaunchForm
from surveys.models import Launch, Survey
from surveys.models import Response as ChildResponse
from surveys.templates import (
    PINYIN_BANDS,
    READ_ALOUD_BANDS,
    band_text,
    kiosk_questions,
    ruby,
)

log = logging.getLogger(__name__)

bp = Blueprint("surveys", __name__)


def _scope():
    """Return the township the signed-in user is limited to, or None for all."""
    if current_user.role == "facilitator":
        return current_user.township_code
    return None


def _scoped_launch(session, code):
    """Return the launch with code if the user's township scope covers it, or 404."""
    found = operations.find_launch(session, code)
    if found is None or _scope() not in (None, found.township_code):
        abort(404)
    return found


@bp.route("/launches")
@roles_required("facilitator", "staff")
def launches():
    """List launches with their answer counts."""
    session = get_session()
    query = (
        select(Launch, Survey, Township, func.count(ChildResponse.id))
        .join(Survey, Survey.id == Launch.survey_id)
        .join(Township, Township.code == Launch.township_code)
        .outerjoin(ChildResponse, ChildResponse.launch_id == Launch.id)
        .group_by(Launch.id, Survey.id, Township.code)
        .order_by(Launch.created_at.desc())
    )
    if _scope():
        query = query.where(Launch.township_code == _scope())
    rows = session.exec(query).all()
    return render_template("surveys/launches.html", rows=rows)


@bp.route("/launches/new", methods=["GET", "POST"])
@roles_required("facilitator", "staff")
def new_launch():
    """Launch a survey for one age band and one township."""
    session = get_session()
    form = LaunchForm()
    form.survey.choices = [
        SelectChoice(s.key, s.title)
        for s in session.exec(select(Survey).order_by(Survey.id))
    ]
    form.township.choices = [
        SelectChoice(t.code, t.name)
        for t in session.exec(select(Township).order_by(Township.code))
        if _scope() in (None, t.code)
    ]
    if not form.validate_on_submit():
        return render_template("surveys/new_launch.html", form=form)

    survey = session.exec(select(Survey).where(Survey.key == form.survey.data)).one()
    launch = operations.create_launch(
        session, survey, form.band.data, form.township.data, user_id=current_user.id
    )
    flash(f"已开启，加入码 {launch.code}")
    return redirect(url_for("surveys.launch", code=launch.code))


@bp.route("/launches/<code>")
@roles_required("facilitator", "staff")
def launch(code):
    """Show a launch's join code, QR code and live counts."""
    session = get_session()
    found = _scoped_launch(session, code)
    survey = session.get(Survey, found.survey_id)
    township = session.get(Township, found.township_code)
    return render_template(
        "surveys/launch.html",
        launch=found,
        survey=survey,
        township=township,
        counts=operations.launch_counts(session, found),
        join_url=url_for("surveys.kiosk", code=found.code, _external=True),
    )


@bp.route("/launches/<code>/counts")
@roles_required("facilitator", "staff")
def launch_counts(code):
    """Return a launch's counts as JSON for the live view (no answer text)."""
    session = get_session()
    found = _scoped_launch(session, code)
    return jsonify(operations.launch_counts(session, found))


@bp.route("/launches/<code>/close", methods=["POST"])
@roles_required("facilitator", "staff")
def close(code):
    """Stop a launch accepting answers."""
    session = get_session()
    found = _scoped_launch(session, code)
    operations.close_launch(session, found)
    flash("已结束，平板不能再提交。")
    return redirect(url_for("surveys.launch", code=found.code))


@bp.route("/launches/<code>/qr.svg")
@roles_required("facilitator", "staff")
def qr(code):
    """Return the join link as a QR code."""
    found = _scoped_launch(get_session(), code)
    link = url_for("surveys.kiosk", code=found.code, _external=True)
    image = qrcode.make(link, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    buffer = io.BytesIO()
    image.save(buffer)
    return Response(buffer.getvalue(), mimetype="image/svg+xml")


@bp.route("/k")
def join():
    """Let a child or facilitator type a join code."""
    code = request.args.get("code", "")
    if code:
        found = operations.find_launch(get_session(), code)
        if found is not None and found.is_open:
            return redirect(url_for("surveys.kiosk", code=found.code))
        flash("没有找到这个加入码，请再看一看。")
    return render_template("surveys/join.html", code=code)


@bp.route("/k/<code>")
def kiosk(code):
    """Show the survey one question a screen, for the launch's age band."""
    session = get_session()
    found = operations.find_launch(session, code)
    if found is None or not found.is_open:
        return render_template("surveys/join.html", code=code, closed=True), 404

    survey = session.get(Survey, found.survey_id)
    spec = survey.spec
    intro = band_text(spec.get("intro"), found.band) or ""
    with_pinyin = found.band in PINYIN_BANDS
    kiosk_data = {
        "code": found.code,
        "band": found.band,
        "title": spec["title"],
        "intro": intro,
        "title_ruby": ruby(spec["title"]) if with_pinyin else None,
        "intro_ruby": ruby(intro) if with_pinyin else None,
        "submit_url": url_for("surveys.submit", code=found.code),
        "feedback_url": url_for("feedback.feedback", township_code=found.township_code),
        "pinyin": with_pinyin,
        "read_aloud": found.band in READ_ALOUD_BANDS,
        "idle_seconds": 120,
        "questions": kiosk_questions(spec, found.band),
    }
    return render_template("surveys/kiosk.html", kiosk=kiosk_data)


@bp.route("/k/<code>/responses", methods=["POST"])
def submit(code):
    """Store a tablet's response once, whatever the number of resends."""
    session = get_session()
    facts = operations.launch_facts(session, code)
    if facts is None:
        return jsonify(error="没有这个加入码。"), 404

    payload = json_body()
    if payload is None:
        return jsonify(error="请求内容必须是 UTF-8 的 JSON。"), 400
    try:
        status, response_id = operations.receive(session, facts, payload)
    except operations.SubmissionError as exc:
        return jsonify(error=str(exc)), exc.status

    _process(session, response_id)
    return jsonify(status=status, id=response_id), 201 if status == "stored" else 200


def _process(session, response_id):
    """Have the stored answers expanded: now, or soon by this process's thread."""
    if not current_app.config["SUBMISSIONS_INLINE"]:
        current_app.extensions["processor"].notify()
        return
    try:
        operations.process_pending(session, [response_id])
    except Exception:
        # the answers are safe in the response row; the thread will retry
        log.exception("Response %s left pending", response_id)
