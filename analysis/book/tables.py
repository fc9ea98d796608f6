"""Tables for the book as Pandoc pipe tables: Quarto parses them as its own tables (styling,
cross-references, every output format, PDF included), and no HTML output reaches the page.

A table arrives from the store as display text (``{"columns", "rows", "note", "cite",
"note_cite"}``, see analysis.pipeline.store.entries). Every header, cell and note goes through
the book's one escaping policy (analysis.escape), so data can never inject markup.

Citations come only from where the table's builder said so, never from what a text happens to
contain (cells and notes carry text from data: a description that names a bibliography key is
shown as that text). The builder lists the columns whose cells are bibliography keys
(``frame.attrs["cite"]``, stored as ``"cite"``): in those cells, and in no other, each key of
references.bib becomes a Pandoc citation (``cited``). A note is always plain text; the keys the
builder lists in ``frame.attrs["note_cite"]`` (stored as ``"note_cite"``) are appended to it
as one citation. A table stored without these lists cites nothing.

The other piece of markup a cell may gain is a link: a cell whose whole text is a book location
such as ``chapters/03-coverage.qmd#sec-coverage`` (the form the findings registry uses for
"shown in") becomes a Markdown link to that ``.qmd`` file *relative to the chapter being
rendered* (Quarto rewrites ``.qmd`` links to the rendered page, so they work below any path and
from disk). The pattern admits only letters, digits and ``._-/#``, so the target cannot carry
markup either.

Pandoc gives a pipe table relative column widths from the dashes of its separator line when a
row is wider than the page. The dashes give every column at least its longest word, so no word
is broken or overflows its cell, and share what is left of a line of ``LINE`` characters in
proportion to how much more each column's longest text wants (bounded). Text is measured as the
reader sees it: a citation counts as the few characters it prints, not as its keys. A column
whose every cell is a number is right-aligned, every other column left-aligned: said
explicitly, since the PDF would otherwise centre cells. Built by hand rather than with pandas
(``DataFrame.to_markdown`` needs tabulate and does not escape) so that chapters never import pandas.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

from analysis import escape, paths
from analysis.data import datapackage

BOOK_LOCATION = re.compile(
    r"(?P<path>(?:chapters/)?[A-Za-z0-9_-]+\.qmd)(?:#(?P<anchor>[A-Za-z][A-Za-z0-9_-]*))?"
)
_NUMBER = re.compile(r"[-+−]?(?:\d[\d,]*)?(?:\.\d+)?(?:[eE][-+]?\d+)?%?")
_MIN_DASHES, _MAX_DASHES = 3, 60
LINE = 90  # characters of a table line the column widths share (a page or a screen, roughly)
# Characters one cited work takes on the page, roughly: "[18]" in the PDF, "(Yin 2010)" online.
_CITED_WIDTH = 10


def location_link(text: str, here: Path | None = None) -> str | None:
    """A book location as a Markdown link relative to the folder ``here`` (the rendering
    chapter's folder: the kernel's working directory); None if ``text`` is not one."""
    match = BOOK_LOCATION.fullmatch(text)
    if match is None:
        return None
    path, anchor = match["path"], match["anchor"]
    page = path.removeprefix("chapters/").removesuffix(".qmd")
    label = f"{page} § {anchor.removeprefix('sec-')}" if anchor else page
    here = (here or Path.cwd()).resolve()
    target = Path(os.path.relpath(paths.root.resolve() / path, here)).as_posix()
    href = target + (f"#{anchor}" if anchor else "")
    return f"[{escape.inline(label)}]({href})"


def column_widths(
    columns: list[str], rows: list[list[str]], cite: Collection[str] = ()
) -> list[int]:
    """Each column's share of a ``LINE``-character line, as separator dashes (see above);
    ``cite`` names the columns whose keys print as citations (every other text as itself)."""
    needs, wants = [], []
    for i, name in enumerate(columns):
        measure = _shown if name in cite else str
        shown = [name] + [measure(row[i]) for row in rows if i < len(row)]
        need = max(len(word) for text in shown for word in [*text.split(), ""])
        need = min(_MAX_DASHES, max(_MIN_DASHES, need))
        needs.append(need)
        wants.append(max(need, min(_MAX_DASHES, max(len(text) for text in shown))))
    spare, extra = LINE - sum(needs), sum(wants) - sum(needs)
    if spare >= extra:
        return wants
    if spare <= 0:
        return needs
    return [n + round((w - n) * spare / extra) for n, w in zip(needs, wants, strict=True)]


def _shown(text: str) -> str:
    """A cell's text as printed, near enough: each cited work as ``_CITED_WIDTH`` letters."""
    pattern = _citation_pattern()
    if pattern is None:
        return text
    return pattern.sub(
        lambda match: " ".join("x" * _CITED_WIDTH for _ in _keys(match)),
        text,
    )


def _cell(text: str, here: Path | None, citing: bool) -> str:
    """One cell: a book location as a link; keys as citations only in a citing column."""
    found = location_link(text, here)
    if found is not None:
        return found
    return cited(text, escape.table_cell) if citing else escape.table_cell(text)


def citation(keys: Iterable[str]) -> str:
    """``[@a; @b]`` for bibliography keys the code names; '' for none. A key that could carry
    markup is an error, not text (keys admit only ``[A-Za-z0-9_:-]``, starting with a letter)."""
    keys = list(keys)
    for key in keys:
        if not isinstance(key, str) or not datapackage.CITABLE_KEY.fullmatch(key):
            raise ValueError(f"{key!r} is not a bibliography key")
    return "[" + "; ".join(f"@{k}" for k in keys) + "]" if keys else ""


def cited(text: str, escaper: Callable[[str], str]) -> str:
    """Text with every key of references.bib in it shown as a Pandoc citation (``[@key]``,
    which Quarto renders from the bibliography), the rest escaped by ``escaper``. Only for text
    a builder marked as citing (a ``cite`` column): data text elsewhere is never scanned.

    Keys next to each other (``a; b``) become one citation ``[@a; @b]``; brackets or
    parentheses around keys are folded into the citation's own. Only keys that exist in
    references.bib are recognised, and they admit only ``[A-Za-z0-9_:-]``, so a citation
    cannot carry markup.
    """
    pattern = _citation_pattern()
    if pattern is None:
        return escaper(text)
    out, position = [], 0
    for match in pattern.finditer(text):
        keys = _keys(match)
        out += [
            escaper(text[position : match.start()]),
            "[" + "; ".join(f"@{k}" for k in keys) + "]",
        ]
        position = match.end()
    out.append(escaper(text[position:]))
    return "".join(out)


def _keys(match: re.Match[str]) -> list[str]:
    """The keys of one citation found by the citation pattern (``a; b`` or ``a, b``)."""
    return re.split(r"\s*[;,]\s*", match["keys"])


@functools.cache
def _citation_pattern_for(keys: frozenset[str]) -> re.Pattern[str] | None:
    safe = sorted((k for k in keys if re.fullmatch(r"[A-Za-z0-9_:-]+", k)), key=len, reverse=True)
    if not safe:
        return None
    key = "(?:" + "|".join(map(re.escape, safe)) + ")"
    return re.compile(rf"(?<![\w@])[\[(]?(?P<keys>{key}(?:\s*[;,]\s*{key})*)(?![\w-])[\])]?")


def _citation_pattern() -> re.Pattern[str] | None:
    if not paths.references_bib.exists():
        return None
    return _citation_pattern_for(datapackage.bib_keys())


def _is_number(text: str) -> bool:
    return (
        bool(text)
        and _NUMBER.fullmatch(text.strip()) is not None
        and any(c.isdigit() for c in text)
    )


def to_markdown(table: dict[str, Any], here: Path | None = None) -> str:
    """A stored table as a pipe table, every cell escaped (keys cited in the columns listed in
    ``cite`` only), then its escaped note (if any) and the citation of its ``note_cite`` keys
    as a paragraph of class ``table-note``."""
    columns = [str(c) for c in table["columns"]]
    rows = [[str(cell) for cell in row] for row in table["rows"]]
    cite = {str(c) for c in table.get("cite") or ()}
    citing = [c in cite for c in columns]
    header = [escape.table_cell(c) for c in columns]
    body = [
        [_cell(cell, here, i < len(citing) and citing[i]) for i, cell in enumerate(row)]
        for row in rows
    ]
    separator = []
    for i, width in enumerate(column_widths(columns, rows, cite)):
        values = [row[i] for row in rows if i < len(row)]
        dashes = "-" * width
        numeric = bool(values) and all(_is_number(v) for v in values if v)
        separator.append(dashes[:-1] + ":" if numeric and any(values) else ":" + dashes[1:])
    lines = [_row(header), _row(separator), *(_row(cells) for cells in body)]
    out = "\n".join(lines)
    said = escape.inline(table.get("note") or "")
    note = " ".join(filter(None, [said, citation(table.get("note_cite") or ())]))
    if note:
        out += "\n\n::: {.table-note}\n" + note + "\n:::"
    return out + "\n"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
