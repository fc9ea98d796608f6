"""The findings as a reader meets them: key findings, one block per claim, the recommendations.

Three products, all computed from the evaluated registry (``findings.evaluate_all``) and the
documented milestones, never typed:

- ``key_findings_table``: the claims that data can test, in four short columns (claim,
  verdict, evidence, where shown), for the preface;
- ``claim_blocks``: one block per claim (paraphrase, source as a citation, evidence,
  test, result, caveat, verdict, where shown), for the findings appendix;
- ``recommendations``: each distinct measure the seeds recommend (``recommendations.toml``)
  with its five parts: what it asks, the problem in the evidence it answers, what the
  documented record shows happened later, an indicator that would show it worked, and a
  priority.

Priority rule (derived from the strength and specificity of the evidence that the problem
exists, strongest first; synthetic verdicts never count, because the sample was generated from
the seeds' claims):

1. *first*: a documented test in this report shows the problem (a documented claim whose verdict
   the entry lists as showing it), or a published study of police accounts reports it;
2. *second*: a published study of government (or all) social media accounts reports it, or a
   single documented report records it (a milestone whose certainty is "documented"): a study
   ranks at least as high as a single report;
3. *third*: only reports whose date or substance is uncertain, or only the seeds' own accounts,
   name the problem (a milestone the sources dispute does not count at all).

Each reason says what its evidence is (the kind of study and what it studied, or the report and
its certainty). A milestone that records the problem cannot also be what has happened since.

Everything here is plain data (text, bibliography keys, section ids), no markup: the book layer
(``analysis.book.report``) turns it into Markdown with the book's one escaping policy and emits
citations as ``[@key]``. May import: the base modules and ``analysis.findings``.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import TYPE_CHECKING, Any

from analysis import findings
from analysis.errors import AnalysisError
from analysis.findings.claims import (
    FOLLOWED,
    NEARLY_EVERY,
    REGIONS,
    WEIBO_FOLLOWING,
    Claim,
    Finding,
    registry,
)
from analysis.findings.rules import EvidenceKind, Verdict

if TYPE_CHECKING:
    import pandas as pd

RECOMMENDATIONS_FILE = "recommendations.toml"  # a resource of this package
PARTS = ("asks", "problem", "since", "indicator", "priority")
PRIORITIES = ("first", "second", "third")
PRIORITY_MEANING = {
    "first": "a documented test in this report or a published study of police accounts shows "
    "the problem",
    "second": "a published study of government accounts or a single documented report shows "
    "the problem",
    "third": "only uncertain reports or the seeds' own accounts name the problem",
}

# Each testable claim in a few words, for the key-findings table (a test checks that every
# claim with data evidence has one, short enough to read on a phone).
SHORT = {
    "S000-F1": "Nearly every department has accounts",
    "S000-F2": "Four kinds of content",
    "S000-F3": "Citizens follow, read and comment",
    "S000-F4": "Participation differs by region",
    "S000-F5": "Too few comments answered",
    "S000-F6": "Police among the most influential",
    "S000-C1": "Growth both bottom-up and top-down",
    "S001-D1": "National launch on 27 Sep 2011",
    "S001-D2": "About eighteen months of trials",
    "S001-D3": "Foshan took the first steps",
    "S001-F1": "Local trials before national launch",
    "S001-F2": "Ministry's other innovators",
    "S002-F2": "Nanjing's experience worth copying",
    "S003-D1": "About 160,000 on Tencent Weibo",
    "S003-D2": "About 100,000 on Sina Weibo",
    "S003-D3": "About 300,000 microblogs in all",
    "S003-D4": "Over 100% a year for five years",
    "S003-D5": "Over 3,000 agencies on WeChat",
    "S004-F1": "Ji'nan: forum, QQ groups, microblog",
    "S004-F2": "Beijing: PR group, then Safe Beijing",
}

_EVIDENCE_LABEL = {
    EvidenceKind.DOCUMENTED: "documented data",
    EvidenceKind.SYNTHETIC: "synthetic sample",
    EvidenceKind.QUALITATIVE: "the source's own account",
    EvidenceKind.OBSERVED: "observed sample",
}


class RecommendationError(AnalysisError):
    """The recommendations file is incomplete or names a claim or milestone that does not exist."""


BIBKEY = re.compile(r"[A-Za-z][A-Za-z0-9_:-]*")


def _keys(keys: Iterable[str], where: str) -> list[str]:
    """Bibliography keys, checked against the key pattern (they become citations)."""
    keys = [k for k in keys if k]
    for key in keys:
        if not BIBKEY.fullmatch(key):
            raise RecommendationError(f"{where}: {key!r} is not a bibliography key")
    return keys


def _section(location: str) -> str:
    """The section id of a book location ``chapters/<page>.qmd#sec-...`` ('' when none)."""
    anchor = location.partition("#")[2]
    return anchor if re.fullmatch(r"sec-[A-Za-z0-9_-]+", anchor) else ""


def short_label(claim: Claim) -> str:
    """The claim in a few words (its paraphrase when no short label exists)."""
    return SHORT.get(claim.id, claim.paraphrase)


def _is_tested(finding: Finding) -> bool:
    return finding.claim.evidence is not None


def _order(finding: Finding) -> int:
    return 0 if finding.evidence_kind is EvidenceKind.DOCUMENTED else 1


# --- the preface table ----------------------------------------------------------------------


def key_findings_table(evaluated: Sequence[Finding]) -> pd.DataFrame:
    """Every claim that data can test: claim in a few words, verdict, evidence, where shown."""
    import pandas as pd

    tested = sorted((f for f in evaluated if _is_tested(f)), key=_order)
    rows = [
        {
            "claim": f"{short_label(f.claim)} ({f.claim.id})",
            "verdict": f.verdict_text
            + (f"; same test as {shared}" if (shared := f.claim.shares_test_with) else ""),
            "evidence": _EVIDENCE_LABEL[f.evidence_kind],
            "shown in": f.claim.chapter,
        }
        for f in tested
    ]
    frame = pd.DataFrame(rows, columns=["claim", "verdict", "evidence", "shown in"])
    untested = len(evaluated) - len(tested)
    kinds = Counter(_EVIDENCE_LABEL[f.evidence_kind] for f in tested)
    split = "; ".join(
        f"{n} on {'' if kind.startswith('documented') else 'the '}{kind}"
        for kind, n in kinds.items()
    )
    frame.attrs["note"] = (
        f"The {len(tested)} claims of the seeds that data can test ({split}), documented data "
        "first; the evidence column says what each row rests on. "
        f"The other {untested} rest on the sources' own accounts; the findings appendix lists "
        "every claim with its rule, result and caveats."
    )
    if any(f.evidence_kind is EvidenceKind.SYNTHETIC for f in tested):
        frame.attrs["note"] += (
            " Verdicts on the synthetic sample show that the analysis recovers what the "
            "simulation assumed, not facts about China."
        )
    return frame


# --- the appendix blocks --------------------------------------------------------------------


def claim_blocks(evaluated: Sequence[Finding]) -> list[dict[str, Any]]:
    """One block per claim in registry order: its words, source, verdict, test, result, caveat."""
    out = []
    for f in evaluated:
        c = f.claim
        out.append(
            {
                "id": c.id,
                "seed": c.seed,
                "seed_title": c.source.title,
                "kind": c.kind,
                "claim": c.paraphrase,
                "sources": _keys([c.source.bibkey], c.id),
                "verdict": f.verdict_text,
                "evidence": str(f.evidence_kind)
                + (f" ({c.evidence.describe()})" if c.evidence else ""),
                "test": c.test,
                "result": f.summary if c.evidence is not None else "",
                "needs": c.needs if c.evidence is None else "",
                "caveat": c.caveat if c.evidence is None else "",
                "section": _section(c.chapter),
            }
        )
    return out


# --- recommendations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    id: str
    seed: str
    claim: str
    title: str
    asks: str
    problem: str
    problem_claims: tuple[tuple[str, tuple[str, ...]], ...]
    problem_milestones: tuple[str, ...]
    problem_studies: tuple[str, ...]
    since: tuple[str, ...]
    since_text: str
    indicator: str


_TEXT_FIELDS = ("id", "seed", "claim", "title", "asks", "problem", "since_text", "indicator")
_LIST_FIELDS = ("problem_milestones", "problem_studies", "since")


def load_recommendations(text: str | None = None) -> tuple[Recommendation, ...]:
    """The recommendations file parsed and checked: every text part present and non-empty."""
    if text is None:
        text = resources.files("analysis.findings").joinpath(RECOMMENDATIONS_FILE).read_text()
    where = f"analysis/findings/{RECOMMENDATIONS_FILE}"
    try:
        entries = tomllib.loads(text).get("recommendation", [])
    except tomllib.TOMLDecodeError as exc:
        raise RecommendationError(f"{where}: not valid TOML: {exc}") from None
    out = []
    for number, entry in enumerate(entries, start=1):
        label = f"{where}, recommendation {number} ({entry.get('id', 'no id')})"
        for name in _TEXT_FIELDS:
            if not isinstance(entry.get(name), str) or not entry[name].strip():
                raise RecommendationError(
                    f"{label}: field {name!r} expected non-empty text, found {entry.get(name)!r}"
                )
        for name in (*_LIST_FIELDS, "problem_claims"):
            if not isinstance(entry.get(name, []), list):
                raise RecommendationError(
                    f"{label}: field {name!r} expected a list, found {entry[name]!r}"
                )
        claims = []
        for item in entry.get("problem_claims", []):
            shows = item.get("shows_if", []) if isinstance(item, dict) else None
            if not isinstance(shows, list) or not all(s in Verdict.__members__ for s in shows):
                raise RecommendationError(
                    f"{label}: problem_claims expects {{claim, shows_if = [Verdict names]}}, "
                    f"found {item!r}; verdict names are {sorted(Verdict.__members__)}"
                )
            claims.append((str(item.get("claim", "")), tuple(shows)))
        out.append(
            Recommendation(
                **{name: entry[name].strip() for name in _TEXT_FIELDS},
                problem_claims=tuple(claims),
                **{name: tuple(entry.get(name, [])) for name in _LIST_FIELDS},
            )
        )
    for rec in out:
        both = sorted(set(rec.problem_milestones) & set(rec.since))
        if both:
            raise RecommendationError(
                f"{where}, {rec.id}: milestone {', '.join(both)} is listed both as the problem "
                "and as what has happened since; one event cannot be both"
            )
    ids = [r.id for r in out]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RecommendationError(f"{where}: ids used twice: {', '.join(duplicates)}")
    return tuple(out)


@dataclass(frozen=True)
class Study:
    """A published study a recommendation cites for its problem: what kind, and of what."""

    key: str
    kind: str  # e.g. "peer-reviewed article", "book chapter"
    of: str  # what it studied, e.g. "government microblogs on Sina"
    police: bool  # whether it studies police accounts specifically

    @property
    def text(self) -> str:
        return f"{self.kind} on {self.of}"


def load_studies(text: str | None = None) -> dict[str, Study]:
    """The ``[study.<key>]`` tables of the recommendations file: each needs kind, of, police."""
    if text is None:
        text = resources.files("analysis.findings").joinpath(RECOMMENDATIONS_FILE).read_text()
    out = {}
    for key, entry in tomllib.loads(text).get("study", {}).items():
        kind, of, police = entry.get("kind"), entry.get("of"), entry.get("police")
        if not (isinstance(kind, str) and isinstance(of, str) and isinstance(police, bool)):
            raise RecommendationError(
                f"analysis/findings/{RECOMMENDATIONS_FILE}, study {key!r}: expected kind and of "
                f"as text and police as true or false, found {entry!r}"
            )
        out[_keys([key], f"study {key}")[0]] = Study(key, kind, of, police)
    return out


@dataclass(frozen=True)
class Milestone:
    id: str
    date: str
    precision: str
    event: str
    certainty: str
    sources: tuple[str, ...]

    @property
    def date_text(self) -> str:
        """The date as precise as the source allows, e.g. '25 February 2010', 'December 2018'."""
        day = date.fromisoformat(self.date)
        text = {
            "day": f"{day.day} {day:%B %Y}",
            "month": f"{day:%B %Y}",
        }.get(self.precision, f"{day.year}")
        return text + (" (date uncertain)" if self.certainty == "uncertain" else "")


def milestones_from_frame(frame: pd.DataFrame) -> dict[str, Milestone]:
    """The documented milestones by id, from the loaded ``milestones`` resource."""
    out = {}
    for row in frame.itertuples(index=False):
        out[str(row.milestone_id)] = Milestone(
            str(row.milestone_id),
            str(row.date)[:10],
            str(row.date_precision),
            str(row.event),
            str(row.certainty),
            tuple(k.strip() for k in str(row.source).split(";") if k.strip()),
        )
    return out


@dataclass(frozen=True)
class Assessed:
    """A recommendation with its evidence weighed and its priority decided."""

    recommendation: Recommendation
    priority: str
    reasons: tuple[tuple[str, tuple[str, ...]], ...]  # (why, bibliography keys) pairs
    synthetic_only: tuple[str, ...]  # synthetic claims that illustrate the problem, not counted
    sample: str = "the synthetic sample"  # what "{sample}" in the entry's text reads as


def assess(
    rec: Recommendation,
    evaluated: Mapping[str, Finding],
    milestones: Mapping[str, Milestone],
    studies: Mapping[str, Study] | None = None,
) -> Assessed:
    """Apply the priority rule of the module docstring to one recommendation."""
    studies = load_studies() if studies is None else studies
    reasons: list[tuple[int, str, tuple[str, ...]]] = []  # (tier, what the evidence is, keys)
    synthetic: list[str] = []
    observed = False
    for claim_id, shows in rec.problem_claims:
        finding = evaluated.get(claim_id)
        if finding is None:
            raise RecommendationError(f"recommendation {rec.id}: unknown claim {claim_id!r}")
        observed = observed or finding.observed
        shown = finding.verdict.name in shows
        if finding.evidence_kind is EvidenceKind.SYNTHETIC:
            synthetic.append(claim_id)
        elif finding.evidence_kind in (EvidenceKind.DOCUMENTED, EvidenceKind.OBSERVED) and shown:
            reasons.append(
                (1, f"documented test of {claim_id} in this report: {finding.verdict}", ())
            )
    for key in rec.problem_studies:
        study = studies.get(key)
        if study is None:
            raise RecommendationError(
                f"recommendation {rec.id}: study {key!r} has no [study.{key}] entry saying what "
                "kind of study it is"
            )
        reasons.append((1 if study.police else 2, study.text, (key,)))
    for mid in rec.problem_milestones:
        milestone = _milestone(rec, mid, milestones)
        if milestone.certainty == "disputed":
            continue
        certain = milestone.certainty == "documented"
        what = "a single documented report" if certain else "a single report, marked uncertain"
        reasons.append(
            (2 if certain else 3, f"{what}: {milestone.event.rstrip('.')}", milestone.sources)
        )
    sample = "the observed sample" if observed else "the synthetic sample"
    tier = min((t for t, _, _ in reasons), default=3)
    ordered = tuple((text, keys) for _, text, keys in sorted(reasons, key=lambda r: r[0]))
    return Assessed(rec, PRIORITIES[tier - 1], ordered, tuple(synthetic), sample)


def _milestone(rec: Recommendation, mid: str, milestones: Mapping[str, Milestone]) -> Milestone:
    try:
        return milestones[mid]
    except KeyError:
        raise RecommendationError(
            f"recommendation {rec.id}: milestone {mid!r} is not in data/documented/milestones.csv"
        ) from None


def assess_all(
    evaluated: Sequence[Finding],
    milestones: Mapping[str, Milestone],
    recs: tuple[Recommendation, ...] | None = None,
) -> list[Assessed]:
    """Every recommendation assessed, in file order; each must belong to a registry claim."""
    by_id = {f.claim.id: f for f in evaluated}
    recs = load_recommendations() if recs is None else recs
    for rec in recs:
        if rec.claim not in by_id:
            raise RecommendationError(f"recommendation {rec.id}: unknown claim {rec.claim!r}")
    return [assess(rec, by_id, milestones) for rec in recs]


def _since_note(rec: Recommendation, events: Sequence[Milestone]) -> str:
    """How the listed events stand to the seed in time: an undated seed cannot be followed."""
    if not events:
        return ""
    source = findings.SOURCES[rec.seed]
    if not source.dated:
        return (
            f"Seed {rec.seed} is undated, so these are documented events in the same direction, "
            "not necessarily later than the seed. "
        )
    before = [m.id for m in events if m.date < source.dated]
    if before:
        return (
            f"Seed {rec.seed} is dated {source.date_words}; {_and(before)} came before it and "
            "are context, not consequences. "
        )
    return f"Every event listed is later than seed {rec.seed}, dated {source.date_words}. "


def recommendation_entry(item: Assessed, milestones: Mapping[str, Milestone]) -> dict:
    """The five parts of one recommendation as plain data (the book renders them)."""
    rec = item.recommendation
    events = sorted((_milestone(rec, mid, milestones) for mid in rec.since), key=lambda m: m.date)
    return {
        "id": rec.id,
        "seed": rec.seed,
        "claim": rec.claim,
        "title": rec.title,
        "asks": rec.asks,
        "asks_sources": _keys([findings.SOURCES[rec.seed].bibkey], rec.id),
        "problem": rec.problem.replace("{sample}", item.sample),
        "problem_sources": _keys(rec.problem_studies, rec.id),
        "synthetic_only": list(item.synthetic_only),
        "since": [
            {
                "id": m.id,
                "date": m.date_text,
                "event": m.event.rstrip("."),
                "sources": _keys(m.sources, f"{rec.id}, milestone {m.id}"),
            }
            for m in events
        ],
        "since_text": _since_note(rec, events) + rec.since_text,
        "indicator": rec.indicator,
        "priority": item.priority,
        "priority_meaning": PRIORITY_MEANING[item.priority],
        "priority_reasons": [
            {"text": text, "sources": _keys(keys, rec.id)} for text, keys in item.reasons
        ],
    }


# --- the values artifact --------------------------------------------------------------------

# Evidence artifacts whose values the summary's computed words read (passed in this order).
FACTS = ("coverage.values", "diffusion.values", "diffusion.wechat_values", "timeline.values")


def _direction(later: float, earlier: float, up: str, down: str, same: str) -> str:
    return up if later > earlier else down if later < earlier else same


def _and(names: Sequence[str]) -> str:
    names = [str(n) for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# Documented claims whose verdicts the summary quotes (their verdict artifacts are dependencies).
WORD_CLAIMS = ("S000-F1", "S000-F3", "S001-F1", "S003-D2", "S003-D4")


def coverage_words(coverage: Mapping[str, Any]) -> dict[str, Any]:
    """How the listed coverage stands to the threshold S000-F1 reads "almost all" as, in words:
    every share is a lower bound, so only shares below the threshold leave the claim open."""
    below = [r for r in REGIONS if coverage[f"prefecture_coverage_{r}"] < NEARLY_EVERY]
    provinces_below = coverage["provincial_share"] < NEARLY_EVERY
    if not below and not provinces_below:
        words = f"at least {NEARLY_EVERY:.0%} in every region and among provinces"
    else:
        parts = ([f"in the {_and(below)}"] if below else []) + (
            ["among provinces"] if provinces_below else []
        )
        words = f"below {NEARLY_EVERY:.0%} {' and '.join(parts)}"
    return {
        "coverage_threshold": NEARLY_EVERY,
        "coverage_regions_below_threshold": len(below),
        "coverage_against_threshold_words": words,
    }


def summary_words(
    verdicts: Mapping[str, Mapping[str, Any]], facts: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """Words and counts the executive summary and the conclusion use, computed from documented
    values and the verdicts of ``WORD_CLAIMS`` (``{claim id: {"verdict": text as readers meet
    it, "verdict_code": the bare verdict}}``, as the verdict artifacts store them)."""
    diffusion, wechat = facts["diffusion.values"], facts["diffusion.wechat_values"]
    rank = int(wechat["police_rank"])
    claims = registry()
    out: dict[str, Any] = {
        "n_claims": len(claims),
        "n_tested": sum(c.evidence is not None for c in claims),
        "n_untested": sum(c.evidence is None for c in claims),
        "wechat_police_rank_words": "the largest sector" if rank == 1 else f"sector number {rank}",
        "growth_direction": _direction(
            diffusion["growth_2013"], diffusion["growth_2011"], "rose", "fell", "stayed"
        ),
        "all_platforms_direction": _direction(
            diffusion["oped_all_platforms"],
            diffusion["documented_all_platforms"],
            "above",
            "below",
            "equal to",
        ),
        "all_platforms_gap": abs(
            diffusion["oped_all_platforms"] / diffusion["documented_all_platforms"] - 1
        ),
        "first_local_places_words": _and(facts["timeline.values"]["first_local_places"]),
        "first_local_dispute_words": "the sources disagree on which was first"
        if facts["timeline.values"].get("first_local_disputed") == "yes"
        else "the sources agree on which was first",
        "five_years_documented_words": "covers"
        if diffusion.get("five_years_documented") == "yes"
        else "does not cover",
    }
    out |= coverage_words(facts["coverage.values"])
    for claim_id in WORD_CLAIMS:
        out[f"{claim_id}.verdict"] = str(verdicts[claim_id]["verdict_code"])
        out[f"{claim_id}.verdict_text"] = str(verdicts[claim_id]["verdict"])
    # S000-F3's Weibo half on its own (the claim as a whole cannot be supported: its WeChat half
    # has no documented figure), with the threshold its reading sets.
    parts = verdicts["S000-F3"].get("result") or {}
    out["following_threshold"] = FOLLOWED
    out["S000-F3.weibo_verdict"] = str(
        parts.get(f"{WEIBO_FOLLOWING}.verdict", verdicts["S000-F3"]["verdict_code"])
    )
    return out


def report_values(evaluated: Sequence[Finding], milestone_frame: pd.DataFrame) -> dict[str, Any]:
    """Counts, the claim blocks and the recommendations, as plain data."""
    milestones = milestones_from_frame(milestone_frame)
    assessed = assess_all(evaluated, milestones)
    tested = [f for f in evaluated if _is_tested(f)]
    out: dict[str, Any] = {
        "n_claims": len(evaluated),
        "n_tested": len(tested),
        "n_tested_documented": sum(f.evidence_kind is EvidenceKind.DOCUMENTED for f in tested),
        "n_tested_synthetic": sum(f.evidence_kind is EvidenceKind.SYNTHETIC for f in tested),
        "n_tested_observed": sum(f.evidence_kind is EvidenceKind.OBSERVED for f in tested),
        "n_untested": len(evaluated) - len(tested),
        "n_recommendations": len(assessed),
        "claims": claim_blocks(evaluated),
        "recommendations": [recommendation_entry(a, milestones) for a in assessed],
    }
    for seed in findings.SOURCES:
        out[f"n_recommendations_{seed}"] = sum(a.recommendation.seed == seed for a in assessed)
    for priority in PRIORITIES:
        out[f"n_priority_{priority}"] = sum(a.priority == priority for a in assessed)
    return out
