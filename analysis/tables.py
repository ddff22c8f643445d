"""Read answer tables staff bring in (CSV or TSV) and write classified tables.

Input comes from Excel, survey tools and hand-typed sheets: comma- or
tab-separated, UTF-8 with or without a BOM, with at least the columns `id`
and `text`. Output is CSV in UTF-8 with a BOM so that Excel shows the Chinese
correctly.
"""

import csv
import io
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

REQUIRED = ("id", "text")
OUTPUT_COLUMNS = ("id", "themes", "tasks")
DELIMITERS = (",", "\t", ";", "|")


class InputError(ValueError):
    """Raised with a message for staff when an input table cannot be read."""


def read_answers(path) -> list[dict]:
    """Return the rows of a CSV or TSV answer table as dicts, in file order."""
    path = Path(path)
    text = _decode(path.read_bytes())
    if not text.strip():
        raise InputError("the file is empty")

    delimiter = _delimiter(text, path.suffix.lower())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = _rows(reader)
    except csv.Error as exc:
        raise InputError(f"line {reader.line_num} cannot be read: {exc}") from None
    log.info("Answer table read: %s rows", len(rows))
    return rows


def _rows(reader) -> list[dict]:
    """Return the rows after the header as dicts keyed by column name."""
    header = [name.strip().lstrip("\ufeff") for name in next(reader)]
    columns = _columns(header)
    return [
        _row(columns, values) for values in reader if any(v.strip() for v in values)
    ]


def _decode(raw: bytes) -> str:
    """Decode UTF-8 (a BOM allowed), naming the first bad byte if it is not."""
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
    if suffix in (".tsv", ".tab") or ("\t" in first and "," not in first):
        return "\t"
    return ","


def _columns(header: list[str]) -> list[str]:
    """Return the column names to use, `id` and `text` found case-insensitively."""
    lowered = [name.lower() for name in header]
    missing = [name for name in REQUIRED if name not in lowered]
    if missing:
        shown = ", ".join(header) if any(header) else "(none)"
        raise InputError(
            f"missing column {' and '.join(missing)}: the file needs the columns "
            f"id and text; the header found was: {shown}"
        )
    return [name.lower() if name.lower() in REQUIRED else name for name in header]


def _row(columns: list[str], values: list[str]) -> dict:
    """Pair one line's values with the columns; missing values become ''."""
    row = dict.fromkeys(columns, "")
    row.update(zip(columns, values, strict=False))
    return row


def write_classified(path, rows: Iterable[Mapping]) -> int:
    """Write `id,themes,tasks` rows as UTF-8 CSV with a BOM; return the count."""
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(OUTPUT_COLUMNS)
        for row in rows:
            writer.writerow([_cell(row.get(name, "")) for name in OUTPUT_COLUMNS])
            count += 1
    log.info("Classified table written: %s rows", count)
    return count


def _cell(value) -> str:
    """Render a cell: sequences joined with `;`, None as empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return ";".join(str(item) for item in items)
    return str(value)
