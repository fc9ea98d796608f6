"""HTML tables for the book: every value from data is escaped, so data can never inject markup.

A table arrives from the cache as display text (``{"columns", "rows", "note"}``, see
analysis.build.cache). The one piece of markup a cell may gain is a link: a cell whose whole
text is a book location such as ``chapters/03-coverage.qmd#sec-coverage`` (the form the
findings registry uses for "shown in") becomes a project-relative link, which Quarto resolves to
the rendered page. The pattern admits only letters, digits, ``._-/#``, so the link cannot carry
markup either. Built by hand rather than with pandas so that chapters never import pandas.
"""

from __future__ import annotations

import html
import re
from typing import Any

_BOOK_LOCATION = re.compile(
    r"(?P<path>(?:chapters/)?[A-Za-z0-9_-]+\.qmd)(?:#(?P<anchor>[A-Za-z][A-Za-z0-9_-]*))?"
)


def _cell(text: str) -> str:
    match = _BOOK_LOCATION.fullmatch(text)
    if match is None:
        return html.escape(text)
    path, anchor = match["path"], match["anchor"]
    page = path.removeprefix("chapters/").removesuffix(".qmd")
    label = f"{page} § {anchor.removeprefix('sec-')}" if anchor else page
    href = f"/{path}" + (f"#{anchor}" if anchor else "")
    return f'<a href="{href}">{label}</a>'


def to_html(table: dict[str, Any]) -> str:
    """A stored table as an HTML table with escaped cells and an optional escaped note."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table["columns"])
    body = "\n".join(
        "<tr>" + "".join(f"<td>{_cell(str(cell))}</td>" for cell in row) + "</tr>"
        for row in table["rows"]
    )
    out = (
        '<table class="dataframe table table-sm">\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
    )
    if table.get("note"):
        out += f'\n<p class="table-note">{html.escape(table["note"])}</p>'
    return out
