"""The learned model that weighs the codebook's themes: features, fitting, decisions."""

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from analysis import learned
from analysis.classify import (
    ThemeHit,
    classify,
    default_codebook,
    featurise,
    similar_theme,
    tasks_for,
)
from analysis.codebook import build_codebook, parse_codebook

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT / "data" / "eval" / "check_e.csv"
SHARED_DEV = ROOT.parent / "shared" / "eval" / "themes_dev.csv"


def _model(weights: dict[str, dict[int, float]], bias=-3.0, themes=None):
    names = sorted(weights)
    matrix = np.zeros((len(names), learned.TASKS), dtype=np.float32)
    for row, name in enumerate(names):
        for task, weight in weights[name].items():
            matrix[row, task - 1] = weight
    return learned.Model(
        names, matrix, np.full(learned.TASKS, bias), 0.5, "test", themes or {}
    )


def _micro_f1(path: Path) -> float:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    right = predicted = found = wanted = 0
    for row in rows:
        want = {int(n) for n in row["tasks"].split(";") if n}
        ok = want | {int(n) for n in row["also"].split(";") if n}
        got = set(tasks_for(classify(row["text"])))
        right, predicted = right + len(got & ok), predicted + len(got)
        found, wanted = found + len(got & want), wanted + len(want)
    precision, recall = right / predicted, found / wanted
    return 2 * precision * recall / (precision + recall)


def test_features_hold_words_character_pairs_and_codebook_themes():
    hit = ThemeHit("playground", "滑梯秋千", (18,), ("秋千",))

    found = learned.features("公园秋千", ["公园", "秋千"], [hit])

    assert found == {
        "w:公园",
        "w:秋千",
        "b:公园",
        "b:园秋",
        "b:秋千",
        "th:playground",
        "ct:18",
    }
    edited = learned.features("公园秋千", ["公园", "秋千"], [hit], {"playground"})
    assert "th:playground" not in edited and "ct:18" in edited


def test_featurise_reads_an_answer_as_the_classifier_does():
    found = featurise("公圆里没有秋迁")

    assert {"w:公园", "w:秋千", "th:playground", "ct:18"} <= found


def test_a_task_is_given_when_its_score_reaches_the_threshold():
    model = _model({"w:秋千": {18: 4.0}, "w:作业": {7: 2.9}, "b:作业": {7: 0.2}})

    assert model.tasks({"w:秋千"}) == {18}
    assert model.tasks({"w:作业"}) == set()
    assert model.tasks({"w:作业", "b:作业"}) == {7}
    assert model.tasks({"w:unknown"}) == set()
    assert model.scores({"w:秋千"})[18] == pytest.approx(1 / (1 + np.exp(-1.0)))


def test_reasons_are_the_answers_strongest_words_for_the_task():
    model = _model(
        {
            "w:秋千": {18: 3.0},
            "w:公园": {18: 1.0},
            "w:我们": {18: 4.0},
            "b:滑梯": {18: 5.0},
            "ct:18": {18: 5.0},
        }
    )

    # words before character pairs; function words and codebook features never
    found = {"w:秋千", "w:公园", "w:我们", "b:滑梯", "ct:18"}
    assert model.reasons(found, 18) == ("秋千", "公园")
    assert model.reasons({"b:滑梯", "w:我们"}, 18) == ("滑梯",)
    assert model.reasons({"w:秋千"}, 7) == ()


def test_a_saved_model_loads_with_the_same_decisions(tmp_path):
    model = _model({"w:秋千": {18: 4.0}}, themes={"playground": ((18,), "abc")})
    path = tmp_path / "model.npz"

    learned.save_model(model, path)
    loaded = learned.load_model(path)

    assert loaded.tasks({"w:秋千"}) == {18}
    assert loaded.themes == {"playground": ((18,), "abc")}
    assert (loaded.version, loaded.threshold) == ("test", 0.5)


def _coded_file(path: Path, rows) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "age", "text", "tasks", "also"])
        writer.writerows(rows)
    return path


SWINGS = ["秋千", "滑梯", "跷跷板", "沙坑", "攀爬架"]
HOMEWORK = ["作业", "卷子", "练习册", "抄写", "补习班"]


def _training(tmp_path, least=learned.LEAST) -> Path:
    """Write coded answers: swings and homework, and `least` for every task."""
    rows = []
    for i, word in enumerate(SWINGS * 4):
        rows.append((f"s{i}", 8, f"小区里想要{word}", "18", ""))
    for i, word in enumerate(HOMEWORK * 4):
        rows.append((f"h{i}", 10, f"每天{word}太多了", "7", "11"))
    for number in range(1, learned.TASKS + 1):
        words = _keywords(number)
        for i in range(least):
            rows.append(
                (f"t{number}-{i}", 12, f"希望{words[i % len(words)]}", number, "")
            )
    rows.append(("n1", 9, "我喜欢小狗", "", ""))
    return _coded_file(tmp_path / "coded.csv", rows)


def _keywords(number: int) -> list[str]:
    """Return one-part keywords of the shipped codebook's themes of a task."""
    return [
        rule.parts[0].texts[0]
        for theme in default_codebook().themes
        if number in theme.tasks
        for rule in theme.rules
        if len(rule.parts) == 1 and len(rule.parts[0].texts[0]) > 1
    ]


def test_fitting_learns_the_coders_tasks_from_their_answers(tmp_path):
    coded = learned.read_coded([_training(tmp_path)])
    model = learned.fit(coded, featurise, default_codebook(), strength=4.0)

    assert 18 in model.tasks(featurise("想要滑梯和秋千"))
    assert 7 in model.tasks(featurise("周末还有练习册"))
    assert model.tasks(featurise("我喜欢小狗")) == set()
    assert model.themes["playground"] == learned.theme_digest(
        default_codebook().theme("playground")
    )
    assert not np.any((model.weights != 0) & (np.abs(model.weights) < learned.PRUNE))


def test_fitting_refuses_tasks_with_too_few_coded_answers(tmp_path):
    coded = learned.read_coded([_training(tmp_path, least=learned.LEAST - 1)])

    with pytest.raises(learned.TrainingError, match="fewer than 5 coded answers"):
        learned.fit(coded, featurise, default_codebook())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,text,also\n1,作业,\n", "bad.csv: missing column tasks"),
        ("id,text,tasks,also\n1,作业,33,\n", "line 2: '33' is not a task"),
        ("id,text,tasks,also\n1,作业,7,x\n", "line 2: 'x' is not a task"),
        ("id,text,tasks,also\n1,,7,\n", "line 2: needs an id and a text"),
        ("id,text,tasks,also\n,作业,7,\n", "line 2: needs an id and a text"),
        (
            "id,text,tasks,also\n1,作业,7,\n1,公园,18,\n",
            "line 3: id '1' is also on line 2",
        ),
        (
            "id,age,text,tasks,also\nZ1,9,作业多,7,\nZ2,9,作业多,7,,extra\n",
            "bad.csv: line 3 has 6 fields but the header has 5",
        ),
        (
            "id,age,text,tasks,also\nZ1,9,作业多\n",
            "bad.csv: line 2 has 3 fields and ends before its tasks column",
        ),
        (
            'id,text,tasks,also\n1,"作业多,7,\n2,公园,18,\n',
            "bad.csv: line 2: the quote opened on this line is never closed",
        ),
        (
            "id,text,tasks,Tasks\n1,作业,7,18\n",
            "bad.csv: the column Tasks appears twice",
        ),
    ],
    ids=[
        "no tasks column",
        "no such task",
        "not a number",
        "empty text",
        "empty id",
        "repeated id",
        "a field more than the header",
        "no tasks field",
        "unclosed quote",
        "repeated column",
    ],
)
def test_bad_coded_files_are_refused_with_the_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(learned.TrainingError, match=message):
        learned.read_coded([path])


def test_an_id_in_two_coded_files_is_refused_naming_both(tmp_path):
    first, second = tmp_path / "answers_A.csv", tmp_path / "answers_zz.csv"
    first.write_text("id,text,tasks,also\nA000,公园,18,\nA001,作业,7,\n", "utf-8")
    second.write_text("id,text,tasks,also\nZ001,秋千,18,\nA001 ,卷子,7,\n", "utf-8")

    with pytest.raises(learned.TrainingError) as error:
        learned.read_coded([first, second])

    assert str(error.value).startswith(
        "answers_zz.csv, line 3: id 'A001' is also in answers_A.csv, line 3;"
    )


def test_the_learn_command_refuses_an_id_in_two_files(runner, tmp_path):
    folder = tmp_path / "training"
    folder.mkdir()
    _training(folder)
    _coded_file(folder / "more.csv", [("s0", 8, "想要秋千", "18", "")])
    output = tmp_path / "model.npz"

    result = runner.invoke(
        args=["analysis", "learn", "--training", str(folder), "--output", str(output)]
    )

    assert result.exit_code == 1
    assert "more.csv, line 2: id 's0' is also in coded.csv, line 2" in result.output
    assert not output.exists()


def test_a_coded_file_not_in_utf8_is_refused_clearly(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("id,text,tasks,also\n1,作业太多,7,\n".encode("gbk"))

    with pytest.raises(learned.TrainingError, match="not UTF-8.*CSV UTF-8"):
        learned.read_coded([path])


def test_full_width_separators_in_coded_tasks_are_read(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("id,text,tasks,also\n1,作业太多,7；11,１８\n", encoding="utf-8")

    (answer,) = learned.read_coded([path])
    assert (answer.tasks, answer.also) == ({7, 11}, {18})


def test_a_new_model_file_is_used_without_a_restart(tmp_path, monkeypatch):
    path = tmp_path / "learned.npz"
    monkeypatch.setattr(learned, "MODEL_PATH", path)
    monkeypatch.setattr(learned, "RECHECK_S", 0)
    monkeypatch.setattr(
        learned, "_loaded", {"checked": float("-inf"), "key": None, "model": None}
    )
    assert learned.default_model() is None

    learned.save_model(_model({"w:秋千": {18: 4.0}}), path)
    assert learned.default_model().tasks({"w:秋千"}) == {18}

    learned.save_model(_model({"w:秋千": {21: 4.0}}), path)
    assert learned.default_model().tasks({"w:秋千"}) == {21}
    assert not list(tmp_path.glob(".*partial"))


def test_the_learn_command_writes_a_model_the_classifier_can_read(runner, tmp_path):
    folder = tmp_path / "training"
    folder.mkdir()
    _training(folder)
    output = tmp_path / "model.npz"

    result = runner.invoke(
        args=["analysis", "learn", "--training", str(folder), "--output", str(output)]
    )

    assert result.exit_code == 0, result.output
    assert f"{41 + 32 * learned.LEAST} answers from 1 files" in result.output
    assert 18 in learned.load_model(output).tasks(featurise("想要沙坑"))


def test_the_learn_command_refuses_a_bad_file_and_writes_nothing(runner, tmp_path):
    folder = tmp_path / "training"
    folder.mkdir()
    _coded_file(folder / "bad.csv", [("1", 8, "作业", "40", "")])
    output = tmp_path / "model.npz"

    result = runner.invoke(
        args=["analysis", "learn", "--training", str(folder), "--output", str(output)]
    )

    assert result.exit_code == 1 and "'40' is not a task" in result.output
    assert not output.exists()


def test_the_model_drops_a_theme_the_answer_is_not_about():
    # a dream job names the traffic police; coders give no task
    text = "我想当交警"
    assert tasks_for(classify(text, weigh=False)) == [20]

    assert classify(text) == []


def test_a_task_the_model_adds_shows_its_words():
    text = "放学以后想学街舞，可是附近没有能学的地方"
    assert classify(text, weigh=False) == []

    hits = classify(text)

    assert 14 in tasks_for(hits)
    for hit in hits:
        (number,) = hit.tasks
        assert (hit.theme, hit.label) == similar_theme(number)
        assert hit.evidence and len(set(hit.evidence)) == len(hit.evidence)


def _edited_codebook(change, version):
    """Return the shipped codebook with one theme changed by `change`."""
    themes = [
        change(theme) if theme.key == "parks" else theme
        for theme in default_codebook().themes
    ]
    return build_codebook(themes, version)


def test_a_theme_staff_moved_keeps_its_new_task_and_not_its_old_one():
    moved = _edited_codebook(lambda t: dataclasses.replace(t, tasks=(29,)), "moved")
    text = "周末想去公园玩"
    assert 18 in tasks_for(classify(text))

    tasks = tasks_for(classify(text, moved))

    assert 29 in tasks and 18 not in tasks


def test_a_keyword_staff_added_gives_its_theme():
    (rule,) = parse_codebook("theme,label,tasks,keywords\nx,x,18,彩虹步道\n")[0].rules
    added = _edited_codebook(
        lambda t: dataclasses.replace(t, rules=t.rules + (rule,)), "added"
    )

    hits = classify("希望有彩虹步道", added)

    assert "parks" in {hit.theme for hit in hits}


def test_a_codebook_unlike_the_fitted_one_is_used_alone():
    own = build_codebook(
        parse_codebook("theme,label,tasks,keywords\nsea,海,21,海\n"), "v"
    )

    assert learned.default_model().edited(own) is None
    assert [hit.theme for hit in classify("我想看海", own)] == ["sea"]


def test_the_shipped_model_codes_the_check_set_well():
    assert _micro_f1(CHECK) >= 0.88


@pytest.mark.skipif(not SHARED_DEV.exists(), reason="needs ../shared/eval")
def test_the_shipped_model_codes_the_shared_dev_set_well():
    assert _micro_f1(SHARED_DEV) >= 0.95


def test_report_pages_name_the_model_beside_the_codebook(client, login):
    login("staff")

    html = client.get("/reports/").get_data(as_text=True)

    assert f"模型版本 {learned.default_model().version}" in html


def test_rows_found_directly_are_the_rows_of_the_features():
    from analysis.classify import _match, _read
    from analysis.text import normalise
    from analysis.tokenize import tokens_normalised

    model, codebook = learned.default_model(), default_codebook()
    answers = [
        "希望学校门口有斑马线，车开得太快了",
        "公圆里的秋迁坏了 😭 还有图书馆太远",
        "1. 作业少一点\n2. 想要篮球场",
        "wo xiang qu tushuguan",
        "",
        "我喜欢小狗",
        "周末想去雁荡山研学，再去看看博物馆里的老东西。",
    ]
    for answer in answers:
        read, _ = _read(normalise(answer), codebook)
        words, hits = tokens_normalised(read), _match(read, codebook)
        by_name = {model._rows.get(f) for f in learned.features(read, words, hits)}
        direct = model.rows(read, words, hits)
        by_name.discard(None)
        direct.discard(None)
        assert direct == by_name, answer
        assert model.choose(set(direct)) == model.tasks(
            learned.features(read, words, hits)
        )
