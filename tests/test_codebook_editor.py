"""The codebook edited on the site: versions, history, and re-coding jobs."""

import time
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from analysis import codebook_store
from analysis import operations as analysis_ops
from analysis.classify import classify
from analysis.codebook import load_codebook
from analysis.models import AnswerTask, AnswerTheme
from analysis.models_reports import CodebookVersion, RecodeJob
from core.models import utcnow
from tests.test_reports_data import (
    PARK,
    TEST_CODEBOOK,
    add_children,
    use_test_codebook,
)

CLIMB = "我们想要一面攀岩墙"


@pytest.fixture
def staff(login):
    return login("staff", display_name="编码员甲")


def _versions(session):
    return session.exec(select(CodebookVersion).order_by(CodebookVersion.id)).all()


def _jobs(session):
    session.expire_all()
    return session.exec(select(RecodeJob).order_by(RecodeJob.id)).all()


def test_page_lists_the_seed_file_before_any_edit(client, staff, session):
    seed = load_codebook()
    first = seed.themes[0]

    html = client.get("/codebook").get_data(as_text=True)

    assert f"当前版本 {seed.version}" in html
    assert first.label in html and first.key in html
    assert (
        codebook_store.themes_for_display(codebook_store.seed_text())[0]["keywords"][0]
        in html
    )
    assert analysis_ops.current_codebook(session).version == seed.version


@pytest.mark.parametrize("role", ["department", "facilitator", "safeguarding"])
def test_only_staff_edit_the_codebook(client, login, role):
    login(role)

    assert client.get("/codebook").status_code == 403
    assert client.post("/codebook/keyword", data={}).status_code == 403


def test_adding_a_keyword_saves_a_version_and_queues_recoding(client, staff, session):
    seed = load_codebook()
    theme = seed.themes[0].key

    page = client.post(
        "/codebook/keyword",
        data={"theme": theme, "keyword": "测试新词", "base": seed.version},
    )

    assert page.status_code == 303
    seed_row, newest = _versions(session)
    assert seed_row.content == codebook_store.seed_text()
    assert seed_row.version == seed.version and seed_row.created_by is None
    assert newest.parent_id == seed_row.id and newest.created_by == staff.id
    current = analysis_ops.current_codebook(session)
    assert current.version == newest.version != seed.version
    hits = classify("我觉得测试新词很重要", current)
    assert theme in {hit.theme for hit in hits}
    (job,) = _jobs(session)
    assert (job.status, job.codebook_version) == ("queued", newest.version)
    html = client.get("/codebook").get_data(as_text=True)
    assert "重新编码中…" in html and "测试新词" in html


def test_a_recode_job_codes_stored_answers_with_the_new_version(
    app, client, staff, session, make_launch
):
    base = use_test_codebook(session)
    answers = add_children(session, make_launch(), 2, CLIMB)
    assert not session.exec(select(AnswerTheme)).all()

    client.post(
        "/codebook/keyword", data={"theme": "parks", "keyword": "攀岩", "base": base}
    )
    with app.app_context():
        assert codebook_store.run_pending() == 1

    newest = _versions(session)[-1]
    themes = session.exec(select(AnswerTheme)).all()
    assert {(t.answer_id, t.theme) for t in themes} == {
        (a.id, "parks") for a in answers
    }
    assert {t.codebook_version for t in themes} == {newest.version}
    assert [j.status for j in _jobs(session)] == ["done"]
    assert "重新编码中…" not in client.get("/codebook").get_data(as_text=True)


def test_moving_a_theme_to_other_tasks_recodes_its_tasks(
    app, client, staff, session, make_launch
):
    base = use_test_codebook(session)
    add_children(session, make_launch(), 2, PARK)

    page = client.post(
        "/codebook/tasks", data={"theme": "parks", "tasks": "21；20", "base": base}
    )
    with app.app_context():
        codebook_store.run_pending()

    assert page.status_code == 303
    assert analysis_ops.current_codebook(session).theme("parks").tasks == (20, 21)
    assert set(session.exec(select(AnswerTask.task_number)).all()) == {20, 21}


def test_adding_a_theme(app, client, staff, session, make_launch):
    base = use_test_codebook(session)
    add_children(session, make_launch(), 1, CLIMB)

    client.post(
        "/codebook/theme",
        data={
            "key": "climbing",
            "label": "攀岩和户外运动",
            "tasks": "14",
            "keywords": "攀岩\n户外运动",
            "base": base,
        },
    )
    with app.app_context():
        codebook_store.run_pending()

    theme = analysis_ops.current_codebook(session).theme("climbing")
    assert (theme.label, theme.tasks) == ("攀岩和户外运动", (14,))
    assert session.exec(select(AnswerTheme.theme)).all() == ["climbing"]


@pytest.mark.parametrize(
    ("change", "data", "message"),
    [
        ("keyword", {"theme": "parks", "keyword": ""}, "关键词：该字段是必填字段。"),
        ("keyword", {"theme": "parks", "keyword": "秋千;滑梯"}, "一次只加一个关键词"),
        ("keyword", {"theme": "parks", "keyword": "公园"}, "已经有关键词“公园”"),
        ("keyword", {"theme": "nothing", "keyword": "秋千"}, "没有主题 nothing"),
        ("tasks", {"theme": "parks", "tasks": "33"}, "“33”不是 1–32 的任务编号"),
        ("tasks", {"theme": "parks", "tasks": "十八"}, "“十八”不是 1–32 的任务编号"),
        ("tasks", {"theme": "parks", "tasks": "18"}, "已经对应这些任务"),
        (
            "theme",
            {"key": "Bad Key", "label": "x", "tasks": "1", "keywords": "x"},
            "主题代号只能用小写字母",
        ),
        (
            "theme",
            {"key": "parks", "label": "x", "tasks": "1", "keywords": "x"},
            "已经有主题 parks",
        ),
        (
            "theme",
            {
                "key": "playground",
                "label": " 公园和广场",
                "tasks": "18",
                "keywords": "秋千",
            },
            "主题 parks 已经叫“公园和广场”",
        ),
        (
            "theme",
            {"key": "task_26", "label": "校园安全", "tasks": "26", "keywords": "打架"},
            "主题代号不能以 task_ 开头：task_26 这样的代号是学习模型据相似回答加的任务",
        ),
        (
            "theme",
            {"key": "emergent_x", "label": "攀岩", "tasks": "14", "keywords": "攀岩"},
            "主题代号不能以 emergent_ 开头：这样的代号留给在“候选新主题”页上命名的主题",
        ),
    ],
)
def test_bad_changes_are_explained_and_not_saved(
    client, staff, session, change, data, message
):
    base = use_test_codebook(session)

    page = client.post(f"/codebook/{change}", data={**data, "base": base})

    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    assert len(_versions(session)) == 1
    assert _jobs(session) == []


def test_only_the_candidates_page_names_emergent_themes(client, staff, session):
    base = use_test_codebook(session)
    data = {"key": "emergent_x", "label": "攀岩", "tasks": "14", "keywords": "攀岩"}
    text = codebook_store.current_text(session)

    page = client.post("/codebook/candidate", data={**data, "base": base})
    added, note = codebook_store.add_candidate(text, **data)

    assert page.status_code == 404
    assert codebook_store.codebook_from_text(added).theme("emergent_x").tasks == (14,)
    assert note == "新增主题 emergent_x"
    with pytest.raises(codebook_store.EditError, match="要以 emergent_ 开头"):
        codebook_store.add_candidate(text, **{**data, "key": "climbing"})


def test_a_version_saved_with_a_reserved_key_still_reads(client, staff, session):
    rows = "task_26,校园安全,26,打架,\n"
    use_test_codebook(session, TEST_CODEBOOK + rows)

    assert analysis_ops.current_codebook(session).theme("task_26").tasks == (26,)
    assert client.get("/codebook").status_code == 200
    assert client.get("/reports/").status_code == 200


def test_an_edit_from_a_stale_page_is_refused(client, staff, session):
    use_test_codebook(session)

    page = client.post(
        "/codebook/keyword",
        data={"theme": "parks", "keyword": "秋千", "base": "0000000000"},
    )

    assert page.status_code == 409
    assert "刚被别人改过" in page.get_data(as_text=True)


def test_unknown_change_is_404(client, staff):
    assert client.post("/codebook/delete-everything", data={}).status_code == 404


def test_history_shows_who_changed_which_rows(client, staff, session):
    base = use_test_codebook(session)
    client.post(
        "/codebook/keyword", data={"theme": "parks", "keyword": "秋千", "base": base}
    )
    newest = _versions(session)[-1].version
    client.post(
        "/codebook/tasks", data={"theme": "roads", "tasks": "20;21", "base": newest}
    )

    html = client.get("/codebook/history").get_data(as_text=True)

    history = html.split('<ol class="history"', 1)[1]
    assert history.count("编码员甲") == 2
    assert "公园和广场（parks）" in html and "+秋千" in html
    assert "上学路上的车（roads）" in html and "+21" in html
    assert html.index("+21") < html.index("+秋千")


def test_diff_rows_names_added_removed_and_changed_themes():
    old = "theme,label,tasks,keywords,notes\na,甲,1,x;y,\nb,乙,2,z,\n"
    new = "theme,label,tasks,keywords,notes\na,甲,1;3,x;w,\nc,丙,4,v,\n"

    changes = codebook_store.diff_rows(old, new)

    kinds = {(c["kind"], c["theme"]["key"]) for c in changes}
    assert kinds == {("changed", "a"), ("removed", "b"), ("added", "c")}
    fields = next(c["fields"] for c in changes if c["kind"] == "changed")
    assert {"name": "tasks", "added": ["3"], "removed": []} in fields
    assert {"name": "keywords", "added": ["w"], "removed": ["y"]} in fields


def test_only_one_process_claims_a_job(app, session):
    session.add(RecodeJob(codebook_version="x"))
    session.commit()
    engine = app.extensions["db_engine"]

    with Session(engine) as one, Session(engine) as two:
        first, second = codebook_store.claim(one), codebook_store.claim(two)

    assert (first is None) != (second is None)


def test_a_job_left_running_by_a_dead_process_is_claimed_again(app, session):
    stale = utcnow() - codebook_store.STALE_AFTER - timedelta(minutes=1)
    session.add(RecodeJob(codebook_version="x", status="running", started_at=stale))
    session.add(RecodeJob(codebook_version="y", status="running", started_at=utcnow()))
    session.commit()

    with Session(app.extensions["db_engine"]) as other:
        job = codebook_store.claim(other)

    assert job is not None and job.codebook_version == "x"


def test_the_worker_thread_starts_after_the_response(app, client, staff, session):
    base = use_test_codebook(session)
    app.config["RECODE_WORKER"] = "thread"

    page = client.post(
        "/codebook/keyword", data={"theme": "parks", "keyword": "秋千", "base": base}
    )
    assert [j.status for j in _jobs(session)] == ["queued"]
    page.close()

    for _ in range(300):
        if [j.status for j in _jobs(session)] == ["done"]:
            break
        time.sleep(0.1)
    assert [j.status for j in _jobs(session)] == ["done"]
    assert _jobs(session)[0].worker == codebook_store.WORKER


def test_recode_command_runs_queued_jobs(runner, session):
    use_test_codebook(session)

    result = runner.invoke(args=["analysis", "recode"])

    assert result.exit_code == 0, result.output
    assert "1 re-coding jobs run" in result.output
    assert [j.status for j in _jobs(session)] == ["done"]


def test_recode_pending_runs_only_queued_jobs(runner, session):
    use_test_codebook(session)

    result = runner.invoke(args=["analysis", "recode", "--pending"])

    assert result.exit_code == 0, result.output
    assert "0 re-coding jobs run" in result.output
    assert _jobs(session) == []


@pytest.mark.parametrize(
    ("keyword", "message"),
    [
        ("的", "“的”是常用的虚词"),
        ("=了", "“了”是常用的虚词"),
        ("-的", "“的”是常用的虚词"),
        ("车+", "“+”和“/”的两边都要有字"),
        ("车＋", "“+”和“/”的两边都要有字"),
        ("公园//广场", "“+”和“/”的两边都要有字"),
        ("车+快!", "“!”的两边都要有字"),
        ("=", "什么也不剩"),
        ("-", "什么也不剩"),
        ("\u200b", "关键词“U+200B”去掉符号和看不见的字符后什么也不剩"),
        ("\u2060", "什么也不剩"),
        ("(?", "关键词“(?”只有标点或符号"),
        ("公园/?", "里的“?”只有标点或符号"),
        ("秋千︔滑梯", "一次只加一个关键词"),
        ("的+的", "关键词“的+的”的每一部分都只是常用的虚词、单个字母或数字（“的”）"),
        ("的＋的", "关键词“的＋的”的每一部分都只是常用的虚词"),
        ("=的+=了", "（“的”、“了”），几乎每个回答里都有，找不出主题"),
        ("太+多", "（“太”、“多”），几乎每个回答里都有"),
        ("的/秋千+了", "关键词“的/秋千+了”的每一部分都只是常用的虚词"),
        ("a+的", "（“a”、“的”）"),
        ("-的+了", "整个主题就几乎什么也找不到了"),
        ("秋千+坏!的+了", "里“!”后面的部分都只是常用的虚词"),
        ("秋千!a", "这个关键词就几乎什么也找不到了"),
        ("我们", "“我们”是常用的虚词"),
        ("1", "关键词“1”只是一个字母或数字"),
        ("a", "关键词“a”只是一个字母或数字"),
        ("=a", "关键词“=a”里的“a”只是一个字母或数字"),
        ("Ｂ", "关键词“Ｂ”里的“b”只是一个字母或数字"),
        ("-7", "关键词“-7”里的“7”只是一个字母或数字"),
    ],
)
def test_junk_keywords_are_explained_and_not_saved(
    client, staff, session, keyword, message
):
    base = use_test_codebook(session)

    page = client.post(
        "/codebook/keyword", data={"theme": "parks", "keyword": keyword, "base": base}
    )

    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    assert len(_versions(session)) == 1
    assert _jobs(session) == []


@pytest.mark.parametrize(
    "keyword",
    [
        "秋千",
        "秋千+坏",
        "=滑梯",
        "-公园+收费",
        "滑梯+的",
        "的+滑梯!滑梯坏了",
        "wifi",
        "5g",
    ],
)
def test_keywords_with_their_marks_are_saved(client, staff, session, keyword):
    base = use_test_codebook(session)

    page = client.post(
        "/codebook/keyword", data={"theme": "parks", "keyword": keyword, "base": base}
    )

    assert page.status_code == 303
    assert (
        keyword
        in codebook_store.themes_for_display(_versions(session)[-1].content)[0][
            "keywords"
        ]
    )


VETOED_CODEBOOK = (
    "theme,label,tasks,keywords,notes\n"
    "playground,滑梯秋千等游乐设施,18,滑梯/秋千;蹦床+坏;-滑梯+收费,\n"
)


@pytest.mark.parametrize(
    ("keyword", "silenced"),
    [("-滑梯", "滑梯"), ("－秋千", "秋千"), ("-滑", "滑梯"), ("-=滑梯", "滑梯")],
)
def test_a_veto_that_silences_the_theme_own_keyword_is_refused(
    client, staff, session, keyword, silenced
):
    base = use_test_codebook(session, VETOED_CODEBOOK)

    page = client.post(
        "/codebook/keyword",
        data={"theme": "playground", "keyword": keyword, "base": base},
    )

    assert page.status_code == 400
    assert (
        f"整行否定词“{keyword}”会让主题 playground 失效：回答里有主题自己的"
        f"关键词“{silenced}”时" in page.get_data(as_text=True)
    )
    assert len(_versions(session)) == 1
    assert _jobs(session) == []


def test_a_keyword_an_existing_veto_would_silence_is_refused(client, staff, session):
    base = use_test_codebook(session, VETOED_CODEBOOK.replace("+收费", ""))

    page = client.post(
        "/codebook/keyword",
        data={"theme": "playground", "keyword": "大滑梯", "base": base},
    )

    assert page.status_code == 400
    assert "整行否定词“-滑梯”会让主题 playground 失效" in page.get_data(as_text=True)


@pytest.mark.parametrize("keyword", ["-滑梯+坏", "-蹦床", "-滑梯坏了"])
def test_a_veto_narrower_than_the_theme_keywords_is_saved(
    client, staff, session, keyword
):
    base = use_test_codebook(session, VETOED_CODEBOOK)

    page = client.post(
        "/codebook/keyword",
        data={"theme": "playground", "keyword": keyword, "base": base},
    )

    assert page.status_code == 303
    assert keyword in _keywords(session, "playground")


def test_a_new_theme_whose_veto_silences_its_keyword_is_refused(client, staff, session):
    base = use_test_codebook(session)
    data = {"key": "climbing", "label": "攀岩", "tasks": "14", "base": base}

    page = client.post("/codebook/theme", data={**data, "keywords": "攀岩\n-攀岩"})

    assert page.status_code == 400
    assert "整行否定词“-攀岩”会让主题 climbing 失效" in page.get_data(as_text=True)
    assert len(_versions(session)) == 1


def test_a_new_theme_with_a_junk_keyword_is_refused(client, staff, session):
    base = use_test_codebook(session)
    data = {"key": "climbing", "label": "攀岩", "tasks": "14", "base": base}

    page = client.post("/codebook/theme", data={**data, "keywords": "攀岩\n的"})

    assert page.status_code == 400
    assert "“的”是常用的虚词" in page.get_data(as_text=True)
    assert len(_versions(session)) == 1


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ("攀岩\n的+的", "关键词“的+的”的每一部分都只是常用的虚词"),
        ("攀岩；a", "关键词“a”只是一个字母或数字"),
        ("1\n攀岩", "关键词“1”只是一个字母或数字"),
    ],
)
def test_a_new_theme_with_a_pattern_every_answer_has_is_refused(
    client, staff, session, keywords, message
):
    base = use_test_codebook(session)
    data = {"key": "climbing", "label": "攀岩", "tasks": "14", "base": base}

    page = client.post("/codebook/theme", data={**data, "keywords": keywords})

    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    assert len(_versions(session)) == 1
    assert _jobs(session) == []


def test_blank_lines_between_a_new_theme_keywords_are_skipped(client, staff, session):
    base = use_test_codebook(session)
    data = {"key": "climbing", "label": "攀岩", "tasks": "14", "base": base}

    page = client.post(
        "/codebook/theme", data={**data, "keywords": "攀岩\r\n\r\n攀岩墙；"}
    )

    assert page.status_code == 303
    theme = analysis_ops.current_codebook(session).theme("climbing")
    assert [part.texts for rule in theme.rules for part in rule.parts] == [
        ("攀岩",),
        ("攀岩墙",),
    ]


def _keywords(session, theme):
    codebook = analysis_ops.current_codebook(session)
    text = next(v.content for v in reversed(_versions(session)))
    rows = codebook_store.themes_for_display(text)
    assert codebook.theme(theme)
    return next(row["keywords"] for row in rows if row["key"] == theme)


def test_removing_a_keyword_saves_a_version_and_recodes(
    app, client, staff, session, make_launch
):
    base = use_test_codebook(session)
    answers = add_children(session, make_launch(), 2, PARK)
    assert {t.theme for t in session.exec(select(AnswerTheme))} == {"parks"}

    page = client.post(
        "/codebook/remove-keyword",
        data={"theme": "parks", "keyword": "公园", "base": base},
    )
    with app.app_context():
        assert codebook_store.run_pending() == 1

    assert page.status_code == 303
    assert _keywords(session, "parks") == ["广场"]
    assert _versions(session)[-1].created_by == staff.id
    assert session.exec(select(AnswerTheme)).all() == []
    assert len(answers) == 2
    html = client.get("/codebook/history").get_data(as_text=True)
    assert "−公园" in html


def test_the_editor_offers_removing_each_keyword(client, staff, session):
    use_test_codebook(session)

    html = client.get("/codebook").get_data(as_text=True)

    parks = html.split('id="theme-parks"', 1)[1].split("</tr>", 1)[0]
    assert html.count('action="/codebook/remove-keyword"') == 3
    assert parks.count('name="keyword" value=') == 2
    assert '<button type="submit" name="keyword" value="广场"' in parks
    assert 'aria-label="删除关键词 广场"' in parks


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"theme": "parks", "keyword": "秋千"}, "主题 parks 没有关键词“秋千”"),
        ({"theme": "nothing", "keyword": "公园"}, "没有主题 nothing"),
        ({"theme": "parks", "keyword": ""}, "关键词：该字段是必填字段。"),
    ],
)
def test_removing_a_keyword_that_is_not_there_is_refused(
    client, staff, session, data, message
):
    base = use_test_codebook(session)

    page = client.post("/codebook/remove-keyword", data={**data, "base": base})

    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    assert len(_versions(session)) == 1
    assert _jobs(session) == []


def test_the_last_keyword_of_a_theme_is_not_removed(client, staff, session):
    base = use_test_codebook(session)
    client.post(
        "/codebook/remove-keyword",
        data={"theme": "parks", "keyword": "公园", "base": base},
    )
    newest = _versions(session)[-1].version

    page = client.post(
        "/codebook/remove-keyword",
        data={"theme": "parks", "keyword": "广场", "base": newest},
    )

    assert page.status_code == 400
    assert "唯一的关键词" in page.get_data(as_text=True)
    assert len(_versions(session)) == 2


def test_a_long_keyword_can_be_removed(client, staff, session):
    long = "作业/功课/作页+多/少/累/量/负担/压力/写不完/写到/熬夜/难/烦/布置/减/到很晚"
    text = f"theme,label,tasks,keywords,notes\nhomework,作业,7,作业太多;{long},\n"
    base = use_test_codebook(session, text)

    page = client.post(
        "/codebook/remove-keyword",
        data={"theme": "homework", "keyword": long, "base": base},
    )

    assert page.status_code == 303
    assert _keywords(session, "homework") == ["作业太多"]


def test_restoring_an_earlier_version_saves_it_as_a_new_one_and_recodes(
    app, client, staff, session, make_launch
):
    base = use_test_codebook(session)
    first = _versions(session)[0]
    add_children(session, make_launch(), 2, CLIMB)
    client.post(
        "/codebook/keyword", data={"theme": "parks", "keyword": "攀岩", "base": base}
    )
    with app.app_context():
        codebook_store.run_pending()
    assert {t.theme for t in session.exec(select(AnswerTheme))} == {"parks"}
    edited = _versions(session)[-1].version

    page = client.post(
        "/codebook/restore", data={"version_id": first.id, "base": edited}
    )
    with app.app_context():
        assert codebook_store.run_pending() == 1

    assert page.status_code == 303
    restored = _versions(session)[-1]
    assert len(_versions(session)) == 3
    assert restored.content == first.content and restored.version == base
    assert restored.created_by == staff.id
    assert restored.note == f"恢复为版本 {base}"
    assert analysis_ops.current_codebook(session).version == base
    assert session.exec(select(AnswerTheme)).all() == []
    html = client.get("/codebook/history").get_data(as_text=True)
    assert f"恢复为版本 {base}" in html and "−攀岩" in html


def test_the_history_offers_restoring_every_version_but_the_current(
    client, staff, session
):
    base = use_test_codebook(session)
    client.post(
        "/codebook/keyword", data={"theme": "parks", "keyword": "秋千", "base": base}
    )

    html = client.get("/codebook/history").get_data(as_text=True)

    assert html.count('action="/codebook/restore"') == 1
    assert f'name="version_id" value="{_versions(session)[0].id}"' in html


@pytest.mark.parametrize(
    ("version_id", "base", "status", "message"),
    [
        ("current", "current", 400, "已经是这个版本"),
        ("999", "current", 400, "没有这个编码本版本"),
        ("x", "current", 400, "版本：不是有效的整数"),
        ("first", "0000000000", 409, "刚被别人改过"),
    ],
)
def test_bad_restores_are_explained_and_not_saved(
    client, staff, session, version_id, base, status, message
):
    seed = use_test_codebook(session)
    first = _versions(session)[0]
    client.post(
        "/codebook/keyword", data={"theme": "parks", "keyword": "秋千", "base": seed}
    )
    current = _versions(session)[-1]
    ids = {"current": current.id, "first": first.id}
    data = {
        "version_id": ids.get(version_id, version_id),
        "base": current.version if base == "current" else base,
    }

    page = client.post("/codebook/restore", data=data)

    assert page.status_code == status
    assert message in page.get_data(as_text=True)
    assert len(_versions(session)) == 2


def test_history_tells_two_accounts_with_one_name_apart(client, staff, login, session):
    base = use_test_codebook(session)
    client.post(
        "/codebook/keyword", data={"theme": "parks", "keyword": "秋千", "base": base}
    )
    login("staff", username="bianma-2", display_name="编码员甲")
    newest = _versions(session)[-1].version
    client.post(
        "/codebook/keyword", data={"theme": "parks", "keyword": "滑梯", "base": newest}
    )

    html = client.get("/codebook/history").get_data(as_text=True)

    history = html.split('<ol class="history"', 1)[1]
    assert f"编码员甲（{staff.username}）" in history
    assert "编码员甲（bianma-2）" in history
    assert history.index("bianma-2") < history.index(staff.username)
