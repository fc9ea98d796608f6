"""The book's static checks: each catches a planted mistake, and the real book passes them all."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import paths
from analysis.data import datapackage
from analysis.pipeline import book_lint
from analysis.pipeline.store import registry


def provenance(name: str) -> str:
    """The provenance line ``book.made_by`` prints (unescaped)."""
    return registry.provenance(name, datapackage.read_descriptor().get("version", "unknown"))


def made_by(name: str) -> str:
    """The computed provenance line a chapter prints under a figure or table."""
    return f'\n::: {{.made-by}}\n`{{python}} book.made_by("{name}")`\n:::\n'


def checks(problems: list[book_lint.Problem]) -> list[tuple[str, str]]:
    return [(p.check, p.message) for p in problems]


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    """A writable copy of the book's sources (config, chapters, bibliography)."""
    for name in ("_quarto.yml", "index.qmd", "references.bib"):
        shutil.copy(paths.root / name, tmp_path / name)
    shutil.copytree(paths.chapters, tmp_path / "chapters")
    return tmp_path


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def planted(draft: Path, text: str) -> list[book_lint.Problem]:
    """Lint problems that appear only after ``text`` is appended to the context chapter."""
    before = {str(p) for p in book_lint.lint_book(draft)}
    append(draft / "chapters" / "01-context.qmd", text)
    return [p for p in book_lint.lint_book(draft) if str(p) not in before]


# --- the real book ------------------------------------------------------------------------------


def test_real_book_passes_every_check() -> None:
    problems = book_lint.lint_book()
    assert problems == [], "\n".join(map(str, problems))


def test_real_book_has_at_least_ten_chapters_all_listed() -> None:
    files = book_lint.book_files()
    assert len(files) >= 10
    assert all(path.exists() for path in files)


# --- listing and configuration ------------------------------------------------------------------


def test_unlisted_chapter_is_caught(draft: Path) -> None:
    (draft / "chapters" / "99-extra.qmd").write_text("# Extra\n", encoding="utf-8")
    found = checks(book_lint.check_listing(draft))
    assert ("listing", "not listed in _quarto.yml") in found


def test_listed_but_missing_chapter_is_caught(draft: Path) -> None:
    (draft / "chapters" / "08-characteristics.qmd").unlink()
    messages = [m for c, m in checks(book_lint.check_listing(draft)) if c == "listing"]
    assert "listed file chapters/08-characteristics.qmd is missing" in messages


def test_wrong_freeze_setting_is_caught(draft: Path) -> None:
    config = draft / "_quarto.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("freeze: auto", "freeze: false"), encoding="utf-8")
    messages = " ".join(m for _, m in checks(book_lint.check_listing(draft)))
    assert "execute.freeze" in messages


# --- citations and cross-references -------------------------------------------------------------


def test_unknown_citation_is_caught(draft: Path) -> None:
    found = planted(draft, "\nAs shown before [@nosuchkey2099; @mattis2011public].\n")
    assert checks(found) == [("citation", "@nosuchkey2099 not in references.bib")]


def test_narrative_citation_and_email_are_told_apart(draft: Path) -> None:
    found = planted(draft, "\n@unknownauthor2001 argued this; write to someone@example.org.\n")
    assert checks(found) == [("citation", "@unknownauthor2001 not in references.bib")]


def test_citation_in_a_caption_is_checked(draft: Path) -> None:
    cell = (
        '\n```{python}\n#| label: tbl-extra\n#| tbl-cap: "Seen in [@ghost2020]."\n'
        'book.table("data.resources")\n```\n' + made_by("data.resources")
    )
    found = planted(draft, cell)
    assert ("citation", "@ghost2020 not in references.bib") in checks(found)


def test_dangling_cross_reference_is_caught(draft: Path) -> None:
    found = planted(draft, "\nSee @fig-nowhere and @sec-context.\n")
    assert checks(found) == [("crossref", "@fig-nowhere has no target")]


def test_cross_reference_to_another_chapter_resolves(draft: Path) -> None:
    assert planted(draft, "\nSee @sec-data and @tbl-codebook.\n") == []


def test_duplicate_label_is_caught(draft: Path) -> None:
    found = planted(draft, "\n## Again {#sec-data}\n")
    assert any(c == "crossref" and "label sec-data also in" in m for c, m in checks(found))


def test_reference_inside_code_is_not_a_citation(draft: Path) -> None:
    assert planted(draft, "\n```python\nx = '@nosuchkey'  # @fig-nothing\n```\n") == []


# --- cells, captions and artifacts --------------------------------------------------------------

FIGURE = '\n```{{python}}\n#| label: fig-extra\n{options}\nbook.figure("{name}")\n```\n'


def figure_name() -> str:
    return next(name for name, art in registry.REGISTRY.items() if art.kind == "figure")


def test_figure_without_alt_text_is_caught(draft: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    art = registry.Artifact("test.figure", "analysis.test:figure", "figure", (), "test")
    monkeypatch.setitem(registry.REGISTRY, "test.figure", art)
    options = '#| fig-cap: "A figure."'
    found = planted(
        draft, FIGURE.format(options=options, name="test.figure") + made_by("test.figure")
    )
    assert checks(found) == [("cell", "fig-extra has no fig-alt")]


def test_figure_with_caption_and_alt_text_passes(draft: Path, monkeypatch) -> None:
    art = registry.Artifact("test.figure", "analysis.test:figure", "figure", (), "test")
    monkeypatch.setitem(registry.REGISTRY, "test.figure", art)
    options = '#| fig-cap: "A figure."\n#| fig-alt: "Bars."'
    shown = FIGURE.format(options=options, name="test.figure") + made_by("test.figure")
    assert planted(draft, shown) == []


def test_figure_without_computed_provenance_is_caught(draft: Path, monkeypatch) -> None:
    art = registry.Artifact("test.figure", "analysis.test:figure", "figure", (), "test")
    monkeypatch.setitem(registry.REGISTRY, "test.figure", art)
    options = '#| fig-cap: "A figure."\n#| fig-alt: "Bars."'
    found = planted(draft, FIGURE.format(options=options, name="test.figure"))
    assert len(found) == 1
    assert 'add `{python} book.made_by("test.figure")` below it' in found[0].message


@pytest.mark.parametrize(
    "typed", ["(synthetic sample)", "simulated accounts", "data package v1.1.0", "Made by x."]
)
def test_a_caption_naming_what_depends_on_the_data_is_caught(
    draft: Path, monkeypatch, typed: str
) -> None:
    art = registry.Artifact("test.figure", "analysis.test:figure", "figure", (), "test")
    monkeypatch.setitem(registry.REGISTRY, "test.figure", art)
    options = f'#| fig-cap: "A figure {typed}"\n#| fig-alt: "Bars."'
    found = planted(
        draft, FIGURE.format(options=options, name="test.figure") + made_by("test.figure")
    )
    assert len(found) == 1 and "a caption is static text" in found[0].message


def test_table_without_caption_is_caught(draft: Path) -> None:
    found = planted(
        draft, '\n```{python}\n#| label: tbl-extra\nbook.table("data.resources")\n```\n'
    )
    assert ("cell", "tbl-extra has no tbl-cap") in checks(found)


def test_table_shown_without_table_label_is_caught(draft: Path) -> None:
    text = '\n```{python}\n#| label: extra\nbook.table("data.resources")\n```\n'
    found = planted(draft, text + made_by("data.resources"))
    assert len(found) == 1
    assert "does not start with tbl-" in found[0].message


def test_unregistered_artifact_is_caught_in_cells_and_inline(draft: Path) -> None:
    text = (
        '\nThere were `{python} book.value("no.such", "count")` accounts.\n'
        '\n```{python}\n#| label: tbl-extra\n#| tbl-cap: "X."\nbook.table("nor.this")\n```\n'
    )
    messages = [m for _, m in checks(planted(draft, text))]
    assert "artifact 'no.such' is not registered" in messages
    assert "artifact 'nor.this' is not registered" in messages


def test_artifact_used_as_the_wrong_kind_is_caught(draft: Path) -> None:
    found = planted(draft, '\nVersion `{python} book.value("data.codebook", "version")`.\n')
    assert checks(found) == [("cell", "book.value('data.codebook') but 'data.codebook' is a table")]


# --- synthetic data -----------------------------------------------------------------------------


@pytest.fixture
def synthetic_table(monkeypatch: pytest.MonkeyPatch) -> str:
    # synthetic because the descriptor marks ``posts`` synthetic (read at run time)
    art = registry.Artifact("test.synthetic", "analysis.test:table", "table", ("posts",), "test")
    monkeypatch.setitem(registry.REGISTRY, "test.synthetic", art)
    return "test.synthetic"


SYNTHETIC_CELL = (
    '```{{python}}\n#| label: tbl-syn\n#| tbl-cap: "{caption}"\n'
    'book.table("test.synthetic")\n```\n\n::: {{.made-by}}\n'
    '`{{python}} book.made_by("test.synthetic")`\n:::\n'
)
CALLOUT = '```{python}\n#| output: asis\nbook.data_note("test.synthetic")\n```\n'


def test_synthetic_table_needs_a_computed_callout(draft: Path, synthetic_table) -> None:
    cell = SYNTHETIC_CELL.format(caption="Rates.")
    found = checks(planted(draft, "\n## Results {#sec-syn}\n\n" + cell))
    assert [c for c, _ in found] == ["synthetic"]
    assert "has no callout" in found[0][1]


@pytest.mark.parametrize(
    "typed", ["In the synthetic sample, rates fell.", "The simulation was told so."]
)
def test_typed_prose_assuming_the_kind_of_sample_is_caught(draft: Path, typed: str) -> None:
    found = checks(planted(draft, f"\n{typed}\n"))
    assert [c for c, _ in found] == ["synthetic"]
    assert "book.either" in found[0][1]


def test_the_bundled_generator_may_be_described_as_such(draft: Path) -> None:
    text = "\n::: {.bundled-sample}\nThe bundled sample is simulated from simulation.toml.\n:::\n"
    assert planted(draft, text) == []


def test_provenance_of_synthetic_artifact_says_synthetic_sample(synthetic_table) -> None:
    assert "(synthetic sample)" in provenance(synthetic_table)


def test_synthetic_table_with_caption_and_callout_passes(draft: Path, synthetic_table) -> None:
    section = "\n## Results {#sec-syn}\n\n" + CALLOUT + SYNTHETIC_CELL.format(caption="Rates.")
    assert planted(draft, section) == []


def test_callout_in_another_section_does_not_count(draft: Path, synthetic_table) -> None:
    section = (
        "\n## First {#sec-first}\n\n"
        + CALLOUT
        + "\n## Second {#sec-second}\n\n"
        + SYNTHETIC_CELL.format(caption="Rates.")
    )
    found = checks(planted(draft, section))
    assert len(found) == 1
    assert "has no callout" in found[0][1]


def test_inline_synthetic_number_needs_a_callout(draft: Path, monkeypatch) -> None:
    art = registry.Artifact("test.values", "analysis.test:v", "values", ("posts",), "t", (), True)
    monkeypatch.setitem(registry.REGISTRY, "test.values", art)
    text = '\n## Rates {#sec-rates}\n\nThe rate was `{python} book.value("test.values", "r")`.\n'
    found = checks(planted(draft, text))
    assert len(found) == 1
    assert found[0][0] == "synthetic"


# --- hand-typed statistics ----------------------------------------------------------------------

FLAGGED = [
    ("The answer rate was 45% in the west.", "45%"),
    ("Growth exceeded 100 percent a year.", "100 percent"),
    ("The share rose by 3 per cent.", "3 per cent"),
    ("The interval of 95% contains 12% of accounts.", "12%"),
    ("The ratio was 0.42 overall.", "0.42"),
    ("An estimate of .5 appears.", ".5"),
    ("There were 3,611 police accounts.", "3,611"),
    ("There were 160000 accounts.", "160000"),
    ("Weibo had 278 million users.", "278 million"),
    ("About 2000 accounts opened.", "2000"),
    ("The IRR was 1.35 (CI 1.2 to 1.5).", "1.35"),
    ("Zhejiang had 438, then 3611, then more.", "3611"),
]

ALLOWED = [
    "In July 2008 the bureau opened a website.",
    "From 2013 to 2016, and in 2013-2016, WeChat spread.",
    "The launch was announced on 2011-09-27, on 27 September 2011.",
    "Seed 000 and seed 002 list nine and four measures.",
    "The four regions cover 31 provinces; see Chapter 3 and Section 4.2.",
    "The book renders with Quarto 1.6 and Python 3.11 or Python 3.12.",
    "A share of `{python} book.value('diffusion.counts', 'share', '{:.1%}')` were police.",
    'The op-ed claims "more than 100 percent" average growth [@ma2014chinadaily].',
    '@ma2014chinadaily writes of "about 160,000 government accounts" on Tencent.',
    "> By the end of last year, about 160,000 government accounts had been verified.\n"
    "> [@ma2014chinadaily]",
    "Synthetic accounts are named SYN-A0001 and posts SYN-P0000001.",
    "See [the data](https://example.org/data/2019/3611.html) for more.",
    "<!-- note to authors: 45% to check -->",
    "Years like 2010, 2011, and 2012.",
    "Each rate has a 95% confidence interval, a 95% interval or a 90%-level band.",
]


@pytest.mark.parametrize(("sentence", "token"), FLAGGED)
def test_hand_typed_statistic_is_flagged(sentence: str, token: str) -> None:
    found = [t for _, _, t in book_lint.hand_typed_numbers(book_lint.prose_text(sentence))]
    assert token in found


@pytest.mark.parametrize("sentence", ALLOWED)
def test_allowed_numbers_pass(sentence: str) -> None:
    assert book_lint.hand_typed_numbers(book_lint.prose_text(sentence)) == []


def test_quotation_without_citation_is_flagged() -> None:
    found = book_lint.hand_typed_numbers('The op-ed claims "more than 100 percent" growth.')
    assert [t for _, _, t in found] == ["100 percent"]


def test_number_outside_the_cited_quotation_is_still_flagged() -> None:
    text = 'Growth was 37% against "more than 100 percent" [@ma2014chinadaily].'
    assert [t for _, _, t in book_lint.hand_typed_numbers(text)] == ["37%"]


def test_statistic_in_a_chapter_is_reported_on_its_line(draft: Path) -> None:
    chapter = draft / "chapters" / "01-context.qmd"
    lines = chapter.read_text(encoding="utf-8").count("\n")
    found = planted(draft, "\nPolice answered 12.5% of comments.\n")
    assert [(p.check, p.line) for p in found] == [("statistic", lines + 2)]


def test_numbers_inside_code_cells_are_not_prose(draft: Path) -> None:
    cell = "\n```{python}\n#| label: sums\nx = 12.5 + 3611  # 45%\n```\n"
    assert planted(draft, cell) == []


def test_malformed_cell_options_are_reported(draft: Path) -> None:
    found = planted(
        draft, '\n```{python}\n#| label: [unclosed\nbook.table("data.resources")\n```\n'
    )
    assert any(p.check == "cell" and "not valid YAML" in p.message for p in found)


def test_callout_with_its_own_heading_covers_the_section(draft: Path, synthetic_table) -> None:
    callout = '```{python}\n#| output: asis\nbook.either("test.synthetic", "A", "B")\n```\n\n'
    section = "\n## Results {#sec-syn}\n\n" + callout + SYNTHETIC_CELL.format(caption="Rates.")
    assert planted(draft, section) == []


def test_findings_location_without_a_section_is_caught(draft: Path) -> None:
    docs = [book_lint.parse(path, draft) for path in book_lint.book_files(draft)]
    assert book_lint.check_findings_locations(docs) == []
    chapter = draft / "chapters" / "08-characteristics.qmd"
    text = chapter.read_text(encoding="utf-8").replace("{#sec-characteristics-offline}", "")
    chapter.write_text(text, encoding="utf-8")
    docs = [book_lint.parse(path, draft) for path in book_lint.book_files(draft)]
    found = book_lint.check_findings_locations(docs)
    assert found
    assert all("sec-characteristics-offline" in p.message for p in found)


# --- spelled-out statements about the data -------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Nine in ten prefecture bureaus run an account.",
        "Departments answered fewer than half of the comments.",
        "With hundreds of thousands of comments the intervals are narrow.",
        "Averages hide how uneven engagement is: a few posts draw most of it.",
        "Every recommendation is among them.",
        "A third of the accounts post daily.",
        "Most accounts never answer.",
    ],
)
def test_number_words_and_quantifiers_about_the_data_are_flagged(sentence: str) -> None:
    assert book_lint.hand_typed_quantities(book_lint.prose_text(sentence)), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "The region with the most followers is the east.",
        "At most `{python} book.value('x', 'y')` accounts are left.",
        "Published studies find that most posts promote the agency [@zheng2014innovation].",
        'The seed finds "almost all departments" use Weibo [@seed000participation].',
        "Each region is judged separately.",
    ],
)
def test_superlatives_cited_statements_and_quotations_pass(sentence: str) -> None:
    assert book_lint.hand_typed_quantities(book_lint.prose_text(sentence)) == [], sentence


def test_the_quantity_rule_reports_through_check_statistics(tmp_path) -> None:
    path = tmp_path / "x.qmd"
    path.write_text("# X {#sec-x}\n\nNine in ten bureaus answer.\n", encoding="utf-8")
    doc = book_lint.parse(path, tmp_path)
    problems = book_lint.check_statistics(doc)
    assert [p.line for p in problems] == [3]
    assert "proportion in words" in str(problems[0])


# --- typed directions, counts of the book's items, and claims of what the book does ---------


@pytest.mark.parametrize(
    "sentence",
    [
        "Growth was explosive at first and slowed sharply, as diffusion curves do.",
        "Across hundreds of comments per region the intervals are narrow.",
        "Seed 002 diagnoses problems under three headings and proposes four countermeasures.",
        "The registry records the second and third as not testable with these data.",
        "The project's source is in its repository, linked at the top of every page.",
        "Each coverage share is computed from the list of accounts.",
    ],
)
def test_typed_directions_counts_and_unbacked_claims_are_flagged(sentence: str) -> None:
    assert book_lint.typed_claims(book_lint.prose_text(sentence), sentence), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "The yearly rate `{python} book.value('findings.words', 'growth_direction')` from 2011.",
        "Growth slowed sharply, as the report notes [@cnsa2014report].",
        "The list of accounts is linked from @sec-coverage.",
        "Each share is computed by `analysis.topics.coverage`.",
        'The seed says "three headings" (@sec-obstacles).',
        "Accounts differ from one region to the next.",
    ],
)
def test_backed_or_neutral_sentences_pass_the_claim_rules(sentence: str) -> None:
    assert book_lint.typed_claims(book_lint.prose_text(sentence), sentence) == [], sentence


def test_the_claim_rules_report_through_check_statistics(tmp_path) -> None:
    path = tmp_path / "x.qmd"
    path.write_text(
        "# X {#sec-x}\n\nSee the code, linked at the top of every page.\n", encoding="utf-8"
    )
    problems = book_lint.check_statistics(book_lint.parse(path, tmp_path))
    assert [p.line for p in problems] == [3]
    assert "unbacked claim that the book links" in str(problems[0])
