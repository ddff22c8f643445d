"""Read answer tables staff bring in (CSV or TSV) and write classified tables.

The hand-coded answers the model is fitted on are read by the same rules
(`read_rows`), with their own checks of ids and codes (analysis.learned).

Input comes from Excel, survey tools and hand-typed sheets: comma- or tab-
separated, UTF-8 with or without a BOM (or UTF-16 with one, as Excel saves
"Unicode text"), with at least the columns `id` and `text`. A table that would
lose or mix up answers is refused with the line to mend: a line with more
fields than the header (an unquoted comma), a line that ends before its text (a
line break outside quotes), a quote left open, a column named twice, an empty
or repeated id.

Output is CSV in UTF-8 with a BOM so that Excel shows the Chinese correctly,
tab-separated when its name ends in .tsv, or an XLSX workbook of text cells
for .xlsx; on standard output it is CSV with no BOM, for the program it is
piped into. In every form, a cell that starts with = + - or @ gets a leading '
as in the site's exports (`exports.neutralise`), so that a spreadsheet never
runs it; an id that is a plain negative number such as -2 is left as it is,
since a spreadsheet reads it as that number and the output still matches the
input's id.
"""

import codecs
import csv
import io
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from analysis.exports import neutralise, save_sheets
from analysis.text import visible

log = logging.getLogger(__name__)

REQUIRED = ("id", "text")
OUTPUT_COLUMNS = ("id", "themes", "tasks")
DELIMITERS = (",", "\t", ";", "|")
TAB_SUFFIXES = (".tsv", ".tab")
OUTPUT_SUFFIXES = (".csv", ".tsv", ".tab", ".xlsx")
#: a plain negative number, which a spreadsheet reads as a number, not a formula
NEGATIVE_NUMBER = re.compile(r"-\d+(?:\.\d+)?")
SEPARATOR_NAMES = {",": "a comma", "\t": "a tab", ";": "a semicolon", "|": "a bar"}


#: how a zip archive, and so an .xlsx workbook, starts
WORKBOOK = b"PK\x03\x04"


class InputError(ValueError):
    """Raised with a message for staff when an input table cannot be read."""


def read_answers(path, data: bytes | None = None) -> list[dict]:
    """Return the rows of a CSV or TSV answer table as dicts, in file order.

    `data`, when given, is the table's content (read from standard input);
    `path` then only names it.
    """
    rows, seen = [], {}
    for line, row in read_rows(path, data=data):
        _check_id(line, row["id"], seen)
        rows.append(row)
    log.info("Answer table read: %s rows", len(rows))
    return rows


def read_rows(path, required=REQUIRED, data: bytes | None = None):
    """Return each row of a CSV or TSV table with the line it starts on.

    The table must have the `required` columns, and every line must reach
    them; a line that would lose or mix up text is refused. Ids are not checked.
    `data`, when given, is the table's content, else the file at `path` is read.
    """
    path = Path(path)
    text = _decode(path.read_bytes() if data is None else data)
    if not text.strip():
        raise InputError("the file is empty")

    delimiter = _delimiter(text, path.suffix.lower())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    return list(_rows(_records(reader), delimiter, required))


def _records(reader) -> Iterator[tuple[int, list[str]]]:
    """Yield each record with the line it starts on; a broken quote is refused."""
    line = 0
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(_broken(start, reader.line_num, exc)) from None
        line = reader.line_num
        yield start, values


def _broken(start: int, end: int, exc: csv.Error) -> str:
    """Say why the record starting on line `start` cannot be read."""
    double = 'write a quote inside a quoted text as two quotes ("")'
    if "end of data" in str(exc):
        return (
            f"line {start}: the quote opened on this line is never closed. "
            f"Close it, or {double}."
        )
    if "expected after" not in str(exc):
        return f"line {start} cannot be read: {exc}"
    if end > start:
        return (
            f"line {start}: the quote opened on this line is not closed until "
            f"line {end}, where more text follows it. Close it on line {start}, "
            f"or {double}."
        )
    return (
        f"line {start}: a quoted text is followed by more text in the same cell. "
        f"Put the whole cell in quotes and {double}."
    )


def _rows(records, delimiter: str, required) -> Iterator[tuple[int, dict]]:
    """Yield the records after the header as dicts keyed by column name."""
    _, header = next(records)
    header = [name.strip().lstrip("\ufeff") for name in header]
    columns = _columns(header, required)
    positions = {name: columns.index(name) for name in required}
    for line, values in records:
        if not any(v.strip() for v in values):
            continue
        _check_width(line, values, len(header), delimiter)
        _check_reach(line, values, positions, delimiter)
        yield line, _row(columns, values)


def _check_width(line: int, values: list[str], width: int, delimiter: str):
    """Refuse a line whose extra fields hold text, which would otherwise be lost."""
    if not any(value.strip() for value in values[width:]):
        return
    name = SEPARATOR_NAMES[delimiter]
    example = f'1{delimiter}"作业太多{delimiter}我还想要一个公园"'
    raise InputError(
        f"line {line} has {len(values)} fields but the header has {width}: "
        f"{name} inside an answer splits it. Put a text that holds {name} in "
        "double quotes" + (f", e.g. {example}." if delimiter != "\t" else ".")
    )


def _check_reach(line: int, values: list[str], positions: dict, delimiter: str):
    """Refuse a line that ends before a column it needs, which would read as empty."""
    missing = " and ".join(name for name, at in positions.items() if at >= len(values))
    if not missing:
        return
    fields = "1 field" if len(values) == 1 else f"{len(values)} fields"
    raise InputError(
        f"line {line} has {fields} and ends before its {missing} column, so its "
        f"{missing} would be read as empty: a line break outside quotes splits an "
        "answer. Put a text that holds a line break in double quotes, and keep "
        f"the separator ({SEPARATOR_NAMES[delimiter]}) before an empty field."
    )


def _check_id(line: int, value: str, seen: dict[str, int]):
    """Refuse an empty id, or one an earlier line already has."""
    key = visible(value).strip()
    if not key:
        raise InputError(
            f"line {line} has no id: every answer needs one, so that each output "
            "row can be matched to its answer."
        )
    if key in seen:
        raise InputError(
            f"line {line} repeats the id {key[:40]} of line {seen[key]}: ids must "
            "be unique, so that each output row maps to one answer."
        )
    seen[key] = line


def _decode(raw: bytes) -> str:
    """Decode UTF-8 (a BOM allowed) or UTF-16 with its BOM (Excel's "Unicode
    text"), naming the first bad byte if it is neither."""
    if raw.startswith(WORKBOOK):
        raise InputError(
            "this is a workbook (.xlsx), not a table in text: in Excel, save it "
            "again as CSV UTF-8 (逗号分隔), then give that file."
        )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"the file starts as UTF-16 text, but the bytes at offset "
                f"{exc.start} cannot be read as UTF-16."
            ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = " It looks like GBK: save it again as CSV UTF-8." if _gbk(raw) else ""
        raise InputError(
            f"the file is not UTF-8: byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start} (line {line}) cannot be read.{hint}"
        ) from None


def _gbk(raw: bytes) -> bool:
    """Tell whether `raw` reads cleanly as GB18030, the usual non-UTF-8 Chinese."""
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


def _delimiter(text: str, suffix: str) -> str:
    """Choose the separator whose split of the header holds both id and text."""
    first = text.lstrip("\ufeff").splitlines()[0]
    for delimiter in DELIMITERS:
        names = {name.strip().strip('"').lower() for name in first.split(delimiter)}
        if set(REQUIRED) <= names:
            return delimiter
    if suffix in TAB_SUFFIXES or ("\t" in first and "," not in first):
        return "\t"
    return ","


def _columns(header: list[str], required=REQUIRED) -> list[str]:
    """Return the column names to use, the `required` ones found case-insensitively."""
    lowered = [name.lower() for name in header]
    missing = [name for name in required if name not in lowered]
    if missing:
        shown = ", ".join(header) if any(header) else "(none)"
        raise InputError(
            f"missing column {_listed(missing)}: the file needs the columns "
            f"{_listed(required)}; the header found was: {shown}"
        )
    _check_unique(header, lowered)
    return [name.lower() if name.lower() in required else name for name in header]


def _listed(names) -> str:
    """Join names as prose: `id`, `id and text`, `id, text and tasks`."""
    names = list(names)
    return " and ".join(filter(None, [", ".join(names[:-1]), names[-1]]))


def _check_unique(header: list[str], lowered: list[str]):
    """Refuse a header that names a column twice, blank names aside."""
    first: dict[str, int] = {}
    for position, name in enumerate(lowered, start=1):
        if name in first:
            raise InputError(
                f"the column {header[position - 1]} appears twice in the header "
                f"(columns {first[name]} and {position}): rename or remove one."
            )
        if name:
            first[name] = position


def _row(columns: list[str], values: list[str]) -> dict:
    """Pair one line's values with the columns; missing values become ''."""
    row = dict.fromkeys(columns, "")
    row.update(zip(columns, values, strict=False))
    return row


def write_classified(path, rows: Iterable[Mapping]) -> int:
    """Write `id,themes,tasks` rows as XLSX, or as UTF-8 CSV (TSV for .tsv) with a BOM.

    Return the count of rows written.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".xlsx":
        count = _write_xlsx(path, rows)
    else:
        delimiter = "\t" if suffix in TAB_SUFFIXES else ","
        with open(path, "w", encoding="utf-8-sig", newline="") as out:
            count = write_csv(out, rows, delimiter)
    log.info("Classified table written: %s rows", count)
    return count


def _write_xlsx(path, rows: Iterable[Mapping]) -> int:
    """Write the rows as one sheet of text cells; return the count."""
    cells = [_cells(row) for row in rows]
    # the cells are made safe already, keeping plain negative numbers
    save_sheets(path, [("classified", [OUTPUT_COLUMNS, *cells])], cell=str)
    return len(cells)


def write_csv(out, rows: Iterable[Mapping], delimiter=",") -> int:
    """Write `id,themes,tasks` rows as CSV to an open text stream; return the count."""
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(OUTPUT_COLUMNS)
    count = 0
    for row in rows:
        writer.writerow(_cells(row))
        count += 1
    return count


def _cells(row: Mapping) -> list[str]:
    """Return a row's output cells, none of which a spreadsheet would run."""
    return [_as_text(_cell(row.get(name, ""))) for name in OUTPUT_COLUMNS]


def _as_text(cell: str) -> str:
    """Keep a spreadsheet from running a cell as a formula; -2 stays a number."""
    return cell if NEGATIVE_NUMBER.fullmatch(cell) else neutralise(cell)


def _cell(value) -> str:
    """Render a cell: sequences joined with `;`, None as empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return ";".join(str(item) for item in items)
    return str(value)
