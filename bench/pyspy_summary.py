"""Summarize a py-spy raw profile: each function's inclusive and own share of the samples.

Usage: py-spy record -r 200 -f raw -o OUT.txt -- python SCRIPT; python bench/pyspy_summary.py OUT.txt [TOP]

py-spy samples the stack without tracing calls, so Python-heavy code (readability's
scoring) is not inflated against C-heavy code (lxml XPath) as it is under cProfile.
"""

from __future__ import annotations

import re
import sys
from collections import Counter


def summarize(path: str) -> tuple[int, Counter[str], Counter[str]]:
    """Return the sample count, and the inclusive and own samples per function of a raw profile."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            stack, _, count = line.rstrip().rpartition(" ")
            samples = int(count)
            total += samples
            # "func (path/to/file.py:LINE)": one name per function, whatever line was running.
            frames = [re.sub(r":\d+\)$", ")", frame).split("site-packages/")[-1] for frame in stack.split(";")]
            for frame in set(frames):
                inclusive[frame] += samples
            own[frames[-1]] += samples
    return total, inclusive, own


def main() -> int:
    """Print the top functions by inclusive share, then by own share."""
    total, inclusive, own = summarize(sys.argv[1])
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    print(f"samples: {total}\n\ninclusive share:")
    for frame, samples in inclusive.most_common(top):
        print(f"{100 * samples / total:5.1f} %  {frame}")
    print("\nown share:")
    for frame, samples in own.most_common(top // 2):
        print(f"{100 * samples / total:5.1f} %  {frame}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
