"""Theme reports for staff."""

from flask import Blueprint, Response, abort, render_template

from analysis import evidence
from analysis.disclosure import THRESHOLD
from analysis.words import word_frequencies
from core.auth import roles_required
from core.db import get_session
from participation.models import Township
from surveys.models import Survey
from surveys.operations import find_launch

bp = Blueprint("analysis", __name__, url_prefix="/reports")


@bp.route("/launches/<code>")
@roles_required("staff")
def launch_report(code):
    """Show a launch's themes by frequency, a word cloud and safe quotes."""
    session = get_session()
    launch = find_launch(session, code) or abort(404)
    report = evidence.launch_report(session, launch.id)
    return render_template(
        "analysis/launch_report.html",
        launch=launch,
        survey=session.get(Survey, launch.survey_id),
        township=session.get(Township, launch.township_code),
        report=report,
        show_cloud=report["answers"] >= THRESHOLD,
        threshold=THRESHOLD,
    )


@bp.route("/launches/<code>/cloud.png")
@roles_required("staff")
def launch_cloud(code):
    """Return the word cloud of a launch's answers as a PNG."""
    from analysis.cloud import render_cloud

    session = get_session()
    launch = find_launch(session, code) or abort(404)
    texts = evidence.launch_texts(session, launch.id)
    if len(texts) < THRESHOLD:
        abort(404)
    png = render_cloud(word_frequencies(texts))
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})
