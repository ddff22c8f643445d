"""Word clouds of answer words, drawn with the Chinese font the project ships.

The font is a subset of Noto Sans CJK SC Bold kept in `static/fonts/`, so a
cloud draws real characters on a machine with no Chinese fonts installed.
"""

from __future__ import annotations

import io
import logging
import zlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

if TYPE_CHECKING:
    from wordcloud import WordCloud

log = logging.getLogger(__name__)

FONT_PATH = (
    Path(__file__).resolve().parent.parent
    / "static"
    / "fonts"
    / "NotoSansSC-Tongsheng.otf"
)
BACKGROUND = "white"
SEED = 7
EMPTY_TEXT = "还没有回答"
EMPTY_COLOR = "#9aa0a6"
#: bright colours that stay readable on white
PALETTE = (
    "#e63946",
    "#e76f00",
    "#2a9d8f",
    "#1d70b8",
    "#7b2cbf",
    "#2b9348",
    "#d6336c",
)


@cache
def _codepoints() -> frozenset[int]:
    """Load the code points that have a glyph in the shipped font."""
    with TTFont(FONT_PATH, lazy=True) as font:
        return frozenset(font.getBestCmap())


def renderable(word: str) -> bool:
    """Tell whether every character of a non-empty `word` is in the font."""
    points = _codepoints()
    return bool(word) and all(ord(char) in points for char in word)


def word_color(word: str, *args, **kwargs) -> str:
    """Pick a bright colour for `word`, the same one in every cloud."""
    return PALETTE[zlib.crc32(word.encode("utf-8")) % len(PALETTE)]


def build_cloud(width: int = 800, height: int = 450) -> WordCloud:
    """Return a word cloud that draws only with the shipped font."""
    from wordcloud import WordCloud

    return WordCloud(
        font_path=str(FONT_PATH),
        width=width,
        height=height,
        background_color=BACKGROUND,
        mode="RGB",
        random_state=SEED,
        color_func=word_color,
        prefer_horizontal=1.0,
        min_font_size=10,
        margin=4,
        relative_scaling=0.5,
    )


def drawable(frequencies: Mapping[str, int]) -> dict[str, int]:
    """Keep the words the font can draw, most frequent first."""
    words = {w: n for w, n in frequencies.items() if w.strip() and n > 0}
    kept = {w: n for w, n in words.items() if renderable(w)}

    dropped = len(words) - len(kept)
    if dropped:
        log.info(
            "Word cloud dropped %s words with characters outside the font", dropped
        )
    return dict(sorted(kept.items(), key=lambda item: (-item[1], item[0])))


def render_cloud(
    frequencies: Mapping[str, int], width: int = 800, height: int = 450
) -> bytes:
    """Draw `frequencies` as a PNG word cloud, or a 还没有回答 card if empty."""
    words = drawable(frequencies)
    if not words:
        return _png(_empty_image(width, height))

    cloud = build_cloud(width, height).generate_from_frequencies(words)
    return _png(cloud.to_image())


def _empty_image(width: int, height: int) -> Image.Image:
    """Draw a blank card that says no answers have arrived yet."""
    image = Image.new("RGB", (width, height), BACKGROUND)
    size = max(12, min(width // (len(EMPTY_TEXT) + 3), height // 4))
    font = ImageFont.truetype(str(FONT_PATH), size)

    ImageDraw.Draw(image).text(
        (width / 2, height / 2), EMPTY_TEXT, font=font, fill=EMPTY_COLOR, anchor="mm"
    )
    return image


def _png(image: Image.Image) -> bytes:
    """Encode `image` as PNG bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
