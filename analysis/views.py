"""Theme reports, their exports, and the codebook editor, for staff."""

import itertools
import logging
from datetime import UTC
from functools import lru_cache

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from analysis import codebook_store, evidence, exports, reports
from analysis.disclosure import HIDDEN, SECONDARY, THRESHOLD
from analysis.words import word_frequencies
from core.audit import (
    CHANGED_CODEBOOK,
    EXPORTED_ANSWERS,
    VIEWED_ANSWERS,
    audited,
    record,
)
from core.auth import roles_required
from core.db import get_session, session_scope
from core.forms import Form
from participation.models import Township
from surveys.models import Survey
from surveys.operations import find_launch

log = logging.getLogger(__name__)

bp = Blueprint("analysis", __name__, cli_group="reports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: words used by fewer answers than this stay out of a report's cloud
CLOUD_MIN_ANSWERS = 3


@bp.record_once
def _register_safeguarding(state):
    """Register the safeguarding pages along with the analysis ones."""
    from analysis import safeguarding_views

    state.app.register_blueprint(safeguarding_views.bp)


@bp.app_template_filter("local")
def local_time(moment, seconds=False) -> str:
    """Format a stored instant as local date and time for Yueqing.

    Stored instants are UTC (SQLite hands them back naive); the page shows
    Beijing time, to the second where seconds is true (the audit log).
    """
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    shape = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return moment.astimezone(reports.TIMEZONE).strftime(shape)


# -- theme reports ---------------------------------------------------------------


@bp.route("/reports/")
@roles_required("staff")
@audited(VIEWED_ANSWERS, "report", page="theme report")
def themes():
    """Show themes by the chosen breakdown, filtered, with charts and quotes."""
    session = get_session()
    codebook = codebook_store.current_codebook(session)
    options = reports.load_options(session, codebook)
    try:
        filters = reports.parse_filters(request.args, options)
    except reports.FilterError as exc:
        page = _report_page(options, codebook, errors=exc.messages)
        return page, 400

    report = reports.build(session, filters, options)
    page = _report_page(options, codebook, report=report)
    return codebook_store.kick_after(make_response(page), session)


def _report_page(options, codebook, report=None, errors=()):
    """Render the report page, with a report or with what was wrong."""
    session = get_session()
    return render_template(
        "analysis/report.html",
        report=report,
        errors=errors,
        options=options,
        # the form shows the filters the report was built with: one dropped
        # because its groups were too small reads 全部, as the figures do
        asked=report.filters.params() if report else request.args,
        breakdowns=reports.BREAKDOWNS,
        version=codebook.version,
        recoding=codebook_store.recoding(session),
        threshold=THRESHOLD,
        hidden=HIDDEN,
        secondary=SECONDARY,
    )


@bp.route("/reports/cloud.png")
@roles_required("staff")
@audited(VIEWED_ANSWERS, "report", page="word cloud")
def cloud():
    """Return the word cloud of a filtered report as a PNG."""
    session = get_session()
    filters = _filters_or_400(session)
    texts = reports.cloud_texts(session, filters)
    if not texts:
        abort(404)
    words = word_frequencies(texts, min_answers=CLOUD_MIN_ANSWERS)
    return _png(_cloud_png(tuple(sorted(words.items()))))


@lru_cache(maxsize=16)
def _cloud_png(words: tuple) -> bytes:
    """Draw a cloud once per set of word counts."""
    from analysis.cloud import render_cloud

    return render_cloud(dict(words))


def _png(data: bytes):
    """Answer PNG bytes, never cached."""
    return Response(data, mimetype="image/png", headers={"Cache-Control": "no-store"})


def _filters_or_400(session):
    """Return the request's report filters, or answer 400 with the reasons."""
    options = reports.load_options(session, codebook_store.current_codebook(session))
    try:
        return reports.parse_filters(request.args, options)
    except reports.FilterError as exc:
        message = "筛选条件有误：" + "；".join(exc.messages)
        abort(make_response(render_template("error.html", message=message), 400))


# -- exports --------------------------------------------------------------------


@bp.route("/reports/export.<kind>")
@roles_required("staff")
def export_tables(kind):
    """Send a filtered report's aggregate tables as CSV or XLSX."""
    if kind not in ("csv", "xlsx"):
        abort(404)
    session = get_session()
    codebook = codebook_store.current_codebook(session)
    options = reports.load_options(session, codebook)
    filters = _filters_or_400(session)
    report = reports.build(session, filters, options)
    describe = reports.describe(report.filters, options, report.versions)
    name = f"tongsheng-report-{report.filters.by}"
    if kind == "csv":
        rows = exports.table_rows(report, describe)
        return _csv(iter([rows]), f"{name}.csv")
    return _xlsx(exports.report_sheets(report, describe), f"{name}.xlsx")


@bp.route("/reports/answers.<kind>")
@roles_required("staff")
@audited(EXPORTED_ANSWERS, "report", page="answer export")
def export_answers(kind):
    """Send the masked answers in a report's scope, with themes and tasks."""
    if kind not in ("csv", "xlsx"):
        abort(404)
    session = get_session()
    filters, plan = reports.export_scope(session, _filters_or_400(session))
    if plan.refusal:
        log.info("Answer export refused to user %s", current_user.id)
        message = render_template("error.html", message=plan.refusal)
        abort(make_response(message, 400))

    query = reports.answer_query(filters)
    batches = exports.answer_batches(query, plan.with_survey)
    log.info("Answers exported as %s by user %s", kind, current_user.id)
    if kind == "csv":
        return _csv(batches, "tongsheng-answers.csv")
    rows = itertools.chain.from_iterable(batches)
    return _xlsx([("回答", rows)], "tongsheng-answers.xlsx")


def _csv(chunks, filename):
    """Stream CSV chunks as a download."""
    body = stream_with_context(exports.stream_csv(chunks))
    response = Response(body, mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def _xlsx(sheets, filename):
    """Write sheets to a temporary XLSX file and send it."""
    handle = exports.write_xlsx(sheets)
    response = send_file(
        handle, mimetype=XLSX, as_attachment=True, download_name=filename
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# -- launch reports ----------------------------------------------------------------


@bp.route("/reports/launches/<code>")
@roles_required("staff")
@audited(VIEWED_ANSWERS, "launch", "code", page="theme report")
def launch_report(code):
    """Show a launch's themes by frequency, a word cloud and safe quotes."""
    session = get_session()
    launch = find_launch(session, code) or abort(404)
    report = evidence.launch_report(session, launch.id, reports.load_published(session))
    return render_template(
        "analysis/launch_report.html",
        launch=launch,
        survey=session.get(Survey, launch.survey_id),
        township=session.get(Township, launch.township_code),
        report=report,
        threshold=THRESHOLD,
        version=codebook_store.current_codebook(session).version,
        recoding=codebook_store.recoding(session),
    )


@bp.route("/reports/launches/<code>/cloud.png")
@roles_required("staff")
@audited(VIEWED_ANSWERS, "launch", "code", page="word cloud")
def launch_cloud(code):
    """Return the word cloud of a launch's answers as a PNG."""
    session = get_session()
    launch = find_launch(session, code) or abort(404)
    texts = evidence.launch_texts(session, launch.id)
    if len(texts) < THRESHOLD:
        abort(404)
    words = word_frequencies(texts, min_answers=CLOUD_MIN_ANSWERS)
    return _png(_cloud_png(tuple(sorted(words.items()))))


# -- the codebook editor -------------------------------------------------------------


class KeywordForm(Form):
    theme = HiddenField(validators=[DataRequired(), Length(max=64)])
    base = HiddenField(validators=[DataRequired(), Length(max=16)])
    keyword = StringField("关键词", validators=[DataRequired(), Length(max=40)])


class RemoveKeywordForm(Form):
    theme = HiddenField(validators=[DataRequired(), Length(max=64)])
    base = HiddenField(validators=[DataRequired(), Length(max=16)])
    #: as stored, which may be longer than a keyword typed in the editor
    keyword = StringField("关键词", validators=[DataRequired(), Length(max=2000)])


class RestoreForm(Form):
    base = HiddenField(validators=[DataRequired(), Length(max=16)])
    version_id = IntegerField("版本", validators=[InputRequired()])


class TasksForm(Form):
    theme = HiddenField(validators=[DataRequired(), Length(max=64)])
    base = HiddenField(validators=[DataRequired(), Length(max=16)])
    tasks = StringField("任务编号", validators=[DataRequired(), Length(max=120)])


class ThemeForm(Form):
    base = HiddenField(validators=[DataRequired(), Length(max=16)])
    key = StringField("代号", validators=[DataRequired(), Length(max=41)])
    label = StringField("名称", validators=[DataRequired(), Length(max=100)])
    tasks = StringField("任务编号", validators=[DataRequired(), Length(max=120)])
    keywords = TextAreaField("关键词", validators=[DataRequired(), Length(max=2000)])


EDIT_FORMS = {
    "keyword": KeywordForm,
    "remove-keyword": RemoveKeywordForm,
    "tasks": TasksForm,
    "theme": ThemeForm,
}


@bp.route("/codebook")
@roles_required("staff")
def codebook():
    """List the current codebook's themes with forms to change them."""
    return _codebook_page()


def _codebook_page(error=None, status=200):
    """Render the codebook editor with an optional error and status."""
    session = get_session()
    text = codebook_store.current_text(session)
    page = render_template(
        "analysis/codebook.html",
        themes=codebook_store.themes_for_display(text),
        version=codebook_store.current_codebook(session).version,
        recoding=codebook_store.recoding(session),
        error=error,
        new_theme=ThemeForm(formdata=None),
    )
    return page, status


@bp.route("/codebook/<change>", methods=["POST"])
@roles_required("staff")
def change_codebook(change):
    """Save one change to the codebook as a new version and start re-coding."""
    form_class = EDIT_FORMS.get(change) or abort(404)
    form = form_class()
    if not form.validate():
        return _codebook_page(_form_errors(form), 400)

    fields = {k: v for k, v in form.data.items() if k not in ("base", "csrf_token")}
    session = get_session()
    try:
        version = codebook_store.edit(
            session, change, form.base.data, current_user.id, **fields
        )
    except codebook_store.EditConflict as exc:
        return _codebook_page(str(exc), 409)
    except codebook_store.EditError as exc:
        return _codebook_page(str(exc), 400)

    return _saved(version, "analysis.codebook")


def _saved(version, page: str, **detail):
    """Record a saved version, say so, and go back to the page it came from."""
    with session_scope() as audit:
        record(
            audit,
            CHANGED_CODEBOOK,
            "codebook",
            version.id,
            version=version.version,
            **detail,
        )
    flash(f"已保存为编码本版本 {version.version}，正在重新编码所有回答。")
    return codebook_store.kick_after(redirect(url_for(page), 303))


def _form_errors(form) -> str:
    """Return a form's errors as one message."""
    parts = []
    for field in form:
        for message in field.errors:
            label = field.label.text if field.type != "HiddenField" else field.name
            parts.append(f"{label}：{message}")
    return "；".join(parts) or "表单不完整。"


@bp.route("/codebook/history")
@roles_required("staff")
def codebook_history():
    """Show who changed the codebook, when, and the rows that changed."""
    return _history_page()


def _history_page(error=None, status=200):
    """Render the history with an optional error and status."""
    session = get_session()
    page = render_template(
        "analysis/codebook_history.html",
        entries=codebook_store.history(session),
        version=codebook_store.current_codebook(session).version,
        error=error,
    )
    return page, status


@bp.route("/codebook/restore", methods=["POST"])
@roles_required("staff")
def restore_codebook():
    """Save an earlier codebook version again as the newest, and start re-coding."""
    form = RestoreForm()
    if not form.validate():
        return _history_page(_form_errors(form), 400)

    session = get_session()
    try:
        version = codebook_store.restore(
            session, form.version_id.data, form.base.data, current_user.id
        )
    except codebook_store.EditConflict as exc:
        return _history_page(str(exc), 409)
    except codebook_store.EditError as exc:
        return _history_page(str(exc), 400)

    return _saved(version, "analysis.codebook_history", restored=form.version_id.data)
