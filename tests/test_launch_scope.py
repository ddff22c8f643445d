"""A facilitator limited to a township sees and runs only its launches; small
launches show neither quotes nor a word cloud, counted in children not answers."""

import uuid

from surveys.models import Survey
from surveys.templates import questions_for


def test_facilitator_sees_only_own_township(client, login, make_launch):
    own = make_launch(township="lecheng")
    other = make_launch(township="liushi")
    login("facilitator", township_code="lecheng")

    listing = client.get("/launches").get_data(as_text=True)

    assert own.code in listing and other.code not in listing
    assert client.get(f"/launches/{own.code}").status_code == 200
    assert client.get(f"/launches/{other.code}").status_code == 404
    assert client.post(f"/launches/{other.code}/close").status_code == 404
    assert client.get(f"/launches/{other.code}/counts").status_code == 404


def test_facilitator_cannot_launch_elsewhere(client, login, seeded):
    login("facilitator", township_code="lecheng")

    form = client.get("/launches/new").get_data(as_text=True)
    refused = client.post(
        "/launches/new", data={"survey": "needs", "band": "9-11", "township": "liushi"}
    )

    assert 'value="liushi"' not in form
    assert refused.status_code == 200
    assert "/launches/" not in refused.headers.get("Location", "")


def test_staff_sees_every_township(client, login, make_launch):
    one, two = make_launch(township="lecheng"), make_launch(township="liushi")
    login("staff")

    listing = client.get("/launches").get_data(as_text=True)

    assert one.code in listing and two.code in listing


def test_small_launch_shows_no_quotes_or_cloud(
    app, client, login, session, make_launch
):
    launch = make_launch(township="lecheng", band="12-14")
    spec = session.get(Survey, launch.survey_id).spec
    keys = [
        q["key"]
        for q in questions_for(spec, "12-14")
        if q["type"] == "text" and not q["practice"] and not q["show_if"]
    ]
    tablet = app.test_client(use_cookies=False)
    for n in range(6):
        answers = {key: f"希望公园里多一些秋千和滑梯 {n}" for key in keys}
        payload = {"id": str(uuid.uuid4()), "answers": answers}
        assert (
            tablet.post(f"/k/{launch.code}/responses", json=payload).status_code == 201
        )
    login("staff")

    page = client.get(f"/reports/launches/{launch.code}").get_data(as_text=True)

    assert len(keys) >= 2
    assert "希望公园里多一些秋千" not in page
    assert client.get(f"/reports/launches/{launch.code}/cloud.png").status_code == 404
