"""Sign-in for adults and role checks on views."""

import functools
import logging
import time
from datetime import timedelta, timezone
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from core import throttle
from core.db import get_session
from core.forms import Form
from core.models import USERNAME_MAX, User, find_user

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"

#: the time zone the throttling page names the retry time in (no summer time)
BEIJING = timezone(timedelta(hours=8))


def init_app(app):
    """Attach sign-in and session expiry to the app."""
    login_manager.init_app(app)
    app.before_request(_expire_session)
    app.register_blueprint(bp)


@login_manager.user_loader
def _load_user(user_id):
    user = get_session().get(User, int(user_id))
    return user if user is not None and user.active else None


def roles_required(*roles):
    """Let through only signed-in users holding one of roles (admin always)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles and current_user.role != "admin":
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles) | {"admin"}
        return wrapped

    return decorator


class LoginForm(Form):
    username = StringField(
        "用户名", validators=[DataRequired(), Length(max=USERNAME_MAX)]
    )
    password = PasswordField("密码", validators=[DataRequired(), Length(max=200)])


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form and sign the user in."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)

    db = get_session()
    keys = throttle.keys_for(form.username.data, request.remote_addr)
    until = throttle.blocked_until(db, keys)
    if until is not None:
        log.warning("Sign-in refused for account key %s: too many", keys.account[:12])
        return _too_many(until)

    user = _authenticate(db, form.username.data, form.password.data)
    if user is None:
        throttle.record_failure(db, keys)
        flash("用户名或密码不对。")
        return render_template("auth/login.html", form=form), 401

    throttle.clear_account(db, keys)
    _start_session(user)
    log.info("User %s signed in", user.id)
    return redirect(safe_next() or url_for("home"))


def _authenticate(db, username, password):
    """Return the active user with this name and password, or None.

    The name is normalised first, so " Staff " and "ＳＴＡＦＦ" sign in as staff.
    """
    user = find_user(db, username)
    if user is None:
        # Hash anyway so that a missing account answers as slowly as a real one.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        log.info("Sign-in failed for user %s", user.id)
        return None
    return user


@functools.cache
def _dummy_hash():
    """Return a password hash to check against when the account does not exist."""
    return generate_password_hash("not-a-password")


def _too_many(until):
    """Answer 429 with the time sign-in may be tried again."""
    minutes = throttle.minutes_until(until)
    clock = until.astimezone(BEIJING).strftime("%H:%M")
    message = (
        f"登录失败的次数太多，暂时不能登录。请在北京时间 {clock} 以后"
        f"（约 {minutes} 分钟后）再试。忘记密码请联系管理员。"
    )
    response = make_response(render_template("error.html", message=message), 429)
    response.headers["Retry-After"] = str(minutes * 60)
    return response


def _start_session(user):
    """Sign user in on a fresh, permanent session stamped with the time."""
    session.clear()
    login_user(user)
    session.permanent = True
    now = int(time.time())
    session["signed_in_at"] = now
    session["seen_at"] = now


def _expire_session():
    """Sign out a session idle too long or older than its lifetime."""
    if "_user_id" not in session:
        return

    now = time.time()
    idle = now - session.get("seen_at", 0)
    age = now - session.get("signed_in_at", 0)
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if idle <= current_app.config["SESSION_IDLE_SECONDS"] and age <= lifetime:
        session["seen_at"] = int(now)
        return

    log.info("Session of user %s expired", session["_user_id"])
    logout_user()
    session.clear()
    flash("太久没有操作，已自动退出，请重新登录。")


def safe_next():
    """Return the ?next= path if it stays on this site, else None."""
    target = request.args.get("next", "")
    # Browsers drop tabs and newlines and read "\\" as "/", so "/\t/x" is "//x".
    if any(char < " " or char in "\\\x7f" for char in target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:  # a broken host such as //[ is no path of this site
        return None
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return None


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign the user out."""
    if current_user.is_authenticated:
        log.info("User %s signed out", current_user.id)
    logout_user()
    return redirect(url_for("auth.login"))
