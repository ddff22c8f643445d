"""Candidate new themes: grouping answers no task took, on fixed text."""

import random

import pytest

from analysis import emergent
from analysis.emergent import (
    Candidate,
    Term,
    Text,
    already_decided,
    answer_terms,
    candidate_key,
    find_candidates,
)

CLIMB = (
    "我们想要一面攀岩墙",
    "学校可以建一面攀岩墙吗",
    "希望乐清有一个攀岩馆",
    "周末想去攀岩馆玩",
    "我想学攀岩",
    "攀岩很好玩，希望多一些能攀岩的地方",
    "放学后想去攀岩",
    "体育课可以教我们攀岩吗",
    "我想要一个攀岩馆",
    "想和朋友一起去攀岩",
    "能不能在体育馆里建攀岩墙",
    "我最想玩的是攀岩",
)
PETS = (
    "希望小区可以养宠物",
    "我想养宠物",
    "想在家里养宠物",
    "能不能让我们养宠物",
)
OTHER = ("不知道", "希望每天都能睡懒觉", "想要更多的冰淇淋", "我想养一只小猫")
CLIMB_WORDS = ("攀岩", "攀岩墙", "攀岩馆")


def _texts(*groups):
    """Return one Text per answer, each from its own child, in order."""
    answers = [text for group in groups for text in group]
    return [Text(i + 1, f"child-{i + 1}", text) for i, text in enumerate(answers)]


# -- the grouping, on fixed text ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("学校可以建一面攀岩墙吗", ("学校", "攀岩", "攀岩墙")),
        ("能不能在体育馆里建攀岩墙", ("体育馆", "建攀岩", "攀岩", "攀岩墙")),
        ("想在家里养宠物", ("家里", "家里养", "养宠物", "宠物")),
        ("不知道，随便吧", ("随便",)),
        ("不知道", ()),
        ("", ()),
        ("[学校]旁边的攀岩馆", ("旁边", "攀岩", "攀岩馆")),
        ("攀岩，墙", ("攀岩",)),
        ("我想养一只小猫", ("小猫",)),
        ("希望有 climbing 攀岩墙🧗", ("攀岩", "攀岩墙")),
    ],
)
def test_answer_terms_are_words_and_adjacent_pairs(text, terms):
    assert answer_terms(text) == terms


def test_answers_sharing_words_make_one_candidate():
    texts = _texts(CLIMB, PETS, OTHER)

    (climb, pets) = find_candidates(texts, min_children=1)

    assert climb.words == CLIMB_WORDS
    assert climb.terms == (Term("攀岩", 12), Term("攀岩墙", 3), Term("攀岩馆", 3))
    assert climb.children == 12
    assert sorted(climb.answer_ids) == list(range(1, 13))
    assert climb.answer_ids[:2] == (1, 2)
    assert climb.key == candidate_key(CLIMB_WORDS)
    assert (pets.words, pets.children) == (("养宠物", "宠物"), 4)


def test_only_candidates_of_ten_children_by_default():
    (climb,) = find_candidates(_texts(CLIMB, PETS, OTHER))

    assert climb.words == CLIMB_WORDS


def test_a_child_counts_once_however_often_they_say_it():
    texts = [
        Text(n, f"child-{n % 4}", text) for n, text in enumerate(CLIMB * 2, start=1)
    ]

    (climb,) = find_candidates(texts, min_children=1)

    assert climb.children == 4
    assert len(climb.answer_ids) == 24
    assert dict(climb.terms)["攀岩"] == 4
    assert find_candidates(texts) == []


def test_grouping_is_the_same_whatever_the_order():
    texts = _texts(CLIMB, PETS, OTHER, CLIMB[:5], PETS)
    shuffled = list(texts)
    random.Random(7).shuffle(shuffled)

    assert find_candidates(shuffled, min_children=1) == find_candidates(
        texts, min_children=1
    )


def test_answers_beyond_the_clustered_ones_join_the_closest_group(monkeypatch):
    texts = _texts(CLIMB, PETS, OTHER)
    whole = find_candidates(texts, min_children=1)

    monkeypatch.setattr(emergent, "MAX_POINTS", 2)

    assert find_candidates(texts, min_children=1) == whole


def test_a_word_said_across_topics_describes_none_of_them():
    pets = (*PETS, "我想要一只宠物", "希望能养宠物")
    climb = [f"学校里{text}" if i % 4 == 0 else text for i, text in enumerate(CLIMB)]
    pets = [f"学校里{text}" if i % 2 == 0 else text for i, text in enumerate(pets)]
    school = ["学校的厕所太臭了", "学校的大门太窄", "学校的楼梯太陡"]

    candidates = find_candidates(_texts(climb, pets, school), min_children=1)

    assert [c.words for c in candidates] == [CLIMB_WORDS, ("宠物", "养宠物")]
    assert [c.children for c in candidates] == [12, 6]


def test_nothing_recurring_gives_no_candidate():
    assert find_candidates(_texts(OTHER)) == []
    assert find_candidates([]) == []


def _candidate(*words):
    return Candidate(candidate_key(words), tuple(Term(w, 10) for w in words), 10, ())


@pytest.mark.parametrize(
    ("words", "decided"),
    [
        (("攀岩", "攀岩墙", "攀岩馆"), True),
        (("攀岩", "攀岩墙", "体育馆"), True),
        (("攀岩", "学攀岩"), True),
        (("攀岩馆", "体育馆", "乐清"), False),
        (("宠物", "养宠物"), False),
    ],
)
def test_a_decided_candidate_stays_decided_when_its_words_shift(words, decided):
    earlier = [(candidate_key(CLIMB_WORDS), CLIMB_WORDS)]

    assert already_decided(_candidate(*words), earlier) is decided
