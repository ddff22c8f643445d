"""The classify command on real children's words and on bad input."""

import csv
from pathlib import Path

import openpyxl
import pytest

from analysis.codebook import load_codebook
from analysis.codebook_store import codebook_from_text
from analysis.models_reports import CodebookVersion
from app import create_app

REAL = Path(__file__).resolve().parents[2] / "shared/real/child_voices.tsv"
EDITED = (
    "theme,label,tasks,keywords,notes\n"
    "climbing,攀岩和户外运动,14,攀岩墙,\n"
    "swings,秋千,18,秋千,\n"
)


def _read(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.skipif(not REAL.exists(), reason="the shared real quotes are not here")
def test_real_tsv_gives_30_rows_in_order(runner, tmp_path):
    out = tmp_path / "out.csv"

    result = runner.invoke(
        args=["analysis", "classify", "--input", str(REAL), "--output", str(out)]
    )

    assert result.exit_code == 0, result.output
    rows = _read(out)
    source = _read_tsv(REAL)
    assert [r["id"] for r in rows] == [r["id"] for r in source]
    assert len(rows) == 30
    assert list(rows[0]) == ["id", "themes", "tasks"]
    for row in rows:
        assert all(1 <= int(n) <= 32 for n in filter(None, row["tasks"].split(";")))


def _read_tsv(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_csv_with_bom_and_chinese(runner, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        "id,text\na1,马路上的车开得太快了不敢过马路\na2,我喜欢吃冰淇淋\n",
        encoding="utf-8-sig",
    )
    out = tmp_path / "out.csv"

    result = runner.invoke(
        args=["analysis", "classify", "--input", str(source), "--output", str(out)]
    )

    assert result.exit_code == 0, result.output
    rows = _read(out)
    assert [r["id"] for r in rows] == ["a1", "a2"]
    assert "20" in rows[0]["tasks"].split(";")
    assert rows[1]["tasks"] == ""


@pytest.mark.parametrize(
    "content",
    [b"", b"name,words\nx,y\n", b"id,text\n1,\xff\xfe\xfa\n", b"id,text\n1\n"],
    ids=["empty", "missing columns", "not utf-8", "no text field"],
)
def test_bad_input_gets_a_clear_message(runner, tmp_path, content):
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    out = tmp_path / "out.csv"

    result = runner.invoke(
        args=["analysis", "classify", "--input", str(source), "--output", str(out)]
    )

    assert result.exit_code != 0
    assert "Error" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_an_empty_text_is_coded_as_an_empty_answer(runner, tmp_path):
    result, out = _classify(runner, tmp_path, "id,text\n1,\n2,作业太多\n")

    assert result.exit_code == 0, result.output
    rows = _read(out)
    assert rows[0] == {"id": "1", "themes": "", "tasks": ""}
    assert rows[1]["tasks"] != ""


def test_tsv_output_and_formula_ids(runner, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,text\n=1+1,作业太多\n-2,不知道\n", encoding="utf-8")
    out = tmp_path / "out.tsv"

    result = runner.invoke(
        args=["analysis", "classify", "--input", str(source), "--output", str(out)]
    )

    assert result.exit_code == 0, result.output
    rows = _read_tsv(out)
    assert list(rows[0]) == ["id", "themes", "tasks"]
    assert [r["id"] for r in rows] == ["'=1+1", "-2"]


def test_a_dash_output_writes_the_table_to_standard_output(
    runner, tmp_path, monkeypatch
):
    source = tmp_path / "in.csv"
    source.write_text("id,text\n=1+1,作业太多\n2,不知道\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    result = runner.invoke(
        args=["analysis", "classify", "--input", str(source), "--output", "-"]
    )

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [(r["id"], r["tasks"]) for r in rows] == [("'=1+1", "7"), ("2", "")]
    assert "2 answers classified into standard output" in result.stderr
    assert "codebook version" not in result.stdout
    assert not (tmp_path / "-").exists()


def test_an_xlsx_output_is_a_workbook_of_text_cells(runner, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,text\n=1+1,作业太多\n-2,不知道\n007,公园\n", encoding="utf-8")
    out = tmp_path / "out.xlsx"

    result = runner.invoke(
        args=["analysis", "classify", "--input", str(source), "--output", str(out)]
    )

    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["id", "themes", "tasks"]
    assert [row[0] for row in rows[1:]] == ["'=1+1", "-2", "007"]
    assert rows[1][2] == "7"
    assert "f" not in {cell.data_type for row in sheet.iter_rows() for cell in row}


@pytest.mark.parametrize("name", ["out.xls", "out.ods", "out.txt", "out"])
def test_an_output_named_for_another_format_is_refused(runner, tmp_path, name):
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,作业太多\n", encoding="utf-8")
    out = tmp_path / name

    result = runner.invoke(
        args=["analysis", "classify", "--input", str(source), "--output", str(out)]
    )

    assert result.exit_code != 0
    assert ".csv, .tsv, .tab, .xlsx" in result.output
    assert not out.exists()


@pytest.mark.parametrize("spelling", ["same", "dotted", "symlink", "hard link"])
def test_output_onto_the_input_is_refused(runner, tmp_path, spelling):
    source = tmp_path / "in.csv"
    content = "id,text\n1,作业太多\n".encode()
    source.write_bytes(content)
    out = {
        "same": source,
        "dotted": tmp_path / "." / "sub" / ".." / "in.csv",
        "symlink": tmp_path / "link.csv",
        "hard link": tmp_path / "hard.csv",
    }[spelling]
    (tmp_path / "sub").mkdir()
    if spelling == "symlink":
        out.symlink_to(source)
    if spelling == "hard link":
        out.hardlink_to(source)

    result = runner.invoke(
        args=["analysis", "classify", "--input", str(source), "--output", str(out)]
    )

    assert result.exit_code != 0
    assert "the same file" in result.output
    assert source.read_bytes() == content


def _classify(runner, tmp_path, text="id,text\n1,我们想要一面攀岩墙\n2,公园\n"):
    source = tmp_path / "in.csv"
    source.write_text(text, encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(
        args=["analysis", "classify", "--input", str(source), "--output", str(out)]
    )
    return result, out


def test_the_codebook_edited_on_the_site_is_used(runner, session, tmp_path):
    version = codebook_from_text(EDITED).version
    session.add(CodebookVersion(content=EDITED, version=version, note="tests"))
    session.commit()

    result, out = _classify(runner, tmp_path)

    assert result.exit_code == 0, result.output
    assert [(r["id"], r["themes"], r["tasks"]) for r in _read(out)] == [
        ("1", "climbing", "14"),
        ("2", "", ""),
    ]
    assert f"codebook version {version}" in result.stderr
    assert "saved on the site" in result.stderr


def test_the_file_codebook_is_used_while_the_database_has_none(runner, tmp_path):
    result, _ = _classify(runner, tmp_path)

    assert result.exit_code == 0, result.output
    assert f"codebook version {load_codebook().version}" in result.stderr
    assert "data/codebook.csv" in result.stderr
    assert "holds no version saved on the site" in result.stderr


@pytest.fixture
def runner_on():
    """Return a factory of CLI runners for apps on a given database URL."""
    apps = []

    def make(url):
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "t"})
        apps.append(app)
        return app.test_cli_runner()

    yield make
    for app in apps:
        app.extensions["db_engine"].dispose()


@pytest.mark.parametrize("state", ["no file", "no tables"])
def test_the_file_codebook_is_used_without_a_set_up_database(
    runner_on, tmp_path, state
):
    database = tmp_path / "db" / "tongsheng.db"
    if state == "no tables":
        database.parent.mkdir()
        database.touch()

    result, out = _classify(runner_on(f"sqlite:///{database}"), tmp_path)

    assert result.exit_code == 0, result.output
    assert len(_read(out)) == 2
    assert f"codebook version {load_codebook().version}" in result.stderr
    assert "the database is not set up" in result.stderr
    assert database.exists() == (state == "no tables")


def test_a_database_that_cannot_be_read_is_named_not_skipped(runner_on, tmp_path):
    database = tmp_path / "broken.db"
    database.write_bytes(b"not a database at all" * 100)

    result, out = _classify(runner_on(f"sqlite:///{database}"), tmp_path)

    assert result.exit_code != 0
    assert "the configured database (DATABASE_URL) cannot be read" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_excel_unicode_text_is_read(runner, tmp_path):
    source = tmp_path / "in.txt"
    source.write_bytes("id\ttext\r\nu1\t作业太多了\r\nu2\t不知道\r\n".encode("utf-16"))
    out = tmp_path / "out.csv"

    result = runner.invoke(
        args=["analysis", "classify", "--input", str(source), "--output", str(out)]
    )

    assert result.exit_code == 0, result.output
    assert [(r["id"], r["tasks"]) for r in _read(out)] == [("u1", "7"), ("u2", "")]


def test_a_workbook_given_as_input_is_named(runner, tmp_path):
    source = tmp_path / "in.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["id", "text"])
    book.save(source)

    result = runner.invoke(
        args=["analysis", "classify", "--input", str(source), "--output", "o.csv"]
    )

    assert result.exit_code != 0
    assert "this is a workbook (.xlsx)" in result.output
    assert "CSV UTF-8" in result.output


def test_a_dash_input_reads_the_table_from_standard_input(runner, tmp_path):
    out = tmp_path / "out.csv"

    result = runner.invoke(
        args=["analysis", "classify", "--input", "-", "--output", str(out)],
        input="id,text\n1,作业太多\n2,不知道\n".encode(),
    )

    assert result.exit_code == 0, (result.output, result.exception)
    assert [(r["id"], r["tasks"]) for r in _read(out)] == [("1", "7"), ("2", "")]
