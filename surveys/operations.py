"""Operations that change surveys, launches and responses."""

import hashlib
import json
import logging
import re
import secrets
import time
import unicodedata
import uuid
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from analysis.text import visible
from core.models import utcnow
from surveys.models import BANDS, Answer, Launch, RejectedSubmission, Response, Survey
from surveys.templates import builtin_templates, questions_for, spec_version

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_TEXT = 2000
CHOICE_TYPES = frozenset({"single", "faces", "yesno"})


#: parsed survey specs by (survey id, version); a version is a hash of its spec
_SPECS: dict = {}


#: how the reason of a refused submission that may disclose harm says so
HARM_NOTE = "may disclose harm: "


class SubmissionError(ValueError):
    """A submission the server will not store; status is the HTTP status."""

    def __init__(self, message, status=422):
        super().__init__(message)
        self.status = status


def load_templates(session: Session) -> int:
    """Insert or update the built-in survey templates; return how many changed."""
    changed = 0
    for key, spec in builtin_templates().items():
        version = spec_version(spec)
        survey = session.exec(select(Survey).where(Survey.key == key)).first()
        if survey is not None and survey.version == version:
            continue

        survey = survey or Survey(key=key)
        survey.title = spec["title"]
        survey.stage = spec["stage"]
        survey.spec = spec
        survey.version = version
        survey.retention_days = int(spec.get("retention_days", 365))
        session.add(survey)
        changed += 1
        log.info("Survey template %s loaded at version %s", key, version)
    session.commit()
    return changed


def new_code(session: Session) -> str:
    """Return an unused six-character join code."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if session.exec(select(Launch.id).where(Launch.code == code)).first() is None:
            return code


def create_launch(session, survey, band, township_code, user_id=None, code=None):
    """Open survey for one band in one township and return the launch."""
    if band not in BANDS:
        raise ValueError(f"unknown age band {band!r}; use one of {', '.join(BANDS)}")

    launch = Launch(
        code=code or new_code(session),
        survey_id=survey.id,
        band=band,
        township_code=township_code,
        created_by=user_id,
    )
    session.add(launch)
    session.commit()
    log.info(
        "Launch %s created for survey %s by user %s", launch.id, survey.id, user_id
    )
    return launch


def close_launch(session, launch):
    """Stop accepting answers for launch."""
    launch.closed_at = utcnow()
    session.add(launch)
    session.commit()
    log.info("Launch %s closed", launch.id)


def clean_code(code):
    """Return a join code as stored: capitals, without spaces or dashes typed in it.

    Full-width letters, as a Chinese input method types them, count as letters.
    """
    return _CODE_NOISE.sub("", unicodedata.normalize("NFKC", code or "")).upper()


_CODE_NOISE = re.compile(r"[\s\-‐‑–—_·.]+")


def find_launch(session, code):
    """Return the launch with join code (any case, spaces and dashes), or None."""
    code = clean_code(code)
    if not code or len(code) > 12:
        return None
    return session.exec(select(Launch).where(Launch.code == code)).first()


def digest(launch_code, answers):
    """Return a hash of a submission's answers, independent of key order."""
    canonical = json.dumps([launch_code, answers], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class LaunchFacts:
    """What does not change while a launch is open: enough to check a submission."""

    id: int
    code: str
    band: str
    spec: dict

    @classmethod
    def of(cls, session, launch):
        """Return the facts of launch, with its survey's spec."""
        return cls(launch.id, launch.code, launch.band, survey_spec(session, launch))


#: how long a process trusts the facts it read about a launch
FACTS_SECONDS = 30.0


def launch_facts(session, code):
    """Return the facts of the launch with join code, read at most every 30 s.

    The cache lives on the app, so each database has its own. Whether the
    launch is still open is not cached: receive checks it as it stores.
    """
    code = clean_code(code)
    cache = current_app.extensions.setdefault("launch_facts", {})
    cached = cache.get(code)
    if cached is not None and time.monotonic() - cached[1] < FACTS_SECONDS:
        return cached[0]

    launch = find_launch(session, code)
    if launch is None:
        return None
    facts = LaunchFacts.of(session, launch)
    if len(cache) > 1024:
        cache.clear()
    cache[code] = (facts, time.monotonic())
    return facts


def submit_response(session: Session, launch: Launch, payload) -> tuple[str, Response]:
    """Store a submission once and code it now; return (status, response)."""
    status, response_id = receive(session, LaunchFacts.of(session, launch), payload)
    process_pending(session, [response_id])
    return status, session.get(Response, response_id)


def receive(session: Session, facts: LaunchFacts, payload) -> tuple[str, str]:
    """Store a kiosk submission once; return ("stored"|"duplicate", response id).

    The checked answers are written with the response in one statement, which
    also refuses a closed launch; process_pending turns them into answer rows,
    screened and themed, afterwards. A resend of the same answers changes
    nothing; the same id with other answers is kept aside for review.
    """
    response_id, answers, tablet, gender = _parse_payload(payload)
    cleaned = validate_answers(facts.spec, facts.band, answers)
    fingerprint = digest(facts.code, cleaned)

    row = {
        "id": response_id,
        "launch_id": facts.id,
        "gender": gender,
        "submitted_at": utcnow(),
        "digest": fingerprint,
        "tablet": tablet,
        "pending": cleaned,
    }
    try:
        stored = session.connection().execute(_RECEIVE, row).first()
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = session.get(Response, response_id)
        if existing is None:
            raise
        return _resend(session, facts, existing, fingerprint, cleaned)

    if stored is None:
        # a resend of what was stored before the launch closed is still stored
        existing = session.get(Response, response_id)
        if existing is not None:
            return _resend(session, facts, existing, fingerprint, cleaned)
        raise SubmissionError("这个问卷已经结束了。", status=410)
    log.info("Response %s received for launch %s", response_id, facts.id)
    return "stored", response_id


def _receive_statement():
    """INSERT a response row for an open launch: one statement, no read first."""
    responses, launches = Response.__table__, Launch.__table__
    columns = responses.c

    def param(name):
        return bindparam(name, type_=columns[name].type)

    source = select(
        param("id"),
        launches.c.id,
        launches.c.band,
        launches.c.township_code,
        param("gender"),
        param("submitted_at"),
        param("digest"),
        param("tablet"),
        param("pending"),
    ).where(launches.c.id == bindparam("launch_id"), launches.c.closed_at.is_(None))
    names = ["id", "launch_id", "band", "township_code", "gender", "submitted_at"]
    return (
        insert(responses)
        .from_select([*names, "digest", "tablet", "pending"], source)
        .returning(responses.c.id)
    )


_RECEIVE = _receive_statement()


def pending_ids(session: Session, limit=200, exclude=()) -> list[str]:
    """Return the ids of the oldest responses whose answers await processing."""
    query = (
        select(Response.id)
        .where(Response.pending.is_not(None))
        .order_by(Response.submitted_at, Response.id)
        .limit(limit)
    )
    if exclude:
        query = query.where(Response.id.not_in(list(exclude)))
    ids = session.exec(query).all()
    session.commit()
    return list(ids)


def process_pending(session: Session, ids) -> int:
    """Turn the responses ids into screened, themed answer rows; return how many.

    The text analysis runs before the write transaction, so the database is
    locked only for the inserts. Safe to run in several processes at once:
    a response is claimed by clearing its pending answers in the transaction
    that inserts its rows, so it is expanded exactly once, and its answers
    stay pending if anything fails.
    """
    found = session.exec(
        select(Response.id, Response.launch_id, Response.pending).where(
            Response.id.in_(list(ids)), Response.pending.is_not(None)
        )
    ).all()
    if not found:
        session.commit()
        return 0
    codebook = _codebook(session)
    specs = {}  # by launch: a batch usually comes from a few launches
    for _, launch_id, _ in found:
        if launch_id not in specs:
            specs[launch_id] = survey_spec(session, session.get(Launch, launch_id))
    prepared = [
        _prepare(codebook, specs[launch_id], response_id, answers)
        for response_id, launch_id, answers in found
    ]
    session.commit()

    table = Response.__table__
    try:
        claimed = set(
            session.exec(
                update(table)
                .where(table.c.id.in_([rid for rid, _, _ in prepared]))
                .where(table.c.pending.is_not(None))
                .values(pending=None)
                .returning(table.c.id)
            ).scalars()
        )
        prepared = [item for item in prepared if item[0] in claimed]
        rows = [row for _, answer_rows, _ in prepared for row in answer_rows]
        answer_ids = _insert_answers(session, rows)
        if codebook is not None:
            _record_codes(session, codebook, prepared, answer_ids)
        session.commit()
    except Exception:
        session.rollback()
        raise
    if prepared:
        log.info("Responses processed: %s", len(prepared))
    return len(prepared)


def _codebook(session):
    """Return the current codebook, or None if it cannot be read."""
    from analysis import operations as analysis_ops

    try:
        return analysis_ops.current_codebook(session)
    except Exception:
        log.exception("Codebook unreadable: answers stored unscreened")
        return None


def _prepare(codebook, spec, response_id, answers):
    """Return (response id, answer rows, codes by question), masked and themed."""
    rows = [_answer(response_id, spec, k, v) for k, v in answers.items()]
    codes = {}
    if codebook is not None:
        codes = _screen(codebook, response_id, rows)
    return response_id, rows, codes


def process_all(session: Session, batch=200) -> int:
    """Process every pending response, oldest first; return how many."""
    done = 0
    while ids := pending_ids(session, batch):
        done += process_pending(session, ids)
    return done


def survey_spec(session, launch):
    """Return the spec of launch's survey, read once per process and version."""
    survey_id = launch.survey_id
    version = session.exec(select(Survey.version).where(Survey.id == survey_id)).one()
    key = (survey_id, version)
    if key not in _SPECS:
        if len(_SPECS) > 64:
            _SPECS.clear()
        spec = session.exec(select(Survey.spec).where(Survey.id == survey_id)).one()
        _SPECS[key] = spec
    return _SPECS[key]


def _screen(codebook, response_id, rows):
    """Screen and theme open answers before they are stored; None if that failed."""
    from analysis import operations as analysis_ops

    try:
        return analysis_ops.screen_new_answers(codebook, rows)
    except Exception:
        for row in rows:
            row["masked"] = None
        log.exception("Response %s stored unscreened; run analysis recode", response_id)
        return None


def _insert_answers(session, rows):
    """Insert answer rows in one statement; return ids by (response, question)."""
    if not rows:
        return {}
    table = Answer.__table__
    inserted = session.exec(
        insert(table).returning(table.c.response_id, table.c.question_key, table.c.id),
        params=rows,
    )
    return {(rid, key): answer_id for rid, key, answer_id in inserted.all()}


def _record_codes(session, codebook, prepared, answer_ids):
    """Insert the codes of the screened answers, by their new ids."""
    from analysis import operations as analysis_ops

    coded = [
        (answer_ids[response_id, key], flags, hits)
        for response_id, _, codes in prepared
        if codes is not None
        for key, (flags, hits) in codes.items()
    ]
    analysis_ops.record_codes(session, codebook, coded)


def _resend(session, launch, existing, fingerprint, answers):
    """Answer a resend: a duplicate, or other answers under a used id (409).

    Other answers are kept for review once per version, masked, with the
    kinds of harm they may disclose in the reason, which the safeguarding
    page lists; the child's own words are not kept.
    """
    if existing.launch_id == launch.id and existing.digest == fingerprint:
        log.info("Response %s resent; nothing stored", existing.id)
        return "duplicate", existing.id

    masked, harms = _screened_copy(launch.spec, answers)
    reason = f"id reused with different answers {fingerprint[:12]}"
    if harms:
        reason += f"; {HARM_NOTE}{', '.join(harms)}"
    known = session.exec(
        select(RejectedSubmission.id).where(
            RejectedSubmission.response_id == existing.id,
            RejectedSubmission.reason == reason,
        )
    ).first()
    if known is None:
        session.add(
            RejectedSubmission(
                response_id=existing.id,
                launch_id=launch.id,
                reason=reason,
                payload={"answers": masked},
            )
        )
        session.commit()
        log.warning(
            "Response %s resent with different answers; kept for review%s",
            existing.id,
            " and flagged for safeguarding" if harms else "",
        )
    raise SubmissionError("这个编号已经用过了，答案不一样。", status=409)


def _screened_copy(spec, answers):
    """Return answers with open text masked, and the kinds of harm it may show."""
    from analysis.screen import screen

    kinds = {q["key"]: q["type"] for q in spec["questions"]}
    masked, harms = {}, set()
    for key, value in answers.items():
        if kinds.get(key) == "text" and isinstance(value, str):
            screened = screen(value)
            value = screened.masked
            harms.update(flag.category for flag in screened.flags)
        masked[key] = value
    return masked, sorted(harms)


def _parse_payload(payload):
    if not isinstance(payload, dict):
        raise SubmissionError("请求内容必须是 JSON 对象。", status=400)
    if not _encodable(payload):
        raise SubmissionError("请求内容必须是 UTF-8 的 JSON。", status=400)

    raw_id = payload.get("id")
    try:
        response_id = str(uuid.UUID(str(raw_id)))
    except ValueError:
        raise SubmissionError("id 必须是平板生成的 UUID。", status=400) from None
    if not isinstance(raw_id, str):
        raise SubmissionError("id 必须是平板生成的 UUID。", status=400)

    answers = payload.get("answers")
    if not isinstance(answers, dict):
        raise SubmissionError("answers 必须是一个对象。", status=400)

    tablet = payload.get("tablet")
    if tablet is not None and (
        not isinstance(tablet, str) or len(tablet) > 36 or "\x00" in tablet
    ):
        raise SubmissionError("tablet 必须是不超过 36 个字符的文本。", status=400)

    gender = payload.get("gender")
    if gender not in (None, "f", "m"):
        raise SubmissionError("gender 只能是 f、m 或不填。", status=400)
    return response_id, answers, tablet, gender


def _encodable(payload):
    """Tell whether payload can be stored: UTF-8 (no lone \\ud800), not too deep."""
    try:
        json.dumps(payload, ensure_ascii=False).encode()
    except (UnicodeEncodeError, RecursionError):
        return False
    return True


def validate_answers(spec, band, answers):
    """Return the answers checked against what band was asked, or raise."""
    questions = {q["key"]: q for q in questions_for(spec, band) if not q["practice"]}
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise SubmissionError(f"没有这些问题：{', '.join(map(str, unknown[:5]))}")

    cleaned = {}
    for key, question in questions.items():
        if key not in answers:
            continue
        if not is_shown(question, cleaned):
            raise SubmissionError(f"问题 {key} 按跳题规则不该出现。")
        cleaned[key] = _check_value(question, answers[key])
    return cleaned


def is_shown(question, answers):
    """Return whether question is shown given the answers so far (skip logic)."""
    rule = question.get("show_if")
    if not rule:
        return True
    given = answers.get(rule["question"])
    if isinstance(given, list):
        return any(value in rule["in"] for value in given)
    return given is not None and given in rule["in"]


def _check_value(question, value):
    if value is None:
        return None

    kind = question["type"]
    allowed = {option["value"] for option in question["options"]}
    if kind in CHOICE_TYPES:
        if not isinstance(value, str) or value not in allowed:
            raise SubmissionError(f"问题 {question['key']} 的选项无效。")
        return value

    if kind == "multi":
        valid = isinstance(value, list) and all(
            isinstance(v, str) and v in allowed for v in value
        )
        if not valid or len(set(value)) != len(value):
            raise SubmissionError(f"问题 {question['key']} 的选项无效。")
        return sorted(value)

    if kind == "ranking":
        return _check_ranking(question, value, allowed)

    if kind == "number":
        return _check_number(question, value)

    if not isinstance(value, str):
        raise SubmissionError(f"问题 {question['key']} 需要文字。")
    value = visible(value).strip()
    if len(value) > MAX_TEXT:
        raise SubmissionError(
            f"问题 {question['key']} 的回答太长了（最多 {MAX_TEXT} 字）。"
        )
    return value or None


def _check_ranking(question, value, allowed):
    """Return a ranking: every option value once, in the child's order."""
    valid = isinstance(value, list) and all(isinstance(v, str) for v in value)
    if not valid or len(value) != len(allowed) or set(value) != allowed:
        raise SubmissionError(f"问题 {question['key']} 需要把每个选项排一次顺序。")
    return value


def _check_number(question, value):
    """Return a whole number within the question's min and max."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SubmissionError(f"问题 {question['key']} 需要一个整数。")

    low, high = question.get("min", -(10**9)), question.get("max", 10**9)
    if not low <= value <= high:
        raise SubmissionError(f"问题 {question['key']} 的数字超出了范围。")
    return value


def _answer(response_id, spec, key, value):
    """Return the row of one answer: a choice, the child's words, or a skip."""
    kind = next(q["type"] for q in spec["questions"] if q["key"] == key)
    row = {
        "response_id": response_id,
        "question_key": key,
        "value": None,
        "text": None,
        "masked": None,
        "skipped": value is None,
    }
    if value is not None:
        row["text" if kind == "text" else "value"] = value
    return row


def launch_counts(session, launch):
    """Return how many responses and tablets a launch has; no answer text."""
    total, tablets = session.exec(
        select(
            func.count(Response.id), func.count(func.distinct(Response.tablet))
        ).where(Response.launch_id == launch.id)
    ).one()
    rejected = session.exec(
        select(func.count(RejectedSubmission.id)).where(
            RejectedSubmission.launch_id == launch.id
        )
    ).one()
    return {"responses": total, "tablets": tablets, "rejected": rejected}
