"""A kiosk page driven by touch, and what the server stored from it."""

import time

from sqlmodel import select

from surveys import operations
from surveys.models import Answer, Launch, RejectedSubmission, Response, Survey
from surveys.templates import questions_for

#: a browser that speaks Chinese: one zh-CN voice; what it is asked to say is kept
FAKE_VOICE = """
(() => {
  window.__spoken = [];
  const voice = {lang: "zh-CN", name: "test", voiceURI: "test",
                 localService: true, default: true};
  const synth = {
    getVoices: () => [voice],
    speak: (u) => window.__spoken.push({text: u.text, lang: u.lang, rate: u.rate}),
    cancel: () => {}, pause: () => {}, resume: () => {},
    speaking: false, pending: false, onvoiceschanged: null,
  };
  Object.defineProperty(window, "speechSynthesis", {value: synth});
  window.SpeechSynthesisUtterance = function (text) { this.text = text; };
})();
"""
#: a browser without any voice, as on many Android tablets
NO_VOICE = FAKE_VOICE.replace("() => [voice]", "() => []")
#: CSP violations and script errors are kept for the end of each test
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.violatedDirective));
"""
#: tap targets, option cards, text sizes and overflow of the screen on show
MEASURE = """
() => {
  const shown = (e) =>
    e.offsetParent !== null && getComputedStyle(e).visibility !== "hidden";
  const box = (e) => {
    const r = e.getBoundingClientRect();
    return {id: e.dataset.testid || e.className, height: r.height,
            top: r.top, bottom: r.bottom, left: r.left, right: r.right};
  };
  const size = (e) => parseFloat(getComputedStyle(e).fontSize);
  const all = (selector) => [...document.querySelectorAll(selector)].filter(shown);
  return {
    targets: all("section.screen button").map(box),
    cards: all("[data-testid=option]").map(box),
    body: size(document.body),
    smallest: Math.min(...all(".prompt, .opt .label, .btn, .hint, .note").map(size)),
    scroll: document.documentElement.scrollHeight - innerHeight,
  };
}
"""
#: advance + settle time of a screen, with room to spare
STEP_MS = 700
#: the smallest tap target height and body text size per band (CHILDREN.md)
TARGET = {"6-8": 64, "9-11": 64, "12-14": 48, "15-17": 48}
TEXT = {"6-8": 22, "9-11": 20, "12-14": 18, "15-17": 18}
GAP = 12


class Kiosk:
    """One tablet showing one launch; time runs on a fake clock the test moves."""

    def __init__(self, context, server, code, voice=None):
        self.context = context
        self.server = server
        self.code = code
        self.errors = []
        self.posts = []
        self.requests = []
        context.add_init_script(WATCH)
        if voice is not None:
            context.add_init_script(FAKE_VOICE if voice else NO_VOICE)
        self.page = context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("response", self._record_post)
        self.page.on("request", lambda request: self.requests.append(request))
        self.page.clock.install()

    def open(self, path=None):
        """Load the kiosk (the launch's, or the one at path) and wait for 开始."""
        self.page.goto(self.server.url(path or f"/k/{self.code}"))
        self.page.wait_for_selector("[data-testid=start]")
        return self

    def _record_post(self, response):
        if response.request.method == "POST":
            self.posts.append(response.status)

    def sign_in(self, username, password):
        """Sign in to the staff pages on this tablet; forget the requests made."""
        self.page.goto(self.server.url("/login"))
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        with self.page.expect_navigation():
            self.page.click("button[type=submit]")
        self.requests.clear()
        self.posts.clear()

    def by(self, testid):
        """Return the element with data-testid."""
        return self.page.get_by_test_id(testid)

    def option(self, value):
        """Return the option card with value."""
        return self.page.locator(f"[data-testid=option][data-value='{value}']")

    def screen(self):
        """Return (screen name, question key, question type) on show."""
        section = self.page.locator("section.screen")
        return tuple(
            section.get_attribute(name)
            for name in ("data-screen", "data-key", "data-type")
        )

    def tick(self, ms=STEP_MS):
        """Let ms of the page's time pass."""
        self.page.clock.run_for(ms)

    def start(self):
        """Tap 开始 and wait for the first question."""
        self.by("start").tap()
        self.tick()
        self.page.wait_for_selector("section.screen[data-screen=question]")

    def answer(self, value):
        """Answer the question on show: None skips, a list toggles, text is typed."""
        name, key, kind = self.screen()
        assert name == "question", name
        if value is None:
            self.by("skip").tap()
        elif kind == "text":
            self.by("text-answer").fill(value)
            self.by("next").tap()
        elif kind == "number":
            self.by("number").fill(str(value))
            self.by("next").tap()
        elif isinstance(value, list):
            for item in value:
                self.option(item).tap()
            self.by("next").tap()
        else:
            self.option(value).tap()
        self.tick()
        self.page.wait_for_function(
            "key => document.querySelector('section.screen').dataset.key !== key",
            arg=key,
        )

    def walk(self, choose, until=None):
        """Answer question after question with choose(key, type, values) → value.

        Stops at the finish screen or before the question keyed until; returns
        the answers given, practice questions included.
        """
        given = {}
        while True:
            name, key, kind = self.screen()
            if name != "question" or key == until:
                return given
            values = self.page.locator("[data-testid=option]").evaluate_all(
                "cards => cards.map(c => c.dataset.value)"
            )
            given[key] = choose(key, kind, values)
            self.answer(given[key])

    def finish(self):
        """Tap 完成 and wait for the done screen."""
        self.by("finish").tap()
        self.page.wait_for_selector("[data-testid=status]")

    def words(self, testid):
        """Return the text of an element without its pinyin."""
        return self.by(testid).evaluate(
            "e => { const c = e.cloneNode(true);"
            " c.querySelectorAll('rt').forEach(r => r.remove());"
            " return c.textContent; }"
        )

    def measure(self):
        """Return the sizes on the screen on show (see MEASURE)."""
        return self.page.evaluate(MEASURE)

    def ranks(self):
        """Return {option value: rank shown on its card, or ""}."""
        return dict(
            self.page.locator("[data-testid=option]").evaluate_all(
                "cards => cards.map(c => [c.dataset.value,"
                " c.querySelector('[data-testid=rank]').textContent])"
            )
        )

    def status(self):
        """Return the done screen's state."""
        return self.by("status").get_attribute("data-state")

    def queue(self):
        """Return (waiting, problems) as the facilitator's box shows them."""
        box = self.by("queue-indicator")
        return int(box.get_attribute("data-waiting")), int(
            box.get_attribute("data-problems")
        )

    def storage(self):
        """Return the keys of localStorage and sessionStorage, sorted."""
        return self.page.evaluate(
            "[Object.keys(localStorage).sort(), Object.keys(sessionStorage).sort()]"
        )

    def check_clean(self):
        """Assert that the page broke no CSP rule and threw no error."""
        violations = self.page.evaluate("window.__csp || []")
        assert not violations, violations
        assert not self.errors, self.errors


def gaps(cards):
    """Return the space between neighbouring option cards, across or down."""
    out = []
    for a, b in zip(cards, cards[1:], strict=False):
        same_row = abs(a["top"] - b["top"]) < 1
        out.append(b["left"] - a["right"] if same_row else b["top"] - a["bottom"])
    return out


def layout_problems(kiosk, band):
    """Return what on the screen on show breaks the band's sizes."""
    seen = kiosk.measure()
    key, kind = kiosk.screen()[1:]
    problems = [
        f"{key}: {t['id']} {t['height']:.0f} px high"
        for t in seen["targets"]
        if t["height"] < TARGET[band]
    ]
    problems += [f"{key}: gap {g:.0f} px" for g in gaps(seen["cards"]) if g < GAP]
    if seen["body"] < TEXT[band] or seen["smallest"] < TEXT[band]:
        problems.append(f"{key}: text {seen['body']} / {seen['smallest']} px")
    if kind != "text" and seen["scroll"] > 0:
        problems.append(f"{key}: scrolls {seen['scroll']} px")
    return problems


def stored(server, code):
    """Return {response id: {question key: answer}} stored for a launch.

    The live app expands answers in its background thread, as in production;
    this waits until it has, for at most 15 s.
    """
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with server.session() as session:
            if not operations.pending_ids(session, limit=1):
                break
        time.sleep(0.05)
    with server.session() as session:
        launch = session.exec(select(Launch).where(Launch.code == code)).one()
        responses = session.exec(
            select(Response).where(Response.launch_id == launch.id)
        ).all()
        found = {}
        for response in responses:
            answers = session.exec(
                select(Answer).where(Answer.response_id == response.id)
            ).all()
            found[response.id] = {a.question_key: _value(a) for a in answers}
        return found


def _value(answer):
    if answer.skipped:
        return None
    return answer.text if answer.text is not None else answer.value


def tablets(server, code):
    """Return the tablet ids of a launch's responses."""
    with server.session() as session:
        launch = session.exec(select(Launch).where(Launch.code == code)).one()
        return session.exec(
            select(Response.tablet).where(Response.launch_id == launch.id)
        ).all()


def rejected(server, code):
    """Return the response ids refused for a launch, oldest first."""
    with server.session() as session:
        launch = session.exec(select(Launch).where(Launch.code == code)).one()
        return session.exec(
            select(RejectedSubmission.response_id)
            .where(RejectedSubmission.launch_id == launch.id)
            .order_by(RejectedSubmission.id)
        ).all()


def asked(server, code):
    """Return the questions the launch's band sees, as the database holds them."""
    with server.session() as session:
        launch = session.exec(select(Launch).where(Launch.code == code)).one()
        survey = session.get(Survey, launch.survey_id)
        return questions_for(survey.spec, launch.band)
