"""Tables behind the staff reports: codebook versions, re-coding jobs, review notes."""

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

import core.models  # noqa: F401  (naming convention first)
from core.models import utcnow


class CodebookVersion(SQLModel, table=True):
    """One whole codebook CSV as staff saved it; the newest is the current one."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    #: who saved it; none for the seed copied from data/codebook.csv
    created_by: int | None = Field(default=None, foreign_key="user.id")
    #: the codebook as CSV text, without a byte order mark
    content: str = Field(sa_column=Column(Text, nullable=False))
    #: the short content hash the classifier reports as the codebook's version
    version: str = Field(max_length=16, index=True)
    #: what changed, in words
    note: str = Field(default="", max_length=200)
    #: the version this one was edited from; unique, so two edits cannot both win
    parent_id: int | None = Field(
        default=None, foreign_key="codebookversion.id", unique=True
    )

    def __repr__(self):
        return f"<CodebookVersion {self.id} {self.version}>"


class RecodeJob(SQLModel, table=True):
    """A request to code every stored answer again, for any app process to run."""

    id: int | None = Field(default=None, primary_key=True)
    #: the codebook version whose saving asked for the job
    codebook_version: str = Field(max_length=16)
    requested_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    #: queued, running, done or failed
    status: str = Field(default="queued", max_length=10, index=True)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: host and process id of the process that ran it
    worker: str | None = Field(default=None, max_length=80)
    #: how many answers were coded
    coded: int | None = None
    #: the kind of error a failed job ended with (never answer text)
    error: str | None = Field(default=None, max_length=200)

    def __repr__(self):
        return f"<RecodeJob {self.id} {self.status}>"


class SafeguardingReview(SQLModel, table=True):
    """A safeguarding lead's note on a flagged answer, kept with who and when."""

    id: int | None = Field(default=None, primary_key=True)
    flag_id: int = Field(
        foreign_key="safeguardingflag.id", index=True, ondelete="CASCADE"
    )
    reviewed_by: int = Field(foreign_key="user.id")
    reviewed_at: datetime = Field(default_factory=utcnow)
    note: str = Field(sa_column=Column(Text, nullable=False))

    def __repr__(self):
        return f"<SafeguardingReview {self.id} flag {self.flag_id}>"


class EmergentDecision(SQLModel, table=True):
    """What staff made of a candidate new theme: a theme of its own, or nothing."""

    id: int | None = Field(default=None, primary_key=True)
    #: the candidate's key (a hash of its terms); one decision per candidate
    candidate: str = Field(max_length=16, unique=True)
    #: the candidate's words and phrases joined by ;, so later shapes of it stay hidden
    terms: str = Field(max_length=500)
    #: named or discarded
    decision: str = Field(max_length=10)
    #: the codebook theme a named candidate became
    theme: str | None = Field(default=None, max_length=64)
    decided_by: int = Field(foreign_key="user.id")
    decided_at: datetime = Field(default_factory=utcnow)

    def __repr__(self):
        return f"<EmergentDecision {self.id} {self.candidate} {self.decision}>"
