"""A submission is stored in one statement, then expanded once, by any process."""

import threading
import time
import uuid

import pytest
from sqlmodel import Session, func, select

from analysis.models import AnswerTask, SafeguardingFlag
from surveys import operations
from surveys.models import Answer, Response
from surveys.processor import Processor
from tests.test_kiosk_submit import _valid_answers


@pytest.fixture
def launch(make_launch):
    return make_launch(band="9-11")


def _receive(session, launch, text="希望学校门口有红绿灯"):
    """Store one submission without expanding it; return its id."""
    answers = _valid_answers(session, launch)
    answers.update({k: text for k, v in answers.items() if v == "希望学校门口有红绿灯"})
    payload = {"id": str(uuid.uuid4()), "answers": answers}
    facts = operations.LaunchFacts.of(session, launch)
    status, response_id = operations.receive(session, facts, payload)
    assert status == "stored"
    return response_id


def _answers(session, response_id):
    return session.exec(
        select(func.count(Answer.id)).where(Answer.response_id == response_id)
    ).one()


def test_receive_stores_the_answers_pending(session, launch):
    response_id = _receive(session, launch)

    response = session.get(Response, response_id)
    assert response.pending == _valid_answers(session, launch)
    assert _answers(session, response_id) == 0
    assert operations.pending_ids(session) == [response_id]


def test_processing_expands_screens_and_themes_once(session, launch):
    response_id = _receive(session, launch)
    expected = len(_valid_answers(session, launch))

    assert operations.process_pending(session, [response_id]) == 1
    assert operations.process_pending(session, [response_id]) == 0

    session.expire_all()
    assert session.get(Response, response_id).pending is None
    assert _answers(session, response_id) == expected
    tasks = session.exec(
        select(AnswerTask.task_number)
        .join(Answer, Answer.id == AnswerTask.answer_id)
        .where(Answer.response_id == response_id)
    ).all()
    assert 20 in tasks
    assert operations.pending_ids(session) == []


def test_processing_masks_and_flags_before_anyone_reads(session, launch):
    response_id = _receive(session, launch, text="我叫王小明，爸爸经常打我")
    operations.process_pending(session, [response_id])

    text_answer = session.exec(
        select(Answer).where(
            Answer.response_id == response_id, Answer.text.is_not(None)
        )
    ).first()
    assert "王小明" not in text_answer.masked
    flags = session.exec(
        select(SafeguardingFlag).where(SafeguardingFlag.answer_id == text_answer.id)
    ).all()
    assert flags


def test_a_resend_while_pending_is_a_duplicate(client, session, launch):
    payload = {"id": str(uuid.uuid4()), "answers": _valid_answers(session, launch)}
    facts = operations.LaunchFacts.of(session, launch)
    operations.receive(session, facts, payload)

    again = client.post(f"/k/{launch.code}/responses", json=payload)

    assert again.status_code == 200
    assert again.get_json()["status"] == "duplicate"
    assert session.exec(select(func.count(Response.id))).one() == 1


def test_a_closed_launch_refuses_in_the_same_statement(app, session, launch):
    with app.app_context():
        facts = operations.launch_facts(session, launch.code)
    operations.close_launch(session, launch)
    payload = {"id": str(uuid.uuid4()), "answers": _valid_answers(session, launch)}

    with pytest.raises(operations.SubmissionError) as refused:
        operations.receive(session, facts, payload)

    assert refused.value.status == 410
    assert session.exec(select(func.count(Response.id))).one() == 0


def test_racing_processors_expand_each_response_once(app, session, launch):
    ids = [_receive(session, launch) for _ in range(20)]
    expected = len(_valid_answers(session, launch))
    engine = app.extensions["db_engine"]
    start, done, errors = threading.Barrier(3), [], []

    def process():
        with app.app_context(), Session(engine) as own:
            start.wait()
            try:
                done.append(operations.process_pending(own, ids))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=process) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(done) == 20
    for response_id in ids:
        assert _answers(session, response_id) == expected


def test_the_shell_command_finishes_what_a_killed_process_left(runner, session, launch):
    ids = [_receive(session, launch) for _ in range(3)]

    result = runner.invoke(args=["surveys", "process"])

    assert result.exit_code == 0, result.output
    assert "processed 3 responses; 0 still pending" in result.output
    assert all(_answers(session, response_id) for response_id in ids)


def test_a_response_that_cannot_be_processed_does_not_hold_up_others(
    app, session, launch, monkeypatch
):
    bad, good = _receive(session, launch), _receive(session, launch)
    real = operations._prepare

    def prepare(codebook, spec, response_id, answers):
        if response_id == bad:
            raise RuntimeError("broken")
        return real(codebook, spec, response_id, answers)

    monkeypatch.setattr(operations, "_prepare", prepare)
    processor = Processor(app)

    assert processor.drain(deadline=0.0) is True

    assert _answers(session, good) > 0
    assert _answers(session, bad) == 0
    assert processor.failed == {bad}
    assert operations.pending_ids(session) == [bad]


def test_the_background_thread_expands_what_the_kiosk_sent(
    database_url, session, launch
):
    from app import create_app

    live = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "SUBMISSIONS_INLINE": False,
        }
    )
    processor = live.extensions["processor"]
    processor.QUIET = 0.01
    tablet = live.test_client()
    payload = {"id": str(uuid.uuid4()), "answers": _valid_answers(session, launch)}
    try:
        posted = tablet.post(f"/k/{launch.code}/responses", json=payload)
        assert posted.status_code == 201

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not _answers(session, payload["id"]):
            time.sleep(0.05)
    finally:
        processor.stop()
        live.extensions["db_engine"].dispose()

    assert _answers(session, payload["id"]) == len(payload["answers"])


def test_tablets_come_first_until_the_answers_are_late(app, session, launch):
    response_id = _receive(session, launch)
    processor = Processor(app)
    processor.busy = 1

    assert processor.drain(deadline=time.monotonic() + 60) is False
    assert _answers(session, response_id) == 0

    assert processor.drain(deadline=time.monotonic() - 1) is True
    assert _answers(session, response_id) > 0


def test_a_restarted_worker_finishes_pending_answers_before_any_request(
    database_url, session, launch
):
    import runpy
    from types import SimpleNamespace

    from app import create_app
    from core import ROOT

    response_id = _receive(session, launch)
    live = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "SUBMISSIONS_INLINE": False,
        }
    )
    worker = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: live))
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    try:
        hooks["post_fork"](None, worker)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not _answers(session, response_id):
            time.sleep(0.05)
    finally:
        live.extensions["processor"].stop()
        live.extensions["db_engine"].dispose()

    assert _answers(session, response_id) > 0
