"""Small request helpers shared by the tablet endpoints."""

from flask import request


def json_body():
    """Return the request's JSON, or None when it is not JSON or nested too deep."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None
