"""The plan's participation figures for a year, the targets they answer to, the pack.

Figures come from the council record: townships with a council whose term
overlaps the year, activities held in the year counted by kind, proposals
raised in the year by stage, and how many activities recorded the four
elements of participation. Targets are read from the policy record (the
plan's Target table), matched to a figure by the words of what they count.
"""

import io
from collections import Counter
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session, select

from participation import council_ops
from participation.councils import (
    ACTIVITY_KINDS,
    DECISIONS,
    ELEMENTS,
    STAGES,
    Activity,
    Council,
    Proposal,
)
from participation.models import Target, Task, Township
from participation.proposal_ops import is_overdue

#: figure -> the words a target's `what` must all contain to count it
TARGET_WORDS = {
    "coverage": ("参与组织",),
    "training": ("参与", "培训"),
    "participation": ("参与", "活动"),
    "charity": ("慈善",),
}
STATE_WORDS = {"met": "已达到", "not met": "未达到", "in progress": "进行中"}
FIGURE_NAMES = {
    "session": "sessions",
    "training": "trainings",
    "participation": "activities",
    "charity": "charity projects",
}


def figures(session: Session, year: int, township: str | None = None) -> dict:
    """Return the year's participation figures, for the city or one township."""
    townships = _townships(session, township)
    councils = [c for c in _councils(session, township) if c.township_code in townships]
    covered = {c.township_code for c in councils if council_ops.active_in_year(c, year)}
    activities = _activities(session, year, township)
    proposals = _proposals(session, year, township)
    stages = Counter(p.stage for p in proposals)
    today = council_ops.local_today()
    return {
        "year": year,
        "township": township,
        "townships": len(townships),
        "covered": len(covered),
        "councils": len(councils),
        "kinds": {
            kind: sum(a.kind == kind for a in activities) for kind in ACTIVITY_KINDS
        },
        "activities_total": len(activities),
        "heard": sum(council_ops.heard(a) for a in activities),
        "answered": sum(council_ops.answered(a) for a in activities),
        "stages": {stage: stages.get(stage, 0) for stage in STAGES},
        "proposals": len(proposals),
        "overdue": sum(is_overdue(p, today) for p in proposals),
    }


def _townships(session, township):
    """Return the township codes counted: all, or the one asked for."""
    query = select(Township.code)
    if township:
        query = query.where(Township.code == township)
    return set(session.exec(query))


def _councils(session, township):
    """Return the councils of the township, or all of them."""
    query = select(Council).order_by(Council.township_code, Council.id)
    if township:
        query = query.where(Council.township_code == township)
    return list(session.exec(query))


def _activities(session, year, township):
    """Return the activities held in the year."""
    query = (
        select(Activity)
        .join(Council, Council.id == Activity.council_id)
        .where(
            Activity.held_on >= date(year, 1, 1), Activity.held_on <= date(year, 12, 31)
        )
        .order_by(Activity.held_on, Activity.id)
    )
    if township:
        query = query.where(Council.township_code == township)
    return list(session.exec(query))


def _with_council(session, activities):
    """Pair each activity with its council."""
    return [(a, session.get(Council, a.council_id)) for a in activities]


def _proposals(session, year, township):
    """Return the proposals raised in the year."""
    query = (
        select(Proposal)
        .join(Council, Council.id == Proposal.council_id)
        .where(
            Proposal.raised_on >= date(year, 1, 1),
            Proposal.raised_on <= date(year, 12, 31),
        )
        .order_by(Proposal.raised_on, Proposal.id)
    )
    if township:
        query = query.where(Council.township_code == township)
    return list(session.exec(query))


# Targets ---------------------------------------------------------------------


def targets(session: Session) -> list[dict]:
    """Return the plan's targets on councils, trainings, activities and charity."""
    rows = session.exec(
        select(Target, Task.number)
        .join(Task, Task.id == Target.task_id)
        .order_by(Task.number, Target.position)
    ).all()
    found = []
    for target, number in rows:
        figure = next(
            (
                f
                for f, words in TARGET_WORDS.items()
                if all(w in target.what for w in words)
            ),
            None,
        )
        if figure and target.amount is not None:
            found.append({"figure": figure, "task": number, "target": target})
    return found


def assess(found: dict, fig: dict) -> dict:
    """Return the year's value for a target and whether it is met."""
    target = found["target"]
    if found["figure"] == "coverage":
        value = (
            round(100 * fig["covered"] / fig["townships"], 1) if fig["townships"] else 0
        )
        shown = f"{fig['covered']}/{fig['townships']}（{value:g}%）"
    else:
        value = fig["kinds"][found["figure"]]
        shown = str(value)
    met = _compare(value, target.comparison, float(target.amount))
    if not met and target.by_year and fig["year"] < target.by_year:
        state = "in progress"
    else:
        state = "met" if met else "not met"
    return {**found, "value": shown, "state": state, "wording": wording(target)}


def _compare(value, comparison, amount):
    """Tell whether a value meets an amount under a comparison."""
    if comparison == "≤":
        return value <= amount
    return value >= amount


def wording(target: Target) -> str:
    """Return a target as a short line, e.g. 儿童参与专题培训 ≥1次 每年."""
    comparison = "" if target.comparison in (None, "=") else target.comparison
    when = (
        "每年"
        if target.per_year
        else (f"到{target.by_year}年" if target.by_year else "")
    )
    return (
        f"{target.what} {comparison}{target.amount}{target.unit or ''} {when}".strip()
    )


def status_lines(session: Session, year: int, township: str | None = None) -> list[str]:
    """Return the figures and targets as the status command prints them."""
    fig = figures(session, year, township)
    lines = [
        f"year: {year}",
        f"townships covered: {fig['covered']}/{fig['townships']}",
        f"councils: {fig['councils']}",
    ]
    lines += [f"{FIGURE_NAMES[kind]}: {n}" for kind, n in fig["kinds"].items()]
    lines += [f"proposals {stage}: {n}" for stage, n in fig["stages"].items()]
    lines += [
        f"proposals overdue: {fig['overdue']}",
        f"activities where children were heard: "
        f"{fig['heard']}/{fig['activities_total']}",
        f"activities where children were also answered: "
        f"{fig['answered']}/{fig['activities_total']}",
    ]
    for found in targets(session):
        checked = assess(found, fig)
        lines.append(
            f"target (task {checked['task']}) {checked['wording']}: "
            f"{checked['value']} {checked['state']}"
        )
    return lines


# The annual evaluation pack --------------------------------------------------


def pack(session: Session, year: int, township: str | None = None) -> dict:
    """Return everything the annual evaluation pack shows."""
    fig = figures(session, year, township)
    names = {t.code: t.name for t in session.exec(select(Township))}
    activities = _with_council(session, _activities(session, year, township))
    return {
        "year": year,
        "township": township,
        "township_name": names.get(township, "全市"),
        "figures": fig,
        "targets": [assess(found, fig) for found in targets(session)],
        "townships": _township_rows(session, year, township, names),
        "activities": [_activity_row(a, c, names) for a, c in activities],
        "proposals": [
            _proposal_row(session, p, names)
            for p in _proposals(session, year, township)
        ],
    }


def _township_rows(session, year, township, names):
    """Return the pack's row for each township."""
    rows = []
    for code in sorted(_townships(session, township), key=lambda c: names[c]):
        fig = figures(session, year, code)
        councils = [c.name for c in _councils(session, code)]
        rows.append(
            {
                "name": names[code],
                "councils": "、".join(councils),
                "covered": fig["covered"] > 0,
                **{kind: n for kind, n in fig["kinds"].items()},
                "proposals": fig["proposals"],
                "published": fig["stages"]["decided"] + fig["stages"]["evaluated"],
                "overdue": fig["overdue"],
            }
        )
    return sorted(rows, key=lambda r: not r["covered"])


def _activity_row(activity, council, names):
    """Return the pack's row for an activity, with its four elements."""
    elements = council_ops.elements_of(activity)
    return {
        "held_on": activity.held_on,
        "township": names.get(council.township_code, council.township_code),
        "council": council.name,
        "kind": ACTIVITY_KINDS[activity.kind],
        "title": activity.title,
        "children": activity.children_present,
        "elements": elements,
        "heard": council_ops.heard(activity),
        "answered": council_ops.answered(activity),
    }


def _proposal_row(session, proposal, names):
    """Return the pack's row for a proposal."""
    council = session.get(Council, proposal.council_id)
    return {
        "id": proposal.id,
        "township": names.get(council.township_code, council.township_code),
        "title": proposal.title,
        "stage": STAGES[proposal.stage],
        "unit": proposal.lead_unit or "",
        "due_on": proposal.due_on,
        "decision": DECISIONS.get(proposal.decision, ""),
        "progress": proposal.progress,
        "overdue": is_overdue(proposal),
    }


TOWNSHIP_HEADER = ["乡镇（街道）", "议事会", "覆盖", *ACTIVITY_KINDS.values()]
TOWNSHIP_HEADER += ["建议", "已公示", "逾期"]
ACTIVITY_HEADER = ["日期", "乡镇（街道）", "议事会", "类别", "名称", "儿童人数"]
ACTIVITY_HEADER += [label.split("：")[0] for label in ELEMENTS.values()]
ACTIVITY_HEADER += ["孩子被听见", "孩子得到答复"]
PROPOSAL_HEADER = ["编号", "乡镇（街道）", "建议", "阶段", "牵头单位", "答复期限"]
PROPOSAL_HEADER += ["答复", "进度%", "逾期"]


def _yes(value, no="否"):
    """Return 是 for a true value, else the word for no."""
    return "是" if value else no


def pack_xlsx(data: dict) -> bytes:
    """Return the evaluation pack as an Excel workbook."""
    book = Workbook()
    _summary_sheet(book.active, data)
    townships = [
        [r["name"], r["councils"], _yes(r["covered"])]
        + [r[k] for k in ACTIVITY_KINDS]
        + [r["proposals"], r["published"], r["overdue"]]
        for r in data["townships"]
    ]
    activities = [
        [r["held_on"], r["township"], r["council"], r["kind"], r["title"]]
        + [r["children"]]
        + ["✓" if r["elements"][k] else "" for k in ELEMENTS]
        + [_yes(r["heard"]), _yes(r["answered"])]
        for r in data["activities"]
    ]
    proposals = [
        [r["id"], r["township"], r["title"], r["stage"], r["unit"], r["due_on"]]
        + [r["decision"], r["progress"], _yes(r["overdue"], "")]
        for r in data["proposals"]
    ]
    _table_sheet(book.create_sheet("乡镇"), TOWNSHIP_HEADER, townships)
    _table_sheet(book.create_sheet("活动"), ACTIVITY_HEADER, activities)
    _table_sheet(book.create_sheet("建议"), PROPOSAL_HEADER, proposals)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _summary_sheet(sheet, data):
    """Write the figures and the targets on the first sheet."""
    fig = data["figures"]
    sheet.title = "概况"
    sheet.append([f"{data['year']} 年儿童参与年度评估 · {data['township_name']}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["乡镇（街道）有议事会", f"{fig['covered']}/{fig['townships']}"])
    for kind, label in ACTIVITY_KINDS.items():
        sheet.append([label, fig["kinds"][kind]])
    for stage, label in STAGES.items():
        sheet.append([f"建议 · {label}", fig["stages"][stage]])
    sheet.append(["建议 · 逾期未答复", fig["overdue"]])
    sheet.append(["孩子被听见的活动", f"{fig['heard']}/{fig['activities_total']}"])
    sheet.append(
        ["孩子也得到答复的活动", f"{fig['answered']}/{fig['activities_total']}"]
    )
    sheet.append([])
    sheet.append(["任务", "目标", "本年", "状态"])
    for t in data["targets"]:
        sheet.append([t["task"], t["wording"], t["value"], STATE_WORDS[t["state"]]])
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 40


def _table_sheet(sheet, header, rows):
    """Write a header and rows on a sheet."""
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column in "ABCDEFGHIJKL":
        sheet.column_dimensions[column].width = 16
