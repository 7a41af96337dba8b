"""Numbers and tables that a chapter computes and its prose quotes.

A number in the prose of a chapter must be the number its code printed, on every build. The code
*glues* it under a name, and the Markdown quotes it with MyST-NB's role: ``{glue}`ch1_mse_shift```.
:func:`glue` stores the value already formatted, so the page shows exactly the digits chosen in the
code (the role of a raw float would print all of them).

:class:`Table` is a table of results that the book renders as a real HTML table (it displays as
Markdown), while a terminal, ``print`` and the tests see it as aligned plain text.

Both work without MyST-NB installed (on Colab, say): the glue data is then an invisible output.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

GLUE_PREFIX = "application/papermill.record/"  # what myst_nb.glue writes, so its roles find it


class _Text(str):
    """A string whose display is itself, without quotes."""

    def __repr__(self) -> str:
        return str(self)


def fmt(value: Any, spec: str = "") -> str:
    """``value`` formatted with ``spec`` (``format(value, spec)``); strings pass through unchanged."""
    return value if isinstance(value, str) else format(value, spec)


def glue(name: str, value: Any, spec: str = "") -> str:
    """Store ``format(value, spec)`` under ``name`` for ``{glue}`name``` in the prose; return the text.

    Nothing is shown where the cell runs. Each name may be glued once per notebook.
    """
    text = fmt(value, spec)
    try:
        from IPython.display import display
    except ImportError:  # plain Python: there is no page to paste into
        return text
    metadata = {"scrapbook": {"name": name, "mime_prefix": GLUE_PREFIX}}
    display({GLUE_PREFIX + "text/plain": text}, raw=True, metadata=metadata)
    return text


class Table:
    """Rows of results with named columns.

    ``formats`` maps a column to a format spec (``".3f"``) or a function of the value; other values
    are shown with ``str``. Numbers are right-aligned, text left-aligned.

    >>> Table(["run", "acc"], [["a", 0.91234]], formats={"acc": ".3f"})
    run |   acc
    ----+------
    a   | 0.912
    """

    def __init__(self, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                 formats: dict[str, Any] | None = None, caption: str | None = None) -> None:
        self.columns = [str(c) for c in columns]
        self.rows = [list(r) for r in rows]
        for r in self.rows:
            if len(r) != len(self.columns):
                raise ValueError(f"row {r!r} has {len(r)} values for {len(self.columns)} columns")
        self.formats = dict(formats or {})
        self.caption = caption

    def cell(self, row: int, column: str) -> str:
        """The text of one cell, formatted as the table shows it."""
        value = self.rows[row][self.columns.index(column)]
        f = self.formats.get(column, "")
        if callable(f):
            return f(value)
        return value if isinstance(value, str) else fmt(value, f)

    def _numeric(self, j: int) -> bool:
        return all(isinstance(r[j], numbers.Real) and not isinstance(r[j], bool) for r in self.rows)

    def _texts(self) -> list[list[str]]:
        return [[self.cell(i, c) for c in self.columns] for i in range(len(self.rows))]

    def __repr__(self) -> str:
        texts = self._texts()
        widths = [max([len(c)] + [len(t[j]) for t in texts]) for j, c in enumerate(self.columns)]

        def line(cells):
            return " | ".join(c.rjust(w) if self._numeric(j) else c.ljust(w)
                              for j, (c, w) in enumerate(zip(cells, widths))).rstrip()

        out = ([self.caption] if self.caption else []) + [line(self.columns)]
        out.append("-+-".join("-" * w for w in widths))
        out += [line(t) for t in texts]
        return "\n".join(out)

    def _repr_markdown_(self) -> str:
        def esc(text: str) -> str:
            return text.replace("|", "\\|")

        head = "| " + " | ".join(esc(c) for c in self.columns) + " |"
        rule = "|" + "|".join("---:" if self._numeric(j) else ":---" for j in range(len(self.columns))) + "|"
        body = ["| " + " | ".join(esc(t) for t in row) + " |" for row in self._texts()]
        caption = [f"*{self.caption}*", ""] if self.caption else []
        return "\n".join(caption + [head, rule] + body)
