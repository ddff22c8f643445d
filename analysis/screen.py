"""Screen children's open answers: mask personal details, flag possible harm.

Both checks are pure functions over text. Personal details are found on a
lightly normalised form (NFKC, simplified characters) so that no number is
shortened before it is masked; the masked text is then normalised fully, and
harm is looked for in that masked text, so a flag's evidence never carries a
name, a school or a number. Word lists live in `data/pii_words.csv` and the
harm lexicon in `data/safeguarding.csv`, where staff can read and extend them;
`docs/screening.md` explains both.
"""

import csv
import itertools
import logging
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

from analysis.hearing import Ear, Heard
from analysis.text import PINYIN_SYLLABLES, normalise, to_simplified

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: the placeholder that replaces each kind of personal detail
PLACEHOLDERS = {
    "name": "[名字]",
    "teacher": "[老师]",
    "phone": "[电话]",
    "id_number": "[身份证号]",
    "account": "[账号]",
    "email": "[邮箱]",
    "school": "[学校]",
    "class": "[班级]",
    "address": "[地址]",
}
#: the kinds of harm a flag can name
CATEGORIES = ("abuse", "self_harm", "bullying", "neglect")

_HAN = "\u4e00-\u9fff"
_FILL = "\x00"
_BREAKS = "。！？!?；;\n"
_GAP = "[^。！？!?；;，,、\n]{0,8}"
_GROUP = re.compile(r"\{([a-z_]+)\}")
_LATIN_LETTER = re.compile("[a-z]")
_CHINESE = re.compile(r"[\u3400-\u9fff]")
_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
_LETTER_IN_PATTERN = re.compile(r"(?<!\\)[a-z]")
_SPACED = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


@dataclass(frozen=True)
class Masked:
    """An answer with its personal details replaced by placeholders."""

    text: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Flag:
    """A possible disclosure of harm, for the designated safeguarding person.

    `about` is "self" when the child seems to speak of itself and "others"
    when it reports harm to someone else (a classmate, a story on television):
    both are flagged, the second at a lower priority.
    """

    category: str
    evidence: str
    about: str = "self"


@dataclass(frozen=True)
class Screened:
    """An answer masked and screened in one pass."""

    masked: str
    pii_kinds: tuple[str, ...]
    flags: tuple[Flag, ...]


class _Span(NamedTuple):
    start: int
    end: int
    kind: str


def mask_personal(text: str) -> Masked:
    """Replace names, numbers, schools, classes and addresses by placeholders."""
    masked, kinds = _mask(text)
    return Masked(masked, kinds)


def screen_harm(text: str) -> tuple[Flag, ...]:
    """Flag sentences that may disclose abuse, self-harm, bullying or neglect."""
    return _flags(_mask(text)[0])


def screen(text: str) -> Screened:
    """Mask personal details and flag possible harm in one pass."""
    masked, kinds = _mask(text)
    return Screened(masked, kinds, _flags(masked))


# Personal details ------------------------------------------------------------


def _mask(text: str) -> tuple[str, tuple[str, ...]]:
    """Return the masked, normalised text and the kinds of detail found."""
    light = _light(text or "")
    spans = _personal_spans(light)
    kinds = {span.kind for span in spans}
    masked = normalise(_apply(light, spans))
    return masked, tuple(kind for kind in PLACEHOLDERS if kind in kinds)


def _light(text: str) -> str:
    """Return NFKC, simplified text without invisible format characters."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return to_simplified(text)


def _apply(text: str, spans: list[_Span]) -> str:
    """Replace each span of `text` by its placeholder."""
    parts, last = [], 0
    for span in sorted(spans):
        parts += [text[last : span.start], PLACEHOLDERS[span.kind]]
        last = span.end
    return "".join(parts) + text[last:]


def _personal_spans(text: str) -> list[_Span]:
    """Find personal details, each finder seeing the text left by the ones before."""
    work, spans = text, []
    for finder in _FINDERS:
        for span in finder(work):
            if _FILL in work[span.start : span.end] or span.start >= span.end:
                continue
            work = (
                work[: span.start] + _FILL * (span.end - span.start) + work[span.end :]
            )
            spans.append(span)
    return spans + _repeated_names(work, text, spans)


def _repeated_names(work: str, text: str, spans: list[_Span]) -> list[_Span]:
    """Mask later mentions of a name that the child introduced once."""
    names = {
        _NAME_MARKS.sub("", text[s.start : s.end]): s.kind
        for s in spans
        if s.kind == "name"
    }
    found = []
    for name, kind in names.items():
        if len(name) < 2:
            continue
        for match in re.finditer(re.escape(name), work):
            found.append(_Span(match.start(), match.end(), kind))
    return found


@cache
def _words() -> dict[str, tuple[str, ...]]:
    """Load the word lists of data/pii_words.csv, longest words first."""
    lists = defaultdict(list)
    with (DATA_DIR / "pii_words.csv").open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            lists[row["list"]].append(row["word"])
    log.info("Loaded %s personal-detail word lists", len(lists))
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in lists.items()}


def _word(name: str) -> tuple[str, ...]:
    """Return one word list by name."""
    return _words()[name]


def _alternation(name: str) -> str:
    """Return a regular expression matching any word of a list."""
    return "|".join(map(re.escape, _word(name)))


def _regex_finder(kind: str, pattern: str, group: str | int = 0):
    """Build a finder that masks one group of each match of `pattern`."""
    compiled = re.compile(pattern)

    def find(text: str) -> list[_Span]:
        return [
            _Span(m.start(group), m.end(group), kind)
            for m in compiled.finditer(text)
            if m.group(group)
        ]

    return find


_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
#: "at" and "dot" spelt out or bracketed: abc(at)qq.com, abc at qq dot com
_AT = r"(?:\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+|\s*(?:@|#|艾特)\s*)"
_DOT = r"(?:\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+|\s*(?:\.|点)\s*)"
_SPELT_EMAIL = (
    rf"(?i)(?<![a-z0-9._%+-])[a-z0-9._%+-]+{_AT}[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)*?"
    rf"{_DOT}(?:com|cn|net|org|edu|gov|io|me|cc|co|top|vip|info|hk|tw|uk|us)"
    r"(?![a-z0-9])"
)
_ACCOUNT = (
    r"(?<![A-Za-z])(?i:qq|扣扣|企鹅号|微信|wechat|weixin|vx|wx|v信|抖音|快手|微博"
    r"|b站|小红书)\s*(?:号码|号|账号|帐号|id)?\s*(?:是|为|:|：|=)?\s*"
    r"(?P<id>[A-Za-z0-9][A-Za-z0-9_-]{4,19})(?![A-Za-z0-9_-])"
)
_ID_NUMBER = r"(?<![0-9A-Za-z])\d{6}\s?\d{4}\s?\d{4}\s?\d{3}[\dXx](?![0-9A-Za-z])"
#: digits as a child may type them: Arabic, Chinese (一三八, 幺 for one, 〇 and
#: ○ for zero) or capital (壹叁捌), mixed freely within one number
_DIGITS = "零〇○幺一二三四五六七八九壹贰叁参肆伍陆柒捌玖"
_DIGIT_VALUES = str.maketrans(_DIGITS, "00011234567891233456789")
_SEPARATORS = "-./_·—–"
#: seven or more digits, at most one separator (space, - . / _ · dash, with
#: spaces around it) between two of them, after an optional + or (0577)
_NUMBER_RUN = re.compile(
    rf"(?:\+ ?)?(?:\(0\d{{2,3}}\)[ -]?)?[0-9{_DIGITS}]"
    rf"(?:(?: {{0,2}}[{_SEPARATORS}] {{0,2}}| {{1,2}})?[0-9{_DIGITS}]){{6,}}"
)
_NON_DIGIT = re.compile(r"[^0-9]+")
#: the digits of a mobile (86 in front or not) or of a landline with its area code
_DIALLED = re.compile(r"(?:0?86)?1[3-9]\d{9}|0\d{2,3}[2-9]\d{6,7}")
_NUM_CN = "零〇一二两三四五六七八九十百"
_NUMC = r"(?:[一二三四五六七八九十]{1,2}|\d{1,2})"
_CLASS = (
    rf"{_NUMC}\s*年级\s*(?:\(\s*{_NUMC}\s*\)|{_NUMC})\s*班"
    rf"|(?:初|高)中?\s*(?:[一二三]|[1-3])\s*(?:年级)?\s*(?:\(\s*{_NUMC}\s*\)|{_NUMC})\s*班"
    rf"|(?:[一二三四五六七八九]|[1-9])\s*\(\s*{_NUMC}\s*\)\s*班"
    r"|(?<!\d)\d{3,4}\s*班"
    r"|(?<![上加下值早晚夜领跟每这那后末头])(?:[一二三四五六七八九十]{1,2}|\d{1,2})\s*班"
    r"(?![车机次长人底子干委级])"
)
_UNIT = r"(?:号楼|号院|号|幢|栋|单元|室|楼|层|弄|巷)"
_ADDRESS_TAIL = (
    rf"(?:(?:\d+|[{_NUM_CN}]+)\s*{_UNIT}\s*-?\s*)+"
    r"(?:\d+(?:\s*-\s*\d+)*(?![年级班岁个人]))?"
)
_BUILDING = r"(?<!\d)\d+\s*(?:幢|栋|号楼)\s*(?:\d+\s*单元\s*)?(?:\d+\s*(?:室|号|楼)?)?"
_ROOM = r"(?<!\d)\d+(?:\s*-\s*\d+)?\s*室"
_DOOR_PLATE = (
    r"门牌(?:号码|号)?\s*(?:是|为|:|：)?\s*"
    r"(?P<v>[^\s,.!?;，。！？；]{0,10}?\d[\d\-号]*)"
)
_NUMBERED_SCHOOL = re.compile(
    rf"[一二三四五六七八九十]{{1,2}}[小中]"
    rf"(?=$|[^{_HAN}]|[的读上念在是和有里门前对旁附校])"
)
_PARTICLES = "着了过的地得们"
_SCHOOL_VERBS = ("考上", "考进", "来自", "在", "读", "上", "念", "去", "到", "是", "离")


def _phones(text: str) -> list[_Span]:
    """Find phone numbers however they are grouped and whatever digits they use."""
    return [
        _Span(match.start(), match.end(), "phone")
        for match in _NUMBER_RUN.finditer(text)
        if _is_phone(match.group())
    ]


def _is_phone(run: str) -> bool:
    """Tell a phone number from a date, a year range, a decimal or a few scores."""
    groups = _NON_DIGIT.split(run.translate(_DIGIT_VALUES).strip("+() "))
    if _DIALLED.fullmatch("".join(groups)):
        return True
    while len(groups) >= 3 and _is_date(*groups[:3]):
        groups = groups[3:]
    if len("".join(groups)) < 7:
        return False
    if len(groups) == 2 and all(_is_year(group) for group in groups):
        return False  # 2023-2024
    dotted = any(mark in run for mark in "./")
    if dotted and len(groups) == 2 and len(groups[0]) <= 3 and "/" not in run:
        return False  # 3.1415926
    if any(len(group) >= 7 for group in groups):
        return True
    if dotted:
        return all(len(group) >= 3 for group in groups)  # 138.1234.5678
    return len(groups) < 3 or not all(2 <= len(group) <= 3 for group in groups)


def _is_year(group: str) -> bool:
    """Tell whether a group of digits reads as a year: 1990, 2024."""
    return len(group) == 4 and group[:2] in ("19", "20")


def _is_date(first: str, second: str, third: str) -> bool:
    """Tell whether three groups of digits are a date: 2024-05-06, 6/5/2024."""
    if _is_year(first):
        day_month = (second, third)
    elif _is_year(third):
        day_month = (first, second)
    else:
        return False
    if any(len(part) > 2 for part in day_month):
        return False
    small, large = sorted(int(part) for part in day_month)
    return 1 <= small <= 12 and 1 <= large <= 31


def _run_left(text: str, end: int, limit: int) -> int:
    """Return where the run of Chinese characters ending at `end` starts."""
    start = end
    while start > 0 and end - start < limit and "\u4e00" <= text[start - 1] <= "\u9fff":
        start -= 1
    return start


def _proper_start(
    text: str, end: int, limit: int, roads: bool = False
) -> tuple[int, bool]:
    """Return where a proper name ending at `end` starts and whether it is bounded.

    Reading leftwards, the name stops at a non-Chinese character, at the limit,
    or just after the last boundary word (感谢, 我们, 的 …) in that stretch.
    With `roads`, a boundary word just before a road word is read as part of
    the road's name (建设路小学, 和平路8号).
    """
    start = _run_left(text, end, limit)
    run = text[start:end]
    cut = max(
        (
            _boundary_end(text, start, end, w, roads)
            for w in _word("left_boundary")
            if w in run
        ),
        default=0,
    )
    bounded = cut > 0 or start == 0 or not ("\u4e00" <= text[start - 1] <= "\u9fff")
    return start + cut, bounded


def _boundary_end(text: str, start: int, end: int, word: str, roads: bool) -> int:
    """Return where the last `word` in text[start:end] ends, counted from `start`.

    With `roads`, an occurrence at most one character before a road word is
    part of the road's name (建设路, 和平路) and does not count.
    """
    index = text.rfind(word, start, end)
    while index >= 0:
        after = index + len(word)
        if not (roads and _names_road(text, after)):
            return after - start
        index = text.rfind(word, start, after - 1)
    return 0


def _names_road(text: str, index: int) -> bool:
    """Tell whether a road word starts at `index` or one character after it."""
    marks = _word("road_marker")
    return text.startswith(marks, index) or text.startswith(marks, index + 1)


def _is_generic(word: str, listname: str = "not_name") -> bool:
    """Tell whether `word` is a generic word from a list, or ends with one."""
    return any(word == w or (len(w) > 1 and word.endswith(w)) for w in _word(listname))


def _schools(text: str) -> list[_Span]:
    """Find named schools: 城南小学, 乐成第一小学, 实验二小, 育英实验学校."""
    spans = []
    for match in _school_re().finditer(text):
        start, _ = _proper_start(text, match.start(), 10, roads=True)
        prefix = text[start : match.start()]
        if match.group() in _word("school_name") or _proper_place(prefix, "not_school"):
            spans.append(_Span(start, match.end(), "school"))
    for match in _NUMBERED_SCHOOL.finditer(text):
        start, _ = _proper_start(text, match.start(), 8)
        prefix = text[start : match.start()]
        if _proper_place(prefix, "not_school") or text[: match.start()].endswith(
            _SCHOOL_VERBS
        ):
            spans.append(_Span(start, match.end(), "school"))
    return spans


@cache
def _school_re() -> re.Pattern:
    """Compile the school words, refusing 小学生 and the like."""
    words = _alternation("school_name") + "|" + _alternation("school_suffix")
    return re.compile(rf"(?:{words})(?!生)")


@cache
def _place_re() -> re.Pattern:
    """Compile the place words: 路, 村, 小区 …"""
    return re.compile(_alternation("place_marker"))


@cache
def _numbered_place_re() -> re.Pattern:
    """Compile a place word followed by house, building or room numbers."""
    return re.compile(rf"(?:{_alternation('place_marker')})\s*{_ADDRESS_TAIL}")


@cache
def _title_re() -> re.Pattern:
    """Compile the titles that follow a name: 老师, 校长 … and 同学."""
    return re.compile(rf"(?:{_alternation('role')})|(?P<pupil>同学)")


def _proper_place(prefix: str, generic: str) -> bool:
    """Tell whether `prefix` can be the proper name of a school or place."""
    return len(prefix) >= 2 and not _is_generic(prefix, generic)


def _addresses(text: str) -> list[_Span]:
    """Find home addresses: numbered roads, estates, villages and door plates."""
    spans = []
    for match in _numbered_place_re().finditer(text):
        start, _ = _proper_start(text, match.start(), 8, roads=True)
        spans.append(_Span(start, match.end(), "address"))
    for pattern in (_BUILDING, _ROOM):
        spans += _regex_finder("address", pattern)(text)
    spans += _regex_finder("address", _DOOR_PLATE, "v")(text)
    return spans + _named_places(text)


def _named_places(text: str) -> list[_Span]:
    """Find named estates anywhere and named roads or villages after 住在."""
    spans = []
    for match in _place_re().finditer(text):
        start, _ = _proper_start(text, match.start(), 8, roads=True)
        if not text[:start].endswith(_word("home_context")):
            start, _ = _proper_start(text, match.start(), 8)
        if not _proper_place(text[start : match.start()], "not_school"):
            continue
        before = text[max(0, start - 5) : start]
        home = match.group() in _word("home_place")
        if home or any(w in before for w in _word("home_context")):
            spans.append(_Span(start, match.end(), "address"))
    return spans


def _names(text: str) -> list[_Span]:
    """Find names introduced by context: 我叫…, 我同学…, 王老师, 老师姓陈."""
    return (
        _introduced(text)
        + _kin_names(text)
        + _surnames(text)
        + _described(text)
        + _companions(text)
        + _classmates(text)
        + _titled(text)
    )


_INTRO = re.compile(
    r"(?:我|他|她)(?:的名字|的全名)?(?:叫做|名叫|叫)"
    r"|(?:名字|姓名|全名)\s*(?:叫做|叫|是|为|[:：])"
    r"|(?:同学|同桌|朋友|哥哥|姐姐|弟弟|妹妹|表哥|表姐|表弟|表妹|堂哥|堂姐|邻居"
    r"|闺蜜)(?:的名字)?(?:叫做|名叫|叫)"
    r"|(?P<teacher>老师|校长|园长|教练|班主任)(?:的名字)?(?:叫做|名叫|叫)"
)
#: what may stand between 我叫 and the name: spaces, a colon, an opening quote
#: a relative's name: 我妈妈叫陈美丽, 爸爸名叫王强; plain 叫 also means "call"
#: after a relative (妈妈叫快递), so there the name must end the clause
_KIN_INTRO = re.compile(
    r"(?:爸爸|妈妈|爸|妈|父亲|母亲|爷爷|奶奶|外公|外婆|姥姥|姥爷|叔叔|阿姨|舅舅|舅妈"
    r"|姑姑|姑父|伯伯|伯母|婶婶)(?:(?P<strong>叫做|名叫)|叫)"
)
#: what may follow a relative's name after plain 叫: the end of the clause
_AFTER_KIN_NAME = ("是", "今年", "我", "他", "她", "在", "也")
_NAME_SEPARATOR = re.compile(r"\s*(?:[:：]\s*)?(?:[\"'“‘「『《<(]\s*)?")
_DASHES = "\\-‐‑–—·・‧•_"
#: what may stand inside a typed name: one space or two, or a dash or a dot
_NAME_SPACE = re.compile(rf" {{1,2}}(?! )| ?[{_DASHES}] ?")
_NAME_MARKS = re.compile(rf"[\s{_DASHES}]")
_SURNAME_INTRO = re.compile(
    r"(?P<teacher>老师|校长|园长|教练|班主任)?(?:我|他|她|同学|同桌|朋友)?姓"
)
_DESCRIBED = re.compile(r"(?<![骂说叫笑当把])我是")
_DESCRIPTION = re.compile(r"[^，。！？,.!?;；\s]{1,12}?的")
#: 我们班的, 班上有个 or a leading 同学 before a classmate's name: a name
#: there is masked only when a deed follows (我们班的张三老是欺负人), since
#: things stand there too (我们班的黑板很脏)
_CLASSMATE = re.compile(rf"班(?:上|里)?(?:的|有个)|(?P<lead>同学)(?=[{_HAN}])")
_CLAUSE_BREAKS = "，。！？,.!?；;"
_COMPANION = re.compile(
    r"(?<=[我的个位和跟与])(?:同学|同桌|好朋友|朋友|闺蜜|好友|室友)(?=[\u4e00-\u9fff])"
)


def _introduced(text: str) -> list[_Span]:
    """Mask the name after 我叫, 我的名字是, 同桌叫, 老师叫."""
    spans = []
    for match in _INTRO.finditer(text):
        kind = "teacher" if match.group("teacher") else "name"
        separator = _NAME_SEPARATOR.match(text, match.end())
        end = _name_after(text, separator.end(), strong=True)
        if end:
            # the placeholder takes the spaces before the name, not a colon
            start = separator.end()
            while start > match.end() and text[start - 1] == " ":
                start -= 1
            spans.append(_Span(start, end, kind))
    return spans


def _kin_names(text: str) -> list[_Span]:
    """Mask a relative's name: 我妈妈叫陈美丽, 爸爸名叫王强."""
    spans = []
    for match in _KIN_INTRO.finditer(text):
        start = _NAME_SEPARATOR.match(text, match.end()).end()
        end = _name_after(text, start, strong=True)
        if not end:
            continue
        if match.group("strong") or _ends_clause(text, end):
            spans.append(_Span(start, end, "name"))
    return spans


def _ends_clause(text: str, index: int) -> bool:
    """Tell whether a clause ends at `index`, or a new subject or 是 starts there."""
    if index == len(text) or not _is_han(text[index]):
        return True
    return text.startswith(_AFTER_KIN_NAME, index)


def _surnames(text: str) -> list[_Span]:
    """Mask the surname after 老师姓 or 我姓."""
    spans = []
    for match in _SURNAME_INTRO.finditer(text):
        start = match.end()
        if text[start : start + 1] == "名":
            continue
        if match.end() - match.start() == 1 and not _after_person(text, match.start()):
            continue
        size = 2 if text[start : start + 2] in _word("compound_surname") else 1
        surname = text[start : start + size]
        if len(surname) == size and _starts_name(surname, strong=False):
            kind = "teacher" if match.group("teacher") else "name"
            spans.append(_Span(start, start + size, kind))
    return spans


def _after_person(text: str, index: int) -> bool:
    """Tell whether 姓 at `index` follows a word for a person."""
    return text[:index].endswith(("老师", "校长", "园长", "教练", "我", "他", "她"))


def _described(text: str) -> list[_Span]:
    """Mask the name in 我是李华 or 我是三年级的李华."""
    spans = []
    for match in _DESCRIBED.finditer(text):
        start = match.end()
        description = _DESCRIPTION.match(text, start)
        if description and re.search(
            rf"年级|班|岁|学|初|高|{_FILL}", description.group()
        ):
            start = description.end()
        end = _name_after(text, start, strong=False)
        if end:
            spans.append(_Span(start, end, "name"))
    return spans


def _companions(text: str) -> list[_Span]:
    """Mask the name in 我同学张三 or 我的同桌李华."""
    spans = []
    for match in _COMPANION.finditer(text):
        end = _name_after(text, match.end(), strong=False)
        if end:
            spans.append(_Span(match.end(), end, "name"))
    return spans


def _classmates(text: str) -> list[_Span]:
    """Mask the name in 我们班的张三老是欺负人 or 同学李四打我."""
    spans = []
    for match in _CLASSMATE.finditer(text):
        if match.group("lead") and not _opens_clause(text, match.start()):
            continue
        end = _name_after(text, match.end(), strong=False)
        if end and _deed_re().match(text, end):
            spans.append(_Span(match.end(), end, "name"))
    return spans


def _opens_clause(text: str, index: int) -> bool:
    """Tell whether a clause starts at `index`: at the start or after a break."""
    return index == 0 or text[index - 1] in _CLAUSE_BREAKS or text[index - 1].isspace()


@cache
def _deed_re() -> re.Pattern:
    """Compile what only a person does after a name: 老是欺负, 打我, 骂人."""
    adverbs, deeds = _alternation("deed_adverb"), _alternation("deed")
    return re.compile(rf"(?:{adverbs})?(?:{deeds})")


def _titled(text: str) -> list[_Span]:
    """Mask the name before a title: 王老师, 李娜老师, 李华同学."""
    spans = []
    for match in _title_re().finditer(text):
        pupil = bool(match.group("pupil"))
        start, bounded = _proper_start(text, match.start(), 6)
        name = text[start : match.start()]
        longest = 4 if name[:2] in _word("compound_surname") else 3
        if not bounded or len(name) > longest:
            name = name[-3:] if pupil else name[-1:]
        if not name or _is_generic(name) or name[0] in _word("not_name_start"):
            continue
        start = match.start() - len(name)
        end = match.start() if pupil else match.end()
        spans.append(_Span(start, end, "name" if pupil else "teacher"))
    return spans


def _name_after(text: str, start: int, strong: bool) -> int:
    """Return where a name starting at `start` ends, or 0 if none starts there.

    A strong context (我叫) takes up to three characters; a weak one (我是,
    我同学) needs the name to end at a boundary word or punctuation.
    """
    run, ends = _name_run(text, start, strong)
    if not run or not _starts_name(run, strong):
        return 0
    longest = 4 if run[:2] in _word("compound_surname") else 3
    cut = _right_cut(run, longest)
    if cut is None and len(run) > longest:
        if not strong:
            return 0
        cut = longest
    name = run[: cut or len(run)]
    if len(name) < 2 or _is_generic(name) or name.endswith("人"):
        return 0
    if name[1] in _PARTICLES:
        return 0
    return ends[len(name) - 1]


def _name_run(text: str, start: int, strong: bool) -> tuple[str, list[int]]:
    """Return up to six Chinese characters from `start` and where each one ends.

    After a strong context a name typed with spaces or a dash is read as one
    (王 小明, 王小 明, 王 小 明, 欧阳 娜娜, 王-小明): a space or dash is passed
    over when the characters on both sides together are no longer than a name
    and the word after it is not a right boundary (我叫小明 今年九岁, 我叫王 我九岁).
    """
    chars, ends, index = [], [], start
    while index < len(text) and len(chars) < 6:
        if _is_han(text[index]):
            chars.append(text[index])
            ends.append(index + 1)
            index += 1
            continue
        space = _NAME_SPACE.match(text, index)
        if not (strong and chars and space):
            break
        after = space.end()
        word = _run_right(text, after, 5)
        if not word or word.startswith(_word("right_boundary")):
            break
        longest = 4 if "".join(chars[:2]) in _word("compound_surname") else 3
        if len(chars) + (_right_cut(word, len(word), first=1) or len(word)) > longest:
            break
        index = after
    return "".join(chars), ends


def _run_right(text: str, start: int, limit: int) -> str:
    """Return the run of Chinese characters starting at `start`, up to `limit`."""
    end = start
    while end < len(text) and end - start < limit and _is_han(text[end]):
        end += 1
    return text[start:end]


def _is_han(char: str) -> bool:
    """Tell whether `char` is a Chinese character."""
    return "\u4e00" <= char <= "\u9fff"


def _right_cut(run: str, longest: int, first: int = 2) -> int | None:
    """Return the first place from the second character on where a name ends."""
    for index in range(first, min(len(run), longest) + 1):
        if run[index:].startswith(_word("right_boundary")):
            return index
    return None


def _starts_name(run: str, strong: bool) -> bool:
    """Tell whether a name can begin with the first character of `run`."""
    first = run[0]
    if strong and first in _word("nickname_start"):
        return True
    return first not in _word("not_name_start")


#: 我叫 before a name in Latin letters, or the same typed in pinyin (wo jiao)
_LATIN_INTRO = re.compile(
    r"(?:我|他|她)(?:的)?(?:(?:英文名|名字)(?:叫做|叫|是)|叫做|名叫|叫)"
    r"|(?i:(?<![a-z])(?:wo|ta)\s?(?:de\s?ming\s?zi\s?(?:jiao\s?zuo|jiao|shi)"
    r"|jiao\s?zuo|ming\s?jiao|jiao))"
    r"|(?P<english>(?i:\bmy\s+name\s*(?:is|['’]s)|\bi\s*(?:am|['’]m)\s+called)\s)"
)
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_LATIN_GAP = re.compile(rf" ?[{_DASHES}] ?| (?! )")


def _latin_names(text: str) -> list[_Span]:
    """Mask a name in Latin letters after 我叫 or wo jiao: Tom, wang xiao ming."""
    spans = []
    for match in _LATIN_INTRO.finditer(text):
        start = _NAME_SEPARATOR.match(text, match.end()).end()
        end = _latin_name_end(text, start, english=bool(match.group("english")))
        if end:
            spans.append(_Span(start, end, "name"))
    return spans


def _latin_name_end(text: str, start: int, english: bool = False) -> int:
    """Return where a name in Latin letters starting at `start` ends, or 0.

    A name in pinyin takes up to three syllables (four after a compound
    surname), glued or spaced: wangxiaoming, wang xiao ming, wang-xiaoming.
    Any other word is a name of its own, with one more word after a space
    (Tom, Tom Lee), as long as each word is two to twenty letters. After
    "my name is" the name stops at an English word such as and, I or from.
    """
    words = _latin_words(text, start)
    if english:
        words = _before_english_words(text, words)
    if not words:
        return 0
    syllables = [_syllables(text[a:b].lower()) for a, b in words]
    if not syllables[0]:
        return _english_name_end(words)
    leading = list(itertools.chain.from_iterable(itertools.takewhile(bool, syllables)))
    if _refused_pinyin(leading):
        return 0
    longest = 4 if "".join(leading[:2]) in _compound_pinyin() else 3
    if len(syllables[0]) > 1:
        return words[0][0] + sum(map(len, syllables[0][:longest]))
    end, count = words[0][1], 1
    for (_, word_end), group in zip(words[1:], syllables[1:], strict=True):
        if not group or count + len(group) > longest:
            break
        end, count = word_end, count + len(group)
    return end


def _before_english_words(
    text: str, words: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Return the words before the first one of the not_name_english list."""
    stops = _word("not_name_english")
    return list(
        itertools.takewhile(lambda w: text[w[0] : w[1]].lower() not in stops, words)
    )


def _english_name_end(words: list[tuple[int, int]]) -> int:
    """Return where a name of one or two words of 2 to 20 letters ends, or 0."""
    sizes = [end - start for start, end in words[:2]]
    if not 2 <= sizes[0] <= 20:
        return 0
    if len(sizes) == 2 and 2 <= sizes[1] <= 20:
        return words[1][1]
    return words[0][1]


def _latin_words(text: str, start: int) -> list[tuple[int, int]]:
    """Return the bounds of up to four Latin words from `start`, one gap apart."""
    words, index = [], start
    while len(words) < 4:
        word = _LATIN_WORD.match(text, index)
        if not word:
            break
        words.append(word.span())
        gap = _LATIN_GAP.match(text, word.end())
        if not gap:
            break
        index = gap.end()
    return words


def _syllables(word: str) -> list[str] | None:
    """Split a word into pinyin syllables, longest first; None if it is not pinyin."""
    splits: list[list[str] | None] = [None] * len(word) + [[]]
    for index in range(len(word) - 1, -1, -1):
        for size in range(min(6, len(word) - index), 0, -1):
            rest = splits[index + size]
            if rest is not None and word[index : index + size] in PINYIN_SYLLABLES:
                splits[index] = [word[index : index + size], *rest]
                break
    return splits[0]


def _refused_pinyin(syllables: list[str]) -> bool:
    """Tell whether pinyin after wo jiao starts with a word that is not a name."""
    return any(syllables[: len(word)] == word for word in _not_name_pinyin())


@cache
def _not_name_pinyin() -> tuple[list[str], ...]:
    """Return the words of the not_name_pinyin list split into syllables."""
    return tuple(_syllables(word) or [word] for word in _word("not_name_pinyin"))


@cache
def _compound_pinyin() -> frozenset[str]:
    """Return the compound surnames (欧阳, 司马 …) in pinyin: ouyang, sima."""
    from pypinyin import lazy_pinyin

    return frozenset("".join(lazy_pinyin(w)) for w in _word("compound_surname"))


_FINDERS = (
    _regex_finder("email", _EMAIL),
    _regex_finder("email", _SPELT_EMAIL),
    _regex_finder("account", _ACCOUNT, "id"),
    _regex_finder("id_number", _ID_NUMBER),
    _phones,
    _addresses,
    _regex_finder("class", _CLASS),
    _schools,
    _latin_names,
    _names,
)


# Possible harm ---------------------------------------------------------------


class _Lexicon(NamedTuple):
    ignore: re.Pattern
    rows: tuple[tuple[str, re.Pattern], ...]
    actors: re.Pattern
    others: re.Pattern
    self: re.Pattern
    #: who may hurt a child: nobody named (有人, 他们), and where: at home
    someone: re.Pattern
    home: re.Pattern
    #: dialect words for 我 (俺), read as 我 by every row
    me: str
    #: the words of harm that a slip of one character may stand for
    sounds: tuple[str, ...]
    #: rows and ignore rows in Latin letters only, tried when an answer has some
    latin_ignore: re.Pattern | None = None
    latin_rows: tuple[tuple[str, re.Pattern], ...] = ()


def _flags(masked: str) -> tuple[Flag, ...]:
    """Return one flag per category and sentence that matches the lexicon.

    The answer is read as written and, when it holds typed pinyin or a
    possible slip (`analysis.hearing`), once more as heard.
    """
    lexicon = _lexicon()
    masked = _SPACED.sub("", masked)
    written = _first_person(masked, lexicon.me)
    found: dict[tuple[str, int], Flag] = {}
    _find(lexicon, written, masked, found)

    heard = _ear().hear(written)
    if heard:
        _find(_heard_lexicon(), heard.text, masked, found, heard)
    return tuple(found[key] for key in sorted(found, key=lambda k: (k[1], k[0])))


def _first_person(text: str, dialect: str) -> str:
    """Return `text` with the dialect words for 我 (俺, 咱) written as 我."""
    if not any(char in text for char in dialect):
        return text
    return text.translate(dict.fromkeys(map(ord, dialect), "我"))


def _find(
    lexicon: _Lexicon,
    text: str,
    masked: str,
    found: dict[tuple[str, int], Flag],
    heard: Heard | None = None,
) -> None:
    """Add the flags for what the rows find in `text`, `masked` read or heard.

    A heard text tells where each of its characters stands in `masked`, and
    a match may not cut through a typed word; a flag's evidence is always the
    masked answer's sentence.
    """
    probe = lexicon.ignore.sub(_blank, text)
    rows = lexicon.rows
    if lexicon.latin_rows and _LATIN_LETTER.search(probe):
        if lexicon.latin_ignore:
            probe = lexicon.latin_ignore.sub(_blank, probe)
        rows += lexicon.latin_rows
    for row_category, pattern in rows:
        # most rows match nothing, and a failed search costs less than an iterator
        if not pattern.search(probe):
            continue
        for match in pattern.finditer(probe):
            if heard and heard.cuts(match.start(), match.end()):
                continue
            start, end = _sentence(probe, match.start(), match.end())
            sentence = probe[start:end]
            category = row_category
            if category == "hurt":
                category = _who_hurt(lexicon, sentence, match.end() - start)
            if heard:
                origin = heard.origin
                start, end = _sentence(
                    masked, origin[match.start()], origin[match.end()]
                )
            flag = Flag(category, masked[start:end].strip(), _about(lexicon, sentence))
            found.setdefault((category, start), flag)


def _blank(match: re.Match) -> str:
    """Return as many underscores as the match is long."""
    return "_" * len(match.group())


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the bounds of the sentence around a match, at most ~60 characters."""
    left = max((text.rfind(ch, 0, start) for ch in _BREAKS), default=-1) + 1
    ends = [i for i in (text.find(ch, end) for ch in _BREAKS) if i >= 0]
    right = min(ends, default=len(text))
    if right - left > 60:
        left, right = max(left, start - 20), min(right, end + 20)
    return left, right


def _who_hurt(lexicon: _Lexicon, sentence: str, before: int) -> str:
    """Return abuse when a grown-up hurt the child, bullying when a child did.

    The person named last before the end of the match decides; if nobody is
    named before it, the first one after it does; if nobody is named, abuse.
    One named at the very end of the match is the one hurt (老师打别人), not
    who hurt. Someone not named who hurt the child at home (家里有人打我) is
    a grown-up.
    """
    actors = [m for m in lexicon.actors.finditer(sentence) if m.end() != before]
    earlier = [m for m in actors if m.start() < before]
    actor = earlier[-1] if earlier else (actors[0] if actors else None)
    if actor is None or actor.group("adult"):
        return "abuse"
    if lexicon.someone.fullmatch(actor.group()) and lexicon.home.search(
        sentence, 0, before
    ):
        return "abuse"
    return "bullying"


def _about(lexicon: _Lexicon, sentence: str) -> str:
    """Return "others" when the sentence reports harm to someone else."""
    if lexicon.others.search(sentence) and not lexicon.self.search(sentence):
        return "others"
    return "self"


@cache
def _lexicon() -> _Lexicon:
    """Load and compile data/safeguarding.csv once per process."""
    groups, rows, ignore = {}, {False: [], True: []}, {False: [], True: []}
    with (DATA_DIR / "safeguarding.csv").open(encoding="utf-8-sig", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            if None in row:
                raise ValueError(
                    f"safeguarding.csv line {line}: more than three columns; "
                    "a pattern with a comma needs double quotes around it"
                )
            category = row["category"].strip()
            regex = _compile_row(line, row["pattern"].strip(), groups)
            if category.startswith("{"):
                groups[category.strip("{}")] = regex.pattern
            elif category == "ignore":
                ignore[_is_latin(regex)].append(regex.pattern)
            elif category in (*CATEGORIES, "hurt"):
                for part in _alternatives(regex):
                    rows[_is_latin(part)].append((category, part))
            else:
                raise ValueError(f"safeguarding.csv line {line}: unknown {category}")
    log.info("Loaded %s safeguarding patterns", len(rows[False]) + len(rows[True]))
    return _Lexicon(
        ignore=_any_of(ignore[False]),
        rows=tuple(rows[False]),
        actors=re.compile(rf"(?P<peer>{groups['peer']})|(?P<adult>{groups['adult']})"),
        others=re.compile(groups["others"]),
        self=re.compile(groups["self"]),
        someone=re.compile(groups["someone"]),
        home=re.compile(groups["home"]),
        me="".join(_CHINESE.findall(groups["me"])),
        sounds=tuple(_HAN_RUN.findall(groups["sounds"])),
        latin_ignore=_any_of(ignore[True]) if ignore[True] else None,
        latin_rows=tuple(rows[True]),
    )


@cache
def _ear() -> Ear:
    """Return the ear that hears answers as the lexicon's characters sound."""
    lexicon = _lexicon()
    return Ear((p.pattern for p in _patterns(lexicon)), lexicon.sounds)


@cache
def _heard_lexicon() -> _Lexicon:
    """Return the lexicon with each Chinese character matching its sounds too."""
    lexicon, ear = _lexicon(), _ear()

    def heard(pattern: re.Pattern) -> re.Pattern:
        return re.compile(_heard(pattern.pattern, ear.sounds))

    return lexicon._replace(
        ignore=heard(lexicon.ignore),
        rows=tuple((category, heard(p)) for category, p in lexicon.rows),
        actors=heard(lexicon.actors),
        others=heard(lexicon.others),
        self=heard(lexicon.self),
        someone=heard(lexicon.someone),
        home=heard(lexicon.home),
    )


def _patterns(lexicon: _Lexicon) -> list[re.Pattern]:
    """Return every compiled pattern of the lexicon."""
    fixed = [lexicon.ignore, lexicon.actors, lexicon.others, lexicon.self]
    fixed += [lexicon.someone, lexicon.home]
    return fixed + [pattern for _, pattern in lexicon.rows]


def _heard(pattern: str, sounds) -> str:
    """Return `pattern` with each Chinese character matching its `sounds` too.

    打 becomes [打…] with the codes it may be heard as; a character class
    takes the codes of its Chinese characters (so [^说讲] refuses them too).
    """
    parts, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            parts.append(pattern[index : index + 2])
            index += 2
        elif char == "[":
            end = _class_end(pattern, index)
            body = pattern[index:end]
            parts.append(body + "".join(map(sounds, _CHINESE.findall(body))) + "]")
            index = end + 1
        else:
            extra = sounds(char) if _CHINESE.match(char) else ""
            parts.append(f"[{char}{extra}]" if extra else char)
            index += 1
    return "".join(parts)


def _any_of(patterns: list[str]) -> re.Pattern:
    """Compile patterns into one that matches any of them."""
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _is_latin(regex: re.Pattern) -> bool:
    """Tell whether a pattern is written in Latin letters, without Chinese ones.

    Such a pattern (`\\bmy dad`, `zi ?sha`, `don['’]t`) cannot match an answer
    without Latin letters, so it is not tried on one.
    """
    pattern = regex.pattern
    return not _CHINESE.search(pattern) and bool(_LETTER_IN_PATTERN.search(pattern))


def _compile_row(line: int, pattern: str, groups: dict[str, str]) -> re.Pattern:
    """Compile one lexicon row, naming the line when it is wrong."""
    try:
        return re.compile(_expand(pattern, groups))
    except (KeyError, re.error) as exc:
        raise ValueError(f"safeguarding.csv line {line}: {exc}") from exc


#: flags or back-references, which hold for the whole row: it is not split
_WHOLE_ROW = re.compile(r"^\(\?[aiLmsux]+\)|\\[1-9]|\(\?P=")
_BACK_REFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def _alternatives(regex: re.Pattern) -> tuple[re.Pattern, ...]:
    """Split a compiled row at its top-level `|` into patterns searched one by one.

    Python's `re` skips ahead to the characters a pattern can start with only
    when each of its alternatives begins with a plain character or is a
    single group: a row such as `{adult}…打人|{peer}…打人` is otherwise tried
    with every word of both groups at every position of every answer, about
    ten times slower than its two halves. So the alternatives that begin
    with a plain character stay together, each that begins with a group gets
    a pattern of its own, and the rest (English words after `\\b` …) are
    kept together in one more.
    """
    pattern = regex.pattern
    bars = [i for i, char, depth in _scan(pattern) if char == "|" and depth == 0]
    if not bars or _WHOLE_ROW.search(pattern):
        return (regex,)
    ends = zip([-1, *bars], [*bars, len(pattern)], strict=True)
    parts = [pattern[i + 1 : j] for i, j in ends]
    plain = [part for part in parts if _leads_with(part) == "plain"]
    groups = [part for part in parts if _leads_with(part) == "group"]
    rest = [part for part in parts if _leads_with(part) == "other"]
    merged = ["|".join(plain)] * bool(plain) + groups + ["|".join(rest)] * bool(rest)
    return tuple(re.compile(part) for part in merged)


def _scan(pattern: str):
    """Yield (index, character, depth) for each character not in `[...]` or escaped."""
    index, depth = 0, 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == ")":
            depth -= 1
        yield index, char, depth
        if char == "(":
            depth += 1
        index = _class_end(pattern, index) + 1 if char == "[" else index + 1


def _leads_with(part: str) -> str:
    """Tell how an alternative begins: "plain" character, "group", or "other"."""
    quantifiers = ("?", "*", "{", "+")
    if part[:1] and part[:1] not in "\\()[].^$*+?{|":
        return "other" if part[1:2] in quantifiers else "plain"
    if not part.startswith("(") or part.startswith(("(?=", "(?!", "(?<")):
        return "other"
    end = next(i for i, char, depth in _scan(part) if char == ")" and depth == 0)
    return "other" if part[end + 1 : end + 2] in quantifiers else "group"


def _class_end(pattern: str, start: int) -> int:
    """Return the index of the `]` that closes the character class at `start`."""
    index = start + 1
    if pattern[index : index + 1] == "^":
        index += 1
    if pattern[index : index + 1] == "]":
        index += 1
    while pattern[index] != "]":
        index += 2 if pattern[index] == "\\" else 1
    return index


def _expand(pattern: str, groups: dict[str, str]) -> str:
    """Turn the lexicon's notation into a regular expression.

    `{adult}` stands for a word group defined on an earlier row and `…` for a
    gap of up to eight characters within one clause.
    """
    expanded = _GROUP.sub(lambda m: f"(?:{groups[m.group(1)]})", pattern)
    return _uncaptured(expanded.replace("…", _GAP))


def _uncaptured(pattern: str) -> str:
    """Return `pattern` with its plain groups made non-capturing.

    Nothing reads what a row's groups captured, and Python's `re` tries an
    alternative that begins with a capturing group, such as `(不要|别)…`,
    at every position of an answer, where it skips quickly past one that
    begins with `(?:不要|别)`. A row with a back-reference keeps its groups.
    """
    if _BACK_REFERENCE.search(pattern):
        return pattern
    opens = {
        i for i, char, _ in _scan(pattern) if char == "(" and pattern[i + 1] != "?"
    }
    return "".join("(?:" if i in opens else char for i, char in enumerate(pattern))
