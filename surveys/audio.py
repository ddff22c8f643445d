"""Recorded read-aloud clips, one per question and optionally per age band.

A clip is the fallback for tablets without a Chinese voice. It is stored as
instance/audio/<survey>/<question>.<ext> (the AUDIO_DIR setting moves the
folder), or <question>.<band>.<ext> for a
recording of one band's wording, which then wins over the general one. The
content must be MP3, Ogg, WAV or MP4 audio of at most 2 MB; the type the
browser declares and the file's first bytes must agree.
"""

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from flask import current_app, url_for

from surveys.models import BANDS

log = logging.getLogger(__name__)

MAX_BYTES = 2 * 1024 * 1024
#: declared content type → stored extension
DECLARED = {
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/ogg": "ogg",
    "audio/wav": "wav",
    "audio/wave": "wav",
    "audio/x-wav": "wav",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
}
MIMETYPES = {
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "wav": "audio/wav",
    "m4a": "audio/mp4",
}
KEY = re.compile(r"^[a-z0-9_]{1,64}$")
NAME = re.compile(
    r"^(?P<question>[a-z0-9_]{1,64})(?:\.(?P<band>6-8|9-11|12-14|15-17))?"
    r"\.(?P<ext>mp3|ogg|wav|m4a)$"
)


class AudioError(ValueError):
    """An upload that is not a clip the kiosk can play."""


def audio_root():
    """Return the folder that holds every survey's clips (AUDIO_DIR if set)."""
    configured = current_app.config.get("AUDIO_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "audio"


def survey_folder(survey_key):
    """Return the folder of one survey's clips."""
    if not KEY.match(survey_key):
        raise AudioError("问卷代号不对。")
    return audio_root() / survey_key


def sniff(data):
    """Return the extension the file's first bytes show, or None."""
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] >= 0xE0):
        return "mp3"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[4:8] == b"ftyp":
        return "m4a"
    return None


def check_clip(mimetype, data):
    """Return the extension to store data under, or raise AudioError."""
    declared = DECLARED.get((mimetype or "").split(";")[0].strip().lower())
    if declared is None:
        raise AudioError("只能上传 mp3、ogg、wav 或 m4a 格式的录音。")
    if not data:
        raise AudioError("录音文件是空的。")
    if len(data) > MAX_BYTES:
        raise AudioError("录音文件太大了，最多 2 MB。")
    if sniff(data) != declared:
        raise AudioError("文件内容和它的格式对不上，请重新导出录音。")
    return declared


def save_clip(survey_key, question_key, band, mimetype, data):
    """Store a clip for a question (and band), replacing the earlier one."""
    ext = check_clip(mimetype, data)
    if not KEY.match(question_key) or (band and band not in BANDS):
        raise AudioError("题目或年龄段不对。")

    folder = survey_folder(survey_key)
    folder.mkdir(parents=True, exist_ok=True)
    _remove(folder, question_key, band)
    name = f"{question_key}.{band}.{ext}" if band else f"{question_key}.{ext}"
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, folder / name)
    log.info("Audio clip stored for survey %s question %s", survey_key, question_key)
    return name


def delete_clip(survey_key, question_key, band=None):
    """Remove a question's clip (for band, or the general one)."""
    removed = _remove(survey_folder(survey_key), question_key, band)
    if removed:
        log.info(
            "Audio clip removed for survey %s question %s", survey_key, question_key
        )
    return removed


def _remove(folder, question_key, band):
    """Delete the stored clips of one question and band; return how many."""
    removed = 0
    for clip in _clips_in(folder):
        if clip["question"] == question_key and clip["band"] == band:
            (folder / clip["name"]).unlink(missing_ok=True)
            removed += 1
    return removed


def _clips_in(folder):
    """Return the clips stored in folder, sorted by name."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        match = NAME.match(path.name)
        if match and path.is_file():
            found.append({**match.groupdict(), "name": path.name, "path": path})
    return found


def clips(survey_key):
    """Return a survey's clips with their URLs, by question key."""
    by_question = {}
    for clip in _clips_in(survey_folder(survey_key)):
        clip["url"] = _url(survey_key, clip)
        clip["size"] = clip["path"].stat().st_size
        by_question.setdefault(clip["question"], []).append(clip)
    return by_question


def clip_urls(survey_key, band):
    """Return question key → clip URL for what band hears, its own clip first."""
    if not KEY.match(survey_key or ""):
        return {}
    urls = {}
    for clip in _clips_in(audio_root() / survey_key):
        if clip["band"] == band or (
            clip["band"] is None and clip["question"] not in urls
        ):
            urls[clip["question"]] = _url(survey_key, clip)
    return urls


def _url(survey_key, clip):
    """Return the URL of a clip, changing whenever the file does."""
    version = int(clip["path"].stat().st_mtime)
    return url_for("editor.audio_file", key=survey_key, name=clip["name"], v=version)


def clip_file(survey_key, name):
    """Return (path, mimetype) of a stored clip, or None."""
    match = NAME.match(name or "")
    if not match or not KEY.match(survey_key or ""):
        return None
    path = audio_root() / survey_key / name
    if not path.is_file():
        return None
    return path, MIMETYPES[match.group("ext")]


def copy_clips(source_key, target_key):
    """Copy every clip of one survey to another (when it is duplicated)."""
    source = survey_folder(source_key)
    if not source.is_dir():
        return 0
    target = survey_folder(target_key)
    target.mkdir(parents=True, exist_ok=True)
    copied = 0
    for clip in _clips_in(source):
        shutil.copy2(clip["path"], target / clip["name"])
        copied += 1
    log.info(
        "Audio clips copied from survey %s to %s: %s", source_key, target_key, copied
    )
    return copied


def rename_clips(survey_key, old_key, new_key):
    """Move a question's clips to its new key."""
    folder = survey_folder(survey_key)
    for clip in _clips_in(folder):
        if clip["question"] == old_key:
            clip["path"].rename(folder / clip["name"].replace(old_key, new_key, 1))
    log.info("Audio clips of survey %s moved to a renamed question", survey_key)
