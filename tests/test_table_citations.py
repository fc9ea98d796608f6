"""No table the book shows prints a raw bibliography key: sources reach the reader as citations
(``[@key]``, which Quarto resolves), never as keys such as ``seed000participation``. And only
what a table's builder marks as citing cites (issue 24): a key inside data text (a description,
a source's title, a note) is shown as the text it is."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import escape, paths
from analysis.book import tables
from analysis.data import codebook, datapackage
from analysis.pipeline import store
from analysis.pipeline.store import entries, registry

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
    table = {"columns": ["Event", "Source"], "rows": [[sentence, sources]], "cite": ["Source"]}
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


# --- only what a builder marks cites (issue 24) ----------------------------------------------
KEY = "mattis2011public"
OTHER = "peoplesdaily2011police"


def _table(**extra: object) -> dict:
    """A stored table: a description from data beside a column of keys, and a note from data."""
    return {
        "columns": ["description", "Source"],
        "rows": [[f"as {KEY} reports, see ({OTHER})", f"{KEY}; {OTHER}"]],
        "note": f"Notes from the data name {KEY}.",
        **extra,
    }


def _cells(markdown: str) -> list[str]:
    row = markdown.splitlines()[2]
    return [cell.strip() for cell in row.strip("|").split(" | ")]


def test_a_key_in_an_unmarked_cell_prints_as_text() -> None:
    shown = tables.to_markdown(_table())
    assert "[@" not in shown and "@" not in shown.replace("\\@", "")
    description, source = _cells(shown)
    assert description == escape.table_cell(f"as {KEY} reports, see ({OTHER})")
    assert source == escape.table_cell(f"{KEY}; {OTHER}")
    assert raw_keys(shown) == sorted([KEY, OTHER])  # the reader sees the text as written


def test_a_key_in_a_marked_column_becomes_a_citation() -> None:
    shown = tables.to_markdown(_table(cite=["Source"]))
    description, source = _cells(shown)
    assert source == f"[@{KEY}; @{OTHER}]"
    assert "@" not in description.replace("\\@", "")  # the next column is still data text
    assert raw_keys(source) == []


def test_a_key_in_a_note_from_data_stays_text_and_the_builder_s_keys_cite() -> None:
    plain = tables.to_markdown(_table(cite=["Source"]))
    note = plain.split("::: {.table-note}\n")[1].removesuffix("\n:::\n")
    assert note == escape.inline(f"Notes from the data name {KEY}.")
    cited = tables.to_markdown(_table(note_cite=[OTHER]))
    note = cited.split("::: {.table-note}\n")[1].removesuffix("\n:::\n")
    assert note == escape.inline(f"Notes from the data name {KEY}.") + f" [@{OTHER}]"
    alone = tables.to_markdown(_table(note=None, note_cite=[OTHER]))
    assert alone.endswith(f"::: {{.table-note}}\n[@{OTHER}]\n:::\n")


@pytest.mark.parametrize("key", ["", "a]b", "@a", "a b", "1a", "a;b"])
def test_a_note_citation_accepts_keys_only(key: str) -> None:
    with pytest.raises(ValueError, match="is not a bibliography key"):
        tables.to_markdown(_table(note_cite=[key]))


def test_a_table_stored_without_citing_columns_cites_nothing() -> None:
    """A table.json of the earlier format (no ``cite``) shows its keys as text, never cites."""
    old = {"columns": ["Source"], "rows": [[KEY]], "note": KEY}
    assert "[@" not in tables.to_markdown(old)


def test_column_widths_measure_unmarked_keys_as_the_text_they_print() -> None:
    keys = "; ".join(sorted(datapackage.bib_keys(), key=len, reverse=True)[:4])
    rows = [[keys, keys]]
    text, source = tables.column_widths(["Text", "Source"], rows, cite=["Source"])
    assert text > source  # the same keys: as text they print in full, as citations briefly
    unmarked = tables.column_widths(["Text", "Source"], rows)
    assert unmarked[0] == unmarked[1]  # unmarked, both columns are the same text


def test_the_store_keeps_what_the_builder_marked_and_refuses_what_it_cannot_keep() -> None:
    frame = pd.DataFrame({"description": [f"see {KEY}"], "Source": [KEY]})
    assert entries.table_text(frame, None)["cite"] == []
    frame.attrs.update(cite=["Source"], note_cite=[OTHER])
    stored = entries.table_text(frame, "a note")
    assert (stored["cite"], stored["note_cite"]) == (["Source"], [OTHER])
    assert tables.to_markdown(stored).count("[@") == 2
    frame.attrs["cite"] = ["Sources"]
    with pytest.raises(ValueError, match="columns the table does not have"):
        entries.table_text(frame, None)
    frame.attrs.update(cite=[], note_cite=["@x"])
    with pytest.raises(ValueError, match="not a bibliography key"):
        entries.table_text(frame, None)


def test_a_codebook_description_naming_a_key_prints_as_text(
    package_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A field description is data: a key in it is shown, never cited."""
    descriptor = json.loads((package_copy / "datapackage.json").read_text(encoding="utf-8"))
    field = descriptor["resources"][0]["schema"]["fields"][0]
    field["description"] = f"Codes as listed by [{KEY}] and @{OTHER}."
    (package_copy / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    monkeypatch.setattr(paths, "data", package_copy)
    monkeypatch.setattr(paths, "datapackage", package_copy / "datapackage.json")
    shown = tables.to_markdown(entries.table_text(codebook.codebook(), None))
    assert "[@" not in shown and "@" not in shown.replace("\\@", "")
    assert escape.table_cell(field["description"]) in shown


def test_a_source_without_a_key_is_named_in_the_note_as_text(
    package_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data-files table cites its sources' keys; a source a user names by title only (its
    title may name a key) is listed in the note as the text it is."""
    descriptor = json.loads((package_copy / "datapackage.json").read_text(encoding="utf-8"))
    resource = descriptor["resources"][0]
    resource["sources"].append({"title": f"Our crawl, after {KEY}"})
    (package_copy / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    monkeypatch.setattr(paths, "data", package_copy)
    monkeypatch.setattr(paths, "datapackage", package_copy / "datapackage.json")
    frame = codebook.resources()
    keys = [s["bibkey"] for s in resource["sources"] if "bibkey" in s]
    assert frame.loc[0, "sources"] == "; ".join(keys)
    assert f"{resource['name']}: Our crawl, after {KEY}" in frame.attrs["note"]
    shown = tables.to_markdown(entries.table_text(frame, frame.attrs["note"]))
    note = shown.split("::: {.table-note}\n")[1]
    assert "[@" not in note
    assert f"[@{'; @'.join(keys)}]" in shown
