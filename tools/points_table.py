"""Write the README's table of every public case (id, title, points, visibility) from the exercises' packages (autograder/cases.PUBLIC).

The table lives between the markers ``<!-- points table -->`` and ``<!-- end points table -->``;
``tests/autograder/test_feedback.py`` fails while it differs from the cases.

    python tools/points_table.py          # rewrite the table in README.md
    python tools/points_table.py --check  # exit 1 if README.md is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import config  # noqa: E402
from autograder.cases import PUBLIC  # noqa: E402

README = ROOT / "README.md"
BEGIN, END = "<!-- points table -->", "<!-- end points table -->"


def table() -> str:
    lines = ["| case | what it checks | points | visibility |", "| --- | --- | ---: | --- |"]
    for exercise in config.EXERCISES:
        cases = [c for c in PUBLIC if c.exercise == exercise]
        for c in cases:
            title = c.title.replace("|", "\\|")
            lines.append(f"| `{c.id}` | {title} | {c.points:g} | {c.visibility} |")
        lines.append(f"| **`{exercise}`** | **{len(cases)} cases** | **{sum(c.points for c in cases):g}** | |")
    return "\n".join(lines)


def render(text: str) -> str:
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = README.read_text()
    new = render(text)
    if args.check:
        if new != text:
            print("README.md's points table is out of date: run python tools/points_table.py")
            return 1
        return 0
    README.write_text(new)
    print(f"wrote the points table of {len(PUBLIC)} cases to {README.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
