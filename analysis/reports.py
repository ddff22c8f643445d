"""Theme reports over children's open answers: filters, scope and protected tables.

Every count in a report is of children (responses) and is read from
analysis.published, which protects it the same way on every page, so no
report can be subtracted from another to work out a hidden count. Answers
flagged for safeguarding are never in scope. A report filtered on one of
township, band or gender and broken down by another is a crossed breakdown:
it is shown only if every cell of that crossing has 10 or more children, else
the finer filter is dropped and the report says so; so is a filter whose
group's count the wider tables hide. A scope of fewer than 10 children, or one
whose count cannot be shown, is not broken down at all.
"""

import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, and_, or_, select

from analysis import answer_export, evidence, report_tables
from analysis.classify import similar_theme
from analysis.codebook import TASK_RANGE
from analysis.disclosure import (
    HIDDEN,
    NOT_SPLIT,
    SECONDARY,
    THRESHOLD,
    crossed_allowed,
    shown,
)
from analysis.models import AnswerTask, AnswerTheme
from analysis.published import Cell, Figure, Published, task_key
from analysis.report_tables import BREAKDOWNS, GENDERS, Table
from analysis.report_tables import WHO as WHO
from participation.models import Task, Township
from surveys.models import BANDS, Answer, Launch, Response, Survey

log = logging.getLogger(__name__)

TIMEZONE = ZoneInfo("Asia/Shanghai")
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
TOO_FEW = (
    f"范围内不到 {THRESHOLD} 名孩子，所以不按主题、任务或人群细分，也不显示原话和"
    "词云：人这么少，细分就看得出某个孩子说了什么。请放宽筛选条件。"
)
APART = (
    f"按乡镇（街道）× 年龄段交叉后有的格子不到 {THRESHOLD} 名孩子，"
    "所以回答的孩子按乡镇（街道）和年龄段分开列出。"
)
WITHHELD = (
    "这个范围的孩子人数不能显示：它比报告公开的表分得更细，而那些表里有的格子"
    f"不到 {THRESHOLD} 名孩子，显示它就能和别的报告相减，算出被隐去的数字。"
    "所以不按主题、任务或人群细分，也不显示原话和词云。请放宽筛选条件。"
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
    launch: int


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
        if self.too_few:
            return []
        return [t for t in [self.main, self.who, *self.extra] if t.title]


@dataclass
class Scope:
    """The children a report is about, once the filters it cannot keep are dropped."""

    asked: Filters
    filters: Filters
    notices: list[str]
    #: the open answers in scope
    rows: list[Row]
    #: answer id -> ((theme, label, version), ...) for every answer
    themes: dict
    #: answer id -> its theme keys and task keys, for every answer
    keys: dict
    published: Published
    cell: Cell
    #: the number of children in scope, as every page shows it
    head: Figure

    @property
    def full(self) -> bool:
        """Tell whether the scope may be broken down: 10 or more children, shown."""
        value = self.head.value
        return value == SECONDARY or (isinstance(value, int) and value >= THRESHOLD)


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
        Response.launch_id,
    ).order_by(Answer.id)
    return [
        Row(aid, rid, band, town, gender or "none", month_of(at), survey, launch)
        for aid, rid, band, town, gender, at, survey, launch in session.exec(query)
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


def everyone(session: Session) -> tuple[list[Row], dict, dict, Published]:
    """Return every shown open answer, its themes and keys, and the shown counts."""
    rows = scope_rows(session, Filters())
    ids = [row.answer_id for row in rows]
    themes, tasks = _themes(session, ids), _tasks(session, ids)
    keys = {
        aid: frozenset(theme for theme, _, _ in hits) for aid, hits in themes.items()
    }
    for aid, numbers in tasks.items():
        keys[aid] = keys.get(aid, frozenset()) | {task_key(n) for n in numbers}
    return rows, themes, keys, Published(rows, keys)


def load_published(session: Session) -> Published:
    """Return the counts every report page may show, over every shown answer."""
    return everyone(session)[3]


def open_scope(session: Session, filters: Filters) -> Scope:
    """Return a report's scope: the filters it can keep, its answers and headcount."""
    rows, themes, keys, published = everyone(session)
    wide = [row for row in rows if _in_base(row, filters, keys)]
    settled, crossed = settle(wide, filters)
    notices = [_notice(name, filters, settled) for name in crossed]
    settled, hidden = _shown_groups(settled, published)
    notices += [_hidden_notice(name) for name in hidden]
    settled, notice = _shown_breakdown(settled, published)
    notices += notice
    cell = cell_of(settled, published)
    return Scope(
        asked=filters,
        filters=settled,
        notices=notices,
        rows=[row for row in wide if matches(row, settled)],
        themes=themes,
        keys=keys,
        published=published,
        cell=cell,
        head=published.figure(cell),
    )


def _in_base(row: Row, filters: Filters, keys) -> bool:
    """Tell whether an answer meets the theme, survey and month filters."""
    return (
        (not filters.theme or filters.theme in keys.get(row.answer_id, ()))
        and (not filters.survey or row.survey == filters.survey)
        and (not filters.start or row.month >= filters.start)
        and (not filters.end or row.month <= filters.end)
    )


def cell_of(filters: Filters, published: Published) -> Cell:
    """Return the cell of children a report's filters leave."""
    cell = Cell(frozenset({filters.theme}) if filters.theme else frozenset())
    for name in DEMOGRAPHIC:
        if getattr(filters, name):
            cell = cell.within(name, {getattr(filters, name)})
    if filters.survey:
        cell = cell.within("survey", {filters.survey})
    if filters.start or filters.end:
        low, high = filters.start or "", filters.end or "9999"
        months = [m for m in published.groups("month") if low <= m <= high]
        cell = cell.within("month", months)
    return cell


def _shown_groups(filters: Filters, published: Published):
    """Drop township, band and gender filters while their group's count is hidden.

    The count of a group is a cell of a wider table; where that table hides it,
    a report showing it would let a reader subtract it from the table's totals.
    """
    dropped = []
    while True:
        value = published.value(cell_of(filters, published))
        named = [name for name in DEMOGRAPHIC if getattr(filters, name)]
        if value not in (SECONDARY, NOT_SPLIT) or not named:
            return filters, dropped
        filters = filters.without(named[0])
        dropped.append(named[0])


def _hidden_notice(name) -> str:
    """Say why a filter whose group's count is hidden was dropped."""
    return (
        f"这群孩子的人数在更大的表里是隐去的（按{LABELS[name]}细分后有的格子"
        f"不到 {THRESHOLD} 名孩子），显示它就能算出隐去的数字，"
        f"所以没有按{LABELS[name]}筛选，显示的是范围更大的表。"
    )


def _shown_breakdown(filters: Filters, published: Published):
    """Break a report down by theme instead where a group's count cannot show."""
    if filters.by in ("theme", "task"):
        return filters, []
    cell = cell_of(filters, published)
    groups = published.groups(filters.by)
    if all(published.value(cell.within(filters.by, {g})) != NOT_SPLIT for g in groups):
        return filters, []
    label = BREAKDOWNS[filters.by]
    notice = (
        f"在这个范围里按{label}分组，有的组的人数不能显示（比报告公开的表分得更细，"
        f"而那些表里有的格子不到 {THRESHOLD} 名孩子），所以没有按{label}分组。"
    )
    return replace(filters, by="theme"), [notice]


# -- the report -------------------------------------------------------------------


def build(session: Session, filters: Filters, options: Options) -> Report:
    """Build the protected theme report for filters."""
    scope = open_scope(session, filters)
    settled, rows = scope.filters, scope.rows
    if scope.head.value in (HIDDEN, NOT_SPLIT):
        log.info("Report by %s withheld: scope not shown", settled.by)
        return _too_few(scope)

    themes = {row.answer_id: scope.themes.get(row.answer_id, ()) for row in rows}
    themes = {aid: hits for aid, hits in themes.items() if hits}
    stored = {t: label for hits in scope.themes.values() for t, label, _ in hits}
    view = report_tables.View(
        published=scope.published,
        cell=scope.cell,
        by=settled.by,
        townships=options.townships,
        tasks=options.tasks,
        labels={**options.all_themes, **stored},
    )
    main = report_tables.main_table(view)
    who = report_tables.who_tables(view, _listed(settled), scope.head.value)
    full = scope.full
    report = Report(
        asked=filters,
        filters=settled,
        notices=_notices(scope, main, who),
        children=scope.head.value,
        answers=_answers(scope),
        main=main.table,
        who=who.tables[0] if who.tables else _nothing(),
        extra=who.tables[1:],
        bars=report_tables.bars(main.table, settled.by),
        quotes=_quotes(session, rows, themes, settled) if full else [],
        versions=_versions(themes, rows),
        cloud_texts=len(cloud_rows(session, rows)) if full else 0,
        export=answer_export.plan(scope),
    )
    log.info("Report by %s built over %s answers", settled.by, len(rows))
    return report


def _notices(scope: Scope, main, who) -> list[str]:
    """Return what the page says of the filters, rows and tables it could not show."""
    notices = list(scope.notices)
    if main.left_out:
        notices.append(
            f"另有 {main.left_out} 个主题或任务在这个范围里的人数不能显示（比报告"
            f"公开的表分得更细，而那些表里有的格子不到 {THRESHOLD} 名孩子），"
            "所以不在这里列出；不加筛选的报告里有它们。"
        )
    if not who.crossed:
        notices.append(APART)
    for name in who.withheld:
        notices.append(
            f"回答的孩子按{BREAKDOWNS[name]}细分到这个范围时，有的组的人数不能显示，"
            "所以不列出这一项。"
        )
    return notices


def _answers(scope: Scope):
    """Return the number of open answers in scope, if the headcount may be counted."""
    return shown(len(scope.rows)) if scope.head.safe else NOT_SPLIT


def _listed(filters: Filters) -> list[str]:
    """Return the breakdowns of who answered listed beside township and band."""
    gender = [] if filters.gender else ["gender"]
    return [*gender, *(["month"] if filters.by == "month" else [])]


def _nothing() -> Table:
    """Return a table with nothing in it, for a report that shows none."""
    return Table(title="", corner="", columns=[], rows=[], cells={})


def _too_few(scope: Scope) -> Report:
    """Return a report that says only that too few children are in scope."""
    reason = TOO_FEW if scope.head.value == HIDDEN else WITHHELD
    return Report(
        asked=scope.asked,
        filters=scope.filters,
        notices=[*scope.notices, reason],
        children=scope.head.value,
        answers=_answers(scope),
        main=_nothing(),
        who=_nothing(),
        extra=[],
        bars=[],
        quotes=[],
        versions=[],
        cloud_texts=0,
        too_few=True,
        export=answer_export.plan(scope),
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
    scope = open_scope(session, filters)
    if not scope.full:
        return []
    ids = cloud_rows(session, scope.rows)
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
    scope = open_scope(session, filters)
    return scope.filters, answer_export.plan(scope)


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
