"""The real app on a loopback port with its own database, for a real browser.

Used by the browser tests and by bench/kiosk_weight.py, so both see the kiosk
the same way: a fresh SQLite database migrated to the newest schema, the
townships, the real plan and the built-in templates, and one launch per band.
"""

import importlib.util
import logging
import os
import threading
import wave
from contextlib import contextmanager

from sqlmodel import Session, select
from werkzeug.serving import make_server

from core import DATA_DIR

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BANDS = ("6-8", "9-11", "12-14", "15-17")
TABLET = {
    "viewport": {"width": 768, "height": 1024},
    "has_touch": True,
    "is_mobile": True,
}


def missing_browser():
    """Return why a real browser cannot run here, or None when it can."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing (Debian: apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is missing (pip install -e '.[test]')"
    return None


def launch_chromium(playwright):
    """Start Debian's Chromium headless, with nothing that calls out."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class LiveServer:
    """The app served from a background thread on 127.0.0.1 and a free port."""

    def __init__(self, folder, survey_key="needs", bands=BANDS):
        self.folder = folder
        self.survey_key = survey_key
        self.bands = bands
        self.app = None
        self.codes = {}
        self._server = None
        self._thread = None

    def start(self):
        """Migrate and seed the database, open the launches and start serving."""
        from app import create_app
        from core import db

        url = f"sqlite:///{self.folder / 'kiosk.db'}"
        db.upgrade(url)
        self.app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "SECRET_KEY": "browser-test-secret",
                # answers are expanded by the background thread, as in production
                "SUBMISSIONS_INLINE": False,
                "AUDIO_DIR": str(self.folder / "audio"),
            }
        )
        self._seed()
        self.codes = {band: self.new_launch(band) for band in self.bands}
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        log.info("Live server started on port %s", self.port)
        return self

    def stop(self):
        """Stop serving and close the database connections."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
        if self.app is not None:
            self.app.extensions["processor"].stop()
            self.app.extensions["db_engine"].dispose()

    @property
    def port(self):
        """Return the port the server listens on."""
        return self._server.server_port

    def url(self, path=""):
        """Return the absolute URL of path on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def kiosk_url(self, band):
        """Return the kiosk URL of the band's standing launch."""
        return self.url(f"/k/{self.codes[band]}")

    @contextmanager
    def session(self):
        """Yield a session on the server's database."""
        engine = self.app.extensions["db_engine"]
        with Session(engine, expire_on_commit=False) as session:
            yield session

    def new_launch(self, band, survey_key=None):
        """Open a fresh launch of the survey for band and return its code."""
        from surveys import operations
        from surveys.models import Survey

        key = survey_key or self.survey_key
        with self.session() as session:
            survey = session.exec(select(Survey).where(Survey.key == key)).one()
            return operations.create_launch(session, survey, band, "lecheng").code

    def add_survey(self, spec):
        """Store an authored survey, checked as the editor checks it."""
        from surveys.editor_forms import create_survey

        with self.session() as session:
            return create_survey(session, spec).key

    def add_user(self, role, password):
        """Create a staff account of role and return its user name."""
        from core.models import User

        with self.session() as session:
            user = User(username=f"{role}-browser", display_name=role, role=role)
            user.set_password(password)
            session.add(user)
            session.commit()
            return user.username

    def add_clip(self, question_key, survey_key=None):
        """Store a short silent WAV as the read-aloud clip of a question."""
        folder = self.folder / "audio" / (survey_key or self.survey_key)
        folder.mkdir(parents=True, exist_ok=True)
        with wave.open(str(folder / f"{question_key}.wav"), "wb") as clip:
            clip.setnchannels(1)
            clip.setsampwidth(2)
            clip.setframerate(8000)
            clip.writeframes(b"\0\0" * 800)

    def _seed(self):
        """Load the townships, the real plan and the built-in templates."""
        from participation import operations as plan_ops
        from participation.plan import read_plan
        from surveys import operations as survey_ops

        with self.session() as session:
            plan_ops.load_townships(session)
            plan = read_plan(DATA_DIR / "plans/yueqing-2022-2024.txt")
            plan_ops.import_plan(session, plan)
            survey_ops.load_templates(session)
