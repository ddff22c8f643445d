"""The counts reports may show: one protected set that every page reads.

A count on a report is of the children in a cell: those with an answer that
carries some themes or tasks (`need`), in one group of some breakdowns
(`where`). Pages differ only in their cells, so a reader with two pages can
subtract one cell from another, and a count hidden on one page stays hidden
only if no page shows it, or what it adds up to, any other way. So:

- A cell of one group of one breakdown (township, band, gender, month or
  survey), for no theme or for themes, is a cell of that breakdown's protected
  row: who answered for no theme, else the row of the children with those
  themes. Every page shows it as that row does, hidden or not. A month range
  adds months up, and is shown only if each of them is.
- A finer cell (groups of two breakdowns, or a launch, which lies in one
  township, band and survey) is shown only if its crossing has no group of 1
  to 9 children and every row it adds up to is shown whole: then nothing
  hidden can be worked out from it. Otherwise it is "—", whatever its count.
- Themes alone, with no group, are what was said and are shown as counted,
  "<10" when small.

Breakdowns of the same children by township, band, gender, month and survey
share only their total, so protecting each against that total protects them
together; a launch lies within three of them, so it is never a row of its own.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from analysis.disclosure import (
    NOT_SPLIT,
    Protected,
    breakdowns,
    cross_table,
    crossed_allowed,
    is_hidden,
    rows_with_totals,
    shown,
)
from surveys.models import BANDS

#: breakdowns whose groups are protected rows, for no theme or for any themes
ROW_DIMS = ("township", "band", "gender", "month", "survey")
#: the breakdowns the unfiltered report shows in its table of who answered
WHO_DIMS = ("township", "band", "gender", "month")
#: breakdowns whose groups lie within groups of others
WITHIN = {"launch": ("township", "band", "survey")}


def task_key(number: int) -> tuple[str, int]:
    """Return the key of a plan task among an answer's theme keys."""
    return ("task", number)


@dataclass(frozen=True)
class Cell:
    """Children with an answer carrying every key of `need`, in the `where` groups."""

    need: frozenset = frozenset()
    #: (breakdown, allowed groups) pairs, in breakdown order
    where: tuple[tuple[str, frozenset], ...] = ()

    @property
    def dims(self) -> tuple[str, ...]:
        """Return the breakdowns the cell names groups of."""
        return tuple(dim for dim, _ in self.where)

    def within(self, dim: str, values: Iterable) -> "Cell":
        """Return the cell narrowed to some groups of one more breakdown."""
        groups = dict(self.where)
        values = frozenset(values)
        groups[dim] = groups[dim] & values if dim in groups else values
        return Cell(self.need, tuple(sorted(groups.items())))

    def needing(self, *keys) -> "Cell":
        """Return the cell for children whose one answer also carries keys."""
        return Cell(self.need | frozenset(keys), self.where)


@dataclass(frozen=True)
class Figure:
    """A count as it may be shown, and whether it may also be counted otherwise."""

    value: int | str
    #: no group of 1 to 9 children lies behind it, so a list of its answers,
    #: or their number, gives nothing away
    safe: bool


class Published:
    """The protected counts of every cell over one set of open answers."""

    def __init__(self, rows, keys: Mapping[int, frozenset]):
        """Index answers (rows with response_id and the breakdowns) by their keys.

        `keys` maps an answer id to its theme keys and ("task", n) keys.
        """
        self.children = {row.response_id: row for row in rows}
        self._answers = defaultdict(list)
        for row in rows:
            for key in keys.get(row.answer_id, ()):
                self._answers[key].append((row.response_id, keys[row.answer_id]))
        self._members, self._rows, self._groups, self._clean = {}, {}, {}, {}
        self._who = None

    # -- the cells ----------------------------------------------------------------

    def groups(self, dim: str) -> list:
        """Return the groups of a breakdown that any child is in, sorted."""
        if dim not in self._groups:
            found = {getattr(child, dim) for child in self.children.values()}
            self._groups[dim] = sorted(found, key=str)
        return self._groups[dim]

    def carried(self, need=frozenset()) -> set:
        """Return the keys of the answers that carry every key of need."""
        if not need:
            return set(self._answers)
        return {
            key
            for _, carried in self._answers[min(need, key=self._rarity)]
            if need <= carried
            for key in carried
        }

    def members(self, need: frozenset) -> set[str]:
        """Return the children with an answer that carries every key of need."""
        if not need:
            return set(self.children)
        if need not in self._members:
            rarest = min(need, key=self._rarity)
            self._members[need] = {
                child for child, carried in self._answers[rarest] if need <= carried
            }
        return self._members[need]

    def _rarity(self, key):
        return (len(self._answers[key]), repr(key))

    def count(self, cell: Cell) -> int:
        """Return how many children are in a cell."""
        return sum(
            all(getattr(self.children[child], d) in v for d, v in cell.where)
            for child in self.members(cell.need)
        )

    def crossing(self, need: frozenset, dims: Iterable[str]) -> Counter:
        """Count the children with need in each combination of groups of dims."""
        dims = tuple(dims)
        return Counter(
            tuple(getattr(self.children[child], d) for d in dims)
            for child in self.members(need)
        )

    # -- what may be shown ----------------------------------------------------------

    def figure(self, cell: Cell) -> Figure:
        """Return a cell's count as every page shows it."""
        where = self._normal(cell.where)
        if any(not values for _, values in where):
            return Figure(0, True)
        if not where:
            return Figure(self._alone(cell.need), True)
        dims = {dim for dim, _ in where}
        if self.clean(cell.need, dims):
            return Figure(self.count(Cell(cell.need, where)), True)
        return Figure(self._from_rows(cell.need, where), False)

    def value(self, cell: Cell):
        """Return a cell's count as every page shows it."""
        return self.figure(cell).value

    def clean(self, need: frozenset, dims: Iterable[str]) -> bool:
        """Tell whether a crossing has no group of 1 to 9 and adds up to shown rows."""
        dims = frozenset(dims)
        if (need, dims) not in self._clean:
            self._clean[(need, dims)] = self._is_clean(need, dims)
        return self._clean[(need, dims)]

    def _is_clean(self, need, dims) -> bool:
        """Check a crossing and the rows it adds up to (see `clean`)."""
        if not crossed_allowed(self.crossing(need, sorted(dims))):
            return False
        wider = dims.union(*(WITHIN.get(dim, ()) for dim in dims))
        for dim in wider & set(ROW_DIMS):
            cells, total = self.row(need, dim)
            if any(is_hidden(v) for v in [*cells.values(), total]):
                return False
        return bool(need) or not {"township", "band"} <= wider or self._who_whole()

    def normal(self, cell: Cell) -> Cell:
        """Return the cell without the breakdowns whose groups hold every child."""
        return Cell(cell.need, self._normal(cell.where))

    def _normal(self, where) -> tuple:
        """Drop the breakdowns whose allowed groups hold every child."""
        return tuple(
            (dim, values)
            for dim, values in where
            if not values >= set(self.groups(dim))
        )

    def _alone(self, need: frozenset):
        """Return the count of children with need, in no group: the report's total."""
        if not need:
            return self.who()[0][("all",)]
        return shown(len(self.members(need)))

    def _from_rows(self, need, where):
        """Return a cell of one breakdown as its row shows it, else "—"."""
        if len(where) == 2 and not need and self._who_cell(where) is not None:
            return self._who_cell(where)
        if len(where) != 1 or where[0][0] not in ROW_DIMS:
            return NOT_SPLIT
        dim, values = where[0]
        cells, _ = self.row(need, dim)
        found = [cells.get(value, 0) for value in values]
        if len(found) == 1:
            return found[0]
        if any(is_hidden(value) for value in found):
            return NOT_SPLIT
        return sum(found)

    # -- the protected rows --------------------------------------------------------

    def row(self, need: frozenset, dim: str) -> tuple[dict, object]:
        """Return the shown counts of children with need by one breakdown, and total."""
        if not need and dim in WHO_DIMS:
            protected, crossed = self.who()
            return self._who_groups(protected, crossed, dim), protected[("all",)]
        if (need, dim) not in self._rows:
            counts = {(need, k[0]): n for k, n in self.crossing(need, [dim]).items()}
            table = rows_with_totals(counts, [need], self.groups(dim))
            cells = {g: table[("cell", need, g)] for g in self.groups(dim)}
            self._rows[(need, dim)] = (cells, table[("row", need)])
        return self._rows[(need, dim)]

    def who(self) -> tuple[Protected, bool]:
        """Return who answered, protected, and whether township × band is crossed.

        The table of the unfiltered report: township × band with both margins,
        linked through the total to gender and month, or each apart where
        hiding cannot protect the crossing.
        """
        if self._who is None:
            towns = self.groups("township")
            counts = self.crossing(frozenset(), ["township", "band"])
            parts = {dim: self._by(dim) for dim in WHO_DIMS}
            extra = {dim: parts[dim] for dim in ("gender", "month")}
            crossed = cross_table(counts, towns, BANDS, extra)
            if crossed.safe:
                self._who = (crossed, True)
            else:
                self._who = (breakdowns(parts, len(self.children)), False)
        return self._who

    def _by(self, dim) -> dict:
        """Return how many children are in each group of one breakdown."""
        return {key[0]: n for key, n in self.crossing(frozenset(), [dim]).items()}

    def _who_groups(self, protected, crossed, dim) -> dict:
        """Return the groups of one breakdown of who answered, as shown."""
        if crossed and dim == "township":
            return {t: protected[("row", t)] for t in self.groups(dim)}
        if crossed and dim == "band":
            return {b: protected[("col", b)] for b in BANDS}
        return {g: protected.get((dim, g), 0) for g in self.groups(dim)}

    def _who_cell(self, where):
        """Return a township × band cell of who answered as shown, if it is one."""
        protected, crossed = self.who()
        groups = dict(where)
        if not crossed or set(groups) != {"township", "band"}:
            return None
        if len(groups["township"]) != 1 or len(groups["band"]) != 1:
            return None
        (town,), (band,) = groups["township"], groups["band"]
        return protected.get(("cell", town, band), 0)

    def _who_whole(self) -> bool:
        """Tell whether who answered shows every township × band cell."""
        protected, crossed = self.who()
        return crossed and not any(
            is_hidden(value)
            for key, value in protected.values.items()
            if key[0] == "cell"
        )
