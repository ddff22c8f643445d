"""Thirty tablets submitting at the same moment while staff read a report."""

import threading
import uuid

from sqlmodel import func, select

from surveys.models import Answer, Response
from tests.test_kiosk_submit import _valid_answers

TABLETS = 30


def _submit_all(app, code, payloads, start):
    """Post each payload from its own thread once all are ready; return statuses."""
    statuses = [None] * len(payloads)

    def tablet(index):
        client = app.test_client(use_cookies=False)
        start.wait()
        statuses[index] = client.post(
            f"/k/{code}/responses", json=payloads[index]
        ).status_code

    threads = [threading.Thread(target=tablet, args=(i,)) for i in range(len(payloads))]
    for thread in threads:
        thread.start()
    return threads, statuses


def _read_reports(client, code, start, done):
    """Request the report and live counts until done is set; return statuses."""
    statuses = []

    def staff():
        start.wait()
        while not done.is_set() or not statuses:
            statuses.append(client.get(f"/reports/launches/{code}").status_code)
            statuses.append(client.get(f"/launches/{code}/counts").status_code)

    thread = threading.Thread(target=staff)
    thread.start()
    return thread, statuses


def test_concurrent_submissions_are_all_stored(
    app, client, session, login, make_launch
):
    login("staff")
    launch = make_launch(band="9-11")
    answers = _valid_answers(session, launch)
    payloads = [
        {"id": str(uuid.uuid4()), "answers": answers, "tablet": f"t{n}"}
        for n in range(TABLETS)
    ]
    start, done = threading.Barrier(TABLETS + 1), threading.Event()

    tablets, submitted = _submit_all(app, launch.code, payloads, start)
    reader, read = _read_reports(client, launch.code, start, done)
    for thread in tablets:
        thread.join(timeout=120)
    done.set()
    reader.join(timeout=120)

    assert submitted == [201] * TABLETS
    assert read and set(read) == {200}
    session.expire_all()
    ids = set(session.exec(select(Response.id)).all())
    assert ids == {p["id"] for p in payloads}
    stored = session.exec(select(func.count()).select_from(Answer)).one()
    assert stored == TABLETS * len(answers)


def test_concurrent_double_taps_store_once(app, session, make_launch):
    launch = make_launch(band="9-11")
    payload = {"id": str(uuid.uuid4()), "answers": _valid_answers(session, launch)}
    start = threading.Barrier(TABLETS)

    tablets, submitted = _submit_all(app, launch.code, [payload] * TABLETS, start)
    for thread in tablets:
        thread.join(timeout=120)

    assert sorted(submitted) == [200] * (TABLETS - 1) + [201]
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Response)).one() == 1
