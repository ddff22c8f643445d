"""Normalise children's typed answers and split them into separate wishes.

Children type on shared tablets with whatever input method is at hand: full-
and half-width characters mixed, traditional characters, pinyin for the
characters they cannot write yet, emoji, and long runs of one key. The
functions here turn all of that into one plain simplified form, so that the
tokenizer and the codebook see one spelling of each word.
"""

import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import opencc

log = logging.getLogger(__name__)

#: emoji that carry meaning in an answer, with the word a child would write
EMOJI_WORDS = {
    "害怕": "😨😱😰😧😦🙀",
    "难过": "😭😢😿😞😔☹🙁😟😥",
    "生气": "😡😠🤬💢",
    "开心": "😊😄😀😃🙂😁😆🥰😍🤗😺",
    "喜欢": "❤💕💖💗👍",
    "不好": "👎",
    "生病": "🤒🤢🤮😷🤧",
    "好累": "😫😩🥱😪",
    "汽车": "🚗🚙🚕🏎",
    "公交车": "🚌🚍",
    "自行车": "🚲",
    "电动车": "🛵",
    "红绿灯": "🚦🚥",
    "学校": "🏫",
    "书": "📚📖📕📗📘",
    "医院": "🏥",
    "打针": "💉",
    "药": "💊",
    "牙齿": "🦷",
    "树": "🌳🌲🌴",
    "花": "🌸🌹🌷🌻🌼",
    "垃圾": "🗑",
    "篮球": "🏀",
    "足球": "⚽",
    "游泳": "🏊",
    "游戏": "🎮🕹",
    "手机": "📱",
    "电脑": "💻",
    "台风": "🌀",
    "着火": "🔥",
}

#: faces typed with letters and symbols, after lower-casing
KAOMOJI_WORDS = {
    "t_t": "难过",
    "tat": "难过",
    "qaq": "难过",
    "qwq": "难过",
    ">_<": "难受",
    "orz": "无奈",
    "^_^": "开心",
    "^^": "开心",
    ":)": "开心",
    ":(": "难过",
    "xd": "哈哈",
}

_EMOJI_TABLE = {ord(ch): word for word, chars in EMOJI_WORDS.items() for ch in chars}
_EMOJI_CHARS = frozenset(map(chr, _EMOJI_TABLE))
_INVISIBLE = dict.fromkeys(map(ord, "\ufe0f\ufe0e\u200b\u200c\u200d\u200e\u200f"))
_INVISIBLE_CHARS = frozenset(map(chr, _INVISIBLE))
_TONES = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹ", "aaaaeeeeiiiioooouuuuvvvvvnnn")
_TONED = frozenset("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜǹńň")

_CJK = r"\u3400-\u9fff"
_KAOMOJI = re.compile(
    r"(?<![a-z0-9])(?:"
    + "|".join(re.escape(k) for k in sorted(KAOMOJI_WORDS, key=len, reverse=True))
    + r")(?![a-z0-9])"
)
_EMOJI_RUN = re.compile("([" + "".join(map(chr, _EMOJI_TABLE)) + r"])\1+")
_ELLIPSIS = re.compile(r"\.{2,}|…+|。{2,}")
_HALF_PUNCT = re.compile(rf"(?<=[{_CJK}])([,!?;:])|([,!?;:])(?=[{_CJK}])")
_FULL_PUNCT = {",": "，", "!": "！", "?": "？", ";": "；", ":": "："}
_STOP = re.compile(rf"(?<=[{_CJK}])\.(?!\d)")
_LETTERS = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹ"
_LATIN_RUN = re.compile(rf"[{_LETTERS}]+(?: [{_LETTERS}]+)+")
#: a character, or a unit of two or three, typed three times or more in a row
_REPEAT = re.compile(r"(\D{1,3}?)\1{2,}")
#: what every such repeat holds (a character seen again one, two or three
#: places on, twice), found much faster than the repeat itself
_MAY_REPEAT = re.compile(r"(.)(?:\1\1|.\1.\1|..\1..\1)", re.DOTALL)
#: text that needs nothing but conversion and shortened repeats
_PLAIN = re.compile(rf"[{_CJK}，。！？、；：“”‘’（）《》0-9 ]+")
_UNPLAIN = re.compile(r"^ | $|  |。。")

_INITIALS = "b p m f d t n l g k h j q x zh ch sh r z c s y w"
_FINALS = (
    "a o e i u v ai ei ao ou an en ang eng ong er ia ie iao iu ian in iang ing "
    "iong ua uo uai ui uan un uang ue ve"
)
#: pinyin syllables, spelt the way a child types them (y and w as initials,
#: v for ü); generous on purpose, since it only decides which runs to join
PINYIN_SYLLABLES = frozenset(
    i + f for i in ("", *_INITIALS.split(" ")) for f in _FINALS.split(" ")
)

_CIRCLED = re.compile("[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽❶❷❸❹❺❻❼❽❾❿➀➁➂➃➄➅➆➇➈➉]")
_ARABIC = re.compile(r"(?<![0-9０-９])[(（]?([0-9０-９]{1,2})[)）.．、](?![0-9０-９])")
_HANNUM = "一二三四五六七八九十"
_CHINESE = re.compile(rf"第?([{_HANNUM}])(?:是|点|条|[，,、:：])")
_BREAK = re.compile(r"[\r\n;；]+")
_EDGE = " \t,，。.;；:：、!！?？"


def _trad_chars() -> frozenset[str]:
    """Return the characters that make the t2s converter change a text."""
    folder = Path(opencc.__file__).resolve().parent / "dictionary"
    chars = set()
    try:
        for line in (folder / "TSCharacters.txt").read_text("utf-8").splitlines():
            key, value = line.split("\t", 1)
            if value.split(" ", 1)[0] != key:
                chars.add(key)
        for line in (folder / "TSPhrases.txt").read_text("utf-8").splitlines():
            key, value = line.split("\t", 1)
            if chars.isdisjoint(key):
                chars.update(k for k, v in zip(key, value, strict=False) if k != v)
    except OSError:
        log.warning("Converter dictionary not found; every text will be converted")
        return frozenset()
    return frozenset(c for c in chars if len(c) == 1)


@lru_cache(maxsize=1)
def _converter():
    """Build the converter, and the set of characters it changes, once."""
    return opencc.OpenCC("t2s"), _trad_chars()


def to_simplified(text: str) -> str:
    """Convert traditional characters in `text` to simplified ones."""
    converter, trad = _converter()
    if trad and trad.isdisjoint(text):
        return text
    return converter.convert(text)


def _join_pinyin(match: re.Match) -> str:
    """Join a run of pinyin syllables typed with spaces into one word."""
    run = match.group(0)
    words = run.translate(_TONES).split(" ")
    toned = not _TONED.isdisjoint(run)
    if all(w in PINYIN_SYLLABLES for w in words) and (toned or len(words) >= 3):
        return "".join(words)
    return " ".join(words)


def _punct(match: re.Match) -> str:
    """Return the full-width form of an ASCII punctuation mark."""
    mark = match.group(1) or match.group(2)
    return _FULL_PUNCT[mark]


@lru_cache(maxsize=8192)
def visible(text: str) -> str:
    """Return text without control characters (but tabs and line breaks) and
    invisible format characters: zero-width spaces, direction marks, BOMs.

    Kiosk answers are stored this way, and exports pass every cell through
    it, since Excel refuses control characters.
    """
    return "".join(
        char
        for char in text
        if char in "\t\n\r" or unicodedata.category(char) not in ("Cc", "Cf")
    )


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """Return `text` in one plain simplified form for tokenizing and matching."""
    if not text:
        return ""
    if _PLAIN.fullmatch(text) and not _UNPLAIN.search(text):
        return _shorten_repeats(to_simplified(text))
    return _normalise_mixed(text)


def _normalise_mixed(text: str) -> str:
    """Normalise text with anything beyond characters and Chinese punctuation."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if not _INVISIBLE_CHARS.isdisjoint(text):
        text = text.translate(_INVISIBLE)
    text = to_simplified(text)
    if not _EMOJI_CHARS.isdisjoint(text):
        text = _EMOJI_RUN.sub(r"\1", text).translate(_EMOJI_TABLE)
    text = text.lower()
    text = _KAOMOJI.sub(lambda m: KAOMOJI_WORDS[m.group(0)], text)
    text = _ELLIPSIS.sub("…", text)
    text = _HALF_PUNCT.sub(_punct, text)
    text = _STOP.sub("。", text)
    text = " ".join(text.split())
    text = _LATIN_RUN.sub(_join_pinyin, text)
    text = text.translate(_TONES)
    return _shorten_repeats(text)


def _shorten_repeats(text: str) -> str:
    """Cut a character, or a unit of two or three, typed three times or more
    in a row down to two: 好好好好 to 好好, 希望希望希望 to 希望希望."""
    if _MAY_REPEAT.search(text) is None:
        return text
    return _REPEAT.sub(r"\1\1", text)


def split_wishes(text: str) -> list[str]:
    """Split an answer into separate wishes: numbered items, lines, semicolons."""
    if not text or not text.strip():
        return []
    circled = _CIRCLED.search(text)
    if circled:
        text = _drop_header(_CIRCLED.sub("\n", text), circled.start())
    text = _cut_markers(text, _ARABIC, int, strict=True)
    text = _cut_markers(text, _CHINESE, _hannum, strict=False)
    pieces = (piece.strip(_EDGE) for piece in _BREAK.split(text))
    return [piece for piece in pieces if piece]


def _hannum(char: str) -> int:
    """Return the number a Chinese numeral character stands for."""
    return _HANNUM.index(char) + 1


def _cut_markers(text: str, pattern: re.Pattern, value, strict: bool) -> str:
    """Replace list markers numbered 1, 2, 3… in order by line breaks."""
    spans, expected = [], 1
    for match in pattern.finditer(text):
        if value(match.group(1)) != expected:
            continue
        if strict and expected == 1 and not _at_break(text, match.start()):
            continue
        spans.append(match.span())
        expected += 1
    if len(spans) < 2 and not (spans and spans[0][0] == 0):
        return text
    for start, end in reversed(spans):
        text = text[:start] + "\n" + text[end:]
    return _drop_header(text, spans[0][0])


def _drop_header(text: str, index: int) -> str:
    """Drop a short lead-in such as 建议： that stands before a list."""
    header = text[:index].strip(" \t")
    if header and (header[-1] in ":：" or len(header) <= 4):
        return text[index:]
    return text


def _at_break(text: str, index: int) -> bool:
    """Tell whether `index` starts the text, a line, or follows a colon or stop."""
    before = text[:index].rstrip(" \t")
    return not before or before[-1] in "\n:：。.!！?？;；,，"
