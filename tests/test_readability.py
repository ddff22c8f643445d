"""Readability per age band on fixed texts, the graded list, and `surveys check`."""

import importlib.util

import pytest

from core import DATA_DIR
from surveys import readability
from surveys.readability import (
    Finding,
    band_findings,
    check_text,
    graded_ranks,
    negatives,
    rare_chars,
    sentences,
    survey_findings,
    visible_length,
)
from surveys.templates import builtin_templates


def kinds(findings):
    """Return the kinds of findings, in order."""
    return [finding.kind for finding in findings]


def load_builder():
    """Import data/graded_chars.py, the script that writes the graded list."""
    spec = importlib.util.spec_from_file_location(
        "graded", DATA_DIR / "graded_chars.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_graded_list_is_regenerated_byte_for_byte(tmp_path):
    builder = load_builder()

    builder.write(
        builder.ranked(builder.character_weights(), builder.TOP), tmp_path / "g.csv"
    )

    assert (tmp_path / "g.csv").read_bytes() == readability.GRADED_CHARS.read_bytes()


def test_graded_list_ranks_common_characters_first():
    ranks = graded_ranks()

    assert len(ranks) == 6500
    assert sorted(ranks.values()) == list(range(1, 6501))
    assert max(ranks[c] for c in "的是我你学上天") < 100
    assert ranks["学"] < ranks["攀"] < ranks.get("饕", 10**6)


@pytest.mark.parametrize(
    ("text", "known", "rare"),
    [
        ("上学路上，你觉得安全吗？", 1600, []),
        ("攀爬区和大草坪", 1600, ["攀", "爬", "坪"]),
        ("攀爬区和大草坪", 3000, []),
        ("饕餮 and 123 😀", 3500, ["饕", "餮"]),
        ("", 1600, []),
    ],
)
def test_rare_chars(text, known, rare):
    assert rare_chars(text, known) == rare


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("你好。今天开心吗？我很开心！", ["你好", "今天开心吗", "我很开心"]),
        ("第一行\n第二行；第三行……", ["第一行", "第二行", "第三行"]),
        ("没有句号", ["没有句号"]),
    ],
)
def test_sentences(text, parts):
    assert sentences(text) == parts


def test_visible_length_counts_letters_and_digits_only():
    assert visible_length("你好，world！123 😀") == 10


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("你不喜欢公园吗？", ["不喜"]),
        ("你没去过图书馆吗？没关系。", ["没去", "没关"]),
        ("这个公园不错吧？", []),
        ("有不少人去，不同的时间", []),
        ("你喜欢公园吗？", []),
    ],
)
def test_negatives(text, words):
    assert negatives(text) == words


@pytest.mark.parametrize(
    ("band", "text", "expected"),
    [
        ("6-8", "你喜欢上学吗？", []),
        ("6-8", "你每天上学和放学的路上觉得安全吗？", ["long_sentence"]),
        ("6-8", "你每天上学和放学的路上，觉得安全吗？", ["long_sentence"]),
        ("6-8", "你不喜欢上学吗？", ["negative"]),
        ("9-11", "你不喜欢上学吗？", ["negative"]),
        ("12-14", "你不喜欢上学吗？", []),
        ("9-11", "你每天上学和放学的路上，觉得安全吗？", []),
        (
            "9-11",
            "你每天早上从家里出发去学校的路上和下午放学回家的路上觉得安全吗？",
            ["long_sentence", "long_prompt"],
        ),
        ("15-17", "总体来说，你觉得自己上下学路上的交通和人身安全状况如何？", []),
        ("12-14", "你喜欢攀岩吗？", []),
        ("6-8", "你喜欢攀岩吗？", ["rare_chars"]),
    ],
)
def test_prompt_checks_per_band(band, text, expected):
    assert kinds(check_text(text, band, "prompt", "q")) == expected


def test_option_labels_only_checked_for_characters():
    long_label = "不用花钱就能和朋友一起待很久很久的安静的休闲空间"

    assert kinds(check_text(long_label, "6-8", "option", "q")) == []
    assert kinds(check_text("爬爬乐", "6-8", "option", "q")) == ["rare_chars"]


def test_finding_names_where_it_is():
    found = check_text("你不想去吗？", "9-11", "prompt", "go")[0]

    assert found == Finding("9-11", "go", "prompt", "negative", found.message)
    assert found.where == "go 题目"
    assert "“不想”" in found.message


SPEC = {
    "key": "tiny",
    "intro": {"6-8": "想答就答。可以跳过，也可以随时停下来。", "15-17": "参与自愿。"},
    "questions": [
        {
            "key": "zone",
            "type": "single",
            "practice": False,
            "bands": ["6-8", "15-17"],
            "prompt": {
                "6-8": "你想先建哪一块？",
                "15-17": "你认为第一期应该先建哪个区域？",
            },
            "note": {"6-8": "看看图再选。"},
            "options": {
                "6-8": [
                    {"value": "climb", "label": "攀爬区", "emoji": "🧗"},
                    {"value": "grass", "label": "大草坪", "emoji": "🌳"},
                ],
                "15-17": [
                    {"value": "climb", "label": "攀爬和冒险区"},
                    {"value": "grass", "label": "大草坪和小树林"},
                ],
            },
        }
    ],
}


def test_band_findings_cover_intro_prompt_note_and_options():
    found = band_findings(SPEC, "6-8")

    assert [(f.question, f.field, f.kind) for f in found] == [
        ("zone", "option", "rare_chars"),
    ]
    assert "“攀”“爬”“坪”" in found[0].message


def test_survey_findings_for_every_band():
    found = survey_findings(SPEC)

    assert list(found) == ["6-8", "9-11", "12-14", "15-17"]
    assert found["9-11"] == [] and found["15-17"] == []


@pytest.mark.parametrize("key", sorted(builtin_templates()))
def test_builtin_prompts_keep_the_hard_rules(key):
    found = survey_findings(builtin_templates()[key])

    hard = [f for band in found.values() for f in band if f.kind in ("long_prompt",)]
    negative = [f for f in found["9-11"] if f.kind == "negative"]
    assert hard == [] and negative == []


def test_check_command_prints_findings(runner, seeded):
    result = runner.invoke(args=["surveys", "check", "needs"])

    assert result.exit_code == 0, result.output
    assert "6-8     fruit 选项: “苹”“瓜”“橘”不在最常用的 1600 个字里" in result.output
    assert result.output.strip().splitlines()[-1].startswith("0 errors, 0 advice")


def test_check_command_unknown_survey(runner, seeded):
    result = runner.invoke(args=["surveys", "check", "nothing"])

    assert result.exit_code == 1
    assert "no survey 'nothing'" in result.output


def test_check_command_fails_on_errors(runner, seeded):
    from surveys.models import Survey

    survey = seeded.get(Survey, 1)
    spec = dict(survey.spec, stage="随便")
    survey.spec = spec
    seeded.add(survey)
    seeded.commit()

    result = runner.invoke(args=["surveys", "check", survey.key])

    assert result.exit_code == 1
    assert result.output.startswith("error   阶段要是")
