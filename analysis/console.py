"""Terminal output shared by every command: tables, progress bars and the closing summary line."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

# Piped output (CI logs, files) gets a wide fixed width instead of rich's 80 columns.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
errors = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 140)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], **kw) -> Table:
    """A readable table; numeric-looking columns are right-aligned."""
    rows = [list(map(str, row)) for row in rows]
    out = Table(title=title, title_justify="left", **kw)
    for i, name in enumerate(columns):
        numeric = bool(rows) and all(_numeric(r[i]) for r in rows if r[i] not in ("", "-"))
        out.add_column(name, justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        out.add_row(*(Text(cell) for cell in row))  # data text is shown literally, never markup
    return out


def _numeric(text: str) -> bool:
    try:
        float(text.replace(",", "").replace("%", "").split(" ")[0])
    except ValueError:
        return False
    return True


def progress(transient: bool = True) -> Progress:
    """A progress bar for work that takes more than a few seconds (stderr, so pipes stay clean)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=transient,
    )


def summary(command: str, ok: bool, text: str) -> None:
    """The one-line summary every command ends with (``text`` is shown literally, not markup)."""
    status = "[green]ok[/green]" if ok else "[red]FAILED[/red]"
    console.print(f"{escape(command)}: {status} {escape(text)}", soft_wrap=True)
