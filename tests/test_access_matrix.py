"""Every route against every role: the allowed get through, the rest are refused.

The table lives in tests/access_matrix.py; its docstring says how to add a
route. A route missing from it fails here with the line to add.
"""

from urllib.parse import urlsplit

import pytest

from tests.access_matrix import (
    ACCESS,
    ANONYMOUS,
    ENDS_AT_LOGIN,
    EVERYONE,
    POST_BODIES,
    PUBLIC,
    URL_VALUES,
    URL_VALUES_FOR,
)

TABLE = "tests/access_matrix.py"
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


class Fixtures:
    """What a URL_VALUES function may use to build a valid parameter."""

    def __init__(self, request):
        self.request = request

    def fixture(self, name):
        """Return the pytest fixture called name."""
        return self.request.getfixturevalue(name)

    def launch(self):
        """Return a fresh open launch of the needs survey, band 9-11."""
        return self.fixture("make_launch")()


def _suggestion(app, endpoint):
    """Return the ACCESS line that matches what the view declares."""
    roles = getattr(app.view_functions[endpoint], "allowed_roles", None)
    if roles is None:
        return (
            f'    "{endpoint}": PUBLIC,  # no roles_required; if only adults may '
            "use it: SIGNED_IN or only(...)"
        )
    named = ", ".join(f'"{role}"' for role in sorted(roles - {"admin"}))
    return f'    "{endpoint}": only({named}),'


def _describe(rule):
    """Return a rule as methods and path, e.g. 'GET /plan'."""
    methods = ",".join(sorted(rule.methods - SKIPPED_METHODS))
    return f"{methods} {rule.rule}"


def test_every_endpoint_is_listed(app):
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}

    missing = sorted(set(rules) - set(ACCESS))
    stale = sorted(set(ACCESS) - set(rules))

    lines = []
    if missing:
        lines.append(f"Endpoints missing from ACCESS in {TABLE}; add these lines:")
        for endpoint in missing:
            lines.append(
                f"{_suggestion(app, endpoint)}  # {_describe(rules[endpoint])}"
            )
    if stale:
        lines.append(f"Endpoints in ACCESS in {TABLE} that no route has; remove:")
        lines.extend(f'    "{endpoint}"' for endpoint in stale)
    assert not lines, "\n".join(lines)


def test_table_agrees_with_roles_required(app):
    wrong = []
    for endpoint, view in app.view_functions.items():
        declared = getattr(view, "allowed_roles", None)
        if declared is None or endpoint not in ACCESS:
            continue
        if ACCESS[endpoint] != declared:
            wrong.append(
                f"{endpoint}: {TABLE} says {sorted(ACCESS[endpoint])}, "
                f"roles_required says {sorted(declared)}; make it\n"
                f"{_suggestion(app, endpoint)}"
            )

    assert not wrong, "\n".join(wrong)


def test_only_admin_passes_everything():
    assert all("admin" in roles for roles in ACCESS.values())
    assert set().union(*ACCESS.values()) <= PUBLIC


def _rules(app):
    """Return the listed rules, GET before POST and sign-out last."""
    rules = [r for r in app.url_map.iter_rules() if r.endpoint in ACCESS]
    return sorted(
        rules,
        key=lambda r: (r.endpoint in ENDS_AT_LOGIN, "GET" not in r.methods, r.rule),
    )


def _method(rule):
    """Return the method to request rule with: GET if it allows it."""
    if "GET" in rule.methods:
        return "GET"
    return "POST" if "POST" in rule.methods else sorted(rule.methods)[0]


def _url(rule, fx):
    """Return the rule's URL with valid parameters, or raise naming what to add."""
    values = {}
    for name in sorted(rule.arguments):
        maker = URL_VALUES_FOR.get(rule.endpoint, {}).get(name) or URL_VALUES.get(name)
        if maker is None:
            raise LookupError(
                f"{rule.endpoint} ({rule.rule}): no value for URL parameter "
                f'"{name}"; add to URL_VALUES in {TABLE}:\n'
                f'    "{name}": lambda fx: ...,  # a valid {name}'
            )
        values[name] = maker(fx)
    return rule.build(values, append_unknown=False)[1]


def _refused(response, endpoint):
    """Tell whether the response refuses the request (403, 401 or to sign-in)."""
    if response.status_code in (401, 403):
        return True
    if endpoint in ENDS_AT_LOGIN or response.status_code not in (302, 303):
        return False
    return urlsplit(response.headers["Location"]).path == "/login"


def _problem(role, rule, response, allowed):
    """Return what is wrong with role's response to rule, or None."""
    status = response.status_code
    refused = _refused(response, rule.endpoint)
    if allowed and not refused and status < 500:
        return None
    if not allowed and role == ANONYMOUS and refused and status != 403:
        return None
    if not allowed and role != ANONYMOUS and status == 403:
        return None

    expected = "a page (not 401/403/sign-in, not 5xx)" if allowed else "refusal"
    where = response.headers.get("Location", "")
    return f"{role:12} {_describe(rule)} -> {status} {where} (expected {expected})"


@pytest.mark.parametrize("role", EVERYONE)
def test_each_role_reaches_exactly_its_routes(
    app, client, login, seeded, role, request
):
    if role != ANONYMOUS:
        login(role)
    fx = Fixtures(request)

    problems = []
    for rule in _rules(app):
        try:
            url = _url(rule, fx)
        except LookupError as exc:
            problems.append(str(exc))
            continue
        method = _method(rule)
        body = POST_BODIES.get(rule.endpoint, {"data": {}}) if method != "GET" else {}
        with client.open(url, method=method, **body) as response:
            problem = _problem(role, rule, response, role in ACCESS[rule.endpoint])
        if problem:
            problems.append(problem)

    assert not problems, "\n".join(problems)
