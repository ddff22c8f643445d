"""Tests for the word cloud and the Chinese font it ships with."""

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from analysis import cloud

ROOT = Path(__file__).resolve().parent.parent
COMMON_WORDS = ["学校", "公园", "滑滑梯", "安全", "图书馆", "作业"]
#: CJK Extension B characters, far outside any common set
RARE = "\U00020000\U00020001"
ANSWERS = {
    "滑滑梯": 30,
    "图书馆": 24,
    "安全": 20,
    "公园": 18,
    "学校": 15,
    "作业": 9,
    "秋千": 7,
    "绿道": 5,
    "斑马线": 4,
    "路灯": 2,
}


def glyph(char: str) -> Image.Image:
    """Draw `char` alone in white on black with the shipped font."""
    font = ImageFont.truetype(str(cloud.FONT_PATH), 64)
    image = Image.new("L", (96, 96), 0)
    ImageDraw.Draw(image).text((48, 48), char, font=font, fill=255, anchor="mm")
    return image


def open_png(data: bytes) -> Image.Image:
    """Decode PNG bytes, checking the signature first."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def ink(image: Image.Image) -> int:
    """Count the pixels that differ from a white background."""
    background = Image.new("RGB", image.size, "white")
    diff = ImageChops.difference(image.convert("RGB"), background).convert("L")
    return sum(diff.point(lambda v: 255 if v > 32 else 0).histogram()[255:])


def test_font_ships_inside_the_project():
    assert cloud.FONT_PATH.is_file()
    assert cloud.FONT_PATH.is_relative_to(ROOT / "static" / "fonts")
    assert cloud.FONT_PATH.stat().st_size <= 4 * 1024 * 1024
    assert (cloud.FONT_PATH.parent / "OFL.txt").is_file()


@pytest.mark.parametrize("word", COMMON_WORDS)
def test_font_covers_common_words(word):
    assert cloud.renderable(word)


@pytest.mark.parametrize("word", ["", RARE, f"学校{RARE[0]}"])
def test_renderable_rejects_empty_and_missing(word):
    assert not cloud.renderable(word)


def test_glyphs_are_real_and_distinct():
    xue, yuan, tofu = glyph("学"), glyph("园"), glyph(RARE[0])

    for image in (xue, yuan, tofu):
        assert image.getbbox() is not None
    assert xue.tobytes() != yuan.tobytes()
    assert xue.tobytes() != tofu.tobytes()
    assert yuan.tobytes() != tofu.tobytes()


def test_cloud_uses_only_the_shipped_font():
    assert cloud.build_cloud().font_path == str(cloud.FONT_PATH)


def test_render_cloud_draws_chinese_words():
    image = open_png(cloud.render_cloud(ANSWERS, width=640, height=360))

    assert image.size == (640, 360)
    assert image.getpixel((0, 0)) == (255, 255, 255)
    assert ink(image) > 640 * 360 // 50


def test_render_cloud_is_deterministic():
    assert cloud.render_cloud(ANSWERS) == cloud.render_cloud(dict(ANSWERS))


def test_render_cloud_empty_says_no_answers_yet():
    image = open_png(cloud.render_cloud({}, width=400, height=200))

    assert image.size == (400, 200)
    assert ink(image) > 0
    assert cloud.render_cloud({"  ": 3, "学校": 0}, 400, 200) == cloud.render_cloud(
        {}, 400, 200
    )


def test_render_cloud_drops_words_outside_the_font(caplog):
    caplog.set_level(logging.INFO, logger="analysis.cloud")

    with_rare = cloud.render_cloud({**ANSWERS, RARE: 99})

    assert with_rare == cloud.render_cloud(ANSWERS)
    assert "dropped 1 words" in caplog.text
    assert RARE not in caplog.text


def test_render_cloud_runs_without_system_fonts(tmp_path):
    (tmp_path / "fonts.conf").write_text("<fontconfig></fontconfig>")
    script = (
        "import sys; from analysis.cloud import render_cloud; "
        "sys.stdout.buffer.write(render_cloud({'公园': 3, '学校': 2}, 320, 180))"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FONTCONFIG_FILE": str(tmp_path / "fonts.conf"),
        "MPLCONFIGDIR": str(tmp_path),
    }

    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        check=True,
    )

    assert result.stderr == b""
    assert open_png(result.stdout).size == (320, 180)
