"""Commands for analysis: classify a file of answers, fit the model, re-code."""

import io
import os
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from analysis import classify as classifier
from analysis import learned, tables
from core.db import session_scope

SOURCES = {
    "database": "the newest version saved on the site",
    "file": "data/codebook.csv (the database holds no version saved on the site)",
    "unset": "data/codebook.csv (the database is not set up)",
}

analysis_cli = AppGroup("analysis", help="Theme children's answers.")


@analysis_cli.command("classify")
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="A CSV or TSV file, or - for standard input.",
)
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="A .csv, .tsv or .xlsx file, or - for standard output.",
)
def classify_command(input_path, output_path):
    """Write themes and plan task numbers for each answer in a CSV or TSV file."""
    _check_output(input_path, output_path)
    try:
        data = sys.stdin.buffer.read() if input_path == "-" else None
        rows = tables.read_answers(input_path, data)
    except tables.InputError as exc:
        raise click.ClickException(f"{input_path}: {exc}") from None
    except OSError as exc:
        raise click.ClickException(f"{input_path}: {exc.strerror}") from None

    out = _coded(rows, _codebook())
    _write(output_path, out)
    where = "standard output" if output_path == "-" else output_path
    click.echo(f"{len(out)} answers classified into {where}", err=True)


def _check_output(input_path: str, output_path: str):
    """Refuse an output that would not be what its name says, or the input."""
    if output_path == "-":
        return
    if Path(output_path).suffix.lower() not in tables.OUTPUT_SUFFIXES:
        raise click.ClickException(
            f"{output_path}: the output is written as CSV, TSV or XLSX; name it "
            f"with one of the endings {', '.join(tables.OUTPUT_SUFFIXES)}, or use "
            "- for standard output."
        )
    if input_path != "-" and _same_file(input_path, output_path):
        raise click.ClickException(
            f"{output_path}: --input and --output are the same file; write the "
            "output to another file so that the answers are kept."
        )


def _write(output_path: str, rows: list[dict]):
    """Write the coded rows to a file, or to standard output for `-`."""
    if output_path == "-":
        buffer = io.StringIO()
        tables.write_csv(buffer, rows)
        # bytes, so that the table is UTF-8 whatever the terminal's encoding
        click.echo(buffer.getvalue().encode(), nl=False)
        return
    try:
        tables.write_classified(output_path, rows)
    except OSError as exc:
        raise click.ClickException(f"{output_path}: {exc.strerror}") from None


def _coded(rows: list[dict], codebook) -> list[dict]:
    """Return each row's id with the themes and plan tasks of its text."""
    results = classifier.classify_many((row["text"] for row in rows), codebook)
    return [
        {
            "id": row["id"],
            "themes": ";".join(hit.theme for hit in hits),
            "tasks": ";".join(str(n) for n in classifier.tasks_for(hits)),
        }
        for row, hits in zip(rows, results, strict=True)
    ]


def _codebook():
    """Return the codebook the site codes with, saying on stderr which it is."""
    from analysis import codebook_store

    try:
        codebook, where = codebook_store.configured_codebook()
    except SQLAlchemyError as exc:
        raise click.ClickException(
            "the configured database (DATABASE_URL) cannot be read "
            f"({type(exc).__name__}), so the codebook edited on the site cannot "
            "be looked up. Start the database, or point DATABASE_URL at one."
        ) from None
    click.echo(f"codebook version {codebook.version}: {SOURCES[where]}", err=True)
    return codebook


def _same_file(first, second) -> bool:
    """Tell whether two paths name one file, through links and dots."""
    if Path(first).resolve() == Path(second).resolve():
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


@analysis_cli.command("learn")
@click.option(
    "--training",
    "folder",
    default=str(learned.TRAINING_DIR),
    show_default=True,
    type=click.Path(file_okay=False, exists=True),
    help="A folder of hand-coded answers (CSV: id,age,text,tasks,also).",
)
@click.option(
    "--output",
    "output_path",
    default=str(learned.MODEL_PATH),
    show_default=True,
    type=click.Path(dir_okay=False),
)
def learn_command(folder, output_path):
    """Fit the model that weighs the codebook's themes on hand-coded answers."""
    paths = sorted(Path(folder).glob("*.csv"))
    try:
        coded = learned.read_coded(paths)
        model = learned.fit(coded, classifier.featurise, classifier.default_codebook())
    except learned.TrainingError as exc:
        raise click.ClickException(str(exc)) from None
    except ImportError:
        raise click.ClickException(
            "fitting needs scikit-learn: pip install -e '.[learn]'"
        ) from None

    learned.save_model(model, Path(output_path))
    click.echo(
        f"model {model.version}: {len(coded)} answers from {len(paths)} files, "
        f"{len(model.names)} features, written to {output_path}"
    )


@analysis_cli.command("recode")
@click.option("--pending", is_flag=True, help="Only run jobs codebook edits queued.")
def recode_command(pending):
    """Screen and code every stored open answer with the current codebook."""
    from analysis import codebook_store

    if not pending:
        with session_scope() as session:
            codebook_store.queue_recode(session)
    ran = codebook_store.run_pending()
    click.echo(f"{ran} re-coding jobs run")
