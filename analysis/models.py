"""Themes and plan tasks assigned to open answers."""

from datetime import datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from core.models import utcnow


class AnswerTheme(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("answer_id", "theme"),)

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", index=True, ondelete="CASCADE")
    theme: str = Field(max_length=64, index=True)
    label: str = Field(max_length=100)
    #: the words of the answer that led to the theme, joined by ;
    evidence: str = Field(max_length=500)
    #: the codebook version that assigned it
    codebook_version: str = Field(max_length=16)

    def __repr__(self):
        return f"<AnswerTheme {self.answer_id} {self.theme}>"


class AnswerTask(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("answer_id", "task_number"),)

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", index=True, ondelete="CASCADE")
    #: the plan's task number
    task_number: int = Field(index=True)

    def __repr__(self):
        return f"<AnswerTask {self.answer_id} {self.task_number}>"


class SafeguardingFlag(SQLModel, table=True):
    """An answer that may disclose harm, for the safeguarding role only."""

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", index=True, ondelete="CASCADE")
    #: abuse, self_harm, bullying, neglect …
    category: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    #: when the safeguarding lead looked at it, and who
    reviewed_at: datetime | None = None
    reviewed_by: int | None = Field(default=None, foreign_key="user.id")
    #: when the safeguarding lead found no risk of harm and let the answer
    #: back into reports, and who; an answer stays out while any of its flags
    #: is not released
    released_at: datetime | None = None
    released_by: int | None = Field(default=None, foreign_key="user.id")

    def __repr__(self):
        return f"<SafeguardingFlag {self.id} {self.answer_id} {self.category}>"
