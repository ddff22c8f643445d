"""Importing the real action plan into the policy record."""

from sqlmodel import func, select

from core import DATA_DIR
from participation.models import Domain, Target, Task, TaskUnit

SEED = DATA_DIR / "plans/yueqing-2022-2024.txt"


def _count(session, model):
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def _units(session, number, role):
    task = session.exec(select(Task).where(Task.number == number)).one()
    return [
        u.name
        for u in session.exec(
            select(TaskUnit)
            .where(TaskUnit.task_id == task.id, TaskUnit.role == role)
            .order_by(TaskUnit.position)
        )
    ]


def test_import_command_loads_32_tasks(runner, session):
    result = runner.invoke(args=["plan", "import", str(SEED)])

    assert result.exit_code == 0, result.output
    assert "32 tasks" in result.output
    assert _count(session, Domain) == 6
    assert _count(session, Task) == 32
    numbers = session.exec(select(Task.number).order_by(Task.number)).all()
    assert numbers == list(range(1, 33))


def test_units_and_targets_of_real_tasks(runner, session):
    runner.invoke(args=["plan", "import", str(SEED)])

    assert _units(session, 1, "lead") == [
        "市委办",
        "市府办",
        "市发改局",
        "市妇儿工委办",
    ]
    assert _units(session, 6, "lead") == ["市教育局"]
    assert _units(session, 6, "partner") == ["市财政局"]
    assert "各乡镇（街道）" in _units(session, 5, "partner")
    task6 = session.exec(select(Task).where(Task.number == 6)).one()
    amounts = set(
        session.exec(select(Target.amount).where(Target.task_id == task6.id)).all()
    )
    assert {"5400", "93.5", "75"} <= amounts


def test_reimport_updates_in_place(runner, session):
    runner.invoke(args=["plan", "import", str(SEED)])
    before = {m.__name__: _count(session, m) for m in (Domain, Task, TaskUnit, Target)}
    ids = session.exec(select(Task.id).order_by(Task.number)).all()

    result = runner.invoke(args=["plan", "import", str(SEED)])

    after = {m.__name__: _count(session, m) for m in (Domain, Task, TaskUnit, Target)}
    assert result.exit_code == 0
    assert after == before
    assert session.exec(select(Task.id).order_by(Task.number)).all() == ids


def test_bad_file_names_the_line_and_changes_nothing(runner, session, tmp_path):
    runner.invoke(args=["plan", "import", str(SEED)])
    before = _count(session, TaskUnit)
    lines = SEED.read_text(encoding="utf-8").splitlines()
    broken = [line for line in lines if not line.startswith("牵头单位：市卫生健康局")]
    bad = tmp_path / "broken.txt"
    bad.write_text("\n".join(broken), encoding="utf-8")

    result = runner.invoke(args=["plan", "import", str(bad)])

    assert result.exit_code != 0
    assert "line" in result.output
    assert "Traceback" not in result.output
    assert _count(session, TaskUnit) == before


def test_missing_and_binary_files(runner, tmp_path):
    binary = tmp_path / "plan.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00\x00garbage")

    for path in (tmp_path / "missing.txt", binary):
        result = runner.invoke(args=["plan", "import", str(path)])
        assert result.exit_code != 0
        assert "Error" in result.output
        assert "Traceback" not in result.output
