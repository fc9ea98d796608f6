"""What chapters import: cached numbers, tables and figures, without importing pandas.

Every call reads an artifact from the content-addressed cache (computing it on a miss), so a
chapter costs a kernel start plus file reads. ``value`` returns text formatted for prose and
shows without quotes in Quarto's inline ``{python}`` expressions.

Call these functions with the artifact's name written out as a string literal
(``book.table("coverage.by_region")``): ``python -m analysis freeze`` reads the names from the
chapter's code to know which data and code a frozen chapter depends on. A chapter that builds
names at run time, or imports other analysis modules, is treated as depending on everything.

``tables`` renders stored tables for the page. May import: the base modules, ``analysis.data``,
``analysis.findings`` and ``analysis.build`` (the cache and the registry); never the topics
directly (their results arrive through the cache) and never ``analysis.cli``.
"""

from __future__ import annotations

from typing import Any

from analysis.book import tables
from analysis.build import artifacts, cache
from analysis.build.artifacts import READERS

__all__ = ["READERS", "Text", "data_note", "figure", "made_by", "raw", "table", "value"]


class Text(str):
    """A string that displays as itself (no quotes) in inline expressions and cell output."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        return str(self)


def raw(name: str, key: str) -> Any:
    """The stored value itself (a number, string, list or dict)."""
    data = cache.values(name)
    try:
        return data[key]
    except KeyError:
        raise KeyError(f"artifact {name!r} has no value {key!r}; it has {sorted(data)}") from None


def value(name: str, key: str, fmt: str = "{:,}") -> Text:
    """A stored number formatted for prose, e.g. ``value("diffusion.growth", "cagr", "{:.0%}")``."""
    stored = raw(name, key)
    try:
        return Text(fmt.format(stored))
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"artifact {name!r}, value {key!r} = {stored!r} does not fit the format {fmt!r}: {exc}"
        ) from None


def table(name: str):
    """An artifact's table as escaped HTML output."""
    from IPython.display import HTML

    return HTML(tables.to_html(cache.table(name)))


def figure(name: str):
    """An artifact's figure as PNG output (Quarto adds the caption and alt text from the cell)."""
    from IPython.display import Image

    return Image(filename=str(cache.figure_png(name)))


def data_note(name: str) -> Text:
    """A callout (Markdown) saying whether ``name`` rests on a synthetic or an observed sample,
    read from the descriptor; empty when it reads documented data only."""
    from analysis.book import labels

    return Text(labels.note_markdown(name, cache.descriptor(), _escape))


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def made_by(name: str) -> Text:
    """Provenance line for captions: the function, the data it read and the data version."""
    return Text(artifacts.provenance(name, cache.descriptor().get("version", "unknown")))
