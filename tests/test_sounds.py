"""Homophone slips and typed pinyin, read as the codebook words they sound like."""

import pytest

from analysis.classify import classify, default_codebook
from analysis.sounds import SoundsLike, encode, split_pinyin


def _themes(text: str) -> dict[str, tuple[str, ...]]:
    return {hit.theme: hit.evidence for hit in classify(text)}


@pytest.mark.parametrize(
    ("text", "theme", "shown"),
    [
        ("公圆里要有华华梯", "parks", "公圆(公园)"),
        ("我想荡秋迁 可是我们小区没有", "playground", "秋迁(秋千)"),
        ("图书官的书我都看完了", "library_reading", "图书官(图书馆)"),
        ("长大了我想当志原者 帮助小朋友", "social_support", "志原者(志愿者)"),
        ("我的手鸡被妈妈没收了", "screen_time", "手鸡(手机)"),
        ("我长了住牙 好疼", "eyes_teeth", "住牙(蛀牙)"),
    ],
)
def test_homophone_slips_are_read_as_meant(text, theme, shown):
    assert shown in _themes(text)[theme]


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("wo xiang qu tushuguan kan shu", "library_reading"),
        ("gong yuan li mei you qiu qian", "playground"),
        ("zuoye tai duo le", "homework"),
    ],
)
def test_typed_pinyin_is_read_as_characters(text, theme):
    assert theme in _themes(text)


@pytest.mark.parametrize(
    ("text", "theme", "given"),
    [
        ("xiwang you youyongchi", "online_safety", False),  # 希望 有, no 网友
        ("wo xiang wanyouxi", "online_games", True),
        ("wo xiang qu tu shu guan", "library_reading", True),
        ("woxiangqutushuguan", "library_reading", True),
        ("you yongchi tai shao", "swimming", True),
    ],
)
def test_a_word_read_across_a_typed_space_starts_and_ends_at_one(text, theme, given):
    assert (theme in _themes(text)) is given


@pytest.mark.parametrize(
    "text",
    [
        "我喜欢收集卡片",  # 收集 is a word, not 手机
        "老公原来在外地",  # 公原 cuts through two words
        "谁吃了我的饭",  # no character in common with 水池
        "他老是不理我",  # 是 is grammar, not a slip for 老师
        "红绿灯坏了",  # 坏了 is not 怀了
        "希望多点树",  # 树 is written as meant, not a slip for 书
    ],
)
def test_real_words_are_left_alone(text):
    index = default_codebook().index
    from analysis.classify import _frequency, _word_bounds
    from analysis.text import normalise

    written = normalise(text)
    corrected, fixes = index.sounds.correct(written, _frequency, _word_bounds)
    assert (corrected, fixes) == (written, ())


def test_an_answer_spelt_right_gets_no_fix_in_its_evidence():
    for hit in classify("公园里要有滑滑梯"):
        assert all("(" not in word for word in hit.evidence)


@pytest.mark.parametrize(
    ("run", "syllables"),
    [
        ("tushuguan", ["tu", "shu", "guan"]),
        ("xian", ["xian"]),
        ("zhuangshangle", ["zhuang", "shang", "le"]),
        ("lue", ["lue"]),
        ("homework", None),
    ],
)
def test_split_pinyin(run, syllables):
    assert split_pinyin(run) == syllables


def test_encode_keeps_length_and_reads_tones_alike():
    assert len(encode("公园, park")) == len("公园, park")
    assert encode("公园") == encode("公圆")
    assert encode("馆") == encode("官")
    assert encode("公园") != encode("公路")


def test_a_codebook_of_no_chinese_words_corrects_nothing():
    sounds = SoundsLike(["app", "a"])
    assert sounds.correct("公圆", lambda _: 0, lambda _: frozenset()) == ("公圆", ())


def test_a_rare_dictionary_entry_made_of_a_slip_is_read_as_meant():
    # jieba's dictionary holds 图书管 and 华华 as rare entries
    assert "图书管(图书馆)" in _themes("图书管周末没位子")["library_reading"]
    assert "华华梯(滑滑梯)" in _themes("公圆里要有华华梯")["playground"]
