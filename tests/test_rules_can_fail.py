"""Every verdict rule of the registry can fail: plausible evidence moves each claim's rule between
supported, not supported and (where the rule has one) mixed.

For each claim with evidence, the test takes the claim's own rule and builds evidence values that
a different world could have produced (an interval on the other side of the reference, a count
far from the stated one, a source that disagrees, dates in the other order) and checks the rule
answers each verdict. A rule that no data could flip would fail here.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from analysis import findings
from analysis.findings import (
    AllOf,
    Bound,
    Compare,
    Equals,
    EveryRecord,
    IfDocumented,
    Near,
    NoRecord,
    OnRecord,
    Precedes,
    SourcesAgree,
    Verdict,
)

S, N, M = Verdict.SUPPORTED, Verdict.NOT_SUPPORTED, Verdict.MIXED


def scenario(rule: Any, target: Verdict) -> dict[str, Any] | None:
    """Evidence values under which ``rule`` should answer ``target`` (None: the rule has no such
    verdict, e.g. Equals is never mixed)."""
    if isinstance(rule, Compare):
        ref, up = rule.reference, rule.direction == "above"
        spread = max(abs(ref) * 0.2, 0.02)
        if target is M:
            low, high = ref - spread, ref + spread
        elif (target is S) == up:  # interval wholly above the reference
            low, high = ref + spread, ref + 2 * spread
        else:
            low, high = ref - 2 * spread, ref - spread
        if not rule.low and target is M:
            return None  # a point value is never mixed
        mid = (low + high) / 2 if rule.low else (low if low > ref else high)
        values = {rule.key: mid}
        if rule.low:
            values |= {rule.low: low, rule.high: high}
        return values
    if isinstance(rule, Near):
        factor = {S: 1.05, M: 1.15, N: 1.5}[target] if rule.tolerance == 0.10 else None
        if factor is None:
            factor = 1 + {S: 0.5, M: 1.5, N: 3.0}[target] * rule.tolerance
        value = rule.claimed * factor
        values = {rule.key: value}
        if rule.low:
            values[rule.low] = value * 0.99 if rule.low != rule.key else value
        if rule.high and rule.high != rule.key:
            values[rule.high] = value * 1.01
        return values
    if isinstance(rule, Bound):
        lower = rule.side == "lower"
        if rule.claim == "about":  # a bound can contradict "about N", never confirm it
            if target is S:
                return None
            beyond = 3 * rule.tolerance if target is N else 0.0
            return {rule.key: rule.claimed * (1 + beyond if lower else 1 - beyond)}
        if target is (N if lower else S):  # a lower bound can confirm "more than", not refute
            return None
        past = (target is S) == lower
        return {rule.key: rule.claimed * (1.2 if past else 0.8)}
    if isinstance(rule, IfDocumented):
        inner = scenario(rule.rule, target)
        return None if inner is None else {**inner, rule.list_key: []}
    if isinstance(rule, SourcesAgree):
        backing = {S: ["other2020"], N: [], M: ["other2020"]}[target]
        against = {S: [], N: ["rival2021"], M: ["rival2021"]}[target]
        values = {k: [] for k in rule.inputs()}
        values[rule.supporting[0]] = [*backing, rule.own_source]  # own source never counts
        values[rule.contradicting[0]] = against
        return values
    if isinstance(rule, Equals):
        if target is M:
            return None
        return {rule.key: rule.expected if target is S else "1999-01-01"}
    if isinstance(rule, Precedes):
        if target is M:
            return None
        first, second = date(2010, 2, 1), date(2011, 9, 27)
        if target is N:
            first, second = second, first + timedelta(days=0)
        return {rule.earlier: first.isoformat(), rule.later: second.isoformat()}
    if isinstance(rule, EveryRecord):  # the records' range against the threshold
        low, high = {S: (1.5, 3.0), N: (0.2, 0.5), M: (0.5, 3.0)}[target]
        return {
            rule.count: 4,
            rule.smallest: low * rule.threshold,
            rule.largest: high * rule.threshold,
        }
    if isinstance(rule, OnRecord):  # a record the sources lack is never evidence against
        if target is N or (target is M and rule.weak is None):
            return None
        values = {k: [rule.own_source] for k in rule.inputs()}  # the own source never counts
        values[rule.strong if target is S else rule.weak] = ["other2020", rule.own_source]
        return values
    if isinstance(rule, NoRecord):
        return None if target is S else {}  # reads nothing; never supported
    if isinstance(rule, AllOf):
        if target is M:  # the first part supported, the others not (or undecided, or untested)
            parts = [
                scenario(r, S) if i == 0 else (scenario(r, N) or scenario(r, M) or untested(r))
                for i, (_, r) in enumerate(rule.parts)
            ]
        elif target is N:  # every part that can be tested fails
            parts = [scenario(r, N) if not _untested(r) else {} for _, r in rule.parts]
        else:
            parts = [scenario(r, target) for _, r in rule.parts]
        if any(p is None for p in parts):
            return None
        return {k: v for p in parts for k, v in p.items()}
    raise AssertionError(f"no scenario for rule type {type(rule).__name__}")


def untested(rule: Any) -> dict[str, Any] | None:
    """Evidence under which a part answers 'not testable' (no record), where it can."""
    if isinstance(rule, NoRecord):
        return {}
    if isinstance(rule, OnRecord):
        return {k: [rule.own_source] for k in rule.inputs()}
    if isinstance(rule, EveryRecord):
        return {rule.count: 0}
    return None


def _untested(rule: Any) -> bool:
    return isinstance(rule, NoRecord)


TESTED = [c for c in findings.registry() if c.evidence is not None]


@pytest.mark.parametrize("claim", TESTED, ids=[c.id for c in TESTED])
def test_every_claims_rule_can_be_supported_and_can_fail(claim: findings.Claim) -> None:
    rule = claim.evidence.rule
    reached = set()
    for target in (S, N, M):
        values = scenario(rule, target)
        if values is None:
            continue
        verdict = rule.decide(values)[0]
        assert verdict is target, f"{claim.id}: built for {target}, the rule said {verdict}"
        reached.add(verdict)
    if _one_sided(rule):
        # A bound decides one side only (rules.Bound), a missing record is never evidence
        # against (rules.OnRecord), and a part no figure bears on keeps the claim from support
        # (rules.NoRecord): such a rule must still move between two verdicts.
        assert len(reached) >= 2, f"{claim.id}: the bound cannot move the verdict"
    else:
        assert {S, N} <= reached, f"{claim.id}: the rule cannot both hold and fail"


def _one_sided(rule: Any) -> bool:
    """Whether a rule (or a part of it) decides one side only: a documented bound, a search
    for records that cannot contradict, or a part that no documented figure bears on."""
    if isinstance(rule, AllOf):
        return any(_one_sided(r) for _, r in rule.parts)
    if isinstance(rule, IfDocumented):
        return _one_sided(rule.rule)
    return isinstance(rule, Bound | OnRecord | NoRecord)


def test_the_following_of_one_account_below_the_threshold_leaves_s000_f3_mixed() -> None:
    """S000-F3 used to read 'mean comments above zero' on the synthetic sample, true of any
    sample: now the Weibo half fails when the recorded followings fall short of 10,000 (one
    short: mixed; all short: not supported), and the WeChat half, with no documented figure,
    keeps the claim from support even when every following is large."""
    rule = next(c for c in findings.registry() if c.id == "S000-F3").evidence.rule
    records = {"following_records": 6}
    assert rule.decide(records | {"following_smallest": 33_000, "following_largest": 2e6})[0] is M
    one_short = records | {"following_smallest": 9_999, "following_largest": 2e6}
    assert rule.decide(one_short)[0] is M
    assert rule.decide(one_short)[1]["Weibo following.verdict"] == "mixed"
    all_short = records | {"following_smallest": 32, "following_largest": 9_000}
    assert rule.decide(all_short)[0] is N
    none = {"following_records": 0}
    assert rule.decide(none)[0] is Verdict.NOT_TESTABLE


def test_forces_without_a_ranking_keep_s001_f2_from_support() -> None:
    """S001-F2: a ranking before the launch supports a force's part, a following alone leaves it
    mixed, no record leaves it untested; the seed's own source never counts."""
    rule = next(c for c in findings.registry() if c.id == "S001-F2").evidence.rule
    keys = ("beijing", "xiamen", "jinan", "kunming", "hebei")
    ranked = {f"highlighted_{k}_rankings": ["rank2011"] for k in keys}
    ranked |= {f"highlighted_{k}_followings": [] for k in keys}
    assert rule.decide(ranked)[0] is S
    following_only = ranked | {
        "highlighted_xiamen_rankings": [],
        "highlighted_xiamen_followings": ["news2011"],
    }
    assert rule.decide(following_only)[0] is M
    own = ranked | {"highlighted_hebei_rankings": ["mattis2011public"]}
    assert rule.decide(own)[0] is M
    nothing = {k: [] for k in ranked}
    assert rule.decide(nothing)[0] is Verdict.NOT_TESTABLE


def test_content_types_rule_fails_when_a_type_is_rare() -> None:
    """S000-F2 used to read 'every share above zero', true of any sample: now a kind rarer than
    one post in twenty contradicts it, and an interval across 5% is mixed."""
    rule = next(c for c in findings.registry() if c.id == "S000-F2").evidence.rule
    common = {"share": 0.2, "low": 0.19, "high": 0.21}
    base = {
        f"share_{g}{suffix}": common[key]
        for g in ("publicity", "services", "interaction", "daily_tips")
        for suffix, key in (("", "share"), ("_low", "low"), ("_high", "high"))
    }
    assert rule.decide(base)[0] is S
    rare = base | {
        "share_interaction": 0.02,
        "share_interaction_low": 0.015,
        "share_interaction_high": 0.025,
    }
    assert rule.decide(rare)[0] is M  # one of four parts fails: the claim is mixed
    gone = {k: (0.01 if k.endswith("high") else 0.0) for k in base}
    assert rule.decide(gone)[0] is N
    edge = base | {
        "share_interaction": 0.05,
        "share_interaction_low": 0.04,
        "share_interaction_high": 0.06,
    }
    assert rule.decide(edge)[0] is M


def test_a_null_regional_effect_and_a_high_answer_rate_flip_the_synthetic_claims() -> None:
    """Plausible model output for a world without the seeds' effects."""
    registry = {c.id: c for c in findings.registry()}
    regional = registry["S000-F4"].evidence.rule
    assert (
        regional.decide(
            {"max_min_ratio": 1.05, "max_min_ratio_low": 0.92, "max_min_ratio_high": 1.2}
        )[0]
        is N
    )
    answers = registry["S000-F5"].evidence.rule
    high = {}
    for region in ("east", "central", "west", "northeast"):
        high |= {
            f"answer_rate_{region}": 0.8,
            f"answer_rate_{region}_low": 0.78,
            f"answer_rate_{region}_high": 0.82,
        }
    assert answers.decide(high)[0] is N
