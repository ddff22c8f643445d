"""Theme coding of children's answers against the codebook and the plan's tasks."""

import csv
import re
from pathlib import Path

import pytest

from analysis.classify import (
    ThemeHit,
    analyse,
    classify,
    classify_many,
    default_codebook,
    matches,
    tasks_for,
)
from analysis.codebook import CodebookError, load_codebook
from analysis.text import normalise

HOLDOUT = Path(__file__).parents[1] / "data" / "training" / "answers_holdout.csv"
SHARED_DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "themes_dev.csv"
HEADER = "theme,label,tasks,keywords,notes\n"


def _numbers(cell: str) -> set[int]:
    return {int(x) for x in re.split(r"[;,]", cell or "") if x.strip()}


def _micro_f1(path: Path) -> float:
    """Score the codebook on a coded file the way the shared scorer does."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    results = classify_many(row["text"] for row in rows)
    right = predicted = found = wanted = 0
    for row, hits in zip(rows, results, strict=True):
        want, got = _numbers(row["tasks"]), set(tasks_for(hits))
        right += len(got & (want | _numbers(row["also"])))
        predicted += len(got)
        found += len(got & want)
        wanted += len(want)
    precision, recall = right / predicted, found / wanted
    return 2 * precision * recall / (precision + recall)


@pytest.mark.parametrize(
    ("text", "task"),
    [
        ("放学的时候马路上的汽车开得飞快，我不敢过", 20),
        ("希望学校门口装一个红绿灯", 20),
        ("公交站离我家太远了", 20),
        ("商场的洗手台太高，我够不着", 18),
        ("公园里能不能多放几个秋千", 18),
        ("希望火车站也有母婴室", 18),
        ("小区旁边的河被污染了，好臭", 21),
        ("我想去森林里看小松鼠", 21),
        ("我们班想在学校种菜", 21),
        ("图书馆的漫画书太少了", 14),
        ("想要一个免费的篮球场", 14),
        ("每天的家庭作业要写到很晚", 7),
        ("老师总是拖堂，下课都没时间上厕所", 7),
        ("考试太多了压力好大", 7),
        ("最近心情不好，不知道跟谁说", 11),
        ("我的眼睛近视越来越厉害", 11),
        ("看病排队要排一上午", 12),
        ("同学天天玩手机游戏停不下来", 25),
        ("网上有陌生人一直加我好友", 25),
        ("高年级的同学抢我的零花钱", 26),
        ("学校门口小卖部的零食都是三无的", 26),
        ("暑假不要去水库游泳", 26),
        ("爸爸妈妈天天吵架", 23),
        ("妈妈下班回家就刷手机，不陪我", 23),
        ("我想参加儿童议事会", 3),
        ("希望大人做决定的时候听听我们的意见", 3),
        ("希望社区的儿童之家周末也开门", 19),
        ("爸妈都在外地打工，我跟奶奶住", 17),
        ("我们班坐轮椅的同学上不了二楼的教室", 8),
        ("希望自闭症的小朋友能得到康复训练", 16),
        ("我两岁的妹妹没人带", 5),
        ("家附近的幼儿园太贵了", 6),
        ("读职高也能有出息", 9),
        ("我妈妈怀孕了要去产检", 10),
        ("福利院的孩子也需要关心", 15),
        ("生病住院花了很多钱，医保报销太少", 13),
        ("学校要多开展消防演练", 22),
        ("想去博物馆看看乐清的历史", 24),
        ("有人贩子在附近拐小孩", 27),
        ("有中学生在厕所抽烟", 28),
        ("给乐清设计一个吉祥物", 29),
        ("希望学校组织去雁荡山研学", 31),
        ("想去参观生产电器的工厂", 32),
        ("希望政府做一次儿童需求调查", 1),
        ("我想当志愿者帮助别人", 4),
        ("城市规划要从孩子的角度考虑", 2),
    ],
)
def test_clear_answers_get_their_task(text, task):
    assert task in tasks_for(classify(text))


@pytest.mark.parametrize(
    "text",
    [
        "不知道",
        "没有",
        "无",
        "哈哈哈哈",
        "😊😊😊",
        "abc",
        "   ",
        "",
        "我喜欢小狗",
        "谢谢",
    ],
)
def test_answers_about_nothing_in_the_plan_get_no_theme(text):
    assert classify(text) == []


def test_an_answer_with_several_wishes_gets_several_tasks():
    hits = classify("1.多建篮球场 2.学校门口装红绿灯 3.作业少一点")

    assert {7, 14, 20} <= set(tasks_for(hits))


def test_evidence_words_stand_in_the_normalised_answer():
    with HOLDOUT.open(encoding="utf-8-sig", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]

    for text in texts:
        normalised = normalise(text)
        for hit in classify(text):
            assert hit.evidence
            # a sound-alike shows as written(meant): 公圆(公园)
            written = [word.split("(")[0] for word in hit.evidence]
            assert all(word in normalised for word in written), text


def test_theme_hits_are_frozen_and_name_their_tasks():
    hit = classify("学校门口没有斑马线")[0]

    assert isinstance(hit, ThemeHit) and hit.tasks == (20,)
    with pytest.raises(AttributeError):
        hit.theme = "other"


def test_tasks_for_returns_sorted_unique_numbers():
    hits = [
        ThemeHit("a", "A", (20, 26), ("车",)),
        ThemeHit("b", "B", (7, 20), ("作业",)),
    ]

    assert tasks_for(hits) == [7, 20, 26]
    assert tasks_for([]) == []


def test_classify_many_keeps_the_order():
    texts = ["作业太多了", "不知道", "公园里没有滑梯"]

    assert classify_many(texts) == [classify(text) for text in texts]


def test_analyse_returns_words_and_hits_of_one_answer():
    result = analyse("學校門口沒有斑馬線")

    assert result.normalised == "学校门口没有斑马线"
    assert "斑马线" in result.tokens
    assert result.tasks == [20]


def test_holdout_answers_are_coded_well():
    assert _micro_f1(HOLDOUT) >= 0.9


@pytest.mark.skipif(not SHARED_DEV.exists(), reason="shared evaluation set absent")
def test_development_answers_are_coded_well():
    assert _micro_f1(SHARED_DEV) >= 0.9


def _codebook(tmp_path, rows: str):
    path = tmp_path / "codebook.csv"
    path.write_text(HEADER + rows, encoding="utf-8-sig")
    return load_codebook(path)


def test_pattern_syntax(tmp_path):
    codebook = _codebook(
        tmp_path,
        "speed,车太快,20,车+快/急;斑马线,\n"
        "litter,垃圾,21,垃圾;-垃圾食品,\n"
        "family,陪伴,23,爸/妈+陪,\n",
    )

    def keys(text):
        return [hit.theme for hit in classify(text, codebook, weigh=False)]

    assert keys("电动车开得好快") == ["speed"]
    assert keys("没有斑马线") == ["speed"]
    assert keys("河里好多垃圾") == ["litter"]
    assert keys("小卖部卖垃圾食品") == []
    assert keys("妈妈不陪我") == ["family"]
    assert keys("爸爸很忙") == []


def test_one_part_keywords_count_only_where_they_stand_alone(tmp_path):
    codebook = _codebook(
        tmp_path,
        "litter,垃圾,21,垃圾;生态,\nbin,垃圾桶,21,垃圾桶+满,\nhospital,医生,12,医生,\n",
    )

    def keys(text):
        return [hit.theme for hit in classify(text, codebook, weigh=False)]

    assert keys("垃圾桶都满了") == ["bin"]
    assert keys("路边有垃圾") == ["litter"]
    assert keys("医生态度很差") == ["hospital"]


def test_whole_word_parts_count_only_as_words_of_the_answer(tmp_path):
    codebook = _codebook(
        tmp_path,
        "load,题多,7,=题+多,\nsea,海,21,=海,\nlift,带我,23,=带我,\n",
    )

    def keys(text):
        return [hit.theme for hit in classify(text, codebook, weigh=False)]

    assert keys("题太多了") == ["load"]
    assert keys("问题太多了") == []
    assert keys("我想去看海") == ["sea"]
    assert keys("去海边玩") == []
    assert keys("他带我玩") == ["lift"]
    assert keys("爸爸带我去") == []


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("电动车开得好快", ["speed"]),
        ("车开得好快", ["speed", "traffic"]),
        ("快递车来了", ["traffic"]),
        ("过年好快乐，车好多", ["traffic"]),
        ("食堂的饭里有虫子", []),
        ("食堂有虫子", ["bugs"]),
        ("草地上好多虫子", ["bugs"]),
    ],
)
def test_a_veto_silences_only_its_own_pattern(tmp_path, text, keys):
    codebook = _codebook(
        tmp_path,
        "speed,车快,20,车+快!快递!快乐,\n"
        "traffic,车,20,=车/快递车;车+多,\n"
        "bugs,虫子,21,虫子!食堂+饭,\n",
    )

    assert [hit.theme for hit in classify(text, codebook, weigh=False)] == keys


def test_full_width_marks_read_as_ascii(tmp_path):
    codebook = _codebook(tmp_path, "sea,海,21,＝海！海鲜,\n")

    assert [hit.theme for hit in classify("想看海", codebook, weigh=False)] == ["sea"]
    assert classify("想看海，吃海鲜", codebook, weigh=False) == []


def test_a_veto_can_have_whole_words_and_a_row_veto_its_own_veto(tmp_path):
    codebook = _codebook(
        tmp_path,
        "doctor,医生,12,医生!=当+医生,\npark,公园,18,公园;-公园+树!秋千,\n",
    )

    def keys(text):
        return [hit.theme for hit in classify(text, codebook, weigh=False)]

    assert keys("医生太少") == ["doctor"]
    assert keys("长大想当医生") == []
    assert keys("医生说相当严重") == ["doctor"]
    assert keys("公园里的树都砍了") == []
    assert keys("公园里有树也有秋千") == ["park"]


def test_codebook_version_follows_its_content(tmp_path):
    first = _codebook(tmp_path, "speed,车太快,20,斑马线,\n")
    second = _codebook(tmp_path, "speed,车太快,20,斑马线;红绿灯,\n")

    assert len(first.version) == 10
    assert first.version != second.version
    assert default_codebook().version == load_codebook().version


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("speed,车太快,33,斑马线,\n", "not a task number"),
        ("speed,车太快,20,,\n", "no keywords"),
        ("speed,车太快,20,斑马线,\nspeed,又一行,20,马路,\n", "appears twice"),
        ("speed,车太快,20,车+快!,\n", "empty side of !"),
        ("speed,车太快,20,斑马线;!快递,\n", "empty side of !"),
        (
            "task_26,车太快,20,斑马线,\n",
            "line 2: theme task_26 starts with task_, which is kept for the tasks "
            "the learned model adds",
        ),
        ("emergent_x,攀岩,14,攀岩,\n", "starts with emergent_, which is kept for"),
    ],
)
def test_bad_codebook_rows_are_refused(tmp_path, rows, message):
    with pytest.raises(CodebookError, match=message):
        _codebook(tmp_path, rows)


def test_codebook_without_its_columns_is_refused(tmp_path):
    path = tmp_path / "codebook.csv"
    path.write_text("name,words\nspeed,斑马线\n", encoding="utf-8")

    with pytest.raises(CodebookError, match="lacks the columns"):
        load_codebook(path)


def test_every_theme_of_the_shipped_codebook_names_plan_tasks():
    codebook = default_codebook()

    assert len(codebook) > 30
    covered = {number for theme in codebook.themes for number in theme.tasks}
    assert covered == set(range(1, 33))


def test_every_pattern_matches_alike_from_the_texts_found_in_one_pass():
    """Matching asks the set of codebook texts the automaton found in an answer;
    every pattern and veto gives what it gives when looked for in the answer."""
    codebook = default_codebook()
    demo = Path(__file__).parents[1] / "data" / "demo" / "answers.csv"
    with demo.open(encoding="utf-8-sig", newline="") as handle:
        answers = [row["answer"] for row in csv.DictReader(handle)][::8]
    rules = [rule for theme in codebook.themes for rule in theme.rules + theme.vetoes]
    checked = 0
    for answer in answers:
        text = normalise(answer)
        found = {found for _, found in codebook.index.automaton.iter(text)}
        for rule in rules:
            assert matches(rule, text, found) == matches(rule, text), (rule, text)
            checked += matches(rule, text)
    assert checked > len(answers) / 2  # most answers match some pattern
