"""What chapters import: cached numbers, tables and figures, without importing pandas.

Every call reads an artifact from the content-addressed cache (computing it on a miss), so a
chapter costs a kernel start plus file reads. ``value`` returns text formatted for prose and
shows without quotes in Quarto's inline ``{python}`` expressions.

Call these functions with the artifact's name written out as a string literal
(``book.table("coverage.by_region")``): ``python -m analysis freeze`` reads the names from the
chapter's code to know which data and code a frozen chapter depends on. A chapter that builds
names at run time, or imports other analysis modules, is treated as depending on everything.

``tables`` renders stored tables for the page and ``escape`` is the one escaping policy for
every piece of data text a chapter shows. May import: the base modules, ``analysis.data``,
``analysis.findings`` and ``analysis.pipeline`` (the artifact store, ``analysis.pipeline.store``,
and its ``registry``); never the topics directly (their results arrive through the store) and
never ``analysis.cli``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from analysis import escape
from analysis.book import tables
from analysis.data import labels as data_labels
from analysis.errors import NotAvailable
from analysis.pipeline import store
from analysis.pipeline.store import registry
from analysis.pipeline.store.registry import READERS

__all__ = [
    "HELPERS",
    "READERS",
    "NotAvailableText",
    "Text",
    "collection",
    "data_note",
    "either",
    "figure",
    "kind",
    "made_by",
    "not_available_note",
    "raw",
    "rendered_by",
    "sample_words",
    "table",
    "value",
]

# Book functions that read no artifact (``freeze`` knows a chapter calling them reads nothing).
HELPERS = ("rendered_by",)
_VERSION = re.compile(r"\d+(?:\.\d+){1,3}")
_FUNCTION = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


class Text(str):
    """A string that displays as itself (no quotes) in inline expressions and cell output.

    Its text is Markdown the book wrote: anything taken from data inside it is escaped already
    (analysis.escape)."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        return str(self)


class DataText(str):
    """A string from data: behaves as the string in code, displays escaped (inert)."""

    def __repr__(self) -> str:
        return escape.inline(self)

    def _repr_markdown_(self) -> str:
        return escape.inline(self)


def raw(name: str, key: str) -> Any:
    """The stored value itself (a number, string, list or dict); a string displays escaped.
    When the artifact is not available with these data, ``NotAvailableText`` (a string)."""
    try:
        data = store.values(name)
    except NotAvailable as exc:
        return NotAvailableText(exc)
    try:
        found = data[key]
    except KeyError:
        # An artifact lists what these data cannot give (an outcome, a dropped model term):
        # a value named for one of them is "not available", any other missing key is a bug.
        for what, reason in (data.get("unavailable") or {}).items():
            if what in key:
                return NotAvailableText(reason)
        raise KeyError(f"artifact {name!r} has no value {key!r}; it has {sorted(data)}") from None
    return DataText(found) if isinstance(found, str) else found


def value(name: str, key: str, fmt: str = "{:,}") -> Text:
    """A stored value formatted for prose, e.g. ``value("diffusion.growth", "cagr", "{:.0%}")``;
    the text is escaped, so a string from data is shown, never interpreted."""
    stored = raw(name, key)
    if isinstance(stored, NotAvailableText):
        return stored
    if stored is None:  # an artifact stores null for a number these data cannot give
        return NotAvailableText(f"{name} has no {key} with these data")
    if isinstance(stored, DataText):
        stored = str(stored)
    try:
        return Text(escape.inline(fmt.format(stored)))
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"artifact {name!r}, value {key!r} = {stored!r} does not fit the format {fmt!r}: {exc}"
        ) from None


def table(name: str) -> Text:
    """An artifact's table as a Markdown pipe table (``text/markdown`` output) with escaped
    cells; links to book locations are relative to the chapter being executed. A callout
    saying why, when the artifact is not available with these data."""
    try:
        return Text(tables.to_markdown(store.table(name)))
    except NotAvailable as exc:
        return not_available_note(name, exc)


def figure(name: str):
    """An artifact's figure as PNG output (Quarto adds the caption and alt text from the cell)."""
    from IPython.display import Image

    try:
        return Image(filename=str(store.figure_png(name)))
    except NotAvailable as exc:
        return not_available_note(name, exc)


class NotAvailableText(Text):
    """What ``value`` and ``raw`` give for an artifact not available with these data: shows
    "not available with these data" inline; ``reason`` says why."""

    def __new__(cls, reason: Exception | str) -> NotAvailableText:
        made = super().__new__(cls, "*not available with these data*")
        made.reason = str(reason)
        return made


def not_available_note(name: str, reason: Exception | str) -> Text:
    """A callout (Markdown) in place of a result that cannot be computed on these data."""
    return Text(
        "::: {.callout-important}\n## Not available with these data\n\n"
        f"This result (`{escape.inline(name)}`) could not be computed from the data read: "
        f"{escape.inline(str(reason))}\n:::\n"
    )


def data_note(name: str) -> Text:
    """A callout (Markdown) saying whether ``name`` rests on a synthetic or an observed sample,
    read from the descriptor; empty when it reads documented data only."""
    from analysis.book import labels

    return Text(labels.note_markdown(name, data_labels.descriptor(), escape.inline))


def kind(name: str) -> str:
    """What ``name`` rests on, read from the descriptor in use: ``"synthetic"``, ``"observed"``
    or ``"documented"`` (a synthetic resource read anywhere makes it synthetic)."""
    return registry.sample_kind(name, data_labels.descriptor())


def either(name: str, synthetic: str, observed: str) -> Text:
    """Book-written Markdown that depends on the kind of sample ``name`` rests on: ``synthetic``
    when it reads a synthetic resource, else ``observed``. The one way a chapter's prose follows
    the descriptor; text from data belongs in ``collection`` or ``value``, which escape it."""
    return Text(synthetic if kind(name) == "synthetic" else observed)


def sample_words(name: str) -> Text:
    """ "the synthetic sample", "the observed sample" or "the sample": how prose names the sample
    ``name`` rests on."""
    return Text(
        {"synthetic": "the synthetic sample", "observed": "the observed sample"}.get(
            kind(name), "the sample"
        )
    )


def collection(name: str) -> Text:
    """How the observed resources ``name`` reads were collected, from the descriptor and escaped
    ("posts (source: …; collected …; sampling: …)"); empty when it reads none."""
    descriptor = data_labels.descriptor()
    kinds = registry.kinds(name, descriptor)
    said = data_labels.observed_collections(kinds, descriptor, escape.inline)
    return Text("; ".join(said))


def made_by(name: str) -> Text:
    """Provenance line for captions: the function, the data it read and the data version;
    everything but the function's name (registry code, shown as code) is escaped."""
    version = str(data_labels.descriptor().get("version", "unknown"))
    line = registry.provenance(name, version)
    function = registry.get(name).function
    span = f"`{function}`"
    before, found, after = line.partition(span)
    if not found or not _FUNCTION.fullmatch(function):
        return Text(escape.inline(line))
    return Text(escape.inline(before) + span + escape.inline(after))


def rendered_by() -> Text:
    """A sentence naming the Quarto version executing this chapter, or saying that it is not
    executed by Quarto. Quarto's launcher exports ``QUARTO_SHARE_PATH`` (whose ``version`` file
    ``quarto --version`` prints) and Quarto sets ``QUARTO_PROJECT_ROOT`` while it executes a
    document; kernels inherit both."""
    share = os.environ.get("QUARTO_SHARE_PATH")
    if share and os.environ.get("QUARTO_PROJECT_ROOT"):
        try:
            found = (Path(share) / "version").read_text(encoding="utf-8").strip()
        except OSError:
            found = ""
        if _VERSION.fullmatch(found):
            return Text(f"This copy of the book was rendered by Quarto {found}.")
        return Text("This copy of the book was rendered by Quarto (version not recorded).")
    return Text(
        "This copy was not rendered by Quarto: its chapters were executed by "
        "`python -m analysis check-book` or the test suite."
    )
