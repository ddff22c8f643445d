"""Answer files from 问卷星-style tools: mapping, labels, checks, storing once."""

import copy

import openpyxl
import pytest
from sqlmodel import func, select

from surveys import answer_import
from surveys.editor_forms import blank_spec, create_survey
from surveys.models import Answer, Launch, Response, Survey
from surveys.xlsform import read_form
from tests.test_xlsform import make_form

HEADER = [
    "序号",
    "提交答卷时间",
    "所用时间",
    "来自IP",
    "1、你每天上学和放学的路上，觉得安全吗？",
    "2、上学路上，哪些事情让你担心？可以选几个。",
    "3、你家附近有可以玩的地方吗？",
    "4、如果家门口多一个地方，你最想要哪一种？",
    "5、如果你能让乐清变得更好，你最想做什么？",
]
ROWS = [
    [
        "1",
        "2024/5/1 10:00:01",
        "95秒",
        "10.0.0.1",
        "有点怕",
        "车开得太快┋路上太黑",
        "有",
        "游乐场",
        "希望学校门口有红绿灯",
    ],
    [
        "2",
        "2024/5/1 10:02:11",
        "80秒",
        "10.0.0.2",
        "很安全",
        "(跳过)",
        "没有",
        "草地、小树林和小河",
        "多建几个公园",
    ],
    [
        "3",
        "2024/5/1 10:03:40",
        "60秒",
        "10.0.0.3",
        "还行",
        "校门口车太挤",
        "我不想回答",
        "球场",
        "(空)",
    ],
]


def write_csv(path, header=HEADER, rows=ROWS, encoding="utf-8-sig"):
    """Write an answer file the way the survey tools export CSV."""
    lines = [",".join(f'"{cell}"' for cell in row) for row in [header, *rows]]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def count(session, model):
    """Return how many rows a table holds now."""
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def run(runner, path, *extra, survey="needs", band="9-11"):
    """Run the import command with --yes."""
    args = ["surveys", "import-answers", str(path), "--survey", survey]
    args += ["--band", band, "--place", "乐成街道", "--yes", *extra]
    return runner.invoke(args=args)


@pytest.fixture
def answers_csv(tmp_path):
    return write_csv(tmp_path / "answers.csv")


def test_columns_map_by_prompt_text(seeded, answers_csv):
    table = answer_import.read_table(answers_csv)
    spec = seeded.exec(select(Survey).where(Survey.key == "needs")).one().spec
    columns = answer_import.propose_mapping(table, spec, "9-11")

    assert [c.key for c in columns] == [
        None,
        None,
        None,
        None,
        "safe_way",
        "way_worry",
        "play_place",
        "play_want",
        "wish",
    ]
    assert columns[4].how == "题目文字相同"
    assert columns[4].letter == "E"


def test_import_stores_rows_once(runner, seeded, answers_csv):
    first = run(runner, answers_csv)
    again = run(runner, answers_csv)

    assert first.exit_code == 0, first.output
    assert "3 responses stored, 0 imported before" in first.output
    assert "0 responses stored, 3 imported before" in again.output
    assert count(seeded, Response) == 3
    launch = seeded.exec(select(Launch).where(Launch.code.startswith("IM"))).one()
    assert launch.closed_at is not None
    assert (launch.band, launch.township_code) == ("9-11", "lecheng")


def test_stored_values_and_skips(runner, seeded, answers_csv):
    run(runner, answers_csv)
    digest = answer_import.read_table(answers_csv).digest

    def answers(row):
        rid = answer_import.response_id(digest, row)
        stored = seeded.exec(select(Answer).where(Answer.response_id == rid)).all()
        return {
            a.question_key: a.value if a.text is None else a.text for a in stored
        }, {a.question_key for a in stored if a.skipped}

    assert answers(2) == (
        {
            "safe_way": "unsafe",
            "way_worry": ["cars_fast", "dark"],
            "play_place": "yes",
            "play_want": "playground",
            "wish": "希望学校门口有红绿灯",
        },
        set(),
    )
    values, skipped = answers(4)
    assert "wish" not in values and skipped == {"play_place"}
    assert answers(3)[0]["play_want"] == "nature"
    stored_text = [a.text for a in seeded.exec(select(Answer)).all() if a.text]
    assert not any("10.0.0" in text for text in stored_text)


def test_open_answers_are_screened(runner, seeded, answers_csv):
    run(runner, answers_csv)

    texts = seeded.exec(select(Answer).where(Answer.text.is_not(None))).all()

    assert len(texts) == 2
    assert all(answer.masked is not None for answer in texts)


def test_unknown_label_stores_nothing(runner, seeded, tmp_path):
    rows = copy.deepcopy(ROWS)
    rows[1][7] = "滑板场"
    path = write_csv(tmp_path / "bad.csv", rows=rows)

    result = run(runner, path)

    assert result.exit_code == 1
    assert "row 3, column H (play_want): unknown option '滑板场'" in result.output
    assert "Traceback" not in result.output
    assert count(seeded, Response) == 0
    assert count(seeded, Launch) == 0


def test_skip_logic_is_checked(runner, seeded, tmp_path):
    rows = copy.deepcopy(ROWS)
    rows[1][5] = "路上太黑"
    path = write_csv(tmp_path / "bad.csv", rows=rows)

    result = run(runner, path)

    assert result.exit_code == 1
    assert "row 3: 问题 way_worry 按跳题规则不该出现" in result.output
    assert count(seeded, Response) == 0


def test_confirmation_can_stop_the_import(runner, seeded, answers_csv):
    args = ["surveys", "import-answers", str(answers_csv), "--survey", "needs"]
    result = runner.invoke(
        args=[*args, "--band", "9-11", "--place", "lecheng"], input="n\n"
    )

    assert result.exit_code == 1
    assert "E  1、你每天上学和放学的路上，觉得安全吗？ → safe_way" in result.output
    assert "D  来自IP → (not imported)" in result.output
    assert count(seeded, Response) == 0


def test_map_overrides_and_leaves_out(runner, seeded, tmp_path):
    header = HEADER[:8] + ["5、随便说点什么吧"]
    path = write_csv(tmp_path / "answers.csv", header=header)

    result = run(runner, path, "--map", "5=worry", "--map", "F=-")

    assert result.exit_code == 0, result.output
    assert (
        "F  2、上学路上，哪些事情让你担心？可以选几个。 → (not imported)"
        in result.output
    )
    keys = {a.question_key for a in seeded.exec(select(Answer)).all()}
    assert "worry" in keys and "way_worry" not in keys and "wish" not in keys


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ("Z=wish", "no such column"),
        ("E=council", "no question 'council' for this age band"),
        ("E", "write COLUMN=KEY"),
    ],
)
def test_bad_map_is_refused(runner, seeded, answers_csv, mapping, message):
    result = run(runner, answers_csv, "--map", mapping)

    assert result.exit_code == 1
    assert message in result.output
    assert count(seeded, Response) == 0


def test_gb18030_csv_is_read(runner, seeded, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", encoding="gb18030")

    result = run(runner, path)

    assert result.exit_code == 0, result.output
    assert count(seeded, Response) == 3


def test_same_file_for_another_band_is_refused(runner, seeded, answers_csv):
    run(runner, answers_csv)

    result = run(runner, answers_csv, band="12-14")

    assert result.exit_code == 1
    assert count(seeded, Response) == 3


def test_xlsx_with_numbered_headers_and_new_types(runner, seeded, tmp_path):
    spec = blank_spec("club", "课后活动")
    spec["questions"] += [
        {
            "key": "grade",
            "type": "number",
            "practice": False,
            "prompt": dict.fromkeys(("6-8", "9-11", "12-14", "15-17"), "几年级？"),
            "min": 1,
            "max": 12,
        },
        {
            "key": "order",
            "type": "ranking",
            "practice": False,
            "prompt": dict.fromkeys(("6-8", "9-11", "12-14", "15-17"), "排一排"),
            "options": [
                {"value": "slide", "label": "滑梯"},
                {"value": "swing", "label": "秋千"},
                {"value": "sand", "label": "沙坑"},
            ],
        },
    ]
    create_survey(seeded, spec)
    book = openpyxl.Workbook()
    for row in [["Q1.", "Q2."], [5, "秋千→沙坑→滑梯"], [12.0, "滑梯┋秋千┋沙坑"]]:
        book.active.append(row)
    book.save(tmp_path / "answers.xlsx")

    result = run(runner, tmp_path / "answers.xlsx", survey="club", band="12-14")

    assert result.exit_code == 0, result.output
    assert "A  Q1. → grade  [按题号]" in result.output
    values = sorted(
        (a.question_key, a.value) for a in seeded.exec(select(Answer)).all()
    )
    assert values == [
        ("grade", 5),
        ("grade", 12),
        ("order", ["slide", "swing", "sand"]),
        ("order", ["swing", "sand", "slide"]),
    ]


@pytest.mark.parametrize(
    ("grade", "order", "message"),
    [
        ("五", "滑梯→秋千→沙坑", "row 2, column A (grade): not a whole number"),
        (13, "滑梯→秋千→沙坑", "row 2: 问题 grade 的数字超出了范围"),
        (3, "滑梯→秋千", "row 2: 问题 order 需要把每个选项排一次顺序"),
    ],
)
def test_bad_numbers_and_rankings(runner, seeded, tmp_path, grade, order, message):
    spec = blank_spec("club", "课后活动")
    spec["questions"] += [
        {
            "key": "grade",
            "type": "number",
            "practice": False,
            "prompt": dict.fromkeys(("6-8", "9-11", "12-14", "15-17"), "几年级？"),
            "min": 1,
            "max": 12,
        },
        {
            "key": "order",
            "type": "ranking",
            "practice": False,
            "prompt": dict.fromkeys(("6-8", "9-11", "12-14", "15-17"), "排一排"),
            "options": [
                {"value": "slide", "label": "滑梯"},
                {"value": "swing", "label": "秋千"},
                {"value": "sand", "label": "沙坑"},
            ],
        },
    ]
    create_survey(seeded, spec)
    path = write_csv(tmp_path / "a.csv", header=["Q1", "Q2"], rows=[[grade, order]])

    result = run(runner, path, survey="club", band="12-14")

    assert result.exit_code == 1
    assert message in result.output
    assert count(seeded, Response) == 0


def test_words_after_other_go_to_the_follow_up(runner, seeded, tmp_path):
    form = make_form(
        tmp_path / "pets.xlsx",
        [
            ["type", "name", "label"],
            ["select_one pets or_other", "pet", "你养了什么？"],
        ],
        [["list_name", "name", "label"], ["pets", "cat", "猫"], ["pets", "dog", "狗"]],
        [["form_id"], ["pets"]],
    )
    create_survey(seeded, read_form(form).spec)
    path = write_csv(
        tmp_path / "a.csv",
        header=["1、你养了什么？"],
        rows=[["其他〖小乌龟〗"], ["猫"]],
    )

    result = run(runner, path, survey="pets", band="15-17")

    assert result.exit_code == 0, result.output
    stored = {(a.question_key, a.value or a.text) for a in seeded.exec(select(Answer))}
    assert stored == {("pet", "other"), ("pet_other", "小乌龟"), ("pet", "cat")}
    assert "小乌龟" not in result.output


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "is empty"),
        (b"\xff\xfe\x00", "bad.csv", "neither UTF-8 nor GB18030"),
        (b"PK\x03\x04broken", "bad.xlsx", "cannot be read as an .xlsx workbook"),
        (b"a,b\n1,2\n", "answers.pdf", "use a .csv or .xlsx file"),
    ],
)
def test_unreadable_files(runner, seeded, tmp_path, content, name, message):
    path = tmp_path / name
    path.write_bytes(content)

    result = run(runner, path)

    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("header", "number", "text"),
    [
        ("1、你今年几年级？", 1, "你今年几年级？"),
        ("Q12.", 12, ""),
        ("Q3、你好", 3, "你好"),
        ("第4题：喜欢吗", 4, "喜欢吗"),
        ("10.你好", 10, "你好"),
        ("2024年的事", None, "2024年的事"),
        ("序号", None, "序号"),
    ],
)
def test_split_header(header, number, text):
    assert answer_import.split_header(header) == (number, text)
