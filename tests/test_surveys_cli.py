"""Launch from the shell, answer on a tablet, export: the response id comes back."""

import csv
import uuid

from sqlmodel import select

from surveys.models import Survey
from surveys.templates import questions_for


def test_launch_and_export_round_trip_a_response_id(
    app, runner, session, seeded, tmp_path
):
    launched = runner.invoke(
        args=["surveys", "launch", "needs", "--band", "9-11", "--place", "乐成街道"]
    )
    code = launched.output.strip().splitlines()[-1]
    spec = session.exec(select(Survey).where(Survey.key == "needs")).one().spec
    key = next(
        q["key"]
        for q in questions_for(spec, "9-11")
        if q["type"] == "text" and not q["practice"] and not q["show_if"]
    )
    response_id = str(uuid.uuid4())
    tablet = app.test_client(use_cookies=False)
    posted = tablet.post(
        f"/k/{code}/responses",
        json={"id": response_id, "answers": {key: "=1+1 希望多一些树"}},
    )
    out = tmp_path / "export.csv"

    exported = runner.invoke(
        args=["surveys", "export", "--launch", code, "--output", str(out)]
    )

    assert launched.exit_code == 0, launched.output
    assert posted.status_code == 201
    assert exported.exit_code == 0, exported.output
    with open(out, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["response_id"] for row in rows] == [response_id]
    assert rows[0][key] == "'=1+1 希望多一些树"


def test_export_leaves_out_what_was_flagged_for_safeguarding(
    app, runner, session, make_launch, tmp_path
):
    launch = make_launch(band="9-11")
    spec = session.get(Survey, launch.survey_id).spec
    key = next(
        q["key"]
        for q in questions_for(spec, "9-11")
        if q["type"] == "text" and not q["practice"] and not q["show_if"]
    )
    tablet = app.test_client(use_cookies=False)
    for words in ("爸爸喝醉了就打我，我好害怕", "希望公园多一些滑梯"):
        answers = {key: words}
        tablet.post(
            f"/k/{launch.code}/responses",
            json={"id": str(uuid.uuid4()), "answers": answers},
        )
    out = tmp_path / "export.csv"

    runner.invoke(
        args=["surveys", "export", "--launch", launch.code, "--output", str(out)]
    )

    text = out.read_text(encoding="utf-8-sig")
    assert "滑梯" in text
    assert "打我" not in text


def test_launch_with_unknown_place_or_template_is_refused(runner, seeded):
    for args in (
        ["surveys", "launch", "needs", "--band", "9-11", "--place", "火星街道"],
        ["surveys", "launch", "nope", "--band", "9-11", "--place", "乐成街道"],
        ["surveys", "export", "--launch", "NOPE99", "--output", "x.csv"],
        ["surveys", "export", "--launch", "NOPE99", "--output", "x.xlsx"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert "Error" in result.output and "Traceback" not in result.output
