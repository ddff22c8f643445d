"""The policy record: townships, the plan's domains, tasks, units and targets."""

from sqlmodel import Field, SQLModel, UniqueConstraint

import core.models  # noqa: F401  (naming convention first)


class Township(SQLModel, table=True):
    #: a short stable code such as lecheng
    code: str = Field(primary_key=True, max_length=32)
    #: the name as written, e.g. 乐成街道
    name: str = Field(unique=True, max_length=50)
    #: 街道 or 镇
    kind: str = Field(max_length=10)

    def __repr__(self):
        return f"<Township {self.code}>"


class Domain(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    #: 1–6, from （一）…（六） under 行动任务
    number: int = Field(unique=True)
    title: str = Field(max_length=200)

    def __repr__(self):
        return f"<Domain {self.number} {self.title!r}>"


class Task(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    #: the number the plan gives the task, 1–32 for Yueqing
    number: int = Field(unique=True, index=True)
    domain_id: int = Field(foreign_key="domain.id", index=True)
    title: str = Field(max_length=200)
    #: the task's paragraphs as in the plan
    body: str

    def __repr__(self):
        return f"<Task {self.number} {self.title!r}>"


class TaskUnit(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("task_id", "role", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    #: lead (牵头单位) or partner (配合单位)
    role: str = Field(max_length=10)
    #: order in the plan's list
    position: int
    name: str = Field(max_length=100, index=True)

    def __repr__(self):
        return f"<TaskUnit {self.task_id} {self.role} {self.name!r}>"


class Target(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("task_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    position: int
    #: the clause of the plan the target comes from
    text: str
    #: what is counted, e.g. 专题研究
    what: str = Field(max_length=200)
    amount: str | None = Field(default=None, max_length=20)
    unit: str | None = Field(default=None, max_length=20)
    #: ≥, ≤, ≈ or = as the plan words it (不少于, 以上, 左右 …)
    comparison: str | None = Field(default=None, max_length=2)
    by_year: int | None = None
    per_year: bool = False

    def __repr__(self):
        return f"<Target {self.task_id}.{self.position} {self.what!r}>"
