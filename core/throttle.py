"""Sign-in throttling: failed attempts counted per account and per client address.

Counts live in the database so that every app server sees the same ones. The
typed account name and the client address are stored only as keyed hashes
(HMAC with the app's secret), so the table holds no address and no name that
a mistyped password may have landed in.
"""

import hashlib
import hmac
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import Column, DateTime, delete
from sqlmodel import Field, Session, SQLModel, select

from core.models import normalise_username, utcnow

log = logging.getLogger(__name__)


class LoginAttempt(SQLModel, table=True):
    """One failed sign-in, keyed by hashed account name and hashed address."""

    id: int | None = Field(default=None, primary_key=True)
    #: HMAC of the account name as typed, normalised like usernames
    account_key: str = Field(max_length=64, index=True)
    #: HMAC of the client address
    address_key: str = Field(max_length=64, index=True)
    failed_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True),
    )

    def __repr__(self):
        return f"<LoginAttempt {self.id} {self.account_key[:8]}>"


@dataclass(frozen=True)
class Keys:
    """The hashed account name and client address of one sign-in attempt."""

    account: str
    address: str


@dataclass(frozen=True)
class Limits:
    """How many failures an account and an address may have in a window."""

    account: int
    address: int
    window: timedelta


def limits() -> Limits:
    """Return the current app's LOGIN_* limits."""
    config = current_app.config
    return Limits(
        account=config["LOGIN_ACCOUNT_LIMIT"],
        address=config["LOGIN_ADDRESS_LIMIT"],
        window=timedelta(seconds=config["LOGIN_WINDOW_SECONDS"]),
    )


def keys_for(username: str, address: str | None) -> Keys:
    """Return the keyed hashes of an account name and a client address."""
    return Keys(
        account=_hash("account", normalise_username(username)),
        address=_hash("address", address or "unknown"),
    )


def _hash(kind: str, value: str) -> str:
    """Return the HMAC-SHA256 of kind:value keyed with the app's secret."""
    secret = current_app.config["SECRET_KEY"].encode()
    message = f"{kind}:{value}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def blocked_until(session: Session, keys: Keys, now=None) -> datetime | None:
    """Return when sign-in may be tried again, or None if it may be tried now."""
    now = now or utcnow()
    rules = limits()
    since = now - rules.window
    waits = [
        _free_at(session, LoginAttempt.account_key, keys.account, rules.account, since),
        _free_at(session, LoginAttempt.address_key, keys.address, rules.address, since),
    ]
    waits = [moment + rules.window for moment in waits if moment is not None]
    return max(waits) if waits else None


def _free_at(session, column, key, limit, since):
    """Return the failure whose expiry brings key's count below limit, if any."""
    recent = session.exec(
        select(LoginAttempt.failed_at)
        .where(column == key, LoginAttempt.failed_at > since)
        .order_by(LoginAttempt.failed_at.desc())
        .limit(limit)
    ).all()
    if len(recent) < limit:
        return None
    return _aware(recent[-1])


def _aware(moment: datetime) -> datetime:
    """Return moment as aware UTC (SQLite hands back naive UTC datetimes)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def record_failure(session: Session, keys: Keys, now=None) -> None:
    """Count one failed sign-in and forget failures older than the window."""
    now = now or utcnow()
    since = now - limits().window
    session.exec(delete(LoginAttempt).where(LoginAttempt.failed_at < since))
    session.add(
        LoginAttempt(account_key=keys.account, address_key=keys.address, failed_at=now)
    )
    session.commit()
    log.info("Failed sign-in counted for account key %s", keys.account[:12])


def clear_account(session: Session, keys: Keys) -> None:
    """Forget an account's failures after it signed in with the right password."""
    session.exec(delete(LoginAttempt).where(LoginAttempt.account_key == keys.account))
    session.commit()


def minutes_until(moment: datetime, now=None) -> int:
    """Return the whole minutes, rounded up, from now until moment."""
    seconds = (moment - (now or utcnow())).total_seconds()
    return max(1, math.ceil(seconds / 60))
