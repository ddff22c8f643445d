"""The survey editor's pages: surveys, questions, previews and read-aloud clips.

Staff and facilitators list, create, duplicate and edit surveys, preview them
on a tablet-sized kiosk for each age band, and upload read-aloud clips.
"""

import io
import logging

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlmodel import func, select
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from core.auth import roles_required
from core.db import get_session
from core.security import CSP
from surveys import audio, editor_forms, readability, xlsform
from surveys.editor_forms import (
    ActionForm,
    AudioForm,
    DuplicateForm,
    NewSurveyForm,
    QuestionForm,
    SpecError,
    SurveyForm,
)
from surveys.models import BANDS, Launch, Survey
from surveys.templates import (
    PINYIN_BANDS,
    READ_ALOUD_BANDS,
    band_text,
    kiosk_questions,
    ruby,
)

log = logging.getLogger(__name__)

bp = Blueprint("editor", __name__, url_prefix="/surveys")
EDITORS = ("staff", "facilitator")
PREVIEW_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")


def _survey(key):
    """Return the survey with key or answer 404."""
    survey = get_session().exec(select(Survey).where(Survey.key == key)).first()
    return survey or abort(404)


def _band(band):
    """Return band if it is an age band, else answer 404."""
    return band if band in BANDS else abort(404)


@bp.route("/")
@roles_required(*EDITORS)
def index():
    """List every survey with its launches and whether it can be edited."""
    session = get_session()
    rows = session.exec(
        select(Survey, func.count(Launch.id))
        .outerjoin(Launch, Launch.survey_id == Survey.id)
        .group_by(Survey.id)
        .order_by(Survey.id)
    ).all()
    surveys = [
        {"survey": s, "launches": n, "builtin": editor_forms.is_builtin(s)}
        for s, n in rows
    ]
    return render_template("surveys/editor_index.html", surveys=surveys)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new():
    """Start a survey from scratch or from a copy of another."""
    session = get_session()
    form = NewSurveyForm()
    form.source.choices = [SelectChoice("", "空白问卷（带两道练习题）")] + [
        SelectChoice(s.key, f"复制「{s.title}」")
        for s in session.exec(select(Survey).order_by(Survey.id))
    ]
    if not form.validate_on_submit():
        form.source.data = form.source.data or request.args.get("from", "")
        return render_template("surveys/editor_new.html", form=form)

    return _create(form.source.data, form.key.data, form.title.data.strip(), form)


def _create(source_key, key, title, form):
    """Create a survey, a copy of source_key when given, and open it."""
    session = get_session()
    if source_key:
        source = _survey(source_key)
        spec = editor_forms.copied_spec(source.spec, key, title)
    else:
        spec = editor_forms.blank_spec(key, title)
    try:
        survey = editor_forms.create_survey(session, spec, current_user.id)
    except SpecError as exc:
        for error in exc.errors:
            flash(error)
        return render_template("surveys/editor_new.html", form=form), 422
    if source_key:
        audio.copy_clips(source_key, key)
    flash("已创建，可以开始编辑。")
    return redirect(url_for("editor.edit", key=survey.key))


@bp.route("/<key>/duplicate", methods=["GET", "POST"])
@roles_required(*EDITORS)
def duplicate(key):
    """Copy a survey under a new key, so that the copy can be edited."""
    survey = _survey(key)
    form = DuplicateForm()
    if not form.validate_on_submit():
        if request.method == "GET":
            form.key.data = f"{survey.key}_copy"[:64]
            form.title.data = f"{survey.title}（副本）"
        return render_template("surveys/editor_new.html", form=form, source=survey)
    return _create(survey.key, form.key.data, form.title.data.strip(), form)


@bp.route("/<key>/", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(key):
    """Show a survey's fields, questions and findings; save the fields."""
    session = get_session()
    survey = _survey(key)
    form = SurveyForm()
    if form.validate_on_submit():
        spec = editor_forms.spec_from_survey_form(survey.spec, form)
        if _save(survey, spec, form.version.data):
            flash("已保存。")
            return redirect(url_for("editor.edit", key=key))
    elif request.method == "GET":
        editor_forms.fill_survey_form(form, survey)
    return render_template(
        "surveys/editor_survey.html",
        survey=survey,
        form=form,
        locked=editor_forms.locked_reason(session, survey),
        action=ActionForm(version=survey.version),
        clips=audio.clips(survey.key),
        type_labels=editor_forms.TYPE_LABELS,
        **_checks(survey.spec),
    )


def _checks(spec, question=None):
    """Return the format errors, advice and readability findings to show."""
    errors, advice = editor_forms.check_spec(spec)
    findings = readability.survey_findings(spec)
    if question is not None:
        findings = {
            band: [f for f in found if f.question == question]
            for band, found in findings.items()
        }
        advice = [a for a in advice if f"（{question}）" in a]
    return {"errors": errors, "advice": advice, "findings": findings}


def _save(survey, spec, version):
    """Save spec over survey; flash why not and return False when refused."""
    try:
        editor_forms.save_survey(get_session(), survey, spec, version, current_user.id)
    except SpecError as exc:
        for error in exc.errors:
            flash(error)
        return False
    return True


@bp.route("/<key>/new-question", methods=["GET", "POST"])
@bp.route("/<key>/questions/<qkey>", methods=["GET", "POST"])
@roles_required(*EDITORS)
def question(key, qkey=None):
    """Add a question, or show and change one."""
    session = get_session()
    survey = _survey(key)
    existing = editor_forms.find_question(survey.spec, qkey) if qkey else None
    if qkey and existing is None:
        abort(404)

    form = QuestionForm()
    form.show_if_question.choices = editor_forms.condition_choices(survey.spec, qkey)
    if form.validate_on_submit() and _save_question(survey, form, qkey):
        flash("题目已保存。")
        return redirect(url_for("editor.edit", key=key) + f"#q-{form.key.data}")
    if request.method == "GET":
        form.version.data = survey.version
        if existing:
            editor_forms.fill_question_form(form, existing)
        else:
            form.bands.data = list(BANDS)
            form.shared_options.data = True
    return render_template(
        "surveys/editor_question.html",
        survey=survey,
        question=existing,
        form=form,
        locked=editor_forms.locked_reason(session, survey),
        audio_form=AudioForm(),
        action=ActionForm(version=survey.version),
        clips=audio.clips(survey.key).get(qkey, []),
        **_checks(survey.spec, qkey),
    )


def _save_question(survey, form, old_key):
    """Put the question of form into the survey; return whether it was saved."""
    try:
        question = editor_forms.question_from_form(form)
    except SpecError as exc:
        for error in exc.errors:
            flash(error)
        return False
    if old_key is None and editor_forms.find_question(survey.spec, question["key"]):
        flash("这个代号已经有题目用了，请换一个。")
        return False

    spec = editor_forms.put_question(survey.spec, question, old_key)
    if not _save(survey, spec, form.version.data):
        return False
    if old_key and old_key != question["key"]:
        audio.rename_clips(survey.key, old_key, question["key"])
    return True


@bp.route("/<key>/questions/<qkey>/move", methods=["POST"])
@roles_required(*EDITORS)
def move(key, qkey):
    """Move a question one place up or down."""
    survey = _survey(key)
    form = ActionForm()
    step = -1 if request.form.get("step") == "up" else 1
    if form.validate_on_submit() and editor_forms.find_question(survey.spec, qkey):
        spec = editor_forms.move_question(survey.spec, qkey, step)
        _save(survey, spec, form.version.data)
    return redirect(url_for("editor.edit", key=key) + f"#q-{qkey}")


@bp.route("/<key>/questions/<qkey>/delete", methods=["POST"])
@roles_required(*EDITORS)
def delete(key, qkey):
    """Remove a question from the survey."""
    survey = _survey(key)
    form = ActionForm()
    if form.validate_on_submit() and editor_forms.find_question(survey.spec, qkey):
        spec = editor_forms.remove_question(survey.spec, qkey)
        if _save(survey, spec, form.version.data):
            flash(f"已删除题目 {qkey}。")
    return redirect(url_for("editor.edit", key=key))


@bp.route("/<key>/questions/<qkey>/audio", methods=["POST"])
@roles_required(*EDITORS)
def upload_audio(key, qkey):
    """Store a recorded read-aloud clip for a question."""
    survey = _survey(key)
    if editor_forms.find_question(survey.spec, qkey) is None:
        abort(404)
    request.max_content_length = audio.MAX_BYTES + 256 * 1024
    form = AudioForm()
    if form.validate_on_submit():
        upload = form.clip.data
        try:
            audio.save_clip(
                key, qkey, form.band.data or None, upload.mimetype, upload.read()
            )
            flash("录音已上传。")
        except audio.AudioError as exc:
            flash(str(exc))
    else:
        flash("请选择一个录音文件。")
    return redirect(url_for("editor.question", key=key, qkey=qkey))


@bp.route("/<key>/questions/<qkey>/audio/delete", methods=["POST"])
@roles_required(*EDITORS)
def delete_audio(key, qkey):
    """Remove a question's clip for one band or for all."""
    _survey(key)
    band = request.form.get("band") or None
    if ActionForm().validate_on_submit() and (band is None or band in BANDS):
        audio.delete_clip(key, qkey, band)
        flash("录音已删除。")
    return redirect(url_for("editor.question", key=key, qkey=qkey))


@bp.route("/audio/<key>/<name>")
def audio_file(key, name):
    """Serve a clip; the kiosk plays it, so no sign-in is needed."""
    found = audio.clip_file(key, name) or abort(404)
    path, mimetype = found
    return send_file(path, mimetype=mimetype, max_age=86400, conditional=True)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    """Explain an upload over the size limit."""
    return render_template("error.html", message="录音文件太大了，最多 2 MB。"), 413


@bp.route("/<key>/preview/<band>")
@roles_required(*EDITORS)
def preview(key, band):
    """Show the kiosk for one band in a tablet-sized frame."""
    survey = _survey(key)
    band = _band(band)
    return render_template(
        "surveys/editor_preview.html",
        survey=survey,
        band=band,
        bands=BANDS,
        findings=readability.band_findings(survey.spec, band),
    )


@bp.route("/<key>/preview/<band>/kiosk")
@roles_required(*EDITORS)
def preview_kiosk(key, band):
    """Render the real kiosk page for one band in preview mode."""
    survey = _survey(key)
    band = _band(band)
    body = render_template("surveys/kiosk.html", kiosk=_preview_data(survey, band))
    return _frameable(body)


def _preview_data(survey, band):
    """Return the kiosk's data for a preview: nothing it sends is stored."""
    spec = survey.spec
    intro = band_text(spec.get("intro"), band) or ""
    with_pinyin = band in PINYIN_BANDS
    return {
        "code": "PREVIEW",
        "band": band,
        "title": spec["title"],
        "intro": intro,
        "title_ruby": ruby(spec["title"]) if with_pinyin else None,
        "intro_ruby": ruby(intro) if with_pinyin else None,
        "submit_url": url_for("editor.preview_responses", key=survey.key, band=band),
        "feedback_url": None,
        "pinyin": with_pinyin,
        "read_aloud": band in READ_ALOUD_BANDS,
        "idle_seconds": 120,
        "questions": kiosk_questions(spec, band),
        "preview": True,
    }


def _frameable(body):
    """Return a response that the editor's own pages may show in a frame."""
    response = make_response(body)
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.route("/<key>/preview/<band>/responses", methods=["POST"])
def preview_responses(key, band):
    """Answer a preview kiosk's submission as received, storing nothing."""
    return jsonify(status="preview", stored=False), 200


@bp.route("/<key>/form.xlsx")
@roles_required(*EDITORS)
def export_form(key):
    """Download a survey as an XLSForm workbook."""
    survey = _survey(key)
    buffer = io.BytesIO()
    xlsform.write_form(survey.spec, buffer, version=survey.version)
    buffer.seek(0)
    return send_file(
        buffer,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"{survey.key}.xlsx",
    )
