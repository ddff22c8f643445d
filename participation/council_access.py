"""Who may see and change which council, its members and its proposals."""

from sqlalchemy import false
from sqlmodel import Session, select

from core.models import Role
from participation.councils import Council, CouncilFacilitator, Proposal

#: roles that oversee every council
OVERSEERS = (Role.STAFF, Role.ADMIN)


def facilitates(session: Session, user, council_id: int) -> bool:
    """Tell whether user is a facilitator named for the council."""
    if not user.is_authenticated or user.role != Role.FACILITATOR:
        return False
    row = session.exec(
        select(CouncilFacilitator.id).where(
            CouncilFacilitator.council_id == council_id,
            CouncilFacilitator.user_id == user.id,
        )
    ).first()
    return row is not None


def can_manage(session: Session, user, council: Council) -> bool:
    """Tell whether user may record sessions and activities for the council."""
    return user.is_authenticated and (
        user.role in OVERSEERS or facilitates(session, user, council.id)
    )


def can_see_members(session: Session, user, council: Council) -> bool:
    """Tell whether user may see the member list (pseudonyms, bands, consent)."""
    if not user.is_authenticated:
        return False
    if user.role in (Role.SAFEGUARDING, Role.ADMIN):
        return True
    return facilitates(session, user, council.id)


def can_see_personal(session: Session, user, council: Council) -> bool:
    """Tell whether user may read members' real names and guardians' contacts."""
    if not user.is_authenticated:
        return False
    if user.role == Role.SAFEGUARDING:
        return True
    return facilitates(session, user, council.id)


def can_see_proposal(session: Session, user, proposal: Proposal) -> bool:
    """Tell whether user may read a proposal and its answers."""
    if not user.is_authenticated:
        return False
    if user.role in OVERSEERS:
        return True
    if user.role == Role.DEPARTMENT:
        return bool(user.department) and proposal.lead_unit == user.department
    return facilitates(session, user, proposal.council_id)


def visible_councils(session: Session, user) -> list[Council]:
    """Return the councils user works with: all for staff, their own otherwise."""
    query = select(Council).order_by(Council.township_code, Council.id)
    if user.role not in (*OVERSEERS, Role.SAFEGUARDING):
        query = query.join(
            CouncilFacilitator, CouncilFacilitator.council_id == Council.id
        ).where(CouncilFacilitator.user_id == user.id)
    return list(session.exec(query))


def proposals_query(user):
    """Return a query of the proposals user may see."""
    query = select(Proposal).order_by(Proposal.id.desc())
    if user.role in OVERSEERS:
        return query
    if user.role == Role.DEPARTMENT:
        if not user.department:
            return query.where(false())
        return query.where(Proposal.lead_unit == user.department)
    return query.join(
        CouncilFacilitator, CouncilFacilitator.council_id == Proposal.council_id
    ).where(CouncilFacilitator.user_id == user.id)
