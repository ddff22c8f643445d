"""Check a keyword pattern staff type into the codebook editor before it is saved.

The codebook parser (analysis.codebook) reads whatever the file holds; the
editor also refuses patterns that would find a theme in nearly every answer or
in none: nothing left once normalised, only punctuation or symbols, an empty
side of `+`, `/` or `!`, or parts that every answer has: function words from
data/stopwords.txt and lone Latin letters or digits. A `-` veto that matches one
of its row's own one-part keywords is refused too: it would silence the theme.
"""

import unicodedata

from analysis.classify import matches
from analysis.codebook import UNLESS, WHOLE, parse_pattern
from analysis.text import normalise, visible
from analysis.tokenize import stopwords

VETO = "-"
#: Unicode categories of marks: punctuation, symbols, separators
MARKS = ("P", "S", "Z")
#: what a pattern of common words only does, by where it stands
FINDS_NOTHING = "找不出主题；请至少用一个有内容的词，例如 作业+多"
WHOLE_ROW = "整个主题就几乎什么也找不到了；请写要排除的词，例如 -垃圾食品"
OWN_VETO = "这个关键词就几乎什么也找不到了；请写要排除的词，例如 车+快!快递"


def problem(keyword: str) -> str | None:
    """Return what is wrong with a keyword pattern, in Chinese, or None."""
    shown = _shown(keyword or "")
    folded = unicodedata.normalize("NFKC", keyword or "").strip()
    pattern = folded.lstrip(VETO)
    if not _text(_unmarked(pattern)):
        return f"关键词“{shown}”去掉符号和看不见的字符后什么也不剩，请写要找的字词。"

    main, *vetoes = pattern.split(UNLESS)
    if not all(_text(_unmarked(side)) for side in (main, *vetoes)):
        return f"关键词“{shown}”里“!”的两边都要有字，例如 车+快!快递。"
    for side in (main, *vetoes):
        message = _shape_problem(_parts(side), shown)
        if message:
            return message

    parts = _parts(main)
    message = _one_part_problem(parts[0], shown) if len(parts) == 1 else None
    effect = WHOLE_ROW if folded.startswith(VETO) else FINDS_NOTHING
    message = message or _common_problem(parts, shown, "的每一部分", effect)
    for veto in vetoes:
        message = message or _common_problem(
            _parts(veto), shown, "里“!”后面的部分", OWN_VETO
        )
    return message


def silencing(theme: str, new: list[str], keywords: list[str]) -> str | None:
    """Return why a row's `-` veto would silence one of its own one-part keywords.

    Only pairs with one of the `new` keywords are checked, so a row saved
    before this check can still be given other keywords.
    """
    folded = {word: unicodedata.normalize("NFKC", word).strip() for word in keywords}
    vetoes = [word for word in keywords if folded[word].startswith(VETO)]
    singles = [word for word in keywords if word not in vetoes]
    for veto in vetoes:
        rule = parse_pattern(folded[veto].lstrip(VETO))
        for word in singles:
            own = parse_pattern(folded[word])
            if len(own.parts) > 1 or not {veto, word} & set(new):
                continue
            text = next((t for t in own.parts[0].texts if matches(rule, t)), None)
            if text:
                return (
                    f"整行否定词“{veto}”会让主题 {theme} 失效：回答里有主题自己的"
                    f"关键词“{text}”时，这个否定词也在，整个主题就不算了。请把否定词"
                    "写得更具体（例如 -垃圾食品），或只给一个关键词加它自己的否定"
                    "（例如 滑梯!滑梯坏了）。"
                )
    return None


def _parts(side: str) -> list[list[str]]:
    """Return the texts of each `+` part of a side of `!`, read as the matcher does."""
    return [
        [_text(alt.strip().lstrip(WHOLE)) for alt in part.split("/")]
        for part in side.split("+")
    ]


def _shape_problem(parts: list[list[str]], shown: str) -> str | None:
    """Return what is wrong with the texts of one side of `!`: empty or marks only."""
    texts = [text for part in parts for text in part]
    if not all(texts):
        return f"关键词“{shown}”里“+”和“/”的两边都要有字，例如 车+快、爸爸/妈妈+陪。"

    for text in texts:
        if all(unicodedata.category(ch).startswith(MARKS) for ch in text):
            where = "" if text == shown else f"里的“{text}”"
            return f"关键词“{shown}”{where}只有标点或符号，找不出主题，请写字词。"
    return None


def _one_part_problem(texts: list[str], shown: str) -> str | None:
    """Return why a one-part pattern would be in nearly every answer, or None."""
    for text in texts:
        if text in stopwords():
            alone = "单独一个字" if len(text) == 1 else "单独用"
            return (
                f"“{text}”是常用的虚词，{alone}几乎每个回答里都有；请写成完整的"
                "词，或用“+”和别的词一起用（例如 作业+多）。"
            )
        if _letter_or_digit(text):
            where = "" if text == shown else f"里的“{text}”"
            return (
                f"关键词“{shown}”{where}只是一个字母或数字，拼音、英文和数字里到处"
                "都有，找不出主题；请写成完整的词。"
            )
    return None


def _common_problem(parts, shown: str, which: str, effect: str) -> str | None:
    """Return why the parts of a side would be in nearly every answer, or None.

    A part is met by any of its texts, so a part with one common text is met
    nearly always, and a side made of such parts only is too.
    """
    common = [next((text for text in part if _common(text)), None) for part in parts]
    if not all(common):
        return None
    listed = "、".join(f"“{text}”" for text in dict.fromkeys(common))
    return (
        f"关键词“{shown}”{which}都只是常用的虚词、单个字母或数字（{listed}），"
        f"几乎每个回答里都有，{effect}。"
    )


def _common(text: str) -> bool:
    """Tell whether a text is in nearly every answer: a function word, a lone letter."""
    return text in stopwords() or _letter_or_digit(text)


def _letter_or_digit(text: str) -> bool:
    """Tell whether a normalised text is one Latin letter or one digit."""
    return len(text) == 1 and text.isascii() and text.isalnum()


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
