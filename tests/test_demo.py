"""The demo loads real data once; a second run changes nothing."""

from sqlmodel import select

from core.demo import row_counts
from participation.models import Township
from surveys.models import Response


def test_demo_twice_changes_nothing(runner, session):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    counts = row_counts(session)

    second = runner.invoke(args=["demo"])

    assert second.exit_code == 0, second.output
    assert row_counts(session) == counts
    assert "0 new responses stored" in second.output
    assert counts["tasks"] == 32
    assert counts["responses"] >= 300
    assert counts["themes"] > 0
    assert "/login" in first.output and "tongsheng-demo" in first.output


def test_demo_spans_bands_and_townships(runner, session):
    runner.invoke(args=["demo"])

    bands = set(session.exec(select(Response.band)).all())
    townships = set(session.exec(select(Response.township_code)).all())
    known = set(session.exec(select(Township.code)).all())
    assert bands == {"6-8", "9-11", "12-14", "15-17"}
    assert len(townships) >= 8
    assert townships <= known


def test_demo_answers_are_spread_over_months(runner, session, client, login):
    runner.invoke(args=["demo"])

    dates = session.exec(select(Response.submitted_at)).all()
    months = {(when.year, when.month) for when in dates}
    assert len(months) >= 5
    login("staff")
    page = client.get("/reports/?by=month").get_data(as_text=True)
    assert sum(f"{year}-{month:02d}" in page for year, month in months) >= 5


def test_demo_pages_render(runner, client, login):
    result = runner.invoke(args=["demo"])
    report_code = result.output.split("/reports/launches/")[1].split()[0]
    login("staff")

    assert client.get("/plan").status_code == 200
    report = client.get(f"/reports/launches/{report_code}")
    assert report.status_code == 200
    cloud = client.get(f"/reports/launches/{report_code}/cloud.png")
    assert cloud.status_code == 200
    assert cloud.data.startswith(b"\x89PNG")
