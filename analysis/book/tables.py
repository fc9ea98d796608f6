"""HTML tables for the book: every value from data is escaped, so data can never inject markup.

The one piece of markup a cell may gain is a link: a cell whose whole text is a book location
such as ``chapters/03-coverage.qmd#sec-coverage`` (the form the findings registry uses for
"shown in") becomes a project-relative link, which Quarto resolves to the rendered page. The
pattern admits only letters, digits, ``._-/#``, so the link cannot carry markup either.
"""

from __future__ import annotations

import html
import re

import pandas as pd

SYNTHETIC_NOTE = (
    "Synthetic sample: simulated from the documented data-generating process in "
    "data/simulation.toml; these are not observations of real police accounts."
)

_BOOK_LOCATION = re.compile(
    r"<td>(?P<path>(?:chapters/)?[A-Za-z0-9_-]+\.qmd)(?:#(?P<anchor>[A-Za-z][A-Za-z0-9_-]*))?</td>"
)


def _link(match: re.Match[str]) -> str:
    path, anchor = match["path"], match["anchor"]
    page = path.removeprefix("chapters/").removesuffix(".qmd")
    label = f"{page} § {anchor.removeprefix('sec-')}" if anchor else page
    href = f"/{path}" + (f"#{anchor}" if anchor else "")
    return f'<td><a href="{href}">{label}</a></td>'


def to_html(frame: pd.DataFrame, note: str | None = None) -> str:
    """Render a DataFrame as an HTML table with escaped cells and an optional escaped note."""
    body = frame.to_html(index=False, escape=True, border=0, classes="table table-sm", na_rep="")
    body = _BOOK_LOCATION.sub(_link, body)
    if note:
        body += f'\n<p class="table-note">{html.escape(note)}</p>'
    return body
