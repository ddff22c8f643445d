"""Normalisation, wish splitting and tokenising of children's answers."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import tokenize
from analysis.text import _REPEAT, _shorten_repeats, normalise, split_wishes
from analysis.tokenize import content_words, stopwords, tokens


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３，你好！", "abc123，你好！"),
        ("學校門口的車開太快了", "学校门口的车开太快了"),
        ("希望公園裡多一點鞦韆", "希望公园里多一点秋千"),
        ("马路上车开得好快😨", "马路上车开得好快害怕"),
        ("作业好多😭😭😭", "作业好多难过"),
        ("好好好好好", "好好"),
        ("哈哈哈哈哈哈哈", "哈哈"),
        ("作业好多好多好多", "作业好多好多"),
        ("电话13811112222", "电话13811112222"),
        ("你好,世界!", "你好，世界！"),
        ("在餐馆吃饭;过节.", "在餐馆吃饭；过节。"),
        ("等一下。。。。", "等一下…"),
        ("  学校   门口 \n 车多 ", "学校 门口 车多"),
        ("公园里要有yóu lè chǎng", "公园里要有youlechang"),
        ("zuo ye tai duo le", "zuoyetaiduole"),
        ("I like you", "i like you"),
        ("T_T 作业太多", "难过 作业太多"),
        ("HOMEWORK太多", "homework太多"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalise_table(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "學校門口 😨😨",
        "ｗｏ　ｘｉａｎｇ　ｑｕ",
        "好多好多好多!!!",
        "建议:(1)增加篮球场",
    ],
)
def test_normalise_is_idempotent(raw):
    once = normalise(raw)

    assert normalise(once) == once


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "建议：1.增加篮球场 2.学校门口设红绿灯 3.少布置作业",
            ["增加篮球场", "学校门口设红绿灯", "少布置作业"],
        ),
        ("1.增加篮球场2.多种树", ["增加篮球场", "多种树"]),
        ("①多建公园②少作业", ["多建公园", "少作业"]),
        ("１、多种树；２、少点作业", ["多种树", "少点作业"]),
        ("(1)多种树 (2)少点作业", ["多种树", "少点作业"]),
        ("我觉得一是要多建公园，二是作业少一点", ["要多建公园", "作业少一点"]),
        ("第一，多种树；第二，少点作业\n第三，公园", ["多种树", "少点作业", "公园"]),
        ("作业太多;书包太重\n还想要秋千", ["作业太多", "书包太重", "还想要秋千"]),
        ("我有2、3个好朋友", ["我有2、3个好朋友"]),
        ("我第一次去公园", ["我第一次去公园"]),
        ("身高1.5米的栏杆", ["身高1.5米的栏杆"]),
        ("", []),
        (" \n ; ", []),
    ],
)
def test_split_wishes(raw, expected):
    assert split_wishes(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "我弟弟一直玩王者荣耀，不写作业",
            ["我", "弟弟", "一直", "玩", "王者荣耀", "不", "写作业"],
        ),
        ("希望儿童之家周末也开门", ["希望", "儿童之家", "周末", "也", "开门"]),
        ("學校門口沒有斑馬線！", ["学校门口", "没有", "斑马线"]),
        ("我想要 huá huá tī", ["我", "想要", "huahuati"]),
    ],
)
def test_tokens_use_the_user_dictionary(text, expected):
    assert tokens(text) == expected


def test_tokens_drop_spaces_and_punctuation():
    words = tokens("“滑梯”、秋千……还有 蹦床!!")

    assert words == ["滑梯", "秋千", "还有", "蹦床"]


def test_tokenizer_loads_once():
    assert tokenize.tokenizer() is tokenize.tokenizer()


def test_building_a_tokenizer_prints_nothing(capfd):
    tokenize._build(tokenize.USERDICT_PATH)

    assert capfd.readouterr().err == ""


def test_content_words_leave_out_stopwords():
    words = content_words("我觉得学校的作业和考试太多了")

    assert {"我", "的", "了", "觉得", "和"} <= stopwords()
    assert words == ["学校", "作业", "考试"]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="好哈希望ab1 ，", max_size=30))
def test_repeats_are_shortened_exactly_where_the_full_search_would(raw):
    assert _shorten_repeats(raw) == _REPEAT.sub(r"\1\1", raw)
