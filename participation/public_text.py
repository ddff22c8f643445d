"""Free text made safe for public and projected pages: no names, no numbers."""

import logging
import re

from flask import g
from sqlmodel import select

from analysis.screen import PLACEHOLDERS, mask_personal
from core.db import get_session
from participation.councils import CouncilMember

log = logging.getLogger(__name__)


def masked(text) -> str:
    """Return `text` with personal details and members' real names replaced."""
    if not text:
        return ""
    text = str(text)
    found = mask_personal(text)
    # Keep the writer's own punctuation unless something had to be replaced.
    shown = found.text if found.kinds else text
    names = _member_names()
    if names:
        shown = names.sub(PLACEHOLDERS["name"], shown)
    return shown


def _member_names() -> re.Pattern | None:
    """Return a pattern of the members' real names, loaded once per request."""
    if "member_names" not in g:
        rows = get_session().exec(
            select(CouncilMember.real_name).where(CouncilMember.real_name.is_not(None))
        )
        names = sorted({n.strip() for n in rows if n and len(n.strip()) >= 2}, key=len)
        g.member_names = (
            re.compile("|".join(map(re.escape, reversed(names)))) if names else None
        )
    return g.member_names


def init_app(app) -> None:
    """Register the `masked` template filter."""
    app.add_template_filter(masked, "masked")
