"""Property tests of the launch form: bad choices get a message and open nothing."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from participation.models import Township
from surveys.models import BANDS, Survey
from tests.test_fuzz_kiosk import row_counts

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
JUNK = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["<script>alert(1)</script>", "=cmd|' /C calc'!A0", "\u202e"]),
    st.sampled_from(["NEEDS", " needs", "9-11 ", "6-8\x00", "LECHENG", "../x"]),
)


@pytest.fixture
def choices(seeded, client, login):
    """Sign in a facilitator and return the valid survey, band and township values."""
    login("facilitator")
    return {
        "survey": [s.key for s in seeded.exec(select(Survey))],
        "band": list(BANDS),
        "township": [t.code for t in seeded.exec(select(Township))],
    }


@FUZZ
@given(data=st.data())
def test_launch_form_opens_only_valid_choices(client, session, choices, data):
    form = {}
    for field, valid in choices.items():
        kind = data.draw(st.sampled_from(["valid", "junk", "missing"]), label=field)
        if kind != "missing":
            form[field] = data.draw(st.sampled_from(valid) if kind == "valid" else JUNK)
    if data.draw(st.booleans(), label="extra field"):
        form[data.draw(st.text(min_size=1, max_size=10))] = data.draw(JUNK)
    valid = all(form.get(field) in values for field, values in choices.items())
    before = row_counts(session)

    response = client.post("/launches/new", data=form)

    after = row_counts(session)
    if any("\x00" in key + value for key, value in form.items()):
        assert response.status_code == 400
        assert after == before
    elif valid:
        assert response.status_code == 302
        assert after["launch"] == before["launch"] + 1
    else:
        assert response.status_code == 200
        assert 'class="error"' in response.get_data(as_text=True)
        assert after == before
