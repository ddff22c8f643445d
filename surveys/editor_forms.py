"""Survey editing: forms, the format checks, and the operations that save.

The forms are the editor's; the format checks and the operations that create,
duplicate and save authored surveys serve the editor and the imports. A survey
is edited as its JSON spec (docs/survey-format.md). `check_spec` returns
errors, which block saving, and advice, which the editor shows beside the
readability findings. Built-in templates and surveys that were launched are
never changed here: they are duplicated and the copy is edited.
"""

import copy
import logging
import re
from functools import lru_cache

from flask_wtf.file import FileField, FileRequired
from pypinyin import lazy_pinyin
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from core.forms import Form
from surveys.models import BANDS, Launch, Survey
from surveys.templates import builtin_templates, spec_version

log = logging.getLogger(__name__)

STAGES = ("需求表达", "方案制定", "决策公示", "评估反馈")
TYPES = ("single", "multi", "faces", "yesno", "ranking", "number", "text")
TYPE_LABELS = {
    "single": "单选",
    "multi": "多选",
    "faces": "表情量表",
    "yesno": "是 / 否",
    "ranking": "排序",
    "number": "数字",
    "text": "开放回答",
}
CHOICE_TYPES = frozenset({"single", "multi", "faces", "yesno", "ranking"})
CONDITION_TYPES = frozenset({"single", "multi", "faces", "yesno"})
TOP_KEYS = (
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
)
RECORD_FIELDS = ("purpose", "decides", "open_to_change", "feedback_by")
RECORD_LABELS = {
    "purpose": "为什么问孩子",
    "decides": "谁来决定",
    "open_to_change": "哪些还能改变",
    "feedback_by": "何时告诉孩子结果",
}
QUESTION_KEYS = frozenset(
    {"key", "type", "practice", "bands", "prompt", "note", "options", "show_if"}
    | {"min", "max"}
)
OPTION_KEYS = frozenset({"value", "label", "emoji", "image"})
#: survey keys that would clash with the editor's own addresses
RESERVED_KEYS = frozenset({"new", "audio"})
SURVEY_KEY = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
VALUE = re.compile(r"^[a-z0-9_]{1,64}$")
#: prompts that look like they ask a child for personal details
PERSONAL = re.compile(
    r"姓名|你叫什么|名字叫|电话|手机号|住址|家住|身份证|出生日期|生日|哪所学校|"
    r"学校名称|几班|班级|微信号|QQ|\bname\b|phone|address|birth",
    re.IGNORECASE,
)
HAN = re.compile(r"[\u3400-\u9fff]")
SAME_SITE_PATH = re.compile(r"^/(?![/\\])[^\s\"'<>]*$")
OPTION_COUNTS = {"6-8": (2, 3), "9-11": (3, 3), "12-14": (4, 5), "15-17": (5, 5)}
QUESTIONS_PER_BAND = {"6-8": 10, "9-11": 16, "12-14": 25, "15-17": 30}
MAX_QUESTIONS = 200
VOLUNTARY_INTRO = "参加是自愿的，每一题都可以跳过，也可以随时结束。"


class SpecError(ValueError):
    """A survey spec that cannot be saved; errors lists every problem."""

    def __init__(self, errors):
        super().__init__("；".join(errors))
        self.errors = list(errors)


# ---------- checking a spec ----------


def check_spec(spec):
    """Return (errors, advice) for a survey spec; errors block saving."""
    errors, advice = [], []
    if not isinstance(spec, dict):
        return ["问卷必须是一个 JSON 对象。"], advice

    _check_top(spec, errors, advice)
    questions = spec.get("questions")
    if not isinstance(questions, list) or not questions:
        errors.append("问卷至少要有一道题。")
        return errors, advice
    if len(questions) > MAX_QUESTIONS:
        errors.append(f"一份问卷最多 {MAX_QUESTIONS} 道题。")
        return errors, advice

    seen = {}
    for index, question in enumerate(questions, 1):
        _check_question(question, index, seen, errors, advice)
    if not errors:
        _advise_survey(spec, advice)
    return errors, advice


def _check_top(spec, errors, advice):
    """Check the survey-level fields."""
    unknown = sorted(set(spec) - set(TOP_KEYS))
    if unknown:
        errors.append(f"不认识的字段：{', '.join(unknown)}。")
    if not SURVEY_KEY.match(str(spec.get("key", ""))):
        errors.append("问卷代号要用小写英文字母开头，只含小写字母、数字和下划线。")
    elif spec["key"] in RESERVED_KEYS:
        errors.append(f"{spec['key']} 是保留的名字，请换一个代号。")
    title = spec.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        errors.append("问卷要有标题（最多 200 个字）。")
    if spec.get("stage") not in STAGES:
        errors.append(f"阶段要是 {'、'.join(STAGES)} 之一。")

    intro = spec.get("intro", {})
    if not isinstance(intro, dict) or not all(
        band in BANDS and isinstance(text, str) for band, text in intro.items()
    ):
        errors.append("开场白要按年龄段分别填写。")
    for field in RECORD_FIELDS:
        if not isinstance(spec.get(field, ""), str):
            errors.append(f"{field} 要是文字。")
        elif not spec.get(field, "").strip():
            advice.append(f"发放前请填写「{RECORD_LABELS[field]}」。")

    days = spec.get("retention_days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
        errors.append("原始回答保存天数要在 1 到 3650 之间。")


def _check_question(question, index, seen, errors, advice):
    """Check one question against the earlier ones in seen; record it there."""
    if not isinstance(question, dict):
        errors.append(f"第 {index} 题不是一个对象。")
        return

    key = question.get("key")
    label = f"第 {index} 题（{key}）"
    before = len(errors)
    if not isinstance(key, str) or not VALUE.match(key):
        errors.append(f"{label}：代号只能用小写字母、数字和下划线。")
    elif key in seen:
        errors.append(f"{label}：代号和前面的题重复了。")
    unknown = sorted(set(question) - QUESTION_KEYS)
    if unknown:
        errors.append(f"{label}：不认识的字段 {', '.join(unknown)}。")
    if question.get("type") not in TYPES:
        errors.append(f"{label}：题型要是 {', '.join(TYPES)} 之一。")
    if not isinstance(question.get("practice", False), bool):
        errors.append(f"{label}：practice 要是 true 或 false。")

    bands = question.get("bands", list(BANDS))
    if (
        not isinstance(bands, list)
        or not bands
        or [band for band in BANDS if band in bands] != bands
    ):
        errors.append(f"{label}：年龄段要按 {', '.join(BANDS)} 的顺序写，至少一个。")
        bands = []
    if len(errors) == before:
        _check_wording(question, bands, label, errors)
        _check_options(question, bands, label, errors)
        _check_bounds(question, label, errors)
        _check_condition(question, bands, seen, label, errors)
    if len(errors) == before:
        _advise_question(question, bands, label, advice)
        seen[key] = question


def _check_wording(question, bands, label, errors):
    """Require a prompt for exactly the question's bands, and a valid note."""
    prompt = question.get("prompt")
    if not isinstance(prompt, dict) or set(prompt) != set(bands):
        errors.append(f"{label}：每个看到这道题的年龄段都要有题目文字，且只有这些。")
    elif not all(isinstance(text, str) and text.strip() for text in prompt.values()):
        errors.append(f"{label}：题目文字不能是空的。")

    note = question.get("note")
    if note is None or isinstance(note, str):
        return
    if not isinstance(note, dict) or not all(
        band in bands and isinstance(text, str) for band, text in note.items()
    ):
        errors.append(f"{label}：说明要是文字，或按年龄段分别填写。")


def _check_options(question, bands, label, errors):
    """Check a choice question's option lists, one per band or shared."""
    options = question.get("options")
    if question["type"] not in CHOICE_TYPES:
        if options is not None:
            errors.append(f"{label}：这种题型没有选项。")
        return
    if isinstance(options, list):
        lists = dict.fromkeys(bands, options)
    elif isinstance(options, dict) and set(options) == set(bands):
        lists = options
    else:
        errors.append(f"{label}：选项要是一组，或每个年龄段一组。")
        return
    for band, items in lists.items():
        problem = _option_list_problem(question["type"], items)
        if problem:
            errors.append(f"{label} {band} 岁：{problem}")
            return


def _option_list_problem(kind, items):
    """Return what is wrong with one option list, or None."""
    if not isinstance(items, list) or len(items) < 2:
        return "至少要有两个选项。"
    if kind == "yesno" and len(items) != 2:
        return "是 / 否题正好两个选项。"
    values = []
    for item in items:
        if not isinstance(item, dict) or set(item) - OPTION_KEYS:
            return "每个选项只能有 value、label、emoji、image。"
        if not VALUE.match(str(item.get("value", ""))):
            return "选项代号只能用小写字母、数字和下划线。"
        if not isinstance(item.get("label"), str) or not item["label"].strip():
            return f"选项 {item['value']} 要有文字（有图片也要有文字）。"
        if (
            not isinstance(item.get("emoji") or "", str)
            or len(item.get("emoji") or "") > 16
        ):
            return f"选项 {item['value']} 的表情写得不对。"
        image = item.get("image")
        if image is not None and not (
            isinstance(image, str) and SAME_SITE_PATH.match(image)
        ):
            return f"选项 {item['value']} 的图片要是本站的路径（以 / 开头）。"
        values.append(item["value"])
    if len(values) != len(set(values)):
        return "选项代号不能重复。"
    return None


def _check_bounds(question, label, errors):
    """Check a number question's optional min and max."""
    bounds = [question.get(name) for name in ("min", "max")]
    if question["type"] != "number":
        if any(bound is not None for bound in bounds):
            errors.append(f"{label}：只有数字题有最小值和最大值。")
        return
    for bound in bounds:
        if bound is not None and (
            isinstance(bound, bool) or not isinstance(bound, int)
        ):
            errors.append(f"{label}：最小值和最大值要是整数。")
            return
    low, high = bounds
    if low is not None and high is not None and low > high:
        errors.append(f"{label}：最小值不能大于最大值。")


def _check_condition(question, bands, seen, label, errors):
    """Check show_if: an earlier choice question, values it offers each band."""
    rule = question.get("show_if")
    if rule is None:
        return
    if not isinstance(rule, dict) or set(rule) != {"question", "in"}:
        errors.append(f"{label}：跳题条件要写 question 和 in。")
        return
    target = seen.get(rule["question"])
    if target is None or target["type"] not in CONDITION_TYPES:
        errors.append(f"{label}：跳题条件要指向前面的一道选择题。")
        return
    values = rule["in"]
    if not isinstance(values, list) or not values:
        errors.append(f"{label}：跳题条件至少要有一个选项。")
        return
    target_bands = target.get("bands", list(BANDS))
    if not set(bands) <= set(target_bands):
        errors.append(f"{label}：条件题 {rule['question']} 要对同样的年龄段出现。")
        return
    offered = {band: set(option_values(target, band)) for band in bands}
    if not set(values) <= set().union(*offered.values()):
        errors.append(f"{label}：跳题条件里有 {rule['question']} 没有的选项。")
    elif not all(set(values) & offered[band] for band in bands):
        errors.append(f"{label}：有的年龄段永远满足不了这个跳题条件。")


def option_values(question, band):
    """Return the option values a question offers one band."""
    options = question.get("options") or []
    if isinstance(options, dict):
        options = options.get(band, [])
    return [option["value"] for option in options]


def _advise_question(question, bands, label, advice):
    """Add advice on personal details, option counts and pictures."""
    if any(PERSONAL.search(text) for text in question["prompt"].values()):
        advice.append(
            f"{label}：像是在问个人信息（姓名、电话、住址、学校班级……）；"
            "孩子的回答是匿名的，请改写或删掉这道题。"
        )
    kind = question["type"]
    for band in bands:
        options = question.get("options") or []
        if isinstance(options, dict):
            options = options[band]
        count = len(options)
        low, high = OPTION_COUNTS[band]
        if kind in ("single", "faces") and not low <= count <= high:
            want = f"{low}" if low == high else f"{low} 到 {high}"
            advice.append(f"{label} {band} 岁：建议 {want} 个选项，现在有 {count} 个。")
        if kind == "ranking" and count > (3 if band in ("6-8", "9-11") else 5):
            advice.append(f"{label} {band} 岁：要排序的选项太多了。")
        if kind == "ranking" and band == "6-8":
            advice.append(f"{label} 6-8 岁：排序对这么小的孩子偏难，考虑改成单选。")
        needs_picture = band == "6-8" or kind == "faces"
        if needs_picture and any(
            not (o.get("emoji") or o.get("image")) for o in options
        ):
            advice.append(f"{label} {band} 岁：每个选项都应配一个表情或图片。")


def _advise_survey(spec, advice):
    """Add advice on practice questions, length and the start screen."""
    questions = spec["questions"]
    practice = [q.get("practice", False) for q in questions]
    if practice[:2] != [True, True] or any(practice[2:]):
        advice.append("建议开头放两道练习题，之后不再有练习题。")
    for band in BANDS:
        seen = [
            q
            for q in questions
            if band in q.get("bands", BANDS) and not q.get("practice", False)
        ]
        if not seen:
            advice.append(f"{band} 岁没有正式题目，不能给这个年龄段发放。")
            continue
        limit = QUESTIONS_PER_BAND[band]
        if len(seen) > limit:
            advice.append(f"{band} 岁有 {len(seen)} 道题，建议不超过 {limit} 道。")
        intro = spec.get("intro", {}).get(band, "")
        if "跳过" not in intro or not re.search("停下|结束|退出", intro):
            advice.append(f"{band} 岁的开场白要说明可以跳过、可以随时结束。")


# ---------- making and changing specs ----------


def blank_spec(key, title):
    """Return a new survey spec with the built-in practice questions."""
    practice = [copy.deepcopy(q) for q in builtin_templates()["needs"]["questions"][:2]]
    return {
        "key": key,
        "title": title,
        "stage": STAGES[0],
        "intro": dict.fromkeys(BANDS, VOLUNTARY_INTRO),
        "purpose": "",
        "decides": "",
        "open_to_change": "",
        "feedback_by": "",
        "retention_days": 365,
        "questions": practice,
    }


def copied_spec(source, key, title):
    """Return a copy of source under a new key and title."""
    spec = copy.deepcopy(source)
    spec["key"] = key
    spec["title"] = title
    return spec


def find_question(spec, key):
    """Return the question with key, or None."""
    return next((q for q in spec["questions"] if q.get("key") == key), None)


def put_question(spec, question, old_key=None):
    """Return spec with question replacing old_key, or appended when new."""
    spec = copy.deepcopy(spec)
    if old_key is None:
        spec["questions"].append(question)
        return spec

    index = next(i for i, q in enumerate(spec["questions"]) if q["key"] == old_key)
    spec["questions"][index] = question
    if question["key"] != old_key:
        for other in spec["questions"]:
            rule = other.get("show_if")
            if rule and rule.get("question") == old_key:
                rule["question"] = question["key"]
    return spec


def move_question(spec, key, step):
    """Return spec with question key moved step places (-1 up, 1 down)."""
    spec = copy.deepcopy(spec)
    questions = spec["questions"]
    index = next(i for i, q in enumerate(questions) if q["key"] == key)
    target = min(max(index + step, 0), len(questions) - 1)
    questions.insert(target, questions.pop(index))
    return spec


def remove_question(spec, key):
    """Return spec without question key."""
    spec = copy.deepcopy(spec)
    spec["questions"] = [q for q in spec["questions"] if q["key"] != key]
    return spec


# ---------- operations on stored surveys ----------


@lru_cache(maxsize=1)
def builtin_keys():
    """Return the keys of the templates shipped in data/surveys."""
    return frozenset(builtin_templates())


def is_builtin(survey):
    """Return whether survey is one of the templates shipped in data/surveys."""
    return survey.key in builtin_keys()


def launch_count(session, survey):
    """Return how many launches a survey has had."""
    return session.exec(
        select(func.count(Launch.id)).where(Launch.survey_id == survey.id)
    ).one()


def locked_reason(session, survey):
    """Return why survey cannot be edited in place, or None when it can."""
    if is_builtin(survey):
        return "这是内置模板，不能直接修改：请复制一份再改。"
    if launch_count(session, survey):
        return "这份问卷已经发放过，改了会和已收到的回答对不上：请复制一份再改。"
    return None


def create_survey(session, spec, user_id=None):
    """Store a new survey from spec and return it; raise SpecError if invalid."""
    errors, _ = check_spec(spec)
    taken = session.exec(select(Survey.id).where(Survey.key == spec.get("key"))).first()
    if taken is not None:
        errors.append(f"已经有代号为 {spec['key']} 的问卷了，请换一个。")
    if errors:
        raise SpecError(errors)

    survey = Survey(key=spec["key"])
    _apply(survey, spec)
    session.add(survey)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise SpecError([f"已经有代号为 {spec['key']} 的问卷了，请换一个。"]) from None
    log.info("Survey %s created by user %s", survey.id, user_id)
    return survey


def save_survey(session, survey, spec, expected_version, user_id=None):
    """Replace survey's spec, bumping its version; raise SpecError if refused."""
    reason = locked_reason(session, survey)
    if reason:
        raise SpecError([reason])
    if expected_version != survey.version:
        raise SpecError(["别人刚刚保存过这份问卷，请刷新页面后再改。"])
    if spec.get("key") != survey.key:
        raise SpecError(["问卷代号不能修改。"])
    errors, _ = check_spec(spec)
    if errors:
        raise SpecError(errors)

    _apply(survey, spec)
    session.add(survey)
    session.commit()
    log.info(
        "Survey %s saved at version %s by user %s", survey.id, survey.version, user_id
    )
    return survey


def _apply(survey, spec):
    """Copy spec and the columns derived from it onto survey."""
    survey.title = spec["title"]
    survey.stage = spec["stage"]
    survey.spec = copy.deepcopy(spec)
    survey.version = spec_version(spec)
    survey.retention_days = spec["retention_days"]


# ---------- forms ----------


def band_field(band):
    """Return the form field suffix for band, e.g. 6_8."""
    return band.replace("-", "_")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewSurveyForm(Form):
    source = SelectField("从哪里开始")
    key = StringField(
        "问卷代号（小写英文、数字、下划线）",
        validators=[DataRequired(), Regexp(SURVEY_KEY.pattern, message="代号格式不对")],
    )
    title = StringField("标题", validators=[DataRequired(), Length(max=200)])


class SurveyForm(Form):
    version = HiddenField()
    title = StringField("标题", validators=[DataRequired(), Length(max=200)])
    stage = SelectField(
        "阶段",
        choices=[SelectChoice(s, s) for s in STAGES],
        validators=[DataRequired()],
    )
    purpose = TextAreaField(RECORD_LABELS["purpose"], validators=[Length(max=2000)])
    decides = TextAreaField(RECORD_LABELS["decides"], validators=[Length(max=2000)])
    open_to_change = TextAreaField(
        RECORD_LABELS["open_to_change"], validators=[Length(max=2000)]
    )
    feedback_by = TextAreaField(
        RECORD_LABELS["feedback_by"], validators=[Length(max=2000)]
    )
    retention_days = IntegerField(
        "原始回答保存天数", validators=[DataRequired(), NumberRange(1, 3650)]
    )


class QuestionForm(Form):
    version = HiddenField()
    key = StringField(
        "代号（小写英文、数字、下划线）",
        validators=[DataRequired(), Regexp(VALUE.pattern, message="代号格式不对")],
    )
    type = SelectField(
        "题型",
        choices=[SelectChoice(t, TYPE_LABELS[t]) for t in TYPES],
        default="single",
    )
    practice = BooleanField("练习题（不计入结果）")
    bands = MultiCheckboxField(
        "哪些年龄段看到", choices=[SelectChoice(b, f"{b} 岁") for b in BANDS]
    )
    shared_options = BooleanField("所有年龄段用同一组选项")
    options_all = TextAreaField("选项（所有年龄段）")
    minimum = IntegerField("最小值", validators=[Optional()])
    maximum = IntegerField("最大值", validators=[Optional()])
    show_if_question = SelectField("只在这道题……", choices=[], default="")
    show_if_values = StringField("……选了这些选项时出现（选项代号，用逗号隔开）")


class ActionForm(Form):
    version = HiddenField()


class DuplicateForm(Form):
    key = StringField(
        "新问卷代号",
        validators=[DataRequired(), Regexp(SURVEY_KEY.pattern, message="代号格式不对")],
    )
    title = StringField("新标题", validators=[DataRequired(), Length(max=200)])


class AudioForm(Form):
    clip = FileField(
        "录音文件（mp3、ogg、wav、m4a，最大 2 MB）", validators=[FileRequired()]
    )
    band = SelectField(
        "用于",
        default="",
        choices=[SelectChoice("", "所有年龄段")]
        + [SelectChoice(b, f"只用于 {b} 岁") for b in BANDS],
    )


for _band in BANDS:
    setattr(
        SurveyForm, f"intro_{band_field(_band)}", TextAreaField(f"{_band} 岁开场白")
    )
    setattr(QuestionForm, f"prompt_{band_field(_band)}", TextAreaField(f"{_band} 岁"))
    setattr(
        QuestionForm,
        f"note_{band_field(_band)}",
        StringField("说明（显示在题目上方，可不填）", validators=[Length(max=200)]),
    )
    setattr(QuestionForm, f"options_{band_field(_band)}", TextAreaField(f"{_band} 岁"))


def fill_survey_form(form, survey):
    """Put a survey's fields into a SurveyForm."""
    spec = survey.spec
    form.version.data = survey.version
    form.title.data = spec["title"]
    form.stage.data = spec["stage"]
    for field in RECORD_FIELDS:
        getattr(form, field).data = spec.get(field, "")
    form.retention_days.data = spec.get("retention_days", 365)
    for band in BANDS:
        getattr(form, f"intro_{band_field(band)}").data = spec.get("intro", {}).get(
            band, ""
        )


def spec_from_survey_form(spec, form):
    """Return spec with the fields of a SurveyForm applied."""
    spec = copy.deepcopy(spec)
    spec["title"] = form.title.data.strip()
    spec["stage"] = form.stage.data
    for field in RECORD_FIELDS:
        spec[field] = (getattr(form, field).data or "").strip()
    spec["retention_days"] = form.retention_days.data
    intro = {}
    for band in BANDS:
        text = (getattr(form, f"intro_{band_field(band)}").data or "").strip()
        if text:
            intro[band] = text
    spec["intro"] = intro
    return spec


def condition_choices(spec, before_key=None):
    """Return the show_if choices: no condition, or an earlier choice question."""
    choices = [SelectChoice("", "（总是出现）")]
    for question in spec["questions"]:
        if question["key"] == before_key:
            break
        if question["type"] in CONDITION_TYPES:
            choices.append(SelectChoice(question["key"], question["key"]))
    return choices


def fill_question_form(form, question):
    """Put a question's fields into a QuestionForm."""
    form.key.data = question["key"]
    form.type.data = question["type"]
    form.practice.data = bool(question.get("practice"))
    bands = question.get("bands", list(BANDS))
    form.bands.data = list(bands)
    note = question.get("note") or {}
    for band in BANDS:
        suffix = band_field(band)
        getattr(form, f"prompt_{suffix}").data = question["prompt"].get(band, "")
        text = note if isinstance(note, str) else note.get(band, "")
        getattr(form, f"note_{suffix}").data = text if band in bands else ""
    options = question.get("options")
    form.shared_options.data = not isinstance(options, dict)
    if isinstance(options, dict):
        for band, items in options.items():
            getattr(form, f"options_{band_field(band)}").data = options_text(items)
    else:
        form.options_all.data = options_text(options or [])
    form.minimum.data = question.get("min")
    form.maximum.data = question.get("max")
    rule = question.get("show_if") or {}
    form.show_if_question.data = rule.get("question", "")
    form.show_if_values.data = ", ".join(rule.get("in", []))


def options_text(options):
    """Return options as editable lines: value | label | emoji | image."""
    lines = []
    for option in options:
        parts = [option["value"], option["label"], option.get("emoji") or ""]
        if option.get("image"):
            parts.append(option["image"])
        lines.append(" | ".join(parts).rstrip(" |"))
    return "\n".join(lines)


def parse_options(text):
    """Return the options written one a line; raise SpecError naming bad lines.

    A line is `value | label | emoji | image`; a line that starts with Chinese
    words is `label | emoji | image` and gets its value from their pinyin.
    """
    options, errors = [], []
    for number, line in enumerate((text or "").splitlines(), 1):
        parts = [part.strip() for part in re.split(r"[|｜]", line)]
        if not any(parts):
            continue
        if len(parts) == 1 or HAN.search(parts[0]):
            parts = [slug(parts[0]), *parts]
        option = {"value": parts[0], "label": parts[1]}
        for name, part in zip(("emoji", "image"), parts[2:4], strict=False):
            if part:
                option[name] = part
        if not VALUE.match(option["value"]) or not option["label"]:
            errors.append(f"第 {number} 行要写成「代号 | 文字 | 表情」。")
        options.append(option)
    if errors:
        raise SpecError(errors)
    return options


def slug(text):
    """Return a lower-case ASCII value for text, from pinyin for Chinese."""
    words = lazy_pinyin(text, errors=lambda chars: list(chars))
    joined = "_".join(w for w in words if w.strip())
    value = re.sub(r"[^a-z0-9]+", "_", joined.lower()).strip("_")
    return value[:64] or "option"


def question_from_form(form):
    """Return the question a QuestionForm describes; raise SpecError if unclear."""
    bands = [band for band in BANDS if band in (form.bands.data or [])]
    if not bands:
        raise SpecError(["至少选一个年龄段。"])
    question = {
        "key": form.key.data.strip(),
        "type": form.type.data,
        "practice": bool(form.practice.data),
    }
    if bands != list(BANDS):
        question["bands"] = bands
    question["prompt"] = {
        band: (getattr(form, f"prompt_{band_field(band)}").data or "").strip()
        for band in bands
    }
    note = _form_note(form, bands)
    if note:
        question["note"] = note
    if question["type"] in CHOICE_TYPES:
        question["options"] = _form_options(form, question["type"], bands)
    if question["type"] == "number":
        for name, field in (("min", form.minimum), ("max", form.maximum)):
            if field.data is not None:
                question[name] = field.data
    rule = _form_condition(form)
    if rule:
        question["show_if"] = rule
    return question


def _form_note(form, bands):
    """Return the note of a QuestionForm: one text, one per band, or None."""
    notes = {
        band: (getattr(form, f"note_{band_field(band)}").data or "").strip()
        for band in bands
    }
    texts = set(notes.values())
    if texts == {""}:
        return None
    if len(texts) == 1:
        return texts.pop()
    return {band: text for band, text in notes.items() if text}


def _form_options(form, kind, bands):
    """Return the options of a QuestionForm: one list, or one per band."""
    if form.shared_options.data:
        options = parse_options(form.options_all.data)
        if kind == "faces":
            return {band: copy.deepcopy(options) for band in bands}
        return options
    return {
        band: parse_options(getattr(form, f"options_{band_field(band)}").data)
        for band in bands
    }


def _form_condition(form):
    """Return the show_if a QuestionForm asks for, or None."""
    target = form.show_if_question.data
    if not target:
        return None
    values = [
        v.strip() for v in re.split(r"[,，、\s]+", form.show_if_values.data or "")
    ]
    return {"question": target, "in": [v for v in values if v]}
