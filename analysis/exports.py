"""Report exports that open correctly in Excel: CSV with a BOM, and XLSX.

Every text cell goes through `neutralise`, so a child's answer that starts
like a formula stays text. Answer exports read the database in batches and
never hold the whole table: CSV is streamed chunk by chunk, XLSX is written by
openpyxl's write-only mode into a temporary file that is then sent. What an
answer export may hold is decided in analysis.answer_export.
"""

import csv
import io
import logging
import tempfile
from collections.abc import Iterable, Iterator

from analysis.text import visible

log = logging.getLogger(__name__)

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: answers read from the database at a time
BATCH = 500
SURVEY_COLUMNS = ("问卷", "问题")
ANSWER_COLUMNS = ("回答（个人信息已替换）", "主题", "行动任务", "编码本版本")
LEGEND = (
    "<10：少于 10 名孩子；×：为防止从合计推算而隐去；"
    "—：不细分到这么细（这一行不到 10 名孩子，或细分后能推算出隐去的数字）"
)


def neutralise(text):
    """Keep a spreadsheet from running a cell as a formula, or refusing it.

    Control and invisible characters are dropped (text.visible): Excel cannot
    hold control characters, and neither carries anything a reader needs.
    """
    if not isinstance(text, str):
        return text
    text = visible(text)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def stream_csv(chunks: Iterable[list[list]]) -> Iterator[str]:
    """Yield a BOM, then one CSV text chunk per batch of rows."""
    yield BOM
    for rows in chunks:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows([neutralise(cell) for cell in row] for row in rows)
        yield buffer.getvalue()


def table_rows(report, describe: list[tuple[str, str]]) -> list[list]:
    """Return a report's aggregate tables as rows: a heading, then each table."""
    rows = _about(report, describe)
    for table in report.tables:
        rows += [[], [table.title], table.header(), *table.body()]
    return rows


def write_xlsx(sheets: Iterable[tuple[str, Iterable[list]]]):
    """Write sheets of rows in write-only mode to a temporary file; return it open.

    The file is positioned at its start and removed once closed.
    """
    # returned open: the response closes it once sent
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    save_sheets(handle, sheets)
    handle.seek(0)
    return handle


def save_sheets(target, sheets: Iterable[tuple[str, Iterable[list]]], cell=neutralise):
    """Write sheets of rows, each cell through `cell`, to a path or open file."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        for row in rows:
            sheet.append([cell(value) for value in row])
    workbook.save(target)


def report_sheets(report, describe: list[tuple[str, str]]):
    """Return a report's tables as (sheet title, rows), a description sheet first."""
    sheets = [("说明", _about(report, describe))]
    for number, table in enumerate(report.tables, start=1):
        rows = [[table.title], table.header(), *table.body()]
        sheets.append((f"{number} {table.corner}", rows))
    return sheets


def _about(report, describe: list[tuple[str, str]]) -> list[list]:
    """Return what an aggregate export covers: filters, legend, the page's notices."""
    rows = [[label, value] for label, value in describe]
    rows.append(["说明", LEGEND])
    rows += [["提示", notice] for notice in report.notices]
    return rows


def answer_batches(query_for, with_survey=False, batch=None) -> Iterator[list[list]]:
    """Yield masked answers in scope with themes and tasks, one batch at a time.

    `query_for(last, size)` returns the select of the next batch of answers
    after `last`, the (masked text, id) of the last one sent; the caller builds
    it from the report filters. The survey and question columns come first if
    `with_survey`. The session is taken when reading starts, so a streamed
    response reads on the session its own (re-entered) request context closes.
    """
    from analysis.models import AnswerTask, AnswerTheme
    from core.db import get_session

    size = batch or BATCH
    last, sent = None, 0
    yield [[*(SURVEY_COLUMNS if with_survey else ()), *ANSWER_COLUMNS]]
    session = get_session()
    while True:
        rows = session.exec(query_for(last, size)).all()
        if not rows:
            break
        ids = [row[0] for row in rows]
        themes = _grouped(
            session,
            AnswerTheme.answer_id,
            (AnswerTheme.label, AnswerTheme.codebook_version),
            ids,
        )
        tasks = _grouped(session, AnswerTask.answer_id, (AnswerTask.task_number,), ids)
        yield [_answer_line(row, themes, tasks, with_survey) for row in rows]
        last, sent = (rows[-1][1], rows[-1][0]), sent + len(rows)
    log.info("Answer export read %s answers", sent)


def _grouped(session, key_column, columns, ids) -> dict:
    """Return key -> [values] of columns for the rows whose key is in ids."""
    from sqlmodel import select

    found = {}
    for key, *values in session.exec(
        select(key_column, *columns).where(key_column.in_(ids))
    ):
        found.setdefault(key, []).append(tuple(values))
    return found


def _answer_line(row, themes, tasks, with_survey) -> list:
    """Return one answer as an export row: no id, place, band, gender or month."""
    answer_id, masked, survey, question = row
    hits = themes.get(answer_id, [])
    return [
        *((survey, question) if with_survey else ()),
        masked,
        ";".join(label for label, _ in hits),
        ";".join(str(n) for (n,) in sorted(tasks.get(answer_id, []))),
        ";".join(sorted({version for _, version in hits})),
    ]
