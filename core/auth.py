"""Sign-in for adults and role checks on views."""

import functools
import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from core.db import get_session
from core.models import User

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"


def init_app(app):
    """Attach sign-in to the app."""
    login_manager.init_app(app)
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


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired(), Length(max=200)])


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form and sign the user in."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)

    user = (
        get_session()
        .exec(select(User).where(User.username == form.username.data.strip()))
        .first()
    )
    if user is None or not user.active or not user.check_password(form.password.data):
        flash("用户名或密码不对。")
        return render_template("auth/login.html", form=form), 401

    login_user(user)
    log.info("User %s signed in", user.id)
    return redirect(_safe_next() or url_for("home"))


def _safe_next():
    target = request.args.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return None


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign the user out."""
    if current_user.is_authenticated:
        log.info("User %s signed out", current_user.id)
    logout_user()
    return redirect(url_for("auth.login"))
