"""Build the Chinese font subset that the word cloud ships with.

The source is the Simplified Chinese face of Noto Sans CJK Bold, as packaged by
Debian (`apt-get install fonts-noto-cjk`), used only here at build time. The
subset keeps:

- ASCII, Latin-1 and the tone-marked vowels of pinyin;
- general, CJK and full-width punctuation and forms;
- the most common Chinese characters, ranked by the summed word frequencies
  of jieba's bundled dictionary (`dict.txt`), which covers the 3,500
  characters of level 1 of the 通用规范汉字表 and most of level 2;
- the traditional forms of the 3,500 most common of them (OpenCC's s2t, s2tw
  and s2hk tables), so that common words typed in traditional characters
  still render;
- every character of the action plans in `data/plans/`, if present.

Regenerate from the project root with:

    .venv/bin/python static/fonts/make_subset.py

Options: `--source` another NotoSansCJK `.ttc`, `--top` the number of common
characters, `--plans` another folder of plan texts, `--output` another path.
The same inputs give the same file byte for byte.
"""

import argparse
import logging
from collections import Counter
from pathlib import Path

import jieba
from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont
from opencc import OpenCC

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
FACE = "NotoSansCJKsc-Bold"
OUTPUT = HERE / "NotoSansSC-Tongsheng.otf"
PLANS = HERE.parent.parent / "data" / "plans"
TOP = 6500
TRADITIONAL_TOP = 3500
CONVERSIONS = ("s2t", "s2tw", "s2hk")

HANZI = range(0x4E00, 0xA000)
PINYIN = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
RANGES = (
    range(0x0020, 0x007F),  # ASCII
    range(0x00A0, 0x0100),  # Latin-1 letters and signs
    range(0x2010, 0x2028),  # dashes, quotes, ellipsis
    range(0x2030, 0x203C),  # per mille, primes, reference mark
    range(0x2460, 0x2474),  # circled numbers ①–⑳
    range(0x3000, 0x3040),  # CJK symbols and punctuation
    range(0xFF01, 0xFF66),  # full-width forms, half-width CJK punctuation
    range(0xFFE0, 0xFFE7),  # full-width signs
)


def common_hanzi(top: int) -> list[str]:
    """Return the `top` characters with the largest summed jieba frequency."""
    weights: Counter[str] = Counter()
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as lines:
        for line in lines:
            word, freq = line.split()[:2]
            for char in word:
                if ord(char) in HANZI:
                    weights[char] += int(freq)

    ranked = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
    return [char for char, _ in ranked[:top]]


def traditional_forms(chars: list[str]) -> set[str]:
    """Return the traditional forms of `chars` under each OpenCC table."""
    forms: set[str] = set()
    for config in CONVERSIONS:
        forms.update(OpenCC(config).convert("".join(chars)))
    return {c for c in forms if ord(c) in HANZI}


def plan_chars(folder: Path) -> set[str]:
    """Return every printable character of the plan texts in `folder`."""
    chars: set[str] = set()
    for path in sorted(folder.glob("*.txt")):
        chars.update(c for c in path.read_text(encoding="utf-8") if c.isprintable())
    return chars


def wanted_codepoints(top: int, plans: Path) -> set[int]:
    """Return the code points the subset should cover."""
    common = common_hanzi(top)
    chars = set(common) | traditional_forms(common[:TRADITIONAL_TOP]) | set(PINYIN)
    if plans.is_dir():
        chars |= plan_chars(plans)
    points = {ord(c) for c in chars}
    for block in RANGES:
        points.update(block)
    return points


def open_face(source: Path, face: str) -> TTFont:
    """Open the face named `face` inside the collection `source`."""
    collection = TTCollection(source, lazy=True)
    for number, font in enumerate(collection.fonts):
        if font["name"].getDebugName(6) == face:
            return TTFont(source, fontNumber=number, recalcTimestamp=False)
    raise SystemExit(f"{face} not found in {source}")


def subset_options() -> subset.Options:
    """Return the fontTools options: a visible .notdef box, all name records."""
    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.hinting = False
    return options


def build(source: Path, output: Path, top: int, plans: Path) -> int:
    """Write the subset of `source` to `output`; return its character count."""
    font = open_face(source, FACE)
    available = set(font.getBestCmap())
    points = wanted_codepoints(top, plans) & available

    subsetter = subset.Subsetter(subset_options())
    subsetter.populate(unicodes=sorted(points))
    subsetter.subset(font)
    font.save(output)

    count = len(font.getBestCmap())
    log.info(
        "Font subset written: %s characters, %s bytes", count, output.stat().st_size
    )
    return count


def main() -> None:
    """Parse the command line and build the subset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source", type=Path, default=SOURCE, help="a NotoSansCJK .ttc"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the font to write")
    parser.add_argument("--top", type=int, default=TOP, help="common characters kept")
    parser.add_argument("--plans", type=Path, default=PLANS, help="a folder of plans")
    args = parser.parse_args()

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    build(args.source, args.output, args.top, args.plans)


if __name__ == "__main__":
    main()
