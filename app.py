"""Tongsheng (童声): the application factory."""

import logging

from flask import Flask, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import CSRFProtect
from flask_wtf.csrf import CSRFError

from core import ROOT

csrf = CSRFProtect()


def create_app(test_config=None):
    """Create and configure the Tongsheng app."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    if test_config and test_config.get("TESTING"):
        app.testing = True

    from core import admin_views, auth, cli, config, db, security

    config.load_config(app, test_config)
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    db.init_app(app)
    csrf.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    app.register_blueprint(admin_views.bp)

    import analysis
    import participation
    import surveys

    surveys.init_app(app)
    participation.init_app(app)
    analysis.init_app(app)

    app.add_url_rule("/", "home", home)
    app.register_error_handler(CSRFError, csrf_failed)
    for status in ERROR_MESSAGES:
        app.register_error_handler(status, page_error)
    return app


ERROR_MESSAGES = {
    400: "请求的内容不对，请回到上一页再试。",
    403: "你的账号没有权限看这一页。",
    404: "没有找到这一页。",
    405: "这一页不能这样打开。",
    413: "上传的内容太大了。",
    429: "尝试太频繁了，请稍后再试。",
}


def page_error(error):
    """Explain an error in Chinese, keeping JSON for the kiosk's API."""
    status = getattr(error, "code", 500) or 500
    if request.path.startswith("/k/") and request.method == "POST":
        return {"error": ERROR_MESSAGES.get(status, "出错了。")}, status
    description = getattr(error, "description", None)
    custom = description if description and not description.isascii() else None
    message = custom or ERROR_MESSAGES.get(status, "出错了。")
    return render_template("error.html", message=message), status


def csrf_failed(error):
    """Explain a missing or stale form token instead of a bare 400."""
    message = "表单已过期或来源不明，请刷新页面后再试一次。"
    return render_template("error.html", message=message), 400


def home():
    """Send adults to their work and everyone else to sign in."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("home.html")
