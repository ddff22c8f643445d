"""Minutes of a council session: drafted from the record, edited, exported.

Minutes are plain text in a small layout staff can edit in a text box:
``# `` a title, ``## `` a section, ``### `` an item, ``- `` a list line,
anything else a paragraph. They name no child: attendance is counted, and
proposals carry the number of supporters only.
"""

import io
import logging

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from sqlmodel import Session, select

from participation import council_evidence, vote_ops
from participation.council_ops import CouncilError, active_members
from participation.councils import Activity, Council, Proposal
from participation.proposal_ops import suggest_unit
from participation.session_ops import bump, items_of

log = logging.getLogger(__name__)

MAX_MINUTES = 50_000
PREFIXES = (("### ", "h3"), ("## ", "h2"), ("# ", "h1"), ("- ", "li"))


def generate(session: Session, activity: Activity) -> str:
    """Draft the minutes of a session from its agenda, votes and proposals."""
    council = session.get(Council, activity.council_id)
    place = activity.place or council.meeting_place
    lines = [
        f"# {council.name} {activity.title} 纪要",
        f"时间：{activity.held_on.isoformat()}　地点：{place}",
        _attendance(session, activity),
        "",
        "## 议程",
    ]
    for item in items_of(session, activity.id):
        lines += _item_lines(session, council, item)
    lines += ["", "## 表决"] + _vote_lines(session, activity)
    lines += ["", "## 孩子们的建议"] + _proposal_lines(session, activity)
    return "\n".join(lines).strip() + "\n"


def _attendance(session, activity):
    """Return the attendance line: counts, never names."""
    members = len(active_members(session, activity.council_id))
    children, adults = (
        "（未记录）" if n is None else n
        for n in (activity.children_present, activity.adults_present)
    )
    return f"出席：儿童 {children} 人，成人 {adults} 人；在任成员 {members} 人"


def _item_lines(session, council, item):
    """Return an agenda item's lines: task, survey evidence, words said."""
    lines = [f"### {item.position}. {item.title}（{item.minutes} 分钟）"]
    label = council_evidence.task_label(session, item.task_id)
    if label:
        unit = suggest_unit(session, item.task_id)
        lines.append(f"- 对应任务：{label}" + (f"（牵头单位：{unit}）" if unit else ""))
    found = council_evidence.item_evidence(
        session,
        council.township_code,
        _task_number(session, item),
        item.theme,
        item.band,
    )
    for line in (found or {}).get("lines", []):
        lines.append(f"- 问卷里：{line['text']}")
    for said in filter(None, (s.strip() for s in item.notes.splitlines())):
        lines.append(f"- 孩子们说：{said}")
    return lines


def _task_number(session, item):
    """Return the plan number of an item's task, or None."""
    from participation.models import Task

    task = session.get(Task, item.task_id) if item.task_id else None
    return task.number if task else None


def _vote_lines(session, activity):
    """Return each vote's counts and result, once released."""
    lines = []
    for vote in vote_ops.votes_of(session, activity.id):
        lines.append(f"### {vote.question}")
        if vote.status != "closed" or vote.released_at is None:
            lines.append("- 结果尚未公布")
            continue
        found = vote_ops.results(session, vote)
        how = "举手" if vote.hands is not None else "平板投票"
        lines += [
            f"- {o}：{n} 票" for o, n in zip(vote.options, found["counts"], strict=True)
        ]
        lines.append(f"- 结果（{how}）：{found['text']}")
    return lines or ["本次会议没有表决。"]


def _proposal_lines(session, activity):
    """Return each proposal as problem, reason, solution, supporters."""
    proposals = session.exec(
        select(Proposal)
        .where(Proposal.activity_id == activity.id)
        .order_by(Proposal.id)
    ).all()
    lines = []
    for number, p in enumerate(proposals, start=1):
        lines += [
            f"### {number}. {p.title}",
            f"- 问题：{p.problem}",
            f"- 理由：{p.reason}",
            f"- 办法：{p.solution}",
            f"- 支持：{p.supporters} 人",
        ]
    return lines or ["本次会议没有形成建议。"]


def minutes_text(session: Session, activity: Activity) -> str:
    """Return the saved minutes, or a fresh draft if none were saved."""
    return (
        activity.minutes
        if activity.minutes is not None
        else generate(session, activity)
    )


def save(session: Session, activity: Activity, text: str) -> None:
    """Store edited minutes."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise CouncilError("纪要不能是空的；要重新生成，请点「重新生成」。")
    if len(text) > MAX_MINUTES:
        raise CouncilError(f"纪要最多 {MAX_MINUTES} 个字。")

    activity.minutes = text + "\n"
    bump(session, activity)
    session.commit()
    log.info("Minutes of session %s saved", activity.id)


def blocks(text: str) -> list[tuple[str, str]]:
    """Split minutes into (kind, text) blocks: h1, h2, h3, li or p."""
    found = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        kind = next((k for prefix, k in PREFIXES if line.startswith(prefix)), "p")
        prefix = next((p for p, k in PREFIXES if k == kind), "")
        found.append((kind, line[len(prefix) :].strip()))
    return found


def to_docx(text: str) -> bytes:
    """Return the minutes as a Word document."""
    document = Document()
    _chinese_font(document)
    for kind, line in blocks(text):
        if kind in ("h1", "h2", "h3"):
            document.add_heading(line, level=int(kind[1]) - 1)
        elif kind == "li":
            document.add_paragraph(line, style="List Bullet")
        else:
            document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _chinese_font(document):
    """Let Word pick a Chinese font for the East Asian text of every style."""
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "List Bullet"):
        style = document.styles[name]
        style.font.name = "SimSun" if name == "Normal" else style.font.name
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), "SimSun" if name == "Normal" else "SimHei")
    document.styles["Normal"].font.size = Pt(12)
