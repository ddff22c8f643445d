"""Commands for surveys: launch from the shell and export responses."""

import csv
import os

import click
from flask.cli import AppGroup
from sqlmodel import select

from analysis.evidence import unflagged
from analysis.exports import neutralise
from core.audit import EXPORTED_ANSWERS, record
from core.db import session_scope
from participation.models import Township
from surveys import answer_import, editor_forms, operations, readability, xlsform
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


@surveys_cli.command("process")
def process_command():
    """Expand received responses into screened, themed answers; print how many.

    The app does this by itself in the background; this is for after a
    restart, or to be sure everything is done before a report or a backup.
    """
    with session_scope() as session:
        done = operations.process_all(session)
        left = len(operations.pending_ids(session, limit=1000))
    click.echo(f"processed {done} responses; {left} still pending")
    if left:
        raise SystemExit(1)


@surveys_cli.command("export")
@click.option("--launch", "code", required=True, help="The launch's join code.")
@click.option("--output", required=True, type=click.Path(dir_okay=False))
def export_command(code, output):
    """Write one row per response, the response id as a column, as CSV."""
    output = os.fspath(output)
    if not output.lower().endswith(".csv"):
        raise click.ClickException(
            f"{output}: the export is a CSV file; give a name ending in .csv"
        )
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
        try:
            with open(output, "w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                header = ["response_id", "band", "township", "submitted_at", *keys]
                writer.writerow(header)
                for response in responses:
                    writer.writerow(_row(session, response, keys))
        except OSError as exc:
            raise click.ClickException(f"{output}: {exc.strerror}") from None
        record(
            session, EXPORTED_ANSWERS, "launch", launch.code, responses=len(responses)
        )
        click.echo(f"{len(responses)} responses written to {output}")


def _row(session, response, keys):
    """Return one response's cells; answers flagged for safeguarding stay out."""
    answers = {
        a.question_key: a
        for a in session.exec(
            select(Answer).where(Answer.response_id == response.id, unflagged())
        )
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


# ---------- authoring: check, XLSForm import and export, answer import ----------


@surveys_cli.command("check")
@click.argument("key")
def check_command(key):
    """Print KEY's format problems, advice and readability findings per band."""
    with session_scope() as session:
        spec = _authored(session, key).spec
    errors, advice = editor_forms.check_spec(spec)
    findings = readability.survey_findings(spec)
    for error in errors:
        click.echo(f"error   {error}")
    for item in advice:
        click.echo(f"advice  {item}")
    for band, found in findings.items():
        for finding in found:
            click.echo(f"{band:<7} {finding.where}: {finding.message}")
    counts = ", ".join(f"{band} {len(found)}" for band, found in findings.items())
    click.echo(f"{len(errors)} errors, {len(advice)} advice, findings: {counts}")
    if errors:
        raise SystemExit(1)


@surveys_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--key", help="The new survey's key (default: the form_id setting).")
@click.option("--stage", type=click.Choice(editor_forms.STAGES), help="Its stage.")
@click.option(
    "--bands",
    default=",".join(xlsform.DEFAULT_BANDS),
    show_default=True,
    help="The age bands that get the form's one wording.",
)
def import_command(path, key, stage, bands):
    """Create a survey from the XLSForm workbook PATH (.xlsx)."""
    try:
        imported = xlsform.read_form(path, key=key, stage=stage, bands=_bands(bands))
    except xlsform.XLSFormError as exc:
        raise click.ClickException(str(exc)) from None
    for warning in imported.warnings:
        click.echo(f"warning: {warning}")

    spec = imported.spec
    with session_scope() as session:
        try:
            editor_forms.create_survey(session, spec)
        except editor_forms.SpecError as exc:
            raise click.ClickException("; ".join(exc.errors)) from None
    for item in editor_forms.check_spec(spec)[1]:
        click.echo(f"advice: {item}")
    count = len(spec["questions"])
    click.echo(
        f"survey {spec['key']} imported: {count} question{'s' * (count != 1)}, "
        f"one wording for {bands}; add wording for other age bands in the editor "
        f"(/surveys/{spec['key']}/)"
    )


def _bands(text):
    """Return the age bands of a comma-separated list, in band order."""
    wanted = {part.strip() for part in text.split(",") if part.strip()}
    unknown = wanted - set(BANDS)
    if unknown or not wanted:
        raise click.BadParameter(
            f"use bands from {', '.join(BANDS)}", param_hint="--bands"
        )
    return tuple(band for band in BANDS if band in wanted)


@surveys_cli.command("export-form")
@click.argument("key")
@click.option("--output", required=True, type=click.Path(dir_okay=False))
def export_form_command(key, output):
    """Write survey KEY as an XLSForm workbook that `surveys import` reads back."""
    with session_scope() as session:
        survey = _authored(session, key)
        xlsform.write_form(survey.spec, output, version=survey.version)
    click.echo(f"survey {key} written to {output}")


@surveys_cli.command("import-answers")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--survey", "survey_key", required=True, help="The survey's key.")
@click.option("--band", required=True, type=click.Choice(BANDS))
@click.option("--place", required=True, help="Township name or code, e.g. 乐成街道.")
@click.option(
    "--map",
    "mappings",
    multiple=True,
    help="COLUMN=KEY: the column (letter, question number or header) feeds "
    "question KEY; KEY - leaves the column out. Repeatable.",
)
@click.option("--yes", is_flag=True, help="Import without asking to confirm.")
def import_answers_command(path, survey_key, band, place, mappings, yes):
    """Store the rows of an answer file (CSV or XLSX) as responses."""
    with session_scope() as session:
        survey = _authored(session, survey_key)
        township = _place(session, place)
        try:
            table = answer_import.read_table(path)
            overrides = answer_import.parse_overrides(mappings)
            columns = answer_import.propose_mapping(table, survey.spec, band, overrides)
        except answer_import.AnswerImportError as exc:
            raise click.ClickException(str(exc)) from None
        _echo_mapping(columns)
        if not yes:
            click.confirm("Import with this mapping?", abort=True)

        result = answer_import.convert(table, columns, survey.spec, band)
        _echo_problems(result)
        try:
            fresh = answer_import.store(
                session, table, survey, band, township.code, result
            )
        except answer_import.AnswerImportError as exc:
            raise click.ClickException(f"{table.name}: {exc}") from None
        answer_import.analyse(session, fresh)
    click.echo(
        f"{result.stored} responses stored, {result.already} imported before, "
        f"{result.empty_rows} empty rows left out (launch {result.launch_code})"
    )


def _echo_mapping(columns):
    """Print which question each column feeds."""
    click.echo("column  header → question")
    for column in columns:
        target = column.key or "(not imported)"
        how = f"  [{column.how}]" if column.how else ""
        click.echo(f"{column.letter:>6}  {column.header[:40]} → {target}{how}")


def _echo_problems(result):
    """Print the warnings and up to 50 problems of a checked answer file."""
    for warning in result.warnings:
        click.echo(f"warning: {warning}")
    for problem in result.problems[:50]:
        click.echo(f"problem: {problem}")
    if len(result.problems) > 50:
        click.echo(f"… and {len(result.problems) - 50} more problems")


def _authored(session, key):
    """Return the survey with key, or stop with a message."""
    survey = session.exec(select(Survey).where(Survey.key == key)).first()
    if survey is None:
        raise click.ClickException(f"no survey {key!r}")
    return survey


def _place(session, place):
    """Return the township named or coded place, or stop with a message."""
    township = session.exec(
        select(Township).where((Township.name == place) | (Township.code == place))
    ).first()
    if township is None:
        raise click.ClickException(f"no township {place!r}; see data/townships.csv")
    return township
