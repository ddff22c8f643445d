"""Disclosures typed in pinyin or with a sound-alike slip, heard by the harm screen."""

import pytest

from analysis.screen import _ear, _heard, screen, screen_harm

HEARD = [
    # typed pinyin: spaced, glued, toned, tone digits, mixed with characters
    ("ba ba tian tian da wo", "abuse"),
    ("babatiantiandawo", "abuse"),
    ("bàba tiāntiān dǎ wǒ", "abuse"),
    ("ba4ba4 da3 wo3", "abuse"),
    ("BaBa Da Wo", "abuse"),
    ("爸爸打wo", "abuse"),
    ("爸爸 da wo", "abuse"),
    ("wo ba ba he zui le jiu da wo", "abuse"),
    ("tong xue tian tian da wo", "bullying"),
    ("ban shang de nan sheng jing chang qi fu wo", "bullying"),
    ("同学天天qifu我", "bullying"),
    ("wo bu xiang huo le", "self_harm"),
    ("wo zhen de xiang si", "self_harm"),
    ("我想zisha", "self_harm"),
    ("jia li you ren da wo", "abuse"),
    ("wo yi ge ren zai jia hao ji tian le", "neglect"),
    # a character that sounds like a word of harm, written where it means it
    ("爸爸总是达我", "abuse"),
    ("妈妈天天搭我", "abuse"),
    ("爸爸打窝", "abuse"),
    ("我想自沙", "self_harm"),
    ("同学天天踢我还骂我", "bullying"),
    # 俺 read as 我
    ("爸爸老是打俺", "abuse"),
]

NOT_HEARD = [
    # ordinary complaints, typed in pinyin
    "zuo ye tai duo le",
    "wo xiang yao hua hua ti",
    "wo xiang da lan qiu",
    "ge ge zheng tian da you xi",
    "zhou mo wo bang ma ma da sao wei sheng",
    "ba ba gei wo da dian hua",
    "ta da wo san sui",
    "ba ba cong lai bu da wo",
    "wo xiang si ni le nai nai",
    "mei you ren qi fu wo",
    "wo xiang qu gong yuan wan",
    "lao shi da ying wo men qu chun you",
    # characters meant as written: in a word, of the lexicon, or common
    "他大我三岁",
    "姐姐大我两岁",
    "我到达学校了",
    "他回答我的问题",
    "妈妈替我梳头",
    "他走我前面",
    "数学题我不会做",
    "爸爸是达人秀的评委",
    "这个字念啥",
    # English, and letters that are no pinyin
    "I love my mom",
    "he is my best friend",
    "my dad never hits me",
    "hello kitty",
    "ok",
]


@pytest.mark.parametrize(("text", "category"), HEARD)
def test_hears_disclosures_in_pinyin_and_slips(text, category):
    assert category in {flag.category for flag in screen_harm(text)}


@pytest.mark.parametrize("text", NOT_HEARD)
def test_leaves_ordinary_answers_heard_alike(text):
    assert screen_harm(text) == ()


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("ba ba tian tian da wo", "babatiantiandawo"),
        ("我很好。爸爸打wo，很疼。我想去公园", "爸爸打wo，很疼"),
        ("我很好。爸爸总是达我", "爸爸总是达我"),
        ("今天 ba ba da wo 了", "今天 babadawo 了"),
    ],
)
def test_evidence_is_the_sentence_as_written(text, evidence):
    assert [flag.evidence for flag in screen_harm(text)] == [evidence]


def test_heard_and_written_flag_one_sentence_once():
    # 不想活 is found as written (bu ?xiang ?huo) and as heard
    flags = screen_harm("wo bu xiang huo le")

    assert [(f.category, f.evidence) for f in flags] == [
        ("self_harm", "wobuxianghuole")
    ]


def test_screen_masks_before_it_hears():
    result = screen("我叫王小明，ba ba tian tian da wo")

    assert result.masked.startswith("我叫[名字]")
    assert [flag.category for flag in result.flags] == ["abuse"]
    assert "王小明" not in result.flags[0].evidence


@pytest.mark.parametrize(
    "text", ["爸爸打我", "我想打篮球", "my dad hits me", "", "作业太多了"]
)
def test_an_answer_without_pinyin_or_slips_is_not_heard(text):
    assert _ear().hear(text) is None


def test_a_heard_answer_keeps_where_each_character_was_written():
    text = "爸爸打wo，好疼"
    heard = _ear().hear(text)

    assert len(heard.text) == len("爸爸打我，好疼")
    assert heard.origin == (0, 1, 2, 3, 5, 6, 7, 8)


def test_a_slip_is_heard_in_place():
    heard = _ear().hear("爸爸总是达我")

    assert heard.text[:4] == "爸爸总是" and heard.text[5] == "我"
    assert heard.text[4] != "达"
    assert heard.origin == tuple(range(7))


def test_a_heard_row_matches_the_sounds_of_its_characters():
    sounds = {"打": "~=", "说": "-"}.get

    assert _heard(r"[^说。]打(?<!再)\[x\]", lambda c: sounds(c, "")) == (
        r"[^说。-][打~=](?<!再)\[x\]"
    )
