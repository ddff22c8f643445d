"""What a row-level export of masked answers may hold, and with which columns.

An answer list is the finest breakdown there is: whatever a row carries, its
rows can be counted by, and two lists can be laid side by side. So a list says
nothing of where a child lives, their age band, gender or month, and has no
answer ids or submission order; it holds every answer in the report's scope,
so its length tells nothing the page does not, and it is given only where
the page shows the scope's headcount as it is (no group of 1 to 9 behind it).
A scope of fewer than 10 children gives no list. A list narrowed by survey,
months, township, band or gender is given only where every township × band
group in it has 0 or at least 10 children, so that no two lists can be
compared to single out a smaller group, and where every theme and task in it
has no group of 1 to 9 across that narrowing, since counting a list's rows by
theme gives the counts the report's tables show; a theme filter narrows by
what was said, not by who said it.
"""

from collections import Counter
from dataclasses import dataclass

from analysis.disclosure import HIDDEN, THRESHOLD, crossed_allowed

TOO_FEW = (
    f"范围内不到 {THRESHOLD} 名孩子，不能导出回答明细：人这么少，读原话就可能认出是谁。"
)
CROSSED = (
    f"这个范围里，按乡镇（街道）× 年龄段交叉后有的格子不到 {THRESHOLD} 名孩子。"
    "按问卷、月份、乡镇（街道）、年龄段或性别筛选的回答明细，要每个格子都有 "
    f"{THRESHOLD} 名以上孩子才能导出，否则把两份明细对照，就能找出一小群孩子"
    "说的话。可以不加这些筛选导出全部回答，或只按主题筛选。"
)


HIDDEN_SCOPE = (
    "这个范围的孩子人数不能显示，所以也不能导出回答明细：明细的行数就是人数。"
    "可以放宽筛选条件，或只按主题筛选。"
)
THEMES = (
    "这份回答明细里，有的主题或任务按所选的问卷、月份、乡镇（街道）、年龄段或性别"
    f"细分后有的格子不到 {THRESHOLD} 名孩子：数一数明细里谈到它的回答，"
    "就能算出报告里隐去的数字。可以不加这些筛选导出全部回答，或只按主题筛选。"
)


@dataclass(frozen=True)
class Plan:
    """Whether a scope's answers may be exported, and with which columns."""

    #: why the list is refused, for staff; None if it may be exported
    refusal: str | None
    #: the survey and question columns: only if every survey has 10+ children
    with_survey: bool = False


def plan(scope) -> Plan:
    """Decide whether the answers of a report's scope (reports.Scope) may leave."""
    children = list({row.response_id: row for row in scope.rows}.values())
    if scope.head.value == HIDDEN or (scope.head.safe and len(children) < THRESHOLD):
        return Plan(TOO_FEW)
    if not scope.head.safe:
        return Plan(HIDDEN_SCOPE)

    published = scope.published
    cell = published.normal(scope.cell)
    if scope.cell.where and not crossed_allowed(
        Counter((child.township, child.band) for child in children)
    ):
        return Plan(CROSSED)
    keys = {key for row in scope.rows for key in scope.keys.get(row.answer_id, ())}
    if cell.where and not all(
        published.clean(cell.need | {key}, cell.dims) for key in keys
    ):
        return Plan(THEMES)
    return Plan(None, published.clean(cell.need, {*cell.dims, "survey"}))
