"""Children's answers for the report tests, stored and coded through the pipeline.

The report tests save `TEST_CODEBOOK` as the newest codebook version, so
what they expect does not move when data/codebook.csv is tuned.
"""

import uuid
from datetime import UTC, datetime

from sqlmodel import select

from analysis import codebook_store
from analysis import operations as analysis_ops
from analysis.models import AnswerTheme, SafeguardingFlag
from analysis.models_reports import CodebookVersion
from surveys.models import Answer, Response

TEST_CODEBOOK = (
    "theme,label,tasks,keywords,notes\n"
    "parks,公园和广场,18,公园;广场,\n"
    "roads,上学路上的车,20,汽车;马路;红绿灯,\n"
    "library,图书馆和读书,14;15,图书馆;看书,\n"
)
PARK = "小区旁边能不能多建一个公园，周末可以去玩"
ROAD = "放学的时候校门口的汽车开得飞快，我们都不敢过马路"
LIBRARY = "希望图书馆周末也开门，我想去看书"
SECRET = "这句话只给儿童保护专员看紫罗兰秘密公园"
WHEN = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)


def use_test_codebook(session, text=TEST_CODEBOOK):
    """Save text as the newest codebook version and return its version."""
    version = codebook_store.codebook_from_text(text).version
    session.add(CodebookVersion(content=text, version=version, note="tests"))
    session.commit()
    return version


def add_children(session, launch, n, text, gender=None, when=WHEN):
    """Store n children of launch, each with one open answer, and code them."""
    answers = []
    for _ in range(n):
        response = Response(
            id=str(uuid.uuid4()),
            launch_id=launch.id,
            band=launch.band,
            township_code=launch.township_code,
            gender=gender,
            submitted_at=when,
            digest="0" * 64,
        )
        session.add(response)
        session.flush()
        answer = Answer(response_id=response.id, question_key="wish", text=text)
        session.add(answer)
        answers.append(answer)
    session.commit()
    analysis_ops.process_answers(session, answers)
    return answers


def flag(session, answer, category="bullying"):
    """Flag an answer for safeguarding, as screening would."""
    session.add(SafeguardingFlag(answer_id=answer.id, category=category))
    session.commit()


def test_helpers_store_coded_answers(session, make_launch):
    version = use_test_codebook(session)
    launch = make_launch(band="9-11", township="lecheng")

    answers = add_children(session, launch, 2, PARK)

    themes = session.exec(
        select(AnswerTheme).where(AnswerTheme.answer_id.in_([a.id for a in answers]))
    ).all()
    assert {t.theme for t in themes} == {"parks"}
    assert {t.codebook_version for t in themes} == {version}
