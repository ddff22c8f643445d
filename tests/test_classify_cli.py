"""The classify command on real children's words and on bad input."""

import csv
from pathlib import Path

import pytest

REAL = Path(__file__).resolve().parents[2] / "shared/real/child_voices.tsv"


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
    [b"", b"name,words\nx,y\n", b"id,text\n1,\xff\xfe\xfa\n"],
    ids=["empty", "missing columns", "not utf-8"],
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
