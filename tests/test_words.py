"""Which words of children's answers count for clouds and candidate themes."""

import pytest

from analysis.emergent import answer_terms
from analysis.words import answer_words, word_frequencies


@pytest.mark.parametrize(
    "note",
    ["（辅导员记录）", "(辅导员记录)", "【老师代写】", "（记录）", " （志愿者转述）"],
)
def test_a_facilitators_note_is_not_a_childs_word(note):
    text = f"{note}她说想要一个会讲故事的图书馆"

    words = answer_words(text)

    assert "图书馆" in words
    assert not words & {"辅导员", "记录", "老师", "代写", "志愿者", "转述"}
    assert not set(answer_terms(text)) & {"辅导员", "记录", "辅导员记录"}


def test_the_same_words_later_in_an_answer_still_count():
    words = answer_words("希望老师记录我们的想法，辅导员也来听")

    assert {"老师", "记录", "辅导员"} <= words


def test_clouds_count_the_childrens_words_not_the_notes():
    texts = ["（辅导员记录）想要秋千", "（辅导员记录）想要滑梯", "想要秋千"]

    counts = word_frequencies(texts)

    assert counts["秋千"] == 2
    assert "辅导员" not in counts and "记录" not in counts
