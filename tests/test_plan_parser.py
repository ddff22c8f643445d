"""Tests for the action-plan parser, on the Yueqing plan and on broken plans."""

import dataclasses
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from participation.plan import (
    PlanFormatError,
    Target,
    find_targets,
    parse_plan,
    read_plan,
)

DATA = Path(__file__).parent / "data"
REPO_SEED = Path(__file__).parents[1] / "data/plans/yueqing-2022-2024.txt"
SHARED_SEED = Path(__file__).parents[2] / "shared/seeds/000_d6e65f9f2718463f.txt"

DOMAIN_TITLES = (
    "完善市域友好政策体系",
    "建立城乡均衡服务体系",
    "发展普惠儿童保障体系",
    "打造适宜儿童成长空间",
    "营造友善人文社会环境",
    "构建创新儿童产业生态",
)
TASKS_PER_DOMAIN = {
    1: range(1, 5),
    2: range(5, 15),
    3: range(15, 18),
    4: range(18, 23),
    5: range(23, 30),
    6: range(30, 33),
}
PLAN_YEARS = {str(year) for year in range(2018, 2031)}


def seed_path() -> Path:
    """Return the Yueqing plan: $TONGSHENG_SEED, the repo copy, or the shared one."""
    if os.environ.get("TONGSHENG_SEED"):
        return Path(os.environ["TONGSHENG_SEED"])
    return REPO_SEED if REPO_SEED.exists() else SHARED_SEED


@pytest.fixture(scope="module")
def seed_text() -> str:
    """Read the seed plan's text."""
    path = seed_path()
    if not path.exists():
        pytest.fail(f"seed plan not found at {path}; set TONGSHENG_SEED")
    return path.read_text(encoding="utf-8-sig")


@pytest.fixture(scope="module")
def plan(seed_text):
    """Parse the seed plan once for the module."""
    return parse_plan(seed_text)


@pytest.fixture(scope="module")
def tasks(plan):
    """Map task numbers to tasks."""
    return {task.number: task for task in plan.tasks}


def line_of(text: str, start: str) -> int:
    """Return the 1-based number of the only line starting with `start`."""
    numbers = [
        number
        for number, line in enumerate(text.split("\n"), start=1)
        if line.strip().startswith(start)
    ]
    assert len(numbers) == 1, f"{start!r} found on lines {numbers}"
    return numbers[0]


def replace_line(text: str, start: str, new: str | None) -> str:
    """Replace (or with None, delete) the only line starting with `start`."""
    lines = text.split("\n")
    index = line_of(text, start) - 1
    lines[index : index + 1] = [] if new is None else [new]
    return "\n".join(lines)


def insert_after(text: str, start: str, new: str) -> str:
    """Insert a line after the only line starting with `start`."""
    lines = text.split("\n")
    lines.insert(line_of(text, start), new)
    return "\n".join(lines)


def drop_lines(text: str, first: str, stop: str) -> str:
    """Delete the lines from the one starting `first` up to the one `stop`."""
    lines = text.split("\n")
    del lines[line_of(text, first) - 1 : line_of(text, stop) - 1]
    return "\n".join(lines)


def figures(task) -> list[tuple]:
    """Return a task's targets as (amount, unit, comparison, by_year, per_year)."""
    return [
        (t.amount, t.unit, t.comparison, t.by_year, t.per_year) for t in task.targets
    ]


def test_title(plan):
    assert plan.title == "乐清市儿童友好城市建设三年行动方案（2022-2024年）"


def test_32_tasks_in_order(plan):
    assert [task.number for task in plan.tasks] == list(range(1, 33))


def test_domain_titles(plan):
    assert [domain.number for domain in plan.domains] == [1, 2, 3, 4, 5, 6]
    assert tuple(domain.title for domain in plan.domains) == DOMAIN_TITLES


def test_tasks_per_domain(plan):
    found = {d.number: [t.number for t in d.tasks] for d in plan.domains}

    assert found == {number: list(span) for number, span in TASKS_PER_DOMAIN.items()}
    assert [len(d.tasks) for d in plan.domains] == [4, 10, 3, 5, 7, 3]


@pytest.mark.parametrize(
    ("number", "title"),
    [
        (1, "推动儿童优先融入政策创新"),
        (3, "推动儿童深度参与城市生活"),
        (8, "加强特殊教育资源建设"),
        (16, "推进残疾儿童康复服务"),
        (30, "打造儿童产业生态链"),
        (32, "培育儿童友好试点企业"),
    ],
)
def test_task_titles(tasks, number, title):
    assert tasks[number].title == title


def test_goals_and_principles_are_not_tasks(plan):
    titles = {task.title for task in plan.tasks}

    assert not titles & {"完善市域友好政策体系", "建立城乡均衡服务体系"}
    assert "规划引导，系统推进" not in {d.title for d in plan.domains}


def test_task_1_units(tasks):
    assert tasks[1].lead_units == ("市委办", "市府办", "市发改局", "市妇儿工委办")
    assert tasks[1].partner_units == (
        "市委改革办",
        "市教育局",
        "市公安局",
        "市财政局",
        "市文化和广电旅游体育局",
        "市卫生健康局",
        "团市委",
        "市大数据管理中心",
    )


@pytest.mark.parametrize(
    ("number", "lead", "partners"),
    [
        (6, ("市教育局",), ("市财政局",)),
        (8, ("市教育局",), ("市残联",)),
        (13, ("市医疗保障局",), ("市民政局", "市卫生健康局")),
        (16, ("市残联",), ("市民政局", "市卫生健康局")),
        (
            27,
            ("市妇儿工委办", "市法院", "市检察院", "市公安局", "市司法局"),
            ("市委政法委", "市教育局", "市民政局", "市卫生健康局", "团市委", "市妇联"),
        ),
        (
            32,
            ("市经信局",),
            (
                "市发改局",
                "市商务局",
                "市市场监管局",
                "市科技局",
                "市文化和广电旅游体育局",
                "市妇联",
            ),
        ),
    ],
)
def test_task_units(tasks, number, lead, partners):
    assert tasks[number].lead_units == lead
    assert tasks[number].partner_units == partners


def test_units_line_right_after_body(tasks):
    assert tasks[22].lead_units == ("市教育局", "市应急管理局")
    assert len(tasks[22].partner_units) == 15
    assert tasks[22].partner_units[-1] == "市消防救援大队"


def test_task_18_has_three_leads_and_fifteen_partners(tasks):
    assert tasks[18].lead_units == ("市妇儿工委办", "市自然资源和规划局", "市住建局")
    assert len(tasks[18].partner_units) == 15
    assert tasks[18].partner_units[0] == "市教育局"
    assert tasks[18].partner_units[-1] == "市交通水利集团"


@pytest.mark.parametrize("number", [2, 3, 5, 14, 19, 24, 30, 31])
def test_townships_stay_one_unit(tasks, number):
    assert tasks[number].partner_units[-1] == "各乡镇（街道）"
    assert "街道）" not in tasks[number].partner_units


def test_units_are_clean(plan):
    for task in plan.tasks:
        for unit in task.lead_units + task.partner_units:
            assert unit == unit.strip()
            assert unit.count("（") == unit.count("）")
            assert not set(unit) & set("、，,。：；")


def test_bodies_stop_before_units(plan, tasks):
    assert tasks[1].body.startswith("制定城市经济社会发展规划优先考虑儿童需求")
    assert tasks[1].body.endswith(
        "形成党政部门、乡镇（街道）协同共建与共享赋能的友好互动局面。"
    )
    for task in plan.tasks:
        assert task.body
        assert "牵头单位" not in task.body
        assert "配合单位" not in task.body


def test_task_32_body_ends_before_organisation_section(tasks):
    assert tasks[32].body.endswith("积极举办、参加各级各类儿童友好产品路演展销活动。")


def test_task_1_target(tasks):
    assert tasks[1].targets == (
        Target("每年至少开展1次专题研究", "专题研究", "1", "次", None, True, "≥"),
    )


def test_task_3_targets(tasks):
    coverage, training, activities = tasks[3].targets

    assert "全覆盖" in coverage.text
    assert coverage.what == "乡镇（街道）儿童参与组织"
    assert (coverage.amount, coverage.unit, coverage.by_year) == ("100", "%", 2024)
    assert not coverage.per_year
    assert (training.what, training.amount, training.unit) == (
        "儿童参与专题培训",
        "1",
        "次",
    )
    assert (training.comparison, training.per_year) == ("≥", True)
    assert (activities.what, activities.amount, activities.unit) == (
        "儿童参与主题活动",
        "3",
        "场",
    )
    assert (activities.comparison, activities.per_year) == ("≥", True)


def test_task_5_targets(tasks):
    places, coverage = tasks[5].targets

    assert places.text == "每千常住人口拥有0-3岁婴幼儿托位数4.5个"
    assert (places.amount, places.unit, places.by_year) == ("4.5", "个", 2025)
    assert (coverage.amount, coverage.unit, coverage.by_year) == ("100", "%", 2025)
    assert "基本全覆盖" in coverage.text


def test_task_6_targets(tasks):
    assert [(t.what, t.amount, t.unit) for t in tasks[6].targets] == [
        ("新增公办幼儿园学位", "5400", "个"),
        ("普惠性幼儿园覆盖率", "93.5", "%"),
        ("优质幼儿园（省级一、二级）覆盖率", "75", "%"),
    ]
    assert [t.by_year for t in tasks[6].targets] == [2025, 2025, 2025]
    assert [t.comparison for t in tasks[6].targets] == ["=", "≥", "≥"]


def test_task_10_ceilings_and_floors(tasks):
    assert figures(tasks[10]) == [
        ("90", "%", "≥", None, False),
        ("7", "/100000", "≤", None, False),
        ("9", "‰", "≤", None, False),
        ("1000", "人", "≥", None, True),
    ]


def test_task_11_skips_baseline_year_and_age(tasks):
    assert figures(tasks[11]) == [
        ("90", "%", "≥", None, False),
        ("1", "个百分点", "≥", None, True),
        ("25", "%", "≤", 2025, False),
    ]
    assert tasks[11].targets[2].what == "12岁儿童龋齿率"


def test_task_16_skips_age_range(tasks):
    assert figures(tasks[16]) == [
        ("100", "%", "=", 2025, False),
        ("100", "%", "=", 2025, False),
    ]


def test_task_32_yearly_and_by_2024(tasks):
    assert figures(tasks[32]) == [
        ("1", "个", "≥", None, True),
        ("3", "个", "≥", 2024, False),
    ]
    assert {t.what for t in tasks[32].targets} == {"儿童友好试点企业"}


def test_dated_milestones_without_figures(tasks):
    milestone, charity = tasks[4].targets

    assert milestone.text.startswith("到2022年，乡镇(街道)建立儿童工作队伍")
    assert (milestone.amount, milestone.unit, milestone.comparison) == (
        None,
        None,
        None,
    )
    assert milestone.by_year == 2022
    assert (charity.amount, charity.unit, charity.per_year) == ("2", "个", True)
    assert [t.by_year for t in tasks[19].targets] == [2023, 2025]


def test_borrowed_subject_for_bare_count(tasks):
    target = tasks[22].targets[0]

    assert target.text.endswith("全市每所学校每年开展不少于2次")
    assert target.what.startswith("儿童防灾减灾安全教育")


@pytest.mark.parametrize("number", [2, 17, 18, 23, 28, 30, 31])
def test_tasks_without_targets(tasks, number):
    assert tasks[number].targets == ()


def test_targets_come_from_their_body(plan):
    for task in plan.tasks:
        for target in task.targets:
            assert target.text in task.body
            assert target.what
            assert target.amount not in PLAN_YEARS
            assert target.unit not in {"岁", "周岁", "年"}


def test_target_count(plan):
    assert sum(len(task.targets) for task in plan.tasks) == 44


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("毕业率达95%左右。", [("95", "%", "≈", None, False)]),
        ("到2026年底建成1处儿童公园。", [("1", "处", "=", 2026, False)]),
        ("截至2022年，已建成10个。", [("10", "个", "=", None, False)]),
        ("2027年前实现全覆盖。", [("100", "%", "=", 2027, False)]),
        (
            "每年A不少于2次，B至少3个C。",
            [("2", "次", "≥", None, True), ("3", "个", "≥", None, False)],
        ),
        ("依据浙政妇儿工委〔2022〕5号文件，第1次会议于2023年召开。", []),
        ("关注生命早期1000天，推行“1米高度看城市”，服务3岁以下婴幼儿。", []),
        ("到2030年，建立儿童议事会。", [(None, None, None, 2030, False)]),
        ("每年举办１５场活动。", [("15", "场", "=", None, True)]),
    ],
)
def test_find_targets_phrases(body, expected):
    found = find_targets(body)

    assert [
        (t.amount, t.unit, t.comparison, t.by_year, t.per_year) for t in found
    ] == expected


def test_read_plan_matches_parse_plan(plan):
    assert read_plan(seed_path()) == plan
    assert read_plan(str(seed_path())) == plan


def test_bom_and_crlf_accepted(tmp_path, seed_text, plan):
    path = tmp_path / "plan.txt"
    path.write_bytes(b"\xef\xbb\xbf" + seed_text.replace("\n", "\r\n").encode())

    assert read_plan(path) == plan
    assert parse_plan("\ufeff" + seed_text) == plan


def test_small_plan_variants():
    plan = read_plan(DATA / "plan_small.txt")
    first, second, third = plan.tasks

    assert plan.title == "示例区儿童友好城市建设行动计划（2025-2027年）"
    assert [d.title for d in plan.domains] == ["友好政策", "友好空间"]
    assert first.body.startswith("每年至少召开4次儿童议事会。")
    assert first.partner_units == ()
    assert second.lead_units == ("区教育局", "区民政局（区社会福利中心、区救助站）")
    assert second.partner_units == ("各街道(镇)", "区团委")
    assert third.partner_units == ("区自然资源局", "区城管局")
    assert figures(second) == [("500", "份", "≥", None, True)]


def test_plans_are_frozen(plan):
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.tasks[0].title = "changed"


BAD_TEXT = [
    pytest.param(lambda seed: "", lambda text: 1, "empty", id="empty"),
    pytest.param(lambda seed: "\n \n\u3000\n", lambda text: 1, "empty", id="blank"),
    pytest.param(
        lambda seed: "Action plan\n\n1. Build parks.\nLead: the city.\n",
        lambda text: 1,
        "行动任务",
        id="english",
    ),
    pytest.param(
        lambda seed: replace_line(seed, "5．发展普惠托育服务", "5．发展\x00服务。"),
        lambda text: line_of(text, "5．发展"),
        "binary",
        id="nul",
    ),
    pytest.param(
        lambda seed: replace_line(seed, "四、行动任务", None),
        lambda text: 1,
        "行动任务",
        id="no-task-section",
    ),
    pytest.param(
        lambda seed: drop_lines(seed, "（一）完善市域友好政策体系", "五、组织实施"),
        lambda text: line_of(text, "四、行动任务"),
        "no tasks",
        id="no-tasks",
    ),
    pytest.param(
        lambda seed: replace_line(seed, "牵头单位：市委办", None),
        lambda text: line_of(text, "2．推动儿童视角引导城市规划"),
        'expected a "牵头单位：" line for task 1',
        id="task-1-without-units",
    ),
    pytest.param(
        lambda seed: replace_line(
            seed,
            "牵头单位：市文化和广电旅游体育局，配合单位：市委宣传部、市教育局、市科技局",
            None,
        ),
        lambda text: line_of(text, "（三）发展普惠儿童保障体系"),
        "task 14",
        id="last-task-of-domain-without-units",
    ),
    pytest.param(
        lambda seed: replace_line(seed, "牵头单位：市经信局，配合单位：市发改局", None),
        lambda text: line_of(text, "五、组织实施"),
        "task 32",
        id="last-task-without-units",
    ),
    pytest.param(
        lambda seed: replace_line(seed, "8．加强特殊教育", "7．加强特殊教育资源建设。"),
        lambda text: line_of(text, "7．加强特殊教育"),
        "task 7 repeated",
        id="duplicated-task",
    ),
    pytest.param(
        lambda seed: replace_line(seed, "8．加强特殊教育", "9．加强特殊教育资源建设。"),
        lambda text: line_of(text, "9．加强特殊教育"),
        "expected task 8, found task 9",
        id="skipped-task",
    ),
    pytest.param(
        lambda seed: drop_lines(seed, "30．打造儿童产业生态链", "五、组织实施"),
        lambda text: line_of(text, "（六）构建创新儿童产业生态"),
        "domain 6",
        id="domain-without-tasks",
    ),
    pytest.param(
        lambda seed: replace_line(
            seed, "（三）发展普惠", "（四）发展普惠儿童保障体系。"
        ),
        lambda text: line_of(text, "（四）发展普惠"),
        "expected domain 3",
        id="domain-out-of-order",
    ),
    pytest.param(
        lambda seed: replace_line(seed, "（一）完善市域友好政策体系", None),
        lambda text: line_of(text, "1．推动儿童优先融入政策创新"),
        "before any domain",
        id="task-before-domain",
    ),
    pytest.param(
        lambda seed: replace_line(
            seed,
            "牵头单位：市教育局，配合单位：市财政局",
            "牵头单位：，配合单位：市财政局。",
        ),
        lambda text: line_of(text, "牵头单位：，"),
        "no lead unit",
        id="empty-lead",
    ),
    pytest.param(
        lambda seed: insert_after(
            seed, "牵头单位：市教育局，配合单位：市财政局", "附：学位数按年度核定。"
        ),
        lambda text: line_of(text, "附：学位数"),
        "unexpected text after the units of task 6",
        id="text-after-units",
    ),
    pytest.param(
        lambda seed: insert_after(
            seed, "牵头单位：市教育局，配合单位：市残联", "牵头单位：市残联。"
        ),
        lambda text: line_of(text, "牵头单位：市残联。"),
        "second",
        id="second-units-line",
    ),
]


@pytest.mark.parametrize(("edit", "locate", "words"), BAD_TEXT)
def test_bad_text_names_the_line(seed_text, edit, locate, words):
    text = edit(seed_text)

    with pytest.raises(PlanFormatError) as caught:
        parse_plan(text)

    line = locate(text)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"line {line}: ")
    assert words in str(caught.value)


def test_restarted_numbering_rejected():
    with pytest.raises(PlanFormatError, match=r"^line 14: task 1 repeated"):
        read_plan(DATA / "plan_restarts_numbering.txt")


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("plan_gb18030.txt", None, 4),
        ("utf16.txt", "四、行动任务\n".encode("utf-16"), 1),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", 1),
    ],
)
def test_non_utf8_file_named(tmp_path, name, content, line):
    path = DATA / name
    if content is not None:
        path = tmp_path / name
        path.write_bytes(content)

    with pytest.raises(PlanFormatError) as caught:
        read_plan(path)

    assert caught.value.line == line
    assert name in str(caught.value)


def test_dropping_any_line_parses_or_fails_cleanly(seed_text, plan):
    lines = seed_text.split("\n")
    rejected = set()
    for number in range(1, len(lines) + 1):
        try:
            parse_plan("\n".join(lines[: number - 1] + lines[number:]))
        except PlanFormatError as err:
            assert 1 <= err.line <= len(lines)
            rejected.add(number)

    headings = {line_of(seed_text, f"{t.number}．{t.title}") for t in plan.tasks}
    units = {n for n, line in enumerate(lines, 1) if line.startswith("牵头单位：")}
    assert len(headings) == len(units) == 32
    assert headings | units | {line_of(seed_text, "四、行动任务")} <= rejected
    assert line_of(seed_text, "（二）建立城乡均衡服务体系") in rejected
    assert line_of(seed_text, "二、行动原则") not in rejected


@settings(max_examples=150, deadline=None)
@given(
    st.text(
        alphabet="四五、（一）二1２.．牵头单位：配合，。行动任务组织实施\n 儿童x",
        max_size=200,
    )
)
def test_any_text_parses_or_fails_cleanly(text):
    try:
        plan = parse_plan(text)
    except PlanFormatError as err:
        assert err.line >= 1
    else:
        assert plan.tasks
