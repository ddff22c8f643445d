"""Import answers collected with other survey tools (问卷星-style exports).

The file is CSV or XLSX with one row per respondent and one column per
question, headed like `1、你今年几年级？` or `Q1.`. Columns are mapped to
question keys by their prompt text (or, for bare numbers, by position), a
mapping the caller shows for confirmation and may override. Choice labels are
mapped to option values. Every row is checked before anything is stored: one
bad row and nothing is stored. The rows are stored as responses of one closed
launch; response ids come from the file's hash and the row number, so
importing the same file again stores nothing twice. Columns that are not
mapped (序号, 提交答卷时间, 来自IP …) are never read.
"""

import csv
import difflib
import hashlib
import io
import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils import column_index_from_string, get_column_letter
from sqlmodel import select

from core.models import utcnow
from surveys.models import Answer, Launch, Response
from surveys.operations import CODE_ALPHABET, SubmissionError, digest, validate_answers
from surveys.templates import questions_for

log = logging.getLogger(__name__)

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "tongsheng:answer-import")
CODE_PREFIX = "IM"
MAX_ROWS = 20000
SKIP = "-"
EMPTY = frozenset({"", "(空)", "（空）", "(跳过)", "（跳过）", "-", "—", "N/A"})
DECLINED = frozenset({"我不想回答", "不想回答", "(不想回答)", "（不想回答）"})
SEPARATORS = ("┋", "|", "｜", ";", "；", "，", ",", "、")
RANK_SEPARATORS = ("→", "->", ">", *SEPARATORS)
#: 问卷星 writes what a child typed after an option as 其他〖…〗
OTHER_TEXT = re.compile(r"〖(.*)〗\s*$", re.S)
HEADERS = (
    re.compile(r"^[QqＱ]\s*(\d{1,3})\s*[、.．:：)）]?\s*(.*)$", re.S),
    re.compile(r"^第\s*(\d{1,3})\s*题\s*[、.．:：)）]?\s*(.*)$", re.S),
    re.compile(r"^(\d{1,3})\s*[、.．:：)）]\s*(.*)$", re.S),
)
SIMILAR = 0.8


class AnswerImportError(ValueError):
    """A file that cannot be imported, with a message for staff."""


@dataclass
class Table:
    """The cells of an answer file."""

    name: str
    #: sha256 of the file's bytes
    digest: str
    header: list[str]
    #: (spreadsheet row number, cells)
    rows: list[tuple[int, list]]


@dataclass
class Column:
    """One column of the file and the question it feeds."""

    index: int
    header: str
    number: int | None
    text: str
    key: str | None = None
    #: how the key was found, for the confirmation listing
    how: str = ""

    @property
    def letter(self):
        """Return the spreadsheet letter of the column."""
        return get_column_letter(self.index + 1)


@dataclass
class Result:
    """What an import found and did."""

    columns: list[Column]
    rows: list[tuple[int, dict]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    empty_rows: int = 0
    stored: int = 0
    already: int = 0
    launch_code: str | None = None


# ---------- reading the file ----------


def read_table(path):
    """Return the header and rows of a CSV or XLSX answer file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AnswerImportError(f"{path.name}: {exc.strerror}") from None
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        cells = _xlsx_rows(path)
    elif suffix in (".csv", ".tsv", ".txt"):
        cells = _csv_rows(_decode(raw, path.name))
    else:
        raise AnswerImportError(f"{path.name}: use a .csv or .xlsx file")

    rows = [(n, row) for n, row in cells if any(_text(c) for c in row)]
    if not rows:
        raise AnswerImportError(f"{path.name} is empty")
    if len(rows) > MAX_ROWS:
        raise AnswerImportError(f"{path.name} has more than {MAX_ROWS} rows")
    header = [_text(cell).lstrip("\ufeff") for cell in rows[0][1]]
    digest_ = hashlib.sha256(raw).hexdigest()
    return Table(path.name, digest_, header, rows[1:])


def _xlsx_rows(path):
    """Return the numbered rows of a workbook's first sheet."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        log.info("Answer workbook unreadable: %s", type(exc).__name__)
        raise AnswerImportError(
            f"{path.name} cannot be read as an .xlsx workbook ({type(exc).__name__})"
        ) from None
    try:
        sheet = book.worksheets[0]
        return [
            (number, list(row))
            for number, row in enumerate(sheet.iter_rows(values_only=True), 1)
        ]
    finally:
        book.close()


def _decode(raw, name):
    """Decode UTF-8 (a BOM allowed) or, as Chinese Excel saves it, GB18030."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise AnswerImportError(
            f"{name} is neither UTF-8 nor GB18030 text (byte {exc.start})"
        ) from None


def _csv_rows(text):
    """Return the numbered rows of CSV or tab-separated text."""
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise AnswerImportError(f"line {reader.line_num}: {exc}") from None


def _text(cell):
    """Return a cell as stripped text."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


# ---------- mapping columns to questions ----------


def normalise(text):
    """Return text without spaces, punctuation and symbols, lower-cased."""
    return "".join(
        char.lower()
        for char in unicodedata.normalize("NFKC", text or "")
        if unicodedata.category(char)[0] in "LN"
    )


def split_header(header):
    """Return (question number, prompt text) of a column header."""
    for pattern in HEADERS:
        match = pattern.match(header.strip())
        if match:
            return int(match.group(1)), match.group(2).strip()
    return None, header.strip()


def asked(spec, band):
    """Return the non-practice questions band sees, in order."""
    return [q for q in questions_for(spec, band) if not q["practice"]]


def propose_mapping(table, spec, band, overrides=None):
    """Return the file's columns with the question each one feeds."""
    questions = asked(spec, band)
    prompts = _prompts(spec, questions)
    columns = []
    for index, header in enumerate(table.header):
        number, text = split_header(header)
        column = Column(index, header, number, text)
        _guess(column, questions, prompts)
        columns.append(column)
    _apply_overrides(columns, overrides or {}, {q["key"] for q in questions})
    _drop_repeats(columns)
    return columns


def _prompts(spec, questions):
    """Return normalised prompt → key, this band's wording and the others'."""
    keys = {q["key"] for q in questions}
    prompts = {normalise(q["prompt"]): q["key"] for q in questions}
    for question in spec["questions"]:
        if question["key"] not in keys:
            continue
        for text in question["prompt"].values():
            prompts.setdefault(normalise(text), question["key"])
    return prompts


def _guess(column, questions, prompts):
    """Fill in the question a column feeds, by prompt text or by number."""
    wanted = normalise(column.text)
    if wanted and wanted in prompts:
        column.key, column.how = prompts[wanted], "题目文字相同"
        return
    if wanted:
        close = difflib.get_close_matches(wanted, list(prompts), n=1, cutoff=SIMILAR)
        if close:
            column.key, column.how = prompts[close[0]], "题目文字相近"
        return
    if column.number and column.number <= len(questions):
        column.key, column.how = questions[column.number - 1]["key"], "按题号"


def parse_overrides(pairs):
    """Return {column: key} from COLUMN=KEY pairs; KEY "-" leaves it out."""
    overrides = {}
    for pair in pairs or ():
        column, sep, key = pair.partition("=")
        if not sep or not column.strip() or not key.strip():
            raise AnswerImportError(
                f"--map {pair!r}: write COLUMN=KEY, e.g. C=safe_way"
            )
        overrides[column.strip()] = key.strip()
    return overrides


def _apply_overrides(columns, overrides, keys):
    """Set the keys the caller gave for columns by letter, number or header."""
    for target, key in overrides.items():
        column = _find_column(columns, target)
        if column is None:
            raise AnswerImportError(f"--map {target}={key}: no such column")
        if key != SKIP and key not in keys:
            raise AnswerImportError(
                f"--map {target}={key}: no question {key!r} for this age band"
            )
        column.key, column.how = (None, "指定不导入") if key == SKIP else (key, "指定")


def _find_column(columns, target):
    """Return the column named by a letter (C), a number (3) or its header."""
    if re.fullmatch(r"[A-Z]{1,3}", target):
        index = column_index_from_string(target) - 1
        return next((c for c in columns if c.index == index), None)
    if target.isdigit():
        return next((c for c in columns if c.number == int(target)), None)
    return next((c for c in columns if c.header == target), None)


def _drop_repeats(columns):
    """Keep only the first column mapped to a key; the others are left out."""
    seen = set()
    for column in columns:
        if column.key in seen:
            column.key, column.how = None, "和前面的列对应同一题，未导入"
        elif column.key:
            seen.add(column.key)


# ---------- converting rows ----------


def convert(table, columns, spec, band):
    """Return a Result with every row's answers checked, and the problems."""
    questions = {q["key"]: q for q in asked(spec, band)}
    result = Result(columns)
    mapped = [c for c in columns if c.key]
    if not mapped:
        result.problems.append("no column maps to a question of this survey and band")
        return result

    for number, cells in table.rows:
        answers = {}
        for column in mapped:
            cell = cells[column.index] if column.index < len(cells) else None
            where = f"row {number}, column {column.letter}"
            try:
                _put(answers, questions, column.key, cell, where, result)
            except ValueError as exc:
                result.problems.append(f"{where} ({column.key}): {exc}")
        if not answers:
            result.empty_rows += 1
            continue
        try:
            result.rows.append((number, validate_answers(spec, band, answers)))
        except SubmissionError as exc:
            result.problems.append(f"row {number}: {exc}")
    return result


def _put(answers, questions, key, cell, where, result):
    """Put one cell's answer into answers; raise ValueError when it is unclear."""
    question = questions[key]
    text = _text(cell)
    if text in EMPTY:
        return
    if text in DECLINED:
        answers[key] = None
        return
    kind = question["type"]
    if kind == "text":
        answers[key] = text
    elif kind == "number":
        answers[key] = _number(cell, text)
    elif kind == "multi":
        answers[key] = _labels(question, text, SEPARATORS)
    elif kind == "ranking":
        answers[key] = _labels(question, text, RANK_SEPARATORS)
    else:
        answers[key] = _label(question, text)
    if kind != "text" and OTHER_TEXT.search(text):
        _other_text(answers, questions, key, text, where, result)


def _number(cell, text):
    """Return a whole number from a cell."""
    numeric = isinstance(cell, int | float) and not isinstance(cell, bool)
    if numeric and float(cell).is_integer():
        return int(cell)
    if re.fullmatch(r"-?\d{1,9}", text):
        return int(text)
    raise ValueError("not a whole number")


def _choices(question):
    """Return normalised label or value → option value for a question."""
    choices = {}
    for option in question["options"]:
        choices[normalise(option["label"])] = option["value"]
        choices.setdefault(normalise(option["value"]), option["value"])
    return choices


def _label(question, text):
    """Return the option value a label stands for."""
    value = _choices(question).get(normalise(OTHER_TEXT.sub("", text)))
    if value is None:
        raise ValueError(f"unknown option {OTHER_TEXT.sub('', text)!r}")
    return value


def _labels(question, text, separators):
    """Return the option values of a cell holding several labels."""
    choices = _choices(question)
    text = OTHER_TEXT.sub("", text)
    if normalise(text) in choices:
        return [choices[normalise(text)]]
    for separator in separators:
        parts = [OTHER_TEXT.sub("", p).strip() for p in text.split(separator)]
        if len(parts) > 1 and all(normalise(p) in choices for p in parts if p):
            return [choices[normalise(p)] for p in parts if p]
    unknown = [p for p in re.split("|".join(map(re.escape, separators)), text)]
    shown = ", ".join(repr(p.strip()) for p in unknown if normalise(p) not in choices)
    raise ValueError(f"unknown option {shown or repr(text)}")


def _other_text(answers, questions, key, text, where, result):
    """Put the words written after 其他 into the question's _other follow-up."""
    follow_up = f"{key}_other"
    words = OTHER_TEXT.search(text).group(1).strip()
    if follow_up in questions and questions[follow_up]["type"] == "text":
        answers.setdefault(follow_up, words or None)
        return
    result.warnings.append(
        f"{where}: the words written after an option were not imported"
    )


# ---------- storing ----------


def launch_code(table_digest):
    """Return the join code of the launch that holds a file's rows."""
    number = int(table_digest[:16], 16)
    letters = []
    for _ in range(8):
        number, rest = divmod(number, len(CODE_ALPHABET))
        letters.append(CODE_ALPHABET[rest])
    return CODE_PREFIX + "".join(letters)


def response_id(table_digest, row_number):
    """Return the response id of one row of a file."""
    return str(uuid.uuid5(NAMESPACE, f"{table_digest}:{row_number}"))


def store(session, table, survey, band, township_code, result, user_id=None):
    """Store the checked rows as responses of one closed launch."""
    if result.problems:
        raise AnswerImportError(f"{len(result.problems)} problems; nothing stored")

    launch = _launch(session, table, survey, band, township_code, user_id)
    fresh = []
    for number, answers in result.rows:
        rid = response_id(table.digest, number)
        fingerprint = digest(launch.code, answers)
        existing = session.get(Response, rid)
        if existing is not None:
            if existing.digest != fingerprint:
                session.rollback()
                raise AnswerImportError(
                    f"row {number} was imported before with other answers "
                    "(was the mapping changed?); nothing stored"
                )
            result.already += 1
            continue
        _add_response(session, survey.spec, launch, rid, fingerprint, answers)
        fresh.append(rid)
    session.commit()
    result.stored, result.launch_code = len(fresh), launch.code
    log.info(
        "Answers imported into launch %s: %s stored, %s already there",
        launch.id,
        len(fresh),
        result.already,
    )
    return fresh


def _launch(session, table, survey, band, township_code, user_id):
    """Return the file's launch, making it (closed) on the first import."""
    code = launch_code(table.digest)
    launch = session.exec(select(Launch).where(Launch.code == code)).first()
    if launch is not None:
        same = (launch.survey_id, launch.band, launch.township_code)
        if same != (survey.id, band, township_code):
            raise AnswerImportError(
                f"this file was imported before as launch {code} for another "
                "survey, band or place; nothing stored"
            )
        return launch
    launch = Launch(
        code=code,
        survey_id=survey.id,
        band=band,
        township_code=township_code,
        created_by=user_id,
        closed_at=utcnow(),
    )
    session.add(launch)
    session.flush()
    log.info(
        "Launch %s created for an answer import of survey %s", launch.id, survey.id
    )
    return launch


def _add_response(session, spec, launch, rid, fingerprint, answers):
    """Add one response and its answers to the session."""
    session.add(
        Response(
            id=rid,
            launch_id=launch.id,
            band=launch.band,
            township_code=launch.township_code,
            digest=fingerprint,
        )
    )
    session.flush()
    kinds = {q["key"]: q["type"] for q in spec["questions"]}
    for key, value in answers.items():
        answer = Answer(response_id=rid, question_key=key, skipped=value is None)
        if value is not None and kinds[key] == "text":
            answer.text = value
        elif value is not None:
            answer.value = value
        session.add(answer)


def analyse(session, response_ids):
    """Screen and code the open answers of the stored responses."""
    from analysis import operations as analysis_ops

    try:
        return analysis_ops.process_responses(session, response_ids)
    except Exception:
        session.rollback()
        log.exception("Analysis of %s imported responses failed", len(response_ids))
        return 0
