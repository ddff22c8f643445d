"""The demo's two councils fill every council page and load only once."""

from sqlmodel import select

from core.demo import DEMO_PASSWORD, row_counts
from participation.councils import Activity, Council, Proposal


def _sign_in(client, username):
    client.post("/logout")
    response = client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


def test_demo_councils_fill_the_pages(runner, client, session):
    assert runner.invoke(args=["demo"]).exit_code == 0
    counts = row_counts(session)
    again = runner.invoke(args=["demo"])

    assert again.exit_code == 0
    assert row_counts(session) == counts
    assert counts["councils"] == 2 and counts["ballots"] > 0
    councils = session.exec(select(Council).order_by(Council.id)).all()
    assert [c.township_code for c in councils] == ["lecheng", "liushi"]
    for council in councils:
        finished = session.exec(
            select(Activity).where(
                Activity.council_id == council.id, Activity.status == "finished"
            )
        ).one()
        assert finished.minutes and "## 表决" in finished.minutes
        published = session.exec(
            select(Proposal).where(
                Proposal.council_id == council.id, Proposal.stage == "decided"
            )
        ).all()
        assert published
        page = client.get(f"/feedback/{council.township_code}").get_data(as_text=True)
        assert published[0].answer in page

    _sign_in(client, "facilitator")
    assert client.get(f"/councils/{councils[0].id}/members").status_code == 200
    assert client.get(f"/councils/{councils[1].id}/members").status_code == 404
    _sign_in(client, "department")
    assert "课间想去操场玩" in client.get("/proposals").get_data(as_text=True)
    _sign_in(client, "staff")
    dashboard = client.get("/councils/dashboard").get_data(as_text=True)
    assert "公园的滑梯坏了" in dashboard and "逾期" in dashboard
    status = runner.invoke(args=["participation", "status"]).output.splitlines()
    assert "townships covered: 2/25" in status
    assert "proposals overdue: 1" in status
