"""Statistical disclosure control for counts and quotes shown to staff.

A count of 1 to 9 children is shown as "<10" (primary suppression). Where such
a count could be worked back from totals that are shown beside it, more counts
are hidden as "×" (secondary suppression) until `recoverable`, which plays the
part of a reader solving the table's sums, can pin down no hidden count.

Tables are described as counts under keys plus `Sum`s (these parts add up to
that total), so one table, a table with margins, or several tables that share
totals are protected the same way. A table that hiding cannot protect is marked
unsafe, for the caller to show less. A cell that is not split ("—") says
nothing of its count: its row has fewer than 10 children, or hiding could not
protect the row without hiding its total, which other pages show, or the cell
is finer than a report may show (analysis.published).
"""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from math import inf

import numpy as np

THRESHOLD = 10
HIDDEN = "<10"
SECONDARY = "×"
#: a cell not split out: any count, zero too
NOT_SPLIT = "—"
SUPPRESSED = (HIDDEN, SECONDARY, NOT_SPLIT)
#: a hidden value closer than this to a whole number counts as pinned down
TOLERANCE = 1e-6


def shown(count, threshold=THRESHOLD):
    """Return count as it may be shown: "<10" for a small non-zero count."""
    if 0 < count < threshold:
        return HIDDEN
    return count


def is_hidden(value) -> bool:
    """Tell whether a shown value is suppressed."""
    return isinstance(value, str) and value in SUPPRESSED


def crossed_allowed(cells, threshold=THRESHOLD):
    """Return whether a crossed breakdown may be shown: every group has ≥ threshold.

    A zero is no group of children, so empty cells do not stop the crossing.
    """
    return all(count == 0 or count >= threshold for count in cells.values())


def ranked(values: Mapping, label=str) -> list:
    """Return keys by shown value, most first, then the hidden ones in label order.

    A hidden value never decides where its row goes, so the order gives none away.
    """
    open_keys = [key for key, value in values.items() if not is_hidden(value)]
    hidden = [key for key, value in values.items() if is_hidden(value)]
    by_value = sorted(open_keys, key=lambda k: (-values[k], label(k), str(k)))
    return by_value + sorted(hidden, key=lambda k: (label(k), str(k)))


@dataclass(frozen=True)
class Sum:
    """The counts under `parts` add up to the count under `total`."""

    parts: tuple[Hashable, ...]
    total: Hashable


@dataclass
class Protected:
    """Counts as they may be shown, with the sums a reader could use on them."""

    values: dict[Hashable, int | str]
    sums: list[Sum] = field(default_factory=list)
    #: False when a count can be worked back even with every count hidden
    safe: bool = True

    def __getitem__(self, key):
        return self.values[key]

    def get(self, key, default=0):
        """Return the shown value under key, or default."""
        return self.values.get(key, default)


def protect(
    counts: Mapping, sums: Sequence[Sum], threshold=THRESHOLD, keep=frozenset()
) -> Protected:
    """Hide small counts, then more, until no hidden count can be worked back.

    Counts under `keep` are never hidden by a second suppression, since other
    pages show them; where no other count can cover, the table is unsafe.
    """
    values = {key: shown(count, threshold) for key, count in counts.items()}
    while True:
        if _cover_lone_cells(values, counts, sums, keep):
            continue
        exposed = recoverable(values, sums, threshold)
        if not exposed:
            return Protected(values, list(sums))
        if not _cover_exposed(values, counts, sums, exposed, keep):
            _hide_all(values, counts, keep)
            safe = not recoverable(values, sums, threshold)
            return Protected(values, list(sums), safe)


def _cover_lone_cells(values, counts, sums, keep) -> bool:
    """Hide a second value in every sum where exactly one value is hidden."""
    changed = False
    for total in sums:
        keys = (*total.parts, total.total)
        hidden = [key for key in keys if is_hidden(values[key])]
        if len(hidden) == 1 and _hide_partner(values, counts, total, keep):
            changed = True
    return changed


def _cover_exposed(values, counts, sums, exposed, keep) -> bool:
    """Hide one more value in a sum that holds a value a reader could recompute."""
    for key in sorted(exposed, key=repr):
        for total in sums:
            touches = key in total.parts or key == total.total
            if touches and _hide_partner(values, counts, total, keep):
                return True
    return False


def _hide_partner(values, counts, total: Sum, keep) -> bool:
    """Hide the smallest shown non-zero part of a sum, else its total."""
    shown_parts = [
        (counts[key], repr(key), key)
        for key in total.parts
        if not is_hidden(values[key]) and counts[key] > 0 and key not in keep
    ]
    if shown_parts:
        key = min(shown_parts)[2]
    elif (
        not is_hidden(values[total.total])
        and counts[total.total] > 0
        and total.total not in keep
    ):
        key = total.total
    else:
        return False
    values[key] = SECONDARY
    return True


def _hide_all(values, counts, keep):
    """Hide every non-zero count: the fallback when nothing smaller protects."""
    for key, count in counts.items():
        if count > 0 and not is_hidden(values[key]) and key not in keep:
            values[key] = SECONDARY


def recoverable(values: Mapping, sums: Sequence[Sum], threshold=THRESHOLD) -> dict:
    """Return the hidden values that the shown values and sums pin down.

    This is the check a careful reader could make: solve the sums for the
    hidden values exactly, and narrow each hidden value's range knowing that
    "<10" means 1 to threshold-1, "×" at least threshold and "—" any count.
    Every key returned maps to the value it was worked back to.
    """
    hidden = sorted((k for k, v in values.items() if is_hidden(v)), key=repr)
    if not hidden:
        return {}
    index = {key: i for i, key in enumerate(hidden)}
    equations = [_equation(values, total, index) for total in sums]
    equations = [eq for eq in equations if eq[0]]

    found = _solve_exact(equations, hidden)
    for key, value in _narrow(equations, hidden, values, threshold).items():
        found.setdefault(key, value)
    return found


def _equation(values, total: Sum, index):
    """Return a sum as ({hidden index: ±1}, constant) over the hidden values."""
    coefficients, constant = {}, 0
    for key in total.parts:
        if key in index:
            coefficients[index[key]] = coefficients.get(index[key], 0) + 1
        else:
            constant -= values[key]
    if total.total in index:
        coefficients[index[total.total]] = coefficients.get(index[total.total], 0) - 1
    else:
        constant += values[total.total]
    return coefficients, constant


def _solve_exact(equations, hidden) -> dict:
    """Return the hidden values that the sums alone determine."""
    if not equations:
        return {}
    matrix = np.zeros((len(equations), len(hidden)))
    rhs = np.zeros(len(equations))
    for row, (coefficients, constant) in enumerate(equations):
        for column, coefficient in coefficients.items():
            matrix[row, column] = coefficient
        rhs[row] = constant

    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > TOLERANCE).sum())
    null_space = vt[rank:]
    solution = np.linalg.lstsq(matrix, rhs, rcond=None)[0]
    found = {}
    for column, key in enumerate(hidden):
        if np.all(np.abs(null_space[:, column]) < TOLERANCE):
            found[key] = int(round(solution[column]))
    return found


def _narrow(equations, hidden, values, threshold) -> dict:
    """Narrow each hidden value's range through the sums; return the pinned ones."""
    lows = {HIDDEN: 1, NOT_SPLIT: 0, SECONDARY: threshold}
    highs = {HIDDEN: threshold - 1, NOT_SPLIT: inf, SECONDARY: inf}
    low = [lows[values[key]] for key in hidden]
    high = [highs[values[key]] for key in hidden]
    for _ in range(100):
        changed = False
        for coefficients, constant in equations:
            changed |= _narrow_one(coefficients, constant, low, high)
        if not changed:
            break
    return {key: int(low[i]) for i, key in enumerate(hidden) if low[i] == high[i]}


def _narrow_one(coefficients, constant, low, high) -> bool:
    """Tighten the ranges of one equation's hidden values; tell whether any moved."""
    changed = False
    for column, coefficient in coefficients.items():
        rest_low, rest_high = _rest_range(coefficients, column, low, high)
        # coefficient * x = constant - rest
        bounds = sorted(
            ((constant - rest_high) / coefficient, (constant - rest_low) / coefficient)
        )
        if bounds[0] > low[column]:
            low[column], changed = bounds[0], True
        if bounds[1] < high[column]:
            high[column], changed = bounds[1], True
    return changed


def _rest_range(coefficients, skip, low, high):
    """Return the range of the sum of an equation's other terms."""
    rest_low = rest_high = 0.0
    for column, coefficient in coefficients.items():
        if column == skip:
            continue
        if coefficient > 0:
            rest_low += coefficient * low[column]
            rest_high += coefficient * high[column]
        else:
            rest_low += coefficient * high[column]
            rest_high += coefficient * low[column]
    return rest_low, rest_high


def one_way(counts: Mapping, threshold=THRESHOLD) -> tuple[dict, int | str]:
    """Protect a list of counts shown with its total; return (cells, total)."""
    keys = list(counts)
    table = dict(counts)
    table[_TOTAL] = sum(counts.values())
    result = protect(table, [Sum(tuple(keys), _TOTAL)], threshold)
    cells = {key: result[key] for key in keys}
    return cells, result[_TOTAL]


def suppress(cells, threshold=THRESHOLD):
    """Return cells with small counts hidden so none can be worked from the total."""
    return one_way(cells, threshold)[0]


def rows_with_totals(
    counts: Mapping[tuple, int], rows: Iterable, columns: Iterable, threshold=THRESHOLD
) -> Protected:
    """Protect a table whose rows each end in a shown total and whose columns don't.

    A row's total is shown as it is everywhere else (a theme's count in the
    theme list), so it is never hidden to cover a cell. A row of fewer than
    threshold children is not split: its total shows "<10" and its cells "—",
    zeros too, since where a handful of children are is what would single them
    out; nor is a row that hiding cannot protect with its total shown (1 and 10
    under 11). Keys of the result are ("cell", row, column) and ("row", row).
    """
    columns = list(columns)
    result = Protected({}, [])
    for row in rows:
        parts = tuple(("cell", row, column) for column in columns)
        total = Sum(parts, ("row", row))
        values = {("cell", row, c): counts.get((row, c), 0) for c in columns}
        values[total.total] = sum(values.values())
        protected = protect(values, [total], threshold, keep={total.total})
        if 0 < values[total.total] < threshold or not protected.safe:
            protected.values = {key: NOT_SPLIT for key in parts} | {
                total.total: shown(values[total.total], threshold)
            }
        result.values.update(protected.values)
        result.sums.append(total)
    return result


def breakdowns(
    parts: Mapping[str, Mapping], total: int, threshold=THRESHOLD
) -> Protected:
    """Protect several one-way breakdowns of the same children, sharing one total.

    Keys are (name, group) for each breakdown's groups and ("all",) for the total.
    """
    values, sums = {_ALL: total}, []
    for name, counts in parts.items():
        values.update({(name, group): n for group, n in counts.items()})
        sums.append(Sum(tuple((name, group) for group in counts), _ALL))
    return protect(values, sums, threshold)


def cross_table(
    counts: Mapping[tuple, int],
    rows: Sequence,
    columns: Sequence,
    extra: Mapping[str, Mapping] | None = None,
    threshold=THRESHOLD,
) -> Protected:
    """Protect a two-way table with row, column and grand totals, all linked.

    `extra` holds other breakdowns of the same children (e.g. by gender); each
    adds up to the same grand total and is protected together with the table.
    Keys are ("cell", row, column), ("row", row), ("col", column), ("all",) and
    (name, value) for the extra breakdowns.
    """
    values, sums = {}, []
    for row in rows:
        for column in columns:
            values[("cell", row, column)] = counts.get((row, column), 0)
    for row in rows:
        parts = tuple(("cell", row, column) for column in columns)
        values[("row", row)] = sum(values[key] for key in parts)
        sums.append(Sum(parts, ("row", row)))
    for column in columns:
        parts = tuple(("cell", row, column) for row in rows)
        values[("col", column)] = sum(values[key] for key in parts)
        sums.append(Sum(parts, ("col", column)))
    values[_ALL] = sum(values[("row", row)] for row in rows)
    sums.append(Sum(tuple(("row", row) for row in rows), _ALL))
    sums.append(Sum(tuple(("col", column) for column in columns), _ALL))
    for name, breakdown in (extra or {}).items():
        parts = tuple((name, value) for value in breakdown)
        values.update({(name, value): n for value, n in breakdown.items()})
        sums.append(Sum(parts, _ALL))
    return protect(values, sums, threshold)


_TOTAL = ("total",)
_ALL = ("all",)
