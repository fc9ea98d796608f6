"""No table the book shows prints a raw bibliography key: sources reach the reader as citations
(``[@key]``, which Quarto resolves), never as keys such as ``seed000participation``."""

from __future__ import annotations

import re

import pytest

from analysis import paths
from analysis.book import tables
from analysis.build import artifacts, cache

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
    "name", sorted(n for n, a in artifacts.REGISTRY.items() if a.kind == "table")
)
def test_no_table_output_contains_a_raw_bibliography_key(name: str) -> None:
    shown = tables.to_markdown(cache.table(name))
    assert raw_keys(shown) == [], f"{name} prints bibliography keys instead of citations"
