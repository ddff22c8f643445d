"""The fast segmenter cuts exactly as jieba does without the HMM."""

import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.segment import Segmenter
from analysis.text import normalise
from analysis.tokenize import segmenter, tokenizer
from core import DATA_DIR


def _jieba(text):
    return tokenizer().lcut(text, HMM=False)


def _demo_texts():
    with open(DATA_DIR / "demo/answers.csv", encoding="utf-8-sig", newline="") as f:
        rows = [
            r["answer"] for r in csv.DictReader(f) if r["question"] in ("wish", "worry")
        ]
    plan = (DATA_DIR / "plans/yueqing-2022-2024.txt").read_text(encoding="utf-8")
    return rows + plan.splitlines()


def test_same_words_as_jieba_on_demo_answers_and_the_plan():
    texts = _demo_texts()

    differing = [t for t in texts if segmenter().cut(t) != _jieba(t)]

    assert len(texts) > 500
    assert differing == []


def test_same_words_after_normalising():
    for text in _demo_texts()[:400]:
        normalised = normalise(text)
        assert segmenter().cut(normalised) == _jieba(normalised)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "滑滑梯",
        "我想要一个大大的滑滑梯！！！",
        "iPad上网课3小时，眼睛好累 T_T",
        "学校门口\r\n马路   太乱",
        "12355热线 +86 138-0000-0000 a.b_c%d#e&f",
        "１２３ＡＢＣ全角",
        "希望公園裡多一點鞦韆",
        "😀😀我喜欢\t打篮球",
    ],
)
def test_same_words_on_mixed_input(text):
    assert segmenter().cut(text) == _jieba(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("上学路车快慢公园滑梯秋千的了我们想要 a1.-+\n，。！")
        ),
        max_size=40,
    )
)
def test_same_words_on_generated_text(text):
    assert segmenter().cut(text) == _jieba(text)


def test_a_fresh_jieba_tokenizer_agrees():
    import jieba

    plain = jieba.Tokenizer()
    text = "放学路上的车开得太快，我们不敢过马路"

    assert Segmenter(plain).cut(text) == plain.lcut(text, HMM=False)
