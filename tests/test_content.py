"""Check the built-in surveys, townships and demo answers against the age-band rules.

The rules come from the children's requirements: options and prompt length per
age band, two practice questions first, skip logic that can fire, and demo
answers that fit the templates they claim to answer.
"""

import csv
import json
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
BANDS = ("6-8", "9-11", "12-14", "15-17")
STAGES = {"needs": "需求表达", "consult": "方案制定", "evaluate": "评估反馈"}
TOP_KEYS = {
    "key",
    "title",
    "stage",
    "intro",
    "purpose",
    "decides",
    "open_to_change",
    "feedback_by",
    "retention_days",
    "questions",
}
QUESTION_KEYS = {"key", "type", "practice", "bands", "prompt", "options", "show_if"}
TYPES = {"single", "multi", "faces", "yesno", "text"}
SCALE_TYPES = {"single", "faces"}
OPTION_COUNTS = {
    "6-8": range(2, 4),
    "9-11": range(3, 4),
    "12-14": range(4, 6),
    "15-17": range(5, 6),
}
PROMPT_LIMITS = {"6-8": 20, "9-11": 30, "12-14": 40, "15-17": 60}
QUESTIONS_PER_BAND = {"6-8": 10, "9-11": 16, "12-14": 25, "15-17": 30}
OPEN_QUESTIONS = {
    "needs": ("wish", "worry"),
    "consult": ("idea",),
    "evaluate": ("feedback",),
}
NEEDS_THEMES = (
    "safe_way",
    "play_place",
    "park",
    "free_time",
    "doctor",
    "online_safe",
    "family_time",
    "library",
    "heard",
)
ANSWER_COLUMNS = [
    "respondent",
    "survey",
    "band",
    "township",
    "gender",
    "question",
    "answer",
]
VALUE_PATTERN = re.compile(r"^[a-z0-9_]+$")
SKIP_WORDS = ("不想回答", "跳过")


def load_survey(key):
    """Load one survey template by its key."""
    path = DATA / "surveys" / f"{key}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def bands_of(question):
    """Return the bands a question applies to."""
    return question.get("bands", list(BANDS))


def options_for(question, band):
    """Return a question's option list for one band."""
    options = question.get("options") or []
    if isinstance(options, dict):
        return options.get(band, [])
    return options


def values_for(question, band):
    """Return the option values a question offers one band."""
    return [option["value"] for option in options_for(question, band)]


def all_values(question):
    """Return every option value a question offers any band."""
    return {
        value for band in bands_of(question) for value in values_for(question, band)
    }


def visible_length(text):
    """Count the letters and digits in a prompt, ignoring punctuation and spaces."""
    return sum(1 for ch in text if unicodedata.category(ch)[0] in "LN")


def in_band(survey, band, practice=False):
    """Return the questions a band sees, practice ones only when asked."""
    return [
        question
        for question in survey["questions"]
        if band in bands_of(question) and question["practice"] == practice
    ]


@pytest.fixture(params=sorted(STAGES))
def survey(request):
    """Give each survey template in turn."""
    return load_survey(request.param)


@pytest.fixture(scope="module")
def needs():
    """Give the needs survey with its questions by key."""
    template = load_survey("needs")
    return {question["key"]: question for question in template["questions"]}


@pytest.fixture(scope="module")
def townships():
    """Give the township rows."""
    with open(DATA / "townships.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def answers():
    """Give the demo answer rows."""
    with open(DATA / "demo" / "answers.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def respondents(answers):
    """Give each demo respondent's answers by question key."""
    by_id = defaultdict(dict)
    for row in answers:
        by_id[row["respondent"]][row["question"]] = row["answer"]
    return by_id


@pytest.fixture(scope="module")
def profiles(answers):
    """Give each demo respondent's band, township and gender."""
    return {
        row["respondent"]: (row["band"], row["township"], row["gender"])
        for row in answers
    }


def test_top_level_keys(survey):
    """Keep exactly the documented top-level keys, filled in."""
    assert set(survey) == TOP_KEYS
    assert survey["stage"] == STAGES[survey["key"]]
    assert isinstance(survey["retention_days"], int) and survey["retention_days"] > 0

    for field in ("title", "purpose", "decides", "open_to_change", "feedback_by"):
        assert survey[field].strip(), field


def test_intro_says_taking_part_is_voluntary(survey):
    """Tell every band on the start screen that it may skip and stop."""
    assert set(survey["intro"]) == set(BANDS)

    for band, text in survey["intro"].items():
        assert "跳过" in text, band
        assert re.search("停下|结束|退出", text), band


def test_question_fields(survey):
    """Use only known question fields and types, with unique keys."""
    keys = [question["key"] for question in survey["questions"]]
    assert len(keys) == len(set(keys))

    for question in survey["questions"]:
        assert set(question) <= QUESTION_KEYS, question["key"]
        assert {"key", "type", "practice", "prompt"} <= set(question)
        assert question["type"] in TYPES
        assert isinstance(question["practice"], bool)
        assert VALUE_PATTERN.match(question["key"])
        bands = bands_of(question)
        assert bands and [band for band in BANDS if band in bands] == bands


def test_prompt_for_every_band(survey):
    """Word each question for exactly the bands it applies to."""
    for question in survey["questions"]:
        assert set(question["prompt"]) == set(bands_of(question)), question["key"]
        assert all(text.strip() for text in question["prompt"].values())


def test_prompt_length(survey):
    """Keep prompts within each band's reading length."""
    for question in survey["questions"]:
        for band, text in question["prompt"].items():
            length = visible_length(text)
            assert length <= PROMPT_LIMITS[band], (question["key"], band, length)


def test_no_negative_wording_for_9_to_11(survey):
    """Word the 9-11 prompts without negatives."""
    for question in survey["questions"]:
        text = question["prompt"].get("9-11", "")
        assert "不" not in text and "没" not in text, question["key"]


def test_option_counts(survey):
    """Offer each band the number of options it can handle."""
    for question in survey["questions"]:
        kind = question["type"]
        if kind == "faces":
            assert isinstance(question["options"], dict), question["key"]
        if kind == "text":
            assert "options" not in question, question["key"]
            continue

        for band in bands_of(question):
            count = len(options_for(question, band))
            if kind in SCALE_TYPES:
                assert count in OPTION_COUNTS[band], (question["key"], band, count)
            elif kind == "yesno":
                assert count == 2, (question["key"], band)
            else:
                assert count >= 2, (question["key"], band)


def test_options_well_formed(survey):
    """Give every option a unique value, a label, and a picture where needed."""
    for question in survey["questions"]:
        options = question.get("options")
        if isinstance(options, dict):
            assert set(options) == set(bands_of(question)), question["key"]

        for band in bands_of(question) if options else ():
            values = values_for(question, band)
            assert len(values) == len(set(values)), (question["key"], band)
            for option in options_for(question, band):
                assert VALUE_PATTERN.match(option["value"])
                assert option["label"].strip()
                assert not any(word in option["label"] for word in SKIP_WORDS)
                if band == "6-8" or question["type"] == "faces":
                    assert option.get("emoji"), (question["key"], band)


def test_practice_questions_first(survey):
    """Open with exactly two practice questions."""
    flags = [question["practice"] for question in survey["questions"]]
    assert flags[:2] == [True, True]
    assert not any(flags[2:])

    for question in survey["questions"][:2]:
        assert bands_of(question) == list(BANDS)
        assert question["type"] != "text"


def test_show_if_refers_to_earlier_question(survey):
    """Point skip logic at an earlier choice question and values it offers."""
    seen = {}
    for question in survey["questions"]:
        condition = question.get("show_if")
        if condition:
            assert set(condition) == {"question", "in"}
            target = seen.get(condition["question"])
            assert target is not None, question["key"]
            assert target["type"] != "text"
            assert condition["in"] and set(condition["in"]) <= all_values(target)
            assert set(bands_of(question)) <= set(bands_of(target))
            for band in bands_of(question):
                assert set(condition["in"]) & set(values_for(target, band)), band
        seen[question["key"]] = question


def test_open_questions(survey):
    """Ask every band the survey's open text questions."""
    questions = {question["key"]: question for question in survey["questions"]}

    for key in OPEN_QUESTIONS[survey["key"]]:
        assert questions[key]["type"] == "text"
        assert bands_of(questions[key]) == list(BANDS)


def test_questions_per_band(survey):
    """Keep each band's survey short enough for its age."""
    for band, limit in QUESTIONS_PER_BAND.items():
        assert 3 <= len(in_band(survey, band)) <= limit, band
        assert len(in_band(survey, band, practice=True)) == 2, band


def test_needs_survey_covers_the_themes(needs):
    """Ask about each theme, with about eight questions for the youngest."""
    assert set(NEEDS_THEMES) <= set(needs)
    texts = [key for key, question in needs.items() if question["type"] == "text"]
    assert len(texts) >= 2

    youngest = [
        question
        for question in needs.values()
        if "6-8" in bands_of(question) and not question["practice"]
    ]
    assert 6 <= len(youngest) <= 9


def test_townships(townships):
    """List each street and town once with a stable ASCII code."""
    codes = [row["code"] for row in townships]
    names = [row["name"] for row in townships]
    assert list(townships[0]) == ["code", "name", "kind"]
    assert len(codes) == len(set(codes)) and len(names) == len(set(names))

    for row in townships:
        assert re.fullmatch("[a-z]+", row["code"])
        assert row["kind"] in ("街道", "镇", "乡")
        assert row["name"].endswith(row["kind"])
    assert Counter(row["kind"] for row in townships)["街道"] == 8


def test_answers_file_layout():
    """Write the demo answers as UTF-8 with a BOM and the agreed columns."""
    raw = (DATA / "demo" / "answers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")

    header = raw[3:].decode("utf-8").splitlines()[0]
    assert header.split(",") == ANSWER_COLUMNS


def test_answers_respondents_per_band(profiles):
    """Hold at least 300 respondents and 50 in every band."""
    bands = Counter(band for band, _, _ in profiles.values())
    assert len(profiles) >= 300
    assert set(bands) == set(BANDS)
    assert min(bands.values()) >= 50


def test_answers_profile_consistent(answers, profiles):
    """Give each respondent one band, township and gender on every row."""
    for row in answers:
        assert row["survey"] == "needs"
        assert re.fullmatch(r"d\d{4}", row["respondent"])
        profile = (row["band"], row["township"], row["gender"])
        assert profiles[row["respondent"]] == profile
        assert row["gender"] in ("f", "m", "")


def test_answers_townships(profiles, townships):
    """Spread respondents over at least ten known townships, unevenly."""
    codes = {row["code"] for row in townships}
    used = Counter(township for _, township, _ in profiles.values())
    assert set(used) <= codes
    assert len(used) >= 10

    groups = Counter((band, township) for band, township, _ in profiles.values())
    assert sum(1 for count in groups.values() if count >= 10) >= 2
    assert any(count < 10 for count in groups.values())


def test_answers_fit_needs_survey(answers, needs):
    """Answer only questions a band sees, with values offered to that band."""
    for row in answers:
        question = needs.get(row["question"])
        assert question is not None and not question["practice"], row["question"]
        assert row["band"] in bands_of(question), (row["respondent"], row["question"])
        if question["type"] == "text":
            assert row["answer"].strip()
            continue

        picked = row["answer"].split("|")
        allowed = values_for(question, row["band"])
        assert set(picked) <= set(allowed), (row["respondent"], row["question"])
        assert len(picked) == len(set(picked))
        if question["type"] != "multi":
            assert len(picked) == 1


def test_answers_unique_per_question(answers):
    """Record one answer per respondent and question."""
    pairs = Counter((row["respondent"], row["question"]) for row in answers)
    assert max(pairs.values()) == 1


def test_answers_open_and_choice_mix(respondents, needs):
    """Have every respondent write a wish and most answer a few choices."""
    assert all("wish" in given for given in respondents.values())
    assert sum(1 for given in respondents.values() if "worry" in given) >= 30

    choices = [
        sum(1 for key in given if needs[key]["type"] != "text")
        for given in respondents.values()
    ]
    assert sum(1 for count in choices if 2 <= count <= 6) >= 0.7 * len(choices)


def test_answers_follow_skip_logic(respondents, needs):
    """Answer a conditional question only when its condition held."""
    for given in respondents.values():
        for key in given:
            condition = needs[key].get("show_if")
            if condition:
                assert given.get(condition["question"]) in condition["in"], key


def test_open_answers_vary(respondents):
    """Write the wishes one by one rather than from a few templates."""
    wishes = [given["wish"] for given in respondents.values()]
    assert len(set(wishes)) >= 0.95 * len(wishes)

    openings = Counter(text[:4] for text in wishes)
    assert openings.most_common(1)[0][1] <= 0.05 * len(wishes)
