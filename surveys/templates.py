"""Built-in survey templates and what one age band sees of them."""

import hashlib
import json
from functools import lru_cache

from pypinyin import Style, pinyin

from core import DATA_DIR

TEMPLATE_DIR = DATA_DIR / "surveys"
PINYIN_BANDS = frozenset({"6-8"})
READ_ALOUD_BANDS = frozenset({"6-8", "9-11"})
#: the optional limits of a number question
BOUNDS = ("min", "max")


def builtin_templates():
    """Return the built-in templates keyed by their key."""
    templates = {}
    for path in sorted(TEMPLATE_DIR.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        templates[spec["key"]] = spec
    return templates


def spec_version(spec):
    """Return a short hash identifying the template's content."""
    canonical = json.dumps(spec, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def band_text(value, band):
    """Return the wording for band from a per-band dict or a plain string."""
    if isinstance(value, dict):
        return value.get(band)
    return value


def questions_for(spec, band):
    """Return the questions band sees, with wording and options resolved."""
    resolved = []
    for question in spec["questions"]:
        if band not in question.get("bands", (band,)):
            continue
        prompt = band_text(question.get("prompt"), band)
        if prompt is None:
            continue
        resolved.append(
            {
                "key": question["key"],
                "type": question["type"],
                "practice": bool(question.get("practice", False)),
                "prompt": prompt,
                "note": band_text(question.get("note"), band),
                "options": band_text(question.get("options"), band) or [],
                "show_if": question.get("show_if"),
                **{bound: question[bound] for bound in BOUNDS if bound in question},
            }
        )
    return resolved


@lru_cache(maxsize=4096)
def _ruby(text):
    readings = pinyin(text, style=Style.TONE, errors=lambda run: [[""] for _ in run])
    return tuple(
        (char, reading[0]) for char, reading in zip(text, readings, strict=True)
    )


def ruby(text):
    """Return [character, pinyin] pairs for text, pinyin empty for non-Han."""
    return [list(pair) for pair in _ruby(text)]


def kiosk_questions(spec, band, clips=None):
    """Return the questions as the kiosk script expects them.

    clips maps question keys to recorded read-aloud URLs; by default they are
    looked up among the clips uploaded for the survey.
    """
    if clips is None:
        clips = _uploaded_clips(spec, band)
    with_pinyin = band in PINYIN_BANDS
    questions = []
    for question in questions_for(spec, band):
        options = [
            {
                "value": option["value"],
                "label": option["label"],
                "emoji": option.get("emoji"),
                "image": option.get("image"),
                "ruby": ruby(option["label"]) if with_pinyin else None,
            }
            for option in question["options"]
        ]
        questions.append(
            {
                **question,
                "options": options,
                "ruby": ruby(question["prompt"]) if with_pinyin else None,
                "note_ruby": ruby(question["note"])
                if with_pinyin and question["note"]
                else None,
                "audio_url": clips.get(question["key"]),
            }
        )
    return questions


def _uploaded_clips(spec, band):
    """Return the uploaded clip URLs for band, or none outside a request."""
    from flask import has_request_context

    if not has_request_context() or not spec.get("key"):
        return {}

    from surveys.audio import clip_urls

    return clip_urls(spec["key"], band)
