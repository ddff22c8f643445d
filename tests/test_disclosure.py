"""Small counts are hidden, and no hidden count can be worked back from totals."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.disclosure import (
    HIDDEN,
    NOT_SPLIT,
    SECONDARY,
    Sum,
    breakdowns,
    cross_table,
    crossed_allowed,
    is_hidden,
    one_way,
    protect,
    ranked,
    recoverable,
    rows_with_totals,
    shown,
)

BANDS = ("6-8", "9-11", "12-14", "15-17")


@pytest.mark.parametrize(
    ("count", "expected"), [(0, 0), (1, HIDDEN), (9, HIDDEN), (10, 10), (250, 250)]
)
def test_shown_hides_one_to_nine(count, expected):
    assert shown(count) == expected


def test_checker_recovers_a_cell_hidden_alone():
    values = {"a": 12, "b": HIDDEN, "total": 15}

    assert recoverable(values, [Sum(("a", "b"), "total")]) == {"b": 3}


def test_checker_recovers_cells_pinned_by_their_ranges():
    # two hidden cells of 1 to 9 that add up to 2 can only be 1 and 1
    values = {"a": 30, "b": HIDDEN, "c": HIDDEN, "total": 32}

    found = recoverable(values, [Sum(("a", "b", "c"), "total")])

    assert found == {"b": 1, "c": 1}


def test_checker_breaks_primary_only_suppression_of_a_two_way_table():
    counts = {
        ("cell", r, c): n
        for (r, c), n in {
            ("r1", "c1"): 3,
            ("r1", "c2"): 4,
            ("r2", "c1"): 5,
            ("r2", "c2"): 2,
            ("r2", "c3"): 4,
            ("r3", "c3"): 20,
        }.items()
    }
    naive = {key: shown(n) for key, n in counts.items()}
    for r, c in [("r1", "c3"), ("r3", "c1"), ("r3", "c2")]:
        naive[("cell", r, c)] = 0
    table = cross_table(
        {(k[1], k[2]): n for k, n in counts.items()},
        ["r1", "r2", "r3"],
        ["c1", "c2", "c3"],
    )
    naive.update({k: shown(v) for k, v in _totals(counts).items()})

    assert recoverable(naive, table.sums)
    assert recoverable(table.values, table.sums) == {}


def _totals(counts):
    totals = {}
    for (_, r, c), n in counts.items():
        totals[("row", r)] = totals.get(("row", r), 0) + n
        totals[("col", c)] = totals.get(("col", c), 0) + n
        totals[("all",)] = totals.get(("all",), 0) + n
    return totals


@pytest.mark.parametrize(
    "cells",
    [
        {"a": 12, "b": 3, "c": 40},
        {"a": 10, "b": 1},
        {"a": 1, "b": 1, "c": 30},
        {"a": 5},
        {"a": 9, "b": 0, "c": 0},
        {"a": 15, "b": 20},
    ],
)
def test_one_way_leaves_nothing_to_recompute(cells):
    shown_cells, total = one_way(cells)
    values = {**shown_cells, "total": total}

    assert recoverable(values, [Sum(tuple(cells), "total")]) == {}
    for key, count in cells.items():
        assert (shown_cells[key] == HIDDEN) == (0 < count < 10)


def test_one_way_hides_a_second_cell_and_never_a_zero():
    shown_cells, total = one_way(
        {"乐成街道": 12, "柳市镇": 3, "白石街道": 0, "城东": 40}
    )

    assert shown_cells == {
        "乐成街道": SECONDARY,
        "柳市镇": HIDDEN,
        "白石街道": 0,
        "城东": 40,
    }
    assert total == 55


def test_cross_table_protects_the_township_by_band_table():
    counts = {
        ("lecheng", "6-8"): 12,
        ("lecheng", "9-11"): 3,
        ("lecheng", "12-14"): 15,
        ("lecheng", "15-17"): 11,
        ("liushi", "6-8"): 20,
        ("liushi", "9-11"): 14,
        ("liushi", "12-14"): 18,
        ("liushi", "15-17"): 25,
    }
    table = cross_table(counts, ["lecheng", "liushi"], BANDS)

    assert table[("cell", "lecheng", "9-11")] == HIDDEN
    hidden_in_row = [b for b in BANDS if is_hidden(table[("cell", "lecheng", b)])]
    hidden_in_col = [
        t for t in ("lecheng", "liushi") if is_hidden(table[("cell", t, "9-11")])
    ]
    assert len(hidden_in_row) >= 2 or is_hidden(table[("row", "lecheng")])
    assert len(hidden_in_col) >= 2 or is_hidden(table[("col", "9-11")])
    assert recoverable(table.values, table.sums) == {}


def test_cross_table_links_other_breakdowns_to_the_grand_total():
    counts = {("a", "6-8"): 30, ("b", "6-8"): 40}
    table = cross_table(
        counts, ["a", "b"], ["6-8"], extra={"gender": {"f": 66, "m": 4}}
    )

    assert table[("gender", "m")] == HIDDEN
    assert table[("gender", "f")] == SECONDARY or table[("all",)] == SECONDARY
    assert recoverable(table.values, table.sums) == {}


def test_rows_with_totals_protects_each_row_on_its_own():
    counts = {
        ("parks", "a"): 12,
        ("parks", "b"): 2,
        ("roads", "a"): 30,
        ("roads", "b"): 40,
    }
    table = rows_with_totals(counts, ["parks", "roads"], ["a", "b"])

    assert table[("cell", "parks", "b")] == HIDDEN
    assert table[("cell", "parks", "a")] == SECONDARY
    assert table[("row", "parks")] == 14
    assert table[("cell", "roads", "a")] == 30
    assert recoverable(table.values, table.sums) == {}


def test_a_row_of_fewer_than_ten_children_is_not_split():
    counts = {("zoo", f"t{i}"): 1 for i in range(9)}
    counts[("parks", "t0")] = 12
    columns = [f"t{i}" for i in range(10)]

    table = rows_with_totals(counts, ["zoo", "parks"], columns)

    assert {table[("cell", "zoo", c)] for c in columns} == {NOT_SPLIT}
    assert table[("row", "zoo")] == HIDDEN
    assert table[("cell", "parks", "t0")] == 12
    assert recoverable(table.values, table.sums) == {}


def test_a_row_total_is_never_hidden_to_cover_a_cell():
    # 1 and 10 under 11: hiding both cells pins them, and 11 is in the theme list
    table = rows_with_totals({("parks", "f"): 1, ("parks", "m"): 10}, ["parks"], "fm")

    assert table[("row", "parks")] == 11
    assert {table[("cell", "parks", c)] for c in "fm"} == {NOT_SPLIT}
    assert recoverable(table.values, table.sums) == {}


def test_a_row_keeps_its_cells_where_hiding_covers_them_with_the_total_shown():
    counts = {("parks", "f"): 2, ("parks", "m"): 10, ("parks", "x"): 0}

    table = rows_with_totals(counts, ["parks"], ["f", "m", "x"])

    assert table[("row", "parks")] == 12
    assert table[("cell", "parks", "f")] == HIDDEN
    assert table[("cell", "parks", "m")] == SECONDARY
    assert table[("cell", "parks", "x")] == 0


def test_protect_never_hides_a_kept_count():
    sums = [Sum(("a", "b"), "total")]

    table = protect({"a": 1, "b": 10, "total": 11}, sums, keep={"total"})

    assert table["total"] == 11
    assert table.safe is False


def test_nine_children_alone_under_a_hidden_total_are_unsafe():
    # nine groups of 1 to 9 that add up to at most 9 are 1 each, however hidden
    parts = tuple(f"t{i}" for i in range(9))
    counts = dict.fromkeys(parts, 1) | {"total": 9}

    table = protect(counts, [Sum(parts, "total")])

    assert table.safe is False
    assert protect({"a": 12, "b": 3, "total": 15}, [Sum(("a", "b"), "total")]).safe


def test_the_checker_reads_a_dash_as_any_count():
    values = {"a": NOT_SPLIT, "b": NOT_SPLIT, "total": HIDDEN}

    assert recoverable(values, [Sum(("a", "b"), "total")]) == {}
    assert recoverable(
        {"a": NOT_SPLIT, "b": 5, "total": 5}, [Sum(("a", "b"), "total")]
    ) == {"a": 0}
    assert (
        recoverable(
            {"a": NOT_SPLIT, "b": NOT_SPLIT, "total": 30}, [Sum(("a", "b"), "total")]
        )
        == {}
    )


def test_breakdowns_share_one_total():
    table = breakdowns(
        {"township": {"a": 30, "b": 4}, "band": {"6-8": 20, "9-11": 14}}, 34
    )

    assert table[("township", "b")] == HIDDEN
    assert table[("township", "a")] == SECONDARY or table[("all",)] == SECONDARY
    assert recoverable(table.values, table.sums) == {}


@pytest.mark.parametrize(
    ("cells", "allowed"),
    [
        ({("f", "a"): 12, ("m", "a"): 10}, True),
        ({("f", "a"): 12, ("m", "a"): 9}, False),
        ({("f", "a"): 12, ("m", "a"): 0}, True),
    ],
)
def test_crossed_allowed_needs_ten_in_every_cell(cells, allowed):
    assert crossed_allowed(cells) is allowed


def test_ranked_puts_hidden_values_after_shown_ones_in_label_order():
    values = {"a": HIDDEN, "b": 12, "c": SECONDARY, "d": 30, "e": HIDDEN}
    labels = {"a": "动物园", "b": "公园", "c": "公交车", "d": "图书馆", "e": "游泳池"}

    order = ranked(values, labels.get)

    assert order == ["d", "b", "c", "a", "e"]


def test_protect_hides_a_total_when_nothing_else_can_cover():
    values = protect({"a": 4, "b": 0, "total": 4}, [Sum(("a", "b"), "total")])

    assert values["a"] == HIDDEN
    assert values["total"] == HIDDEN


tables = st.integers(min_value=1, max_value=5).flatmap(
    lambda rows: st.lists(
        st.lists(
            st.sampled_from([0, 1, 2, 5, 9, 10, 11, 14, 30, 80]), min_size=4, max_size=4
        ),
        min_size=rows,
        max_size=rows,
    )
)


@settings(max_examples=60, deadline=None)
@given(tables)
def test_no_random_table_gives_a_hidden_count_away(grid):
    rows = [f"t{i}" for i in range(len(grid))]
    counts = {
        (r, b): n
        for r, line in zip(rows, grid, strict=True)
        for b, n in zip(BANDS, line, strict=True)
    }
    table = cross_table(counts, rows, BANDS)

    assert recoverable(table.values, table.sums) == {}
    for (r, b), n in counts.items():
        if 0 < n < 10:
            assert table[("cell", r, b)] == HIDDEN
        if n == 0:
            assert table[("cell", r, b)] == 0


@settings(max_examples=60, deadline=None)
@given(tables)
def test_no_random_theme_table_gives_a_hidden_count_away(grid):
    rows = [f"theme{i}" for i in range(len(grid))]
    counts = {
        (r, b): n
        for r, line in zip(rows, grid, strict=True)
        for b, n in zip(BANDS, line, strict=True)
    }
    table = rows_with_totals(counts, rows, BANDS)

    assert recoverable(table.values, table.sums) == {}
    for r, line in zip(rows, grid, strict=True):
        if 0 < sum(line) < 10:
            assert {table[("cell", r, b)] for b in BANDS} == {NOT_SPLIT}
