"""Number, ranking, notes, pictures and preview in the kiosk, checked in the database.

An authored survey with a number question (0 to 7, with a note), a ranking
question and a choice with pictures is stored through the editor's operation
and launched per band; each test taps through it on the 768×1024 touch tablet
and reads back what the server stored.
"""

import copy
import os
from pathlib import Path

import pytest
from sqlmodel import func, select

from surveys.models import Response, Survey
from surveys.templates import spec_version
from tests.browser.pages import Kiosk, asked, layout_problems, stored

BANDS = ("6-8", "9-11", "12-14", "15-17")
VOLUNTARY = "参加是自愿的，每一题都可以跳过，也可以随时结束。"
#: a note with markup in it: the kiosk must show the characters, not make a tag
NOTE = "写数字就行，<b>不用写字</b>"
ZONES = ("water", "climb", "grass")


def each_band(text):
    """Return text as the wording of every band."""
    return dict.fromkeys(BANDS, text)


SPEC = {
    "key": "play_types",
    "title": "公园里的游乐场",
    "stage": "方案制定",
    "intro": each_band(VOLUNTARY),
    "purpose": "听听孩子想要什么样的游乐场。",
    "decides": "园林部门",
    "open_to_change": "游乐场里放什么。",
    "feedback_by": "下个月在学校公告栏。",
    "retention_days": 365,
    "questions": [
        {
            "key": "visits",
            "type": "number",
            "practice": False,
            "prompt": each_band("这个星期你去公园玩了几次？"),
            "note": NOTE,
            "min": 0,
            "max": 7,
        },
        {
            "key": "zones",
            "type": "ranking",
            "practice": False,
            "prompt": each_band("公园里先建哪个？"),
            "options": [
                {"value": "water", "label": "戏水区", "emoji": "💦"},
                {"value": "climb", "label": "攀爬架", "emoji": "🧗"},
                {"value": "grass", "label": "大草地", "emoji": "🌱"},
            ],
        },
        {
            "key": "ride",
            "type": "single",
            "practice": False,
            "prompt": each_band("你最想玩哪个？"),
            "options": [
                {
                    "value": "slide",
                    "label": "滑梯",
                    "emoji": "🛝",
                    "image": "/pictures/slide.svg",
                },
                {
                    "value": "swing",
                    "label": "秋千",
                    "emoji": "🎠",
                    "image": "/pictures/swing.svg",
                },
                {"value": "sand", "label": "沙坑", "emoji": "🏖️"},
            ],
        },
    ],
}
#: a 4:3 drawing, as a picture file on this site would be
PICTURE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120"'
    ' viewBox="0 0 160 120"><rect width="160" height="120" fill="#cfe2f7"/>'
    '<circle cx="80" cy="60" r="40" fill="#0a58a8"/></svg>'
)
#: where a tampered spec could point pictures: other origins, all on loopback
ELSEWHERE = ("//127.0.0.1:9/a.svg", "/\\127.0.0.1:9/b.svg", "http://127.0.0.1:9/c.svg")


@pytest.fixture(scope="module")
def survey_key(live_server):
    """Return the key of the authored survey, stored as the editor stores it."""
    return live_server.add_survey(copy.deepcopy(SPEC))


@pytest.fixture
def open_types(open_kiosk, live_server, survey_key):
    """Return a factory opening a fresh launch of the survey for a band."""

    def open_(band):
        return open_kiosk(code=live_server.new_launch(band, survey_key=survey_key))

    return open_


def shoot(kiosk, name, tmp_path):
    """Keep a screenshot in TONGSHENG_SCREENSHOTS (else the test's folder)."""
    shots = Path(os.environ.get("TONGSHENG_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    kiosk.page.screenshot(path=str(shots / f"{name}.png"))


def tap_centre(kiosk, testid):
    """Tap the middle of an element even when it is disabled."""
    box = kiosk.by(testid).bounding_box()
    kiosk.page.touchscreen.tap(
        box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    )


def only_response(kiosk, live_server):
    """Return the answers of the launch's one stored response."""
    kiosk.page.wait_for_selector("[data-testid=status][data-state=sent]")
    (answers,) = stored(live_server, kiosk.code).values()
    return answers


def show_picture(route):
    """Answer a picture request with the drawing."""
    route.fulfill(body=PICTURE, content_type="image/svg+xml")


def response_count(live_server):
    """Return how many responses the database holds in all."""
    with live_server.session() as session:
        return session.exec(select(func.count()).select_from(Response)).one()


@pytest.mark.parametrize("band", ["6-8", "12-14"])
def test_number_by_big_buttons_stays_in_range(open_types, live_server, tmp_path, band):
    kiosk = open_types(band)
    kiosk.start()
    field = kiosk.by("number")

    assert kiosk.screen() == ("question", "visits", "number")
    assert field.get_attribute("inputmode") == "numeric"
    assert kiosk.by("next").is_disabled()
    shoot(kiosk, f"number-{band}-untouched", tmp_path)
    kiosk.by("minus").tap()
    assert field.input_value() == "0"
    assert kiosk.by("minus").is_disabled()
    for _ in range(9):
        tap_centre(kiosk, "plus")
    assert field.input_value() == "7"
    assert kiosk.by("plus").is_disabled()
    kiosk.by("minus").tap()
    kiosk.by("minus").tap()
    assert field.input_value() == "5"

    field.fill("9")
    assert field.input_value() == "5"
    field.fill("")
    assert kiosk.by("next").is_disabled()
    field.press_sequentially("12")
    assert field.input_value() == "1"
    kiosk.by("plus").tap()
    kiosk.by("plus").tap()
    assert field.input_value() == "3"
    assert kiosk.by("next").is_enabled()
    assert layout_problems(kiosk, band) == []
    shoot(kiosk, f"number-{band}", tmp_path)

    kiosk.by("next").tap()
    kiosk.tick()
    kiosk.answer(None)
    kiosk.answer(None)
    kiosk.finish()
    answers = only_response(kiosk, live_server)
    assert answers == {"visits": 3, "zones": None, "ride": None}
    assert type(answers["visits"]) is int


@pytest.mark.parametrize("band", ["6-8", "12-14"])
def test_ranking_by_taps_with_a_take_back(open_types, live_server, tmp_path, band):
    kiosk = open_types(band)
    kiosk.start()
    kiosk.answer(None)
    assert kiosk.screen() == ("question", "zones", "ranking")
    assert kiosk.ranks() == dict.fromkeys(ZONES, "")

    kiosk.option("climb").tap()
    kiosk.option("water").tap()
    assert kiosk.ranks() == {"water": "2", "climb": "1", "grass": ""}
    assert kiosk.by("next").is_disabled()
    kiosk.option("climb").tap()
    assert kiosk.ranks() == {"water": "1", "climb": "", "grass": ""}
    assert kiosk.option("climb").get_attribute("aria-pressed") == "false"
    kiosk.option("grass").tap()
    assert kiosk.by("next").is_disabled()
    assert layout_problems(kiosk, band) == []
    shoot(kiosk, f"ranking-{band}", tmp_path)
    kiosk.option("climb").tap()
    assert kiosk.ranks() == {"water": "1", "climb": "3", "grass": "2"}
    shoot(kiosk, f"ranking-{band}-done", tmp_path)

    kiosk.by("next").tap()
    kiosk.tick()
    kiosk.by("back").tap()
    kiosk.tick()
    assert kiosk.ranks() == {"water": "1", "climb": "3", "grass": "2"}
    kiosk.by("next").tap()
    kiosk.tick()
    kiosk.answer("sand")
    kiosk.finish()
    assert only_response(kiosk, live_server) == {
        "visits": None,
        "zones": ["water", "grass", "climb"],
        "ride": "sand",
    }


def test_note_shows_under_the_prompt_as_text(open_types, live_server):
    kiosk = open_types("6-8")
    kiosk.start()
    note = kiosk.by("question-note")
    prompt = kiosk.by("prompt").bounding_box()

    assert note.is_visible()
    assert kiosk.words("question-note") == asked(live_server, kiosk.code)[0]["note"]
    assert kiosk.words("question-note") == NOTE
    assert note.locator("b").count() == 0
    assert note.locator("rt").count() > 0
    assert note.bounding_box()["y"] >= prompt["y"] + prompt["height"]
    sizes = [
        kiosk.by(testid).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        for testid in ("question-note", "prompt")
    ]
    assert 22 <= sizes[0] < sizes[1]

    kiosk.answer(2)
    kiosk.answer(None)
    kiosk.answer(None)
    kiosk.finish()
    assert only_response(kiosk, live_server) == {
        "visits": 2,
        "zones": None,
        "ride": None,
    }


def boxes(kiosk):
    """Return where each option card and its words sit on the screen."""
    return kiosk.page.locator("[data-testid=option]").evaluate_all(
        "cards => cards.map(c => [c.getBoundingClientRect().toJSON(),"
        " c.querySelector('.label').getBoundingClientRect().toJSON()])"
    )


def test_picture_cards_keep_their_words(open_types, live_server, tmp_path):
    kiosk = open_types("6-8")
    held = []
    kiosk.page.route("**/pictures/*.svg", lambda route: held.append(route))
    kiosk.start()
    kiosk.answer(None)
    kiosk.answer(None)
    assert kiosk.screen() == ("question", "ride", "single")

    img = kiosk.option("slide").locator("img")
    assert [img.get_attribute(name) for name in ("src", "alt", "loading")] == [
        "/pictures/slide.svg",
        "滑梯",
        "lazy",
    ]
    assert (img.get_attribute("width"), img.get_attribute("height")) == ("160", "120")
    assert kiosk.option("sand").locator("img").count() == 0
    assert kiosk.option("sand").locator(".emoji").is_visible()
    for value, words in (("slide", "滑梯"), ("swing", "秋千"), ("sand", "沙坑")):
        label = kiosk.option(value).locator(".label")
        assert label.is_visible()
        assert (
            label.evaluate(
                "e => { const c = e.cloneNode(true);"
                " c.querySelectorAll('rt').forEach(r => r.remove());"
                " return c.textContent; }"
            )
            == words
        )

    before = boxes(kiosk)
    for _ in range(100):
        if len(held) == 2:
            break
        kiosk.page.wait_for_timeout(50)
    assert sorted(route.request.url.rsplit("/", 1)[1] for route in held) == [
        "slide.svg",
        "swing.svg",
    ]
    for route in held:
        show_picture(route)
    kiosk.page.wait_for_function(
        "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
    )
    assert boxes(kiosk) == before
    picture = img.bounding_box()
    label = kiosk.option("slide").locator(".label").bounding_box()
    assert picture["y"] + picture["height"] <= label["y"]
    assert layout_problems(kiosk, "6-8") == []
    shoot(kiosk, "pictures-6-8", tmp_path)

    kiosk.answer("swing")
    kiosk.finish()
    assert only_response(kiosk, live_server) == {
        "visits": None,
        "zones": None,
        "ride": "swing",
    }


def test_pictures_from_elsewhere_are_not_loaded(open_kiosk, live_server):
    spec = copy.deepcopy(SPEC)
    spec["key"] = "play_elsewhere"
    ride = spec["questions"][2]
    for option, image in zip(ride["options"], ELSEWHERE, strict=True):
        option["image"] = image
    spec["questions"] = [ride]
    with live_server.session() as session:
        survey = Survey(
            key=spec["key"],
            title=spec["title"],
            stage=spec["stage"],
            spec=spec,
            version=spec_version(spec),
        )
        session.add(survey)
        session.commit()
    kiosk = open_kiosk(code=live_server.new_launch("9-11", survey_key=spec["key"]))
    kiosk.start()

    assert kiosk.page.locator("[data-testid=option] img").count() == 0
    labels = kiosk.page.locator("[data-testid=option] .label").all_inner_texts()
    assert labels == ["滑梯", "秋千", "沙坑"]
    assert [r.url for r in kiosk.requests if "127.0.0.1:9/" in r.url] == []

    kiosk.answer("slide")
    kiosk.finish()
    assert only_response(kiosk, live_server) == {"ride": "slide"}


def test_preview_keeps_and_sends_nothing(tablet, live_server, survey_key, tmp_path):
    password = "preview-password-1"
    kiosk = Kiosk(tablet, live_server, code=None)
    kiosk.page.route("**/pictures/*.svg", show_picture)
    kiosk.sign_in(live_server.add_user("staff", password), password)
    before = response_count(live_server)
    kiosk.open(f"/surveys/{survey_key}/preview/6-8/kiosk")
    badge = kiosk.by("preview-badge")

    assert badge.is_visible()
    assert "预览" in kiosk.words("preview-badge")
    kiosk.start()
    assert badge.is_visible()
    shoot(kiosk, "preview-6-8", tmp_path)
    kiosk.by("plus").tap()
    kiosk.by("next").tap()
    kiosk.tick()
    kiosk.answer(list(ZONES))
    kiosk.answer("slide")
    kiosk.finish()
    assert kiosk.status() == "preview"
    assert "预览" in kiosk.words("status")
    assert badge.is_visible()
    shoot(kiosk, "preview-6-8-done", tmp_path)
    kiosk.tick(70_000)

    kiosk.start()
    kiosk.answer(4)
    kiosk.by("stop").tap()
    kiosk.by("stop-yes").tap()
    kiosk.tick(70_000)
    assert kiosk.screen()[0] == "start"
    assert [r.url for r in kiosk.requests if r.method == "POST"] == []
    assert kiosk.storage() == [[], []]
    assert kiosk.by("queue-indicator").is_hidden()
    assert response_count(live_server) == before
    kiosk.check_clean()


@pytest.mark.parametrize("band", BANDS)
def test_new_types_fit_every_band(open_types, live_server, band):
    kiosk = open_types(band)
    kiosk.start()
    problems = layout_problems(kiosk, band)
    kiosk.by("plus").tap()
    kiosk.by("next").tap()
    kiosk.tick()
    problems += layout_problems(kiosk, band)
    for value in reversed(ZONES):
        kiosk.option(value).tap()
    problems += layout_problems(kiosk, band)
    kiosk.by("next").tap()
    kiosk.tick()
    problems += layout_problems(kiosk, band)
    kiosk.answer("slide")
    kiosk.finish()

    assert problems == []
    assert only_response(kiosk, live_server) == {
        "visits": 1,
        "zones": ["grass", "climb", "water"],
        "ride": "slide",
    }
