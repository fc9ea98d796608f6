"""_quarto.yml: the book Quarto renders needs nothing from the network and says what it needs.

The first real render loaded require.js and jQuery from CDNs (for text/html cell outputs, which
tests/test_chapters_execute.py now forbids), the cosmo theme's web font from Google and MathJax
from jsDelivr. What the configuration decides is pinned here; the rest is in the chapters.
"""

from __future__ import annotations

import importlib.util
import re

import typst
import yaml
from fontTools.ttLib import TTFont

from analysis import paths


def config() -> dict:
    return yaml.safe_load(paths.quarto_config.read_text(encoding="utf-8"))


def html() -> dict:
    return config()["format"]["html"]


def test_equations_need_no_script_from_a_cdn() -> None:
    # mathjax and katex load from a CDN; webtex fetches images. MathML is drawn by the browser.
    assert html().get("html-math-method") in ("mathml", "plain")


def test_the_theme_fetches_no_web_font() -> None:
    theme = html()["theme"]
    layers = theme if isinstance(theme, list) else [theme]
    own = [paths.root / layer for layer in layers if str(layer).endswith(".scss")]
    assert own, "cosmo alone imports its font from fonts.googleapis.com"
    text = "\n".join(file.read_text(encoding="utf-8") for file in own)
    defaults = text.split("/*-- scss:defaults --*/", 1)[1].split("/*-- scss:rules --*/")[0]
    assert re.search(r"^\$web-font-path:\s*false\s*;", defaults, re.MULTILINE)


def test_no_url_in_the_configuration_but_quartos_own() -> None:
    text = paths.quarto_config.read_text(encoding="utf-8")
    urls = re.findall(r"https?://[^\s\"')]+", text)
    assert urls == []
    for css in [paths.root / "styles.css", paths.root / "theme.scss"]:
        body = css.read_text(encoding="utf-8")
        assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", body), css.name


def test_the_book_offers_its_pdf_and_states_the_quarto_it_needs() -> None:
    found = config()
    assert set(found["format"]) == {"html", "typst"}
    assert found["book"]["downloads"] == ["pdf"]
    assert re.fullmatch(r">=\s*1\.(9|\d{2,})(\.\d+)*", found["quarto-required"])
    assert "repo-url" not in found["book"]  # no public repository yet: no links to nowhere


# --- Chinese characters in the PDF --------------------------------------------------------

FONT = paths.root / "fonts" / "DroidSansFallback-GB2312.ttf"


def _subset_tool():
    spec = importlib.util.spec_from_file_location(
        "subset_cjk_font", paths.root / "tools" / "subset_cjk_font.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_pdf_finds_the_chinese_fallback_font() -> None:
    paths_listed = config()["format"]["typst"]["font-paths"]
    assert [paths.root / p for p in paths_listed] == [FONT.parent]
    assert FONT.is_file() and (FONT.parent / "LICENSE-Apache-2.0.txt").is_file()


def test_every_chinese_character_of_the_sources_is_in_the_font() -> None:
    covered = set(map(chr, TTFont(FONT).getBestCmap()))
    used = _subset_tool().used_in_sources()
    assert used, "the sources hold Chinese text (glossary, province names, references)"
    missing = "".join(sorted(used - covered))
    assert not missing, f"run tools/subset_cjk_font.py again: the font lacks {missing}"


def test_typst_draws_chinese_with_the_bundled_font(tmp_path) -> None:
    (tmp_path / "page.typ").write_text(
        "#set page(width: 10cm, height: auto)\nWeibo (微博), MPS (公安部).\n", encoding="utf-8"
    )
    pdf, warnings = typst.compile_with_warnings(
        str(tmp_path / "page.typ"), font_paths=[str(FONT.parent)]
    )
    assert not warnings
    assert b"DroidSansFallback" in pdf  # the Chinese glyphs come from the bundled font


def _typst_header() -> str:
    includes = config()["format"]["typst"]["include-in-header"]
    return "\n".join(item["text"] for item in includes)


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_long_tables_continue_on_the_next_page_of_the_pdf(tmp_path) -> None:
    """Pandoc puts every captioned table in a figure, which Typst keeps on one page unless told
    otherwise: the timeline and the findings tables would run off the page."""
    rows = "\n".join(f"  [{i}], [An event of the timeline, row {i}]," for i in range(120))
    body = f"#figure(table(columns: 2,\n{rows}\n), kind: table, caption: [A long table])\n"
    (tmp_path / "plain.typ").write_text(body, encoding="utf-8")
    (tmp_path / "book.typ").write_text(_typst_header() + "\n" + body, encoding="utf-8")
    assert _pages(typst.compile(str(tmp_path / "plain.typ"))) == 1  # what Typst does unasked
    pdf, warnings = typst.compile_with_warnings(str(tmp_path / "book.typ"))
    assert not warnings
    assert _pages(pdf) > 1


# --- cross-references and citations in the PDF -------------------------------------------

# The book template's numbering (Quarto's Typst book, orange-book): chapters "3.", sections
# "3.1", appendices "A." after the appendix heading resets the counter.
TEMPLATE_NUMBERING = """
#set heading(numbering: (..nums) => {
  let vals = nums.pos()
  if vals.len() == 1 { numbering("1.", ..vals) } else { numbering("1.1", ..vals) }
})
#show heading.where(level: 1): set heading(supplement: [Chapter])
"""
APPENDIX_NUMBERING = """
#counter(heading).update(0)
#show heading.where(level: 1): set heading(supplement: [Appendix])
#set heading(numbering: (..nums) => {
  let vals = nums.pos()
  if vals.len() == 1 { str(numbering("A.1", ..vals)) + "." } else { numbering("A.1", ..vals) }
})
"""


def _html_text(tmp_path, body: str, *, header: bool = True) -> str:
    """The document compiled by Typst to HTML, tags removed (what a reader reads)."""
    (tmp_path / "doc.typ").write_text(
        (_typst_header() if header else "") + "\n" + body, encoding="utf-8"
    )
    html_text = typst.compile(str(tmp_path / "doc.typ"), format="html").decode("utf-8")
    body_html = html_text.split("<body>", 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", body_html)).replace("\xa0", " ")


def test_pdf_cross_references_to_chapters_and_appendices_read_as_sentences(tmp_path) -> None:
    body = (
        TEMPLATE_NUMBERING
        + "= Context <sec-context>\n== Growth <sec-growth>\n"
        + "See @sec-context and @sec-growth (@sec-context).\n"
        + APPENDIX_NUMBERING
        + "= Findings <sec-findings>\n(@sec-findings) and @sec-context.\n"
    )
    before = _html_text(tmp_path, body, header=False)
    assert "(Chapter 1.)" in before  # what Typst prints with the template alone
    text = _html_text(tmp_path, body)
    assert "See Chapter 1 and Section 1.1 (Chapter 1)." in text
    assert "(Appendix A) and Chapter 1." in text
    assert "1. Context" in text and "A. Findings" in text  # the headings keep their numbers


def test_pdf_cites_author_date_like_the_html_book(tmp_path) -> None:
    """Pandoc cites author-date in the HTML book (its default, Chicago author-date); the PDF
    must cite the same way, not by number."""
    style = config()["format"]["typst"]["bibliographystyle"]
    (tmp_path / "references.bib").write_bytes(paths.references_bib.read_bytes())
    body = (
        f'#set bibliography(style: "{style}")\n'
        'As reported #cite(<ma2014chinadaily>).\n#bibliography("references.bib")\n'
    )
    text = _html_text(tmp_path, body, header=False)
    assert "As reported (Ma 2014)." in text
    assert "[1]" not in text


def test_pdf_bibliography_follows_the_references_heading_without_a_stray_header(tmp_path) -> None:
    """The list comes under the references chapter's heading (no "Bibliography" heading of
    its own), and the heading counter is reset, so the template's running header no longer
    names the last appendix ("C. References", "C.5 Using your own data") above the list."""
    (tmp_path / "references.bib").write_bytes(paths.references_bib.read_bytes())
    body = (
        TEMPLATE_NUMBERING
        + APPENDIX_NUMBERING
        + "= Reproducibility\n== Using your own data\n"
        + "#heading(level: 1, numbering: none)[References]\n#cite(<ma2014chinadaily>)\n"
        + '#bibliography("references.bib")\n'
        + "#context [counter after the list: #counter(heading).get().first()]\n"
    )
    text = _html_text(tmp_path, body)
    assert "Bibliography" not in text
    assert "counter after the list: 0" in text
    assert "Govt Blogs Have Work to Do" in text  # the list itself is there


def test_pdf_table_notes_are_set_flush_left(tmp_path) -> None:
    """The book template centres a figure's content; in a table float (Quarto's kind) the note
    below the table is set flush left. The last line of a note starts at the left edge of the
    float then, instead of in the middle."""
    template = "#show figure: it => align(center)[#it]\n#set page(width: 16cm, height: auto)\n"
    note = (
        "A note long enough to fill more than one line of the page, so that its last line is "
        "short: here is one. \\ #context metadata(here().position().x.pt())Short."
    )
    floats = (
        f'#figure([#table(columns: 2)[a][b]\n\n{note}], kind: "quarto-float-tbl",'
        ' supplement: "Table", caption: [A table])\n'
    )
    (tmp_path / "doc.typ").write_text(_typst_header() + template + floats, encoding="utf-8")
    (tmp_path / "plain.typ").write_text(template + floats, encoding="utf-8")
    flush = typst.query(str(tmp_path / "doc.typ"), "metadata", field="value", one=True)
    centred = typst.query(str(tmp_path / "plain.typ"), "metadata", field="value", one=True)
    assert float(flush) < float(centred) - 50
