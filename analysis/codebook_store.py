"""Codebook versions kept in the database, staff edits, and re-coding jobs.

data/codebook.csv is the seed: the current codebook is the newest
CodebookVersion, else the file. Each edit saves the whole CSV as a new version
and queues a RecodeJob; restoring an earlier version saves its text again as
the newest. Any app process picks queued jobs up in a background thread (after
a response is sent), and `flask analysis recode` runs them from the shell; a
job is claimed with one conditional UPDATE, so two processes never run the
same job.
"""

import csv
import difflib
import hashlib
import io
import logging
import os
import re
import socket
import threading
import unicodedata
from collections import OrderedDict
from datetime import timedelta
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select, update

from analysis import keyword_check
from analysis.codebook import (
    CODEBOOK_PATH,
    COLUMNS,
    EMERGENT_PREFIX,
    MODEL_PREFIX,
    CodebookError,
    build_codebook,
    load_codebook,
    parse_codebook,
    reserved_prefix,
)
from analysis.models_reports import CodebookVersion, RecodeJob
from core.db import get_engine
from core.models import User, utcnow

log = logging.getLogger(__name__)

THEME_KEY = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
MAX_KEYWORD = 40
#: a running job not finished after this long is taken to have died with its process
STALE_AFTER = timedelta(hours=1)
WORKER = f"{socket.gethostname()}:{os.getpid()}"[:80]
CACHE_SIZE = 4
CONFLICT = "编码本刚被别人改过，请刷新页面后再改。"
#: why staff may not give a theme a key with a reserved prefix
RESERVED = {
    MODEL_PREFIX: (
        "task_26 这样的代号是学习模型据相似回答加的任务，报告会把这个主题并进"
        "模型的那一行，主题名称也不会显示"
    ),
    EMERGENT_PREFIX: "这样的代号留给在“候选新主题”页上命名的主题",
}

_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()
#: the seed file's (mtime, size) and the version last read from it
_file_version: dict = {}
_worker_lock = threading.Lock()
_worker: threading.Thread | None = None


class EditError(ValueError):
    """A codebook change that cannot be saved, with a message for staff."""


class EditConflict(EditError):
    """Another edit was saved since the editor loaded the codebook."""


# -- reading ------------------------------------------------------------------


def seed_text() -> str:
    """Return data/codebook.csv as text."""
    return CODEBOOK_PATH.read_bytes().decode("utf-8-sig")


def newest(session: Session) -> CodebookVersion | None:
    """Return the newest saved codebook version, or None before the first edit."""
    return session.exec(
        select(CodebookVersion).order_by(CodebookVersion.id.desc()).limit(1)
    ).first()


def current_text(session: Session) -> str:
    """Return the current codebook as CSV text."""
    row = newest(session)
    return row.content if row else seed_text()


def current_codebook(session: Session | None = None):
    """Return the current codebook: the newest database version, else the file."""
    if session is None and has_app_context():
        with Session(get_engine()) as own:
            return current_codebook(own)
    if session is None:
        return _file_codebook()

    row = session.exec(
        select(CodebookVersion.id, CodebookVersion.version)
        .order_by(CodebookVersion.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return _file_codebook()
    cached = _cached(row.version)
    if cached is not None:
        return cached
    return codebook_from_text(session.get(CodebookVersion, row.id).content)


def configured_codebook():
    """Return the current codebook of the app's database, and where it is from.

    Where is "database" for a version saved on the site, "file" when the
    database holds none, and "unset" when it has no codebook table yet or is an
    SQLite file that does not exist (which is then not created). A database
    that cannot be read raises SQLAlchemyError rather than falling back.
    """
    engine = get_engine()
    if not _set_up(engine):
        return _file_codebook(), "unset"

    with Session(engine) as session:
        if session.exec(select(CodebookVersion.id).limit(1)).first() is None:
            return _file_codebook(), "file"
        return current_codebook(session), "database"


def _set_up(engine) -> bool:
    """Tell whether the database exists and has the codebook table."""
    url = engine.url
    on_disk = url.get_backend_name() == "sqlite" and url.database not in (None, "")
    if on_disk and url.database != ":memory:" and not Path(url.database).exists():
        return False
    return inspect(engine).has_table(CodebookVersion.__tablename__)


def _file_codebook():
    """Return the seed file's codebook, read again only when the file changes."""
    stat = CODEBOOK_PATH.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    if _file_version.get("key") == key:
        cached = _cached(_file_version["version"])
        if cached is not None:
            return cached
    codebook = load_codebook(CODEBOOK_PATH)
    _file_version.update(key=key, version=codebook.version)
    return _remember(codebook)


def codebook_from_text(text: str):
    """Build a codebook from CSV text, with the version the file would have."""
    version = hashlib.sha256(("\ufeff" + text).encode("utf-8")).hexdigest()[:10]
    cached = _cached(version)
    if cached is not None:
        return cached
    return _remember(build_codebook(parse_codebook(text), version))


def _cached(version):
    """Return the cached codebook of a version, or None."""
    with _cache_lock:
        found = _cache.get(version)
        if found is not None:
            _cache.move_to_end(version)
        return found


def _remember(codebook):
    """Cache a codebook by its version and return it."""
    with _cache_lock:
        _cache[codebook.version] = codebook
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return codebook


def read_rows(text: str) -> tuple[list[str], list[dict]]:
    """Return the header and the rows of codebook CSV text, comments included."""
    reader = csv.DictReader(io.StringIO(text))
    header = list(reader.fieldnames or COLUMNS)
    return header, [dict(row) for row in reader]


def write_rows(header: list[str], rows: list[dict]) -> str:
    """Return rows as codebook CSV text."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: row.get(name) or "" for name in header})
    return out.getvalue()


def themes_for_display(text: str) -> list[dict]:
    """Return the codebook's themes as label, tasks and keywords for the editor."""
    _, rows = read_rows(text)
    return [
        {
            "key": row["theme"].strip(),
            "label": (row.get("label") or "").strip(),
            "tasks": _split(row.get("tasks")),
            "keywords": _split(row.get("keywords")),
            "notes": (row.get("notes") or "").strip(),
        }
        for row in rows
        if (row.get("theme") or "").strip() and not row["theme"].strip().startswith("#")
    ]


def _split(cell) -> list[str]:
    """Split a `;`-separated cell into its trimmed parts."""
    return [part.strip() for part in (cell or "").split(";") if part.strip()]


# -- edits ----------------------------------------------------------------------


def add_keyword(text: str, theme: str, keyword: str) -> tuple[str, str]:
    """Return the text with keyword added to theme, and a note saying so."""
    keyword = _clean_keyword(keyword)
    header, rows = read_rows(text)
    row = _row(rows, theme)
    keywords = _split(row.get("keywords"))
    if keyword in keywords:
        raise EditError(f"主题 {theme} 已经有关键词“{keyword}”。")
    message = keyword_check.silencing(theme, [keyword], [*keywords, keyword])
    if message:
        raise EditError(message)
    row["keywords"] = ";".join([*keywords, keyword])
    return write_rows(header, rows), f"给 {theme} 加关键词 {keyword}"


def remove_keyword(text: str, theme: str, keyword: str) -> tuple[str, str]:
    """Return the text without keyword in theme, and a note saying so."""
    keyword = (keyword or "").strip()
    header, rows = read_rows(text)
    row = _row(rows, theme)
    keywords = _split(row.get("keywords"))
    if keyword not in keywords:
        raise EditError(f"主题 {theme} 没有关键词“{keyword[:40]}”。")
    left = [word for word in keywords if word != keyword]
    if all(unicodedata.normalize("NFKC", word).startswith("-") for word in left):
        raise EditError(
            f"“{keyword[:40]}”是主题 {theme} 唯一的关键词，不能删掉；"
            "可以先加上新的关键词，再删这个。"
        )
    row["keywords"] = ";".join(left)
    return write_rows(header, rows), f"从 {theme} 删除关键词 {keyword}"


def set_tasks(text: str, theme: str, tasks: str) -> tuple[str, str]:
    """Return the text with theme mapped to the given tasks, and a note."""
    numbers = parse_tasks(tasks)
    header, rows = read_rows(text)
    row = _row(rows, theme)
    if _split(row.get("tasks")) == [str(n) for n in numbers]:
        raise EditError(f"主题 {theme} 已经对应这些任务。")
    row["tasks"] = ";".join(str(n) for n in numbers)
    listed = "、".join(str(n) for n in numbers)
    return write_rows(header, rows), f"把 {theme} 改为对应任务 {listed}"


def add_theme(text, key, label, tasks, keywords) -> tuple[str, str]:
    """Return the text with a new theme row, and a note."""
    key = (key or "").strip()
    prefix = reserved_prefix(key)
    if prefix:
        raise EditError(
            f"主题代号不能以 {prefix} 开头：{RESERVED[prefix]}。请换一个代号。"
        )
    return _add_theme(text, key, label, tasks, keywords)


def add_candidate(text, key, label, tasks, keywords) -> tuple[str, str]:
    """Return the text with a candidate named on the candidates page, and a note."""
    if not (key or "").startswith(EMERGENT_PREFIX):
        raise EditError(f"候选新主题的代号要以 {EMERGENT_PREFIX} 开头。")
    return _add_theme(text, key, label, tasks, keywords)


def _add_theme(text, key, label, tasks, keywords) -> tuple[str, str]:
    """Return the text with a new theme row, and a note; the key is not reserved."""
    key = (key or "").strip()
    label = (label or "").strip()
    if not THEME_KEY.match(key):
        raise EditError(
            "主题代号只能用小写字母、数字和下划线，以字母开头，2–41 个字符。"
        )
    if not label or len(label) > 100:
        raise EditError("请写主题名称（不超过 100 个字）。")
    header, rows = read_rows(text)
    if any((row.get("theme") or "").strip() == key for row in rows):
        raise EditError(f"已经有主题 {key}。")
    same = _same_label(rows, label)
    if same:
        raise EditError(
            f"主题 {same} 已经叫“{label}”；报告和导出按名称列出主题，"
            "请换一个名称，让两个主题分得清。"
        )
    pieces = [word for word in re.split(r"[;；\n]", keywords or "") if word.strip()]
    words = list(dict.fromkeys(_clean_keyword(word) for word in pieces))
    if not words:
        raise EditError("新主题至少要有一个关键词。")
    message = keyword_check.silencing(key, words, words)
    if message:
        raise EditError(message)
    numbers = parse_tasks(tasks)
    rows.append(
        {
            "theme": key,
            "label": label,
            "tasks": ";".join(str(n) for n in numbers),
            "keywords": ";".join(words),
            "notes": "",
        }
    )
    return write_rows(header, rows), f"新增主题 {key}"


def _same_label(rows, label: str) -> str | None:
    """Return the key of a theme already named `label` (width and case aside)."""
    wanted = unicodedata.normalize("NFKC", label).casefold()
    for row in rows:
        named = unicodedata.normalize("NFKC", row.get("label") or "").strip()
        if named.casefold() == wanted:
            return (row.get("theme") or "").strip()
    return None


def parse_tasks(value: str) -> list[int]:
    """Parse "3; 20，21" into sorted task numbers 1–32."""
    parts = [p for p in re.split(r"[\s;；,，、]+", value or "") if p]
    if not parts:
        raise EditError("请至少写一个任务编号（1–32）。")
    numbers = set()
    for part in parts:
        if not part.isdigit() or not 1 <= int(part) <= 32:
            raise EditError(f"“{part[:10]}”不是 1–32 的任务编号。")
        numbers.add(int(part))
    return sorted(numbers)


def _clean_keyword(keyword: str) -> str:
    """Return a keyword trimmed, or raise EditError saying what is wrong."""
    keyword = (keyword or "").strip()
    if not keyword:
        raise EditError("请写关键词。")
    if len(keyword) > MAX_KEYWORD:
        raise EditError(f"关键词不要超过 {MAX_KEYWORD} 个字。")
    folded = unicodedata.normalize("NFKC", keyword)
    if any(ch in folded for ch in ';\r\n"') or folded.startswith("#"):
        raise EditError("一次只加一个关键词，不要用分号、引号或换行。")
    message = keyword_check.problem(keyword)
    if message:
        raise EditError(message)
    return keyword


def _row(rows, theme) -> dict:
    """Return the CSV row of a theme, or raise EditError."""
    for row in rows:
        if (row.get("theme") or "").strip() == theme:
            return row
    raise EditError(f"没有主题 {theme[:40]}。")


def edit(session: Session, change: str, base: str, user_id: int, **fields):
    """Apply one kind of change to the current codebook and save the result."""
    edits = {
        "keyword": add_keyword,
        "remove-keyword": remove_keyword,
        "tasks": set_tasks,
        "theme": add_theme,
        "candidate": add_candidate,
    }
    text, note = edits[change](current_text(session), **fields)
    return save(session, text, note, base, user_id)


def restore(session: Session, version_id: int, base: str, user_id: int):
    """Save an earlier version's codebook again as the newest version."""
    earlier = session.get(CodebookVersion, version_id)
    if earlier is None:
        raise EditError("没有这个编码本版本。")
    if earlier.content == current_text(session):
        raise EditError(f"当前的编码本已经是这个版本（{earlier.version}），不用恢复。")
    return save(
        session, earlier.content, f"恢复为版本 {earlier.version}", base, user_id
    )


def save(session: Session, text: str, note: str, base: str, user_id: int):
    """Save text as the newest codebook version and queue a re-coding job.

    `base` is the version the editor saw; if another edit was saved since, the
    change is refused rather than silently undoing the other one.
    """
    current = newest(session)
    current_version = current.version if current else _file_codebook().version
    if base != current_version:
        raise EditConflict(CONFLICT)
    try:
        codebook = codebook_from_text(text)
    except CodebookError as exc:
        raise EditError(f"改动后的编码本读不通：{exc}") from None

    if current is None:
        current = _add_version(session, seed_text(), _file_codebook().version, None)
        current.note = "初始版本（data/codebook.csv）"
    version = CodebookVersion(
        content=text,
        version=codebook.version,
        note=note[:200],
        created_by=user_id,
        parent_id=current.id,
    )
    session.add(version)
    session.add(RecodeJob(codebook_version=codebook.version, requested_by=user_id))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise EditConflict(CONFLICT) from None
    log.info("Codebook version %s saved by user %s", version.id, user_id)
    return version


def _add_version(session, text, version, user_id):
    """Add a version row and give it an id."""
    row = CodebookVersion(content=text, version=version, created_by=user_id)
    session.add(row)
    session.flush()
    return row


# -- history --------------------------------------------------------------------


def history(session: Session, limit=50) -> list[dict]:
    """Return the newest versions with who saved them and what changed."""
    versions = session.exec(
        select(CodebookVersion).order_by(CodebookVersion.id.desc()).limit(limit)
    ).all()
    ids = {version.created_by for version in versions} - {None}
    users = {
        user.id: user for user in session.exec(select(User).where(User.id.in_(ids)))
    }
    entries = []
    for version in versions:
        parent = version.parent_id and session.get(CodebookVersion, version.parent_id)
        user = users.get(version.created_by)
        entries.append(
            {
                "version": version,
                "who": user.display_name if user else "data/codebook.csv",
                "username": user.username if user else None,
                "changes": diff_rows(parent.content if parent else "", version.content),
            }
        )
    return entries


def diff_rows(old: str, new: str) -> list[dict]:
    """Return the themes added, removed or changed between two codebook texts."""
    before = {t["key"]: t for t in themes_for_display(old)} if old else {}
    after = {t["key"]: t for t in themes_for_display(new)}
    changes = []
    for key in after.keys() - before.keys():
        changes.append({"kind": "added", "theme": after[key], "fields": []})
    for key in before.keys() - after.keys():
        changes.append({"kind": "removed", "theme": before[key], "fields": []})
    for key in before.keys() & after.keys():
        fields = _field_changes(before[key], after[key])
        if fields:
            changes.append({"kind": "changed", "theme": after[key], "fields": fields})
    return sorted(changes, key=lambda c: c["theme"]["key"])


def _field_changes(old: dict, new: dict) -> list[dict]:
    """Return what changed in one theme: items added and removed per column."""
    fields = []
    for name in ("label", "tasks", "keywords", "notes"):
        if old[name] == new[name]:
            continue
        if isinstance(old[name], list):
            matcher = difflib.SequenceMatcher(a=old[name], b=new[name])
            added, removed = [], []
            for op, i1, i2, j1, j2 in matcher.get_opcodes():
                if op in ("replace", "delete"):
                    removed += old[name][i1:i2]
                if op in ("replace", "insert"):
                    added += new[name][j1:j2]
            fields.append({"name": name, "added": added, "removed": removed})
        else:
            fields.append({"name": name, "added": [new[name]], "removed": [old[name]]})
    return fields


# -- re-coding jobs -------------------------------------------------------------


def recoding(session: Session) -> bool:
    """Tell whether a re-coding job is queued or running."""
    return (
        session.exec(
            select(RecodeJob.id).where(RecodeJob.status.in_(("queued", "running")))
        ).first()
        is not None
    )


def queue_recode(session: Session, user_id=None) -> RecodeJob:
    """Queue a job that codes every stored answer with the current codebook."""
    job = RecodeJob(
        codebook_version=current_codebook(session).version, requested_by=user_id
    )
    session.add(job)
    session.commit()
    log.info("Recode job %s queued by user %s", job.id, user_id)
    return job


def claim(session: Session) -> RecodeJob | None:
    """Take the newest queued job for this process, or None if there is none."""
    cutoff = utcnow() - STALE_AFTER
    session.exec(
        update(RecodeJob)
        .where(RecodeJob.status == "running", RecodeJob.started_at < cutoff)
        .values(status="queued", worker=None)
    )
    session.commit()
    while True:
        job_id = session.exec(
            select(RecodeJob.id)
            .where(RecodeJob.status == "queued")
            .order_by(RecodeJob.id.desc())
            .limit(1)
        ).first()
        if job_id is None:
            return None
        taken = session.exec(
            update(RecodeJob)
            .where(RecodeJob.id == job_id, RecodeJob.status == "queued")
            .values(status="running", started_at=utcnow(), worker=WORKER)
        )
        session.commit()
        if taken.rowcount == 1:
            log.info("Recode job %s claimed by %s", job_id, WORKER)
            return session.get(RecodeJob, job_id)


def run_pending() -> int:
    """Run queued re-coding jobs until none is left; return how many ran."""
    ran = 0
    engine = get_engine()
    while True:
        with Session(engine, expire_on_commit=False) as session:
            job = claim(session)
            if job is None:
                return ran
            _run(session, job)
            ran += 1


def _run(session: Session, job: RecodeJob):
    """Code every answer again; older queued jobs are covered by this run."""
    from analysis.operations import recode_all

    try:
        coded = recode_all(session)
    except Exception as exc:  # the job must end, whatever the cause
        session.rollback()
        _finish(session, job.id, "failed", error=type(exc).__name__)
        log.error("Recode job %s failed: %s", job.id, type(exc).__name__)
        return

    _finish(session, job.id, "done", coded=coded)
    session.exec(
        update(RecodeJob)
        .where(RecodeJob.status == "queued", RecodeJob.id < job.id)
        .values(status="done", finished_at=utcnow(), worker=WORKER, coded=0)
    )
    session.commit()
    log.info("Recode job %s finished: %s answers coded", job.id, coded)


def _finish(session, job_id, status, coded=None, error=None):
    """Record how a job ended."""
    session.exec(
        update(RecodeJob)
        .where(RecodeJob.id == job_id)
        .values(status=status, finished_at=utcnow(), coded=coded, error=error)
    )
    session.commit()


def kick(app):
    """Start the re-coding worker the app is configured for, if jobs wait."""
    mode = app.config.get("RECODE_WORKER", "thread")
    if mode == "off":
        return None
    if mode == "inline":
        with app.app_context():
            return run_pending()
    return start_thread(app)


def start_thread(app) -> threading.Thread | None:
    """Run pending jobs in a background thread unless one already runs here."""
    global _worker
    with _worker_lock:
        if _worker is not None and _worker.is_alive():
            return None
        _worker = threading.Thread(
            target=_thread_main, args=(app,), name="recode", daemon=True
        )
        _worker.start()
        return _worker


def _thread_main(app):
    """Run pending jobs in the app's context, logging a failure."""
    with app.app_context():
        try:
            run_pending()
        except Exception as exc:  # a worker thread must not die noisily
            log.error("Recode worker stopped: %s", type(exc).__name__)


def kick_after(response, session: Session | None = None):
    """Start the worker once the response has been sent, if any job waits."""
    if session is not None and not _waiting(session):
        return response
    app = current_app._get_current_object()
    response.call_on_close(lambda: kick(app))
    return response


def _waiting(session: Session) -> bool:
    """Tell whether a job is queued or has been running too long."""
    cutoff = utcnow() - STALE_AFTER
    return (
        session.exec(
            select(RecodeJob.id).where(
                (RecodeJob.status == "queued")
                | ((RecodeJob.status == "running") & (RecodeJob.started_at < cutoff))
            )
        ).first()
        is not None
    )
