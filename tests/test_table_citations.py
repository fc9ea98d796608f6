"""No table the book shows prints a raw bibliography key: sources reach the reader as citations
(``[@key]``, which Quarto resolves), never as keys such as ``seed000participation``."""

from __future__ import annotations

import re

import pytest

from analysis import paths
from analysis.book import tables
from analysis.data import datapackage
from analysis.pipeline import store
from analysis.pipeline.store import registry

BIB_KEYS = frozenset(re.findall(r"^@\w+\{([^,\s]+),", paths.references_bib.read_text(), re.M))


def raw_keys(markdown: str) -> list[str]:
    """Bibliography keys in Markdown other than as Pandoc citations (``@key``)."""
    text = re.sub(r"\\(.)", r"\1", markdown)  # the book's escaping, undone
    text = re.sub(r"@[A-Za-z][A-Za-z0-9_:-]*", " ", text)
    return sorted(k for k in BIB_KEYS if re.search(rf"(?<![\w@]){re.escape(k)}(?!\w)", text))


def test_raw_keys_finds_keys_but_not_citations() -> None:
    assert raw_keys("source: seed 000 [seed000participation]") == ["seed000participation"]
    assert raw_keys("mattis2011public; peoplesdaily2011police") == [
        "mattis2011public",
        "peoplesdaily2011police",
    ]
    assert raw_keys("as reported [@mattis2011public; @peoplesdaily2011police]") == []
    assert raw_keys("seed000participationx") == []


@pytest.mark.parametrize(
    "name", sorted(n for n, a in registry.REGISTRY.items() if a.kind == "table")
)
def test_no_table_output_contains_a_raw_bibliography_key(name: str) -> None:
    shown = tables.to_markdown(store.table(name))
    assert raw_keys(shown) == [], f"{name} prints bibliography keys instead of citations"


def test_column_widths_count_a_citation_as_what_it_prints() -> None:
    """Pandoc sizes columns by the separator's dashes: a column of long key names must not
    take the room a column of sentences needs (a citation prints as "[3]" or "(Yin 2010)")."""
    long_keys = sorted(datapackage.bib_keys(), key=len, reverse=True)[:4]
    sources = "; ".join(long_keys)
    sentence = "A police bureau opens an account and says why."
    assert len(sources) > len(sentence)  # as typed, the keys are the longer text
    table = {"columns": ["Event", "Source"], "rows": [[sentence, sources]], "note": ""}
    separator = tables.to_markdown(table).splitlines()[1]
    event, source = (cell.strip() for cell in separator.strip("|").split("|"))
    assert event.startswith(":") and source.startswith(":")  # text: left-aligned, said so
    assert len(source) < len(event)


def test_every_column_keeps_room_for_its_longest_word() -> None:
    sentence = "Beijing police formally open the Safe Beijing blog after a test period. " * 3
    columns = ["Date", "Event", "Level", "Certainty"]
    rows = [["25 Feb 2010", sentence, "prefecture", "documented"]] * 3
    widths = tables.column_widths(columns, rows)
    assert widths[2] >= len("prefecture") and widths[3] >= len("documented")
    assert widths[1] == max(widths)  # the sentences get the room that is left
    assert sum(widths) <= tables.LINE + len(columns)  # the shares fit one line (rounding)
    short = tables.column_widths(["a", "b"], [["x", "y"]])
    assert short == [3, 3]  # a narrow table keeps the minimum dashes
