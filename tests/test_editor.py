"""The survey editor: new question types, format checks, the editor pages, the
kiosk preview and read-aloud clips, on a real database and real files."""

import copy
import io
import json
import re
import uuid
import wave

import pytest
from sqlmodel import func, select

from surveys import audio, editor_forms
from surveys.editor_forms import SpecError, blank_spec, check_spec, create_survey
from surveys.models import Answer, Response, Survey
from surveys.operations import SubmissionError, validate_answers
from surveys.templates import builtin_templates, kiosk_questions, spec_version

RANKING = {
    "key": "zones",
    "type": "ranking",
    "practice": False,
    "bands": ["12-14", "15-17"],
    "prompt": {"12-14": "请给这三个区排顺序", "15-17": "请给这三个区排顺序"},
    "options": [
        {"value": "climb", "label": "攀爬区", "emoji": "🧗"},
        {"value": "water", "label": "戏水区", "image": "/static/water.png"},
        {"value": "grass", "label": "大草坪"},
    ],
}
NUMBER = {
    "key": "grade",
    "type": "number",
    "practice": False,
    "bands": ["12-14", "15-17"],
    "prompt": {"12-14": "你今年上几年级？", "15-17": "你今年上几年级？"},
    "note": "写数字就行",
    "min": 1,
    "max": 12,
}


def typed_spec():
    """Return a draft survey with a ranking and a number question."""
    spec = blank_spec("club", "课后活动")
    spec["questions"] += [copy.deepcopy(RANKING), copy.deepcopy(NUMBER)]
    return spec


def wav_bytes(frames=800):
    """Return a short silent WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * frames)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def audio_dir(app, tmp_path):
    """Keep each test's clips in its own folder."""
    folder = tmp_path / "audio"
    app.config["AUDIO_DIR"] = str(folder)
    return folder


@pytest.fixture
def staff(login, seeded):
    """Sign in as staff with the built-in templates loaded."""
    return login("staff")


@pytest.fixture
def draft(seeded):
    """Return an editable survey with every question type."""
    return create_survey(seeded, typed_spec())


def reload(session, survey):
    """Return survey as stored now."""
    session.expire_all()
    return session.get(Survey, survey.id)


# ---------- number and ranking answers ----------


@pytest.mark.parametrize(
    ("answers", "stored"),
    [
        (
            {"zones": ["water", "grass", "climb"]},
            {"zones": ["water", "grass", "climb"]},
        ),
        ({"grade": 7}, {"grade": 7}),
        ({"grade": 12.0}, {"grade": 12}),
        ({"grade": 1, "zones": None}, {"grade": 1, "zones": None}),
    ],
)
def test_number_and_ranking_answers_accepted(answers, stored):
    assert validate_answers(typed_spec(), "12-14", answers) == stored


@pytest.mark.parametrize(
    "answers",
    [
        {"zones": ["water", "grass"]},
        {"zones": ["water", "grass", "grass"]},
        {"zones": ["water", "grass", "climb", "sand"]},
        {"zones": "water"},
        {"grade": 0},
        {"grade": 13},
        {"grade": "7"},
        {"grade": 7.5},
        {"grade": True},
        {"grade": [7]},
    ],
)
def test_bad_number_and_ranking_answers_refused(answers):
    with pytest.raises(SubmissionError):
        validate_answers(typed_spec(), "12-14", answers)


def test_number_without_bounds_takes_any_whole_number():
    spec = typed_spec()
    del spec["questions"][-1]["min"], spec["questions"][-1]["max"]

    assert validate_answers(spec, "15-17", {"grade": -3}) == {"grade": -3}
    with pytest.raises(SubmissionError):
        validate_answers(spec, "15-17", {"grade": 10**12})


def test_kiosk_gets_bounds_note_and_pictures():
    questions = {q["key"]: q for q in kiosk_questions(typed_spec(), "12-14")}

    assert (questions["grade"]["min"], questions["grade"]["max"]) == (1, 12)
    assert questions["grade"]["note"] == "写数字就行"
    assert questions["grade"]["options"] == []
    pictures = [
        (o["value"], o["emoji"], o["image"]) for o in questions["zones"]["options"]
    ]
    assert pictures == [
        ("climb", "🧗", None),
        ("water", None, "/static/water.png"),
        ("grass", None, None),
    ]


# ---------- format checks ----------


@pytest.mark.parametrize("key", sorted(builtin_templates()))
def test_builtin_templates_pass_without_advice(key):
    assert check_spec(builtin_templates()[key]) == ([], [])


def _broken(change):
    spec = typed_spec()
    change(spec)
    return spec


BROKEN = [
    ("survey key", lambda s: s.update(key="Club!")),
    ("reserved key", lambda s: s.update(key="new")),
    ("stage", lambda s: s.update(stage="随便")),
    ("retention", lambda s: s.update(retention_days=0)),
    ("no questions", lambda s: s.update(questions=[])),
    ("duplicate key", lambda s: s["questions"].append(copy.deepcopy(NUMBER))),
    ("unknown type", lambda s: s["questions"][-1].update(type="slider")),
    ("missing prompt band", lambda s: s["questions"][-1]["prompt"].pop("15-17")),
    ("band order", lambda s: s["questions"][-1].update(bands=["15-17", "12-14"])),
    ("min above max", lambda s: s["questions"][-1].update(min=5, max=2)),
    ("bounds on choice", lambda s: s["questions"][-2].update(max=3)),
    ("one option", lambda s: s["questions"][-2].update(options=RANKING["options"][:1])),
    ("option value", lambda s: s["questions"][-2]["options"][0].update(value="爬")),
    ("empty label", lambda s: s["questions"][-2]["options"][0].update(label=" ")),
    (
        "outside picture",
        lambda s: s["questions"][-2]["options"][0].update(image="https://x.cn/a.png"),
    ),
    ("options on number", lambda s: s["questions"][-1].update(options=[])),
    (
        "condition on later question",
        lambda s: s["questions"][-2].update(show_if={"question": "grade", "in": ["1"]}),
    ),
    (
        "condition on number",
        lambda s: s["questions"][-1].update(show_if={"question": "zones", "in": ["a"]}),
    ),
]


@pytest.mark.parametrize(("case", "change"), BROKEN, ids=[c for c, _ in BROKEN])
def test_broken_specs_are_refused(case, change):
    errors, _ = check_spec(_broken(change))

    assert errors, case


def test_advice_names_the_band_rules():
    spec = typed_spec()
    spec["questions"][-2]["bands"] = ["6-8"]
    spec["questions"][-2]["prompt"] = {"6-8": "排一排"}
    spec["purpose"] = ""

    errors, advice = check_spec(spec)

    assert errors == []
    assert any("6-8 岁：排序" in item for item in advice)
    assert any("为什么问孩子" in item for item in advice)
    assert any("表情或图片" in item for item in advice)


def test_parse_options_with_pinyin_values_and_bad_lines():
    options = editor_forms.parse_options(
        "yes | 愿意 | 🙋\n\n滑梯\nfar | 医院好远 | | /p/far.png"
    )

    assert options == [
        {"value": "yes", "label": "愿意", "emoji": "🙋"},
        {"value": "hua_ti", "label": "滑梯"},
        {"value": "far", "label": "医院好远", "image": "/p/far.png"},
    ]
    with pytest.raises(SpecError) as caught:
        editor_forms.parse_options("ok | 好\nBad Value | 坏")
    assert caught.value.errors == ["第 2 行要写成「代号 | 文字 | 表情」。"]


# ---------- the editor pages ----------


@pytest.mark.parametrize("role", ["department", "safeguarding"])
def test_editor_refuses_other_roles(client, login, seeded, role):
    login(role)

    assert client.get("/surveys/").status_code == 403
    assert client.get("/surveys/needs/").status_code == 403


def test_editor_needs_sign_in(client, seeded):
    response = client.get("/surveys/needs/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_list_shows_surveys_and_their_state(client, staff, make_launch, draft):
    make_launch("consult")

    page = client.get("/surveys/").get_data(as_text=True)

    assert "课后活动" in page and "可编辑" in page
    assert page.count(">内置模板<") == 3
    assert 'href="/surveys/club/"' in page


def test_nav_links_to_editor(client, staff):
    assert 'href="/surveys/">问卷编辑' in client.get("/").get_data(as_text=True)


def test_create_blank_survey(client, staff, session):
    response = client.post(
        "/surveys/new", data={"source": "", "key": "park_plan", "title": "公园规划"}
    )

    assert response.status_code == 302
    survey = session.exec(select(Survey).where(Survey.key == "park_plan")).one()
    assert survey.title == "公园规划"
    assert [q["practice"] for q in survey.spec["questions"]] == [True, True]
    assert survey.version == spec_version(survey.spec)


def test_create_from_template_copies_it(client, staff, session):
    client.post(
        "/surveys/new", data={"source": "needs", "key": "needs_2025", "title": "需求"}
    )

    copy_ = session.exec(select(Survey).where(Survey.key == "needs_2025")).one()
    original = builtin_templates()["needs"]
    assert copy_.spec["questions"] == original["questions"]
    assert copy_.spec["title"] == "需求"


@pytest.mark.parametrize("key", ["needs", "Bad-Key", "audio"])
def test_create_refuses_taken_or_bad_keys(client, staff, session, key):
    before = session.exec(select(func.count(Survey.id))).one()

    response = client.post(
        "/surveys/new", data={"source": "", "key": key, "title": "x"}
    )

    assert response.status_code in (200, 422)
    assert session.exec(select(func.count(Survey.id))).one() == before


def test_builtin_template_is_read_only(client, staff, session):
    survey = session.exec(select(Survey).where(Survey.key == "needs")).one()

    page = client.get("/surveys/needs/").get_data(as_text=True)
    response = client.post(
        "/surveys/needs/",
        data={"version": survey.version, "title": "改了", "stage": "需求表达"}
        | {"retention_days": 30},
    )

    assert "复制后修改" in page and "保存</button>" not in page
    assert "内置模板" in response.get_data(as_text=True)
    assert reload(session, survey).title != "改了"


def test_launched_survey_is_read_only(client, staff, session, draft):
    from surveys.operations import create_launch

    create_launch(session, draft, "12-14", "lecheng")

    response = client.post(
        "/surveys/club/questions/grade/delete", data={"version": draft.version}
    )

    assert response.status_code == 302
    assert editor_forms.find_question(reload(session, draft).spec, "grade")
    assert "已经发放过" in client.get("/surveys/club/").get_data(as_text=True)


def _survey_form(survey, **changes):
    spec = survey.spec
    data = {
        "version": survey.version,
        "title": spec["title"],
        "stage": spec["stage"],
        "purpose": "听听孩子们想要什么课后活动。",
        "decides": "街道儿童之家",
        "open_to_change": "活动内容和时间",
        "feedback_by": "一个月内在儿童之家公布",
        "retention_days": 180,
    }
    for band in ("6_8", "9_11", "12_14", "15_17"):
        data[f"intro_{band}"] = "参加是自愿的，可以跳过，也可以随时结束。"
    return data | changes


def test_save_fields_bumps_version(client, staff, session, draft):
    old = draft.version

    response = client.post("/surveys/club/", data=_survey_form(draft, title="新的标题"))

    assert response.status_code == 302
    saved = reload(session, draft)
    assert (saved.title, saved.retention_days) == ("新的标题", 180)
    assert saved.spec["decides"] == "街道儿童之家"
    assert saved.version == spec_version(saved.spec) != old


def test_stale_version_is_refused(client, staff, session, draft):
    client.post("/surveys/club/", data=_survey_form(draft, title="第一次"))

    response = client.post("/surveys/club/", data=_survey_form(draft, title="第二次"))

    assert "别人刚刚保存过" in response.get_data(as_text=True)
    assert reload(session, draft).title == "第一次"


def _question_form(survey, **fields):
    data = {
        "version": survey.version,
        "key": "join_club",
        "type": "single",
        "bands": ["9-11", "12-14"],
        "prompt_9_11": "你想参加哪个兴趣小组？",
        "prompt_12_14": "你最想参加哪个兴趣小组？",
        "shared_options": "y",
        "options_all": "art | 画画 | 🎨\n足球 | ⚽\nmusic | 唱歌 | 🎵",
    }
    return data | fields


def test_add_question_with_options(client, staff, session, draft):
    response = client.post("/surveys/club/new-question", data=_question_form(draft))

    assert response.status_code == 302
    question = editor_forms.find_question(reload(session, draft).spec, "join_club")
    assert question["bands"] == ["9-11", "12-14"]
    assert "note" not in question
    assert [o["value"] for o in question["options"]] == ["art", "zu_qiu", "music"]
    assert question["options"][1] == {"value": "zu_qiu", "label": "足球", "emoji": "⚽"}


def test_add_question_per_band_options(client, staff, session, draft):
    form = _question_form(
        draft,
        type="faces",
        shared_options="",
        options_9_11="bad | 不喜欢 | 🙁\nok | 一般 | 😐\ngood | 喜欢 | 😀",
        options_12_14="bad | 不太喜欢 | 🙁\nok | 一般 | 😐\ngood | 比较喜欢 | 🙂",
        note_9_11="看图再选",
        note_15_17="不会保存",
    )
    client.post("/surveys/club/new-question", data=form)

    question = editor_forms.find_question(reload(session, draft).spec, "join_club")
    assert question["options"]["12-14"][2]["label"] == "比较喜欢"
    assert set(question["options"]) == {"9-11", "12-14"}
    assert question["note"] == {"9-11": "看图再选"}


def test_same_note_for_every_band_is_one_text(client, staff, session, draft):
    form = _question_form(draft, note_9_11=" 看图 ", note_12_14="看图")

    client.post("/surveys/club/new-question", data=form)

    question = editor_forms.find_question(reload(session, draft).spec, "join_club")
    assert question["note"] == "看图"
    page = client.get("/surveys/club/questions/join_club").get_data(as_text=True)
    assert page.count('value="看图"') == 2


def test_bad_question_is_not_saved(client, staff, session, draft):
    form = _question_form(draft, options_all="art | 画画")

    response = client.post("/surveys/club/new-question", data=form)

    assert "至少要有两个选项" in response.get_data(as_text=True)
    assert editor_forms.find_question(reload(session, draft).spec, "join_club") is None


def test_rename_question_follows_conditions_and_clips(client, staff, session, draft):
    client.post("/surveys/club/new-question", data=_question_form(draft))
    draft = reload(session, draft)
    follow = _question_form(
        draft,
        key="why_club",
        type="text",
        show_if_question="join_club",
        show_if_values="art, music",
    )
    client.post("/surveys/club/new-question", data=follow)
    draft = reload(session, draft)
    with client.application.test_request_context():
        audio.save_clip("club", "join_club", None, "audio/wav", wav_bytes())

    renamed = _question_form(draft, key="club_pick")
    response = client.post("/surveys/club/questions/join_club", data=renamed)

    assert response.status_code == 302
    spec = reload(session, draft).spec
    assert editor_forms.find_question(spec, "why_club")["show_if"] == {
        "question": "club_pick",
        "in": ["art", "music"],
    }
    with client.application.test_request_context():
        assert set(audio.clips("club")) == {"club_pick"}


def test_move_and_delete_questions(client, staff, session, draft):
    version = draft.version

    client.post(
        "/surveys/club/questions/grade/move", data={"version": version, "step": "up"}
    )
    order = [q["key"] for q in reload(session, draft).spec["questions"]]
    client.post(
        "/surveys/club/questions/zones/delete",
        data={"version": reload(session, draft).version},
    )

    assert order[-2:] == ["grade", "zones"]
    keys = [q["key"] for q in reload(session, draft).spec["questions"]]
    assert keys == ["fruit", "today", "grade"]


def test_question_others_depend_on_cannot_be_deleted(client, staff, session, draft):
    client.post("/surveys/club/new-question", data=_question_form(draft))
    draft = reload(session, draft)
    follow = _question_form(
        draft, key="why_club", type="text", show_if_question="join_club"
    ) | {"show_if_values": "art"}
    client.post("/surveys/club/new-question", data=follow)
    draft = reload(session, draft)

    response = client.post(
        "/surveys/club/questions/join_club/delete", data={"version": draft.version}
    )

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "跳题条件要指向前面的一道选择题" in page
    assert editor_forms.find_question(reload(session, draft).spec, "join_club")


def test_survey_page_shows_checks_per_band(client, staff, draft):
    page = client.get("/surveys/club/").get_data(as_text=True)

    assert page.count('class="findings"') == 4
    assert "发放前请填写" in page
    assert "6-8 岁没有正式题目" in page
    assert re.search(r'<tr id="q-zones"', page)


def test_question_page_shows_its_findings(client, staff, session, draft):
    spec = copy.deepcopy(draft.spec)
    spec["questions"][-1]["prompt"]["12-14"] = "你上几年级？像饕餮一样能吃吗？"
    editor_forms.save_survey(session, draft, spec, draft.version)

    page = client.get("/surveys/club/questions/grade").get_data(as_text=True)

    assert 'data-band="12-14" open' in page
    assert 'data-band="15-17">' in page
    assert "“饕”“餮”不在最常用的 3000 个字里" in page


def test_export_form_download(client, staff, draft):
    response = client.get("/surveys/club/form.xlsx")

    assert response.status_code == 200
    assert response.data[:2] == b"PK"
    assert "club.xlsx" in response.headers["Content-Disposition"]


# ---------- preview ----------


def _kiosk_data(page):
    found = re.search(r'id="kiosk-data">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


@pytest.mark.parametrize("band", ["6-8", "15-17"])
def test_preview_renders_the_kiosk_in_preview_mode(client, staff, band):
    frame = client.get(f"/surveys/needs/preview/{band}")
    kiosk = client.get(f"/surveys/needs/preview/{band}/kiosk")

    assert f'src="/surveys/needs/preview/{band}/kiosk"' in frame.get_data(as_text=True)
    assert 'width="768" height="1024"' in frame.get_data(as_text=True)
    data = _kiosk_data(kiosk.get_data(as_text=True))
    assert data["preview"] is True and data["band"] == band
    assert data["submit_url"] == f"/surveys/needs/preview/{band}/responses"
    assert data["pinyin"] is (band == "6-8")
    assert (data["title_ruby"] is not None) is (band == "6-8")
    assert "frame-ancestors 'self'" in kiosk.headers["Content-Security-Policy"]
    assert kiosk.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert frame.headers["X-Frame-Options"] == "DENY"


def test_preview_of_unknown_band_is_404(client, staff):
    assert client.get("/surveys/needs/preview/5-6/kiosk").status_code == 404


def test_preview_submission_stores_nothing(client, session, seeded):
    payload = {"id": str(uuid.uuid4()), "answers": {"safe_way": "safe"}}

    response = client.post("/surveys/needs/preview/9-11/responses", json=payload)

    assert response.status_code == 200 and response.json["stored"] is False
    assert session.exec(select(func.count(Response.id))).one() == 0
    assert session.exec(select(func.count(Answer.id))).one() == 0


# ---------- read-aloud clips ----------


def _upload(client, data, mimetype="audio/wav", band="", name="clip.wav"):
    return client.post(
        "/surveys/club/questions/grade/audio",
        data={"clip": (io.BytesIO(data), name, mimetype), "band": band},
        content_type="multipart/form-data",
    )


def test_upload_clip_is_stored_served_and_used_by_kiosk(
    client, staff, draft, audio_dir
):
    response = _upload(client, wav_bytes())

    assert response.status_code == 302
    assert (audio_dir / "club" / "grade.wav").read_bytes() == wav_bytes()
    data = _kiosk_data(
        client.get("/surveys/club/preview/12-14/kiosk").get_data(as_text=True)
    )
    url = next(q["audio_url"] for q in data["questions"] if q["key"] == "grade")
    assert url.startswith("/surveys/audio/club/grade.wav?v=")
    client.post("/logout")
    with client.get(url) as served:
        assert served.status_code == 200 and served.mimetype == "audio/wav"
        assert served.data == wav_bytes()


def test_band_clip_wins_over_general_one(client, staff, draft, app):
    _upload(client, wav_bytes(800))
    _upload(client, wav_bytes(400), band="15-17")

    with app.test_request_context():
        general = kiosk_questions(draft.spec, "12-14")
        own = kiosk_questions(draft.spec, "15-17")

    assert next(q for q in general if q["key"] == "grade")["audio_url"].startswith(
        "/surveys/audio/club/grade.wav"
    )
    assert (
        "/grade.15-17.wav" in next(q for q in own if q["key"] == "grade")["audio_url"]
    )


@pytest.mark.parametrize(
    ("data", "mimetype", "message"),
    [
        (b"ID3" + b"\x00" * 100, "video/mp4", "只能上传"),
        (b"not audio at all", "audio/mpeg", "对不上"),
        (b"OggS" + b"\x00" * 100, "audio/wav", "对不上"),
        (b"", "audio/wav", "录音"),
    ],
)
def test_bad_clips_are_refused(
    client, staff, draft, audio_dir, data, mimetype, message
):
    response = _upload(client, data, mimetype=mimetype)

    if response.status_code == 302:
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    else:
        page = response.get_data(as_text=True)
    assert message in page
    assert list(audio_dir.glob("club/*")) == []


@pytest.mark.parametrize("size", [3000, 300 * 1024])
def test_oversize_clip_is_refused(client, staff, draft, audio_dir, monkeypatch, size):
    monkeypatch.setattr(audio, "MAX_BYTES", 2000)

    response = _upload(client, wav_bytes(size // 2))

    if response.status_code == 302:
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    else:
        assert response.status_code == 413
        page = response.get_data(as_text=True)
    assert "太大" in page
    assert list(audio_dir.glob("club/*")) == []


def test_delete_clip(client, staff, draft, app):
    _upload(client, wav_bytes())

    client.post("/surveys/club/questions/grade/audio/delete", data={"band": ""})

    with app.test_request_context():
        assert audio.clips("club") == {}


@pytest.mark.parametrize("name", ["../secret.wav", "grade.exe", "grade.5-6.wav"])
def test_audio_route_serves_only_clips(client, seeded, name):
    assert client.get(f"/surveys/audio/club/{name}").status_code == 404


def test_live_kiosk_plays_uploaded_clip(client, staff, make_launch, app):
    with app.test_request_context():
        audio.save_clip("needs", "safe_way", None, "audio/wav", wav_bytes())
    launch = make_launch("needs", band="9-11")

    data = _kiosk_data(client.get(f"/k/{launch.code}").get_data(as_text=True))

    urls = {q["key"]: q["audio_url"] for q in data["questions"]}
    assert urls["safe_way"].startswith("/surveys/audio/needs/safe_way.wav")
    assert urls["park"] is None


def test_duplicate_copies_clips(client, staff, session, app):
    with app.test_request_context():
        audio.save_clip("needs", "wish", "6-8", "audio/wav", wav_bytes())

    client.post("/surveys/needs/duplicate", data={"key": "needs_b", "title": "副本"})

    assert session.exec(select(Survey).where(Survey.key == "needs_b")).one()
    with app.test_request_context():
        assert [c["name"] for c in audio.clips("needs_b")["wish"]] == ["wish.6-8.wav"]
