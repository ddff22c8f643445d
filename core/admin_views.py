"""Admin pages: the audit log, accounts and roles, and deletion on request."""

import logging
from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select
from wtforms import BooleanField, DateField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from core import audit, retention
from core.auth import roles_required
from core.db import get_session
from core.forms import Form
from core.models import (
    ROLE_LABELS,
    USERNAME_MAX,
    Role,
    User,
    find_user,
    normalise_username,
)

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_CHOICES = [SelectChoice(role.value, ROLE_LABELS[role]) for role in Role]


class AccountError(ValueError):
    """An account change the site refuses, with a message for the admin."""


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    user = SelectField("用户", coerce=str, validators=[Optional()])
    action = SelectField("操作", coerce=str, validators=[Optional()])
    since = DateField("从", validators=[Optional()])
    until = DateField("到", validators=[Optional()])


class AccountFields(Form):
    role = SelectField("角色", choices=ROLE_CHOICES, validators=[DataRequired()])
    township = SelectField("乡镇（街道）范围", coerce=str, validators=[Optional()])
    department = StringField("所属部门", validators=[Optional(), Length(max=100)])


class CreateUserForm(AccountFields):
    username = StringField(
        "用户名", validators=[DataRequired(), Length(max=USERNAME_MAX)]
    )
    display_name = StringField("显示名称", validators=[Optional(), Length(max=100)])
    password = PasswordField("初始密码", validators=[DataRequired(), Length(8, 200)])


class EditUserForm(AccountFields):
    active = BooleanField("账号可用")


class DeleteResponseForm(Form):
    response_id = StringField("回答编号", validators=[DataRequired(), Length(max=64)])
    reason = StringField(
        "原因（不要写姓名）", validators=[DataRequired(), Length(max=200)]
    )
    confirm = BooleanField("我确认永久删除这份回答", validators=[DataRequired()])


@bp.route("/audit")
@roles_required("admin")
def audit_log():
    """List audit events, filtered by user, action and dates, newest first."""
    session = get_session()
    form = AuditFilterForm(request.args)
    users = _users(session)
    form.user.choices = [SelectChoice("", "全部")] + [
        SelectChoice(str(u.id), u.username) for u in users
    ]
    form.action.choices = [SelectChoice("", "全部")] + [
        SelectChoice(a, a) for a in audit.known_actions(session)
    ]
    form.validate()
    page = audit.list_events(
        session,
        user_id=int(form.user.data) if _usable(form.user) else None,
        action=form.action.data if _usable(form.action) else None,
        since=form.since.data,
        until=form.until.data,
        page=request.args.get("page", 1, type=int),
    )
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        usernames={u.id: u.username for u in users},
        args={k: v for k, v in request.args.items() if k != "page" and v},
    )


@bp.route("/users", methods=["GET", "POST"])
@roles_required("admin")
def users():
    """List accounts and create one."""
    session = get_session()
    form = CreateUserForm()
    form.township.choices = _township_choices(session)
    if form.validate_on_submit():
        try:
            user = create_account(session, form)
        except AccountError as exc:
            flash(str(exc))
        else:
            flash(f"已创建账号 {user.username}。")
            return redirect(url_for("admin.users"))

    return render_template(
        "admin/users.html",
        form=form,
        users=_users(session),
        roles={c.value: c.label for c in ROLE_CHOICES},
        townships={c.value: c.label for c in form.township.choices},
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def user(user_id):
    """Change an account's role, township scope, department or whether it works."""
    session = get_session()
    found = session.get(User, user_id) or abort(404)
    form = EditUserForm(obj=_account_data(found))
    form.township.choices = _township_choices(session)
    if form.validate_on_submit():
        try:
            changed = change_account(session, current_user, found, form)
        except AccountError as exc:
            flash(str(exc))
        else:
            flash(f"已保存 {found.username}：{changed} 项改动。")
            return redirect(url_for("admin.users"))

    return render_template("admin/user.html", form=form, user=found)


@bp.route("/deletions", methods=["GET", "POST"])
@roles_required("admin")
def deletions():
    """Delete a response on request and list what has been deleted."""
    session = get_session()
    form = DeleteResponseForm()
    status = 200
    if form.validate_on_submit():
        status = _delete_response(session, form)
        if status == 200:
            return redirect(url_for("admin.deletions"))

    page = audit.list_deletions(session, page=request.args.get("page", 1, type=int))
    return render_template(
        "admin/deletions.html",
        form=form,
        page=page,
        usernames={u.id: u.username for u in _users(session)},
        args={},
    ), status


def _delete_response(session, form):
    response_id = form.response_id.data.strip()
    try:
        counts = retention.delete_response(
            session, response_id, form.reason.data, by=current_user.id
        )
    except retention.NotFound:
        session.rollback()
        flash(f"没有编号为 {response_id} 的回答，什么也没有删除。")
        return 404
    except ValueError as exc:
        session.rollback()
        flash(f"没有删除：{exc}")
        return 422
    flash(
        f"已删除回答 {response_id}：{counts['answers']} 条答案、"
        f"{counts['themes']} 个主题、{counts['tasks']} 个任务关联、"
        f"{counts['flags']} 个保护标记。"
    )
    return 200


def create_account(session, form):
    """Create an account from form, audited; refuse a taken username."""
    username = new_username(session, form.username.data)
    user = User(
        username=username,
        display_name=(form.display_name.data or "").strip() or username,
        role=form.role.data,
        township_code=form.township.data or None,
        department=(form.department.data or "").strip() or None,
    )
    user.set_password(form.password.data)
    session.add(user)
    session.flush()
    audit.record(
        session,
        audit.CREATED_USER,
        "user",
        user.id,
        role=user.role,
        township=user.township_code,
    )
    session.commit()
    log.info("User %s created by user %s", user.id, current_user.id)
    return user


def new_username(session, typed):
    """Return typed normalised for a new account; refuse one already taken.

    Names differing only in case, spaces at the ends or full-width letters
    are the same name.
    """
    username = normalise_username(typed)
    if not username:
        raise AccountError("用户名不能为空。")
    if len(username) > USERNAME_MAX:
        raise AccountError(f"用户名不要超过 {USERNAME_MAX} 个字符。")
    taken = find_user(session, username)
    if taken is not None:
        raise AccountError(
            f"用户名 {typed.strip()} 已经有人用了：和账号 {taken.username} 相同"
            "（大小写、全角半角字母都算同一个名字），请换一个。"
        )
    return username


def change_account(session, actor, user, form):
    """Apply form's changes to user, one audit event each; return how many."""
    wanted = {
        "role": form.role.data,
        "township_code": form.township.data or None,
        "department": (form.department.data or "").strip() or None,
        "active": bool(form.active.data),
    }
    _check_not_locking_out(actor, user, wanted)
    changes = [
        (field, getattr(user, field), value)
        for field, value in wanted.items()
        if getattr(user, field) != value
    ]
    for field, before, after in changes:
        setattr(user, field, after)
        _record_change(session, user, field, before, after)
    session.add(user)
    session.commit()
    log.info("User %s changed by user %s: %s", user.id, actor.id, len(changes))
    return len(changes)


def _check_not_locking_out(actor, user, wanted):
    """Refuse an admin removing their own admin role or account."""
    keeps_admin = wanted["role"] == Role.ADMIN and wanted["active"]
    if user.id == actor.id and not keeps_admin:
        raise AccountError("不能取消自己的管理员权限，也不能停用自己。")


def _record_change(session, user, field, before, after):
    if field == "active":
        action = audit.REACTIVATED_USER if after else audit.DEACTIVATED_USER
        audit.record(session, action, "user", user.id)
        return
    action = {
        "role": audit.CHANGED_ROLE,
        "township_code": audit.CHANGED_TOWNSHIP,
        "department": audit.CHANGED_DEPARTMENT,
    }[field]
    audit.record(session, action, "user", user.id, before=before, after=after)


def _account_data(user):
    """Return the form's view of user (the form names township differently)."""
    return SimpleNamespace(
        role=user.role,
        township=user.township_code or "",
        department=user.department,
        active=user.active,
    )


def _usable(field):
    """Return whether a filter field holds a valid, non-empty choice."""
    return bool(field.data) and not field.errors


def _users(session):
    return session.exec(select(User).order_by(User.username)).all()


def _township_choices(session):
    from participation.models import Township

    townships = session.exec(select(Township).order_by(Township.code)).all()
    return [SelectChoice("", "全市")] + [
        SelectChoice(t.code, t.name) for t in townships
    ]
