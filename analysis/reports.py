"""Theme reports over children's open answers: filters, scope and protected tables.

Every count in a report is of children (responses) and is protected by
analysis.disclosure before it leaves this module. Answers flagged for
safeguarding are never in scope. A report filtered on one of township, band
or gender and broken down by another is a crossed breakdown: it is shown only
if every cell of that crossing has 10 or more children, else the finer filter
is dropped and the report says so. A scope of fewer than 10 children is not
broken down at all, and the township × band table of who answered a filtered
report is crossed only where every cell has 10 or more.
"""

import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, and_, or_, select

from analysis import answer_export, evidence
from analysis.classify import similar_theme
from analysis.codebook import TASK_RANGE
from analysis.disclosure import (
    HIDDEN,
    THRESHOLD,
    Protected,
    breakdowns,
    cross_table,
    crossed_allowed,
    ranked,
    rows_with_totals,
    shown,
)
from analysis.models import AnswerTask, AnswerTheme
from participation.models import Task, Township
from surveys.models import BANDS, Answer, Launch, Response, Survey

log = logging.getLogger(__name__)

TIMEZONE = ZoneInfo("Asia/Shanghai")
BREAKDOWNS = {
    "theme": "主题",
    "township": "乡镇（街道）",
    "band": "年龄段",
    "gender": "性别",
    "month": "月份",
    "task": "行动任务",
}
GENDERS = {"f": "女", "m": "男", "none": "未填"}
#: the breakdowns that describe children; dropped in this order when too fine
DEMOGRAPHIC = ("gender", "band", "township")
LABELS = {
    "by": "分组",
    "township": "乡镇（街道）",
    "band": "年龄段",
    "gender": "性别",
    "survey": "问卷",
    "start": "起始月份",
    "end": "截止月份",
    "theme": "主题",
}
#: the themes the learned model gives alone, one per task, with their labels
MODEL_THEMES = dict(similar_theme(number) for number in TASK_RANGE)
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
#: the years a month filter may name
FIRST_YEAR, LAST_YEAR = 2000, 2100
QUOTES = 6
WHO = "回答的孩子：乡镇（街道）× 年龄段"
TOO_FEW = (
    f"范围内不到 {THRESHOLD} 名孩子，所以不按主题、任务或人群细分，也不显示原话和"
    "词云：人这么少，细分就看得出某个孩子说了什么。请放宽筛选条件。"
)
APART = (
    f"按乡镇（街道）× 年龄段交叉后有的格子不到 {THRESHOLD} 名孩子，"
    "所以回答的孩子按乡镇（街道）和年龄段分开列出。"
)


class FilterError(ValueError):
    """Report filters that cannot be used, with messages for staff."""

    def __init__(self, messages):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Filters:
    """What a report is about; empty fields mean no filter."""

    by: str = "theme"
    township: str | None = None
    band: str | None = None
    gender: str | None = None
    survey: str | None = None
    start: str | None = None
    end: str | None = None
    theme: str | None = None

    def params(self) -> dict:
        """Return the filters as query arguments, empty ones left out."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)
        }

    def without(self, name) -> "Filters":
        """Return the filters with one of them cleared."""
        return replace(self, **{name: None})


@dataclass(frozen=True)
class Options:
    """The values each filter may take, with their labels."""

    townships: dict[str, str]
    surveys: dict[str, str]
    themes: dict[str, str]
    tasks: dict[int, str]
    bands: tuple[str, ...] = BANDS
    genders: dict[str, str] = field(default_factory=lambda: dict(GENDERS))
    #: tasks the learned model adds where the codebook finds none (task_26)
    model_themes: dict[str, str] = field(default_factory=lambda: dict(MODEL_THEMES))

    @property
    def all_themes(self) -> dict[str, str]:
        """Return every theme a report can be filtered on, the model's ones too."""
        return {**self.model_themes, **self.themes}


@dataclass(frozen=True)
class Row:
    """One open answer in scope, without its words."""

    answer_id: int
    response_id: str
    band: str
    township: str
    gender: str
    month: str
    survey: str


@dataclass
class Table:
    """A table of shown counts, for the page and for exports."""

    title: str
    corner: str
    columns: list[tuple]
    rows: list[tuple]
    cells: dict
    row_totals: dict | None = None
    col_totals: dict | None = None
    grand: object = None
    footer: str = "合计"

    def header(self) -> list[str]:
        """Return the header row as text."""
        total = ["合计"] if self.row_totals is not None else []
        return [self.corner, *(label for _, label in self.columns), *total]

    def body(self) -> list[list]:
        """Return the rows, each a label then shown values."""
        lines = []
        for key, label in self.rows:
            line = [label, *(self.cells.get((key, c), 0) for c, _ in self.columns)]
            if self.row_totals is not None:
                line.append(self.row_totals.get(key, 0))
            lines.append(line)
        if self.col_totals is not None:
            line = [self.footer, *(self.col_totals.get(c, 0) for c, _ in self.columns)]
            if self.row_totals is not None:
                line.append(self.grand)
            lines.append(line)
        return lines


@dataclass
class Report:
    """A theme report as shown: protected tables, notices, quotes and versions."""

    asked: Filters
    filters: Filters
    notices: list[str]
    children: object
    answers: object
    main: Table
    who: Table
    extra: list[Table]
    bars: list[dict]
    quotes: list[dict]
    versions: list[str]
    cloud_texts: int
    #: fewer than THRESHOLD children in scope: nothing is broken down
    too_few: bool = False
    #: whether the scope's answers may be exported as a list
    export: answer_export.Plan = answer_export.Plan(answer_export.TOO_FEW)

    @property
    def tables(self) -> list[Table]:
        """Return every aggregate table of the report, for exports."""
        return [] if self.too_few else [self.main, self.who, *self.extra]


@dataclass
class Who:
    """Who answered: protected tables, and each breakdown's groups as shown."""

    tables: list[Table]
    groups: dict[str, dict]
    total: object
    crossed: bool


# -- filters ----------------------------------------------------------------------


def load_options(session: Session, codebook) -> Options:
    """Return the filter values the database and the codebook allow."""
    return Options(
        townships={
            t.code: t.name
            for t in session.exec(select(Township).order_by(Township.code))
        },
        surveys={
            s.key: s.title for s in session.exec(select(Survey).order_by(Survey.id))
        },
        themes={t.key: t.label for t in codebook.themes},
        tasks={
            t.number: t.title for t in session.exec(select(Task).order_by(Task.number))
        },
    )


def parse_filters(args, options: Options) -> Filters:
    """Read filters from query arguments; raise FilterError naming each bad one."""
    choices = {
        "by": BREAKDOWNS,
        "township": options.townships,
        "band": options.bands,
        "gender": options.genders,
        "survey": options.surveys,
        "theme": options.all_themes,
    }
    values, errors = {}, []
    for name in LABELS:
        value, error = _read(args, name, choices.get(name))
        if error:
            errors.append(error)
        elif value:
            values[name] = value
    if values.get("start") and values.get("end") and values["start"] > values["end"]:
        errors.append("起始月份晚于截止月份。")
    if errors:
        raise FilterError(errors)
    return Filters(**values)


def _read(args, name, choices) -> tuple[str | None, str | None]:
    """Return one filter's value, or the message saying why it cannot be used.

    `choices` is None for the months, which are checked for their shape.
    """
    given = [value.strip() for value in _values(args, name)]
    given = [value for value in given if value]
    if len(given) > 1:
        return None, f"{LABELS[name]}只能选一个，这里给了 {len(given)} 个。"
    if not given:
        return None, None

    value = given[0]
    if choices is not None and value not in choices:
        return None, f"{LABELS[name]}“{value[:20]}”不是可选的值，请从列表里选。"
    if choices is None and not MONTH.match(value):
        return None, f"{LABELS[name]}“{value[:20]}”要写成 2024-05 这样的年-月。"
    if choices is None and not _month_ok(value):
        return None, (
            f"{LABELS[name]}“{value[:20]}”不在 {FIRST_YEAR}—{LAST_YEAR} 年之间。"
        )
    return value, None


def _values(args, name) -> list[str]:
    """Return every value given for a query argument, from a MultiDict or a dict."""
    if hasattr(args, "getlist"):
        return args.getlist(name)
    value = args.get(name)
    return [] if value is None else [value]


def _month_ok(value: str) -> bool:
    """Tell whether a value is a plausible year-month."""
    match = MONTH.match(value)
    return bool(match) and FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR


def month_bounds(start: str | None, end: str | None):
    """Return the UTC instants where the start month begins and the end month ends."""
    low = _month_start(start) if start else None
    high = None
    if end:
        year, month = map(int, end.split("-"))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        high = _month_start(f"{year}-{month:02d}")
    return low, high


def _month_start(value: str) -> datetime:
    """Return the UTC instant where a local month begins."""
    year, month = map(int, value.split("-"))
    return datetime(year, month, 1, tzinfo=TIMEZONE).astimezone(UTC)


def month_of(moment: datetime) -> str:
    """Return the local year-month of a stored instant."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(TIMEZONE).strftime("%Y-%m")


# -- scope --------------------------------------------------------------------------


def scope_query(filters: Filters, *columns):
    """Return a select of columns over shown open answers matching the filters."""
    query = (
        select(*columns)
        .join(Response, Response.id == Answer.response_id)
        .join(Launch, Launch.id == Response.launch_id)
        .join(Survey, Survey.id == Launch.survey_id)
        .where(Answer.masked.is_not(None), evidence.unflagged())
    )
    if filters.survey:
        query = query.where(Survey.key == filters.survey)
    low, high = month_bounds(filters.start, filters.end)
    if low:
        query = query.where(Response.submitted_at >= low)
    if high:
        query = query.where(Response.submitted_at < high)
    if filters.theme:
        query = query.where(
            Answer.id.in_(
                select(AnswerTheme.answer_id).where(AnswerTheme.theme == filters.theme)
            )
        )
    return _demographic(query, filters)


def _demographic(query, filters: Filters):
    """Add the township, band and gender filters to a query."""
    if filters.township:
        query = query.where(Response.township_code == filters.township)
    if filters.band:
        query = query.where(Response.band == filters.band)
    if filters.gender == "none":
        query = query.where(Response.gender.is_(None))
    elif filters.gender:
        query = query.where(Response.gender == filters.gender)
    return query


def scope_rows(session: Session, filters: Filters) -> list[Row]:
    """Return the answers in scope, ignoring the township, band and gender filters."""
    wide = replace(filters, township=None, band=None, gender=None)
    query = scope_query(
        wide,
        Answer.id,
        Response.id,
        Response.band,
        Response.township_code,
        Response.gender,
        Response.submitted_at,
        Survey.key,
    ).order_by(Answer.id)
    return [
        Row(aid, rid, band, town, gender or "none", month_of(at), survey)
        for aid, rid, band, town, gender, at, survey in session.exec(query)
    ]


def matches(row: Row, filters: Filters) -> bool:
    """Tell whether a row meets the township, band and gender filters."""
    return all(
        getattr(filters, name) in (None, getattr(row, name)) for name in DEMOGRAPHIC
    )


def settle(rows: list[Row], filters: Filters) -> tuple[Filters, list[str]]:
    """Drop demographic filters until the crossing they make is safe to show."""
    dropped = []
    while True:
        dims = [name for name in DEMOGRAPHIC if getattr(filters, name)]
        if filters.by in DEMOGRAPHIC and filters.by not in dims:
            dims.append(filters.by)
        if len(dims) < 2 or crossed_allowed(_children_by(rows, dims)):
            return filters, dropped
        name = next(n for n in DEMOGRAPHIC if getattr(filters, n) and n != filters.by)
        filters = filters.without(name)
        dropped.append(name)


def _children_by(rows, dims) -> Counter:
    """Count children in each combination of the given dimensions."""
    groups = defaultdict(set)
    for row in rows:
        groups[tuple(getattr(row, d) for d in dims)].add(row.response_id)
    return Counter({key: len(ids) for key, ids in groups.items()})


# -- the report -------------------------------------------------------------------


def build(session: Session, filters: Filters, options: Options) -> Report:
    """Build the protected theme report for filters."""
    wide = scope_rows(session, filters)
    settled, dropped = settle(wide, filters)
    rows = [row for row in wide if matches(row, settled)]
    notices = [_notice(name, filters, settled) for name in dropped]
    if 0 < len({row.response_id for row in rows}) < THRESHOLD:
        log.info("Report by %s withheld: under %s children", settled.by, THRESHOLD)
        return _too_few(filters, settled, [*notices, TOO_FEW], len(rows))

    themes = _themes(session, [row.answer_id for row in rows])
    stored = {t: label for hits in themes.values() for t, label, _ in hits}
    labels = {**options.all_themes, **stored}
    who = _who(rows, settled, options)
    main = _main(session, rows, themes, settled, options, labels)
    if main.col_totals is not None:
        main.col_totals = _footer(settled, who)
    report = Report(
        asked=filters,
        filters=settled,
        notices=notices if who.crossed else [*notices, APART],
        children=who.total,
        answers=shown(len(rows)),
        main=main,
        who=who.tables[0],
        extra=who.tables[1:],
        bars=_bars(main, settled),
        quotes=_quotes(session, rows, themes, settled),
        versions=_versions(themes, rows),
        cloud_texts=len(cloud_rows(session, rows)),
        export=answer_export.plan(rows, settled),
    )
    log.info("Report by %s built over %s answers", settled.by, len(rows))
    return report


def _too_few(asked: Filters, settled: Filters, notices, answers: int) -> Report:
    """Return a report that says only that too few children are in scope."""
    nothing = Table(title="", corner="", columns=[], rows=[], cells={})
    return Report(
        asked=asked,
        filters=settled,
        notices=notices,
        children=HIDDEN,
        answers=shown(answers),
        main=nothing,
        who=nothing,
        extra=[],
        bars=[],
        quotes=[],
        versions=[],
        cloud_texts=0,
        too_few=True,
    )


def _notice(name, asked: Filters, settled: Filters) -> str:
    """Say why a filter was dropped."""
    dims = [LABELS[n] for n in DEMOGRAPHIC if getattr(asked, n)]
    if asked.by in DEMOGRAPHIC and LABELS[asked.by] not in dims:
        dims.append(LABELS[asked.by])
    return (
        f"按{'×'.join(dims)}交叉后有的格子不到 {THRESHOLD} 名孩子，"
        f"所以没有按{LABELS[name]}筛选，显示的是范围更大的表。"
    )


def _themes(session, answer_ids) -> dict[int, tuple]:
    """Return answer id -> ((theme, label, version), ...) for the answers."""
    themed = defaultdict(list)
    for start in range(0, len(answer_ids), 500):
        chunk = answer_ids[start : start + 500]
        query = select(
            AnswerTheme.answer_id,
            AnswerTheme.theme,
            AnswerTheme.label,
            AnswerTheme.codebook_version,
        ).where(AnswerTheme.answer_id.in_(chunk))
        for answer_id, theme, label, version in session.exec(query):
            themed[answer_id].append((theme, label, version))
    return {aid: tuple(hits) for aid, hits in themed.items()}


def _tasks(session, answer_ids) -> dict[int, tuple[int, ...]]:
    """Return answer id -> plan task numbers for the answers."""
    linked = defaultdict(list)
    for start in range(0, len(answer_ids), 500):
        chunk = answer_ids[start : start + 500]
        query = select(AnswerTask.answer_id, AnswerTask.task_number).where(
            AnswerTask.answer_id.in_(chunk)
        )
        for answer_id, number in session.exec(query):
            linked[answer_id].append(number)
    return {aid: tuple(sorted(numbers)) for aid, numbers in linked.items()}


def _who(rows, filters: Filters, options: Options) -> Who:
    """Protect who answered: township × band where it may be crossed, else apart.

    The crossing is kept for every child who answered if hiding can protect it;
    for a filtered scope only where every cell has THRESHOLD children or more,
    since there it would tie a theme, a survey or a month to small groups.
    """
    children = list({row.response_id: row for row in rows}.values())
    counts = Counter((r.township, r.band) for r in children)
    towns = _ordered({r.township for r in children}, options.townships)
    extra = {}
    if not filters.gender:
        extra["gender"] = Counter(r.gender for r in children)
    if filters.by == "month":
        extra["month"] = Counter(r.month for r in children)
    crossed = cross_table(counts, towns, BANDS, extra)

    narrowed = any(name != "by" for name in filters.params())
    if crossed.safe and (crossed_allowed(counts) or not narrowed):
        return _crossed(crossed, towns, extra, options)
    apart = {
        "township": Counter(r.township for r in children),
        "band": Counter(r.band for r in children),
        **extra,
    }
    return _apart(breakdowns(apart, len(children)), apart, options)


def _crossed(protected: Protected, towns, extra, options: Options) -> Who:
    """Return the township × band table with its linked breakdowns."""
    who = Table(
        title=WHO,
        corner="乡镇（街道）",
        columns=[(band, f"{band} 岁") for band in BANDS],
        rows=[(town, options.townships.get(town, town)) for town in towns],
        cells={(t, b): protected[("cell", t, b)] for t in towns for b in BANDS},
        row_totals={t: protected[("row", t)] for t in towns},
        col_totals={b: protected[("col", b)] for b in BANDS},
        grand=protected[("all",)],
    )
    groups = {"township": dict(who.row_totals), "band": dict(who.col_totals)}
    groups.update({n: _shown_groups(protected, n, c) for n, c in extra.items()})
    tables = [_breakdown_table(n, protected, c, options) for n, c in extra.items()]
    return Who([who, *tables], groups, who.grand, crossed=True)


def _apart(protected: Protected, parts: dict, options: Options) -> Who:
    """Return one table per breakdown, all protected against the same total."""
    return Who(
        tables=[_breakdown_table(n, protected, c, options) for n, c in parts.items()],
        groups={n: _shown_groups(protected, n, c) for n, c in parts.items()},
        total=protected[("all",)],
        crossed=False,
    )


def _shown_groups(protected: Protected, name, counts) -> dict:
    """Return a breakdown's non-empty groups with their shown counts."""
    return {key: protected[(name, key)] for key in counts if counts[key]}


def _breakdown_table(name, protected: Protected, counts, options: Options) -> Table:
    """Return a one-column table of children by one breakdown."""
    groups = _columns(name, {key for key in counts if counts[key]}, options)
    return Table(
        title=f"回答的孩子：{LABELS.get(name, BREAKDOWNS[name])}",
        corner=BREAKDOWNS[name],
        columns=[("n", "孩子数")],
        rows=groups,
        cells={(key, "n"): protected[(name, key)] for key, _ in groups},
        col_totals={"n": protected[("all",)]},
    )


def _ordered(keys, known: dict) -> list:
    """Return keys in the order of a known mapping, unknown keys last."""
    order = {key: i for i, key in enumerate(known)}
    return sorted(keys, key=lambda k: (order.get(k, len(order)), k))


def _main(session, rows, themes, filters, options, labels) -> Table:
    """Return the report's main table for its breakdown."""
    if filters.by == "theme":
        return _theme_list(rows, themes, labels)
    if filters.by == "task":
        return _task_table(session, rows, options)
    return _theme_table(rows, themes, filters.by, options, labels)


def _theme_children(rows, themes, group=None) -> dict:
    """Return (theme, group) -> set of children who spoke of the theme."""
    children = defaultdict(set)
    for row in rows:
        for theme, _, _ in themes.get(row.answer_id, ()):
            key = (theme, getattr(row, group)) if group else theme
            children[key].add(row.response_id)
    return children


def _theme_list(rows, themes, labels) -> Table:
    """Return children per theme, most first, hidden counts by label; no total."""
    children = _theme_children(rows, themes)
    counts = {theme: shown(len(ids)) for theme, ids in children.items()}
    order = ranked(counts, lambda t: labels.get(t, t))
    return Table(
        title="主题：谈到每个主题的孩子数",
        corner="主题",
        columns=[("n", "孩子数")],
        rows=[(t, labels.get(t, t)) for t in order],
        cells={(t, "n"): counts[t] for t in order},
    )


def _theme_table(rows, themes, by, options, labels) -> Table:
    """Return themes × groups, each row protected against its own total."""
    children = _theme_children(rows, themes, by)
    counts = Counter({key: len(ids) for key, ids in children.items()})
    groups = _columns(by, {getattr(row, by) for row in rows}, options)
    theme_keys = sorted({theme for theme, _ in counts})
    protected = rows_with_totals(counts, theme_keys, [key for key, _ in groups])
    totals = {t: protected[("row", t)] for t in theme_keys}
    order = ranked(totals, lambda t: labels.get(t, t))
    return Table(
        title=f"主题 × {BREAKDOWNS[by]}：谈到每个主题的孩子数",
        corner="主题",
        columns=groups,
        rows=[(t, labels.get(t, t)) for t in order],
        cells={(t, g): protected[("cell", t, g)] for t in order for g, _ in groups},
        row_totals=totals,
        col_totals={},
        footer="回答的孩子",
    )


def _columns(by, keys, options) -> list[tuple]:
    """Return a breakdown's groups as (key, label) in display order."""
    if by == "township":
        return [
            (k, options.townships.get(k, k)) for k in _ordered(keys, options.townships)
        ]
    if by == "band":
        return [(b, f"{b} 岁") for b in BANDS if b in keys]
    if by == "gender":
        return [(g, label) for g, label in GENDERS.items() if g in keys]
    return [(k, k) for k in sorted(keys)]


def _task_table(session, rows, options) -> Table:
    """Return plan tasks × age bands: children whose answers speak to each task."""
    tasks = _tasks(session, [row.answer_id for row in rows])
    children = defaultdict(set)
    for row in rows:
        for number in tasks.get(row.answer_id, ()):
            children[(number, row.band)].add(row.response_id)
    counts = Counter({key: len(ids) for key, ids in children.items()})
    numbers = sorted({number for number, _ in counts})
    protected = rows_with_totals(counts, numbers, BANDS)
    return Table(
        title="行动任务 × 年龄段：谈到每项任务的孩子数",
        corner="行动任务",
        columns=[(band, f"{band} 岁") for band in BANDS],
        rows=[(n, f"{n}. {options.tasks.get(n, '')}".strip()) for n in numbers],
        cells={(n, b): protected[("cell", n, b)] for n in numbers for b in BANDS},
        row_totals={n: protected[("row", n)] for n in numbers},
    )


def _footer(filters: Filters, who: Who) -> dict:
    """Return children per group, as the protected who tables show them."""
    if filters.by in who.groups:
        return dict(who.groups[filters.by])
    return {getattr(filters, filters.by): who.total}


def _bars(main: Table, filters: Filters) -> list[dict]:
    """Return bar lengths for the report's chart; hidden counts get no bar."""
    if filters.by == "theme":
        items = [(key, label, main.cells[(key, "n")]) for key, label in main.rows]
    elif filters.by == "task":
        items = [(key, label, main.row_totals[key]) for key, label in main.rows]
    else:
        items = [(k, label, main.col_totals.get(k, 0)) for k, label in main.columns]
    top = max((v for _, _, v in items if isinstance(v, int)), default=0)
    return [
        {
            "key": key,
            "label": label,
            "value": value,
            "width": round(100 * value / top, 1)
            if isinstance(value, int) and top
            else 0,
        }
        for key, label, value in items
    ]


def _quotes(session, rows, themes, filters: Filters) -> list[dict]:
    """Pick safe quotes, answers with themes first; a theme filter limits evidence."""
    ordered = sorted(rows, key=lambda r: (r.answer_id not in themes, r.answer_id))
    candidates = [(r.answer_id, r.township, r.band) for r in ordered]
    keys = {filters.theme} if filters.theme else None
    return evidence.pick_quotes(session, candidates, QUOTES, keys)


def _versions(themes, rows) -> list[str]:
    """Return the codebook versions behind the report's themes, most used first."""
    used = Counter()
    for row in rows:
        used.update({version for _, _, version in themes.get(row.answer_id, ())})
    return [version for version, _ in used.most_common()]


def cloud_rows(session, rows) -> list[int]:
    """Return the answers a word cloud may use: from township × band groups of 10+."""
    sizes = evidence.group_sizes(session)
    return [
        row.answer_id
        for row in rows
        if sizes.get((row.township, row.band), 0) >= THRESHOLD
    ]


def cloud_texts(session: Session, filters: Filters) -> list[str]:
    """Return one masked text per child behind a report's cloud, or [] if too few."""
    wide = scope_rows(session, filters)
    settled, _ = settle(wide, filters)
    ids = cloud_rows(session, [row for row in wide if matches(row, settled)])
    rows = []
    for start in range(0, len(ids), 500):
        rows += session.exec(
            select(Answer.response_id, Answer.masked).where(
                Answer.id.in_(ids[start : start + 500])
            )
        ).all()
    texts = evidence.per_child(rows)
    return texts if len(texts) >= THRESHOLD else []


def export_scope(session: Session, filters: Filters):
    """Return the filters as the page settles them, and whether their answers may go."""
    wide = scope_rows(session, filters)
    settled, _ = settle(wide, filters)
    rows = [row for row in wide if matches(row, settled)]
    return settled, answer_export.plan(rows, settled)


def answer_query(filters: Filters):
    """Return a function giving the select of the next batch of answers to export.

    Answers go in the order of their masked text, never by id or time, which
    would group a launch's answers together.
    """

    def next_batch(last: tuple[str, int] | None, size: int):
        """Return the select of up to size answers after last (text, id)."""
        query = scope_query(
            filters, Answer.id, Answer.masked, Survey.title, Answer.question_key
        )
        if last:
            text, answer_id = last
            query = query.where(
                or_(
                    Answer.masked > text,
                    and_(Answer.masked == text, Answer.id > answer_id),
                )
            )
        return query.order_by(Answer.masked, Answer.id).limit(size)

    return next_batch


def describe(filters: Filters, options: Options, versions, now=None) -> list[tuple]:
    """Return label and value pairs that say what a report covers."""
    names = {
        "township": options.townships,
        "band": {b: f"{b} 岁" for b in options.bands},
        "gender": options.genders,
        "survey": options.surveys,
        "theme": options.all_themes,
    }
    chosen = [
        f"{LABELS[name]}：{names[name].get(value, value) if name in names else value}"
        for name, value in filters.params().items()
        if name != "by"
    ]
    moment = (now or datetime.now(UTC)).astimezone(TIMEZONE)
    return [
        ("报告", f"童声主题报告 · 按{BREAKDOWNS[filters.by]}"),
        ("筛选", "；".join(chosen) or "全部"),
        ("编码本版本", "、".join(versions) or "—"),
        ("生成时间", moment.strftime("%Y-%m-%d %H:%M")),
    ]
