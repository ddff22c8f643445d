"""Security headers on every response, and no request values a database refuses.

PostgreSQL cannot store or compare text holding a NUL character, and its
INTEGER stops at 2**31 - 1; a request carrying either is answered here
instead of failing in a query.
"""

import logging

from flask import render_template, request
from werkzeug.routing import IntegerConverter

log = logging.getLogger(__name__)

#: the largest id in a URL: PostgreSQL's INTEGER, well inside SQLite's
MAX_URL_INT = 2**31 - 1

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class BoundedIntConverter(IntegerConverter):
    """Match <int:…> only up to MAX_URL_INT, so a huge number is a 404."""

    def __init__(self, url_map, *args, **kwargs):
        if len(args) < 3:
            kwargs.setdefault("max", MAX_URL_INT)
        super().__init__(url_map, *args, **kwargs)


def init_app(app):
    """Add the security headers; refuse NUL characters and huge URL numbers."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_refuse_nul)
    app.after_request(_add_headers)


def _refuse_nul():
    """Answer 400 to a NUL character in the path, the query or a form field."""
    fields = [*request.args.items(multi=True), *request.form.items(multi=True)]
    if "\x00" not in request.path and not any("\x00" in k + v for k, v in fields):
        return None

    log.info("Request to %s refused: NUL character", request.endpoint)
    message = "请求里有不允许的字符（NUL），请检查后再试。"
    return render_template("error.html", message=message), 400


def _add_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if response.mimetype == "text/html":
        headers.setdefault("Cache-Control", "no-store")
    return response
