"""Surveys, their launches on tablets, and children's responses."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel, UniqueConstraint

from core.models import utcnow

BANDS = ("6-8", "9-11", "12-14", "15-17")


class Survey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    #: needs, consult, evaluate or an imported form's id
    key: str = Field(unique=True, max_length=64)
    title: str = Field(max_length=200)
    #: 需求表达, 方案制定, 决策公示 or 评估反馈
    stage: str = Field(max_length=20)
    #: the whole template as in data/surveys/*.json
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    #: short hash of spec, so re-loading an unchanged template changes nothing
    version: str = Field(max_length=16)
    #: how long raw answers are kept before only aggregates remain
    retention_days: int = 365

    def __repr__(self):
        return f"<Survey {self.id} {self.key!r}>"


class LaunchBase(SQLModel):
    band: str = Field(max_length=5)
    township_code: str = Field(foreign_key="township.code", max_length=32)


class Launch(LaunchBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    #: the join code children type or scan
    code: str = Field(unique=True, index=True, max_length=12)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None

    def __repr__(self):
        return f"<Launch {self.code} {self.band} {self.township_code}>"

    @property
    def is_open(self):
        return self.closed_at is None


#: responses whose answers are stored but not yet expanded, screened and themed
PENDING = text("pending IS NOT NULL")


class Response(SQLModel, table=True):
    __table_args__ = (
        Index(
            "ix_response_pending",
            "submitted_at",
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        ),
    )

    #: the UUID the tablet made; a resend carries the same one
    id: str = Field(primary_key=True, max_length=36)
    launch_id: int = Field(foreign_key="launch.id", index=True)
    band: str = Field(max_length=5)
    township_code: str = Field(max_length=32, index=True)
    gender: str | None = Field(default=None, max_length=1)
    submitted_at: datetime = Field(default_factory=utcnow, index=True)
    #: sha256 of the canonical answers, to tell a resend from a clash
    digest: str = Field(max_length=64)
    #: random id of the tablet that sent it, for queue counts
    tablet: str | None = Field(default=None, max_length=36)
    #: the checked answers as the tablet sent them, until they become Answer rows
    pending: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True))
    )

    def __repr__(self):
        return f"<Response {self.id}>"


class Answer(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("response_id", "question_key"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: str = Field(foreign_key="response.id", index=True, max_length=36)
    question_key: str = Field(max_length=64)
    #: the choice or choices; none for open text and skips
    value: Any = Field(default=None, sa_column=Column(JSON))
    #: the child's own words, for open questions
    text: str | None = None
    #: the words with personal details replaced by placeholders
    masked: str | None = None
    #: the child chose 我不想回答
    skipped: bool = False

    def __repr__(self):
        return f"<Answer {self.id} {self.response_id} {self.question_key}>"


class RejectedSubmission(SQLModel, table=True):
    """A submission reusing a stored id with other answers, kept for review."""

    id: int | None = Field(default=None, primary_key=True)
    response_id: str = Field(max_length=36, index=True)
    launch_id: int = Field(foreign_key="launch.id")
    received_at: datetime = Field(default_factory=utcnow)
    reason: str = Field(max_length=200)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))

    def __repr__(self):
        return f"<RejectedSubmission {self.id} {self.response_id}>"
