"""Operations that change councils, their members, consent and activities."""

import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, delete, select

from core.models import Role, User, utcnow
from participation.councils import (
    ACTIVITY_KINDS,
    CONSENT_KINDS,
    ELEMENTS,
    OFFICES,
    VOTE_RULES,
    Activity,
    Consent,
    Council,
    CouncilFacilitator,
    CouncilMember,
    SpeakingTurn,
)
from participation.models import Township
from surveys.models import BANDS

log = logging.getLogger(__name__)

#: the city's clock: dates of sessions and answers are local dates
CITY_TZ = ZoneInfo("Asia/Shanghai")
#: the version of the consent and assent wording in docs/councils.md
CONSENT_WORDING_VERSION = "2024.1"
#: what replaces a pseudonym once a child has withdrawn
WITHDRAWN_LABEL = "（已退出）"
#: what a township code looks like, e.g. lecheng
TOWNSHIP_CODE = re.compile(r"[a-z0-9_-]{1,32}")


class CouncilError(ValueError):
    """Input that cannot be accepted; nothing was changed. The message says why."""


@dataclass(frozen=True)
class ConsentInput:
    """A consent or refusal as the facilitator records it."""

    given: bool
    version: str
    on: date


def find_township(session: Session, code: str | None) -> Township | None:
    """Return the township with a code, or None (also for malformed codes)."""
    if not code or not TOWNSHIP_CODE.fullmatch(code):
        return None
    return session.get(Township, code)


def local_today() -> date:
    """Return today's date in the city."""
    return utcnow().astimezone(CITY_TZ).date()


# Councils --------------------------------------------------------------------


def create_council(session: Session, fields: dict, facilitator_ids=()) -> Council:
    """Create a council from checked form fields and name its facilitators."""
    _check_council(session, fields)
    council = Council(**fields)
    session.add(council)
    session.flush()
    _replace_facilitators(session, council, facilitator_ids)
    session.commit()
    log.info("Council %s created for township %s", council.id, council.township_code)
    return council


def update_council(
    session: Session, council: Council, fields: dict, facilitator_ids=()
) -> Council:
    """Change a council's details and its facilitators."""
    _check_council(session, fields)
    for key, value in fields.items():
        setattr(council, key, value)
    session.add(council)
    _replace_facilitators(session, council, facilitator_ids)
    session.commit()
    log.info("Council %s updated", council.id)
    return council


def _check_council(session, fields):
    """Refuse a council with an unknown township, a bad term or rule."""
    if session.get(Township, fields.get("township_code")) is None:
        raise CouncilError("没有这个乡镇（街道）。")
    if fields["term_end"] <= fields["term_start"]:
        raise CouncilError("任期结束日期要晚于开始日期。")
    if fields.get("vote_rule", "simple") not in VOTE_RULES:
        raise CouncilError("不认识这个表决规则。")
    if not 0 <= fields.get("quorum_percent", 50) <= 100:
        raise CouncilError("法定人数比例要在 0 到 100 之间。")


def _replace_facilitators(session, council, user_ids):
    """Name exactly these facilitator accounts for the council."""
    users = session.exec(select(User).where(User.id.in_(list(user_ids)))).all()
    if any(u.role != Role.FACILITATOR for u in users) or len(users) != len(
        set(user_ids)
    ):
        raise CouncilError("辅导员只能是角色为「辅导员」的账号。")
    session.exec(
        delete(CouncilFacilitator).where(CouncilFacilitator.council_id == council.id)
    )
    for user in users:
        session.add(CouncilFacilitator(council_id=council.id, user_id=user.id))


def facilitator_ids(session: Session, council_id: int) -> list[int]:
    """Return the ids of the accounts that run a council."""
    return list(
        session.exec(
            select(CouncilFacilitator.user_id).where(
                CouncilFacilitator.council_id == council_id
            )
        )
    )


def active_in_year(council: Council, year: int) -> bool:
    """Tell whether a council's term overlaps the given year."""
    return council.term_start <= date(year, 12, 31) and council.term_end >= date(
        year, 1, 1
    )


# Members and consent ---------------------------------------------------------


def add_member(
    session: Session,
    council: Council,
    member: dict,
    guardian: ConsentInput,
    assent: ConsentInput,
    user_id=None,
) -> CouncilMember:
    """Record a member with the guardian's consent and the child's own assent."""
    _check_member(member)
    if not (guardian.given and assent.given):
        member = {**member, "real_name": None, "guardian_contact": None}
    row = CouncilMember(council_id=council.id, **member)
    session.add(row)
    session.flush()
    for kind, consent in (("guardian", guardian), ("assent", assent)):
        _check_consent(consent)
        session.add(
            Consent(
                member_id=row.id,
                kind=kind,
                given=consent.given,
                wording_version=consent.version.strip(),
                given_on=consent.on,
                recorded_by=user_id,
            )
        )
    if row.office:
        _vacate_office(session, council.id, row.office, keep=row.id)
    session.commit()
    log.info("Member %s added to council %s by user %s", row.id, council.id, user_id)
    return row


def _check_member(member):
    """Refuse a member without a pseudonym, band or known office."""
    if not (member.get("pseudonym") or "").strip():
        raise CouncilError("请填写孩子自己取的名字（化名）。")
    if member.get("band") not in BANDS:
        raise CouncilError("请选择年龄段。")
    if member.get("office") not in (None, *OFFICES):
        raise CouncilError("不认识这个职务。")


def _check_consent(consent):
    """Refuse a consent without a wording version or dated in the future."""
    if not consent.version.strip():
        raise CouncilError("请填写同意书文本的版本。")
    if consent.on > local_today():
        raise CouncilError("同意的日期不能晚于今天。")


def _vacate_office(session, council_id, office, keep):
    """Take an office from every other member who holds it."""
    holders = session.exec(
        select(CouncilMember).where(
            CouncilMember.council_id == council_id,
            CouncilMember.office == office,
            CouncilMember.id != keep,
        )
    ).all()
    for holder in holders:
        holder.office = None
        session.add(holder)


def set_office(session: Session, member: CouncilMember, office: str | None) -> None:
    """Make a member chair or vice-chair (the office passes from its holder)."""
    if office not in (None, *OFFICES):
        raise CouncilError("不认识这个职务。")
    if office and not is_active_member(session, member):
        raise CouncilError("只有在任的成员才能担任职务。")

    member.office = office
    session.add(member)
    if office:
        _vacate_office(session, member.council_id, office, keep=member.id)
    session.commit()
    log.info("Member %s given office %s", member.id, office)


def consents_of(session: Session, member_id: int) -> dict[str, Consent]:
    """Return a member's latest consent of each kind."""
    rows = session.exec(
        select(Consent).where(Consent.member_id == member_id).order_by(Consent.id)
    ).all()
    return {row.kind: row for row in rows}


def is_active_member(session: Session, member: CouncilMember) -> bool:
    """Tell whether a member has both consents in force and has not left."""
    if member.left_on is not None:
        return False
    consents = consents_of(session, member.id)
    return all(
        kind in consents
        and consents[kind].given
        and consents[kind].withdrawn_on is None
        for kind in CONSENT_KINDS
    )


def active_members(session: Session, council_id: int) -> list[CouncilMember]:
    """Return the council's members in office, by pseudonym."""
    members = session.exec(
        select(CouncilMember)
        .where(CouncilMember.council_id == council_id)
        .order_by(CouncilMember.pseudonym)
    ).all()
    return [m for m in members if is_active_member(session, m)]


def withdraw_consent(
    session: Session, member: CouncilMember, kind: str, user_id=None
) -> None:
    """Withdraw a consent and delete the member's personal details."""
    if kind not in CONSENT_KINDS:
        raise CouncilError("不认识这种同意。")
    consent = consents_of(session, member.id).get(kind)
    if consent is None or not consent.given or consent.withdrawn_on is not None:
        raise CouncilError("这项同意没有生效，无需撤回。")

    today = local_today()
    consent.withdrawn_on = today
    session.add(consent)
    _erase_member(session, member, today)
    session.commit()
    log.info(
        "Consent %s withdrawn by user %s; member %s personal details deleted",
        consent.id,
        user_id,
        member.id,
    )


def _erase_member(session, member, today):
    """Delete a member's personal details and mark them as having left."""
    member.real_name = None
    member.guardian_contact = None
    member.pseudonym = WITHDRAWN_LABEL
    member.office = None
    member.left_on = member.left_on or today
    member.personal_removed_at = utcnow()
    session.add(member)
    turns = session.exec(
        select(SpeakingTurn).where(SpeakingTurn.member_id == member.id)
    ).all()
    for turn in turns:
        turn.label, turn.member_id = "—", None
        session.add(turn)


def purge_expired(session: Session, today: date | None = None) -> int:
    """Delete real names and contacts kept past term end plus retention."""
    today = today or local_today()
    purged = 0
    for council in session.exec(select(Council)).all():
        if council.term_end + timedelta(days=council.retention_days) >= today:
            continue
        purged += _purge_council(session, council)
    session.commit()
    return purged


def _purge_council(session, council):
    """Delete the real names and contacts of a council's members."""
    members = session.exec(
        select(CouncilMember).where(
            CouncilMember.council_id == council.id,
            (CouncilMember.real_name.is_not(None))
            | (CouncilMember.guardian_contact.is_not(None)),
        )
    ).all()
    for member in members:
        member.real_name = member.guardian_contact = None
        member.personal_removed_at = utcnow()
        session.add(member)
    if members:
        log.info(
            "Personal details of %s members of council %s deleted after retention",
            len(members),
            council.id,
        )
    return len(members)


# Activities ------------------------------------------------------------------


def create_activity(session: Session, council: Council, fields: dict) -> Activity:
    """Record a session, training, participation activity or charity project."""
    _check_activity(fields)
    activity = Activity(council_id=council.id, **fields)
    session.add(activity)
    session.commit()
    log.info(
        "Activity %s (%s) recorded for council %s",
        activity.id,
        activity.kind,
        council.id,
    )
    return activity


def update_activity(session: Session, activity: Activity, fields: dict) -> Activity:
    """Change an activity's details, attendance and four elements."""
    _check_activity({"kind": activity.kind, **fields})
    for key, value in fields.items():
        setattr(activity, key, value)
    activity.state_version += 1
    session.add(activity)
    session.commit()
    log.info("Activity %s updated", activity.id)
    return activity


def _check_activity(fields):
    """Refuse an activity of an unknown kind, untitled, or odd attendance."""
    if fields.get("kind") not in ACTIVITY_KINDS:
        raise CouncilError("不认识这种活动。")
    if "title" in fields and not (fields["title"] or "").strip():
        raise CouncilError("请填写活动名称。")
    for key in ("children_present", "adults_present"):
        value = fields.get(key)
        if value is not None and not 0 <= value <= 10000:
            raise CouncilError("出席人数要在 0 到 10000 之间。")


def elements_of(activity: Activity) -> dict[str, bool]:
    """Return which of the four elements of participation an activity records."""
    return {key: bool((getattr(activity, key) or "").strip()) for key in ELEMENTS}


def heard(activity: Activity) -> bool:
    """Tell whether children had space and voice and an audience listened."""
    elements = elements_of(activity)
    return elements["space"] and elements["voice"] and elements["audience"]


def answered(activity: Activity) -> bool:
    """Tell whether children were heard and also answered."""
    return heard(activity) and elements_of(activity)["influence"]
