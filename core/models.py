"""Accounts and roles."""

import unicodedata
from datetime import UTC, datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlmodel import Field, Session, SQLModel, select
from werkzeug.security import check_password_hash, generate_password_hash

# Named constraints let later migrations alter tables on SQLite too.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow():
    """Return the current time in UTC."""
    return datetime.now(UTC)


class Role(StrEnum):
    """What a signed-in adult may do."""

    FACILITATOR = "facilitator"
    STAFF = "staff"
    DEPARTMENT = "department"
    SAFEGUARDING = "safeguarding"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.FACILITATOR: "辅导员",
    Role.STAFF: "妇儿工委办工作人员",
    Role.DEPARTMENT: "部门",
    Role.SAFEGUARDING: "儿童保护专员",
    Role.ADMIN: "管理员",
}


#: the longest sign-in name the user table holds
USERNAME_MAX = 64


class UserBase(SQLModel):
    #: the sign-in name, stored normalised (see normalise_username)
    username: str = Field(index=True, unique=True, max_length=USERNAME_MAX)
    #: how the site greets the user
    display_name: str = Field(max_length=100)
    #: one of Role
    role: str = Field(max_length=20)
    #: township the account is limited to; none means the whole city
    township_code: str | None = Field(default=None, max_length=32)
    #: the department an account of role department answers for
    department: str | None = Field(default=None, max_length=100)


class User(UserBase, UserMixin, table=True):
    id: int | None = Field(default=None, primary_key=True)
    #: scrypt hash from werkzeug
    password_hash: str = Field(max_length=255)
    #: False locks the account out
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)

    def __repr__(self):
        return f"<User {self.id} {self.username!r} {self.role}>"

    @property
    def is_active(self):
        return self.active

    def set_password(self, password: str) -> None:
        """Store a salted hash of password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Return whether password matches the stored hash."""
        return check_password_hash(self.password_hash, password)


def normalise_username(name: str) -> str:
    """Return the one spelling of a sign-in name: NFKC, trimmed, case-folded.

    Full-width letters become their ASCII look-alikes and case stops
    mattering, so "ＳＴＡＦＦ", " Staff " and "staff" all name one account.
    """
    folded = unicodedata.normalize("NFKC", name).strip().casefold()
    return unicodedata.normalize("NFKC", folded)


def find_user(session: Session, username: str) -> User | None:
    """Return the account username names once normalised, or None.

    Accounts saved before names were normalised are found too, the oldest
    first if two of them now read the same.
    """
    name = normalise_username(username)
    if not name:
        return None
    user = session.exec(select(User).where(User.username == name)).first()
    if user is not None:
        return user
    accounts = session.exec(select(User).order_by(User.id))
    return next((u for u in accounts if normalise_username(u.username) == name), None)


class UserCreate(UserBase):
    password: str = Field(min_length=8)
