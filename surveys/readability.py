"""Readability of a survey's wording for each age band.

Three checks, all advice for the author rather than hard rules:

- characters a band may not read yet: Han characters outside the most common
  1,600, 2,500, 3,000 or 3,500 of data/graded_chars.csv, the numbers the
  Chinese curriculum standards expect by the end of grades 2, 4, 6 and 9. The
  ranking is a frequency proxy for the curriculum lists (see
  data/graded_chars.py), so a flagged character is worth a look, not
  necessarily a change;
- sentences longer than a band reads comfortably (about 15, 25 and 35
  letters and digits for 6-8, 9-11 and 12-14; plain adult wording for 15-17),
  and prompts over the survey format's hard limits;
- negatives (不, 没) in the prompts of the two youngest bands.

Everything here is pure: text in, findings out.
"""

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from core import DATA_DIR
from surveys.models import BANDS
from surveys.templates import band_text, questions_for

GRADED_CHARS = DATA_DIR / "graded_chars.csv"


@dataclass(frozen=True)
class Level:
    """What one age band reads comfortably."""

    #: characters of the graded list the band is expected to recognise
    known: int
    #: the grade by whose end that many characters are expected
    grade: int
    #: a comfortable sentence, in letters and digits
    sentence: int
    #: the survey format's hard limit for a whole prompt
    prompt: int
    #: whether negatives in a prompt are flagged
    no_negatives: bool


LEVELS = {
    "6-8": Level(known=1600, grade=2, sentence=15, prompt=20, no_negatives=True),
    "9-11": Level(known=2500, grade=4, sentence=25, prompt=30, no_negatives=True),
    "12-14": Level(known=3000, grade=6, sentence=35, prompt=40, no_negatives=False),
    "15-17": Level(known=3500, grade=9, sentence=50, prompt=60, no_negatives=False),
}

SENTENCE_END = re.compile(r"[。！？!?；;…\n]+")
NEGATIVES = ("不", "没")
#: words with 不 or 没 that read as positive or neutral to a child
NOT_NEGATIVE = frozenset({"不错", "不少", "不过", "不同", "不久", "没错"})


@dataclass(frozen=True)
class Finding:
    """One piece of advice about the wording a band sees."""

    band: str
    #: the question key, or None for the start screen
    question: str | None
    #: prompt, note, option or intro
    field: str
    #: rare_chars, long_sentence, long_prompt or negative
    kind: str
    message: str

    @property
    def where(self):
        """Return where the finding is, for a listing."""
        place = {"prompt": "题目", "note": "说明", "option": "选项", "intro": "开场白"}
        if self.question is None:
            return place[self.field]
        return f"{self.question} {place[self.field]}"


@lru_cache(maxsize=1)
def graded_ranks():
    """Return each graded character's rank, 1 for the most common."""
    with open(GRADED_CHARS, encoding="utf-8", newline="") as handle:
        return {row["char"]: int(row["rank"]) for row in csv.DictReader(handle)}


def is_han(char):
    """Return whether char is a Chinese character."""
    return "\u3400" <= char <= "\u9fff" or "\U00020000" <= char <= "\U0003134f"


def rare_chars(text, known):
    """Return the Han characters of text beyond the first `known`, in order."""
    ranks = graded_ranks()
    found = []
    for char in text or "":
        if is_han(char) and ranks.get(char, known + 1) > known and char not in found:
            found.append(char)
    return found


def visible_length(text):
    """Count letters and digits, leaving out punctuation, spaces and emoji."""
    return sum(1 for char in text or "" if unicodedata.category(char)[0] in "LN")


def sentences(text):
    """Split text into sentences at full stops, question marks and line ends."""
    return [part.strip() for part in SENTENCE_END.split(text or "") if part.strip()]


def negatives(text):
    """Return the negative words (不…, 没…) of text, in order."""
    found = []
    for index, char in enumerate(text or ""):
        if char not in NEGATIVES:
            continue
        word = text[index : index + 2]
        if word not in NOT_NEGATIVE and word not in found:
            found.append(word)
    return found


def check_text(text, band, field, question=None):
    """Return the findings for one piece of wording a band sees."""
    level = LEVELS[band]
    findings = []

    def add(kind, message):
        """Record one finding about text."""
        findings.append(Finding(band, question, field, kind, message))

    rare = rare_chars(text, level.known)
    if rare:
        shown = "".join(f"“{char}”" for char in rare)
        add(
            "rare_chars",
            f"{shown}不在最常用的 {level.known} 个字里（课程标准要求"
            f"{level.grade} 年级末认识约 {level.known} 字），{band} 岁可能不认识",
        )
    if field in ("prompt", "note", "intro"):
        for sentence in sentences(text):
            length = visible_length(sentence)
            if length > level.sentence:
                add(
                    "long_sentence",
                    f"“{sentence}”有 {length} 个字，{band} 岁建议每句不超过"
                    f" {level.sentence} 个字",
                )
    if field == "prompt":
        findings.extend(_prompt_rules(text, band, level, question))
    return findings


def _prompt_rules(text, band, level, question):
    """Return the whole-prompt findings: the hard length limit and negatives."""
    findings = []
    length = visible_length(text)
    if length > level.prompt:
        findings.append(
            Finding(
                band,
                question,
                "prompt",
                "long_prompt",
                f"题目共 {length} 个字，{band} 岁最多 {level.prompt} 个字",
            )
        )
    words = negatives(text) if level.no_negatives else []
    if words:
        shown = "、".join(f"“{word}”" for word in words)
        findings.append(
            Finding(
                band,
                question,
                "prompt",
                "negative",
                f"含否定说法{shown}，{band} 岁的题目最好换成正面的问法",
            )
        )
    return findings


def band_findings(spec, band):
    """Return the findings for everything band sees of a survey, in order."""
    findings = check_text(band_text(spec.get("intro"), band) or "", band, "intro")
    for question in questions_for(spec, band):
        key = question["key"]
        findings += check_text(question["prompt"], band, "prompt", key)
        if question.get("note"):
            findings += check_text(question["note"], band, "note", key)
        labels = "、".join(option.get("label", "") for option in question["options"])
        findings += check_text(labels, band, "option", key)
    return findings


def survey_findings(spec):
    """Return the findings for every band a survey has wording for."""
    return {band: band_findings(spec, band) for band in BANDS}
