"""Check a keyword pattern staff type into the codebook editor before it is saved.

The codebook parser (analysis.codebook) reads whatever the file holds; the
editor also refuses patterns that would find a theme in nearly every answer or
in none: nothing left once normalised, only punctuation or symbols, an empty
side of `+`, `/` or `!`, or a lone function word from data/stopwords.txt.
"""

import unicodedata

from analysis.codebook import UNLESS, WHOLE
from analysis.text import normalise, visible
from analysis.tokenize import stopwords

VETO = "-"
#: Unicode categories of marks: punctuation, symbols, separators
MARKS = ("P", "S", "Z")


def problem(keyword: str) -> str | None:
    """Return what is wrong with a keyword pattern, in Chinese, or None."""
    shown = _shown(keyword or "")
    pattern = unicodedata.normalize("NFKC", keyword or "").strip().lstrip(VETO)
    if not _text(_unmarked(pattern)):
        return f"关键词“{shown}”去掉符号和看不见的字符后什么也不剩，请写要找的字词。"

    sides = pattern.split(UNLESS)
    if not all(_text(_unmarked(side)) for side in sides):
        return f"关键词“{shown}”里“!”的两边都要有字，例如 车+快!快递。"
    for side in sides:
        message = _side_problem(side, shown)
        if message:
            return message
    return None


def _side_problem(side: str, shown: str) -> str | None:
    """Return what is wrong with one side of `!`: its parts and their texts."""
    parts = side.split("+")
    texts = [
        _text(alt.strip().lstrip(WHOLE)) for part in parts for alt in part.split("/")
    ]
    if not all(texts):
        return f"关键词“{shown}”里“+”和“/”的两边都要有字，例如 车+快、爸爸/妈妈+陪。"

    for text in texts:
        if all(unicodedata.category(ch).startswith(MARKS) for ch in text):
            where = "" if text == shown else f"里的“{text}”"
            return f"关键词“{shown}”{where}只有标点或符号，找不出主题，请写字词。"
    for text in texts if len(parts) == 1 else ():
        if len(text) == 1 and text in stopwords():
            return (
                f"“{text}”是常用的虚词，单独一个字几乎每个回答里都有；请写成完整的"
                "词，或用“+”和别的词一起用（例如 作业+多）。"
            )
    return None


def _unmarked(chunk: str) -> str:
    """Return a chunk of a pattern without the marks + / ! and =."""
    return "".join(ch for ch in chunk if ch not in "+/!" + WHOLE)


def _text(chunk: str) -> str:
    """Return a chunk of a pattern as the matcher reads it, without invisibles."""
    return normalise(visible(chunk).strip()).strip()


def _shown(keyword: str) -> str:
    """Return a keyword with invisible characters written as their code points."""
    return "".join(
        ch if ch == " " or (visible(ch) and not ch.isspace()) else f"U+{ord(ch):04X}"
        for ch in keyword[:60]
    )
