"""Candidate new themes: grouping answers no task took, and the staff page."""

import random

import pytest
from sqlmodel import select

from analysis import codebook_store, emergent, emergent_ops
from analysis import operations as analysis_ops
from analysis.emergent import (
    Candidate,
    Term,
    Text,
    already_decided,
    answer_terms,
    candidate_key,
    find_candidates,
)
from analysis.models import AnswerTask
from analysis.models_reports import CodebookVersion, EmergentDecision, RecodeJob
from core import audit
from core.audit import AuditEvent
from tests.test_reports_data import PARK, add_children, flag, use_test_codebook

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


# -- the staff page -------------------------------------------------------------------


@pytest.fixture
def city(session, make_launch):
    """Twelve children ask for climbing, four for pets, a dozen for parks."""
    version = use_test_codebook(session)
    launch = make_launch(band="9-11", township="lecheng")
    climbing = [add_children(session, launch, 1, text)[0] for text in CLIMB]
    pets = [add_children(session, launch, 1, text)[0] for text in PETS]
    parks = add_children(session, launch, 12, PARK)
    return {"version": version, "climbing": climbing, "pets": pets, "parks": parks}


@pytest.fixture
def staff(login):
    return login("staff")


def _events(session, action):
    session.expire_all()
    return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def _key():
    return candidate_key(CLIMB_WORDS)


def _name(client, city, **data):
    form = {"candidate": _key(), "base": city["version"], "label": "攀岩"}
    return client.post("/reports/emergent/name", data={**form, "tasks": "14", **data})


def test_pool_is_unthemed_unflagged_screened_answers(session, city):
    flag(session, city["climbing"][0])

    ids = {row[0] for row in emergent_ops.pool(session)}

    assert ids == {a.id for a in city["climbing"][1:] + city["pets"]}


def test_page_shows_candidates_of_ten_children_with_quotes(
    client, city, staff, session
):
    page = client.get("/reports/emergent")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "攀岩、攀岩墙、攀岩馆 <small>12 名孩子</small>" in html
    assert html.count('<blockquote class="quote">') == emergent_ops.QUOTES
    assert "9-11岁的孩子" in html
    assert "宠物" not in html and "公园" not in html
    assert "另有 1 组不到 10 名孩子" in html
    assert "<script" not in html and "style=" not in html
    (event,) = _events(session, audit.VIEWED_ANSWERS)
    assert (event.object_type, event.detail) == ("report", {"page": "emergent themes"})


def test_quotes_only_from_groups_of_ten(client, staff, session, make_launch):
    use_test_codebook(session)
    for i, text in enumerate(CLIMB):
        band = ("6-8", "9-11", "12-14")[i % 3]
        add_children(session, make_launch(band=band, township="liushi"), 1, text)

    html = client.get("/reports/emergent").get_data(as_text=True)

    assert "<small>12 名孩子</small>" in html
    assert '<blockquote class="quote">' not in html
    assert "没有可以展示的原话" in html


def test_report_page_links_to_candidates(client, city, staff):
    html = client.get("/reports/").get_data(as_text=True)

    assert 'href="/reports/emergent"' in html


@pytest.mark.parametrize("role", ["department", "facilitator", "safeguarding"])
def test_only_staff_see_and_decide_candidates(client, city, login, session, role):
    login(role)

    assert client.get("/reports/emergent").status_code == 403
    assert _name(client, city).status_code == 403
    discard = client.post("/reports/emergent/discard", data={"candidate": _key()})
    assert discard.status_code == 403
    assert session.exec(select(EmergentDecision)).all() == []


def test_signed_out_visitors_are_sent_to_sign_in(client, city):
    page = client.get("/reports/emergent")

    assert page.status_code == 302
    assert "/login" in page.headers["Location"]


def test_naming_adds_a_theme_and_queues_recoding(app, client, city, staff, session):
    page = _name(client, city, label="攀岩和攀岩墙", tasks="14；15")

    assert page.status_code == 303
    theme = analysis_ops.current_codebook(session).theme(f"emergent_{_key()}")
    assert (theme.label, theme.tasks) == ("攀岩和攀岩墙", (14, 15))
    added = codebook_store.themes_for_display(codebook_store.current_text(session))
    assert added[-1]["keywords"] == list(CLIMB_WORDS)
    session.expire_all()
    (job,) = session.exec(select(RecodeJob)).all()
    assert job.status == "queued" and job.requested_by == staff.id
    decision = session.exec(select(EmergentDecision)).one()
    assert (decision.decision, decision.theme) == ("named", theme.key)
    assert decision.decided_by == staff.id
    (named,) = _events(session, audit.NAMED_EMERGENT)
    assert (named.object_id, named.detail["children"]) == (_key(), 12)
    assert len(_events(session, audit.CHANGED_CODEBOOK)) == 1
    history = client.get("/codebook/history").get_data(as_text=True)
    assert f"攀岩和攀岩墙（emergent_{_key()}）" in history

    with app.app_context():
        assert codebook_store.run_pending() == 1
    tasks = session.exec(
        select(AnswerTask.answer_id).where(AnswerTask.task_number == 14)
    ).all()
    assert set(tasks) == {a.id for a in city["climbing"]}
    html = client.get("/reports/emergent").get_data(as_text=True)
    assert "攀岩墙" not in html.split("处理记录")[0]
    assert "命名为主题" in html


def test_discarding_hides_the_candidate(client, city, staff, session):
    page = client.post("/reports/emergent/discard", data={"candidate": _key()})

    assert page.status_code == 303
    html = client.get("/reports/emergent").get_data(as_text=True)
    assert "12 名孩子" not in html
    assert "1 组已经命名或放弃过" in html
    decision = session.exec(select(EmergentDecision)).one()
    assert decision.decision == "discarded" and decision.theme is None
    assert decision.terms == "攀岩;攀岩墙;攀岩馆"
    (event,) = _events(session, audit.DISCARDED_EMERGENT)
    assert (event.user_id, event.object_id) == (staff.id, _key())
    assert session.exec(select(RecodeJob)).all() == []


def test_a_discarded_candidate_cannot_be_decided_again(client, city, staff, session):
    client.post("/reports/emergent/discard", data={"candidate": _key()})

    again = client.post("/reports/emergent/discard", data={"candidate": _key()})
    named = _name(client, city)

    assert again.status_code == named.status_code == 409
    assert "已经变了或已经处理过" in again.get_data(as_text=True)
    assert len(session.exec(select(EmergentDecision)).all()) == 1
    assert len(session.exec(select(CodebookVersion)).all()) == 1


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"label": ""}, 400, "名称：该字段是必填字段。"),
        ({"tasks": ""}, 400, "任务编号：该字段是必填字段。"),
        ({"tasks": "33"}, 400, "“33”不是 1–32 的任务编号"),
        ({"tasks": "十四"}, 400, "“十四”不是 1–32 的任务编号"),
        ({"label": "长" * 101}, 400, "名称："),
        ({"candidate": "../../etc"}, 400, "候选主题的编号不对"),
        ({"candidate": ""}, 400, "该字段是必填字段。"),
        ({"candidate": "0000000000"}, 409, "已经变了或已经处理过"),
        ({"base": "0000000000"}, 409, "刚被别人改过"),
    ],
)
def test_bad_names_are_explained_and_change_nothing(
    client, city, staff, session, data, status, message
):
    page = _name(client, city, **data)

    assert page.status_code == status
    assert message in page.get_data(as_text=True)
    session.expire_all()
    assert len(session.exec(select(CodebookVersion)).all()) == 1
    assert session.exec(select(RecodeJob)).all() == []
    assert session.exec(select(EmergentDecision)).all() == []
    assert _events(session, audit.NAMED_EMERGENT) == []


def test_a_bad_discard_is_explained_and_changes_nothing(client, city, staff, session):
    page = client.post("/reports/emergent/discard", data={"candidate": "zz"})

    assert page.status_code == 400
    assert "候选主题的编号不对" in page.get_data(as_text=True)
    assert session.exec(select(EmergentDecision)).all() == []
    assert len(_events(session, audit.VIEWED_ANSWERS)) == 1


def test_page_without_candidates_says_so(client, staff, session):
    use_test_codebook(session)

    html = client.get("/reports/emergent").get_data(as_text=True)

    assert "现在没有来自 10 名以上孩子的候选新主题" in html
