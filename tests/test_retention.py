"""Expiry deletes raw answers and keeps aggregates; deletion on request is whole."""

import uuid
from datetime import timedelta

import pytest
from sqlmodel import SQLModel, func, select, update

from analysis import evidence
from analysis import operations as analysis_ops
from analysis.models import AnswerTask, AnswerTheme, SafeguardingFlag
from core import retention
from core.audit import AuditEvent, DeletionRecord
from core.models import utcnow
from surveys import operations as survey_ops
from surveys.models import Answer, RejectedSubmission, Response, Survey

WISHES = [
    "希望学校门口有红绿灯",
    "公园里想要更多滑梯和秋千",
    "作业太多了，没时间玩",
]
HARM = "爸爸喝酒以后打我"


def _answers(wish, worry=None):
    answers = {"safe_way": "safe", "play_place": "yes", "wish": wish}
    if worry is not None:
        answers["worry"] = worry
    return answers


def _submit(session, launch, answers):
    payload = {"id": str(uuid.uuid4()), "answers": answers}
    _, response = survey_ops.submit_response(session, launch, payload)
    analysis_ops.process_responses(session, [response.id])
    return response.id


def _age(session, response_ids, days):
    session.exec(
        update(Response)
        .where(Response.id.in_(response_ids))
        .values(submitted_at=utcnow() - timedelta(days=days))
    )
    session.commit()


def _rows(session, model):
    session.expire_all()
    return session.exec(select(model).order_by(model.id)).all()


def _count(session, model):
    return session.exec(select(func.count()).select_from(model)).one()


def _snapshot(session):
    """Return every row of every table, to show that nothing changed."""
    session.expire_all()
    return {
        table.name: session.exec(select(table)).all()
        for table in SQLModel.metadata.sorted_tables
    }


@pytest.fixture
def answered(session, make_launch):
    """Return (old, new) response ids of one launch: old ones are 400 days old."""
    launch = make_launch()
    old = [_submit(session, launch, _answers(w, "没有")) for w in WISHES]
    new = [_submit(session, launch, _answers(w)) for w in WISHES]
    _age(session, old, days=400)
    return old, new


def test_expiry_clears_words_of_old_answers_only(session, answered):
    old, new = answered
    themes_before = [(t.answer_id, t.theme) for t in _rows(session, AnswerTheme)]
    tasks_before = [(t.answer_id, t.task_number) for t in _rows(session, AnswerTask)]

    results, failed = retention.purge(session)

    assert failed == []
    assert results["expire_answer_texts"] == {"responses": 3, "answers": 6, "held": 0}
    answers = _rows(session, Answer)
    for answer in answers:
        words_kept = answer.response_id in new and answer.question_key == "wish"
        assert (answer.text is not None) is words_kept
        assert (answer.masked is not None) is words_kept
    assert {a.value for a in answers if a.question_key == "safe_way"} == {"safe"}
    assert [(t.answer_id, t.theme) for t in _rows(session, AnswerTheme)] == (
        themes_before
    )
    assert [(t.answer_id, t.task_number) for t in _rows(session, AnswerTask)] == (
        tasks_before
    )


def test_expiry_records_ids_and_counts_without_words(session, answered):
    old, _ = answered

    retention.purge(session)

    records = _rows(session, DeletionRecord)
    assert sorted(r.object_id for r in records) == sorted(old)
    assert {(r.kind, r.object_type, r.count, r.by) for r in records} == {
        ("expiry", "response", 2, "retention")
    }
    stored = " ".join(f"{r.reason} {r.object_id}" for r in records)
    assert not any(word in stored for word in [*WISHES, "没有"])


def test_purge_twice_changes_nothing_the_second_time(session, answered):
    retention.purge(session)
    after_first = _snapshot(session)

    results, _ = retention.purge(session)

    assert results["expire_answer_texts"] == {"responses": 0, "answers": 0, "held": 0}
    assert _snapshot(session) == after_first


def test_dry_run_counts_and_changes_nothing(session, answered):
    before = _snapshot(session)

    dry, _ = retention.purge(session, dry_run=True)

    assert _snapshot(session) == before
    real, _ = retention.purge(session)
    assert dry == real


def test_aggregates_survive_expiry_and_recoding(session, answered):
    counts_before = evidence.task_answer_counts(session)
    themes_before = _count(session, AnswerTheme)

    retention.purge(session)
    analysis_ops.recode_all(session)

    assert evidence.task_answer_counts(session) == counts_before
    assert _count(session, AnswerTheme) == themes_before


def test_each_survey_keeps_answers_its_own_time(session, make_launch):
    needs = make_launch("needs")
    short = session.exec(select(Survey).where(Survey.key == "needs")).one()
    short.retention_days = 30
    session.add(short)
    session.commit()
    response_id = _submit(session, needs, _answers(WISHES[0]))
    _age(session, [response_id], days=31)

    at_29, _ = retention.purge(session, now=utcnow() - timedelta(days=2), dry_run=True)
    at_31, _ = retention.purge(session)

    assert at_29["expire_answer_texts"]["answers"] == 0
    assert at_31["expire_answer_texts"]["answers"] == 1


def test_unreviewed_safeguarding_answer_is_held(session, make_launch):
    launch = make_launch()
    response_id = _submit(session, launch, _answers(HARM))
    _age(session, [response_id], days=400)
    flag = _rows(session, SafeguardingFlag)[0]

    held, _ = retention.purge(session)
    assert held["expire_answer_texts"] == {"responses": 0, "answers": 0, "held": 1}
    assert _rows(session, Answer)[-1].text == HARM

    flag.reviewed_at = utcnow()
    session.add(flag)
    session.commit()
    cleared, _ = retention.purge(session)

    assert cleared["expire_answer_texts"]["answers"] == 1
    assert all(a.text is None for a in _rows(session, Answer))
    assert [f.category for f in _rows(session, SafeguardingFlag)] == ["abuse"]


def test_refused_resends_expire_with_their_survey(session, client, make_launch):
    launch = make_launch()
    answers = _answers(WISHES[0])
    payload = {"id": str(uuid.uuid4()), "answers": answers}
    client.post(f"/k/{launch.code}/responses", json=payload)
    changed = {**payload, "answers": {**answers, "wish": WISHES[1]}}
    client.post(f"/k/{launch.code}/responses", json=changed)
    assert _count(session, RejectedSubmission) == 1

    kept, _ = retention.purge(session, dry_run=True)
    results, _ = retention.purge(session, now=utcnow() + timedelta(days=366))

    assert kept["expire_rejected_submissions"] == {"rejected": 0}
    assert results["expire_rejected_submissions"] == {"rejected": 1}
    assert _count(session, RejectedSubmission) == 0
    assert session.exec(
        select(DeletionRecord.object_type).where(DeletionRecord.kind == "expiry")
    ).all() == ["response", "rejected_submission"]


def test_other_jobs_run_and_a_failing_one_is_undone(session, answered, monkeypatch):
    seen = []

    def purge_council_notes(job_session, now):
        seen.append(now)
        return {"notes": 2}

    def broken_job(job_session, now):
        job_session.exec(update(Answer).values(skipped=True))
        raise RuntimeError("broken")

    jobs = [*retention.RETENTION_JOBS, broken_job, purge_council_notes]
    monkeypatch.setattr(retention, "RETENTION_JOBS", jobs)

    results, failed = retention.purge(session)

    assert failed == ["broken_job"]
    assert results["purge_council_notes"] == {"notes": 2}
    assert results["expire_answer_texts"]["answers"] == 6
    assert len(seen) == 1 and seen[0].tzinfo is not None
    assert not any(a.skipped for a in _rows(session, Answer))


def test_purge_command_with_now_and_dry_run(runner, session, answered):
    dry = runner.invoke(args=["retention", "purge", "--dry-run", "--now", "2100-01-01"])
    real = runner.invoke(args=["retention", "purge", "--now", "2100-01-01T00:00"])
    again = runner.invoke(args=["retention", "purge", "--now", "2100-01-01"])

    assert dry.exit_code == 0, dry.output
    assert "would delete answers=9, held=0, responses=6" in dry.output
    assert "deleted answers=9" in real.output
    assert "deleted answers=0" in again.output
    assert all(a.text is None for a in _rows(session, Answer))


def test_purge_command_refuses_a_bad_time(runner):
    result = runner.invoke(args=["retention", "purge", "--now", "next tuesday"])

    assert result.exit_code != 0
    assert "not an ISO date" in result.output


def test_delete_response_removes_everything_of_it(runner, session, answered):
    old, new = answered
    target = new[0]
    answer_ids = session.exec(select(Answer.id).where(Answer.response_id == target))
    answer_ids = list(answer_ids)
    others_before = _count(session, Answer) - len(answer_ids)

    result = runner.invoke(
        args=["retention", "delete-response", target, "--reason", "监护人撤回同意"]
    )

    assert result.exit_code == 0, result.output
    assert f"deleted response {target}" in result.output
    session.expire_all()
    assert session.get(Response, target) is None
    assert _count(session, Answer) == others_before
    for model in (AnswerTheme, AnswerTask, SafeguardingFlag):
        leftover = session.exec(select(model).where(model.answer_id.in_(answer_ids)))
        assert leftover.all() == []
    record = _rows(session, DeletionRecord)[0]
    assert (record.kind, record.object_id, record.count) == ("request", target, 3)
    assert (record.reason, record.by) == ("监护人撤回同意", "command")
    event = _rows(session, AuditEvent)[-1]
    assert (event.action, event.object_id) == ("deleted response", target)


@pytest.mark.parametrize(
    "response_id", [str(uuid.uuid4()), "not-a-uuid", "'; DROP TABLE answer; --"]
)
def test_delete_missing_response_says_so_and_changes_nothing(
    runner, session, answered, response_id
):
    before = _snapshot(session)

    result = runner.invoke(
        args=["retention", "delete-response", response_id, "--reason", "请求"]
    )

    assert result.exit_code != 0
    assert "nothing was deleted" in result.output
    assert _snapshot(session) == before


def test_delete_response_needs_a_reason(runner, session, answered):
    before = _snapshot(session)

    result = runner.invoke(
        args=["retention", "delete-response", answered[0][0], "--reason", "  "]
    )

    assert result.exit_code != 0
    assert "reason" in result.output
    assert _snapshot(session) == before
