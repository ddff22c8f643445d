"""XLSForm import and export: workbooks written here with openpyxl, the shared
pyxform test files when present, the CLI, and a round trip of every survey."""

from pathlib import Path

import openpyxl
import pytest
from sqlmodel import func, select

from surveys.editor_forms import check_spec
from surveys.models import Survey
from surveys.templates import builtin_templates
from surveys.xlsform import (
    XLSFormError,
    normalised,
    parse_bounds,
    parse_relevant,
    read_form,
    write_form,
)

SHARED = Path("/work/shared/xlsform")
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason="the shared pyxform test files are not on this machine"
)


def make_form(path, survey, choices=None, settings=None, extra=()):
    """Write an XLSForm workbook from lists of rows, the header first."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    for title, rows in (("choices", choices), ("settings", settings), *extra):
        if rows is None:
            continue
        other = book.create_sheet(title)
        for row in rows:
            other.append(row)
    book.save(path)
    return path


YES_NO = [
    ["list_name", "name", "label", "label::中文 (zh)"],
    ["yn", "yes", "Yes", "是的"],
    ["yn", "no", "No", "不是"],
]


@pytest.fixture
def form(tmp_path):
    """Return a factory writing a workbook under tmp_path."""
    return lambda *args, **kw: make_form(tmp_path / "form.xlsx", *args, **kw)


# ---------- what is imported ----------


def test_chinese_label_preferred_and_settings_used(form):
    path = form(
        [
            ["type", "name", "label::English (en)", "label::中文 (zh)"],
            ["select_one yn", "likes_park", "Do you like the park?", "你喜欢公园吗？"],
            ["text", "why", "Why?", ""],
        ],
        YES_NO,
        [["form_title", "form_id"], ["公园调查", "Park-Survey"]],
    )

    imported = read_form(path)

    spec = imported.spec
    assert (spec["key"], spec["title"]) == ("park_survey", "公园调查")
    first, second = spec["questions"]
    assert first["prompt"] == {"12-14": "你喜欢公园吗？", "15-17": "你喜欢公园吗？"}
    assert first["bands"] == ["12-14", "15-17"]
    assert first["options"] == [
        {"value": "yes", "label": "是的"},
        {"value": "no", "label": "不是"},
    ]
    assert second["prompt"]["15-17"] == "Why?"
    assert check_spec(spec)[0] == []


def test_bands_option_gives_the_wording_to_other_bands(form):
    path = form([["type", "name", "label"], ["text", "idea", "你有什么想法？"]])

    spec = read_form(path, bands=("9-11", "12-14", "15-17")).spec

    assert list(spec["questions"][0]["prompt"]) == ["9-11", "12-14", "15-17"]
    assert set(spec["intro"]) == {"9-11", "12-14", "15-17"}


def test_type_mapping_and_reports(form):
    path = form(
        [
            ["type", "name", "label", "constraint", "appearance"],
            ["select_multiple yn", "many", "多选", "", ""],
            ["select_one yn", "face", "表情", "", "likert"],
            ["rank yn", "order", "排序", "", ""],
            ["integer", "age", "几岁？", ". >= 6 and . <= 17", ""],
            ["decimal", "height", "多高？", "", ""],
            ["note", "hello", "你好", "", ""],
            ["geopoint", "where", "在哪？", "", ""],
            ["start", "start", "", "", ""],
        ],
        YES_NO,
    )

    imported = read_form(path)

    kinds = {q["key"]: q["type"] for q in imported.spec["questions"]}
    assert kinds == {
        "many": "multi",
        "face": "faces",
        "order": "ranking",
        "age": "number",
        "height": "number",
    }
    age = imported.spec["questions"][3]
    assert (age["min"], age["max"]) == (6, 17)
    assert set(imported.spec["questions"][1]["options"]) == {"12-14", "15-17"}
    text = "\n".join(imported.warnings)
    assert 'note "hello" skipped' in text
    assert 'type "geopoint" of "where" is not supported' in text
    assert '"start" skipped' in text
    assert "decimal imported as a whole number" in text


def test_groups_flatten_and_keep_their_label_as_a_note(form):
    path = form(
        [
            ["type", "name", "label"],
            ["begin group", "school", "学校生活"],
            ["begin_group", "inner", "课间"],
            ["text", "break_time", "课间你做什么？"],
            ["text", "lunch", "午饭好吃吗？"],
            ["end_group", "", ""],
            ["end group", "", ""],
            ["text", "after", "放学后呢？"],
        ]
    )

    questions = read_form(path).spec["questions"]

    assert [q["key"] for q in questions] == ["break_time", "lunch", "after"]
    assert questions[0]["note"] == "学校生活 · 课间"
    assert "note" not in questions[1] and "note" not in questions[2]


@pytest.mark.parametrize(
    ("relevant", "expected"),
    [
        ("${likes} = 'yes'", {"question": "likes", "in": ["yes"]}),
        ("selected(${likes}, 'no')", {"question": "likes", "in": ["no"]}),
        (
            "(${likes} = 'yes' or selected(${likes}, \"no\"))",
            {"question": "likes", "in": ["yes", "no"]},
        ),
    ],
)
def test_simple_relevant_becomes_show_if(form, relevant, expected):
    path = form(
        [
            ["type", "name", "label", "relevant"],
            ["select_one yn", "likes", "喜欢吗？", ""],
            ["text", "why", "为什么？", relevant],
        ],
        YES_NO,
    )

    imported = read_form(path)

    assert imported.spec["questions"][1]["show_if"] == expected
    assert imported.warnings == []


@pytest.mark.parametrize(
    "relevant",
    [
        "${likes} != 'yes'",
        "not(selected(${likes}, 'yes'))",
        "${likes} = 'yes' and ${age} > 3",
        "${likes} = 'maybe'",
        "${nothing} = 'yes'",
    ],
)
def test_complex_relevant_is_reported_not_guessed(form, relevant):
    path = form(
        [
            ["type", "name", "label", "relevant"],
            ["select_one yn", "likes", "喜欢吗？", ""],
            ["text", "why", "为什么？", relevant],
        ],
        YES_NO,
    )

    imported = read_form(path)

    assert "show_if" not in imported.spec["questions"][1]
    assert any(relevant in warning for warning in imported.warnings)


def test_group_relevant_applies_to_its_questions(form):
    path = form(
        [
            ["type", "name", "label", "relevant"],
            ["select_one yn", "likes", "喜欢吗？", ""],
            ["begin group", "more", "", "${likes} = 'yes'"],
            ["text", "what", "喜欢什么？", ""],
            ["end group", "", "", ""],
        ],
        YES_NO,
    )

    question = read_form(path).spec["questions"][1]

    assert question["show_if"] == {"question": "likes", "in": ["yes"]}


def test_or_other_adds_option_and_follow_up(form):
    path = form(
        [["type", "name", "label"], ["select_one yn or_other", "pet", "养宠物吗？"]],
        YES_NO,
    )

    pet, other = read_form(path).spec["questions"]

    assert [o["value"] for o in pet["options"]] == ["yes", "no", "other"]
    assert other["key"] == "pet_other" and other["type"] == "text"
    assert other["show_if"] == {"question": "pet", "in": ["other"]}


def test_upper_case_headers_and_extra_sheets(form):
    path = form(
        [["TYPE", "NAME", "LABEL::ZH"], ["TEXT", "Q-1", "说说看"]],
        None,
        [["FORM_TITLE", "FORM_ID"], ["标题", "abc"]],
        extra=(("setings_old", [["x"], [1]]), ("notes", [["y"], [2]])),
    )

    imported = read_form(path)

    assert imported.spec["questions"][0]["key"] == "q_1"
    assert imported.spec["title"] == "标题"
    assert any(
        '"setings_old" ignored (is it a misspelt "settings"?)' in w
        for w in imported.warnings
    )
    assert any('"notes" ignored' in w for w in imported.warnings)
    assert any('name "Q-1" stored as "q_1"' in w for w in imported.warnings)


def test_ignored_columns_are_named(form):
    path = form(
        [
            ["type", "name", "label", "required", "hint", "media::image"],
            ["text", "idea", "想法", "yes", "写几句", "a.png"],
        ]
    )

    imported = read_form(path)

    assert imported.spec["questions"][0]["note"] == "写几句"
    assert "columns not imported: media::image" in imported.warnings
    assert any("required ignored" in w for w in imported.warnings)


# ---------- broken workbooks: one message naming sheet, row and column ----------


BROKEN = [
    (
        "no survey sheet",
        lambda path: _renamed_survey(path),
        'no sheet called "survey"',
    ),
    (
        "same column twice",
        lambda path: make_form(
            path, [["type", "name", "label", "label"], ["text", "a", "b", "c"]]
        ),
        'sheet "survey", row 1, column D: the column "label" appears twice',
    ),
    (
        "unknown list",
        lambda path: make_form(
            path,
            [["type", "name", "label"], ["select_one colours", "c", "颜色"]],
            YES_NO,
        ),
        'sheet "survey", row 2, column A (type): the list "colours"',
    ),
    (
        "group never ended",
        lambda path: make_form(
            path,
            [
                ["type", "name", "label"],
                ["begin group", "g", "组"],
                ["text", "a", "说"],
            ],
        ),
        'sheet "survey", row 2, column A (type): this group is never ended',
    ),
    (
        "end without begin",
        lambda path: make_form(
            path,
            [["type", "name", "label"], ["text", "a", "说"], ["end group", "", ""]],
        ),
        'sheet "survey", row 3, column A (type): an end of a group',
    ),
    (
        "name without type",
        lambda path: make_form(path, [["type", "name", "label"], ["", "a", "说"]]),
        'sheet "survey", row 2, column A (type): the type is empty',
    ),
    (
        "question without name",
        lambda path: make_form(path, [["type", "name", "label"], ["text", "", "说"]]),
        'sheet "survey", row 2, column B (name): a question needs a name',
    ),
    (
        "question without label",
        lambda path: make_form(path, [["type", "name", "label"], ["text", "a", ""]]),
        'sheet "survey", row 2, column C (label): a question needs a label',
    ),
    (
        "same name twice",
        lambda path: make_form(
            path,
            [["type", "name", "label"], ["text", "a", "说"], ["text", "A", "再说"]],
        ),
        'sheet "survey", row 3, column B (name): the name "A" is used twice',
    ),
    (
        "same option twice",
        lambda path: make_form(
            path,
            [["type", "name", "label"], ["select_one yn", "a", "说"]],
            YES_NO + [["yn", "yes", "Y", "是"]],
        ),
        'sheet "choices", row 4, column B (name): the value "yes"',
    ),
    (
        "only unsupported questions",
        lambda path: make_form(
            path, [["type", "name", "label"], ["geopoint", "a", "在哪"]]
        ),
        "no question could be imported",
    ),
    (
        "not a workbook",
        lambda path: path.write_bytes(b"type,name,label\ntext,a,b\n"),
        "cannot be read as an Excel .xlsx workbook",
    ),
]


def _renamed_survey(path):
    make_form(path, [["type", "name", "label"], ["text", "a", "说"]])
    book = openpyxl.load_workbook(path)
    book["survey"].title = "Sheet1"
    book.save(path)


@pytest.mark.parametrize(
    ("case", "write", "message"), BROKEN, ids=[c for c, _, _ in BROKEN]
)
def test_broken_workbook_gives_one_clear_message(tmp_path, case, write, message):
    path = tmp_path / "broken.xlsx"
    write(path)

    with pytest.raises(XLSFormError) as caught:
        read_form(path)

    assert message in str(caught.value), case
    assert "\n" not in str(caught.value)


# ---------- the shared pyxform files ----------


SHARED_IMPORTABLE = {
    "field-list.xlsx": (["table_list_question"], "是"),
    "group.xlsx": (["family_name", "age"], None),
    "text_and_integer.xlsx": (["your_name", "your_age"], None),
    "yes_or_no_question.xlsx": (["good_day"], "yes"),
    "or_other.xlsx": (["fav_color", "fav_color_other", "fav_pastel"], "red"),
    "case_insensitivity.xlsx": (["q1"], "l1-c"),
    "extra_sheet_names.xlsx": (["test"], None),
}


@needs_shared
@pytest.mark.parametrize("name", sorted(SHARED_IMPORTABLE))
def test_shared_importable_files(name):
    keys, first_label = SHARED_IMPORTABLE[name]

    imported = read_form(SHARED / name)

    questions = imported.spec["questions"]
    assert [q["key"] for q in questions] == keys
    if first_label:
        assert questions[0]["options"][0]["label"] == first_label
    assert check_spec(imported.spec)[0] == []


@needs_shared
def test_shared_files_report_what_was_left_out():
    group = read_form(SHARED / "group.xlsx")
    case = read_form(SHARED / "case_insensitivity.xlsx")
    sheets = read_form(SHARED / "extra_sheet_names.xlsx")

    assert group.spec["questions"][1]["note"] == "Father"
    assert any(
        "family_name）：像是在问个人信息" in a for a in check_spec(group.spec)[1]
    )
    assert any('"phone number"' in w for w in group.warnings)
    assert any('"select_one_external c1"' in w for w in case.warnings)
    assert any('"EXTERNAL_CHOICES" ignored' in w for w in case.warnings)
    assert case.spec["key"] == "yesno"
    assert 'sheet "stettings" ignored (is it a misspelt "settings"?)' in sheets.warnings


@needs_shared
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("survey_no_name.xlsx", 'no sheet called "survey" (the workbook has "Sheet1")'),
        (
            "duplicate_columns.xlsx",
            'sheet "survey", row 1, column E: the column "label" appears twice',
        ),
    ],
)
def test_shared_broken_files(name, message):
    with pytest.raises(XLSFormError) as caught:
        read_form(SHARED / name)

    assert message in str(caught.value)


# ---------- helpers ----------


@pytest.mark.parametrize(
    ("constraint", "bounds"),
    [
        ("", {}),
        (". >= 0", {"min": 0}),
        (". > 0 and . < 10", {"min": 1, "max": 9}),
        ("(. >= -5) and (. <= 5)", {"min": -5, "max": 5}),
        (". >= ${other}", None),
        ("regex(., '^[0-9]+$')", None),
    ],
)
def test_parse_bounds(constraint, bounds):
    assert parse_bounds(constraint) == bounds


def test_parse_relevant_needs_one_question():
    assert parse_relevant("${a} = 'x' or ${b} = 'y'") is None
    assert parse_relevant("  ( selected(${a}, 'x') )  ") == ("a", ["x"])


# ---------- the commands and the round trip ----------


def test_import_command_stores_survey(runner, session, form):
    path = form([["type", "name", "label"], ["text", "idea", "你的想法？"]])

    result = runner.invoke(args=["surveys", "import", str(path), "--key", "ideas"])

    assert result.exit_code == 0, result.output
    assert "one wording for 12-14,15-17" in result.output
    survey = session.exec(select(Survey).where(Survey.key == "ideas")).one()
    assert survey.spec["questions"][0]["prompt"]["15-17"] == "你的想法？"


def test_import_command_refuses_broken_file_without_traceback(
    runner, session, tmp_path
):
    path = tmp_path / "broken.xlsx"
    make_form(path, [["type", "name", "label", "label"], ["text", "a", "b", "c"]])

    result = runner.invoke(args=["surveys", "import", str(path)])

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.count("Error:") == 1
    assert 'sheet "survey", row 1, column D' in result.output
    assert session.exec(select(func.count(Survey.id))).one() == 0


def test_import_command_refuses_taken_key(runner, seeded, form):
    path = form([["type", "name", "label"], ["text", "idea", "你的想法？"]])

    result = runner.invoke(args=["surveys", "import", str(path), "--key", "needs"])

    assert result.exit_code == 1
    assert "needs" in result.output
    assert seeded.exec(select(func.count(Survey.id))).one() == 3


@pytest.mark.parametrize("key", sorted(builtin_templates()))
def test_builtin_surveys_round_trip(runner, seeded, tmp_path, key):
    path = tmp_path / f"{key}.xlsx"

    exported = runner.invoke(
        args=["surveys", "export-form", key, "--output", str(path)]
    )
    imported = read_form(path)

    assert exported.exit_code == 0, exported.output
    assert imported.warnings == []
    assert normalised(imported.spec) == normalised(builtin_templates()[key])


def test_new_types_round_trip(tmp_path):
    spec = {
        **builtin_templates()["needs"],
        "key": "typed",
        "questions": builtin_templates()["needs"]["questions"][:2]
        + [
            {
                "key": "grade",
                "type": "number",
                "practice": False,
                "bands": ["9-11", "12-14"],
                "prompt": {"9-11": "几年级？", "12-14": "你上几年级？"},
                "note": {"9-11": "写数字", "12-14": "填一个数字"},
                "min": 1,
                "max": 9,
            },
            {
                "key": "order",
                "type": "ranking",
                "practice": False,
                "prompt": dict.fromkeys(("6-8", "9-11", "12-14", "15-17"), "排一排"),
                "options": [
                    {"value": "a", "label": "滑梯", "emoji": "🛝"},
                    {"value": "b", "label": "秋千", "image": "/static/swing.png"},
                ],
                "show_if": {"question": "fruit", "in": ["apple", "watermelon"]},
            },
        ],
    }
    write_form(spec, tmp_path / "typed.xlsx")

    imported = read_form(tmp_path / "typed.xlsx")

    assert normalised(imported.spec) == normalised(spec)
