"""The tables of a theme report, each count read from analysis.published.

Every page reads its counts from the same protected rows, so a narrowed report
shows a count as the unfiltered report's rows do, or not at all where it is
finer than they let through. A theme, task or group whose count cannot be
shown ("—") is left out, whatever its count, and the report says how many were.
"""

from dataclasses import dataclass, field

from analysis.disclosure import HIDDEN, NOT_SPLIT, ranked
from analysis.published import Cell, Published, task_key
from surveys.models import BANDS

BREAKDOWNS = {
    "theme": "主题",
    "township": "乡镇（街道）",
    "band": "年龄段",
    "gender": "性别",
    "month": "月份",
    "task": "行动任务",
}
GENDERS = {"f": "女", "m": "男", "none": "未填"}
WHO = "回答的孩子：乡镇（街道）× 年龄段"


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
class Main:
    """The report's main table, and how many of its rows could not be shown."""

    table: Table
    left_out: int = 0


@dataclass
class Who:
    """Who answered: the tables, whether crossed, and the breakdowns left out."""

    tables: list[Table]
    crossed: bool
    withheld: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class View:
    """What the tables of one report read: the counts, its cell and its breakdown."""

    published: Published
    cell: Cell
    by: str
    townships: dict
    tasks: dict
    labels: dict

    def value(self, cell: Cell):
        """Return a cell's count as every page shows it."""
        return self.published.value(cell)

    def label(self, theme) -> str:
        """Return a theme's label, or its key if none is known."""
        return self.labels.get(theme, theme)


# -- the main table -----------------------------------------------------------------


def main_table(view: View) -> Main:
    """Return the report's main table for its breakdown."""
    if view.by == "theme":
        return _theme_list(view)
    if view.by == "task":
        return _task_table(view)
    return _theme_table(view)


def _keys(view: View, tasks=False) -> list:
    """Return the themes (or task keys) any answer in the cell's themes carries."""
    keys = view.published.carried(view.cell.need)
    if tasks:
        return sorted(k for k in keys if isinstance(k, tuple))
    return sorted(k for k in keys if isinstance(k, str))


def _counted(view: View, keys) -> tuple[dict, int]:
    """Return each key's shown count in the cell, zeros and "—" left out, and how
    many were "—"."""
    values, left_out = {}, 0
    for key in keys:
        value = view.value(view.cell.needing(key))
        if value == NOT_SPLIT:
            left_out += 1
        elif value != 0:
            values[key] = value
    return values, left_out


def _theme_list(view: View) -> Main:
    """Return children per theme, most first, hidden counts by label; no total."""
    counts, left_out = _counted(view, _keys(view))
    order = ranked(counts, view.label)
    table = Table(
        title="主题：谈到每个主题的孩子数",
        corner="主题",
        columns=[("n", "孩子数")],
        rows=[(t, view.label(t)) for t in order],
        cells={(t, "n"): counts[t] for t in order},
    )
    return Main(table, left_out)


def _theme_table(view: View) -> Main:
    """Return themes × groups, each row protected against its own total."""
    footer = groups_of(view, view.cell, view.by)
    groups = columns(view.by, footer, view.townships)
    totals, left_out = _counted(view, _keys(view))
    order = ranked(totals, view.label)
    cells = {
        (t, g): _split(view, totals[t], view.cell.needing(t).within(view.by, {g}))
        for t in order
        for g, _ in groups
    }
    table = Table(
        title=f"主题 × {BREAKDOWNS[view.by]}：谈到每个主题的孩子数",
        corner="主题",
        columns=groups,
        rows=[(t, view.label(t)) for t in order],
        cells=cells,
        row_totals={t: totals[t] for t in order},
        col_totals={g: footer[g] for g, _ in groups},
        footer="回答的孩子",
    )
    return Main(table, left_out)


def _task_table(view: View) -> Main:
    """Return plan tasks × age bands: children whose answers speak to each task."""
    totals, left_out = _counted(view, _keys(view, tasks=True))
    numbers = [number for _, number in totals]
    cells = {
        (n, b): _split(
            view,
            totals[task_key(n)],
            view.cell.needing(task_key(n)).within("band", {b}),
        )
        for n in numbers
        for b in BANDS
    }
    table = Table(
        title="行动任务 × 年龄段：谈到每项任务的孩子数",
        corner="行动任务",
        columns=[(band, f"{band} 岁") for band in BANDS],
        rows=[(n, f"{n}. {view.tasks.get(n, '')}".strip()) for n in numbers],
        cells=cells,
        row_totals={n: totals[task_key(n)] for n in numbers},
    )
    return Main(table, left_out)


def _split(view: View, total, cell: Cell):
    """Return a row's cell; a row of fewer than 10 children is never split."""
    return NOT_SPLIT if total == HIDDEN else view.value(cell)


def groups_of(view: View, cell: Cell, dim: str) -> dict:
    """Return the shown count of each non-empty group of a breakdown in a cell."""
    found = {g: view.value(cell.within(dim, {g})) for g in view.published.groups(dim)}
    return {g: value for g, value in found.items() if value != 0}


def columns(by, keys, townships: dict) -> list[tuple]:
    """Return a breakdown's groups as (key, label) in display order."""
    if by == "township":
        return [(k, townships.get(k, k)) for k in _ordered(keys, townships)]
    if by == "band":
        return [(b, f"{b} 岁") for b in BANDS if b in keys]
    if by == "gender":
        return [(g, label) for g, label in GENDERS.items() if g in keys]
    return [(k, k) for k in sorted(keys)]


def _ordered(keys, known: dict) -> list:
    """Return keys in the order of a known mapping, unknown keys last."""
    order = {key: i for i, key in enumerate(known)}
    return sorted(keys, key=lambda k: (order.get(k, len(order)), k))


def bars(main: Table, by: str) -> list[dict]:
    """Return bar lengths for the report's chart; hidden counts get no bar."""
    if by == "theme":
        items = [(key, label, main.cells[(key, "n")]) for key, label in main.rows]
    elif by == "task":
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


# -- who answered ----------------------------------------------------------------------


def who_tables(view: View, extra: list[str], total) -> Who:
    """Return who answered: township × band where every cell shows, else apart.

    `extra` names the other breakdowns to list (gender, month). The report
    over every child shows the unfiltered table, suppression and all; a
    narrowed one crosses only where every cell shows as a number, and leaves
    out a breakdown any of whose groups would be "—".
    """
    cell = view.published.normal(view.cell)
    if not cell.where and not cell.need:
        return _everyone(view, extra)

    found = {dim: groups_of(view, view.cell, dim) for dim in ("township", "band")}
    crossing = {
        (t, b): view.value(view.cell.within("township", {t}).within("band", {b}))
        for t in found["township"]
        for b in BANDS
    }
    parts = {dim: groups_of(view, view.cell, dim) for dim in extra}
    if all(isinstance(v, int) for v in crossing.values()):
        towns = _ordered(found["township"], view.townships)
        table = _crossed_table(view, towns, crossing, found, total)
        return _with(view, [table], parts, total, crossed=True)
    return _with(view, [], {**found, **parts}, total, crossed=False)


def _with(view, tables, parts, total, crossed) -> Who:
    """Add one table per breakdown; leave out those with a group shown as "—"."""
    withheld = [dim for dim, values in parts.items() if NOT_SPLIT in values.values()]
    tables += [
        _breakdown_table(view, dim, values, total)
        for dim, values in parts.items()
        if dim not in withheld
    ]
    return Who(tables, crossed, withheld)


def _everyone(view: View, extra) -> Who:
    """Return the unfiltered table of who answered, as analysis.published holds it."""
    protected, crossed = view.published.who()
    total = protected[("all",)]
    groups = {
        dim: {
            g: v for g, v in view.published.row(frozenset(), dim)[0].items() if v != 0
        }
        for dim in ("township", "band", *extra)
    }
    if not crossed:
        return _with(view, [], groups, total, crossed=False)
    towns = _ordered(view.published.groups("township"), view.townships)
    crossing = {(t, b): protected[("cell", t, b)] for t in towns for b in BANDS}
    margins = {
        "township": {t: protected[("row", t)] for t in towns},
        "band": {b: protected[("col", b)] for b in BANDS},
    }
    table = _crossed_table(view, towns, crossing, margins, total)
    extras = {dim: groups[dim] for dim in extra}
    return _with(view, [table], extras, total, crossed=True)


def _crossed_table(view: View, towns, crossing, margins, total) -> Table:
    """Return the township × band table with both margins."""
    return Table(
        title=WHO,
        corner="乡镇（街道）",
        columns=[(band, f"{band} 岁") for band in BANDS],
        rows=[(town, view.townships.get(town, town)) for town in towns],
        cells=crossing,
        row_totals={t: margins["township"].get(t, 0) for t in towns},
        col_totals={b: margins["band"].get(b, 0) for b in BANDS},
        grand=total,
    )


def _breakdown_table(view: View, dim, values: dict, total) -> Table:
    """Return a one-column table of children by one breakdown."""
    groups = columns(dim, values, view.townships)
    return Table(
        title=f"回答的孩子：{BREAKDOWNS[dim]}",
        corner=BREAKDOWNS[dim],
        columns=[("n", "孩子数")],
        rows=groups,
        cells={(key, "n"): values[key] for key, _ in groups},
        col_totals={"n": total},
    )
