"""Every form's built-in validation messages are in Chinese, never English."""

import pytest
from flask_wtf import FlaskForm

from core.forms import Form
from tests.conftest import PASSWORD

ENGLISH = ("This field is required", "Field must be", "Not a valid", "Invalid")


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def _site_forms():
    """Return every form class the app defines (its modules load with the app)."""
    packages = ("core.", "surveys.", "analysis.", "participation.")
    return [
        cls
        for cls in set(_all_subclasses(FlaskForm))
        if cls.__module__.startswith(packages)
    ]


def test_every_site_form_has_the_chinese_base(app):
    forms = _site_forms()

    assert len(forms) > 20
    assert [cls.__qualname__ for cls in forms if not issubclass(cls, Form)] == []


def _empty_post_errors(cls):
    """Return the messages a form gives for an empty submission."""
    form = cls()
    for field in form:
        if getattr(field, "choices", False) is None:
            field.choices = []  # the views fill these from the database
    form.validate()
    return [str(e) for messages in form.errors.values() for e in messages]


def test_every_form_says_required_in_chinese(app):
    with app.test_request_context(method="POST", data={}):
        errors = {cls.__qualname__: _empty_post_errors(cls) for cls in _site_forms()}

    english = {
        name: e for name, e in errors.items() if any(m.startswith(ENGLISH) for m in e)
    }
    assert english == {}
    assert sum("该字段是必填字段。" in e for e in errors.values()) > 10


def _errors_shown(html):
    return [line for line in html.splitlines() if 'class="error"' in line]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": ""}, "该字段是必填字段。"),
        ({"password": "short"}, "字段长度必须介于 8 到 200 个字符之间。"),
    ],
)
def test_admin_form_shows_chinese_messages(client, login, seeded, fields, message):
    login("admin")
    data = {
        "username": "wang",
        "role": "staff",
        "password": PASSWORD,
        **fields,
    }

    response = client.post("/admin/users", data=data)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert not [line for line in _errors_shown(html) if any(e in line for e in ENGLISH)]


def test_deletion_form_with_nothing_filled_in_is_chinese(client, login):
    login("admin")

    response = client.post("/admin/deletions", data={})

    errors = _errors_shown(response.get_data(as_text=True))
    assert len(errors) == 3
    assert all("该字段是必填字段。" in line for line in errors)
