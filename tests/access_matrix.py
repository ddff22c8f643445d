"""Who may reach each endpoint: the table tests/test_access_matrix.py checks.

Every endpoint in `app.url_map` needs one line in ACCESS naming the roles
that may use it; the test signs in as each role (and as nobody) and requests
every route. To add a route:

1. add ``"blueprint.view": only("staff"),`` to ACCESS (``PUBLIC`` for pages
   anyone may open, ``SIGNED_IN`` for any adult; ``only`` always adds admin);
2. if its rule has a URL parameter not yet in URL_VALUES, add a function that
   returns a valid value, e.g. ``"council_id": lambda fx: make_council().id``;
   ``fx.fixture("name")`` gives any pytest fixture, ``fx.launch()`` a fresh
   open launch (needs survey, band 9-11, 乐成街道);
3. if a POST-only route needs a particular body to be harmless, add it to
   POST_BODIES (the default is an empty form).
"""

ANONYMOUS = "anonymous"
ROLES = ("facilitator", "staff", "department", "safeguarding", "admin")
EVERYONE = (ANONYMOUS, *ROLES)

PUBLIC = frozenset(EVERYONE)
SIGNED_IN = frozenset(ROLES)


def only(*roles):
    """Return the roles given plus admin, who passes every role check."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; use some of {ROLES}")
    return frozenset({*roles, "admin"})


ACCESS = {
    # static files, sign-in and the children's kiosk: open to everyone
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "surveys.join": PUBLIC,
    "surveys.kiosk": PUBLIC,
    "surveys.submit": PUBLIC,
    # adults' pages
    "home": SIGNED_IN,
    "surveys.launches": only("facilitator", "staff"),
    "surveys.new_launch": only("facilitator", "staff"),
    "surveys.launch": only("facilitator", "staff"),
    "surveys.launch_counts": only("facilitator", "staff"),
    "surveys.close": only("facilitator", "staff"),
    "surveys.qr": only("facilitator", "staff"),
    "participation.plan": only("staff", "department"),
    "participation.task": only("staff", "department"),
    "analysis.launch_report": only("staff"),
    "analysis.launch_cloud": only("staff"),
    # added by the councils, admin, reports, safeguarding and editor pages
    "admin.audit_log": only(),
    "admin.deletions": only(),
    "admin.user": only(),
    "admin.users": only(),
    "analysis.change_codebook": only("staff"),
    "analysis.cloud": only("staff"),
    "analysis.codebook": only("staff"),
    "analysis.codebook_history": only("staff"),
    "analysis.restore_codebook": only("staff"),
    "analysis.export_answers": only("staff"),
    "analysis.export_tables": only("staff"),
    "analysis.themes": only("staff"),
    "emergent.candidates": only("staff"),
    "emergent.discard": only("staff"),
    "emergent.name": only("staff"),
    "council_sessions.add_item": only("facilitator", "staff"),
    "council_sessions.add_speaker": only("facilitator", "staff"),
    "council_sessions.attendance": only("facilitator", "staff"),
    "council_sessions.capture": only("facilitator", "staff"),
    "council_sessions.control": only("facilitator", "staff"),
    "council_sessions.create_vote": only("facilitator", "staff"),
    "council_sessions.detail": only("facilitator", "staff"),
    "council_sessions.edit_minutes": only("facilitator", "staff"),
    "council_sessions.hands": only("facilitator", "staff"),
    "council_sessions.minutes_docx": only("facilitator", "staff"),
    "council_sessions.print_minutes": only("facilitator", "staff"),
    "council_sessions.regenerate_minutes": only("facilitator", "staff"),
    "council_sessions.remove_item": only("facilitator", "staff"),
    "council_sessions.run": only("facilitator", "staff"),
    "council_sessions.said": only("facilitator", "staff"),
    "council_sessions.state": only("facilitator", "staff"),
    "council_sessions.update_item": only("facilitator", "staff"),
    "council_sessions.vote_action": only("facilitator", "staff"),
    "council_votes.cast_ballot": PUBLIC,
    "council_votes.join": PUBLIC,
    "council_votes.tablet": PUBLIC,
    "councils.add_member": only("facilitator"),
    "councils.dashboard": only("staff"),
    "councils.detail": only("facilitator", "safeguarding", "staff"),
    "councils.edit": only("staff"),
    "councils.edit_activity": only("facilitator", "staff"),
    "councils.index": only("facilitator", "safeguarding", "staff"),
    "councils.members": only("facilitator", "safeguarding"),
    "councils.new": only("staff"),
    "councils.new_activity": only("facilitator", "staff"),
    "councils.office": only("facilitator"),
    "councils.pack": only("staff"),
    "councils.pack_xlsx": only("staff"),
    "councils.withdraw": only("facilitator", "safeguarding"),
    "editor.audio_file": PUBLIC,
    "editor.delete": only("facilitator", "staff"),
    "editor.delete_audio": only("facilitator", "staff"),
    "editor.duplicate": only("facilitator", "staff"),
    "editor.edit": only("facilitator", "staff"),
    "editor.export_form": only("facilitator", "staff"),
    "editor.index": only("facilitator", "staff"),
    "editor.move": only("facilitator", "staff"),
    "editor.new": only("facilitator", "staff"),
    "editor.preview": only("facilitator", "staff"),
    "editor.preview_kiosk": only("facilitator", "staff"),
    "editor.preview_responses": PUBLIC,
    "editor.question": only("facilitator", "staff"),
    "editor.upload_audio": only("facilitator", "staff"),
    "feedback.feedback": PUBLIC,
    "feedback.townships": PUBLIC,
    "proposals.answer": only("staff"),
    "proposals.detail": only("department", "facilitator", "staff"),
    "proposals.evaluate": only("facilitator", "staff"),
    "proposals.index": only("department", "facilitator", "staff"),
    "proposals.note": only("staff"),
    "proposals.publish": only("staff"),
    "proposals.route": only("staff"),
    "safeguarding.flags": only("safeguarding"),
    "safeguarding.review": only("safeguarding"),
    "safeguarding.report": only("department", "staff"),
}

#: endpoints that send everyone to the sign-in page by design (signing out)
ENDS_AT_LOGIN = frozenset({"auth.logout"})

#: a valid value for each URL parameter, by name; fx is the test's Fixtures
URL_VALUES = {
    "code": lambda fx: fx.launch().code,
    "number": lambda fx: 1,
    "filename": lambda fx: "site.css",
    # ids that need not exist: an allowed role then gets a 404, never a 403
    "council_id": lambda fx: 1,
    "activity_id": lambda fx: 1,
    "item_id": lambda fx: 1,
    "vote_id": lambda fx: 1,
    "member_id": lambda fx: 1,
    "proposal_id": lambda fx: 1,
    "user_id": lambda fx: 1,
    "flag_id": lambda fx: 1,
    "answer_id": lambda fx: 1,
    "township_code": lambda fx: "lecheng",
    "key": lambda fx: "needs",
    "qkey": lambda fx: "safe_way",
    "band": lambda fx: "9-11",
    "name": lambda fx: "safe_way.mp3",
    "kind": lambda fx: "csv",
    "change": lambda fx: "keyword",
    "action": lambda fx: "next",
}

#: the same, for one endpoint whose parameter means something else
URL_VALUES_FOR = {}

#: the body of a POST-only request, when an empty form is not harmless
POST_BODIES = {
    "surveys.submit": {"json": {}},
    "editor.preview_responses": {"json": {}},
    "council_votes.cast_ballot": {"json": {}},
}
