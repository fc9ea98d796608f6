"""references.bib is strict BibLaTeX (Typst, which builds the PDF, rejects ``year = {n.d.}``),
and still holds every entry the book and the data cite, each with a title.

The parser below reads the file's structure (entry type, key, ``field = {value}`` with balanced
braces or ``"value"`` or a bare number) and fails on anything else, so a malformed entry is
caught here rather than by Quarto's PDF render.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import typst

from analysis import paths
from analysis.data import datapackage
from analysis.pipeline import qmd

_ENTRY = re.compile(r"@(?P<type>\w+)\s*\{\s*(?P<key>[^,\s]+)\s*,")
_FIELD = re.compile(r"\s*(?P<name>[A-Za-z][\w-]*)\s*=\s*")
# A citation in Quarto Markdown: @key, not inside an e-mail address (book_lint's rule).
_CITATION = re.compile(r"(?<![\w@.])-?@(?P<key>[A-Za-z0-9_][\w:.#$%&+?<>~/-]*)")
_CROSSREF = ("fig-", "tbl-", "sec-", "eq-", "lst-", "thm-", "lem-", "cor-", "def-")


def _value(text: str, start: int) -> tuple[str, int]:
    """A field value at ``start``: ``{...}`` (balanced), ``"..."`` or a bare word."""
    if text[start] == "{":
        depth, i = 0, start
        while i < len(text):
            if text[i] == "\\":
                i += 2
                continue
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                return text[start + 1 : i], i + 1
            i += 1
        raise ValueError(f"unbalanced braces from offset {start}")
    if text[start] == '"':
        end = text.index('"', start + 1)
        return text[start + 1 : end], end + 1
    match = re.match(r"[\w.-]+", text[start:])
    if not match:
        raise ValueError(f"no value at offset {start}: {text[start : start + 20]!r}")
    return match.group(), start + match.end()


def parse_bib(text: str) -> dict[str, dict[str, str]]:
    """``{key: {"type": ..., field: value}}``; ValueError names the line of a malformed entry."""
    entries: dict[str, dict[str, str]] = {}
    for match in _ENTRY.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        fields = {"type": match["type"].lower()}
        i = match.end()
        while True:
            field = _FIELD.match(text, i)
            if field is None:
                rest = text[i:].lstrip()
                if not rest.startswith("}"):
                    raise ValueError(
                        f"line {line}: entry {match['key']} is malformed near {rest[:30]!r}"
                    )
                break
            try:
                value, i = _value(text, field.end())
            except ValueError as exc:
                raise ValueError(f"line {line}: entry {match['key']}: {exc}") from None
            fields[field["name"].lower()] = value
            i = len(text[:i]) + (len(text[i:]) - len(text[i:].lstrip()))
            if text[i : i + 1] == ",":
                i += 1
        if match["key"] in entries:
            raise ValueError(f"line {line}: key {match['key']} defined twice")
        entries[match["key"]] = fields
    return entries


ENTRIES = parse_bib(paths.references_bib.read_text(encoding="utf-8"))


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_no_latex_quotes_that_typst_would_print_literally(key: str) -> None:
    """Typst's reader keeps `` `quoted' `` as typed, backtick included: use real quotes."""
    for name, value in ENTRIES[key].items():
        assert "`" not in value and "''" not in value, f"{key}.{name}: {value}"


def test_the_parser_reads_every_entry_the_project_knows() -> None:
    assert set(ENTRIES) == set(datapackage.bib_keys())


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_years_are_four_digits_or_absent_and_undated_works_say_so(key: str) -> None:
    entry = ENTRIES[key]
    if "year" in entry:
        assert re.fullmatch(r"\d{4}", entry["year"]), f"{key}: year = {{{entry['year']}}}"
    if "date" in entry:
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?(/\S*)?", entry["date"]), key
    if "year" not in entry and "date" not in entry:
        note = entry.get("note", "").lower()
        assert "undated" in note or re.search(r"\byear\b", note), f"{key}: no year, no note why"
    assert entry.get("title"), f"{key} has no title"


def test_a_bad_year_or_a_broken_entry_is_caught() -> None:
    bad = parse_bib("@misc{x,\n  title = {T},\n  year = {n.d.},\n}\n")
    assert not re.fullmatch(r"\d{4}", bad["x"]["year"])
    with pytest.raises(ValueError, match="line 1: entry y"):
        parse_bib("@misc{y,\n  title = {unclosed,\n}\n")


def _cited_in_book() -> set[str]:
    keys = set()
    for chapter in qmd.book_chapters():
        if chapter.suffix == ".qmd" and chapter.exists():
            text = chapter.read_text(encoding="utf-8")
            keys |= {m["key"].rstrip(".:,;?/-") for m in _CITATION.finditer(text)}
    return {k for k in keys if not k.startswith(_CROSSREF)}


def _cited_by_data() -> set[str]:
    keys = set()
    for file in sorted((paths.data / "documented").glob("*.csv")):
        with Path(file).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                for column in ("source", "source_key", "sources"):
                    for key in re.split(r"[;\s]+", row.get(column) or ""):
                        if key:
                            keys.add(key)
    return keys


def test_every_entry_the_chapters_and_the_data_cite_is_present_and_complete() -> None:
    cited = _cited_in_book() | _cited_by_data()
    assert cited, "found no citation at all: the scan is broken"
    missing = sorted(cited - set(ENTRIES))
    assert not missing, f"cited but not in references.bib: {missing}"


def _typst_document(keys: list[str]) -> str:
    cites = "\n".join(f'#cite(label("{key}"))' for key in keys)
    return f'#set page(width: 20cm, height: auto)\n{cites}\n#bibliography("references.bib")\n'


def test_typst_the_pdf_engine_reads_the_bibliography_and_cites_every_entry(tmp_path) -> None:
    """The PDF failed before on what Typst's BibLaTeX reader refused: compile a document that
    cites every entry with the Typst compiler itself (PyPI ``typst``, a dev dependency)."""
    (tmp_path / "references.bib").write_bytes(paths.references_bib.read_bytes())
    (tmp_path / "book.typ").write_text(_typst_document(sorted(ENTRIES)), encoding="utf-8")
    pdf = typst.compile(str(tmp_path / "book.typ"))
    assert pdf[:5] == b"%PDF-"


def test_typst_refuses_what_broke_the_pdf_before(tmp_path) -> None:
    (tmp_path / "references.bib").write_text(
        "@misc{undated,\n  title = {A note},\n  year = {n.d.},\n}\n", encoding="utf-8"
    )
    (tmp_path / "book.typ").write_text(_typst_document(["undated"]), encoding="utf-8")
    with pytest.raises(Exception, match="BibLaTeX"):
        typst.compile(str(tmp_path / "book.typ"))
