"""Load bench of kiosk submissions under gunicorn, with the server killed twice.

Run from the project root::

    .venv/bin/python bench/submit_load.py            # SQLite in a temp dir
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/loadbench \\
        .venv/bin/python bench/submit_load.py        # PostgreSQL (wiped first)

Phase 1: 200 tablets each submit 3 complete surveys (needs, band 9-11) with
think time, double taps and resends, retrying as the kiosk does, while the
gunicorn master and workers are killed with SIGKILL twice and restarted.
Phase 2: in three rounds, 16 clients submit back to back against the app,
then, once the app has expanded what they sent, against a bare Flask app that
inserts one row, under the same gunicorn settings; the medians are compared.

The last line compares what tablets were told was saved with what the
database holds; bench/README.md explains each figure.
"""

import argparse
import http.client
import json
import logging
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

log = logging.getLogger("bench.submit_load")

WORKERS = 4
SEND_TIMEOUT = 20.0
MAX_BACKOFF = 60.0
RETRY_STATUSES = {0, 408, 429}
WISHES = [
    "希望学校门口有红绿灯，过马路更安全",
    "想要更多可以踢球的地方",
    "公园里多一些树和长椅",
    "图书馆周末开久一点",
    "作业少一点，多一点时间玩",
    "希望小区里有儿童之家",
    "",
]


@dataclass
class Tally:
    """What the tablets saw, shared by every tablet thread."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    saved: dict = field(default_factory=dict)
    answers: dict = field(default_factory=dict)
    created: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    timings: list = field(default_factory=list)

    def record(self, response_id, status, started, elapsed):
        """Note one final outcome of a post and how long it took."""
        with self.lock:
            self.timings.append((started, elapsed))
            if status in (200, 201):
                self.saved[response_id] = status
            if status == 201:
                self.created[response_id] = self.created.get(response_id, 0) + 1


# -- the servers ----------------------------------------------------------------


class Server:
    """A gunicorn serving an app on 127.0.0.1, in its own process group."""

    def __init__(self, app_spec, env, port, logfile, ready_path):
        self.app_spec, self.env, self.port = app_spec, env, port
        self.logfile, self.ready_path = logfile, ready_path
        self.process = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *_exc):
        self.stop()

    def start(self):
        """Start gunicorn and wait until it answers."""
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(ROOT),
            self.app_spec,
        ]
        with open(self.logfile, "a") as out:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self, limit=60.0):
        """Wait until gunicorn answers ready_path, or raise after limit seconds."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.logfile}")
            try:
                status, _ = request(self.port, "GET", self.ready_path, timeout=2)
            except OSError:
                status = 0
            if status:
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer; see {self.logfile}")

    def kill(self):
        """Kill the master and every worker at once with SIGKILL."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        """Stop gunicorn gracefully, or kill it if it will not stop."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def free_port():
    """Return a TCP port free on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bare_app():
    """Return the baseline: a Flask app whose one endpoint inserts one row."""
    from flask import Flask, jsonify
    from flask import request as flask_request
    from sqlalchemy import text

    from core.db import make_engine

    engine = make_engine(os.environ["BARE_DATABASE_URL"])
    app = Flask("bare")

    @app.post("/rows")
    def insert():
        """Insert one row holding the posted JSON."""
        payload = flask_request.get_json(silent=True) or {}
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO bench_bare_row (id, body) VALUES (:id, :body)"),
                {"id": str(uuid.uuid4()), "body": json.dumps(payload)},
            )
        return jsonify(status="stored"), 201

    app.add_url_rule("/ready", "ready", lambda: "ok")
    return app


# -- the database -----------------------------------------------------------------


def prepare_database(url):
    """Migrate url afresh, load plan and templates, open a launch; return its code."""
    from sqlmodel import select

    from app import create_app
    from core import DATA_DIR, db
    from participation import operations as plan_ops
    from participation.plan import read_plan
    from surveys import operations as survey_ops
    from surveys.models import Survey
    from surveys.templates import questions_for

    wipe(url)
    db.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-only"})
    with app.app_context(), db.session_scope() as session:
        plan_ops.load_townships(session)
        plan_ops.import_plan(
            session, read_plan(DATA_DIR / "plans/yueqing-2022-2024.txt")
        )
        survey_ops.load_templates(session)
        survey = session.exec(select(Survey).where(Survey.key == "needs")).one()
        launch = survey_ops.create_launch(session, survey, "9-11", "lecheng")
        code = launch.code
        questions = questions_for(survey.spec, "9-11")
    app.extensions["db_engine"].dispose()
    return code, [q for q in questions if not q["practice"]]


def wipe(url):
    """Empty the bench database: drop PostgreSQL's public schema."""
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def prepare_bare_table(url):
    """Create the bare app's one table."""
    from sqlalchemy import text

    from core.db import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_bare_row"))
        connection.execute(
            text("CREATE TABLE bench_bare_row (id VARCHAR(36) PRIMARY KEY, body TEXT)")
        )
    engine.dispose()


def drop_bare_table(url):
    """Drop the bare app's table."""
    from sqlalchemy import text

    from core.db import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_bare_row"))
    engine.dispose()


def stored_responses(url, code):
    """Return {response id: answer rows} for the launch with join code."""
    from sqlalchemy import text

    from core.db import make_engine

    engine = make_engine(url)
    query = text(
        "SELECT r.id, count(a.id) FROM response r "
        "JOIN launch l ON l.id = r.launch_id "
        "LEFT JOIN answer a ON a.response_id = r.id "
        "WHERE l.code = :code GROUP BY r.id"
    )
    with engine.connect() as connection:
        rows = connection.execute(query, {"code": code}).all()
    engine.dispose()
    return dict(rows)


def wait_for_processing(url, limit):
    """Wait until the app has expanded every stored response; return seconds."""
    from sqlalchemy import text

    from core.db import make_engine

    engine = make_engine(url)
    started = time.monotonic()
    query = text("SELECT count(*) FROM response WHERE pending IS NOT NULL")
    try:
        while time.monotonic() - started < limit:
            with engine.connect() as connection:
                if not connection.execute(query).scalar():
                    break
            time.sleep(0.2)
    finally:
        engine.dispose()
    return time.monotonic() - started


# -- the tablets ------------------------------------------------------------------


def request(port, method, path, body=None, timeout=SEND_TIMEOUT):
    """Send one request to 127.0.0.1:port; return (status, seconds taken)."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        connection.close()


def complete_answers(questions, rng):
    """Return answers to every question a 9-11 child is shown, as a child might."""
    answers = {}
    for question in questions:
        rule = question["show_if"]
        if rule and answers.get(rule["question"]) not in rule["in"]:
            continue
        answers[question["key"]] = _answer(question, rng)
    return answers


def _answer(question, rng):
    """Return one answer to question: an option, options, or invented words."""
    values = [option["value"] for option in question["options"]]
    if question["type"] == "text":
        return rng.choice(WISHES) or None
    if question["type"] == "multi":
        return rng.sample(values, rng.randint(1, len(values)))
    return rng.choice(values)


def send_like_the_kiosk(port, path, body, deadline):
    """Post body until the server answers for good, backing off as the kiosk does."""
    tries = 0
    while True:
        started = time.monotonic()
        try:
            status, elapsed = request(port, "POST", path, body)
        except OSError:
            status, elapsed = 0, time.monotonic() - started
        if status not in RETRY_STATUSES and status < 500:
            return status, started, elapsed
        tries += 1
        wait = min(MAX_BACKOFF, 2 ** (tries - 1)) * (0.75 + random.random() * 0.5)
        if time.monotonic() + wait > deadline:
            return status, started, elapsed
        time.sleep(wait)


def tablet(number, port, path, questions, tally, plan):
    """Act as one tablet: plan.responses children, think time, taps, resends."""
    rng = random.Random(number)
    time.sleep(rng.uniform(0, plan.spread))
    for _ in range(plan.responses):
        response_id = str(uuid.uuid4())
        answers = complete_answers(questions, rng)
        body = json.dumps(
            {"id": response_id, "answers": answers, "tablet": f"bench-{number}"},
            ensure_ascii=False,
        ).encode()
        with tally.lock:
            tally.answers[response_id] = len(answers)
        taps = 2 if rng.random() < plan.double_taps else 1
        resend = rng.random() < plan.resends
        _post_with_taps(port, path, body, response_id, taps, tally, plan.deadline)
        if resend:
            _post_with_taps(port, path, body, response_id, 1, tally, plan.deadline)
        time.sleep(rng.uniform(*plan.think))


def _post_with_taps(port, path, body, response_id, taps, tally, deadline):
    """Post body taps times at once (a double tap) and record each outcome."""

    def one():
        """Send body once, as the kiosk would, and note the outcome."""
        status, started, elapsed = send_like_the_kiosk(port, path, body, deadline)
        tally.record(response_id, status, started, elapsed)
        if status not in (200, 201):
            with tally.lock:
                tally.errors.append((response_id, status))

    threads = [threading.Thread(target=one) for _ in range(taps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@dataclass
class Plan:
    """How the tablets behave."""

    tablets: int
    responses: int
    spread: float
    think: tuple
    double_taps: float
    resends: float
    deadline: float


def run_tablets(port, path, questions, tally, plan):
    """Start every tablet in its own thread; return the threads."""
    threads = [
        threading.Thread(target=tablet, args=(n, port, path, questions, tally, plan))
        for n in range(plan.tablets)
    ]
    for thread in threads:
        thread.start()
    return threads


def kill_twice(server, at, windows):
    """Kill the server with SIGKILL at each offset in at, restarting it each time."""
    start = time.monotonic()
    for offset in at:
        time.sleep(max(0.0, start + offset - time.monotonic()))
        killed = time.monotonic()
        server.kill()
        log.info("gunicorn killed with SIGKILL")
        server.start()
        windows.append((killed, time.monotonic() + 1.0))
        log.info("gunicorn restarted in %.1f s", time.monotonic() - killed)


# -- throughput -------------------------------------------------------------------


def saturate(port, path, bodies, clients, seconds, tally):
    """Post bodies back to back from clients threads; return successes per second."""
    stop = time.monotonic() + seconds
    successes = [0] * clients

    def client(index):
        """Post bodies until the time is up, counting the successes."""
        while time.monotonic() < stop:
            response_id, body = next(bodies)
            started = time.monotonic()
            try:
                status, elapsed = request(port, "POST", path, body)
            except OSError:
                status, elapsed = 0, time.monotonic() - started
            tally.record(response_id, status, started, elapsed)
            if status in (200, 201):
                successes[index] += 1
                continue
            with tally.lock:
                tally.errors.append((response_id, status))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(successes) / (time.monotonic() - started)


def survey_bodies(questions, tally):
    """Return a thread-safe endless supply of (id, complete survey body)."""
    rng = random.Random(7)

    def supply():
        """Yield (id, body) pairs of fresh complete surveys."""
        while True:
            response_id = str(uuid.uuid4())
            answers = complete_answers(questions, rng)
            tally.answers[response_id] = len(answers)
            body = json.dumps({"id": response_id, "answers": answers}).encode()
            yield response_id, body

    return LockedIterator(supply())


class LockedIterator:
    """Share one generator between threads."""

    def __init__(self, iterator):
        self.iterator, self.lock = iterator, threading.Lock()

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            return next(self.iterator)


# -- the run ----------------------------------------------------------------------


def percentile(values, share):
    """Return the value below which share of values fall."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def outside(timings, windows):
    """Return the durations of requests that started outside every kill window."""
    return [
        elapsed
        for started, elapsed in timings
        if not any(low <= started <= high for low, high in windows)
    ]


def summarise(tally, stored):
    """Return the figures of the last line from what tablets saw and the database.

    A response counts as stored only with every answer row it was sent with.
    """
    submitted = set(tally.saved)
    complete = {
        rid for rid, rows in stored.items() if rows >= tally.answers.get(rid, 1)
    }
    twice = [rid for rid, count in tally.created.items() if count > 1]
    extra = [rid for rid, rows in stored.items() if rows > tally.answers.get(rid, rows)]
    phantom = set(stored) - set(tally.answers)
    return {
        "submitted": len(submitted),
        "stored": len(complete),
        "lost": len(submitted - complete),
        "duplicated": len(twice) + len(extra) + len(phantom),
        "errors": len({rid for rid, _ in tally.errors} - submitted),
    }


def environment(url, **extra):
    """Return the environment for gunicorn: the database and a fresh secret."""
    env = dict(os.environ)
    env.update(DATABASE_URL=url, SECRET_KEY=uuid.uuid4().hex, **extra)
    return env


def run(args, workdir):
    """Run both phases and return the figures."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    check_wipe_allowed(url, args.wipe)
    code, questions = prepare_database(url)
    logfile = workdir / "gunicorn.log"
    kept = "" if args.keep else " (removed at the end unless --keep)"
    log.info(
        "database ready (%s); server logs in %s%s", url.split(":")[0], logfile, kept
    )

    path, tally = f"/k/{code}/responses", Tally()
    app = Server("app:create_app()", environment(url), free_port(), logfile, "/k")
    with app, BareServer(url, workdir, logfile) as bare:
        saturate(app.port, path, survey_bodies(questions, tally), 4, 2.0, tally)
        figures = resilience_phase(app, path, questions, tally, args)
        drained = wait_for_processing(url, args.drain_limit)
        rates, bare_rates = [], []
        for round_number in range(1, args.rounds + 1):
            bodies = survey_bodies(questions, tally)
            rates.append(
                saturate(app.port, path, bodies, args.clients, args.seconds, tally)
            )
            drained = wait_for_processing(url, args.drain_limit)
            bare_rates.append(bare.saturate(args))
            log.info(
                "phase 2, round %s: app %.1f submissions/s, bare %.1f inserts/s; "
                "answers expanded %.1f s after the app's last post",
                round_number,
                rates[-1],
                bare_rates[-1],
                drained,
            )
    figures["rps"] = statistics.median(rates)
    figures["bare_rps"] = statistics.median(bare_rates)
    figures.update(summarise(tally, stored_responses(url, code)))
    return figures


def check_wipe_allowed(url, allowed):
    """Refuse to wipe a PostgreSQL database not named for benches."""
    if not url.startswith("postgresql"):
        return
    name = url.rsplit("/", 1)[-1].split("?")[0]
    if "bench" not in name and not allowed:
        raise SystemExit(
            f"refusing to wipe database {name!r}: use a database whose name "
            "contains 'bench', or pass --wipe"
        )


def resilience_phase(server, path, questions, tally, args):
    """Run the tablets while killing the server twice; return p95 outside kills."""
    plan = Plan(
        tablets=args.tablets,
        responses=args.responses,
        spread=args.spread,
        think=(args.think / 2, args.think * 1.5),
        double_taps=0.1,
        resends=0.1,
        deadline=time.monotonic() + args.time_limit,
    )
    windows = []
    before = len(tally.timings)
    threads = run_tablets(server.port, path, questions, tally, plan)
    killer = threading.Thread(target=kill_twice, args=(server, args.kill_at, windows))
    killer.start()
    for thread in threads:
        thread.join(max(0.0, plan.deadline - time.monotonic()) + SEND_TIMEOUT)
    killer.join()
    write_timings(args.timings, tally.timings[before:], windows)
    quiet = outside(tally.timings[before:], windows)
    log.info(
        "phase 1: %s posts, %s outside kill windows",
        len(tally.timings) - before,
        len(quiet),
    )
    return {"p95_ms": percentile(quiet, 0.95) * 1000}


def write_timings(path, timings, windows):
    """Write each phase 1 request's start (s from the first) and duration (ms)."""
    if not path:
        return
    first = min(started for started, _ in timings)
    lines = ["start_s,ms,in_kill_window"]
    for started, elapsed in sorted(timings):
        killed = any(low <= started <= high for low, high in windows)
        lines.append(f"{started - first:.3f},{elapsed * 1000:.1f},{int(killed)}")
    Path(path).write_text("\n".join(lines) + "\n")


class BareServer:
    """The bare app under gunicorn, with its one table, for the run's length."""

    def __init__(self, url, workdir, logfile):
        self.url = url
        if url.startswith("sqlite"):
            self.url = f"sqlite:///{workdir / 'bare.db'}"
        env = environment(url, BARE_DATABASE_URL=self.url)
        spec = "bench.submit_load:bare_app()"
        self.server = Server(spec, env, free_port(), logfile, "/ready")
        body = json.dumps({"answers": {"wish": WISHES[0]}}).encode()
        self.bodies = LockedIterator(iter(lambda: (str(uuid.uuid4()), body), None))

    def __enter__(self):
        prepare_bare_table(self.url)
        self.server.start()
        saturate(self.server.port, "/rows", self.bodies, 4, 1.0, Tally())
        return self

    def __exit__(self, *_exc):
        self.server.stop()
        drop_bare_table(self.url)

    def saturate(self, args):
        """Return the bare app's successes per second under phase 2's load."""
        port, clients, seconds = self.server.port, args.clients, args.seconds
        return saturate(port, "/rows", self.bodies, clients, seconds, Tally())


def parse_args(argv=None):
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tablets", type=int, default=200)
    parser.add_argument("--responses", type=int, default=3)
    parser.add_argument("--spread", type=float, default=8.0, help="start spread, s")
    parser.add_argument("--think", type=float, default=8.0, help="mean think time, s")
    parser.add_argument("--kill-at", type=float, nargs=2, default=(8.0, 20.0))
    parser.add_argument("--time-limit", type=float, default=75.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument(
        "--rounds", type=int, default=3, help="phase 2 rounds; medians are used"
    )
    parser.add_argument(
        "--drain-limit", type=float, default=120.0, help="wait for processing, s"
    )
    parser.add_argument("--wipe", action="store_true", help="allow wiping any DB")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument("--timings", help="write phase 1 request times to this CSV")
    return parser.parse_args(argv)


def main(argv=None):
    """Run the bench and print its figures, the summary line last."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="tongsheng-bench-"))
    figures = run(args, workdir)
    if not args.keep:
        shutil.rmtree(workdir)
    line = (
        "submitted={submitted} stored={stored} lost={lost} duplicated={duplicated} "
        "errors={errors} p95_ms={p95_ms:.1f} rps={rps:.1f} bare_rps={bare_rps:.1f} "
        "ratio={ratio:.2f}"
    ).format(ratio=figures["rps"] / figures["bare_rps"], **figures)
    sys.stdout.write(line + "\n")


if __name__ == "__main__":
    main()
