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
- `=题+多`: `=` before a text makes it count only as whole words of the
  answer as jieba cuts it (题 in 题太多, not in 问题);
- `车+快!快递/快乐`: `!` gives the pattern its own veto, the pattern counts
  only when the text after `!` does not match; more `!` add more vetoes;
- `-爸爸+手机`: a veto, the theme is not given when this pattern matches.

docs/codebook.md explains the rules for the people who edit the file.
"""

import csv
import hashlib
import io
import logging
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import ahocorasick

from analysis.sounds import SoundsLike
from analysis.text import normalise
from core import DATA_DIR

log = logging.getLogger(__name__)

CODEBOOK_PATH = DATA_DIR / "codebook.csv"
COLUMNS = ("theme", "label", "tasks", "keywords", "notes")
TASK_RANGE = range(1, 33)

WHOLE = "="
UNLESS = "!"
#: key prefixes of themes the product makes itself: a task the learned model
#: adds (task_26, analysis.classify) and a candidate named on the candidates
#: page (analysis.emergent_ops); staff give their own themes other keys
MODEL_PREFIX = "task_"
EMERGENT_PREFIX = "emergent_"
RESERVED = {
    MODEL_PREFIX: "the tasks the learned model adds (task_26)",
    EMERGENT_PREFIX: "the candidates named on the candidate themes page",
}


class CodebookError(ValueError):
    """Raised when the codebook file cannot be read as a codebook."""


class Part(NamedTuple):
    """One part of a pattern: any of its texts will do."""

    texts: tuple[str, ...]
    #: the texts that count only where they are whole words of the answer
    whole: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    """A pattern: every part must be found, and none of its own vetoes."""

    parts: tuple[Part, ...]
    unless: tuple["Rule", ...] = ()

    def texts(self):
        """Yield every text of the pattern and of its vetoes."""
        for part in self.parts:
            yield from part.texts
        for veto in self.unless:
            yield from veto.texts()


#: what a keyword found by the automaton starts: the theme index, whether the
#: keyword must be a whole word, the other parts, and the pattern's own vetoes
Entry = tuple[int, bool, tuple[Part, ...], tuple[Rule, ...]]


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

    #: finds, in one pass, every text the patterns and vetoes name and every
    #: text where one-part keywords run into each other, so that matching
    #: asks a set of found texts instead of searching the answer again
    automaton: ahocorasick.Automaton
    #: the keywords a pattern is looked up by (the keys of single and combined)
    anchors: frozenset[str]
    #: keyword of a one-part pattern -> what it gives (no other parts)
    single: dict[str, tuple[Entry, ...]]
    #: one-part keyword -> longer keywords that hold it (垃圾 -> 垃圾桶)
    holders: dict[str, frozenset[str]]
    #: one-part keyword -> texts where a one-part keyword read before it
    #: overlaps it (生态 -> 医生态)
    overlaps: dict[str, tuple[str, ...]]
    #: anchor keyword of a longer pattern -> what it gives if the rest is found
    combined: dict[str, tuple[Entry, ...]]
    #: by theme index: the texts of its one-part vetoes, and its longer ones
    vetoes: tuple[tuple[frozenset[str], tuple[Rule, ...]], ...]
    #: finds spans that sound like a keyword's words without spelling them
    sounds: SoundsLike


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

    themes = parse_codebook(text, reserved=tuple(RESERVED))
    version = hashlib.sha256(raw).hexdigest()[:10]
    log.info("Codebook %s loaded with %s themes", version, len(themes))
    return build_codebook(themes, version, str(path))


def parse_codebook(text: str, reserved: tuple[str, ...] = ()) -> tuple[Theme, ...]:
    """Parse the codebook's CSV text into themes; keys may not start `reserved`.

    The file reserves every prefix of RESERVED; versions saved on the site
    hold the candidates named there, and are read as saved.
    """
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
        prefix = reserved_prefix(key, reserved)
        if prefix:
            raise CodebookError(
                f"line {line}: theme {key} starts with {prefix}, which is kept for "
                f"{RESERVED[prefix]}; give the theme a key of its own"
            )
        seen.add(key)
        themes.append(_theme(row, line))
    return tuple(themes)


def reserved_prefix(key: str, reserved=tuple(RESERVED)) -> str | None:
    """Return the reserved prefix a theme key starts with, or None."""
    return next((prefix for prefix in reserved if key.startswith(prefix)), None)


def _theme(row: dict, line: int) -> Theme:
    """Build one theme from a CSV row."""
    rules, vetoes = [], []
    for pattern in _split(row["keywords"]):
        target = vetoes if pattern.startswith("-") else rules
        rule = parse_pattern(pattern.lstrip("-"), line)
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
    """Split a `;`-separated cell; full-width ；＋－／＝！ count as ASCII forms."""
    cell = unicodedata.normalize("NFKC", cell or "")
    return [part.strip() for part in cell.split(";") if part.strip()]


def parse_pattern(pattern: str, line: int = 0) -> Rule | None:
    """Parse `=a/b+c!d` into parts of texts, normalised like the answers are."""
    main, *unless = pattern.split(UNLESS)
    parts = _parts(main)
    if not parts and not unless:
        return None
    vetoes = tuple(Rule(veto) for veto in map(_parts, unless) if veto)
    if not parts or len(vetoes) < len(unless):
        raise CodebookError(f"line {line}: {pattern!r} has an empty side of !")
    return Rule(parts, vetoes)


def _parts(pattern: str) -> tuple[Part, ...]:
    """Parse `=a/b+c` into its parts, leaving out empty ones."""
    parts = []
    for chunk in pattern.split("+"):
        texts, whole = {}, set()
        for alt in chunk.split("/"):
            alt = alt.strip()
            text = normalise(alt.lstrip(WHOLE).strip())
            if text:
                texts[text] = None
                if alt.startswith(WHOLE):
                    whole.add(text)
        if texts:
            parts.append(Part(tuple(texts), frozenset(whole)))
    return tuple(parts)


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
    single: dict[str, list[Entry]] = {}
    combined: dict[str, list[Entry]] = {}
    for index, theme in enumerate(themes):
        for rule in theme.rules:
            anchor, rest = _anchor(rule.parts)
            target = combined if rest else single
            for text in anchor.texts:
                entry = (index, text in anchor.whole, rest, rule.unless)
                target.setdefault(text, []).append(entry)

    every = {text for rule in _all_rules(themes) for text in rule.texts()}
    holders = _holders(single, every)
    overlaps = _overlaps(single)
    return Index(
        automaton=_automaton(every | _flatten(holders) | _flatten(overlaps)),
        anchors=frozenset(single) | frozenset(combined),
        single={t: tuple(dict.fromkeys(e)) for t, e in single.items()},
        holders=holders,
        overlaps=overlaps,
        combined={t: tuple(entries) for t, entries in combined.items()},
        vetoes=tuple(_vetoes(theme) for theme in themes),
        sounds=SoundsLike(_keyword_texts(themes), _single_characters(single)),
    )


def _single_characters(single) -> set[str]:
    """Return the one-part keywords that are one character long."""
    return {text for text in single if len(text) == 1}


def _keyword_texts(themes):
    """Yield every text of the themes' patterns, leaving out their vetoes."""
    for theme in themes:
        for rule in theme.rules:
            for part in rule.parts:
                yield from part.texts


def _vetoes(theme: Theme) -> tuple[frozenset[str], tuple[Rule, ...]]:
    """Return the texts of a theme's plain one-part vetoes, and its other vetoes."""
    plain = [rule for rule in theme.vetoes if _plain_text(rule)]
    texts = frozenset(text for rule in plain for text in rule.parts[0].texts)
    return texts, tuple(rule for rule in theme.vetoes if not _plain_text(rule))


def _plain_text(rule: Rule) -> bool:
    """Tell whether a pattern is one part, with no whole words and no veto."""
    return len(rule.parts) == 1 and not rule.parts[0].whole and not rule.unless


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


def _anchor(parts: tuple[Part, ...]) -> tuple[Part, tuple[Part, ...]]:
    """Split off the part least likely to be found, to look the pattern up by."""
    position = max(range(len(parts)), key=lambda i: _rarity(parts[i]))
    return parts[position], parts[:position] + parts[position + 1 :]


def _rarity(part: Part) -> tuple[int, int]:
    """Rank a part: longer shortest text first, then fewer alternatives."""
    return min(len(text) for text in part.texts), -len(part.texts)


def _automaton(texts) -> ahocorasick.Automaton:
    """Build an automaton that reports each of `texts` it finds."""
    automaton = ahocorasick.Automaton()
    for text in texts:
        automaton.add_word(text, text)
    automaton.make_automaton()
    return automaton
