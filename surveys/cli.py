"""Commands for surveys: launch from the shell and export responses."""

import csv

import click
from flask.cli import AppGroup
from sqlmodel import select

from core.db import session_scope
from participation.models import Township
from surveys import operations
from surveys.models import BANDS, Answer, Response, Survey

surveys_cli = AppGroup("surveys", help="Launch surveys and export responses.")


@surveys_cli.command("launch")
@click.argument("template_key")
@click.option("--band", required=True, type=click.Choice(BANDS))
@click.option("--place", required=True, help="Township name or code, e.g. 乐成街道.")
def launch_command(template_key, band, place):
    """Open TEMPLATE_KEY for one band and township and print the join code."""
    with session_scope() as session:
        survey = session.exec(select(Survey).where(Survey.key == template_key)).first()
        if survey is None:
            raise click.ClickException(f"no survey template {template_key!r}")
        township = session.exec(
            select(Township).where((Township.name == place) | (Township.code == place))
        ).first()
        if township is None:
            raise click.ClickException(f"no township {place!r}; see data/townships.csv")

        launch = operations.create_launch(session, survey, band, township.code)
        click.echo(launch.code)


@surveys_cli.command("export")
@click.option("--launch", "code", required=True, help="The launch's join code.")
@click.option("--output", required=True, type=click.Path(dir_okay=False))
def export_command(code, output):
    """Write one row per response, the response id as a column."""
    with session_scope() as session:
        launch = operations.find_launch(session, code)
        if launch is None:
            raise click.ClickException(f"no launch with code {code!r}")
        survey = session.get(Survey, launch.survey_id)
        keys = [q["key"] for q in survey.spec["questions"] if not q.get("practice")]
        responses = session.exec(
            select(Response)
            .where(Response.launch_id == launch.id)
            .order_by(Response.submitted_at, Response.id)
        ).all()
        with open(output, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["response_id", "band", "township", "submitted_at", *keys])
            for response in responses:
                writer.writerow(_row(session, response, keys))
        click.echo(f"{len(responses)} responses written to {output}")


def _row(session, response, keys):
    answers = {
        a.question_key: a
        for a in session.exec(select(Answer).where(Answer.response_id == response.id))
    }
    cells = [_cell(answers.get(key)) for key in keys]
    return [
        response.id,
        response.band,
        response.township_code,
        response.submitted_at.isoformat(timespec="seconds"),
        *cells,
    ]


def _cell(answer):
    if answer is None:
        return ""
    if answer.skipped:
        return "(不想回答)"
    if answer.text is not None:
        return neutralise(answer.masked or answer.text)
    if isinstance(answer.value, list):
        return ";".join(answer.value)
    return answer.value


def neutralise(text):
    """Keep a spreadsheet from running a cell as a formula."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text
