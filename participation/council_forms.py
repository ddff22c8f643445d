"""Forms of the council, session and proposal pages."""

from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from core.forms import Form
from participation.council_ops import CONSENT_WORDING_VERSION
from participation.councils import (
    ACTIVITY_KINDS,
    DECISIONS,
    ELEMENTS,
    OFFICES,
    VOTE_RULES,
)
from surveys.models import BANDS

BAND_CHOICES = [SelectChoice(b, f"{b} 岁") for b in BANDS]
CONSENT_CHOICES = [SelectChoice("yes", "同意"), SelectChoice("no", "不同意")]


def _choices(mapping, blank=None):
    """Return select choices from a mapping, with an optional blank first."""
    choices = [SelectChoice("", blank)] if blank else []
    return choices + [SelectChoice(k, v) for k, v in mapping.items()]


class CouncilForm(Form):
    name = StringField("名称", validators=[DataRequired(), Length(max=100)])
    township = SelectField("乡镇（街道）", validators=[DataRequired()])
    community = StringField("社区（村），乡镇级议事会留空", validators=[Length(max=50)])
    meeting_place = StringField("会议地点", validators=[Length(max=200)])
    term_start = DateField("任期开始", validators=[DataRequired()])
    term_end = DateField("任期结束", validators=[DataRequired()])
    charter = TextAreaField("章程", validators=[Length(max=20000)])
    charter_adopted_on = DateField("章程通过日期", validators=[Optional()])
    vote_rule = SelectField("表决规则", choices=_choices(VOTE_RULES))
    quorum_percent = IntegerField(
        "法定人数（成员的百分比）", default=50, validators=[InputRequired()]
    )
    speak_seconds = IntegerField(
        "每人发言秒数",
        default=60,
        validators=[
            InputRequired(),
            NumberRange(10, 900, "发言时间要在 10 到 900 秒之间。"),
        ],
    )
    retention_days = IntegerField(
        "任期结束后保留真实姓名的天数",
        default=90,
        validators=[
            InputRequired(),
            NumberRange(0, 3650, "保留天数要在 0 到 3650 之间。"),
        ],
    )
    facilitators = SelectMultipleField("辅导员", coerce=int, validate_choice=False)


class MemberForm(Form):
    pseudonym = StringField(
        "孩子自己取的名字", validators=[DataRequired(), Length(max=30)]
    )
    band = SelectField("年龄段", choices=BAND_CHOICES)
    school_year = StringField("年级", validators=[DataRequired(), Length(max=20)])
    office = SelectField("职务", choices=_choices(OFFICES, blank="成员"))
    joined_on = DateField("加入日期", validators=[DataRequired()])
    real_name = StringField("真实姓名（可不填）", validators=[Length(max=50)])
    guardian_contact = StringField(
        "监护人联系方式（可不填）", validators=[Length(max=100)]
    )
    guardian = RadioField(
        "监护人", choices=CONSENT_CHOICES, validators=[InputRequired()]
    )
    guardian_version = StringField(
        "监护人同意书版本", default=CONSENT_WORDING_VERSION, validators=[Length(max=20)]
    )
    guardian_on = DateField("监护人表态日期", validators=[DataRequired()])
    assent = RadioField(
        "孩子本人", choices=CONSENT_CHOICES, validators=[InputRequired()]
    )
    assent_version = StringField(
        "儿童同意书版本", default=CONSENT_WORDING_VERSION, validators=[Length(max=20)]
    )
    assent_on = DateField("孩子表态日期", validators=[DataRequired()])


class OfficeForm(Form):
    office = SelectField("职务", choices=_choices(OFFICES, blank="成员"))


class ActivityForm(Form):
    kind = SelectField("类别", choices=_choices(ACTIVITY_KINDS))
    title = StringField("名称", validators=[DataRequired(), Length(max=200)])
    held_on = DateField("日期", validators=[DataRequired()])
    place = StringField("地点", validators=[Length(max=200)])
    children_present = IntegerField("儿童人数", validators=[Optional()])
    adults_present = IntegerField("成人人数", validators=[Optional()])
    space = TextAreaField(ELEMENTS["space"], validators=[Length(max=2000)])
    voice = TextAreaField(ELEMENTS["voice"], validators=[Length(max=2000)])
    audience = TextAreaField(ELEMENTS["audience"], validators=[Length(max=2000)])
    influence = TextAreaField(ELEMENTS["influence"], validators=[Length(max=2000)])


class AgendaItemForm(Form):
    title = StringField("议题", validators=[DataRequired(), Length(max=200)])
    minutes = IntegerField("时长（分钟）", default=15, validators=[InputRequired()])
    task_number = IntegerField("对应任务编号（可不填）", validators=[Optional()])
    theme = SelectField("问卷主题（可不选）", validate_choice=False)
    band = SelectField(
        "证据的年龄段",
        choices=[SelectChoice("", "全部年龄段")] + BAND_CHOICES,
        validate_choice=False,
    )


class AttendanceForm(Form):
    children_present = IntegerField("儿童人数", validators=[InputRequired()])
    adults_present = IntegerField("成人人数", validators=[InputRequired()])


class SpeakerForm(Form):
    member = SelectField("成员", coerce=str, validate_choice=False)
    label = StringField("或座位号", validators=[Length(max=30)])


class VoteForm(Form):
    question = StringField("要表决的问题", validators=[DataRequired(), Length(max=200)])
    options = TextAreaField(
        "选项（每行一个）", default="同意\n不同意\n弃权", validators=[DataRequired()]
    )
    item = SelectField("议题", coerce=str, validate_choice=False)


class HandsForm(Form):
    counts = StringField("各选项举手人数，用逗号隔开", validators=[DataRequired()])


class ProposalForm(Form):
    title = StringField("一句话标题（可不填）", validators=[Length(max=100)])
    problem = TextAreaField("问题：孩子们看到了什么", validators=[Length(max=1000)])
    reason = TextAreaField("理由：为什么要改", validators=[Length(max=1000)])
    solution = TextAreaField("办法：孩子们建议怎么做", validators=[Length(max=1000)])
    supporters = IntegerField("支持的人数", default=0, validators=[InputRequired()])
    item = SelectField("议题", coerce=str, validate_choice=False)


class RouteForm(Form):
    unit = StringField("牵头单位", validators=[DataRequired(), Length(max=100)])
    due_on = DateField("答复期限", validators=[DataRequired()])


class AnswerForm(Form):
    decision = SelectField("答复", choices=_choices(DECISIONS, blank="请选择"))
    reason = TextAreaField("原因（暂缓、无法采纳必填）", validators=[Length(max=1000)])
    answer = TextAreaField(
        "决定了什么（孩子读得懂的话）", validators=[Length(max=1000)]
    )


class NoteForm(Form):
    kind = SelectField(
        "类别",
        choices=[
            SelectChoice("progress", "进展"),
            SelectChoice("consult", "征求孩子意见"),
            SelectChoice("note", "备注"),
        ],
    )
    progress = IntegerField("进度（0–100）", validators=[Optional()])
    text = TextAreaField("说明", validators=[Length(max=1000)])
    public = BooleanField("在「你说，我们做」页面上给孩子们看", default=True)


class EvaluateForm(Form):
    evaluation = TextAreaField("孩子们的评价", validators=[Length(max=1000)])


class MinutesForm(Form):
    text = TextAreaField("纪要", validators=[Length(max=50000)])


class YearForm(Form):
    class Meta:
        csrf = False

    year = IntegerField("年份", validators=[Optional(), NumberRange(2000, 2100)])
    township = SelectField("乡镇（街道）", validate_choice=False)
