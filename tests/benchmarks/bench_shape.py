"""The shape of the code: prints figures, asserts nothing.

    .venv/bin/python tests/benchmarks/bench_shape.py [--top 5]

- the largest .py files under cc_orchestrator/, with their line counts;
- the median file length (Textual's widgets: about 110 lines, Toolong's modules about 90);
- the import contracts' result: `lint-imports` from the venv, its summary line.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "cc_orchestrator"


def line_counts() -> dict[Path, int]:
    counts = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        with path.open("rb") as fh:
            counts[path.relative_to(ROOT)] = sum(1 for _ in fh)
    return counts


def contracts() -> str:
    """The summary line of `lint-imports` (e.g. "Contracts: 3 kept, 0 broken.")."""
    program = Path(sys.executable).with_name("lint-imports")
    try:
        done = subprocess.run([str(program)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"lint-imports could not run: {exc}"
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    summary = next((line for line in reversed(lines) if line.startswith("Contracts:")), None)
    return summary or (lines[-1] if lines else f"lint-imports said nothing (exit {done.returncode})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=5, help="how many of the largest files")
    args = parser.parse_args()
    counts = line_counts()
    print(f"{len(counts)} .py files under {PACKAGE.relative_to(ROOT)}/, {sum(counts.values())} lines")
    print(f"largest {args.top}:")
    for path, lines in sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))[: args.top]:
        print(f"  {lines:5d}  {path}")
    non_empty = [n for path, n in counts.items() if n > 0 or path.name != "__init__.py"]
    print(f"median file length: {statistics.median(counts.values()):.0f} lines ", end="")
    print(f"({statistics.median(non_empty):.0f} without empty __init__.py files)")
    print(f"import contracts: {contracts()}")


if __name__ == "__main__":
    main()
