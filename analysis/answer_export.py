"""What a row-level export of masked answers may hold, and with which columns.

An answer list is the finest breakdown there is: whatever a row carries, its
rows can be counted by, and two lists can be laid side by side. So a list says
nothing of where a child lives, their age band, gender or month, and has no
answer ids or submission order; it holds every answer in the report's scope,
so its length tells nothing the page does not. A scope of fewer than 10
children gives no list. A list narrowed by survey, months, township, band or
gender is given only where every township × band group in it has 0 or at least
10 children, so that no two lists can be compared to single out a smaller
group; a theme filter narrows by what was said, not by who said it.
"""

from collections import Counter
from dataclasses import dataclass

from analysis.disclosure import THRESHOLD, crossed_allowed

#: filters that narrow a list by who answered, or where and when
NARROWING = ("survey", "start", "end", "township", "band", "gender")
TOO_FEW = (
    f"范围内不到 {THRESHOLD} 名孩子，不能导出回答明细：人这么少，读原话就可能认出是谁。"
)
CROSSED = (
    f"这个范围里，按乡镇（街道）× 年龄段交叉后有的格子不到 {THRESHOLD} 名孩子。"
    "按问卷、月份、乡镇（街道）、年龄段或性别筛选的回答明细，要每个格子都有 "
    f"{THRESHOLD} 名以上孩子才能导出，否则把两份明细对照，就能找出一小群孩子"
    "说的话。可以不加这些筛选导出全部回答，或只按主题筛选。"
)


@dataclass(frozen=True)
class Plan:
    """Whether a scope's answers may be exported, and with which columns."""

    #: why the list is refused, for staff; None if it may be exported
    refusal: str | None
    #: the survey and question columns: only if every survey has 10+ children
    with_survey: bool = False


def plan(rows, filters) -> Plan:
    """Decide whether the answers of a report's rows may leave as a list."""
    children = list({row.response_id: row for row in rows}.values())
    if len(children) < THRESHOLD:
        return Plan(TOO_FEW)

    narrowed = any(getattr(filters, name) for name in NARROWING)
    cells = Counter((child.township, child.band) for child in children)
    if narrowed and not crossed_allowed(cells):
        return Plan(CROSSED)
    surveys = Counter(child.survey for child in children)
    return Plan(None, all(n >= THRESHOLD for n in surveys.values()))
