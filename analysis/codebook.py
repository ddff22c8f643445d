"""The codebook: themes children speak of, their plan tasks, and how to spot them.

`data/codebook.csv` is a table staff can open in Excel (UTF-8 with a BOM) with
the columns `theme,label,tasks,keywords,notes`. `tasks` holds plan task
numbers and `keywords` holds patterns, each list separated by `;`. A pattern
is one of:

- `斑马线`: the text appears anywhere in the normalised answer;
- `=车`: the text appears as a whole word as jieba cuts it;
- `车+快`: every part appears (each part may itself start with `=`);
- `爸爸/妈妈+陪`: `/` separates alternatives within a part;
- `-爸爸+手机`: a veto, the theme is not given when this pattern matches;
- `?老师`: a weak pattern, used only when no ordinary pattern of any theme
  matched the answer; then the one theme with the most weak words is given.

docs/codebook.md explains the rules for the people who edit the file.
"""

import csv
import hashlib
import io
import logging
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from analysis.text import normalise
from core import DATA_DIR

log = logging.getLogger(__name__)

CODEBOOK_PATH = DATA_DIR / "codebook.csv"
COLUMNS = ("theme", "label", "tasks", "keywords", "notes")
TASK_RANGE = range(1, 33)


class CodebookError(ValueError):
    """Raised when the codebook file cannot be read as a codebook."""


@dataclass(frozen=True)
class Term:
    """One part of a pattern: a piece of text, maybe required as a whole word."""

    text: str
    whole: bool = False


#: one part of a pattern: any of its terms will do
Slot = tuple[Term, ...]
#: a pattern: every slot must be filled
Rule = tuple[Slot, ...]


@dataclass(frozen=True)
class Theme:
    """A row of the codebook, with its patterns parsed."""

    key: str
    label: str
    tasks: tuple[int, ...]
    rules: tuple[Rule, ...]
    vetoes: tuple[Rule, ...] = ()
    weak: tuple[Rule, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class Codebook:
    """All themes, a content hash as version, and lookups built for matching."""

    themes: tuple[Theme, ...]
    version: str
    path: str = ""
    #: text of every term -> indexes of the themes that use it
    term_themes: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    #: first character of a term -> the term lengths starting with it, longest first
    first_chars: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    #: term texts that must be whole words
    whole_words: frozenset[str] = field(default_factory=frozenset, repr=False)
    #: term texts used only by weak patterns
    weak_only: frozenset[str] = field(default_factory=frozenset, repr=False)

    def __len__(self) -> int:
        return len(self.themes)

    def theme(self, key: str) -> Theme:
        """Return the theme with `key`."""
        for theme in self.themes:
            if theme.key == key:
                return theme
        raise KeyError(key)


def load_codebook(path=None) -> Codebook:
    """Read a codebook CSV (default data/codebook.csv) and build its lookups."""
    path = Path(path) if path else CODEBOOK_PATH
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodebookError(f"{path.name} is not UTF-8 (byte {exc.start})") from None

    themes = parse_codebook(text)
    version = hashlib.sha256(raw).hexdigest()[:10]
    log.info("Codebook %s loaded with %s themes", version, len(themes))
    return build_codebook(themes, version, str(path))


def parse_codebook(text: str) -> tuple[Theme, ...]:
    """Parse the codebook's CSV text into themes."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS[:4] if c not in (reader.fieldnames or [])]
    if missing:
        raise CodebookError(f"codebook lacks the columns {', '.join(missing)}")

    themes, seen = [], set()
    for line, row in enumerate(reader, start=2):
        key = (row["theme"] or "").strip()
        if not key or key.startswith("#"):
            continue
        if key in seen:
            raise CodebookError(f"line {line}: theme {key} appears twice")
        seen.add(key)
        themes.append(_theme(row, line))
    return tuple(themes)


def _theme(row: dict, line: int) -> Theme:
    """Build one theme from a CSV row."""
    kinds: dict[str, list[Rule]] = {"": [], "-": [], "?": []}
    for pattern in _split(row["keywords"]):
        kind = pattern[0] if pattern[0] in "-?" else ""
        rule = _rule(pattern[len(kind) :])
        if rule:
            kinds[kind].append(rule)
    rules, vetoes, weak = kinds[""], kinds["-"], kinds["?"]
    if not rules and not weak:
        raise CodebookError(f"line {line}: theme {row['theme']} has no keywords")

    return Theme(
        key=row["theme"].strip(),
        label=(row["label"] or "").strip(),
        tasks=_tasks(row["tasks"], line),
        rules=tuple(rules),
        vetoes=tuple(vetoes),
        weak=tuple(weak),
        notes=(row.get("notes") or "").strip(),
    )


def _split(cell: str | None) -> list[str]:
    """Split a `;`-separated cell; full-width ；＋＝－ count as their ASCII forms."""
    cell = unicodedata.normalize("NFKC", cell or "")
    return [part.strip() for part in cell.split(";") if part.strip()]


def _rule(pattern: str) -> Rule:
    """Parse `a/b+=c` into slots of terms, normalised like the answers are."""
    slots = []
    for part in pattern.split("+"):
        slot = tuple(_term(alt) for alt in part.split("/") if _term(alt))
        if slot:
            slots.append(slot)
    return tuple(slots)


def _term(text: str) -> Term | None:
    """Parse one alternative such as `=车` into a term."""
    text = text.strip()
    words = normalise(text.lstrip("="))
    return Term(words, text.startswith("=")) if words else None


def _tasks(cell: str | None, line: int) -> tuple[int, ...]:
    """Parse the task numbers of a row and check they are plan tasks."""
    numbers = []
    for part in _split(cell):
        if not part.isdigit() or int(part) not in TASK_RANGE:
            raise CodebookError(f"line {line}: {part!r} is not a task number 1-32")
        numbers.append(int(part))
    return tuple(sorted(set(numbers)))


def build_codebook(themes, version: str, path: str = "") -> Codebook:
    """Return a codebook with the lookups that matching needs."""
    term_themes: dict[str, set[int]] = {}
    whole, strong = set(), set()
    for index, theme in enumerate(themes):
        for rule, is_weak in _all_rules(theme):
            for term in (term for slot in rule for term in slot):
                term_themes.setdefault(term.text, set()).add(index)
                if term.whole:
                    whole.add(term.text)
                if not is_weak:
                    strong.add(term.text)

    lengths: dict[str, set[int]] = {}
    for text in term_themes:
        lengths.setdefault(text[0], set()).add(len(text))
    return Codebook(
        themes=tuple(themes),
        version=version,
        path=path,
        term_themes={t: tuple(sorted(ix)) for t, ix in term_themes.items()},
        first_chars={c: tuple(sorted(n, reverse=True)) for c, n in lengths.items()},
        whole_words=frozenset(whole),
        weak_only=frozenset(term_themes) - strong,
    )


def _all_rules(theme: Theme):
    """Yield every pattern of a theme with whether it is weak."""
    for rule in (*theme.rules, *theme.vetoes):
        yield rule, False
    for rule in theme.weak:
        yield rule, True
