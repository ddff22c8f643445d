"""Reading answer tables staff bring in and writing the classified tables."""

import csv

import pytest

from analysis.classify import classify_many, tasks_for
from analysis.tables import InputError, read_answers, write_classified

ANSWERS = [
    ("a1", "学校门口没有红绿灯", "9"),
    ("a2", "不知道", "7"),
    ("a3", "作业太多，还想要更多篮球场", "12"),
]


def _write(tmp_path, name, content, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return path


def test_csv_with_extra_columns_is_read_in_order(tmp_path):
    lines = ["id,text,age"] + [",".join(row) for row in ANSWERS]
    path = _write(tmp_path, "in.csv", "\n".join(lines) + "\n")

    rows = read_answers(path)

    assert [row["id"] for row in rows] == ["a1", "a2", "a3"]
    assert rows[2] == {"id": "a3", "text": "作业太多，还想要更多篮球场", "age": "12"}


def test_tab_separated_file_is_read(tmp_path):
    lines = ["id\ttext\tage_or_grade\tcity"]
    lines += ["r1\t校门口太堵啦!\t四年级\t某市", "r2\t我建议多种树,少用塑料袋\t\t"]
    path = _write(tmp_path, "voices.tsv", "\n".join(lines) + "\n")

    rows = read_answers(path)

    assert [row["text"] for row in rows] == ["校门口太堵啦!", "我建议多种树,少用塑料袋"]
    assert rows[1]["city"] == ""


def test_tabs_are_found_in_a_file_named_csv(tmp_path):
    path = _write(tmp_path, "export.csv", "ID\tText\nx\t公园里没有秋千\n")

    assert read_answers(path) == [{"id": "x", "text": "公园里没有秋千"}]


def test_bom_and_quoted_line_breaks_are_read(tmp_path):
    content = 'id,text\r\n1,"第一行\n第二行"\r\n2,"有逗号, 也没关系"\r\n'
    path = _write(tmp_path, "excel.csv", content, encoding="utf-8-sig")

    rows = read_answers(path)

    assert rows == [
        {"id": "1", "text": "第一行\n第二行"},
        {"id": "2", "text": "有逗号, 也没关系"},
    ]


def test_blank_lines_are_skipped(tmp_path):
    path = _write(tmp_path, "in.csv", "id,text\n\n1,作业太多\n,\n")

    assert read_answers(path) == [{"id": "1", "text": "作业太多"}]


def test_non_utf8_file_is_refused_with_the_byte_and_line(tmp_path):
    content = "id,text\n1,作业太多\n".encode("gbk")
    path = _write(tmp_path, "gbk.csv", content)

    with pytest.raises(InputError) as error:
        read_answers(path)

    message = str(error.value)
    assert "not UTF-8" in message
    assert "offset 10" in message and "line 2" in message
    assert "GBK" in message


def test_missing_column_is_named_with_the_header_found(tmp_path):
    path = _write(tmp_path, "in.csv", "编号,answer\n1,作业太多\n")

    with pytest.raises(InputError) as error:
        read_answers(path)

    message = str(error.value)
    assert "missing column id and text" in message
    assert "编号, answer" in message


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b" \n\n "])
def test_empty_file_is_refused(tmp_path, content):
    path = _write(tmp_path, "empty.csv", content)

    with pytest.raises(InputError, match="empty"):
        read_answers(path)


def test_classified_rows_are_written_in_input_order_with_a_bom(tmp_path):
    path = _write(
        tmp_path, "in.csv", "id,text\n" + "".join(f"{i},{t}\n" for i, t, _ in ANSWERS)
    )
    rows = read_answers(path)
    results = classify_many(row["text"] for row in rows)
    out = tmp_path / "out.csv"

    count = write_classified(
        out,
        (
            {
                "id": row["id"],
                "themes": [h.theme for h in hits],
                "tasks": tasks_for(hits),
            }
            for row, hits in zip(rows, results, strict=True)
        ),
    )

    assert count == 3
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [row["id"] for row in written] == ["a1", "a2", "a3"]
    assert written[0]["tasks"] == ";".join(map(str, tasks_for(results[0])))
    assert "20" in written[0]["tasks"].split(";")
    assert written[1] == {"id": "a2", "themes": "", "tasks": ""}
    assert {"7", "14"} <= set(written[2]["tasks"].split(";"))
    assert all(";" not in key for row in written for key in row)


def test_written_cells_accept_strings_and_sets(tmp_path):
    out = tmp_path / "out.csv"

    write_classified(out, [{"id": "1", "themes": "a;b", "tasks": {26, 20}}])

    assert out.read_text(encoding="utf-8-sig").splitlines() == [
        "id,themes,tasks",
        "1,a;b,20;26",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "id,text\n1,作业太多,我还想要一个公园\n",
            ["line 2 has 3 fields but the header has 2", "double quotes"],
        ),
        (
            "id,text\n1,作业太多\n2,公园,,秋千\n",
            ["line 3 has 4 fields but the header has 2", "double quotes"],
        ),
        (
            "id\ttext\n1\t作业太多\t公园\n",
            ["line 2 has 3 fields but the header has 2", "a tab"],
        ),
        (
            'id,text\n1,"作业太多\n2,公园\n',
            ["line 2", "quote opened on this line is never closed"],
        ),
        (
            'id,text\n1,"作业太多\n2,"公园"\n3,秋千\n',
            ["line 2", "quote opened on this line", "line 3"],
        ),
        ('id,text\n1,"我要"公园\n', ["line 2", "quoted text is followed"]),
        ("id,text\n1,作业太多\n2\n", ["line 3 has 1 field", "before its text"]),
        ("id,text\n1,作业太多\n还有公园\n", ["line 3 has 1 field", "line break"]),
        ("id,age,text\n1,8\n", ["line 2 has 2 fields", "before its text column"]),
        ("text,id\n作业\n", ["line 2 has 1 field", "before its id column"]),
        ("id,text,text\n1,作业,公园\n", ["column text appears twice"]),
        ("ID,Text,id\n1,作业,2\n", ["column id appears twice", "columns 1 and 3"]),
        ("id,text\n1,作业太多\n,公园\n", ["line 3 has no id"]),
        ("id,text\n1,作业太多\n \u200b,公园\n", ["line 3 has no id"]),
        (
            "id,text\na1,作业太多\na2,公园\na1 ,秋千\n",
            ["line 4 repeats the id a1 of line 2"],
        ),
        (
            'id,text\n1,"两行\n的回答"\n1,公园\n',
            ["line 4 repeats the id 1 of line 2"],
        ),
    ],
    ids=[
        "unquoted comma",
        "two extra fields",
        "extra tab",
        "unclosed quote",
        "quote closed lines later",
        "text after a closing quote",
        "no text field",
        "line break outside quotes",
        "text column not reached",
        "id column not reached",
        "duplicate text column",
        "duplicate id column in other case",
        "empty id",
        "invisible id",
        "duplicate id",
        "duplicate id after a two-line answer",
    ],
)
def test_tables_that_would_lose_or_mix_answers_are_refused(tmp_path, content, expected):
    path = _write(tmp_path, "in.csv" if "\t" not in content else "in.tsv", content)

    with pytest.raises(InputError) as error:
        read_answers(path)

    for part in expected:
        assert part in str(error.value)


def test_empty_fields_beyond_the_header_lose_nothing_and_are_read(tmp_path):
    path = _write(tmp_path, "in.csv", "id,text\n1,作业太多,\n2,公园,,\n")

    rows = read_answers(path)

    assert [row["text"] for row in rows] == ["作业太多", "公园"]


def test_an_empty_text_field_and_missing_columns_after_it_are_read(tmp_path):
    path = _write(tmp_path, "in.csv", "id,text,age\n1,\n2,公园\n")

    rows = read_answers(path)

    assert rows == [
        {"id": "1", "text": "", "age": ""},
        {"id": "2", "text": "公园", "age": ""},
    ]


def test_quotes_inside_an_unquoted_text_are_kept(tmp_path):
    path = _write(tmp_path, "in.csv", 'id,text\n1,他说"我要公园"\n')

    assert read_answers(path) == [{"id": "1", "text": '他说"我要公园"'}]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("-x", "'-x"),
        ("-2", "-2"),
        ("-3.5", "-3.5"),
        ("2", "2"),
        ("a-1", "a-1"),
    ],
)
def test_ids_that_a_spreadsheet_would_run_are_written_as_text(
    tmp_path, written, expected
):
    out = tmp_path / "out.csv"

    write_classified(out, [{"id": written, "themes": "", "tasks": ""}])

    with out.open(encoding="utf-8-sig", newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert row["id"] == expected


def test_a_tsv_output_is_tab_separated(tmp_path):
    out = tmp_path / "out.tsv"

    write_classified(out, [{"id": "a,1", "themes": "a;b", "tasks": [7, 20]}])

    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert out.read_text(encoding="utf-8-sig").splitlines() == [
        "id\tthemes\ttasks",
        "a,1\ta;b\t7;20",
    ]
