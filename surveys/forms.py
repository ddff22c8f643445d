"""Forms of the surveys pages."""

from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from core.forms import Form
from surveys.models import BANDS


class LaunchForm(Form):
    survey = SelectField("问卷", validators=[DataRequired()])
    band = SelectField(
        "年龄段",
        choices=[SelectChoice(b, f"{b} 岁") for b in BANDS],
        validators=[DataRequired()],
    )
    township = SelectField("乡镇（街道）", validators=[DataRequired()])
