"""The findings registry: verdict rules at their boundaries, registry integrity, book coverage."""

from __future__ import annotations

import argparse
import re
from collections import Counter

import pytest

from analysis import findings, paths
from analysis.cli import findings as findings_cli
from analysis.data import datapackage
from analysis.findings import (
    AllOf,
    Claim,
    Compare,
    Equals,
    EveryRecord,
    Evidence,
    EvidenceError,
    EvidenceKind,
    IfDocumented,
    Near,
    NoRecord,
    OnRecord,
    Precedes,
    SourcesAgree,
    Verdict,
    combine,
    each,
)
from analysis.pipeline import verdicts
from analysis.pipeline.store import registry

S, N, M = Verdict.SUPPORTED, Verdict.NOT_SUPPORTED, Verdict.MIXED
T = Verdict.NOT_TESTABLE


# --- Compare: directional claims on an interval ---------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (1.000001, 2.0, S),  # whole interval above the reference
        (1.0, 2.0, M),  # touches the reference: "more than" is not established
        (0.5, 1.5, M),  # straddles
        (0.5, 1.0, N),  # at most the reference: the claim is contradicted
        (0.2, 0.9, N),
    ],
)
def test_compare_more_than_at_its_boundaries(low: float, high: float, expected: Verdict) -> None:
    rule = Compare("x", 1.0, "above", low="lo", high="hi")
    assert rule.judge((low + high) / 2, low, high)[0] is expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(1.0, 2.0, S), (0.999999, 2.0, M), (0.5, 0.999999, N), (0.5, 1.0, M)],
)
def test_compare_at_least_includes_the_reference(low: float, high: float, expected: Verdict):
    rule = Compare("x", 1.0, "above", low="lo", high="hi", inclusive=True)
    assert rule.judge((low + high) / 2, low, high)[0] is expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(0.1, 0.499999, S), (0.1, 0.5, M), (0.5, 0.9, N), (0.500001, 0.9, N)],
)
def test_compare_less_than_at_its_boundaries(low: float, high: float, expected: Verdict):
    rule = Compare("x", 0.5, "below", low="lo", high="hi")
    assert rule.judge((low + high) / 2, low, high)[0] is expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (1.01, 1.1, S),  # excludes the null in the claimed direction
        (0.9, 1.1, N),  # inside the equivalence band: no meaningful difference
        (0.8, 1.25, N),  # the band's edges count as inside
        (0.9, 1.3, M),  # straddles the null and leaves the band
        (0.7, 0.95, N),  # excludes the null the other way
    ],
)
def test_compare_equivalence_band_decides_not_supported(low, high, expected):
    rule = Compare("ratio", 1.0, "above", low="lo", high="hi", equivalence=(0.8, 1.25))
    assert rule.judge((low + high) / 2, low, high)[0] is expected


def test_point_values_are_judged_without_an_interval() -> None:
    rule = Compare("count", 3000, "above")
    assert rule.decide({"count": 3000})[0] is N
    assert rule.decide({"count": 3001})[0] is S
    assert rule.decide({"count": 3611})[1] == {
        "estimate": 3611,
        "low": 3611,
        "high": 3611,
        "reference": 3000,
    }


def test_compare_rejects_an_inconsistent_interval_and_non_numbers() -> None:
    rule = Compare("x", 1.0, "above", low="lo", high="hi")
    with pytest.raises(EvidenceError, match="low <= estimate <= high"):
        rule.decide({"x": 1.5, "lo": 1.6, "hi": 2.0})
    with pytest.raises(EvidenceError, match="expected a number"):
        rule.decide({"x": "many", "lo": 1.0, "hi": 2.0})
    with pytest.raises(EvidenceError, match="no value 'hi'"):
        rule.decide({"x": 1.5, "lo": 1.0})


# --- Near: documented "about N" -------------------------------------------------------------


@pytest.mark.parametrize(
    ("observed", "expected"),
    [
        (100_000, S),
        (110_000, S),  # exactly the tolerance (10%)
        (90_000, S),
        (110_001, M),  # just beyond one tolerance
        (120_000, M),  # exactly two tolerances
        (120_001, N),  # beyond two tolerances
        (79_999, N),
    ],
)
def test_near_at_its_boundaries(observed: int, expected: Verdict) -> None:
    verdict, result, text = Near("n", 100_000).decide({"n": observed})
    assert verdict is expected
    assert result["relative_deviation"] == pytest.approx(abs(observed - 100_000) / 100_000)
    assert "about 100,000" in text


def test_near_uses_a_stated_tolerance() -> None:
    assert Near("n", 18.0, tolerance=0.05).decide({"n": 19.0})[0] is M
    assert Near("n", 18.0, tolerance=0.10).decide({"n": 19.0})[0] is S


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (11.0, 12.0, S),  # the claim (10) is 10% below the range's nearest point (11)
        (11.0, 30.0, S),  # the far end of the range does not matter
        (11.5, 12.0, M),  # 15% away
        (12.0, 13.0, M),  # exactly twice the tolerance
        (12.5, 13.0, N),
        (9.0, 9.5, S),  # a range below the claim works the same way
        (9.5, 10.5, S),  # a range containing the claim: no deviation at all
    ],
)
def test_near_over_a_documented_range(low: float, high: float, expected: Verdict) -> None:
    rule = Near("n", 10.0, low="lo", high="hi")
    verdict, result, _ = rule.decide({"n": high, "lo": low, "hi": high})
    assert verdict is expected
    assert (result["low"], result["high"]) == (low, high)
    with pytest.raises(EvidenceError, match="low <= value <= high"):
        rule.decide({"n": 8.0, "lo": 9.0, "hi": 10.0})


def test_if_documented_separates_a_listed_gap_from_a_missing_value() -> None:
    rule = IfDocumented(Near("documented_a", 100.0), "gaps", "a")
    assert rule.decide({"gaps": ["a"]})[0] is Verdict.NOT_TESTABLE
    assert rule.decide({"gaps": [], "documented_a": 105.0})[0] is S
    with pytest.raises(EvidenceError, match="documented_a"):
        rule.decide({"gaps": []})  # not listed as a gap, yet absent: an error, not a verdict


@pytest.mark.parametrize(
    ("backing", "against", "expected"),
    [
        (["other"], [], S),
        (["seed", "other"], [], S),
        (["seed"], [], M),  # only the claim's own source: nothing independent either way
        (["seed"], ["rival"], N),  # the own source does not count for the claim
        (["other"], ["rival"], M),
    ],
)
def test_sources_agree_leaves_out_the_claims_own_source(backing, against, expected):
    rule = SourcesAgree(("for",), ("against",), own_source="seed")
    verdict, result, _ = rule.decide({"for": backing, "against": against})
    assert verdict is expected
    assert result["sources_for"] == len(set(backing) - {"seed"})


# --- Equals, Precedes, AllOf ----------------------------------------------------------------


def test_equals_and_precedes() -> None:
    assert Equals("d", "2011-09-27").decide({"d": "2011-09-27"})[0] is S
    assert Equals("d", "2011-09-27").decide({"d": "2011-09-28"})[0] is N
    rule = Precedes("a", "b")
    assert rule.decide({"a": "2010-02-25", "b": "2011-09-27"})[0] is S
    assert rule.decide({"a": "2011-09-27", "b": "2011-09-27"})[0] is N  # same day: not earlier
    assert rule.decide({"a": "2011-09-28", "b": "2011-09-27"})[0] is N
    assert rule.decide({"a": "2010-02-25", "b": "2011-09-27"})[1]["days"] == 579
    with pytest.raises(EvidenceError, match="YYYY-MM-DD"):
        rule.decide({"a": "February 2010", "b": "2011-09-27"})


def test_combine_needs_unanimity_for_a_clear_verdict() -> None:
    assert combine([S, S, S]) is S
    assert combine([N, N]) is N
    assert combine([S, N]) is M
    assert combine([S, M]) is M
    assert combine([]) is M


def test_combine_sets_untested_parts_aside_but_never_lets_them_support() -> None:
    assert combine([S, T]) is M  # half a claim supported is not the claim supported
    assert combine([N, T]) is N  # every part that can be tested fails
    assert combine([M, T]) is M
    assert combine([T, T]) is T


# --- EveryRecord, OnRecord, NoRecord: the documented audience rules ----------------------------


@pytest.mark.parametrize(
    ("smallest", "largest", "expected"),
    [
        (10_000, 2e6, S),  # the threshold itself counts ("at least")
        (9_999, 2e6, M),  # one record short: some reach it, some do not
        (32, 9_999, N),  # even the largest falls short
    ],
)
def test_every_record_at_its_boundaries(smallest: float, largest: float, expected: Verdict):
    rule = EveryRecord("n", "low", "high", 10_000, "followings")
    verdict, result, text = rule.decide({"n": 5, "low": smallest, "high": largest})
    assert verdict is expected
    assert result["records"] == 5 and result["threshold"] == 10_000
    assert "5 followings" in text and "at least 10,000" in text


def test_every_record_without_records_is_not_testable_and_checks_its_range() -> None:
    rule = EveryRecord("n", "low", "high", 10_000)
    assert rule.decide({"n": 0})[0] is T  # smallest and largest need not exist then
    with pytest.raises(EvidenceError, match="above"):
        rule.decide({"n": 2, "low": 50_000, "high": 40_000})


def test_on_record_ranks_strong_over_weak_and_never_contradicts() -> None:
    rule = OnRecord("ranked", "seed2011", "followed")
    assert rule.decide({"ranked": ["a2011"], "followed": []})[0] is S
    verdict, result, text = rule.decide({"ranked": [], "followed": ["b2011"]})
    assert verdict is M and result == {"strong_sources": 0, "weak_sources": 1} and "b2011" in text
    assert rule.decide({"ranked": ["seed2011"], "followed": ["seed2011"]})[0] is T
    assert rule.decide({"ranked": [], "followed": []})[0] is T
    with pytest.raises(EvidenceError, match="list of sources"):
        rule.decide({"ranked": "a2011", "followed": []})


def test_no_record_reads_nothing_and_keeps_an_all_of_from_support() -> None:
    part = NoRecord("reading of WeChat posts")
    assert part.inputs() == () and part.decide({})[0] is T
    rule = AllOf((("weibo", Compare("x", 1.0, "above")), ("wechat", part)))
    verdict, result, text = rule.decide({"x": 2.0})
    assert verdict is M
    assert result["wechat.verdict"] == str(T)
    assert "wechat: no documented figure of reading of WeChat posts" in text
    assert rule.decide({"x": 0.5})[0] is N


def test_each_applies_the_template_per_group() -> None:
    rule = each(Compare("rate_{group}", 0.5, "below"), ("east", "west"))
    assert rule.inputs() == ("rate_east", "rate_west")
    assert rule.decide({"rate_east": 0.2, "rate_west": 0.3})[0] is S
    verdict, result, _ = rule.decide({"rate_east": 0.2, "rate_west": 0.7})
    assert verdict is M
    assert result["west.verdict"] == "not supported"
    assert result["east.estimate"] == 0.2
    assert rule.decide({"rate_east": 0.6, "rate_west": 0.7})[0] is N
    assert isinstance(rule, AllOf)


# --- evaluation -----------------------------------------------------------------------------


def _claim(evidence: Evidence | None, kind: EvidenceKind = EvidenceKind.DOCUMENTED) -> Claim:
    return Claim("T-1", "003", "figure", "A test claim.", kind, evidence, "chapters/x.qmd#sec-x")


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "REGISTRY", {})
    registry.register("fake.documented", "fake:documented", "values", ("provinces",), "test")
    registry.register("fake.synthetic", "fake:synthetic", "values", ("posts",), "test")


def _evidence(values: dict[str, float]) -> findings.StaticEvidence:
    """Both fake artifacts holding ``values``; fake.synthetic rests on synthetic data."""
    return findings.StaticEvidence(
        {"fake.documented": values, "fake.synthetic": values}, frozenset({"fake.synthetic"})
    )


def test_evaluate_qualitative_and_pending_claims_carry_no_numbers(fake_registry) -> None:
    qualitative = findings.evaluate(_claim(None, EvidenceKind.QUALITATIVE), _evidence({}))
    assert qualitative.verdict is Verdict.NOT_TESTABLE
    assert qualitative.result == {}
    pending = findings.evaluate(_claim(Evidence("not.there", Near("n", 1.0))), _evidence({}))
    assert pending.verdict is Verdict.PENDING
    assert pending.result == {}
    assert "not.there" in pending.summary


def test_evaluate_reads_the_artifact_and_names_the_claim_on_bad_evidence(fake_registry) -> None:
    claim = _claim(Evidence("fake.documented", Near("n", 100.0)))
    found = findings.evaluate(claim, _evidence({"n": 104.0}))
    assert found.verdict is S
    assert found.verdict_text == "supported"
    with pytest.raises(EvidenceError, match=r"T-1.*fake\.documented.*no value 'n'"):
        findings.evaluate(claim, _evidence({"m": 1.0}))


def test_synthetic_verdicts_say_so_and_kinds_must_match(fake_registry) -> None:
    claim = _claim(Evidence("fake.synthetic", Near("n", 100.0)), EvidenceKind.SYNTHETIC)
    found = findings.evaluate(claim, _evidence({"n": 100.0}))
    assert found.verdict is S
    assert found.verdict_text == "recovered from the synthetic sample"
    assert "supported" not in found.verdict_text
    assert findings.evaluate(claim, _evidence({"n": 300.0})).verdict_text == (
        "not recovered from the synthetic sample"
    )
    mislabelled = _claim(Evidence("fake.synthetic", Near("n", 100.0)), EvidenceKind.DOCUMENTED)
    with pytest.raises(EvidenceError, match="synthetic"):
        findings.evaluate(mislabelled, _evidence({"n": 100.0}))


class _ObservedEvidence(findings.StaticEvidence):
    """Evidence from an observed sample (not synthetic) or from documents only."""

    def __init__(self, values, observed: bool) -> None:
        super().__init__({"fake.sample": values})
        object.__setattr__(self, "is_observed", observed)

    def observed(self, name: str) -> bool:
        return self.is_observed


def test_a_sample_claim_on_observed_data_is_a_real_test_and_says_so() -> None:
    claim = _claim(Evidence("fake.sample", Near("n", 100.0)), EvidenceKind.SYNTHETIC)
    found = findings.evaluate(claim, _ObservedEvidence({"n": 100.0}, observed=True))
    assert found.observed and found.evidence_kind is EvidenceKind.OBSERVED
    assert found.verdict_text == "supported (observed sample)"
    assert "synthetic" not in found.verdict_text
    tally = findings.tally([found])
    assert tally["n_supported"] == 1 and tally["n_recovered"] == 0
    with pytest.raises(EvidenceError, match="documented"):
        findings.evaluate(claim, _ObservedEvidence({"n": 100.0}, observed=False))


# --- the registry itself --------------------------------------------------------------------

EXPECTED_KINDS = {
    # seed: claims of each kind the seed makes (see the seeds' own lists)
    "000": {"finding": 6, "characteristic": 3, "obstacle": 3, "recommendation": 9},
    "001": {"figure": 3, "aim": 1, "finding": 3},
    "002": {"finding": 2, "obstacle": 3, "recommendation": 4},
    "003": {"figure": 5, "finding": 4},
    "004": {"figure": 1, "finding": 3, "practice": 3, "aim": 4},
}


def test_registry_ids_are_unique_and_stable() -> None:
    ids = [c.id for c in findings.registry()]
    assert len(ids) == len(set(ids))
    for claim in findings.registry():
        assert re.fullmatch(r"S00[0-4]-[FCORDPA]\d+", claim.id), claim.id
        assert claim.id.startswith(f"S{claim.seed}-")


def test_registry_covers_every_claim_of_every_seed() -> None:
    found: dict[str, Counter] = {}
    for claim in findings.registry():
        found.setdefault(claim.seed, Counter())[claim.kind] += 1
    assert {seed: dict(kinds) for seed, kinds in found.items()} == EXPECTED_KINDS


def test_every_source_resolves_in_references_bib() -> None:
    keys = datapackage.bib_keys()
    for seed, source in findings.SOURCES.items():
        assert source.bibkey in keys, f"seed {seed}: {source.bibkey} not in references.bib"


def test_evidence_kind_matches_the_evidence() -> None:
    for claim in findings.registry():
        if claim.evidence_kind is EvidenceKind.QUALITATIVE:
            assert claim.evidence is None and claim.needs, claim.id
        else:
            assert claim.evidence is not None, claim.id
        art = registry.REGISTRY.get(claim.evidence.artifact) if claim.evidence else None
        if art is not None:
            assert art.kind == "values", claim.id
            assert art.synthetic == (claim.evidence_kind is EvidenceKind.SYNTHETIC), claim.id


def test_findings_artifacts_depend_on_every_registered_evidence_artifact() -> None:
    """An evidence artifact registered below the findings section would escape the cache key."""
    registered = {a for a in findings.evidence_artifacts() if a in registry.REGISTRY}
    for name in ("findings.registry", "findings.summary"):
        reached = {a.name for a in registry.closure(name)}
        assert registered <= reached, registered - reached


def test_every_claim_evaluates_against_its_artifact() -> None:
    evaluated = verdicts.evaluate_all()
    assert len(evaluated) == len(findings.registry())
    for found in evaluated:
        if found.verdict in (Verdict.PENDING, Verdict.NOT_TESTABLE):
            assert found.result == {}
        else:
            assert found.claim.evidence is not None
            assert found.result, found.claim.id


def _book_text() -> dict[str, str]:
    files = [paths.index_qmd, *sorted(paths.chapters.glob("*.qmd"))]
    return {str(p.relative_to(paths.root)): p.read_text(encoding="utf-8") for p in files}


def test_every_claim_links_to_an_existing_book_section() -> None:
    book = _book_text()
    for claim in findings.registry():
        match = re.fullmatch(r"(chapters/[\w-]+\.qmd)#(sec-[\w-]+)", claim.chapter)
        assert match, f"{claim.id}: chapter link {claim.chapter!r} is not file.qmd#sec-id"
        file, anchor = match.groups()
        assert file in book, f"{claim.id}: {file} does not exist"
        assert re.search(r"\{#" + re.escape(anchor) + r"[\s}]", book[file]), (
            f"{claim.id}: {file} has no section {{#{anchor}}}"
        )


def test_every_claim_appears_in_the_book() -> None:
    """Each id is in the text of a chapter, or the book renders the registry table."""
    book = _book_text()
    renders_registry = any(
        re.search(r"""table\(\s*["']findings\.registry["']\s*\)|report\.claims\(\)""", text)
        for text in book.values()
    )
    text = "\n".join(book.values())
    missing = [c.id for c in findings.registry() if c.id not in text]
    assert renders_registry or not missing, f"claims not in the book: {missing}"


def test_registry_table_has_one_row_per_claim_and_states_the_synthetic_caveat() -> None:
    table = verdicts.registry_table()
    assert list(table["id"]) == [c.id for c in findings.registry()]
    assert "not facts about Chinese police" in table.attrs["note"]
    summary = verdicts.summary_values()
    assert summary["n_claims"] == len(findings.registry())
    assert sum(summary[f"n_{k}"] for k in ("documented", "synthetic", "qualitative")) == len(table)


def test_findings_command_prints_the_table_and_a_summary(capsys) -> None:
    args = argparse.Namespace(seed="002", evidence=None, claim=None, rules=True)
    assert findings_cli.run(args) == 0
    out = capsys.readouterr().out
    assert "S002-O2" in out and "Verdict rules" in out
    assert re.search(
        r"findings: ok 9 claims: documented data: 1 supported \(1 independent source, "
        r"0 same source, 0 derived\); 8 not testable with these data",
        out,
    )
    nothing = argparse.Namespace(seed=None, evidence=None, claim="S999-X1", rules=False)
    assert findings_cli.run(nothing) == 2


def _finding(claim_id: str, verdict: Verdict, kind: EvidenceKind, **changes) -> findings.Finding:
    claim = Claim(claim_id, "000", "finding", "x", kind, Evidence("a", Near("n", 1.0)), **changes)
    return findings.Finding(claim, verdict, {"estimate": 1.0}, "")


def test_tallies_keep_synthetic_verdicts_apart_and_count_a_shared_test_once() -> None:
    D, Y = EvidenceKind.DOCUMENTED, EvidenceKind.SYNTHETIC
    found = [
        _finding("S000-F1", S, D, independence=findings.Independence.INDEPENDENT),
        _finding(
            "S000-F2",
            S,
            D,
            independence=findings.Independence.INDEPENDENT,
            shares_test_with="S000-F1",
        ),
        _finding("S000-F3", S, D, independence=findings.Independence.SAME_SOURCE),
        _finding("S000-F4", S, Y),
        _finding("S000-F5", N, Y),
        _finding("S000-F6", M, D, independence=findings.Independence.DERIVED),
    ]
    n = findings.tally(found)
    assert n["n_claims"] == 6 and n["n_shared_test"] == 1
    assert (n["n_supported"], n["n_not_supported"], n["n_mixed"]) == (2, 0, 1)
    assert (n["n_supported_independent"], n["n_supported_same_source"]) == (1, 1)
    assert (n["n_recovered"], n["n_not_recovered"], n["n_mixed_synthetic"]) == (1, 1, 0)
    line = findings.one_line(found)
    assert "synthetic sample: 1 recovered, 1 not recovered" in line
    assert "S000-F2 shares the test of S000-F1, counted once" in line
    assert found[2].verdict_text == "supported (same source)"
    assert found[3].verdict_text == "recovered from the synthetic sample"


def test_documented_claims_state_their_independence_and_shared_tests_exist() -> None:
    ids = {c.id for c in findings.registry()}
    for claim in findings.registry():
        if claim.evidence_kind is EvidenceKind.DOCUMENTED:
            assert claim.independence is not None, claim.id
        else:
            assert claim.independence is None, claim.id
        if claim.shares_test_with:
            assert claim.shares_test_with in ids, claim.id
            other = next(c for c in findings.registry() if c.id == claim.shares_test_with)
            assert other.evidence == claim.evidence, claim.id


def test_no_synthetic_verdict_reads_supported() -> None:
    summary = verdicts.summary_values()
    for claim in findings.registry():
        if claim.evidence_kind is EvidenceKind.SYNTHETIC:
            assert "supported" not in summary[f"{claim.id}.verdict"], claim.id
