"""Build data/graded_chars.csv: Chinese characters ranked by how common they are.

The survey readability check (surveys/readability.py) treats the first 1,600,
2,500, 3,000 and 3,500 characters of this ranking as what children are expected
to recognise by the end of grades 2, 4, 6 and 9 under the Chinese curriculum
standards. The ranking is a frequency proxy for those curriculum lists, not the
lists themselves: each character's weight is the sum of the frequencies of the
words containing it in jieba's bundled dictionary (`dict.txt`), the same
measure static/fonts/make_subset.py uses. Words of children's everyday life
(animals, family, toys) rank lower in that general corpus than in a first
reader, so the check flags some characters a child does know.

Regenerate from the project root with:

    .venv/bin/python data/graded_chars.py

The same jieba release gives the same file byte for byte.
"""

import argparse
import csv
import logging
from collections import Counter
from pathlib import Path

import jieba

log = logging.getLogger(__name__)

OUTPUT = Path(__file__).resolve().parent / "graded_chars.csv"
TOP = 6500
HANZI = range(0x4E00, 0xA000)


def character_weights() -> Counter:
    """Return each character's summed word frequency in jieba's dictionary."""
    weights: Counter[str] = Counter()
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as lines:
        for line in lines:
            word, freq = line.split()[:2]
            for char in word:
                if ord(char) in HANZI:
                    weights[char] += int(freq)
    return weights


def ranked(weights: Counter, top: int) -> list[tuple[str, int, int]]:
    """Return (character, rank, weight) for the `top` heaviest characters."""
    order = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
    return [(char, rank, weight) for rank, (char, weight) in enumerate(order[:top], 1)]


def write(rows, output: Path) -> None:
    """Write the ranking as UTF-8 CSV with the columns char, rank, weight."""
    with open(output, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["char", "rank", "weight"])
        writer.writerows(rows)
    log.info("Graded characters written: %s rows", len(rows))


def main() -> None:
    """Parse the command line and write the ranking."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=TOP, help="characters kept")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the CSV to write")
    args = parser.parse_args()

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    write(ranked(character_weights(), args.top), args.output)


if __name__ == "__main__":
    main()
