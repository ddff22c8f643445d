"""Property tests of the plan import: a damaged file names its problem, changes nothing.

Files are the real Yueqing plan with lines deleted, repeated, swapped, cut,
lengthened or replaced by junk, plus arbitrary bytes.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import DATA_DIR
from participation.plan import PlanFormatError, read_plan
from tests.test_fuzz_kiosk import row_counts

SEED = DATA_DIR / "plans/yueqing-2022-2024.txt"
LINES = SEED.read_text(encoding="utf-8").splitlines()
PLAN_TABLES = ("domain", "task", "taskunit", "target")

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
PLAN_LIKE = st.sampled_from(
    [
        "四、行动任务",
        "五、组织实施",
        "（一）完善市域友好政策体系。",
        "（七）多出来的领域。",
        "（十一）",
        "1．推动儿童优先融入政策创新。",
        "33．凭空多出的任务。",
        "0．",
        "999．很大的编号。",
        "牵头单位：",
        "牵头单位：市教育局，配合单位：",
        "配合单位：市财政局",
        "到2025年，覆盖率达100%以上。",
        "每年至少开展99999999999999999999次活动。",
        "\x00",
        "\ufeff",
        "\u202e任务",
    ]
)
JUNK_LINE = PLAN_LIKE | st.text(max_size=60) | st.integers(201, 5000).map("字".__mul__)


@st.composite
def damaged_plans(draw):
    """Return the seed's lines with a few random edits."""
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        edit = draw(
            st.sampled_from(["delete", "repeat", "swap", "replace", "insert", "cut"])
        )
        at = draw(st.integers(0, len(lines) - 1)) if lines else 0
        if not lines:
            lines.append(draw(JUNK_LINE))
        elif edit == "delete":
            del lines[at]
        elif edit == "repeat":
            lines.insert(at, lines[at])
        elif edit == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif edit == "replace":
            lines[at] = draw(JUNK_LINE)
        elif edit == "insert":
            lines.insert(at, draw(JUNK_LINE))
        else:
            lines = lines[:at]
    return "\n".join(lines)


def _plan_counts(session):
    """Return the row counts of the plan's tables."""
    counts = row_counts(session)
    return {name: counts[name] for name in PLAN_TABLES}


def _import(runner, path):
    """Run flask plan import on path."""
    return runner.invoke(args=["plan", "import", str(path)])


def _assert_clean_outcome(result, before, after):
    """Check an import: done, or refused with a message and nothing changed."""
    if result.exit_code == 0:
        assert "imported" in result.output
        return
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "Error:" in result.output and "Traceback" not in result.output
    assert after == before


@FUZZ
@given(text=damaged_plans())
def test_damaged_plan_is_imported_or_refused_whole(runner, seeded, tmp_path, text):
    path = tmp_path / "plan.txt"
    path.write_text(text, encoding="utf-8")
    before = _plan_counts(seeded)

    result = _import(runner, path)

    _assert_clean_outcome(result, before, _plan_counts(seeded))


@FUZZ
@given(
    data=st.binary(max_size=400) | st.binary(max_size=50).map(SEED.read_bytes().__add__)
)
def test_any_bytes_are_imported_or_refused_whole(runner, seeded, tmp_path, data):
    path = tmp_path / "plan.txt"
    path.write_bytes(data)
    before = _plan_counts(seeded)

    result = _import(runner, path)

    _assert_clean_outcome(result, before, _plan_counts(seeded))


@settings(FUZZ, max_examples=200)
@given(text=damaged_plans())
def test_parser_raises_only_plan_format_errors(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("plan") / "plan.txt"
    path.write_text(text, encoding="utf-8")

    try:
        plan = read_plan(path)
    except PlanFormatError as exc:
        assert exc.line >= 1 and exc.message
        return
    numbers = [task.number for task in plan.tasks]
    assert numbers == list(range(1, len(numbers) + 1))
