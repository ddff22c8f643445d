"""Exports open in Excel with Chinese intact, never run a formula, and stream."""

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import event
from sqlmodel import select

from analysis import exports
from tests.test_reports_data import (
    LIBRARY,
    PARK,
    SECRET,
    add_children,
    flag,
    use_test_codebook,
)

FORMULA = "=1+1 希望多一些公园"
MINUS = "-我想要更多的公园"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+8613800000000", "'+8613800000000"),
        ("-5 公园", "'-5 公园"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("公园=好", "公园=好"),
        ("红\x01绿\x1b[31m灯\x7f", "红绿[31m灯"),
        ("\x07=1", "'=1"),
        ("第一行\n第二行", "第一行\n第二行"),
        ("", ""),
        (None, None),
        (12, 12),
    ],
)
def test_neutralise_prefixes_formula_starts(value, expected):
    assert exports.neutralise(value) == expected


def test_a_workbook_takes_text_with_control_characters():
    from openpyxl import load_workbook

    with exports.write_xlsx([("答案", [["红绿灯\x01\x1b要多"]])]) as handle:
        sheet = load_workbook(handle).active

    assert sheet["A1"].value == "红绿灯要多"


def test_survey_export_uses_the_shared_neutralise():
    from surveys import cli

    assert cli.neutralise is exports.neutralise


@pytest.fixture
def answered(session, make_launch):
    use_test_codebook(session)
    launch = make_launch(band="9-11", township="lecheng")
    add_children(session, launch, 11, PARK, gender="f")
    add_children(session, launch, 1, FORMULA)
    add_children(session, launch, 1, MINUS)
    add_children(session, make_launch(band="12-14", township="liushi"), 12, LIBRARY)
    add_children(session, make_launch(band="6-8", township="liushi"), 3, LIBRARY)
    secret = add_children(session, launch, 1, SECRET)[0]
    flag(session, secret)
    return launch


def exports_mimetype():
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_rows(data: bytes):
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_answer_csv_has_a_bom_chinese_and_no_formulas(client, answered, login):
    login("staff")

    page = client.get("/reports/answers.csv")

    assert page.status_code == 200
    assert page.mimetype == "text/csv"
    assert "attachment" in page.headers["Content-Disposition"]
    rows = _csv_rows(page.data)
    header, body = rows[0], rows[1:]
    assert header == [*exports.SURVEY_COLUMNS, *exports.ANSWER_COLUMNS]
    texts = [row[header.index("回答（个人信息已替换）")] for row in body]
    assert len(body) == 28
    assert "'" + FORMULA in texts and "'" + MINUS in texts
    assert not any(text.startswith(("=", "+", "-", "@")) for text in texts)
    assert SECRET not in texts
    park = body[texts.index(PARK)]
    assert park[header.index("主题")] == "公园和广场"
    assert park[header.index("行动任务")] == "18"
    assert park[header.index("问卷")] == "童声：说说你想要的乐清"


def test_answer_list_says_nothing_of_who_where_or_when(client, answered, login):
    login("staff")

    rows = _csv_rows(client.get("/reports/answers.csv").data)

    # liushi 6-8 is a group of 3: no column, id or order may single it out
    header, body = rows[0], rows[1:]
    for column in ("回答编号", "年龄段", "乡镇（街道）", "性别", "月份"):
        assert column not in header
    texts = [row[header.index("回答（个人信息已替换）")] for row in body]
    assert texts == sorted(texts)
    assert "柳市镇" not in str(rows) and "6-8" not in str(rows)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("band=6-8", "范围内不到 10 名孩子，不能导出回答明细"),
        ("township=liushi", "按乡镇（街道）× 年龄段交叉后有的格子不到 10 名孩子"),
        # a survey or a month narrows by who answered where and when
        ("survey=needs", "按乡镇（街道）× 年龄段交叉后有的格子不到 10 名孩子"),
        ("start=2025-01", "按乡镇（街道）× 年龄段交叉后有的格子不到 10 名孩子"),
    ],
)
def test_a_list_that_would_single_out_a_small_group_is_refused(
    client, answered, login, session, query, message
):
    from core.audit import EXPORTED_ANSWERS, AuditEvent

    login("staff")

    csv_page = client.get(f"/reports/answers.csv?{query}")
    xlsx_page = client.get(f"/reports/answers.xlsx?{query}")
    report = client.get(f"/reports/?{query}").get_data(as_text=True)

    assert (csv_page.status_code, xlsx_page.status_code) == (400, 400)
    assert message in csv_page.get_data(as_text=True)
    assert "回答明细 CSV" not in report
    assert (
        session.exec(
            select(AuditEvent).where(AuditEvent.action == EXPORTED_ANSWERS)
        ).all()
        == []
    )


@pytest.mark.parametrize(
    ("query", "answers"),
    [
        # every township × band group in scope has 10 or more children
        ("township=lecheng", 13),
        # a theme narrows by what was said, not by who said it
        ("theme=library", 15),
        # the page drops the gender filter (lecheng has 2 children of no gender)
        ("township=lecheng&gender=f", 13),
    ],
)
def test_a_list_is_given_where_no_small_group_can_be_singled_out(
    client, answered, login, query, answers
):
    login("staff")

    page = client.get(f"/reports/answers.csv?{query}")

    assert page.status_code == 200
    assert len(_csv_rows(page.data)) == answers + 1


def test_survey_columns_only_where_every_survey_has_ten(
    client, answered, login, make_launch, session
):
    add_children(session, make_launch(key="consult", band="9-11"), 2, PARK)
    login("staff")

    header = _csv_rows(client.get("/reports/answers.csv").data)[0]

    # the consult survey's two children would be the only rows naming it
    assert "问卷" not in header and "问题" not in header
    assert header == list(exports.ANSWER_COLUMNS)


def test_answer_xlsx_reads_back_as_text(client, answered, login, tmp_path):
    login("staff")

    with client.get("/reports/answers.xlsx?township=lecheng") as page:
        assert page.status_code == 200
        assert page.mimetype == exports_mimetype()
        data = page.data
    path = tmp_path / "answers.xlsx"
    path.write_bytes(data)
    sheet = load_workbook(path)["回答"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("回答（个人信息已替换）") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    values = [cell.value for cell in cells]
    assert len(values) == 13
    assert PARK in values
    assert "'" + FORMULA in values and "'" + MINUS in values
    assert all(cell.data_type == "s" for cell in cells)
    assert SECRET not in values


def test_aggregate_csv_holds_the_protected_tables(client, answered, login):
    login("staff")

    rows = _csv_rows(client.get("/reports/export.csv?by=band").data)

    flat = [cell for row in rows for cell in row]
    assert rows[0] == ["报告", "童声主题报告 · 按年龄段"]
    assert "回答的孩子：乡镇（街道）× 年龄段" in flat
    assert "乐成街道" in flat and "<10" in flat
    assert SECRET not in flat


def test_aggregate_xlsx_has_a_sheet_per_table(client, answered, login, tmp_path):
    login("staff")

    with client.get("/reports/export.xlsx?by=township") as page:
        data = page.data
    path = tmp_path / "report.xlsx"
    path.write_bytes(data)
    book = load_workbook(path)
    assert book.sheetnames[0] == "说明"
    assert book["说明"]["A1"].value == "报告"
    who = next(name for name in book.sheetnames if "乡镇" in name)
    values = [c.value for row in book[who].iter_rows() for c in row]
    assert "乐成街道" in values and "柳市镇" in values


def test_answer_csv_streams_in_batches(app, client, answered, login, monkeypatch):
    login("staff")
    monkeypatch.setattr(exports, "BATCH", 5)
    batches = []

    def count(_conn, _cursor, statement, *_args):
        if "ORDER BY answer.masked" in statement and "LIMIT" in statement:
            batches.append(statement)

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get("/reports/answers.csv")
        assert page.is_streamed
        chunks = iter(page.response)
        first = [next(chunks), next(chunks), next(chunks)]
        read_early = len(batches)
        rest = list(chunks)
        page.close()
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert first[0] == b"\xef\xbb\xbf"
    assert read_early == 1
    assert len(batches) == 7
    lines = b"".join(first + rest).decode("utf-8-sig").splitlines()
    assert len(lines) == 29
