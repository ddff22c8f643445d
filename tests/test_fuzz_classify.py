"""Property tests of the classify command on any CSV or TSV staff might bring."""

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
CELL = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "马路上的车开得太快了不敢过马路",
            "=cmd|' /C calc'!A0",
            "<script>alert(1)</script>",
            '"quoted, with comma"',
            "line\nbreak",
            "\u202e\u200f",
            "\x00",
            "",
        ]
    ),
    st.integers(1000, 200_000).map("字".__mul__),
)
HEADER = st.lists(
    st.sampled_from(["id", "text", "ID", " Text ", "\ufeffid", "name", "年级"])
    | st.text(max_size=8),
    max_size=5,
)


@st.composite
def tables(draw):
    """Return the bytes of a table with a random header, rows and separator."""
    delimiter = draw(st.sampled_from([",", "\t", ";", "|"]))
    header = draw(HEADER)
    width = max(1, len(header))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=width + 1), max_size=6))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    return buffer.getvalue().encode(encoding, errors="replace")


def _classify(runner, tmp_path, content, suffix):
    """Run flask analysis classify on content; return the result and output path."""
    source = tmp_path / f"in{suffix}"
    source.write_bytes(content)
    out = tmp_path / "out.csv"
    out.unlink(missing_ok=True)
    result = runner.invoke(
        args=["analysis", "classify", "--input", str(source), "--output", str(out)]
    )
    return result, out


def _assert_clean_outcome(result, out):
    """Check a run: a table per row, or an error and no output file."""
    if result.exit_code == 0:
        with open(out, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == ["id", "themes", "tasks"]
        assert f"{len(rows) - 1} answers classified" in result.output
        return
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "Error:" in result.output and "Traceback" not in result.output
    assert not out.exists()


@FUZZ
@given(content=tables(), suffix=st.sampled_from([".csv", ".tsv", ".txt"]))
def test_any_table_is_classified_or_refused(runner, tmp_path, content, suffix):
    result, out = _classify(runner, tmp_path, content, suffix)

    _assert_clean_outcome(result, out)


@FUZZ
@given(content=st.binary(max_size=300))
def test_any_bytes_are_classified_or_refused(runner, tmp_path, content):
    result, out = _classify(runner, tmp_path, content, ".csv")

    _assert_clean_outcome(result, out)


def test_oversized_field_names_its_line(runner, tmp_path):
    content = ("id,text\n1,短\n2," + "字" * 200_000 + "\n").encode()

    result, out = _classify(runner, tmp_path, content, ".csv")

    assert result.exit_code == 1
    assert "line 3" in result.output and "Traceback" not in result.output
    assert not out.exists()
