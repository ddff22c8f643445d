"""Weigh the codebook's themes with what hand-coded answers teach about the tasks.

The codebook finds the themes an answer names, but an answer often names things
it is not about (a bus in an answer about a library) and speaks of things in
words no keyword holds. The people who code answers by hand judge both. A
linear model per task, fitted on their coded answers (`data/training/`), reads
an answer's words, its pairs of characters and the themes the codebook found,
and gives each task a score; the tasks scored at or above the threshold are the
answer's tasks. `data/learned.npz` holds the fitted weights; inference needs
only numpy, fitting needs scikit-learn (`flask --app app analysis learn`).
"""

import hashlib
import io
import logging
import math
import os
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path

import ahocorasick
import numpy as np

from analysis import tables
from analysis.text import visible
from analysis.tokenize import stopwords
from core import DATA_DIR

log = logging.getLogger(__name__)

MODEL_PATH = DATA_DIR / "learned.npz"
TRAINING_DIR = DATA_DIR / "training"
CODED_COLUMNS = ("id", "text", "tasks")
TASKS = 32
#: a task is given when its score (a probability) reaches this
THRESHOLD = 0.4
#: a task the codebook found is kept unless its score is below this: the
#: model overrules the codebook only when it is fairly sure
KEEP = 0.2
#: the inverse strength of the weights' penalty when fitting (scikit-learn's C)
STRENGTH = 8.0
#: each task needs this many coded answers to be fitted
LEAST = 5
#: weights smaller than this are left out of the saved model
PRUNE = 0.05

#: how often, in seconds, default_model looks whether the file changed
RECHECK_S = 1.0

_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
_second = itemgetter(1)
_loaded: dict = {"checked": float("-inf"), "key": None, "model": None}


class TrainingError(ValueError):
    """Raised when the coded answers cannot be read or fitted."""


@dataclass(frozen=True)
class Coded:
    """A hand-coded answer: its text, the tasks it is about (`tasks`) and the
    related tasks a coder would also accept (`also`)."""

    text: str
    tasks: frozenset[int]
    also: frozenset[int] = frozenset()


def features(text: str, words: Iterable[str], hits, edited=()) -> set[str]:
    """Return the features of read text: words, character pairs, codebook themes.

    A theme in `edited` changed since the model was fitted, so only its tasks
    count, not the theme itself.
    """
    found = {"w:" + word for word in words if not word.isspace()}
    for run in _CJK_RUN.findall(text):
        found.update("b:" + run[i : i + 2] for i in range(len(run) - 1))
    for hit in hits:
        if hit.theme not in edited:
            found.add("th:" + hit.theme)
        found.update(f"ct:{number}" for number in hit.tasks)
    return found


def shown(feature: str) -> str:
    """Return a feature as staff read it: the word or characters it stands for."""
    return feature.split(":", 1)[1]


class Model:
    """Per-task weights over features, and the score at which a task is given."""

    def __init__(
        self, names, weights, bias, threshold=THRESHOLD, version="", themes=None
    ):
        self.names = list(names)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = [float(b) for b in bias]
        self.threshold = threshold
        self.version = version
        #: theme key -> (its tasks, a digest of its patterns) when fitted
        self.themes: dict[str, tuple[tuple[int, ...], str]] = themes or {}
        self._edits: dict[str, dict | None] = {}
        #: the scores a task must reach, as log-odds, so no sigmoid is needed
        self._cut = math.log(threshold / (1 - threshold))
        self._keep = math.log(KEEP / (1 - KEEP))
        self._rows = {name: row for row, name in enumerate(self.names)}
        self._bias = np.asarray(bias, dtype=np.float32)
        #: the rows of each kind of feature by its text, so that an answer's
        #: rows are found without spelling out its feature names
        self._by_kind: dict[str, dict[str, int]] = {
            "w": {},
            "b": {},
            "th": {},
            "ct": {},
        }
        for name, row in self._rows.items():
            kind, _, text = name.partition(":")
            self._by_kind.setdefault(kind, {})[text] = row
        self._pair_automaton = None

    def __repr__(self):
        return f"<Model {self.version} {len(self.names)} features>"

    def logits(self, found: Iterable[str]) -> np.ndarray:
        """Return each task's log-odds for an answer's features (index 0 = task 1)."""
        return self._logits({self._rows.get(feature) for feature in found})

    def _logits(self, rows: set[int | None]) -> np.ndarray:
        rows.discard(None)
        logits = np.add.reduce(self.weights.take(sorted(rows), axis=0), axis=0)
        logits += self._bias
        return logits

    def rows(self, text: str, words: Iterable[str], hits, edited=()) -> set[int]:
        """Return the rows of the features `features` would give, found directly."""
        kinds = self._by_kind
        rows = set(map(kinds["w"].get, words))
        # every pair of characters the model knows, found in one pass in C
        rows.update(map(_second, self._pairs().iter(text)))
        theme, task = kinds["th"].get, kinds["ct"].get
        for hit in hits:
            if hit.theme not in edited:
                rows.add(theme(hit.theme))
            rows.update(map(task, map(str, hit.tasks)))
        return rows

    def _pairs(self) -> ahocorasick.Automaton:
        """Return an automaton of the model's character pairs, built once."""
        if self._pair_automaton is None:
            automaton = ahocorasick.Automaton()
            for pair, row in self._by_kind["b"].items():
                automaton.add_word(pair, row)
            if not self._by_kind["b"]:
                # an automaton with no words cannot be searched
                automaton.add_word("\x00\x00", None)
            automaton.make_automaton()
            self._pair_automaton = automaton
        return self._pair_automaton

    def tasks(self, found: Iterable[str], found_by_codebook=()) -> set[int]:
        """Return the task numbers whose score reaches the threshold, and those
        of `found_by_codebook` whose score reaches KEEP."""
        rows = {self._rows.get(feature) for feature in found}
        return self.choose(rows, found_by_codebook)

    def choose(self, rows: set[int | None], found_by_codebook=()) -> set[int]:
        """Return what `tasks` does, for an answer's rows (from `rows`; the set
        is changed)."""
        logits = self._logits(rows).tolist()
        cut, keep = self._cut, self._keep
        given = {n for n, logit in enumerate(logits, start=1) if logit >= cut}
        return given | {n for n in found_by_codebook if logits[n - 1] >= keep}

    def scores(self, found: Iterable[str]) -> dict[int, float]:
        """Return each task's probability for an answer's features."""
        logits = self.logits(found).astype(np.float64)
        return {n + 1: float(p) for n, p in enumerate(1 / (1 + np.exp(-logits)))}

    def weight(self, feature: str, task: int) -> float:
        """Return the weight of `feature` for `task` (0 when it has none)."""
        row = self._rows.get(feature)
        return 0.0 if row is None else float(self.weights[row, task - 1])

    def edited(self, codebook) -> dict[str, tuple[int, ...]] | None:
        """Return the themes changed since fitting, with their tasks then.

        None means the codebook is too unlike the one the model was fitted
        with (fewer than half its themes unchanged) for its weights to hold.
        """
        if codebook.version not in self._edits:
            self._edits[codebook.version] = _edited(self, codebook)
        return self._edits[codebook.version]

    def reasons(self, found: Iterable[str], task: int, count=3) -> tuple[str, ...]:
        """Return the answer's words that count most for `task`, strongest first.

        Words of the answer come first; its pairs of characters only when no
        word of two or more characters, other than a function word, counts.
        """
        found = sorted(found)
        skip = stopwords()
        words = [f for f in found if f[:2] == "w:" and len(f) > 3 and f[2:] not in skip]
        best = self._strongest(words, task, count)
        return best or self._strongest([f for f in found if f[:2] == "b:"], task, count)

    def _strongest(self, candidates, task: int, count: int) -> tuple[str, ...]:
        """Return up to `count` of `candidates` with the largest positive weights."""
        rows = [(f, self._rows[f]) for f in candidates if f in self._rows]
        if not rows:
            return ()
        weights = self.weights[[row for _, row in rows], task - 1]
        order = [i for i in np.argsort(-weights, kind="stable") if weights[i] > 0]
        return tuple(shown(rows[i][0]) for i in order[:count])


def theme_digest(theme) -> tuple[tuple[int, ...], str]:
    """Return a theme's tasks and a digest of its patterns and vetoes."""
    patterns = repr((theme.rules, theme.vetoes)).encode()
    return theme.tasks, hashlib.sha256(patterns).hexdigest()[:12]


def _edited(model: "Model", codebook) -> dict[str, tuple[int, ...]] | None:
    """Compare a codebook with the model's themes; see Model.edited."""
    edited, same = {}, 0
    for theme in codebook.themes:
        then = model.themes.get(theme.key)
        if then == theme_digest(theme):
            same += 1
        else:
            edited[theme.key] = then[0] if then else ()
    if model.themes and same * 2 < len(model.themes):
        return None
    return edited


def default_model() -> Model | None:
    """Return the model in data/learned.npz; None when there is none.

    The file is looked at again at most once a second, so a model that
    `analysis learn` wrote is used by running app processes without a restart.
    """
    now = time.monotonic()
    if now - _loaded["checked"] < RECHECK_S:
        return _loaded["model"]
    _loaded["checked"] = now
    try:
        stat = MODEL_PATH.stat()
    except FileNotFoundError:
        if _loaded["key"] != "missing":
            log.warning("No model at %s: themes are the codebook's alone", MODEL_PATH)
        _loaded.update(key="missing", model=None)
        return None
    key = (stat.st_mtime_ns, stat.st_size)
    if key != _loaded["key"]:
        try:
            _loaded.update(key=key, model=load_model(MODEL_PATH))
        except (OSError, ValueError, KeyError):
            log.exception("Model at %s unreadable; the last one stays", MODEL_PATH)
        else:
            log.info("Model %s loaded", _loaded["model"].version)
    return _loaded["model"]


def load_model(path: Path) -> Model:
    """Read a saved model."""
    with np.load(path, allow_pickle=False) as saved:
        themes = {
            key: (tuple(int(n) for n in tasks.split(";") if n), digest)
            for key, tasks, digest in saved["themes"].tolist()
        }
        return Model(
            names=saved["names"].tolist(),
            weights=saved["weights"],
            bias=saved["bias"],
            threshold=float(saved["threshold"]),
            version=str(saved["version"]),
            themes=themes,
        )


def save_model(model: Model, path: Path) -> None:
    """Write a model, its weights as half floats, small weights left out."""
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        names=np.array(model.names),
        weights=model.weights.astype(np.float16),
        bias=np.array(model.bias, dtype=np.float32),
        threshold=np.float64(model.threshold),
        version=np.array(model.version),
        themes=np.array(
            [
                (key, ";".join(map(str, tasks)), digest)
                for key, (tasks, digest) in sorted(model.themes.items())
            ]
        ).reshape(-1, 3),
    )
    # written whole, then renamed: a running app never reads half a model
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(buffer.getvalue())
    os.replace(partial, path)


def read_coded(paths: Iterable[Path]) -> list[Coded]:
    """Read hand-coded answers (columns id,text,tasks,also) from CSV files.

    A file is read by the rules of answer tables (analysis.tables): a line with
    more fields than the header, one that ends before its tasks, a quote left
    open or a column named twice is refused with its line. An id may appear
    once across all the files.
    """
    coded, seen = [], {}
    for path in paths:
        coded += _coded_rows(path, _table(path), seen)
    return coded


def _table(path: Path) -> list[tuple[int, dict]]:
    """Return one coded file's rows with their lines, or say what is wrong."""
    try:
        return tables.read_rows(path, CODED_COLUMNS)
    except tables.InputError as exc:
        raise TrainingError(f"{path.name}: {exc}") from None


def _coded_rows(path: Path, rows, seen: dict[str, tuple[str, int]]) -> list[Coded]:
    """Return the coded answers of one file, refusing rows a coder did not mean."""
    coded = []
    for line, row in rows:
        key, text = visible(row["id"]).strip(), row["text"].strip()
        if not key or not text:
            raise TrainingError(f"{path.name}, line {line}: needs an id and a text")
        _check_new(key, (path.name, line), seen)
        tasks = _numbers(row["tasks"], path, line)
        also = _numbers(row.get("also"), path, line) - tasks
        coded.append(Coded(text, frozenset(tasks), frozenset(also)))
    return coded


def _check_new(key: str, where: tuple[str, int], seen: dict[str, tuple[str, int]]):
    """Refuse an id already read, in this file or an earlier one; note it if new."""
    if key not in seen:
        seen[key] = where
        return
    (name, line), (first_name, first_line) = where, seen[key]
    if first_name == name:
        raise TrainingError(
            f"{name}, line {line}: id {key!r} is also on line {first_line}"
        )
    raise TrainingError(
        f"{name}, line {line}: id {key!r} is also in {first_name}, line "
        f"{first_line}; an id may appear only once across the training files"
    )


def _numbers(cell: str | None, path: Path, line: int) -> set[int]:
    """Parse `;`-separated task numbers, refusing anything that is not one."""
    numbers = set()
    for part in re.split(r"[;,]", unicodedata.normalize("NFKC", cell or "")):
        if not part.strip():
            continue
        if not part.strip().isdigit() or not 1 <= int(part) <= TASKS:
            raise TrainingError(f"{path.name}, line {line}: {part!r} is not a task")
        numbers.add(int(part))
    return numbers


def fit(
    coded: list[Coded], featurise, codebook, strength=STRENGTH, least=LEAST
) -> Model:
    """Fit one logistic regression per task on coded answers' features.

    An answer is an example of the tasks it is about and a counter-example of
    the tasks it is not about; for the tasks a coder would merely also accept
    it is neither, so the model learns to give what an answer is about, and
    leaves a related task the codebook found to the threshold it must keep.
    `featurise(text)` gives an answer's features with `codebook`, whose themes
    the model remembers so that later edits to them are honoured.
    """
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    if not coded:
        raise TrainingError("no coded answers to learn from")
    counts = Counter(number for answer in coded for number in answer.tasks)
    thin = [number for number in range(1, TASKS + 1) if counts[number] < least]
    if thin:
        raise TrainingError(
            f"tasks {', '.join(map(str, thin))} have fewer than {least} coded "
            "answers each; the model would hardly ever give them"
        )
    vectoriser = DictVectorizer(dtype=np.float32)
    matrix = vectoriser.fit_transform(
        dict.fromkeys(featurise(answer.text), 1) for answer in coded
    )
    weights = np.zeros((matrix.shape[1], TASKS), dtype=np.float32)
    bias = np.full(TASKS, -20.0, dtype=np.float32)
    for number in range(1, TASKS + 1):
        rows = [i for i, answer in enumerate(coded) if number not in answer.also]
        labels = np.array([number in coded[i].tasks for i in rows])
        if labels.sum() < 2 or labels.all():
            continue
        model = LogisticRegression(C=strength, max_iter=5000)
        model.fit(matrix[rows], labels)
        weights[:, number - 1] = model.coef_[0]
        bias[number - 1] = model.intercept_[0]

    weights[np.abs(weights) < PRUNE] = 0
    kept = np.abs(weights).max(axis=1) > 0
    names = vectoriser.get_feature_names_out()[kept].tolist()
    version = _version(names, weights[kept], bias)
    log.info("Model %s fitted on %s answers", version, len(coded))
    themes = {theme.key: theme_digest(theme) for theme in codebook.themes}
    return Model(names, weights[kept], bias, THRESHOLD, version, themes)


def _version(names, weights, bias) -> str:
    """Return a short content hash and the date, naming a fitted model."""
    digest = hashlib.sha256()
    digest.update("\n".join(names).encode())
    digest.update(weights.astype(np.float16).tobytes())
    digest.update(bias.tobytes())
    return f"{datetime.now(UTC):%Y%m%d}-{digest.hexdigest()[:8]}"
