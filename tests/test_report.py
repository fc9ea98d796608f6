"""The findings as readers meet them: the key-findings table, the per-claim blocks and the
recommendations (analysis.findings.report, rendered by analysis.book.report)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis import paths
from analysis.book import report as book_report
from analysis.book import tables
from analysis.findings import EvidenceKind, Finding, Verdict, registry, report

BIB_KEYS = frozenset(re.findall(r"^@\w+\{([^,\s]+),", paths.references_bib.read_text(), re.M))


def _findings(verdict: Verdict = Verdict.MIXED) -> list[Finding]:
    """Every registry claim with a made-up verdict (tested claims) or not testable."""
    return [
        Finding(c, verdict if c.evidence else Verdict.NOT_TESTABLE, {}, "a result")
        for c in registry()
    ]


def _milestones(**overrides: str) -> dict[str, report.Milestone]:
    """The milestones the recommendations file names, as plain rows (no data file needed)."""
    ids = {m for r in report.load_recommendations() for m in (*r.since, *r.problem_milestones)}
    return {
        m: report.Milestone(
            m,
            "2018-12-01",
            "month",
            f"event {m}",
            overrides.get(m, "documented"),
            ("thepaper2019enshi",),
        )
        for m in ids
    }


def _display(frame: pd.DataFrame) -> dict:
    """A frame in the cache's display form, as book.table receives it."""
    return {
        "columns": list(frame.columns),
        "rows": frame.astype(str).to_numpy().tolist(),
        "note": frame.attrs.get("note", ""),
    }


def raw_keys(markdown: str) -> list[str]:
    """Bibliography keys in text other than as Pandoc citations (``@key``)."""
    text = markdown.replace("\\_", "_").replace("\\-", "-").replace("\\:", ":")
    text = re.sub(r"@[A-Za-z][A-Za-z0-9_:-]*", " ", text)
    return sorted(k for k in BIB_KEYS if re.search(rf"(?<![\w@]){re.escape(k)}(?!\w)", text))


# --- the key-findings table -----------------------------------------------------------------


def test_key_findings_table_has_at_most_five_short_columns() -> None:
    frame = report.key_findings_table(_findings())
    assert len(frame.columns) <= 5
    tested = [c for c in registry() if c.evidence is not None]
    assert len(frame) == len(tested)
    documented = [c.id for c in tested if c.evidence_kind is EvidenceKind.DOCUMENTED]
    assert [re.search(r"\((S\d+-\w+)\)$", x)[1] for x in frame["claim"]][: len(documented)] == (
        documented
    )
    # the note says how many rows rest on each kind of evidence, not that the table is synthetic
    assert f"{len(documented)} on documented data" in frame.attrs["note"]


def test_every_testable_claim_has_a_short_label() -> None:
    for claim in registry():
        if claim.evidence is not None:
            assert claim.id in report.SHORT, f"add a short label for {claim.id} to SHORT"
            assert len(report.SHORT[claim.id]) <= 38, claim.id


def test_key_findings_cells_fit_a_phone() -> None:
    """No cell but the link is longer than a phone line can wrap sensibly."""
    frame = report.key_findings_table(_findings())
    for column in ("claim", "verdict", "evidence"):
        assert frame[column].str.len().max() <= 80, column


def test_no_table_or_block_output_contains_a_raw_bibliography_key() -> None:
    assert raw_keys("source [seed000participation]") == ["seed000participation"]
    assert raw_keys("see mattis2011public") == ["mattis2011public"]
    assert raw_keys("as shown [@mattis2011public; @seed000participation]") == []
    key_table = tables.to_markdown(_display(report.key_findings_table(_findings())))
    assert raw_keys(key_table) == []
    blocks = book_report.claims_markdown(report.claim_blocks(_findings()))
    assert raw_keys(blocks) == []
    assert "[@seed000participation]" in blocks
    entries = [
        report.recommendation_entry(a, _milestones())
        for a in report.assess_all(_findings(), _milestones())
    ]
    rendered = "\n".join(book_report.recommendation_markdown(e) for e in entries)
    assert raw_keys(rendered) == []
    assert raw_keys(book_report.brief_markdown(entries)) == []


def test_a_rule_result_naming_its_sources_cites_them_in_the_claim_block() -> None:
    """A dispute's result names each side's source by key (from data fields declared as keys):
    the reader meets a citation, as in the registry table's result column, never the key."""
    claim = next(c for c in registry() if c.evidence)
    result = "Foshan first per peoplesdaily2011police; Zhaoqing first per chinanews2011fujian"
    block = book_report.claims_markdown(
        report.claim_blocks([Finding(claim, Verdict.MIXED, {}, result)])
    )
    assert "[@peoplesdaily2011police]" in block and "[@chinanews2011fujian]" in block
    assert raw_keys(block) == []


# --- the recommendations --------------------------------------------------------------------


def test_every_recommendation_has_its_five_parts() -> None:
    entries = [
        report.recommendation_entry(a, _milestones())
        for a in report.assess_all(_findings(), _milestones())
    ]
    assert entries
    for entry in entries:
        assert entry["asks"].strip() and entry["asks_sources"]
        assert entry["problem"].strip()
        assert entry["since"] or entry["since_text"].strip()
        assert entry["indicator"].strip()
        assert entry["priority"] in report.PRIORITIES
        rendered = book_report.recommendation_markdown(entry)
        for label in (
            "What it asks",
            "problem it answers",
            "What has happened",
            "worked",
            "Priority",
        ):
            assert label in rendered, (entry["id"], label)


def test_every_seed_recommendation_has_its_own_entry() -> None:
    recs = report.load_recommendations()
    covered = {r.claim for r in recs}
    for claim in registry():
        if claim.kind in ("recommendation", "practice"):
            assert claim.id in covered, f"{claim.id} has no entry in recommendations.toml"
    seed_000 = [r for r in recs if r.seed == "000"]
    # Seed 000 names eleven measures: awareness of service (police) and of participation
    # (citizens), top-level design, management system, responsibility system, incentives,
    # communication among departments, publicity, training, new work methods, community policing.
    assert len(seed_000) == 11
    assert len({r.title for r in seed_000}) == len(seed_000)


def _rec(**changes) -> report.Recommendation:
    base = report.load_recommendations()[0]
    fields = {
        **base.__dict__,
        "problem_claims": (),
        "problem_milestones": (),
        "problem_studies": (),
        **changes,
    }
    return report.Recommendation(**fields)


def test_priority_rule_follows_the_strength_of_the_evidence() -> None:
    """Strength and specificity (issue 22): a documented test here or a study of police
    accounts is first; a study of government accounts, or one documented report, second; an
    uncertain report or the seeds alone third; a disputed report does not count."""
    by_id = {f.claim.id: f for f in _findings(Verdict.MIXED)}
    milestones = _milestones()
    studies = {
        "govt2020": report.Study("govt2020", "peer-reviewed article", "government accounts", False),
        "police2020": report.Study("police2020", "peer-reviewed article", "police accounts", True),
    }
    shown = _rec(problem_claims=(("S000-F1", ("MIXED",)),), problem_studies=("govt2020",))
    assert report.assess(shown, by_id, milestones, studies).priority == "first"
    supported = {f.claim.id: f for f in _findings(Verdict.SUPPORTED)}
    assessed = report.assess(shown, supported, milestones, studies)
    assert assessed.priority == "second"
    assert assessed.reasons == (("peer-reviewed article on government accounts", ("govt2020",)),)
    police = _rec(problem_studies=("police2020",))
    assert report.assess(police, supported, milestones, studies).priority == "first"
    synthetic = _rec(problem_claims=(("S000-F5", ("MIXED", "SUPPORTED")),))
    assessed = report.assess(synthetic, supported, milestones, studies)
    assert assessed.priority == "third" and assessed.synthetic_only == ("S000-F5",)
    mid = next(iter(milestones))
    one_report = _rec(problem_milestones=(mid,))
    assert report.assess(one_report, by_id, milestones, studies).priority == "second"
    uncertain = _milestones(**{mid: "uncertain"})
    assert report.assess(one_report, by_id, uncertain, studies).priority == "third"
    # a study ranks at least as high as a single report, even beside an uncertain one
    both = _rec(problem_milestones=(mid,), problem_studies=("govt2020",))
    assert report.assess(both, by_id, uncertain, studies).priority == "second"
    disputed = _milestones(**{mid: "disputed"})
    assessed = report.assess(one_report, by_id, disputed, studies)
    assert assessed.priority == "third" and assessed.reasons == ()
    with pytest.raises(report.RecommendationError, match="unknown2020"):
        report.assess(_rec(problem_studies=("unknown2020",)), by_id, milestones, studies)


def test_a_milestone_is_not_both_the_problem_and_what_happened_since() -> None:
    entry = (
        '[[recommendation]]\nid = "R000-99"\nseed = "000"\nclaim = "S000-R1"\ntitle = "x"\n'
        'asks = "x"\nproblem = "x"\nsince_text = "x"\nindicator = "x"\n'
        'problem_milestones = ["M026"]\nsince = ["M026"]\n'
    )
    with pytest.raises(report.RecommendationError, match=r"M026.*both"):
        report.load_recommendations(entry)
    assert report.load_recommendations()  # the real file passes the same check


def test_every_study_cited_for_a_problem_says_what_it_is() -> None:
    studies = report.load_studies()
    for rec in report.load_recommendations():
        for key in rec.problem_studies:
            assert key in studies, f"{rec.id}: {key} has no [study.{key}] entry"


def test_since_entries_say_how_they_stand_to_the_seed_in_time() -> None:
    entries = [
        report.recommendation_entry(a, _milestones())
        for a in report.assess_all(_findings(), _milestones())
    ]
    for entry in entries:
        if entry["since"] and entry["seed"] in ("000", "002"):
            assert "undated" in entry["since_text"], entry["id"]


def test_bad_recommendation_files_fail_with_the_field_named() -> None:
    text = '[[recommendation]]\nid = "R000-99"\nseed = "000"\nclaim = "S000-R1"\ntitle = "x"\n'
    with pytest.raises(report.RecommendationError, match=r"R000-99.*'asks'"):
        report.load_recommendations(text)
    with pytest.raises(report.RecommendationError, match="unknown claim"):
        report.assess(_rec(problem_claims=(("S999-X1", ("MIXED",)),)), {}, {})
    with pytest.raises(report.RecommendationError, match="milestone 'M999'"):
        report.assess(_rec(problem_milestones=("M999",)), {}, {})


def test_markdown_from_data_is_inert() -> None:
    hostile = "[link](http://x) <b>bold</b> {{< shortcode >}}"
    milestones = {
        "M1": report.Milestone(
            "M1", "2010-02-25", "day", hostile, "uncertain", ("enorth2010zhaoqing",)
        )
    }
    assessed = report.assess(_rec(since=("M1",)), {}, milestones)
    rendered = book_report.recommendation_markdown(
        report.recommendation_entry(assessed, milestones)
    )
    assert "25 February 2010 \\(date uncertain\\)" in rendered
    assert "<b>" not in rendered and "](http" not in rendered and "{{<" not in rendered
    assert "[@enorth2010zhaoqing]" in rendered


def test_table_cells_reach_the_page_whole() -> None:
    """The cache's display text keeps long cells (the claim and 'shown in' link of the key
    findings table): a cut cell would break the link and the claim."""
    from analysis.pipeline.store import entries

    location = "chapters/08-characteristics.qmd#sec-characteristics-direction"
    frame = pd.DataFrame({"shown in": [location], "claim": ["x" * 90]})
    shown = entries.table_text(frame, None)
    assert shown["rows"] == [[location, "x" * 90]]


def test_coverage_words_follow_the_listed_shares_against_the_threshold() -> None:
    """The summary's words on S000-F1 (issue 22): computed from the lower bounds, never typed."""
    full = {"provincial_share": 1.0} | {
        f"prefecture_coverage_{r}": 0.95 for r in ("east", "central", "west", "northeast")
    }
    words = report.coverage_words(full)
    assert words["coverage_against_threshold_words"].startswith("at least 90% in every region")
    assert words["coverage_regions_below_threshold"] == 0
    thin = full | {"prefecture_coverage_west": 0.85, "prefecture_coverage_east": 0.9}
    words = report.coverage_words(thin)
    assert words["coverage_against_threshold_words"] == "below 90% in the west"
    assert words["coverage_regions_below_threshold"] == 1
    words = report.coverage_words(thin | {"provincial_share": 0.8})
    assert words["coverage_against_threshold_words"] == "below 90% in the west and among provinces"
