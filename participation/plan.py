"""Parse a child-friendly city action plan into domains, tasks, units and targets.

The plan is plain text in the layout of a Chinese government action plan:
top-level sections numbered 一、二、…; inside the 行动任务 section, domains
headed （一）…（六）, tasks numbered 1．2．… across the whole section, each
task followed by its body and one line naming its units::

    四、行动任务
    （一）完善市域友好政策体系。
    1．推动儿童优先融入政策创新。
    …body…
    牵头单位：市委办、市府办，配合单位：市教育局、各乡镇（街道）。

Only that section yields tasks; the next top-level heading (五、组织实施)
or the end of the text closes it. Task numbers run 1, 2, 3… without gaps
or repeats, and each domain holds at least one task. Anything else raises
`PlanFormatError` naming the line; nothing is returned in part.

Targets are read from each task body, Arabic numerals only:

- a figure with a unit: 每年至少开展1次专题研究, 覆盖率达93.5%以上,
  死亡率在7/100000以下 (unit ``/100000``), 降低1个百分点以上;
- 全覆盖 (or 基本全覆盖), read as amount ``"100"`` and unit ``"%"``;
- a deadline with no figure up to the next deadline or the end of its
  sentence (到2022年，乡镇(街道)建立儿童工作队伍), read as a dated milestone
  whose amount, unit and comparison are None;
- years (2025年), ages (0-3岁, 12岁), ordinals (第1) and document numbers
  (〔2022〕66号) are never targets.

`text` is the clause a target was read from (with the clause before it when
that one names what is counted; from the deadline on for a milestone), always
a substring of the task body. `what` is a short label for what is counted,
with deadlines, 每年 and verbs such as 开展 trimmed off. `by_year` comes from
the last 到YYYY年 (or YYYY年前/底/末) before the target in the same sentence;
a baseline such as 在2018年基础上 is not a deadline. `per_year` is set when
the clause says 每年, 逐年 or 年均 before the figure. `comparison` is ``"≥"``
(至少, 不少于, 不低于, ≥, …以上), ``"≤"`` (不超过, 不高于, ≤, …以下, …以内),
``"≈"`` (…左右) or ``"="``.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = [
    "Domain",
    "Plan",
    "PlanFormatError",
    "Target",
    "Task",
    "find_targets",
    "parse_plan",
    "read_plan",
]

_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMBER = "[一二三四五六七八九十]{1,3}"

_SECTION = re.compile(rf"^(?P<num>{_CN_NUMBER})、\s*(?P<title>.+)$")
_TASK_SECTION = re.compile(r"^(?:行动|主要|重点)任务[。：:]?$")
_DOMAIN = re.compile(rf"^[（(](?P<num>{_CN_NUMBER})[）)]\s*(?P<title>.+)$")
_TASK = re.compile(r"^(?P<num>\d{1,3})\s*[．.、]\s*(?P<title>(?!\d).+)$")
_LEAD = re.compile(r"^牵头单位[：:]\s*(?P<rest>.*)$")
_PARTNER = re.compile(r"配合单位[：:]\s*")
_PLAN_WORDS = ("方案", "计划", "规划", "纲要")

_SENTENCE_END = re.compile(r"[。；;！？!?]")
_CLAUSE_SEP = re.compile(r"，|：|,(?!\d)")
_MASK = re.compile(
    r"〔\d{4}〕\d+号|\d{4}(?:[-－至]\d{4})?年|\d+(?:[-－~～至到]\d+)?周?岁"
)
_FIGURE = re.compile(
    r"(?<![\d.第])(?P<amount>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>个百分点|场次|人次|/\s*\d+|[%％‰个次场人部名所家项份处座支])"
    r"(?P<suffix>以上|以下|以内|左右)?"
)
_COVERAGE = re.compile(r"(?:基本)?全覆盖")
_DEADLINE = re.compile(r"(?<!截)(?:到|至)(?P<a>\d{4})年|(?P<b>\d{4})年(?:前|底|末)")
_AT_LEAST = re.compile(r"至少|不少于|不低于|≥|>=")
_AT_MOST = re.compile(r"不超过|不高于|≤|<=")
_PER_YEAR = re.compile(r"每年|逐年|年均")
_WHAT_DROP = re.compile(
    r"(?:力争)?(?<!截)(?:到|至)\d{4}年(?:前|底|末)?|\d{4}年(?:前|底|末)"
    r"|在\d{4}年(?:的)?基础上"
    r"|每年|逐年|年均|实现"
)
_WHAT_LEADING = (
    "确保",
    "基本",
    "力争",
    "全市",
    "每所学校",
    "有效",
    "控制",
    "加强",
    "开展",
    "组织",
    "实施",
    "举办",
    "创作",
    "培育",
    "参加",
)
_WHAT_TRAILING = (
    "至少",
    "不少于",
    "不低于",
    "不超过",
    "不高于",
    "控制在",
    "达到",
    "达",
    "为",
    "在",
    "≥",
    "≤",
    "基本",
)
_WHAT_PUNCT = " \t\u3000，,、：:；;。的"


class PlanFormatError(ValueError):
    """Tell that a text is not an action plan in the expected layout."""

    def __init__(self, line: int, message: str) -> None:
        """Keep the 1-based line number and the reason."""
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Target:
    """One measurable target read from a task body."""

    text: str
    what: str
    amount: str | None
    unit: str | None
    by_year: int | None
    per_year: bool
    comparison: str | None


@dataclass(frozen=True)
class Task:
    """One numbered task with its units and targets."""

    number: int
    title: str
    body: str
    lead_units: tuple[str, ...]
    partner_units: tuple[str, ...]
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Domain:
    """One domain of the plan, such as （一）完善市域友好政策体系."""

    number: int
    title: str
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class Plan:
    """A whole action plan: its title and its domains in order."""

    title: str
    domains: tuple[Domain, ...]

    @property
    def tasks(self) -> tuple[Task, ...]:
        """Return every task of every domain, in order."""
        return tuple(task for domain in self.domains for task in domain.tasks)


def read_plan(path: str | os.PathLike[str]) -> Plan:
    """Read a UTF-8 plan file (a BOM allowed) and parse it."""
    path = Path(path)
    text = _decode(path.read_bytes(), path.name)
    plan = parse_plan(text)

    log.info("Plan file %s read with %s tasks", path.name, len(plan.tasks))
    return plan


def parse_plan(text: str) -> Plan:
    """Parse the text of an action plan into a `Plan`."""
    lines = _split_lines(text)
    _check_text(lines)

    start, end = _task_section(lines)
    domains = _Builder(lines, start).build(end)
    plan = Plan(title=_title(lines, start), domains=domains)

    log.info("Plan parsed with %s domains and %s tasks", len(domains), len(plan.tasks))
    return plan


def _decode(data: bytes, name: str) -> str:
    """Decode UTF-8 bytes, naming the file and line when they are not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        offset = err.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line = data.count(b"\n", 0, offset) + 1
        raise PlanFormatError(line, f"{name} is not UTF-8 text") from None


def _split_lines(text: str) -> list[str]:
    """Split text into lines, keeping the numbering an editor would show."""
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _check_text(lines: list[str]) -> None:
    """Reject empty and binary text."""
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:
            raise PlanFormatError(number, "binary data (a NUL character)")

    if not any(line.strip() for line in lines):
        raise PlanFormatError(1, "the plan is empty")


def _cn_number(numeral: str) -> int | None:
    """Turn a Chinese numeral from 一 to 九十九 into an int, None if malformed."""
    tens, ten, units = numeral.rpartition("十")
    if not ten:
        return _CN_DIGITS.get(numeral)
    if (tens and tens not in _CN_DIGITS) or (units and units not in _CN_DIGITS):
        return None
    return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(units, 0)


def _task_section(lines: list[str]) -> tuple[int, int]:
    """Return the 0-based index of the 行动任务 heading and of the section end."""
    start = None
    for index, line in enumerate(lines):
        match = _SECTION.match(line.strip())
        if not match:
            continue
        if start is not None:
            return start, index
        if _TASK_SECTION.match(match["title"].strip()):
            start = index

    if start is None:
        raise PlanFormatError(
            1, 'no "行动任务" section (a heading like "四、行动任务")'
        )
    return start, len(lines)


def _title(lines: list[str], section: int) -> str:
    """Pick the plan's title: the last heading-like line naming a plan."""
    candidates = [
        line.strip()
        for line in lines[:section]
        if line.strip()
        and not _SECTION.match(line.strip())
        and line.strip()[-1] not in "。：:；;，,"
    ]
    named = [line for line in candidates if any(w in line for w in _PLAN_WORDS)]
    return (named or candidates or [""])[-1]


@dataclass
class _TaskDraft:
    """A task being read, line by line."""

    line: int
    number: int
    title: str
    body: list[str]
    units_line: int = 0
    lead: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()


@dataclass
class _DomainDraft:
    """A domain being read, line by line."""

    line: int
    number: int
    title: str
    tasks: list[Task]


class _Builder:
    """Read the 行动任务 section line by line into domains and tasks."""

    def __init__(self, lines: list[str], start: int) -> None:
        """Start reading after the section heading at 0-based index `start`."""
        self.lines = lines
        self.start = start
        self.domains: list[Domain] = []
        self.domain: _DomainDraft | None = None
        self.task: _TaskDraft | None = None
        self.last_number = 0
        self.seen: dict[int, int] = {}

    def build(self, end: int) -> tuple[Domain, ...]:
        """Read every line up to `end` and return the finished domains."""
        previous = ""
        for index in range(self.start + 1, end):
            line = self.lines[index].strip()
            if line:
                self._read(index + 1, line, previous)
                previous = line

        if end < len(self.lines):
            self._close_domain(end + 1, f"“{self.lines[end].strip()}”")
        else:
            self._close_domain(len(self.lines), "the end of the text")
        if not self.domains:
            raise PlanFormatError(self.start + 1, "the 行动任务 section has no tasks")
        return tuple(self.domains)

    def _read(self, number: int, line: str, previous: str) -> None:
        """Read one non-blank line numbered `number`."""
        if match := _DOMAIN.match(line):
            self._open_domain(number, match["num"], match["title"])
        elif match := _TASK.match(line):
            self._open_task(number, int(match["num"]), match["title"])
        elif match := _LEAD.match(line):
            self._read_units(number, match["rest"])
        elif _PARTNER.match(line) and self._lone_partner_line(previous):
            self.task.partners = _split_units(_PARTNER.sub("", line, count=1))
        elif self.task is not None:
            self._read_body(number, line)

    def _open_domain(self, line: int, numeral: str, title: str) -> None:
        """Close the current domain and start the next one."""
        self._close_domain(line, f"domain （{numeral}）")
        expected = len(self.domains) + 1
        if _cn_number(numeral) != expected:
            raise PlanFormatError(
                line, f"expected domain {expected}, found （{numeral}）"
            )

        title, _, _ = title.partition("。")
        self.domain = _DomainDraft(line, expected, title.strip(), [])

    def _open_task(self, line: int, number: int, heading: str) -> None:
        """Close the current task and start task `number`."""
        if self.domain is None:
            raise PlanFormatError(line, f"task {number} comes before any domain")
        self._close_task(line, f"task {number}")
        self._check_number(line, number)

        title, _, rest = heading.partition("。")
        if not title.strip():
            raise PlanFormatError(line, f"task {number} has no title")
        self.task = _TaskDraft(line, number, title.strip(), [rest] if rest else [])

    def _check_number(self, line: int, number: int) -> None:
        """Check that task numbers run 1, 2, 3… without repeats or gaps."""
        if number in self.seen:
            raise PlanFormatError(
                line, f"task {number} repeated (first at line {self.seen[number]})"
            )
        if number != self.last_number + 1:
            raise PlanFormatError(
                line, f"expected task {self.last_number + 1}, found task {number}"
            )

        self.seen[number] = line
        self.last_number = number

    def _read_units(self, line: int, rest: str) -> None:
        """Read a 牵头单位 line, with or without its 配合单位 part."""
        if self.task is None:
            raise PlanFormatError(line, 'a "牵头单位：" line outside any task')
        if self.task.units_line:
            raise PlanFormatError(
                line, f'a second "牵头单位：" line for task {self.task.number}'
            )

        parts = _PARTNER.split(rest, maxsplit=1)
        lead, partners = parts[0], parts[1] if len(parts) > 1 else ""
        self.task.lead = _split_units(lead)
        self.task.partners = _split_units(partners)
        self.task.units_line = line
        if not self.task.lead:
            raise PlanFormatError(line, f"task {self.task.number} has no lead unit")

    def _lone_partner_line(self, previous: str) -> bool:
        """Tell whether a 配合单位 line completes the units line just before it."""
        task = self.task
        return (
            task is not None
            and bool(task.units_line)
            and not task.partners
            and _LEAD.match(previous) is not None
        )

    def _read_body(self, line: int, text: str) -> None:
        """Add a paragraph to the current task's body."""
        if self.task.units_line:
            raise PlanFormatError(
                line,
                f"unexpected text after the units of task {self.task.number}; "
                f"expected task {self.task.number + 1} or a domain heading",
            )
        self.task.body.append(text)

    def _close_task(self, line: int, found: str) -> None:
        """Finish the current task; `found` names what came after it."""
        draft = self.task
        if draft is None:
            return
        if not draft.units_line:
            raise PlanFormatError(
                line,
                f'expected a "牵头单位：" line for task {draft.number} '
                f"(line {draft.line}) before {found}",
            )

        body = "\n".join(draft.body)
        self.domain.tasks.append(
            Task(
                number=draft.number,
                title=draft.title,
                body=body,
                lead_units=draft.lead,
                partner_units=draft.partners,
                targets=find_targets(body),
            )
        )
        self.task = None

    def _close_domain(self, line: int, found: str) -> None:
        """Finish the current domain; `found` names what came after it."""
        draft = self.domain
        if draft is None:
            return
        self._close_task(line, found)
        if not draft.tasks:
            raise PlanFormatError(
                draft.line, f"domain {draft.number} ({draft.title}) has no tasks"
            )

        self.domains.append(Domain(draft.number, draft.title, tuple(draft.tasks)))
        self.domain = None


def _split_units(text: str) -> tuple[str, ...]:
    """Split a list of units on 、，; keeping parenthesised parts whole."""
    units, current, depth = [], [], 0
    for char in text.strip().rstrip("。.；;，, "):
        if char in "（(":
            depth += 1
        elif char in "）)":
            depth = max(depth - 1, 0)
        if depth == 0 and char in "、，,；;":
            units.append("".join(current))
            current = []
        else:
            current.append(char)

    units.append("".join(current))
    return tuple(unit.strip() for unit in units if unit.strip())


def find_targets(body: str) -> tuple[Target, ...]:
    """Find the figures, full-coverage claims and dated milestones of a task body."""
    targets = []
    for first, last in _spans(body, _SENTENCE_END, 0, len(body)):
        found = _sentence_targets(body, first, last) + _milestones(body, first, last)
        targets.extend(target for _, target in sorted(found, key=lambda f: f[0]))
    return tuple(targets)


def _sentence_targets(body: str, first: int, last: int) -> list[tuple[int, Target]]:
    """Read the targets of the sentence body[first:last], clause by clause."""
    targets = []
    previous = first
    for start, end in _spans(body, _CLAUSE_SEP, first, last):
        clause = _Clause(
            text=body[start:end],
            before=body[first:start],
            with_previous=body[previous:end],
            previous=body[previous:start],
        )
        targets.extend((start, target) for target in _clause_targets(clause))
        previous = start
    return targets


def _milestones(body: str, first: int, last: int) -> list[tuple[int, Target]]:
    """Read dated goals without a figure, such as 到2022年，乡镇建立儿童工作队伍."""
    starts = [m.start() for m in _DEADLINE.finditer(body, first, last)]
    milestones = []
    for start, end in pairwise([*starts, last]):
        part = body[start:end]
        masked = _MASK.sub("#", part)
        if _FIGURE.search(masked) or _COVERAGE.search(masked):
            continue

        text = part.strip(_WHAT_PUNCT)
        rest = _WHAT_DROP.sub("", text).strip(_WHAT_PUNCT)
        what = _clean_what(_CLAUSE_SEP.split(rest, maxsplit=1)[0])
        target = Target(text, what or text, None, None, _deadline(text), False, None)
        milestones.append((start, target))
    return milestones


@dataclass(frozen=True)
class _Clause:
    """A clause of a task body and what precedes it in its sentence."""

    text: str
    before: str
    with_previous: str
    previous: str


def _spans(
    text: str, separator: re.Pattern[str], start: int, end: int
) -> Iterator[tuple[int, int]]:
    """Yield the (start, end) offsets of the non-blank parts between separators."""
    for match in separator.finditer(text, start, end):
        if text[start : match.start()].strip():
            yield start, match.start()
        start = match.end()
    if text[start:end].strip():
        yield start, end


def _clause_targets(clause: _Clause) -> list[Target]:
    """Read the figures and full-coverage claims of one clause."""
    masked = _MASK.sub(lambda m: "#" * len(m.group()), clause.text)
    found = []
    previous_end = 0
    for match in _FIGURE.finditer(masked):
        found.append(_figure_target(clause, masked, match, previous_end))
        previous_end = match.end()

    coverage = _COVERAGE.search(masked)
    if coverage and not found:
        what = _clean_what(clause.text[: coverage.start()])
        found.append(_target(clause, what, ("100", "%"), coverage.start(), "="))
    return found


def _figure_target(
    clause: _Clause, masked: str, match: re.Match[str], previous_end: int
) -> Target:
    """Build the target for one figure such as 至少1次 or 93.5%以上."""
    amount = unicodedata.normalize("NFKC", match["amount"])
    unit = unicodedata.normalize("NFKC", match["unit"]).replace(" ", "")
    window = masked[previous_end : match.start()]

    after = clause.text[match.end() :].strip(_WHAT_PUNCT)
    what = after or _clean_what(clause.text[previous_end : match.start()])
    comparison = _comparison(window, match["suffix"])
    return _target(clause, what, (amount, unit), match.start(), comparison)


def _target(
    clause: _Clause, what: str, figure: tuple[str, str], start: int, comparison: str
) -> Target:
    """Assemble a target, borrowing the previous clause when `what` is empty."""
    text = clause.text
    if not what and clause.previous.strip():
        what = _clean_what(clause.previous)
        text = clause.with_previous

    return Target(
        text=text.strip(),
        what=what or clause.text.strip(),
        amount=figure[0],
        unit=figure[1],
        by_year=_deadline(clause.before + clause.text[:start]),
        per_year=bool(_PER_YEAR.search(clause.text[:start])),
        comparison=comparison,
    )


def _comparison(window: str, suffix: str | None) -> str:
    """Tell whether a figure is a floor, a ceiling or an exact amount."""
    if suffix == "以上" or _AT_LEAST.search(window):
        return "≥"
    if suffix in ("以下", "以内") or _AT_MOST.search(window):
        return "≤"
    return "≈" if suffix == "左右" else "="


def _deadline(text: str) -> int | None:
    """Return the year of the last 到YYYY年 (or YYYY年前) in the text."""
    years = [int(m["a"] or m["b"]) for m in _DEADLINE.finditer(text)]
    return years[-1] if years else None


def _clean_what(text: str) -> str:
    """Trim deadlines, frequency words, verbs and comparison words off a label."""
    text = _WHAT_DROP.sub("", text).strip(_WHAT_PUNCT)
    changed = True
    while changed:
        changed = False
        for word in _WHAT_LEADING:
            if text.startswith(word):
                text, changed = text[len(word) :].strip(_WHAT_PUNCT), True
        for word in _WHAT_TRAILING:
            if text.endswith(word):
                text, changed = text[: -len(word)].strip(_WHAT_PUNCT), True
    return text
