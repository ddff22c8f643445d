"""The codebook: themes children speak of, their plan tasks, and how to spot them.

`data/codebook.csv` is a table staff can open in Excel (UTF-8 with a BOM) with
the columns `theme,label,tasks,keywords,notes`. `tasks` holds plan task
numbers and `keywords` holds patterns, each list separated by `;`. A pattern
is one of:

- `斑马线`: the text appears in the normalised answer, standing on its own:
  not inside a longer keyword (垃圾 inside 垃圾桶) nor run into by another
  one (生态 in 医生态度);
- `车+快`: every part appears somewhere in the answer;
- `爸爸/妈妈+陪`: `/` separates alternatives within a part;
- `-爸爸+手机`: a veto, the theme is not given when this pattern matches.

docs/codebook.md explains the rules for the people who edit the file.
"""

import csv
import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import ahocorasick

from analysis.text import normalise
from core import DATA_DIR

log = logging.getLogger(__name__)

CODEBOOK_PATH = DATA_DIR / "codebook.csv"
COLUMNS = ("theme", "label", "tasks", "keywords", "notes")
TASK_RANGE = range(1, 33)

#: one part of a pattern: any of its texts will do
Slot = tuple[str, ...]
#: a pattern: every part must be found
Rule = tuple[Slot, ...]


class CodebookError(ValueError):
    """Raised when the codebook file cannot be read as a codebook."""


@dataclass(frozen=True)
class Theme:
    """A row of the codebook, with its patterns parsed."""

    key: str
    label: str
    tasks: tuple[int, ...]
    rules: tuple[Rule, ...]
    vetoes: tuple[Rule, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class Index:
    """Lookups built once from the themes so that matching is cheap."""

    #: finds every keyword that a pattern can start from, in one pass
    automaton: ahocorasick.Automaton
    #: keyword of a one-part pattern -> indexes of the themes it gives
    single: dict[str, tuple[int, ...]]
    #: one-part keyword -> longer keywords that hold it (垃圾 -> 垃圾桶)
    holders: dict[str, frozenset[str]]
    #: one-part keyword -> texts where a one-part keyword read before it
    #: overlaps it (生态 -> 医生态)
    overlaps: dict[str, tuple[str, ...]]
    #: anchor keyword of a longer pattern -> (theme index, its other parts)
    combined: dict[str, tuple[tuple[int, Rule], ...]]
    #: by theme index: a search for its one-part vetoes, and its longer ones
    vetoes: tuple[tuple[re.Pattern | None, tuple[Rule, ...]], ...]


@dataclass(frozen=True)
class Codebook:
    """All themes, a content hash as version, and the index used to match."""

    themes: tuple[Theme, ...]
    version: str
    path: str = ""
    index: Index | None = field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.themes)

    def theme(self, key: str) -> Theme:
        """Return the theme with `key`."""
        for theme in self.themes:
            if theme.key == key:
                return theme
        raise KeyError(key)


def load_codebook(path=None) -> Codebook:
    """Read a codebook CSV (default data/codebook.csv) and build its index."""
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
    rules, vetoes = [], []
    for pattern in _split(row["keywords"]):
        target = vetoes if pattern.startswith("-") else rules
        rule = _rule(pattern.lstrip("-"))
        if rule:
            target.append(rule)
    if not rules:
        raise CodebookError(f"line {line}: theme {row['theme']} has no keywords")

    return Theme(
        key=row["theme"].strip(),
        label=(row["label"] or "").strip(),
        tasks=_tasks(row["tasks"], line),
        rules=tuple(rules),
        vetoes=tuple(vetoes),
        notes=(row.get("notes") or "").strip(),
    )


def _split(cell: str | None) -> list[str]:
    """Split a `;`-separated cell; full-width ；＋－／ count as their ASCII forms."""
    cell = unicodedata.normalize("NFKC", cell or "")
    return [part.strip() for part in cell.split(";") if part.strip()]


def _rule(pattern: str) -> Rule:
    """Parse `a/b+c` into parts of texts, normalised like the answers are."""
    slots = []
    for part in pattern.split("+"):
        texts = (normalise(alt.strip()) for alt in part.split("/"))
        slot = tuple(dict.fromkeys(t for t in texts if t))
        if slot:
            slots.append(slot)
    return tuple(slots)


def _tasks(cell: str | None, line: int) -> tuple[int, ...]:
    """Parse the task numbers of a row and check they are plan tasks."""
    numbers = []
    for part in _split(cell):
        if not part.isdigit() or int(part) not in TASK_RANGE:
            raise CodebookError(f"line {line}: {part!r} is not a task number 1-32")
        numbers.append(int(part))
    return tuple(sorted(set(numbers)))


def build_codebook(themes, version: str, path: str = "") -> Codebook:
    """Return a codebook with the index that matching needs."""
    themes = tuple(themes)
    return Codebook(themes, version, path, build_index(themes))


def build_index(themes: tuple[Theme, ...]) -> Index:
    """Build the automaton and lookups for `themes`."""
    single: dict[str, list[int]] = {}
    combined: dict[str, list[tuple[int, Rule]]] = {}
    for index, theme in enumerate(themes):
        for rule in theme.rules:
            if len(rule) == 1:
                for text in rule[0]:
                    single.setdefault(text, []).append(index)
                continue
            anchor, rest = _anchor(rule)
            for text in anchor:
                combined.setdefault(text, []).append((index, rest))

    every = {text for rule in _all_rules(themes) for slot in rule for text in slot}
    holders = _holders(single, every)
    return Index(
        automaton=_automaton(set(single) | set(combined) | _flatten(holders)),
        single={t: tuple(dict.fromkeys(ix)) for t, ix in single.items()},
        holders=holders,
        overlaps=_overlaps(single),
        combined={t: tuple(pairs) for t, pairs in combined.items()},
        vetoes=tuple(_vetoes(theme) for theme in themes),
    )


def _vetoes(theme: Theme) -> tuple[re.Pattern | None, tuple[Rule, ...]]:
    """Return a search for a theme's one-part vetoes, and its longer vetoes."""
    texts = sorted({t for rule in theme.vetoes if len(rule) == 1 for t in rule[0]})
    search = re.compile("|".join(map(re.escape, texts))) if texts else None
    return search, tuple(rule for rule in theme.vetoes if len(rule) > 1)


def _holders(single, every) -> dict[str, frozenset[str]]:
    """Map each one-part keyword to the longer keywords that hold it."""
    holders: dict[str, set[str]] = {}
    for text in every:
        for size in range(1, len(text)):
            for start in range(len(text) - size + 1):
                part = text[start : start + size]
                if part in single:
                    holders.setdefault(part, set()).add(text)
    return {part: frozenset(texts) for part, texts in holders.items()}


def _flatten(mapping) -> set[str]:
    """Return the union of the values of `mapping`."""
    return {text for texts in mapping.values() for text in texts}


def _overlaps(single) -> dict[str, tuple[str, ...]]:
    """Map each one-part keyword to the texts where another one runs into it."""
    ends: dict[str, list[str]] = {}
    for text in single:
        for size in range(1, len(text)):
            ends.setdefault(text[-size:], []).append(text)
    overlaps: dict[str, list[str]] = {}
    for text in single:
        for size in range(1, len(text)):
            for before in ends.get(text[:size], ()):
                overlaps.setdefault(text, []).append(before + text[size:])
    return {text: tuple(merged) for text, merged in overlaps.items()}


def _all_rules(themes):
    """Yield every pattern and veto of `themes`."""
    for theme in themes:
        yield from theme.rules
        yield from theme.vetoes


def _anchor(rule: Rule) -> tuple[Slot, Rule]:
    """Split off the part least likely to be found, to look the pattern up by."""
    position = max(range(len(rule)), key=lambda i: _rarity(rule[i]))
    return rule[position], rule[:position] + rule[position + 1 :]


def _rarity(slot: Slot) -> tuple[int, int]:
    """Rank a part: longer shortest text first, then fewer alternatives."""
    return min(len(text) for text in slot), -len(slot)


def _automaton(texts) -> ahocorasick.Automaton:
    """Build an automaton that reports each of `texts` it finds."""
    automaton = ahocorasick.Automaton()
    for text in texts:
        automaton.add_word(text, text)
    automaton.make_automaton()
    return automaton
