"""HTML tables for the book: every value from data is escaped, so data can never inject markup."""

from __future__ import annotations

import html

import pandas as pd

SYNTHETIC_NOTE = (
    "Synthetic sample: simulated from the documented data-generating process in "
    "data/simulation.toml; these are not observations of real police accounts."
)


def to_html(frame: pd.DataFrame, note: str | None = None) -> str:
    """Render a DataFrame as an HTML table with escaped cells and an optional escaped note."""
    body = frame.to_html(index=False, escape=True, border=0, classes="table table-sm", na_rep="")
    if note:
        body += f'\n<p class="table-note">{html.escape(note)}</p>'
    return body
