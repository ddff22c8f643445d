"""Figures under filters never undo a count another report hides.

Each test sets up children so that one report hides a count, then reads the
reports a careful reader would compare with it (narrower filters, month ranges,
surveys, launch pages, the task page, the exports) and plays that reader.
"""

import csv
import io
from datetime import UTC, datetime

import pytest

from analysis import reports
from analysis.codebook_store import current_codebook
from analysis.disclosure import HIDDEN, NOT_SPLIT, Sum, is_hidden, recoverable
from tests.test_reports_data import LIBRARY, PARK, add_children, use_test_codebook

JANUARY = datetime(2025, 1, 10, 4, 0, tzinfo=UTC)
FEBRUARY = datetime(2025, 2, 10, 4, 0, tzinfo=UTC)
MARCH = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)
MONTHS = ("2025-01", "2025-02", "2025-03")


@pytest.fixture
def staff(login):
    return login("staff")


def _build(client, **args):
    from core.db import get_session

    with client.application.test_request_context():
        session = get_session()
        options = reports.load_options(session, current_codebook(session))
        return reports.build(session, reports.parse_filters(args, options), options)


def _undone(values, sums, known) -> dict:
    """Return the hidden values that figures shown on other pages pin down."""
    merged, found = dict(values), {}
    for key, value in known.items():
        if isinstance(value, int):
            if is_hidden(merged.get(key)):
                found[key] = value
            merged[key] = value
    return found | recoverable(merged, sums)


def _row(report, theme):
    """Return a theme's row of a report's main table, with its total."""
    cells = {c: report.main.cells[(theme, c)] for c, _ in report.main.columns}
    return cells | {"total": report.main.row_totals[theme]}


def _row_sum(report):
    return [Sum(tuple(c for c, _ in report.main.columns), "total")]


@pytest.fixture
def parks_by_gender(session, make_launch):
    """Parks: 12 girls, 3 boys and 20 children who gave no gender; all groups big."""
    use_test_codebook(session)
    launch = make_launch(band="9-11", township="lecheng")
    add_children(session, launch, 12, PARK, gender="f")
    add_children(session, launch, 3, PARK, gender="m")
    add_children(session, launch, 20, PARK)
    add_children(session, launch, 20, LIBRARY, gender="m")
    add_children(session, launch, 10, LIBRARY, gender="f")


def test_a_gender_slice_lists_themes_as_the_gender_table_shows_them(
    client, parks_by_gender, staff
):
    wide = _build(client, by="gender")
    girls = _build(client, gender="f")

    assert is_hidden(wide.main.cells[("parks", "m")])
    known = {"f": girls.main.cells.get(("parks", "n"))}
    assert _undone(_row(wide, "parks"), _row_sum(wide), known) == {}


def test_a_theme_and_gender_headcount_agrees_with_the_gender_table(
    client, parks_by_gender, staff
):
    wide = _build(client, by="gender")
    known = {}
    for gender in ("f", "m", "none"):
        page = _build(client, theme="parks", gender=gender)
        if page.filters.gender == gender:
            known[gender] = page.children

    assert _undone(_row(wide, "parks"), _row_sum(wide), known) == {}


def test_a_gender_slice_export_cannot_be_counted_back_to_a_hidden_cell(
    client, parks_by_gender, staff
):
    wide = _build(client, by="gender")
    answers = client.get("/reports/answers.csv?gender=f")
    listed = list(csv.reader(io.StringIO(answers.get_data(as_text=True))))

    if answers.status_code == 200:
        known = {"f": sum("公园和广场" in row for row in listed[1:])}
        assert _undone(_row(wide, "parks"), _row_sum(wide), known) == {}
    else:
        assert answers.status_code == 400


def test_a_theme_and_gender_table_export_gives_no_hidden_cell(
    client, parks_by_gender, staff
):
    tables = client.get("/reports/export.csv?theme=parks&gender=f")

    rows = csv.reader(io.StringIO(tables.get_data(as_text=True)))
    assert "12" not in {cell for row in rows for cell in row}


@pytest.fixture
def eleven(session, make_launch):
    """Parks: a girl of lecheng 6-8 and ten boys of liushi 9-11: rows of 1, 10, 11."""
    use_test_codebook(session)
    lecheng = make_launch(band="6-8", township="lecheng")
    liushi = make_launch(band="9-11", township="liushi")
    add_children(session, lecheng, 1, PARK, gender="f")
    add_children(session, liushi, 10, PARK, gender="m")
    add_children(session, lecheng, 20, LIBRARY, gender="f")
    add_children(session, liushi, 20, LIBRARY, gender="m")


@pytest.mark.parametrize("by", ["gender", "township", "band", "task"])
def test_a_row_total_the_theme_list_shows_is_never_hidden(client, eleven, staff, by):
    listed = _build(client).main.cells[("parks", "n")]
    wide = _build(client, by=by)
    key = 18 if by == "task" else "parks"
    cells = {c: wide.main.cells[(key, c)] for c, _ in wide.main.columns}

    assert listed == 11
    assert wide.main.row_totals[key] == 11
    values = cells | {"total": 11}
    assert recoverable(values, [Sum(tuple(cells), "total")]) == {}


def test_who_answered_a_theme_agrees_with_its_theme_list(client, eleven, staff):
    page = _build(client, theme="parks")
    values, sums = {"all": page.children}, []
    for table in [page.who, *page.extra]:
        if table.title.startswith("回答的孩子：") and table.title != reports.WHO:
            keys = tuple((table.title, key) for key, _ in table.rows)
            values |= {
                (table.title, key): table.cells[(key, "n")] for key, _ in table.rows
            }
            sums.append(Sum(keys, "all"))

    known = {"all": _build(client).main.cells[("parks", "n")]}
    assert _undone(values, sums, known) == {}


def test_the_task_page_shows_the_task_row_of_the_report(client, eleven, staff):
    from analysis.evidence import task_evidence
    from core.db import get_session

    wide = _build(client, by="task")
    with client.application.test_request_context():
        page = task_evidence(get_session(), 18)

    assert page["children"] == wide.main.row_totals[18] == 11
    for band, value in page["by_band"].items():
        assert value == wide.main.cells[(18, band)]


@pytest.fixture
def by_month(session, make_launch):
    """Children in January (20), February (5) and March (30), all about parks."""
    use_test_codebook(session)
    launch = make_launch(band="9-11", township="lecheng")
    add_children(session, launch, 20, PARK, when=JANUARY)
    add_children(session, launch, 5, PARK, when=FEBRUARY)
    add_children(session, launch, 30, PARK, when=MARCH)


def test_month_ranges_do_not_undo_a_hidden_month(client, by_month, staff):
    wide = _build(client, by="month")
    values = {m: wide.main.col_totals[m] for m in MONTHS} | {"all": wide.children}
    sums = [Sum(MONTHS, "all")]
    assert values["2025-02"] == HIDDEN

    for first, start in enumerate(MONTHS):
        for end in MONTHS[first:]:
            months = MONTHS[first : MONTHS.index(end) + 1]
            values[months] = _build(client, start=start, end=end).children
            sums.append(Sum(months, months))

    # a sum of months is no group of children; one month is
    pinned = recoverable(values, sums)
    assert [key for key in pinned if key in MONTHS or len(key) == 1] == []


@pytest.fixture
def two_surveys(session, make_launch):
    """The needs survey: 20 children in January and 12 in March; the consultation:
    5 in March."""
    use_test_codebook(session)
    needs = make_launch(band="9-11", township="lecheng")
    add_children(session, needs, 20, PARK, when=JANUARY)
    add_children(session, needs, 12, PARK, when=MARCH)
    consult = make_launch(key="consult", band="9-11", township="lecheng")
    add_children(session, consult, 5, PARK, when=MARCH)


def test_a_survey_headcount_does_not_undo_a_small_survey(client, two_surveys, staff):
    total = _build(client).children
    known = {key: _build(client, survey=key).children for key in ("needs", "consult")}
    values = {"needs": NOT_SPLIT, "consult": NOT_SPLIT, "all": total}

    assert _undone(values, [Sum(("needs", "consult"), "all")], known) == {}


def test_a_survey_in_one_month_does_not_undo_the_small_survey(
    client, two_surveys, staff
):
    march = _build(client, start="2025-03", end="2025-03").children
    needs = _build(client, survey="needs", start="2025-03", end="2025-03")
    values = {"needs": NOT_SPLIT, "consult": NOT_SPLIT, "march": march}
    known = {"needs": needs.children}

    assert _undone(values, [Sum(("needs", "consult"), "march")], known) == {}
    assert needs.too_few and needs.quotes == []
    assert (
        client.get("/reports/cloud.png?survey=needs&start=2025-03").status_code == 404
    )


@pytest.fixture
def launches(session, make_launch):
    """Parks: 12 children in each of two liushi launches and 3 in lecheng."""
    use_test_codebook(session)
    first = make_launch(band="9-11", township="liushi")
    second = make_launch(band="12-14", township="liushi")
    add_children(session, first, 12, PARK)
    add_children(session, second, 12, PARK)
    lecheng = make_launch(band="9-11", township="lecheng")
    add_children(session, lecheng, 3, PARK)
    add_children(session, lecheng, 12, LIBRARY)
    return [first, second]


def test_launch_reports_do_not_undo_a_township_cell(client, launches, staff):
    from analysis.evidence import launch_report
    from core.db import get_session

    wide = _build(client, by="township")
    with client.application.test_request_context():
        pages = [launch_report(get_session(), launch.id) for launch in launches]
    counts = [
        next((t["count"] for t in page["themes"] if t["theme"] == "parks"), None)
        for page in pages
    ]

    assert is_hidden(wide.main.cells[("parks", "lecheng")])
    known = {"liushi": sum(counts)} if all(isinstance(c, int) for c in counts) else {}
    assert _undone(_row(wide, "parks"), _row_sum(wide), known) == {}


def test_large_groups_keep_their_numbers(client, parks_by_gender, staff):
    everyone = _build(client)
    girls = _build(client, gender="f")
    lecheng = _build(client, township="lecheng", by="gender")

    assert everyone.children == 65 and everyone.answers == 65
    assert girls.children == 22
    assert girls.main.cells[("library", "n")] == 10
    assert lecheng.children == 65
    assert lecheng.main.row_totals["library"] == 30
