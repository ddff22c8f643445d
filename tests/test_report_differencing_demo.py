"""The demo's answers: no narrower report undoes a hidden count of a wider one.

A count a report hides can be worked out by subtracting figures other reports
show: a theme row of the by-gender table minus the headcount of a report
filtered on that theme and a gender. These tests build the demo once, then
read the reports staff would read and play that reader.
"""

import html
import itertools
import re
import shutil

import pytest

from analysis import reports
from analysis.codebook_store import current_codebook
from analysis.disclosure import NOT_SPLIT, Sum, is_hidden, recoverable
from analysis.published import Cell
from app import create_app
from tests.conftest import POSTGRES
from tests.test_report_differencing import _undone

#: demo theme rows whose hidden cells filtered headcounts used to give away
GIVEN_AWAY_ROWS = ["high_school", "nature"]
DIMS = ("township", "band", "gender", "month")


@pytest.fixture(scope="module")
def demo_file(migrated, tmp_path_factory):
    """Return a SQLite file holding the demo, loaded once for the module."""
    if POSTGRES:
        return None
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(migrated, path)
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "t"}
    )
    result = app.test_cli_runner().invoke(args=["demo"])
    app.extensions["db_engine"].dispose()
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def database_url(database_url, demo_file):
    """Return a fresh copy of the demo database for one test."""
    if demo_file:
        shutil.copy(demo_file, database_url.removeprefix("sqlite:///"))
    return database_url


@pytest.fixture
def staff(runner, login):
    if POSTGRES:
        assert runner.invoke(args=["demo"]).exit_code == 0
    return login("staff")


def _children(page) -> int | str:
    """Return the headcount a report page shows, as a number or its mark."""
    found = re.search(r"范围内有 <strong>(.*?)</strong> 名孩子", page)
    text = html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()
    return int(text) if text.isdigit() else text


def _selected(page, name):
    """Return the value a page's filter form shows chosen for a filter, if any."""
    form = page[page.index(f'<select name="{name}">') :]
    found = re.search(
        r'<option value="([^"]*)" selected>', form[: form.index("</select>")]
    )
    return found.group(1) if found else None


def _cells(page, label):
    """Return the cells of a theme's row in a page's main table, header-keyed."""
    header = re.search(r"<caption>主题 × .*?</caption>\s*<thead><tr>(.*?)</tr>", page)
    columns = [
        html.unescape(c)
        for c in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', header.group(1))
    ]
    row = re.search(
        rf'<tr><th scope="row"><a [^>]*>{re.escape(label)}</a></th>(.*?)</tr>', page
    )
    cells = [
        html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
    ]
    values = [int(c) if c.isdigit() else c for c in cells]
    return dict(zip(columns[1:], values, strict=True))


@pytest.mark.parametrize("theme", GIVEN_AWAY_ROWS)
def test_a_theme_by_gender_is_not_undone_by_filtered_headcounts(
    client, session, staff, theme
):
    label = {t.key: t.label for t in current_codebook(session).themes}[theme]
    row = _cells(client.get("/reports/?by=gender").get_data(as_text=True), label)
    genders = {label: key for key, label in reports.GENDERS.items()}
    parts = tuple(name for name in row if name in genders)
    assert any(is_hidden(row[name]) for name in parts), row

    known = {}
    for name in parts:
        query = f"/reports/?theme={theme}&gender={genders[name]}"
        page = client.get(query).get_data(as_text=True)
        if _selected(page, "gender") == genders[name]:
            known[name] = _children(page)

    assert _undone(row, [Sum(parts, "合计")], known) == {}


def _build(client, **args):
    from core.db import get_session

    with client.application.test_request_context():
        session = get_session()
        options = reports.load_options(session, current_codebook(session))
        return reports.build(session, reports.parse_filters(args, options), options)


def _narrowed(dim, value) -> dict:
    """Return the filters that narrow a report to one group of a breakdown."""
    return {"start": value, "end": value} if dim == "month" else {dim: value}


def _kept(report, dim, value) -> bool:
    """Tell whether the report kept the filter on one group, not dropping it."""
    if dim == "month":
        return report.filters.start == value
    return getattr(report.filters, dim) == value


@pytest.mark.parametrize("dim", DIMS)
def test_no_theme_row_is_undone_by_narrower_reports(client, staff, dim):
    wide = _build(client, by=dim)
    listed = _build(client).main.cells
    slices = {}
    checked = 0
    for theme, _ in wide.main.rows:
        columns = [key for key, _ in wide.main.columns]
        values = {c: wide.main.cells[(theme, c)] for c in columns}
        values["total"] = wide.main.row_totals[theme]
        hidden = [c for c in columns if is_hidden(values[c])]
        if not hidden:
            continue
        known = {"total": listed.get((theme, "n"))}
        for column in hidden:
            page = _build(client, theme=theme, **_narrowed(dim, column))
            if _kept(page, dim, column):
                known[column] = page.children
            if column not in slices:
                slices[column] = _build(client, **_narrowed(dim, column))
            if _kept(slices[column], dim, column):
                value = slices[column].main.cells.get((theme, "n"))
                if isinstance(value, int):
                    known[column] = value
        checked += 1

        assert _undone(values, [Sum(tuple(columns), "total")], known) == {}, theme
    assert checked


def _groups(report, dim):
    """Return the groups of who answered, by one breakdown, as a report shows them."""
    title = f"回答的孩子：{reports.LABELS.get(dim, reports.BREAKDOWNS[dim])}"
    for table in [report.who, *report.extra]:
        if table.title == title:
            return {key: table.cells[(key, "n")] for key, _ in table.rows}
        if table.title == reports.WHO and dim == "township":
            return dict(table.row_totals)
        if table.title == reports.WHO and dim == "band":
            return dict(table.col_totals)
    return {}


@pytest.mark.parametrize("dim", ["township", "band", "gender"])
def test_who_answered_is_not_undone_by_a_filtered_headcount(client, staff, dim):
    wide = _build(client, by=dim)
    groups = _groups(wide, dim)
    hidden = [key for key, value in groups.items() if is_hidden(value)]
    known = {}
    for key in hidden:
        page = _build(client, **{dim: key})
        if _kept(page, dim, key):
            known[key] = page.children

    sums = [Sum(tuple(groups), "total")]
    assert _undone({**groups, "total": wide.children}, sums, known) == {}


@pytest.mark.parametrize("theme", GIVEN_AWAY_ROWS)
def test_who_answered_a_theme_agrees_with_the_theme_rows(client, staff, theme):
    page = _build(client, theme=theme)
    for dim in ("township", "band", "gender"):
        wide = _build(client, by=dim)
        row = {c: wide.main.cells[(theme, c)] for c, _ in wide.main.columns}
        shown = _groups(page, dim)

        for key, value in shown.items():
            if is_hidden(row.get(key)):
                assert is_hidden(value), (dim, key)


def test_the_differencing_filters_give_no_headcount_of_the_group(client, staff):
    wide = _build(client, theme="high_school")
    page = _build(client, theme="high_school", gender="none")
    answers = client.get("/reports/answers.csv?theme=high_school&gender=none")

    if page.filters.gender == "none":
        assert not isinstance(page.children, int)
        assert not isinstance(page.answers, int)
        assert answers.status_code == 400
    else:
        assert page.notices and page.children == wide.children
        lines = answers.get_data(as_text=True).strip().splitlines()
        assert len(lines) - 1 == wide.answers


def _shown_cells(published, need):
    """Yield every cell of up to two of township, band and gender, as shown.

    Each comes with the township × band × gender groups it adds up.
    """
    dims = ("township", "band", "gender")
    atoms = list(itertools.product(*(published.groups(d) for d in dims)))
    for size in range(3):
        for names in itertools.combinations(dims, size):
            at = [dims.index(name) for name in names]
            for groups in itertools.product(*(published.groups(d) for d in names)):
                cell = Cell(need)
                for name, group in zip(names, groups, strict=True):
                    cell = cell.within(name, {group})
                parts = [a for a in atoms if tuple(a[i] for i in at) == groups]
                yield (names, groups), published.value(cell), tuple(parts)


@pytest.mark.parametrize("theme", ["", *GIVEN_AWAY_ROWS])
def test_no_set_of_shown_cells_pins_a_hidden_one(client, staff, theme):
    from core.db import get_session

    with client.application.test_request_context():
        published = reports.load_published(get_session())
    values, sums, hidden = {}, [], set()
    for key, value, parts in _shown_cells(published, frozenset({theme} - {""})):
        values |= dict.fromkeys(parts, NOT_SPLIT)
        if value != NOT_SPLIT:
            values[key] = value
            sums.append(Sum(parts, key))
        if is_hidden(value) and value != NOT_SPLIT:
            hidden.add(key)

    assert hidden
    assert set(recoverable(values, sums)) & hidden == set()
