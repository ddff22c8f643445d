"""Odd path and query values on council pages get a page or a 4xx, never a 500."""

import pytest

ODD = ["%00", "..%2F..%2Fsecret_key", "99999999999999999999999", "ＡＢＣ"]


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(
    "template",
    [
        "/councils/{v}",
        "/councils/sessions/{v}/run",
        "/proposals/{v}",
        "/feedback/{v}",
        "/v/{v}",
        "/v?code={v}",
        "/councils/pack?township={v}",
        "/councils/pack?year={v}",
        "/proposals?stage={v}",
    ],
)
def test_odd_values_never_fail(client, login, seeded, template, value):
    login("admin")

    response = client.get(template.format(v=value))

    assert response.status_code < 500
