"""Council pages: councils, members and consent, activities, dashboard and pack."""

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlmodel import select
from wtforms.fields.choices import SelectChoice

from core.auth import roles_required
from core.db import get_session
from core.models import Role, User
from participation import council_access as access
from participation import council_ops, proposal_ops, status
from participation.council_forms import (
    ActivityForm,
    CouncilForm,
    MemberForm,
    OfficeForm,
    YearForm,
)
from participation.council_ops import ConsentInput, CouncilError
from participation.councils import (
    ACTIVITY_KINDS,
    CONSENT_KINDS,
    ELEMENTS,
    OFFICES,
    STAGES,
    VOTE_RULES,
    Activity,
    Council,
    CouncilMember,
    Proposal,
)
from participation.models import Township

bp = Blueprint("councils", __name__, url_prefix="/councils")

COUNCIL_FIELDS = (
    "name",
    "community",
    "meeting_place",
    "term_start",
    "term_end",
    "charter",
    "charter_adopted_on",
    "vote_rule",
    "quorum_percent",
    "speak_seconds",
    "retention_days",
)
ACTIVITY_FIELDS = (
    "title",
    "held_on",
    "place",
    "children_present",
    "adults_present",
    *ELEMENTS,
)


def flash_errors(form) -> None:
    """Flash the first error of each field that failed to validate."""
    for field in form:
        for error in field.errors[:1]:
            flash(f"{field.label.text}：{error}")


def get_council(council_id: int) -> Council:
    """Return the council or answer 404."""
    return get_session().get(Council, council_id) or abort(404)


def require(allowed: bool) -> None:
    """Answer 404 unless allowed: another council's pages look like none at all."""
    if not allowed:
        abort(404)


@bp.route("")
@roles_required("facilitator", "staff", "safeguarding")
def index():
    """List the councils the user works with."""
    session = get_session()
    councils = access.visible_councils(session, current_user)
    townships = {t.code: t.name for t in session.exec(select(Township))}
    return render_template(
        "participation/councils/index.html",
        councils=councils,
        townships=townships,
        today=council_ops.local_today(),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required("staff")
def new():
    """Create a council for a township or community."""
    session = get_session()
    form = _council_form(session)
    if not form.is_submitted():
        return render_template("participation/councils/form.html", form=form)
    if not form.validate():
        flash_errors(form)
        return render_template("participation/councils/form.html", form=form), 400
    try:
        council = council_ops.create_council(
            session, _council_fields(form), form.facilitators.data
        )
    except CouncilError as exc:
        session.rollback()
        flash(str(exc))
        return render_template("participation/councils/form.html", form=form), 400
    flash("议事会已建立。")
    return redirect(url_for("councils.detail", council_id=council.id))


@bp.route("/<int:council_id>/edit", methods=["GET", "POST"])
@roles_required("staff")
def edit(council_id):
    """Change a council's charter, term, rules and facilitators."""
    session = get_session()
    council = get_council(council_id)
    form = _council_form(session, council)
    if not form.is_submitted():
        return render_template(
            "participation/councils/form.html", form=form, council=council
        )
    if not form.validate():
        flash_errors(form)
        return render_template(
            "participation/councils/form.html", form=form, council=council
        ), 400
    try:
        council_ops.update_council(
            session, council, _council_fields(form), form.facilitators.data
        )
    except CouncilError as exc:
        session.rollback()
        flash(str(exc))
        return render_template(
            "participation/councils/form.html", form=form, council=council
        ), 400
    flash("已保存。")
    return redirect(url_for("councils.detail", council_id=council.id))


def _council_form(session, council=None):
    """Return the council form with townships and facilitators to choose."""
    form = CouncilForm(obj=council)
    form.township.choices = [
        SelectChoice(t.code, t.name)
        for t in session.exec(select(Township).order_by(Township.code))
    ]
    form.facilitators.choices = [
        SelectChoice(u.id, f"{u.display_name}（{u.username}）")
        for u in session.exec(
            select(User).where(User.role == Role.FACILITATOR).order_by(User.username)
        )
    ]
    if council is not None and not form.is_submitted():
        form.township.data = council.township_code
        form.facilitators.data = council_ops.facilitator_ids(session, council.id)
    return form


def _council_fields(form):
    """Return the council's fields from a checked form."""
    fields = {name: getattr(form, name).data for name in COUNCIL_FIELDS}
    fields["township_code"] = form.township.data
    fields["community"] = (fields["community"] or "").strip() or None
    fields["charter"] = fields["charter"] or ""
    fields["meeting_place"] = fields["meeting_place"] or ""
    return fields


@bp.route("/<int:council_id>")
@roles_required("facilitator", "staff", "safeguarding")
def detail(council_id):
    """Show a council: charter, officers, facilitators, activities, proposals."""
    session = get_session()
    council = get_council(council_id)
    see_members = access.can_see_members(session, current_user, council)
    require(access.can_manage(session, current_user, council) or see_members)
    activities = session.exec(
        select(Activity)
        .where(Activity.council_id == council.id)
        .order_by(Activity.held_on.desc(), Activity.id.desc())
    ).all()
    proposals = session.exec(
        select(Proposal).where(Proposal.council_id == council.id).order_by(Proposal.id)
    ).all()
    officers = _officers(session, council) if see_members else {}
    return render_template(
        "participation/councils/detail.html",
        council=council,
        township=session.get(Township, council.township_code),
        facilitators=[
            session.get(User, i)
            for i in council_ops.facilitator_ids(session, council.id)
        ],
        officers=officers,
        member_count=len(council_ops.active_members(session, council.id)),
        activities=activities,
        proposals=proposals,
        kinds=ACTIVITY_KINDS,
        stages=STAGES,
        rules=VOTE_RULES,
        elements=council_ops.elements_of,
        can_manage=access.can_manage(session, current_user, council),
        see_members=see_members,
    )


def _officers(session, council):
    """Return the pseudonyms of the chair and vice-chair by office."""
    members = council_ops.active_members(session, council.id)
    return {m.office: m.pseudonym for m in members if m.office}


@bp.route("/<int:council_id>/members")
@roles_required("facilitator", "safeguarding")
def members(council_id):
    """List a council's members; real names only for its facilitators."""
    session = get_session()
    council = get_council(council_id)
    require(access.can_see_members(session, current_user, council))
    return _members_page(session, council, MemberForm(formdata=None))


def _members_page(session, council, form, status_code=200):
    """Render the member list and the form to add one."""
    form.joined_on.data = form.joined_on.data or council_ops.local_today()
    form.guardian_on.data = form.guardian_on.data or council_ops.local_today()
    form.assent_on.data = form.assent_on.data or council_ops.local_today()
    rows = session.exec(
        select(CouncilMember)
        .where(CouncilMember.council_id == council.id)
        .order_by(CouncilMember.left_on.is_not(None), CouncilMember.pseudonym)
    ).all()
    members = [
        {
            "member": m,
            "active": council_ops.is_active_member(session, m),
            "consents": council_ops.consents_of(session, m.id),
        }
        for m in rows
    ]
    return render_template(
        "participation/councils/members.html",
        council=council,
        members=members,
        form=form,
        office_form=OfficeForm(formdata=None),
        offices=OFFICES,
        consent_kinds=CONSENT_KINDS,
        personal=access.can_see_personal(session, current_user, council),
        can_add=access.facilitates(session, current_user, council.id)
        or current_user.role == Role.ADMIN,
    ), status_code


@bp.route("/<int:council_id>/members", methods=["POST"])
@roles_required("facilitator")
def add_member(council_id):
    """Record a new member with consent and assent."""
    session = get_session()
    council = get_council(council_id)
    require(
        access.facilitates(session, current_user, council.id)
        or current_user.role == Role.ADMIN
    )
    form = MemberForm()
    if not form.validate():
        flash_errors(form)
        return _members_page(session, council, form, 400)
    try:
        council_ops.add_member(
            session, council, _member_fields(form), *_consents(form), current_user.id
        )
    except CouncilError as exc:
        session.rollback()
        flash(str(exc))
        return _members_page(session, council, form, 400)
    flash("已添加成员。")
    return redirect(url_for("councils.members", council_id=council.id))


def _member_fields(form):
    """Return a member's fields from a checked form."""
    return {
        "pseudonym": form.pseudonym.data.strip(),
        "band": form.band.data,
        "school_year": form.school_year.data.strip(),
        "office": form.office.data or None,
        "joined_on": form.joined_on.data,
        "real_name": (form.real_name.data or "").strip() or None,
        "guardian_contact": (form.guardian_contact.data or "").strip() or None,
    }


def _consents(form):
    """Return the guardian's consent and the child's assent from a form."""
    return (
        ConsentInput(
            form.guardian.data == "yes",
            form.guardian_version.data or "",
            form.guardian_on.data,
        ),
        ConsentInput(
            form.assent.data == "yes",
            form.assent_version.data or "",
            form.assent_on.data,
        ),
    )


@bp.route("/<int:council_id>/members/<int:member_id>/withdraw", methods=["POST"])
@roles_required("facilitator", "safeguarding")
def withdraw(council_id, member_id):
    """Withdraw a consent; the member's personal details are deleted."""
    session = get_session()
    council = get_council(council_id)
    require(
        access.can_see_personal(session, current_user, council)
        or current_user.role == Role.ADMIN
    )
    member = _member(session, council, member_id)
    try:
        council_ops.withdraw_consent(
            session, member, request.form.get("kind", ""), current_user.id
        )
    except CouncilError as exc:
        session.rollback()
        flash(str(exc))
        return redirect(url_for("councils.members", council_id=council.id)), 303
    flash("已撤回同意，这位成员的个人信息已删除。")
    return redirect(url_for("councils.members", council_id=council.id))


@bp.route("/<int:council_id>/members/<int:member_id>/office", methods=["POST"])
@roles_required("facilitator")
def office(council_id, member_id):
    """Make a member chair or vice-chair, as the children elected."""
    session = get_session()
    council = get_council(council_id)
    require(
        access.facilitates(session, current_user, council.id)
        or current_user.role == Role.ADMIN
    )
    member = _member(session, council, member_id)
    form = OfficeForm()
    try:
        if not form.validate():
            raise CouncilError("不认识这个职务。")
        council_ops.set_office(session, member, form.office.data or None)
    except CouncilError as exc:
        session.rollback()
        flash(str(exc))
    return redirect(url_for("councils.members", council_id=council.id))


def _member(session, council, member_id):
    """Return a member of the council or answer 404."""
    member = session.get(CouncilMember, member_id)
    if member is None or member.council_id != council.id:
        abort(404)
    return member


@bp.route("/<int:council_id>/activities/new", methods=["GET", "POST"])
@roles_required("facilitator", "staff")
def new_activity(council_id):
    """Record a session, training, participation activity or charity project."""
    session = get_session()
    council = get_council(council_id)
    require(access.can_manage(session, current_user, council))
    form = ActivityForm()
    if not form.is_submitted():
        form.kind.data = request.args.get("kind", "session")
        form.held_on.data = council_ops.local_today()
        form.place.data = council.meeting_place
    page = "participation/councils/activity_form.html"
    if not form.is_submitted():
        return render_template(page, form=form, council=council, elements=ELEMENTS)
    try:
        if not form.validate():
            flash_errors(form)
            raise CouncilError("请检查填写的内容。")
        fields = {name: getattr(form, name).data for name in ACTIVITY_FIELDS}
        activity = council_ops.create_activity(
            session, council, {**_clean(fields), "kind": form.kind.data}
        )
    except CouncilError as exc:
        session.rollback()
        flash(str(exc))
        return render_template(page, form=form, council=council, elements=ELEMENTS), 400
    flash("已记录。")
    return redirect(_activity_url(activity))


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@roles_required("facilitator", "staff")
def edit_activity(activity_id):
    """Change an activity, its attendance and its four elements."""
    session = get_session()
    activity = session.get(Activity, activity_id) or abort(404)
    council = get_council(activity.council_id)
    require(access.can_manage(session, current_user, council))
    form = ActivityForm(obj=activity)
    del form.kind
    page = "participation/councils/activity_form.html"
    args = {
        "form": form,
        "council": council,
        "activity": activity,
        "elements": ELEMENTS,
    }
    if not form.is_submitted():
        return render_template(page, **args)
    try:
        if not form.validate():
            flash_errors(form)
            raise CouncilError("请检查填写的内容。")
        fields = {name: getattr(form, name).data for name in ACTIVITY_FIELDS}
        council_ops.update_activity(session, activity, _clean(fields))
    except CouncilError as exc:
        session.rollback()
        flash(str(exc))
        return render_template(page, **args), 400
    flash("已保存。")
    return redirect(_activity_url(activity))


def _clean(fields):
    """Strip the text fields of a form's data."""
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}


def _activity_url(activity):
    """Return where to go after saving an activity."""
    if activity.kind == "session":
        return url_for("council_sessions.detail", activity_id=activity.id)
    return url_for("councils.detail", council_id=activity.council_id)


@bp.route("/dashboard")
@roles_required("staff")
def dashboard():
    """Show the year's figures against the plan, and overdue proposals."""
    session = get_session()
    year = _year()
    overdue = [
        p
        for p in session.exec(
            select(Proposal).where(Proposal.stage.in_(proposal_ops.OPEN_STAGES))
        )
        if proposal_ops.is_overdue(p)
    ]
    waiting = session.exec(
        select(Proposal).where(Proposal.stage == "raised").order_by(Proposal.raised_on)
    ).all()
    return render_template(
        "participation/councils/dashboard.html",
        pack=status.pack(session, year),
        overdue=overdue,
        waiting=waiting,
        councils={c.id: c for c in session.exec(select(Council))},
        stages=STAGES,
        kinds=ACTIVITY_KINDS,
        state_words=status.STATE_WORDS,
    )


def _year():
    """Return the year asked for, this year by default; 400 if malformed."""
    form = YearForm(request.args)
    if request.args and not form.validate():
        abort(400)
    return form.year.data or council_ops.local_today().year


def _pack_args():
    """Return the session, year and township the pack is asked for."""
    session = get_session()
    township = request.args.get("township") or None
    if township and council_ops.find_township(session, township) is None:
        abort(404)
    return session, _year(), township


@bp.route("/pack")
@roles_required("staff")
def pack():
    """Show the annual evaluation pack for the city or one township."""
    session, year, township = _pack_args()
    return render_template(
        "participation/councils/pack.html",
        pack=status.pack(session, year, township),
        townships=session.exec(select(Township).order_by(Township.code)).all(),
        kinds=ACTIVITY_KINDS,
        stages=STAGES,
        elements=ELEMENTS,
        state_words=status.STATE_WORDS,
    )


@bp.route("/pack.xlsx")
@roles_required("staff")
def pack_xlsx():
    """Download the annual evaluation pack as an Excel workbook."""
    session, year, township = _pack_args()
    data = status.pack(session, year, township)
    name = f"participation-{year}-{township or 'city'}.xlsx"
    return Response(
        status.pack_xlsx(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )
