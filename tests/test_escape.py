"""Hostile data text arrives inert on every route into the book (issue 14), and ordinary text
reads as it was written.

Routes: inline values (``book.value`` of a string, ``book.raw`` when displayed), table headers,
cells and notes (``book.table``), provenance lines (``book.made_by``), the data callouts
(``book.data_note`` through analysis.book.labels) and text drawn into figures
(``escape.figure_text``). The Markdown each route produces is parsed with a real CommonMark
parser (markdown-it, whose backslash escapes are Pandoc's): no tag, link, image, code span or
emphasis may come out of data, and the visible text must equal the data. Quarto's own syntax
(shortcodes, citations, math, attributes, divs), which CommonMark does not know, is checked on
the Markdown text: each of its opening characters must be backslash-escaped.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from analysis import book, escape
from analysis.book import labels, tables
from analysis.data import labels as data_labels
from analysis.pipeline import store
from analysis.pipeline.store import registry

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(document.cookie)">',
    "<a href='javascript:alert(1)'>click</a>",
    "[click](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "{{< env HOME >}}",
    "{{< meta title >}}",
    "{{{< var x >}}}",
    "@smith2020 and [@smith2020, p. 3]",
    "$x^2$ and $$y$$",
    "`code` and ``more``",
    "<!-- hidden --> after",
    "a | b || c",
    "\u202eevil\u202c and \u2066isolate\u2069 \u200f",
    "*em* _u_ **strong** ~~del~~ ^sup^ ~sub~",
    "# heading",
    "1. item",
    "- item",
    "> quote",
    "::: {.callout-warning}",
    "text {#sec-x .class}",
    "&lt;script&gt; &amp;",
    "back\\slash \\* \\",
    "line one\n\nline two\r\n# heading",
    "nul\x00 bell\x07 del\x7f",
    "https://evil.example/?a=1&b=2",
    "[^note]",
    "\\(x\\) \\[y\\]",
]
ORDINARY = ["Beijing (北京)", "45%", "1,234", "Ji'nan", "Zhaoqing, Guangdong", "12.5", "-3"]

MD = MarkdownIt("commonmark").enable("table")
FORBIDDEN_TOKENS = {
    "html_inline",
    "html_block",
    "link_open",
    "image",
    "code_inline",
    "code_block",
    "fence",
    "em_open",
    "strong_open",
    "heading_open",
    "bullet_list_open",
    "ordered_list_open",
    "blockquote_open",
    "hr",
}
# Characters that open Quarto or Pandoc syntax CommonMark does not know.
QUARTO_OPENERS = "{}@$<>[]`:^~!#*_\\|"


def visible(data: str) -> str:
    """What a reader should see for ``data``: line breaks as spaces, controls as marks."""
    text = re.sub(r"\r\n|[\r\n]", " ", data).replace("\t", " ")
    guard = escape.WORD_JOINER if escape.TYPST_LINE_START.match(text) else ""
    return guard + "".join(
        f"<U+{ord(c):04X}>"
        if c in escape.BIDI_CONTROLS or ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0
        else c
        for c in text
    )


def tokens(markdown: str) -> list:
    found = []
    for token in MD.parse(markdown):
        found.append(token)
        found += token.children or []
    return found


def text_of(markdown: str) -> str:
    """The text a reader sees (inline tokens' text, entities decoded)."""
    return "".join(t.content for t in tokens(markdown) if t.type == "text")


def assert_inert_markdown(markdown: str) -> None:
    kinds = {t.type for t in tokens(markdown)}
    assert not kinds & FORBIDDEN_TOKENS, (markdown, kinds & FORBIDDEN_TOKENS)
    assert_quarto_inert(markdown)


def assert_quarto_inert(markdown: str) -> None:
    """Every character that could open Pandoc or Quarto syntax is backslash-escaped."""
    for i, char in enumerate(markdown):
        if char in QUARTO_OPENERS and char != "\\":
            backslashes = len(markdown[:i]) - len(markdown[:i].rstrip("\\"))
            assert backslashes % 2 == 1, f"unescaped {char!r} at {i} in {markdown!r}"


@pytest.mark.parametrize("data", HOSTILE + ORDINARY)
def test_inline_text_is_inert_and_reads_as_written(data: str) -> None:
    markdown = escape.inline(data)
    assert "\n" not in markdown and "\r" not in markdown
    assert not set(markdown) & escape.BIDI_CONTROLS
    assert_inert_markdown(markdown)
    assert text_of(markdown) == visible(data)


@pytest.mark.parametrize("data", ORDINARY)
def test_ordinary_text_needs_no_escape_where_none_is_needed(data: str) -> None:
    assert MD.renderInline(escape.inline(data)) == html.escape(data, quote=True).replace(
        "&#x27;", "'"
    )
    assert escape.inline("45%") == "45%" and escape.inline("1,234") == "1,234"


@pytest.fixture
def hostile_values(monkeypatch: pytest.MonkeyPatch) -> dict:
    stored = {f"s{i}": text for i, text in enumerate(HOSTILE + ORDINARY)}
    stored.update({"share": 0.4512, "count": 1234567, "ratio": 2.0})
    monkeypatch.setattr(store, "values", lambda name: stored)
    return stored


def test_book_value_escapes_strings_and_keeps_numbers_readable(hostile_values) -> None:
    for key, data in hostile_values.items():
        if isinstance(data, str):
            shown = book.value("x.values", key, "{}")
            assert_inert_markdown(shown)
            assert text_of(shown) == visible(data)
            assert shown._repr_markdown_() == shown
    assert book.value("x.values", "share", "{:.0%}") == "45%"
    assert book.value("x.values", "count") == "1,234,567"
    assert text_of(book.value("x.values", "ratio", "{:.2f}")) == "2.00"


def test_book_raw_is_the_data_in_code_but_displays_escaped(hostile_values) -> None:
    shown = book.raw("x.values", "s0")
    assert shown == HOSTILE[0] and shown.startswith("<script>")  # the data itself, in code
    assert_inert_markdown(shown._repr_markdown_())
    assert_inert_markdown(repr(shown))  # text/plain, which Quarto inserts unescaped
    assert book.raw("x.values", "count") == 1234567


def table_markdown(monkeypatch: pytest.MonkeyPatch, rows: list[list[str]], note: str) -> str:
    stored = {"columns": [HOSTILE[0], "n"], "rows": rows, "note": note}
    monkeypatch.setattr(store, "table", lambda name: stored)
    return book.table("x.table")


def test_book_table_is_a_pipe_table_with_inert_cells_and_note(monkeypatch) -> None:
    rows = [[data, str(i)] for i, data in enumerate(HOSTILE + ORDINARY)]
    out = table_markdown(monkeypatch, rows, note=" ".join(HOSTILE))
    assert out._repr_markdown_() == out
    table, _, note = out.partition("\n\n")
    parsed = tokens(table)
    assert [t.type for t in parsed].count("tr_open") == 1 + len(rows)  # no row broken
    cells = [t for t in parsed if t.type == "inline"]
    assert [text_of(c.content) for c in cells] == [
        visible(HOSTILE[0]),
        "n",
        *(text for i, data in enumerate(HOSTILE + ORDINARY) for text in (visible(data), str(i))),
    ]
    for cell in cells:  # the parser has already turned each cell's \\| into |
        assert not {t.type for t in cell.children} & FORBIDDEN_TOKENS, cell.content
    header, _, *lines = table.splitlines()
    for line in [header, *lines]:  # each cell's text, split on the delimiters " | "
        for cell in line.removeprefix("| ").removesuffix(" |").split(" | "):
            assert_quarto_inert(cell)
    assert note.startswith("::: {.table-note}\n") and note.endswith("\n:::\n")
    body = note.removeprefix("::: {.table-note}\n").removesuffix("\n:::\n")
    assert_inert_markdown(body)
    assert text_of(body) == visible(" ".join(HOSTILE))


def test_numeric_columns_are_right_aligned_and_text_columns_are_not(monkeypatch) -> None:
    out = table_markdown(monkeypatch, [["a", "1,234"], ["b", "12.5%"], ["c", ""]], note="")
    separator = out.splitlines()[1]
    assert re.fullmatch(r"\| :-{2,} \| -+: \|", separator), separator


def test_book_locations_become_relative_qmd_links_and_nothing_else_does(tmp_path) -> None:
    root = Path(tables.paths.root)
    table = {
        "columns": ["shown in"],
        "rows": [
            ["chapters/03-coverage.qmd#sec-coverage"],
            ['chapters/x.qmd#sec-a"><script>alert(1)</script>'],
            ["index.qmd"],
            ["javascript:alert(1)//.qmd"],
        ],
        "note": None,
    }
    from_index = tables.to_markdown(table, here=root)
    from_chapter = tables.to_markdown(table, here=root / "chapters")
    assert "[03\\-coverage § coverage](chapters/03-coverage.qmd#sec-coverage)" in from_index
    assert "[03\\-coverage § coverage](03-coverage.qmd#sec-coverage)" in from_chapter
    assert "[index](../index.qmd)" in from_chapter and "[index](index.qmd)" in from_index
    links = [t for t in tokens(from_chapter) if t.type == "link_open"]
    assert [t.attrs["href"] for t in links] == ["03-coverage.qmd#sec-coverage", "../index.qmd"]
    assert "<script>" not in MD.render(from_chapter)


def test_made_by_escapes_descriptor_text(monkeypatch) -> None:
    name = next(iter(registry.REGISTRY))
    version = {"version": "1.0 <script>x</script> @a $b$"}
    monkeypatch.setattr(data_labels, "descriptor", lambda: version)
    monkeypatch.setattr(registry, "provenance", lambda n, v: f"Made by `m:f` from {v}.")
    monkeypatch.setattr(registry, "get", lambda n: type("A", (), {"function": "m:f"})())
    line = book.made_by(name)
    assert line.startswith("Made by `m:f` from ")
    rest = line.removeprefix("Made by `m:f` from ")
    assert_inert_markdown(rest)
    assert text_of(rest) == "1.0 <script>x</script> @a $b$."


def test_data_note_escapes_descriptor_text(monkeypatch) -> None:
    hostile = " ".join(HOSTILE[:12])
    descriptor = {
        "resources": [
            {
                "name": "posts",
                "synthetic": False,
                "collection": {"source": hostile, "period": "2020", "sampling": "all"},
            }
        ]
    }
    monkeypatch.setattr(registry, "kinds", lambda name, d: {"posts": "observed"})
    monkeypatch.setattr(data_labels, "descriptor", lambda: descriptor)
    note = book.data_note("x")
    assert note == labels.note_markdown("x", descriptor, escape.inline)
    assert "<script>" not in MD.render(note)
    assert "{{<" not in note and "@smith" not in note.replace("\\@smith", "")
    assert "\\<script\\>" in note


def test_figure_text_never_starts_mathtext_or_reorders() -> None:
    from matplotlib import cbook

    for data in HOSTILE + ORDINARY:
        shown = escape.figure_text(data)
        assert not cbook.is_math_text(shown), shown
        assert not set(shown) & escape.BIDI_CONTROLS
        assert "\n" not in shown
    assert escape.figure_text("Beijing (北京) 45%") == "Beijing (北京) 45%"


def test_rendered_by_names_quarto_only_when_quarto_executes(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("QUARTO_SHARE_PATH", raising=False)
    monkeypatch.delenv("QUARTO_PROJECT_ROOT", raising=False)
    assert book.rendered_by().startswith("This copy was not rendered by Quarto")
    (tmp_path / "version").write_text("1.10.18\n", encoding="utf-8")
    monkeypatch.setenv("QUARTO_SHARE_PATH", str(tmp_path))
    assert book.rendered_by().startswith("This copy was not rendered")  # not executing
    monkeypatch.setenv("QUARTO_PROJECT_ROOT", str(tmp_path))
    assert book.rendered_by() == "This copy of the book was rendered by Quarto 1.10.18."
    (tmp_path / "version").write_text("<script>x</script>", encoding="utf-8")
    assert "<" not in book.rendered_by() and "version not recorded" in book.rendered_by()
