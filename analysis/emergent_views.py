"""The staff page of candidate new themes: answers no task took, grouped by words."""

import logging

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from analysis import codebook_store, emergent_ops
from analysis.disclosure import HIDDEN, THRESHOLD
from core.audit import VIEWED_ANSWERS, audited, record
from core.auth import roles_required
from core.db import get_session, session_scope
from core.forms import Form

log = logging.getLogger(__name__)

bp = Blueprint("emergent", __name__, url_prefix="/reports/emergent")
KEY = Regexp(r"^[0-9a-f]{10}$", message="候选主题的编号不对，请刷新页面。")


class DiscardForm(Form):
    candidate = HiddenField(validators=[DataRequired(), KEY])


class NameForm(DiscardForm):
    base = HiddenField(validators=[DataRequired(), Length(max=16)])
    label = StringField("名称", validators=[DataRequired(), Length(max=100)])
    tasks = StringField("任务编号", validators=[DataRequired(), Length(max=120)])


@bp.route("")
@roles_required("staff")
@audited(VIEWED_ANSWERS, "report", page="emergent themes")
def candidates():
    """List candidate new themes with their words, children and quotes."""
    session = get_session()
    page = _page(session)
    return codebook_store.kick_after(make_response(page), session)


def _page(session, error=None, status=200):
    """Render the candidates, with an optional error and status.

    An error page shows the quotes too, so it is recorded like a view.
    """
    if error is not None:
        with session_scope() as other:
            record(other, VIEWED_ANSWERS, "report", page="emergent themes")
    page = render_template(
        "analysis/emergent.html",
        listing=emergent_ops.listing(session),
        decisions=emergent_ops.recent_decisions(session),
        version=codebook_store.current_codebook(session).version,
        recoding=codebook_store.recoding(session),
        error=error,
        threshold=THRESHOLD,
        hidden=HIDDEN,
    )
    return page, status


@bp.route("/name", methods=["POST"])
@roles_required("staff")
def name():
    """Make a candidate a codebook theme of the tasks given; start re-coding."""
    form = NameForm()
    session = get_session()
    if not form.validate():
        return _page(session, _form_errors(form), 400)

    try:
        version = emergent_ops.name(
            session,
            form.candidate.data,
            form.label.data,
            form.tasks.data,
            form.base.data,
            current_user.id,
        )
    except codebook_store.EditConflict as exc:
        return _page(session, str(exc), 409)
    except emergent_ops.CandidateGone as exc:
        return _page(session, str(exc), 409)
    except codebook_store.EditError as exc:
        return _page(session, str(exc), 400)

    flash(
        f"已新增主题“{form.label.data.strip()}”，编码本版本 {version.version}，"
        "正在重新编码所有回答。"
    )
    response = redirect(url_for("emergent.candidates"), 303)
    return codebook_store.kick_after(response)


@bp.route("/discard", methods=["POST"])
@roles_required("staff")
def discard():
    """Set a candidate aside for good."""
    form = DiscardForm()
    session = get_session()
    if not form.validate():
        return _page(session, _form_errors(form), 400)

    try:
        emergent_ops.discard(session, form.candidate.data, current_user.id)
    except emergent_ops.CandidateGone as exc:
        return _page(session, str(exc), 409)

    flash("已放弃这个候选主题，以后不再显示。")
    return redirect(url_for("emergent.candidates"), 303)


def _form_errors(form) -> str:
    """Return a form's errors as one message, hidden fields by their message only."""
    parts = []
    for field in form:
        for message in field.errors:
            label = field.label.text if field.type != "HiddenField" else ""
            parts.append(f"{label}：{message}" if label else message)
    return "；".join(parts) or "表单不完整。"
