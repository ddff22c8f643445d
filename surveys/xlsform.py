"""Surveys from XLSForm workbooks and back (docs/xlsform.md).

`read_form` turns an .xlsx XLSForm (sheets survey, choices, settings) into a
survey spec plus a list of warnings for everything it could not carry over.
A workbook it cannot read raises XLSFormError with one message naming the
sheet, row and column. `write_form` writes a spec as an XLSForm that
`read_form` reads back into the same survey: per-band wording travels in
`label::6-8` … columns and per-band option lists in `list@band` lists.
"""

import copy
import difflib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from surveys.editor_forms import VOLUNTARY_INTRO, check_spec
from surveys.models import BANDS

log = logging.getLogger(__name__)

SHEETS = ("survey", "choices", "settings")
DEFAULT_BANDS = ("12-14", "15-17")
DEFAULT_STAGE = "需求表达"
MAX_ROWS = 5000
OTHER = {"value": "other", "label": "其他"}
OTHER_PROMPT = "请写一写是什么："
TEXT_BASES = ("label", "hint")
HEADER_ALIASES = {"list name": "list_name", "form title": "form_title"}
CHINESE = re.compile(r"chinese|中文|汉语|普通话|简体|mandarin|(^|[\s(])zh([-_)\s]|$)")
SELECT = re.compile(
    r"^(select_one|select one|select_multiple|select multiple|rank)"
    r"(?:\s+from)?\s+([^\s]+)(\s+or_other)?$",
    re.IGNORECASE,
)
CONDITION = re.compile(
    r"""^\$\{([^}]+)\}\s*=\s*(['"])(.*?)\2$"""
    r"""|^selected\(\s*\$\{([^}]+)\}\s*,\s*(['"])(.*?)\5\s*\)$"""
)
BOUND = re.compile(r"^\.\s*(>=|<=|>|<)\s*(-?\d+)$")
NUMBER_TYPES = frozenset({"integer", "decimal", "range"})
METADATA = frozenset(
    {
        "calculate",
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
        "hidden",
    }
)
GROUP_TYPES = {
    "begin group": "group",
    "begin_group": "group",
    "begin repeat": "repeat",
    "begin_repeat": "repeat",
    "end group": "end",
    "end_group": "end",
    "end repeat": "end",
    "end_repeat": "end",
}
#: survey columns whose values this import uses
USED_COLUMNS = frozenset(
    {"type", "name", "relevant", "constraint", "appearance", "practice"}
    | {"parameters", "required", "choice_filter"}
)


class XLSFormError(ValueError):
    """A workbook that cannot be imported, with where the problem is."""

    def __init__(self, message, sheet=None, row=None, column=None):
        where = [f'sheet "{sheet}"' if sheet else "", f"row {row}" if row else ""]
        where.append(f"column {column}" if column else "")
        place = ", ".join(part for part in where if part)
        super().__init__(f"{place}: {message}" if place else message)
        self.sheet, self.row, self.column = sheet, row, column


@dataclass
class Sheet:
    """One worksheet: its name, header and non-empty rows."""

    name: str
    #: column name (lower-case) → 0-based index
    columns: dict[str, int]
    #: (spreadsheet row number, cell values)
    rows: list[tuple[int, tuple]]

    def value(self, cells, column):
        """Return the cell of column in a row as stripped text ('' if none)."""
        index = self.columns.get(column)
        if index is None or index >= len(cells):
            return ""
        return cell_text(cells[index])

    def letter(self, column):
        """Return the spreadsheet letter of a column, e.g. C."""
        return get_column_letter(self.columns[column] + 1)

    def place(self, row, column):
        """Return (sheet, row, column) naming a cell for an error."""
        if column in self.columns:
            return self.name, row, f"{self.letter(column)} ({column})"
        return self.name, row, column


@dataclass
class Imported:
    """A survey read from a workbook and what did not carry over."""

    spec: dict
    warnings: list[str] = field(default_factory=list)


def cell_text(value):
    """Return a cell's value as stripped text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def slug(text, prefix="q"):
    """Return text as a lower-case ASCII key (letters, digits, underscores)."""
    value = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")[:64]
    if not value:
        return ""
    return value if value[0].isalpha() or prefix == "" else f"{prefix}_{value}"[:64]


# ---------- reading the workbook ----------


def read_workbook(path):
    """Return the survey, choices and settings sheets and warnings."""
    name = Path(path).name
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise XLSFormError(f"{name}: no such file") from None
    except Exception as exc:
        log.info("Workbook unreadable: %s", type(exc).__name__)
        raise XLSFormError(
            f"{name} cannot be read as an Excel .xlsx workbook ({type(exc).__name__}); "
            "save it from Excel or WPS as .xlsx and try again"
        ) from None
    try:
        return _sheets(book)
    finally:
        book.close()


def _sheets(book):
    """Return the XLSForm sheets by role, warning about the others."""
    found, warnings = {}, []
    for worksheet in book.worksheets:
        role = worksheet.title.strip().lower()
        if role in SHEETS and role not in found:
            found[role] = _read_sheet(worksheet)
            continue
        guess = difflib.get_close_matches(role, SHEETS, n=1, cutoff=0.7)
        hint = f' (is it a misspelt "{guess[0]}"?)' if guess else ""
        warnings.append(f'sheet "{worksheet.title}" ignored{hint}')
    if "survey" not in found:
        names = ", ".join(f'"{ws.title}"' for ws in book.worksheets)
        raise XLSFormError(
            f'no sheet called "survey" (the workbook has {names}); '
            'name the sheet with the questions "survey"'
        )
    return found, warnings


def _read_sheet(worksheet):
    """Return a worksheet's header and non-empty rows, refusing repeated columns."""
    rows = worksheet.iter_rows(values_only=True)
    try:
        return _parse_sheet(worksheet.title, rows)
    finally:
        rows.close()


def _parse_sheet(title, rows):
    """Return a Sheet from a worksheet's rows of cell values."""
    header = next(rows, ())
    columns = {}
    for index, raw in enumerate(header):
        name = _column_name(raw)
        if not name:
            continue
        if name in columns:
            first = get_column_letter(columns[name] + 1)
            raise XLSFormError(
                f'the column "{name}" appears twice (columns {first} and '
                f"{get_column_letter(index + 1)}); delete or rename one",
                title,
                1,
                get_column_letter(index + 1),
            )
        columns[name] = index

    body = []
    for number, cells in enumerate(rows, 2):
        if any(cell_text(cell) for cell in cells):
            body.append((number, cells))
        if len(body) > MAX_ROWS:
            raise XLSFormError(f"more than {MAX_ROWS} rows", title, number)
    return Sheet(title, columns, body)


def _column_name(raw):
    """Return a header cell as a lower-case column name."""
    name = " ".join(cell_text(raw).split()).lower()
    return HEADER_ALIASES.get(name, name)


def split_column(name):
    """Return (base, language) of a column name such as label::中文 (zh)."""
    if "::" in name:
        base, _, language = name.partition("::")
    elif ":" in name:
        base, _, language = name.partition(":")
    else:
        return name, None
    return base.strip(), language.strip() or None


def band_of(language):
    """Return the age band a language column stands for, or None."""
    if language is None:
        return None
    match = re.match(r"^(6-8|9-11|12-14|15-17)(?![\d-])", language)
    return match.group(1) if match else None


# ---------- texts in several languages ----------


@dataclass
class Texts:
    """The columns of one text field (label or hint) of a sheet."""

    sheet: Sheet
    #: band → column name
    bands: dict[str, str]
    #: column names, preferred first
    order: list[str]

    @classmethod
    def of(cls, sheet, base, default_language=None):
        """Return the columns of base in sheet, Chinese first, then default."""
        bands, chinese, default, other = {}, [], [], []
        for name in sheet.columns:
            column_base, language = split_column(name)
            if column_base != base:
                continue
            band = band_of(language)
            if band:
                bands[band] = name
            elif language and CHINESE.search(language):
                chinese.append(name)
            elif language is None or language == (default_language or "").lower():
                default.append(name)
            else:
                other.append(name)
        return cls(sheet, bands, chinese + default + other)

    @property
    def columns(self):
        """Return every column of the field."""
        return list(self.bands.values()) + self.order

    def text(self, cells):
        """Return the preferred non-empty text of a row, or ''."""
        for name in self.order:
            value = self.sheet.value(cells, name)
            if value:
                return value
        return ""

    def by_band(self, cells):
        """Return the row's per-band texts, band → text."""
        texts = {
            band: self.sheet.value(cells, name) for band, name in self.bands.items()
        }
        return {band: texts[band] for band in BANDS if texts.get(band)}


# ---------- settings and choices ----------


def _settings(sheet):
    """Return the settings sheet's first row as column → text."""
    if sheet is None or not sheet.rows:
        return {}
    _, cells = sheet.rows[0]
    return {name: sheet.value(cells, name) for name in sheet.columns}


@dataclass
class Choice:
    """One row of the choices sheet."""

    value: str
    label: str
    emoji: str
    image: str
    bands: dict[str, str]


def _choices(sheet, default_language, warnings):
    """Return the choice lists by name, each a list of Choice."""
    if sheet is None or not sheet.rows:
        return {}
    for column in ("list_name", "name"):
        if column not in sheet.columns:
            raise XLSFormError(f'no column "{column}"', sheet.name, 1)
    labels = Texts.of(sheet, "label", default_language)
    lists, pictures = {}, set()
    for number, cells in sheet.rows:
        list_name = sheet.value(cells, "list_name")
        if not list_name:
            continue
        choice = _choice(sheet, labels, number, cells, warnings, pictures)
        items = lists.setdefault(list_name, [])
        if any(item.value == choice.value for item in items):
            raise XLSFormError(
                f'the value "{choice.value}" is in list "{list_name}" twice',
                *sheet.place(number, "name"),
            )
        items.append(choice)
    if pictures:
        shown = ", ".join(sorted(pictures)[:5])
        warnings.append(
            f"option pictures not imported ({shown}): "
            "add them in the editor as paths on this site"
        )
    return lists


def _choice(sheet, labels, number, cells, warnings, pictures):
    """Return one row of the choices sheet as a Choice."""
    raw = sheet.value(cells, "name")
    value = slug(raw, prefix="")
    if not value:
        raise XLSFormError("an option needs a name", *sheet.place(number, "name"))
    if value != raw:
        warnings.append(f'choices row {number}: option "{raw}" stored as "{value}"')
    label = labels.text(cells)
    if not label and not labels.by_band(cells):
        warnings.append(
            f'choices row {number}: option "{raw}" has no label; its name is used'
        )
        label = raw
    image = sheet.value(cells, "image")
    if image and not image.startswith("/"):
        pictures.add(image)
        image = ""
    return Choice(
        value, label, sheet.value(cells, "emoji"), image, labels.by_band(cells)
    )


def _option(choice, band=None):
    """Return a Choice as a spec option, in band's wording when given."""
    option = {"value": choice.value, "label": choice.bands.get(band) or choice.label}
    if choice.emoji:
        option["emoji"] = choice.emoji
    if choice.image:
        option["image"] = choice.image
    return option


# ---------- the survey sheet ----------


@dataclass
class Builder:
    """The state of reading the survey sheet row by row."""

    sheet: Sheet
    lists: dict
    labels: Texts
    hints: Texts
    bands: tuple
    warnings: list
    questions: list = field(default_factory=list)
    #: question key → the name it had in the workbook
    names: dict = field(default_factory=dict)
    #: open groups: (row, kind, label, condition)
    groups: list = field(default_factory=list)
    pending_note: str = ""

    def warn(self, number, message):
        """Record a warning about one row of the survey sheet."""
        self.warnings.append(f"survey row {number}: {message}")


def _survey(sheet, lists, default_language, bands, warnings):
    """Return the questions of the survey sheet."""
    for column in ("type", "name"):
        if column not in sheet.columns:
            raise XLSFormError(f'no column "{column}"', sheet.name, 1)
    builder = Builder(
        sheet,
        lists,
        Texts.of(sheet, "label", default_language),
        Texts.of(sheet, "hint", default_language),
        bands,
        warnings,
    )
    for number, cells in sheet.rows:
        _row(builder, number, cells)
    if builder.groups:
        row = builder.groups[-1][0]
        raise XLSFormError("this group is never ended", *sheet.place(row, "type"))
    _warn_ignored_columns(builder)
    return builder.questions


def _row(builder, number, cells):
    """Read one row of the survey sheet into the builder."""
    sheet = builder.sheet
    raw_type = " ".join(sheet.value(cells, "type").split())
    if not raw_type:
        if sheet.value(cells, "name") or builder.labels.text(cells):
            raise XLSFormError("the type is empty", *sheet.place(number, "type"))
        return

    lowered = raw_type.lower()
    if lowered in GROUP_TYPES:
        _group(builder, number, cells, GROUP_TYPES[lowered])
    elif lowered == "note":
        builder.warn(number, f'note "{sheet.value(cells, "name")}" skipped')
    elif lowered in METADATA:
        builder.warn(number, f'"{raw_type}" skipped: the kiosk records no such data')
    else:
        question = _question(builder, number, cells, raw_type)
        if question is not None:
            _add(builder, number, cells, question)


def _group(builder, number, cells, kind):
    """Open or close a group; its label becomes the note of its first question."""
    if kind == "end":
        if not builder.groups:
            raise XLSFormError(
                "an end of a group that never began",
                *builder.sheet.place(number, "type"),
            )
        builder.groups.pop()
        builder.pending_note = ""
        return

    if kind == "repeat":
        builder.warn(number, "repeat flattened: its questions are asked once")
    label = builder.labels.text(cells)
    condition = builder.sheet.value(cells, "relevant")
    builder.groups.append((number, kind, label, condition))
    if label:
        builder.pending_note = " · ".join(filter(None, [builder.pending_note, label]))


def _question(builder, number, cells, raw_type):
    """Return the question a row describes, or None if it cannot be imported."""
    sheet = builder.sheet
    match = SELECT.match(raw_type)
    if match:
        return _choice_question(builder, number, cells, match)
    kind = raw_type.lower()
    if kind == "text":
        return {"type": "text"}
    if kind in NUMBER_TYPES:
        return _number_question(builder, number, cells, kind)
    builder.warn(
        number,
        f'type "{raw_type}" of "{sheet.value(cells, "name")}" is not supported; '
        "the question was not imported",
    )
    return None


def _choice_question(builder, number, cells, match):
    """Return a select_one, select_multiple or rank question with its options."""
    sheet = builder.sheet
    verb, list_name, or_other = match.group(1).lower(), match.group(2), match.group(3)
    if list_name not in builder.lists:
        raise XLSFormError(
            f'the list "{list_name}" is not on the choices sheet',
            *sheet.place(number, "type"),
        )
    if len(builder.lists[list_name]) + bool(or_other) < 2:
        raise XLSFormError(
            f'the list "{list_name}" has fewer than two options',
            *sheet.place(number, "type"),
        )
    kind = {"rank": "ranking"}.get(verb, "multi" if "multiple" in verb else "single")
    appearance = sheet.value(cells, "appearance").lower()
    if kind == "single" and appearance == "likert":
        kind = "faces"
    if kind == "single" and appearance == "yesno":
        kind = "yesno"
    if sheet.value(cells, "choice_filter"):
        builder.warn(number, "choice_filter ignored: every option is shown")
    return {"type": kind, "list": list_name, "or_other": bool(or_other)}


def _number_question(builder, number, cells, kind):
    """Return a number question with min and max from constraint or parameters."""
    question = {"type": "number"}
    if kind == "decimal":
        builder.warn(number, "decimal imported as a whole number")
    constraint = builder.sheet.value(cells, "constraint")
    if kind == "range":
        constraint = _range_constraint(builder.sheet.value(cells, "parameters"))
    bounds = parse_bounds(constraint)
    if bounds is None:
        builder.warn(number, f'constraint "{constraint}" not imported')
    else:
        question.update(bounds)
    return question


def _range_constraint(parameters):
    """Return a range question's start and end as a constraint."""
    found = dict(re.findall(r"(start|end)\s*=\s*(-?\d+)", parameters or ""))
    parts = []
    if "start" in found:
        parts.append(f". >= {found['start']}")
    if "end" in found:
        parts.append(f". <= {found['end']}")
    return " and ".join(parts)


def parse_bounds(constraint):
    """Return {"min", "max"} from a constraint like ". >= 0 and . <= 120"."""
    bounds = {}
    if not constraint:
        return bounds
    for part in re.split(r"\s+and\s+", constraint.strip(), flags=re.IGNORECASE):
        match = BOUND.match(part.strip().strip("()"))
        if match is None:
            return None
        sign, number = match.group(1), int(match.group(2))
        if sign in (">=", ">"):
            bounds["min"] = number + (sign == ">")
        else:
            bounds["max"] = number - (sign == "<")
    return bounds


def _add(builder, number, cells, question):
    """Name, word and place a question, with its or_other follow-up."""
    sheet = builder.sheet
    raw_name = sheet.value(cells, "name")
    key = slug(raw_name)
    if not key:
        raise XLSFormError("a question needs a name", *sheet.place(number, "name"))
    if key != raw_name:
        builder.warn(number, f'name "{raw_name}" stored as "{key}"')
    if any(q["key"] == key for q in builder.questions):
        raise XLSFormError(
            f'the name "{raw_name}" is used twice', *sheet.place(number, "name")
        )

    prompt = _prompt(builder, number, cells)
    practice = sheet.value(cells, "practice").lower() in ("yes", "true", "1")
    spec_question = {"key": key, "type": question["type"], "practice": practice}
    if list(prompt) != list(BANDS):
        spec_question["bands"] = list(prompt)
    spec_question["prompt"] = prompt
    note = _note(builder, cells, list(prompt))
    if note:
        spec_question["note"] = note
    if "list" in question:
        spec_question["options"] = _options(builder, question, list(prompt))
    for bound in ("min", "max"):
        if bound in question:
            spec_question[bound] = question[bound]
    condition = _condition(builder, number, cells, list(prompt))
    if condition:
        spec_question["show_if"] = condition
    builder.questions.append(spec_question)
    builder.names[key] = raw_name
    if question.get("or_other"):
        _add_other(builder, number, spec_question)


def _prompt(builder, number, cells):
    """Return the per-band prompt of a row: band columns, else one wording."""
    by_band = builder.labels.by_band(cells)
    if by_band:
        return by_band
    text = builder.labels.text(cells)
    if not text:
        raise XLSFormError(
            "a question needs a label",
            *builder.sheet.place(number, (builder.labels.order or ["label"])[0]),
        )
    return dict.fromkeys(builder.bands, text)


def _note(builder, cells, bands):
    """Return the note: the pending group label and the hint."""
    group, builder.pending_note = builder.pending_note, ""
    by_band = {b: t for b, t in builder.hints.by_band(cells).items() if b in bands}
    if by_band and not group:
        return by_band
    hint = builder.hints.text(cells)
    return " · ".join(filter(None, [group, hint]))


def _options(builder, question, bands):
    """Return a question's options: one list, or a list per band."""
    name = question["list"]
    base = builder.lists[name]
    overrides = {
        b: builder.lists[f"{name}@{b}"] for b in bands if f"{name}@{b}" in builder.lists
    }
    per_band = (
        bool(overrides) or any(c.bands for c in base) or question["type"] == "faces"
    )
    if not per_band:
        options = [_option(choice) for choice in base]
    else:
        options = {
            band: [_option(choice, band) for choice in overrides.get(band, base)]
            for band in bands
        }
    if question.get("or_other"):
        for items in options.values() if isinstance(options, dict) else [options]:
            if not any(item["value"] == OTHER["value"] for item in items):
                items.append(dict(OTHER))
    return options


def _add_other(builder, number, question):
    """Add the text question that asks what "other" is."""
    key = f"{question['key']}_other"[:64]
    if any(q["key"] == key for q in builder.questions):
        raise XLSFormError(
            f'"{key}" (for or_other) is used twice', builder.sheet.name, number
        )
    follow_up = {"key": key, "type": "text", "practice": question["practice"]}
    if "bands" in question:
        follow_up["bands"] = list(question["bands"])
    follow_up["prompt"] = dict.fromkeys(question["prompt"], OTHER_PROMPT)
    follow_up["show_if"] = {"question": question["key"], "in": [OTHER["value"]]}
    builder.questions.append(follow_up)


def _condition(builder, number, cells, bands):
    """Return show_if from the row's or its groups' relevant, if simple enough."""
    own = builder.sheet.value(cells, "relevant")
    inherited = [group[3] for group in builder.groups if group[3]]
    conditions = ([own] if own else []) + inherited
    if not conditions:
        return None
    if len(conditions) > 1:
        builder.warn(
            number, "several conditions (own and group) not imported; shown always"
        )
        return None
    return _simple_condition(builder, number, conditions[0], bands)


def _simple_condition(builder, number, expression, bands):
    """Return show_if for `${q} = 'v'` or `selected(${q}, 'v')` joined by or."""
    parsed = parse_relevant(expression)
    if parsed is None:
        builder.warn(number, f'relevant "{expression}" is not supported; shown always')
        return None
    name, values = parsed
    key = next((k for k, raw in builder.names.items() if raw == name), None)
    target = next((q for q in builder.questions if q["key"] == key), None)
    if target is None or "options" not in target or target["type"] == "ranking":
        builder.warn(
            number, f'relevant "{expression}" refers to no imported choice question'
        )
        return None
    wanted = [slug(value, prefix="") for value in values]
    if not set(bands) <= set(target.get("bands", BANDS)) or not _offered(
        target, wanted, bands
    ):
        builder.warn(
            number, f'relevant "{expression}" cannot hold for every band; shown always'
        )
        return None
    return {"question": key, "in": wanted}


def _offered(target, values, bands):
    """Return whether each band is offered one of values by target."""
    options = target["options"]
    for band in bands:
        items = options[band] if isinstance(options, dict) else options
        if not set(values) & {item["value"] for item in items}:
            return False
    return set(values) <= {
        item["value"]
        for items in (options.values() if isinstance(options, dict) else [options])
        for item in items
    }


def parse_relevant(expression):
    """Return (question name, values) of a simple relevant, else None."""
    text = _unwrap(expression.strip())
    names, values = set(), []
    for part in re.split(r"\s+or\s+", text):
        match = CONDITION.match(part.strip())
        if match is None:
            return None
        name = match.group(1) or match.group(4)
        names.add(name.strip())
        values.append(match.group(3) if match.group(1) else match.group(6))
    if len(names) != 1:
        return None
    return names.pop(), values


def _unwrap(text):
    """Return text without parentheses that enclose all of it."""
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for index, char in enumerate(text):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0 and index < len(text) - 1:
                return text
        text = text[1:-1].strip()
    return text


def _warn_ignored_columns(builder):
    """Warn once about survey columns that hold values this import does not use."""
    used = set(USED_COLUMNS) | set(builder.labels.columns) | set(builder.hints.columns)
    ignored = []
    for name, index in builder.sheet.columns.items():
        if name in used:
            continue
        if any(
            index < len(cells) and cell_text(cells[index])
            for _, cells in builder.sheet.rows
        ):
            ignored.append(name)
    if ignored:
        builder.warnings.append(f"columns not imported: {', '.join(ignored)}")
    required = builder.sheet.columns.get("required")
    if required is not None and any(
        required < len(cells)
        and cell_text(cells[required]).lower() in ("yes", "true", "1")
        for _, cells in builder.sheet.rows
    ):
        builder.warnings.append("required ignored: children may skip every question")


# ---------- the whole form ----------


def read_form(path, key=None, stage=None, bands=DEFAULT_BANDS):
    """Return the survey an XLSForm workbook describes; raise XLSFormError."""
    sheets, warnings = read_workbook(path)
    settings = _settings(sheets.get("settings"))
    language = settings.get("default_language")
    lists = _choices(sheets.get("choices"), language, warnings)
    questions = _survey(sheets["survey"], lists, language, tuple(bands), warnings)
    if not questions:
        raise XLSFormError("no question could be imported", "survey")

    spec = _spec(settings, questions, Path(path).stem, key, stage)
    errors, _ = check_spec(spec)
    if errors:
        raise XLSFormError("the imported survey breaks the survey format: " + errors[0])
    log.info("XLSForm read: %s questions, %s warnings", len(questions), len(warnings))
    return Imported(spec, warnings)


def _spec(settings, questions, stem, key, stage):
    """Return the survey spec around the imported questions."""
    key = slug(key or settings.get("form_id") or stem, prefix="form")
    if len(key) < 2:
        key = f"form_{key}"
    used = [band for band in BANDS if any(band in q["prompt"] for q in questions)]
    intro = {band: settings.get(f"intro::{band}") or VOLUNTARY_INTRO for band in used}
    days = settings.get("retention_days", "")
    return {
        "key": key,
        "title": settings.get("form_title") or key,
        "stage": stage or settings.get("stage") or DEFAULT_STAGE,
        "intro": intro,
        "purpose": settings.get("purpose", ""),
        "decides": settings.get("decides", ""),
        "open_to_change": settings.get("open_to_change", ""),
        "feedback_by": settings.get("feedback_by", ""),
        "retention_days": int(days) if days.isdigit() else 365,
        "questions": questions,
    }


# ---------- writing ----------

SURVEY_HEADER = (
    ["type", "name", "label"]
    + [f"label::{band}" for band in BANDS]
    + ["hint"]
    + [f"hint::{band}" for band in BANDS]
    + ["relevant", "constraint", "appearance", "practice"]
)
CHOICES_HEADER = ["list_name", "name", "label", "emoji", "image"]
SETTINGS_HEADER = (
    ["form_title", "form_id", "version", "stage"]
    + ["purpose", "decides", "open_to_change", "feedback_by", "retention_days"]
    + [f"intro::{band}" for band in BANDS]
)
XLSFORM_TYPES = {
    "single": ("select_one", ""),
    "faces": ("select_one", "likert"),
    "yesno": ("select_one", "yesno"),
    "multi": ("select_multiple", ""),
    "ranking": ("rank", ""),
}


def write_form(spec, path, version=""):
    """Write spec as an XLSForm workbook at path."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(SURVEY_HEADER)
    choices = book.create_sheet("choices")
    choices.append(CHOICES_HEADER)
    for question in spec["questions"]:
        survey.append(_survey_row(question))
        for row in _choice_rows(question):
            choices.append(row)
    settings = book.create_sheet("settings")
    settings.append(SETTINGS_HEADER)
    settings.append(_settings_row(spec, version))
    book.save(path)
    log.info("Survey %s written as XLSForm", spec["key"])


def _survey_row(question):
    """Return the survey sheet row of a question."""
    bands = question.get("bands", list(BANDS))
    prompt = question["prompt"]
    note = question.get("note")
    kind, appearance = XLSFORM_TYPES.get(question["type"], (question["type"], ""))
    if question["type"] == "number":
        kind = "integer"
    elif question["type"] in XLSFORM_TYPES:
        kind = f"{kind} {question['key']}"
    hints = note if isinstance(note, dict) else {}
    return (
        [kind, question["key"], prompt[bands[-1]]]
        + [prompt.get(band, "") for band in BANDS]
        + [note if isinstance(note, str) else ""]
        + [hints.get(band, "") for band in BANDS]
        + [_relevant(question.get("show_if")), _constraint(question), appearance]
        + ["yes" if question.get("practice") else ""]
    )


def _relevant(rule):
    """Return show_if as an XLSForm relevant expression."""
    if not rule:
        return ""
    return " or ".join(f"selected(${{{rule['question']}}}, '{v}')" for v in rule["in"])


def _constraint(question):
    """Return a number question's min and max as a constraint."""
    parts = []
    if question.get("min") is not None:
        parts.append(f". >= {question['min']}")
    if question.get("max") is not None:
        parts.append(f". <= {question['max']}")
    return " and ".join(parts)


def _choice_rows(question):
    """Return the choices sheet rows of a question: its list and band lists."""
    options = question.get("options")
    if not options:
        return []
    bands = question.get("bands", list(BANDS))
    if isinstance(options, list):
        return [_choice_row(question["key"], option) for option in options]

    base = options[bands[-1]]
    rows = [_choice_row(question["key"], option) for option in base]
    for band in bands:
        if options[band] != base or question["type"] == "faces":
            name = f"{question['key']}@{band}"
            rows += [_choice_row(name, option) for option in options[band]]
    return rows


def _choice_row(list_name, option):
    """Return one option as a choices sheet row."""
    return [
        list_name,
        option["value"],
        option["label"],
        option.get("emoji") or "",
        option.get("image") or "",
    ]


def _settings_row(spec, version):
    """Return the settings row: the survey's own fields."""
    intro = spec.get("intro", {})
    return [
        spec["title"],
        spec["key"],
        version,
        spec["stage"],
        spec.get("purpose", ""),
        spec.get("decides", ""),
        spec.get("open_to_change", ""),
        spec.get("feedback_by", ""),
        spec.get("retention_days", 365),
    ] + [intro.get(band, "") for band in BANDS]


def normalised(spec):
    """Return spec with defaults filled in, for comparing surveys."""
    spec = copy.deepcopy(spec)
    for question in spec["questions"]:
        question.setdefault("bands", list(BANDS))
        options = question.get("options")
        if isinstance(options, list):
            question["options"] = {b: copy.deepcopy(options) for b in question["bands"]}
    return spec
