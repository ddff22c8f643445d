"""Time the analysis pipeline against bare jieba on the same 20,000 answers.

The answers are made from the team-written demo answers (data/demo/answers.csv):
clauses of different answers joined at random with a fixed seed, so every
answer is new text and no child's words are used. Each of three runs times the
whole pipeline (normalise, tokenise, theme: `analysis.classify.analyse`) and
bare `jieba.lcut` on the same answers, with every cache cleared first, and
also times the personal-detail and harm screen on its own. The last line is

    answers=N pipeline_s=… jieba_s=… ratio=R

with medians of the three runs and R = jieba_s / pipeline_s (≥ 0.8 means
theming costs at most a quarter on top of tokenising).

Run: .venv/bin/python bench/analysis_throughput.py [--answers 20000]
"""

import argparse
import csv
import logging
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jieba

from analysis import classify, text, tokenize
from analysis.screen import screen

CLAUSE = re.compile(r"[^，。！？；,.!?;\n]+[，。！？；,.!?;]?")
JOINERS = ["", "，", "。", "，还有", "；另外", "，而且", " "]


def demo_clauses():
    """Return the clauses of the demo's open answers."""
    path = ROOT / "data/demo/answers.csv"
    with open(path, encoding="utf-8-sig", newline="") as handle:
        answers = [
            row["answer"]
            for row in csv.DictReader(handle)
            if row["question"] in {"wish", "worry"}
        ]
    return [c.strip() for a in answers for c in CLAUSE.findall(a) if c.strip()]


def generate(count, seed=20261204):
    """Return `count` distinct answers recombined from demo clauses."""
    rng = random.Random(seed)
    clauses = demo_clauses()
    made = set()
    while len(made) < count:
        parts = rng.sample(clauses, rng.choice((1, 1, 2, 2, 3)))
        answer = parts[0]
        for part in parts[1:]:
            answer += rng.choice(JOINERS) + part
        made.add(answer)
    # sorted first: a set's order changes from one process to the next
    return sorted(sorted(made), key=lambda _: rng.random())


def clear_caches():
    """Forget every memoised normalisation and cut, so each run starts cold."""
    text.normalise.cache_clear()
    tokenize._cut.cache_clear()


def timed(function, answers):
    """Return the seconds `function` takes over all answers."""
    clear_caches()
    start = time.perf_counter()
    for answer in answers:
        function(answer)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=20000)
    args = parser.parse_args()

    jieba.setLogLevel(logging.WARNING)
    answers = generate(args.answers)
    jieba.lcut("热身")
    classify.analyse("热身")
    screen("热身")

    pipeline, bare, screening = [], [], []
    for run in range(3):
        order = [("pipeline", classify.analyse, pipeline), ("jieba", jieba.lcut, bare)]
        for _, function, times in order if run % 2 == 0 else reversed(order):
            times.append(timed(function, answers))
        screening.append(timed(screen, answers))
        print(
            f"run {run + 1}: pipeline_s={pipeline[-1]:.3f} jieba_s={bare[-1]:.3f} "
            f"screen_s={screening[-1]:.3f}"
        )

    pipeline_s, jieba_s = statistics.median(pipeline), statistics.median(bare)
    print(
        f"screen (personal details and harm, not part of the ratio): "
        f"{statistics.median(screening):.3f} s"
    )
    print(
        f"answers={len(answers)} pipeline_s={pipeline_s:.3f} jieba_s={jieba_s:.3f} "
        f"ratio={jieba_s / pipeline_s:.2f}"
    )


if __name__ == "__main__":
    main()
