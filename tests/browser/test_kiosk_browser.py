"""The kiosk in a real Chromium on a 768×1024 touch tablet, checked in the database.

Every scenario opens the real app's kiosk, answers by tapping and then looks
at what the server stored: answers once, nothing of one child left for the
next, reading help and sizes for each age band.
"""

import json
import os
from pathlib import Path

import pytest

from tests.browser.pages import asked, layout_problems, rejected, stored, tablets

WISH = "想要一个有秋千的公园"


def tap_through(key, kind, values):
    """Choose an answer that keeps every follow-up question on the way."""
    if kind == "text":
        return WISH if key == "wish" else None
    if kind == "multi":
        return values[:2]
    if kind == "yesno":
        return values[-1]
    return values[0]


def sent(given, practice):
    """Return what the server should hold of the answers given."""
    return {
        key: sorted(value) if isinstance(value, list) else value
        for key, value in given.items()
        if key not in practice
    }


def practice_keys(server, code):
    """Return the keys of the practice questions of a launch."""
    return {q["key"] for q in asked(server, code) if q["practice"]}


def test_child_answers_whole_survey_by_touch(open_kiosk, live_server):
    kiosk = open_kiosk("6-8")
    kiosk.start()

    given = kiosk.walk(tap_through)
    kiosk.finish()
    kiosk.page.wait_for_selector("[data-testid=status][data-state=sent]")

    questions = asked(live_server, kiosk.code)
    assert list(given) == [q["key"] for q in questions]
    expected = sent(given, practice_keys(live_server, kiosk.code))
    assert list(stored(live_server, kiosk.code).values()) == [expected]
    tablet = kiosk.page.evaluate("localStorage.getItem('tongsheng.tablet')")
    assert tablets(live_server, kiosk.code) == [tablet]
    assert kiosk.posts == [201]
    assert kiosk.queue() == (0, 0)


def test_answer_made_offline_arrives_exactly_once(open_kiosk, live_server):
    kiosk = open_kiosk("6-8")
    kiosk.start()
    given = kiosk.walk(tap_through, until="play_want")

    kiosk.context.set_offline(True)
    given |= kiosk.walk(tap_through)
    kiosk.finish()
    kiosk.tick(5000)

    assert kiosk.status() == "saved"
    assert "已保存在这台平板上" in kiosk.words("status")
    assert kiosk.queue() == (1, 0)
    assert stored(live_server, kiosk.code) == {}

    kiosk.context.set_offline(False)
    kiosk.page.wait_for_selector("[data-testid=status][data-state=sent]")
    assert "已送出" in kiosk.words("status")
    kiosk.tick(70_000)

    expected = sent(given, practice_keys(live_server, kiosk.code))
    assert list(stored(live_server, kiosk.code).values()) == [expected]
    assert kiosk.posts == [201]
    assert kiosk.storage() == [["tongsheng.tablet"], []]


def test_double_tap_on_finish_stores_one(open_kiosk, live_server):
    kiosk = open_kiosk("6-8")
    kiosk.start()
    kiosk.walk(tap_through)
    box = kiosk.by("finish").bounding_box()

    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    kiosk.page.touchscreen.tap(x, y)
    kiosk.tick(120)
    kiosk.page.touchscreen.tap(x, y)
    kiosk.page.wait_for_selector("[data-testid=status][data-state=sent]")
    kiosk.tick(2000)

    assert len(stored(live_server, kiosk.code)) == 1
    assert kiosk.posts == [201]
    assert kiosk.screen()[0] == "done"


def leftovers(kiosk):
    """Return what the page still shows or keeps of the last child."""
    page = kiosk.page
    found = []
    if WISH in page.content():
        found.append("text in the DOM")
    if page.locator("[aria-pressed=true]").count():
        found.append("a chosen card")
    if page.locator("textarea").evaluate_all("areas => areas.some(a => a.value)"):
        found.append("a filled textarea")
    if kiosk.storage() != [["tongsheng.tablet"], []]:
        found.append(f"storage {kiosk.storage()}")
    if kiosk.context.cookies():
        found.append("a cookie")
    return found


def test_next_child_sees_nothing_of_the_last(open_kiosk, live_server):
    kiosk = open_kiosk("6-8")
    kiosk.start()
    kiosk.walk(tap_through)
    kiosk.finish()
    kiosk.page.wait_for_selector("[data-testid=status][data-state=sent]")

    kiosk.by("next-child").tap()
    kiosk.tick()
    assert kiosk.screen()[0] == "start"
    assert leftovers(kiosk) == []

    kiosk.page.reload()
    kiosk.page.wait_for_selector("[data-testid=start]")
    assert leftovers(kiosk) == []
    kiosk.page.go_back()
    kiosk.tick()
    assert kiosk.screen()[0] == "start"
    assert leftovers(kiosk) == []

    kiosk.start()
    kiosk.walk(tap_through, until="wish")
    area = kiosk.by("text-answer")
    assert area.input_value() == ""
    assert area.get_attribute("autocomplete") == "off"
    kiosk.answer(None)
    kiosk.walk(tap_through)
    kiosk.finish()
    kiosk.page.wait_for_selector("[data-testid=status][data-state=sent]")

    kiosk.by("feedback").tap()
    kiosk.page.wait_for_url("**/feedback/**")
    kiosk.page.go_back()
    kiosk.page.wait_for_selector("[data-testid=start]")
    assert leftovers(kiosk) == []

    first, second = stored(live_server, kiosk.code).values()
    assert [first.get("wish"), second.get("wish")].count(WISH) == 1
    assert len(set(tablets(live_server, kiosk.code))) == 1


@pytest.mark.parametrize(
    ("band", "voice", "button"),
    [
        ("6-8", True, "speaks"),
        ("9-11", True, "speaks"),
        ("9-11", False, "hidden"),
        ("12-14", True, "absent"),
        ("15-17", True, "absent"),
    ],
)
def test_read_aloud_where_a_voice_can_speak(
    open_kiosk, live_server, band, voice, button
):
    kiosk = open_kiosk(band, voice=voice)
    kiosk.start()
    read = kiosk.by("read-aloud")

    assert read.count() == (0 if button == "absent" else 1)
    assert read.is_visible() is (button == "speaks")
    if button != "speaks":
        return
    read.tap()
    spoken = kiosk.page.evaluate("window.__spoken")
    first = asked(live_server, kiosk.code)[0]
    assert "".join(s["text"] for s in spoken) == "".join(
        [first["prompt"]] + [o["label"] for o in first["options"]]
    )
    assert {(s["lang"], round(s["rate"], 2)) for s in spoken} == {("zh-CN", 0.9)}


def test_read_aloud_plays_a_clip_without_a_voice(open_kiosk, live_server):
    live_server.add_clip("animal", survey_key="consult")
    code = live_server.new_launch("9-11", survey_key="consult")
    kiosk = open_kiosk(code=code, voice=False)
    kiosk.start()
    assert kiosk.screen()[1] == asked(live_server, code)[0]["key"] == "animal"

    with kiosk.page.expect_response("**/audio/consult/animal.wav*") as clip:
        kiosk.by("read-aloud").tap()
    assert clip.value.status in (200, 206)

    kiosk.answer(
        kiosk.page.locator("[data-testid=option]").first.get_attribute("data-value")
    )
    assert not kiosk.by("read-aloud").is_visible()


@pytest.mark.parametrize(("band", "with_pinyin"), [("6-8", True), ("12-14", False)])
def test_pinyin_for_the_youngest_only(open_kiosk, live_server, band, with_pinyin):
    kiosk = open_kiosk(band)
    kiosk.start()
    prompt = kiosk.by("prompt")

    assert kiosk.words("prompt") == asked(live_server, kiosk.code)[0]["prompt"]
    assert (kiosk.page.locator("ruby").count() > 0) is with_pinyin
    if with_pinyin:
        readings = prompt.locator("rt").all_inner_texts()
        assert readings[:3] == ["nǐ", "zuì", "xǐ"]


@pytest.mark.parametrize("band", ["6-8", "9-11", "12-14", "15-17"])
def test_sizes_fit_the_band_on_a_tablet(open_kiosk, live_server, tmp_path, band):
    kiosk = open_kiosk(band, voice=True)
    kiosk.start()
    shots = Path(os.environ.get("TONGSHENG_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    problems = []

    def measure_and_choose(key, kind, values):
        problems.extend(layout_problems(kiosk, band))
        if key == first_real:
            kiosk.page.screenshot(path=str(shots / f"kiosk-{band}.png"))
        return tap_through(key, kind, values)

    questions = asked(live_server, kiosk.code)
    first_real = next(q["key"] for q in questions if not q["practice"])
    given = kiosk.walk(measure_and_choose)
    kiosk.finish()
    kiosk.page.wait_for_selector("[data-testid=status][data-state=sent]")

    assert problems == []
    assert list(given) == [q["key"] for q in questions]
    expected = sent(given, practice_keys(live_server, kiosk.code))
    assert list(stored(live_server, kiosk.code).values()) == [expected]


def test_reused_id_with_other_answers_is_refused(open_kiosk, live_server):
    kiosk = open_kiosk("6-8")
    kiosk.start()
    given = kiosk.walk(tap_through)
    kiosk.finish()
    kiosk.page.wait_for_selector("[data-testid=status][data-state=sent]")
    ((response_id, answers),) = stored(live_server, kiosk.code).items()

    clash = dict(answers, play_place="yes" if given["play_place"] == "no" else "no")
    entry = {
        "url": f"/k/{kiosk.code}/responses",
        "created": 0,
        "body": {"id": response_id, "answers": clash, "tablet": "another-tablet"},
    }
    kiosk.page.evaluate(
        "([key, entry]) => localStorage.setItem(key, entry)",
        [f"tongsheng.queue.{response_id}", json.dumps(entry)],
    )
    kiosk.page.reload()
    kiosk.page.wait_for_selector("[data-testid=queue-indicator][data-problems='1']")
    kiosk.tick(70_000)

    assert kiosk.posts == [201, 409]
    assert kiosk.queue() == (0, 1)
    assert "问题 1" in kiosk.by("queue-indicator").inner_text()
    problem = json.loads(
        kiosk.page.evaluate(f"localStorage.getItem('tongsheng.problem.{response_id}')")
    )
    assert problem["status"] == 409
    assert rejected(live_server, kiosk.code) == [response_id]
    assert stored(live_server, kiosk.code) == {response_id: answers}
