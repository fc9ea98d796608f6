"""The findings registry: every claim of the five source documents, its evidence and its verdict.

Each claim has a stable id (``S<seed>-<letter><n>``), the source it comes from, a paraphrase in
our own words, the kind of evidence the project can bring (documented data, the synthetic
sample, or none beyond the qualitative source), the artifact and values that carry the
evidence, the chapter section that shows it, and a verdict decided by an explicit rule.

Verdict rules (every rule answers supported / not supported / mixed):

- ``Compare`` (a directional claim, "more than", "at least", "lower than"), judged on an
  interval [low, high] (a 95% confidence interval for model estimates; low = high for a
  documented figure): *supported* if the whole interval lies on the claimed side of the
  reference value (strictly for "more than", inclusively for "at least"); *not supported* if
  the whole interval lies on the other side, or inside a stated equivalence band around the
  reference (no meaningful difference); *mixed* otherwise (the interval straddles the
  reference).
- ``Near`` (a documented "about N"): relative deviation d = |observed - N| / N against a
  stated tolerance t (default 10%, the rounding an "about" in the sources allows): *supported*
  if d <= t, *not supported* if d > 2t, *mixed* in between.
  When the documented figure is known only as a range (dates given to the month), d is the
  distance from N to the nearest point of the range.
- ``IfDocumented``: the wrapped rule, unless the evidence artifact lists the figure among those
  no source documents, in which case the claim is *not testable with these data*.
- ``SourcesAgree`` (a contested fact, such as which city was first): the claim's own source is
  set aside; *supported* if only independent sources backing it remain, *not supported* if
  only sources contradicting it, *mixed* if they disagree.
- ``Equals`` (a date or a name): *supported* if the documented value equals the claimed one,
  *not supported* otherwise.
- ``Precedes`` (an ordering of two documented dates): *supported* if the first is strictly
  earlier, *not supported* otherwise.
- ``AllOf`` / ``each`` (a claim about every region, level or platform): *supported* if every
  part is supported, *not supported* if every part is not supported, *mixed* otherwise.
- A claim with qualitative evidence only is *not testable with these data*; a claim whose
  artifact does not exist yet is reported as *evidence pending*, never given a number.

Verdicts on the synthetic sample are computed by the same rules, but the sample was generated
from parameters that encode the seeds' claims, so such a verdict shows that the pipeline
recovers what was put in; it is not a fact about China. Every synthetic verdict says so.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol

from analysis.errors import AnalysisError

if TYPE_CHECKING:
    import pandas as pd


class EvidenceError(AnalysisError):
    """A claim's evidence artifact lacks a value the claim reads, or has the wrong kind."""


class Verdict(StrEnum):
    SUPPORTED = "supported"
    NOT_SUPPORTED = "not supported"
    MIXED = "mixed"
    NOT_TESTABLE = "not testable with these data"
    PENDING = "evidence pending"  # the artifact does not exist yet: no verdict, no number


class EvidenceKind(StrEnum):
    DOCUMENTED = "documented data"
    SYNTHETIC = "synthetic sample"
    QUALITATIVE = "qualitative source only"


SYNTHETIC_CAVEAT = (
    "synthetic sample: shows the pipeline recovers its inputs, not a fact about China"
)

Values = Mapping[str, Any]


# --- verdict rules --------------------------------------------------------------------------


class Rule(Protocol):
    """A verdict rule: reads named values of one artifact and decides a verdict."""

    def inputs(self) -> tuple[str, ...]: ...

    def headline(self) -> tuple[str, ...]: ...

    def describe(self) -> str: ...

    def decide(self, values: Values) -> tuple[Verdict, dict[str, Any], str]: ...


def _read(values: Values, key: str) -> Any:
    try:
        return values[key]
    except KeyError:
        raise EvidenceError(f"no value {key!r}; the artifact has {sorted(values)}") from None


def _number(values: Values, key: str) -> float:
    found = _read(values, key)
    if isinstance(found, bool) or not isinstance(found, int | float) or math.isnan(found):
        raise EvidenceError(f"value {key!r}: expected a number, found {found!r}")
    return float(found)


def fmt(x: Any) -> str:
    """A number as prose: thousands separators for counts, four significant digits otherwise."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    if float(x).is_integer() and abs(x) >= 1:
        return f"{x:,.0f}"
    return f"{x:,.4g}"


@dataclass(frozen=True)
class Compare:
    """A directional claim: the value lies above (or below) a reference, judged on an interval."""

    key: str
    reference: float
    direction: Literal["above", "below"]
    low: str | None = None  # key of the interval's lower bound (None: a point value)
    high: str | None = None
    inclusive: bool = False  # "at least" / "at most" rather than "more than" / "less than"
    equivalence: tuple[float, float] | None = None  # band meaning "no meaningful difference"

    def inputs(self) -> tuple[str, ...]:
        return tuple(k for k in (self.key, self.low, self.high) if k)

    def headline(self) -> tuple[str, ...]:
        return (self.key,)

    def side(self) -> str:
        """The claimed relation in words, e.g. "more than 3,000"."""
        words = {
            ("above", False): "more than",
            ("above", True): "at least",
            ("below", False): "less than",
            ("below", True): "at most",
        }[(self.direction, self.inclusive)]
        return f"{words} {fmt(self.reference)}"

    def describe(self) -> str:
        text = f"{self.key} {self.side()}"
        if self.low:
            text += " (whole 95% interval)"
        if self.equivalence:
            text += f"; equivalence band {fmt(self.equivalence[0])}-{fmt(self.equivalence[1])}"
        return text

    def decide(self, values: Values) -> tuple[Verdict, dict[str, Any], str]:
        estimate = _number(values, self.key)
        low = _number(values, self.low) if self.low else estimate
        high = _number(values, self.high) if self.high else estimate
        if not low <= estimate <= high:
            raise EvidenceError(
                f"interval for {self.key!r}: expected low <= estimate <= high, "
                f"found {low} <= {estimate} <= {high}"
            )
        return self.judge(estimate, low, high)

    def judge(
        self, estimate: float, low: float, high: float
    ) -> tuple[Verdict, dict[str, Any], str]:
        """The verdict for an estimate and its interval (the rule itself, testable alone)."""
        ref = self.reference
        if self.direction == "above":
            claimed = low >= ref if self.inclusive else low > ref
            opposite = high < ref if self.inclusive else high <= ref
        else:
            claimed = high <= ref if self.inclusive else high < ref
            opposite = low > ref if self.inclusive else low >= ref
        equivalent = bool(self.equivalence) and (
            self.equivalence[0] <= low and high <= self.equivalence[1]
        )
        if claimed:
            verdict = Verdict.SUPPORTED
        elif opposite or equivalent:
            verdict = Verdict.NOT_SUPPORTED
        else:
            verdict = Verdict.MIXED
        result = {"estimate": estimate, "low": low, "high": high, "reference": ref}
        interval = f" [{fmt(low)}, {fmt(high)}]" if self.low else ""
        text = f"{fmt(estimate)}{interval} vs {self.side()}"
        return verdict, result, text


@dataclass(frozen=True)
class Near:
    """A documented "about N": the observed figure within a relative tolerance of N.

    When the documented figure is only known to lie in a range (``low``..``high``, e.g. a span
    between dates given to the month), the deviation is the distance from N to that range.
    """

    key: str
    claimed: float
    tolerance: float = 0.10
    low: str | None = None
    high: str | None = None

    def inputs(self) -> tuple[str, ...]:
        return tuple(k for k in (self.key, self.low, self.high) if k)

    def headline(self) -> tuple[str, ...]:
        return (self.key,)

    def describe(self) -> str:
        where = " (nearest point of its documented range)" if self.low else ""
        return (
            f"{self.key}{where} within {self.tolerance:.0%} of {fmt(self.claimed)} "
            f"(mixed up to {2 * self.tolerance:.0%})"
        )

    def decide(self, values: Values) -> tuple[Verdict, dict[str, Any], str]:
        observed = _number(values, self.key)
        low = _number(values, self.low) if self.low else observed
        high = _number(values, self.high) if self.high else observed
        if not low <= observed <= high:
            raise EvidenceError(
                f"range for {self.key!r}: expected low <= value <= high, "
                f"found {low} <= {observed} <= {high}"
            )
        return self.judge(observed, low, high)

    def judge(
        self, observed: float, low: float | None = None, high: float | None = None
    ) -> tuple[Verdict, dict[str, Any], str]:
        """The verdict for an observed figure or range (the rule itself, testable alone)."""
        low = observed if low is None else low
        high = observed if high is None else high
        nearest = min(max(self.claimed, low), high)
        deviation = abs(nearest - self.claimed) / abs(self.claimed)
        if deviation <= self.tolerance:
            verdict = Verdict.SUPPORTED
        elif deviation > 2 * self.tolerance:
            verdict = Verdict.NOT_SUPPORTED
        else:
            verdict = Verdict.MIXED
        result = {"estimate": observed, "claimed": self.claimed, "relative_deviation": deviation}
        shown = fmt(observed)
        if low != high:
            result |= {"low": low, "high": high}
            shown = f"{fmt(low)}-{fmt(high)}"
        text = f"{shown} vs about {fmt(self.claimed)} (off by {deviation:.1%})"
        return verdict, result, text


@dataclass(frozen=True)
class IfDocumented:
    """Apply a rule unless the artifact lists the claimed figure as having no documented value.

    The artifact says so explicitly (``list_key`` holds ``item``); a silently missing value is
    still an error, so a bug cannot pass for a gap in the sources.
    """

    rule: Rule
    list_key: str
    item: str

    def inputs(self) -> tuple[str, ...]:
        return (self.list_key, *self.rule.inputs())

    def headline(self) -> tuple[str, ...]:
        return self.rule.headline()

    def describe(self) -> str:
        return f"{self.rule.describe()}; not testable if no documented value exists"

    def decide(self, values: Values) -> tuple[Verdict, dict[str, Any], str]:
        if self.item in _read(values, self.list_key):
            return Verdict.NOT_TESTABLE, {}, f"no documented count for {self.item}"
        return self.rule.decide(values)


@dataclass(frozen=True)
class SourcesAgree:
    """Do independent sources back a contested fact? Lists of source keys for and against.

    The claim's own source is left out (a source cannot corroborate itself). Supported if only
    sources for remain, not supported if only sources against, mixed if both (or neither).
    """

    supporting: tuple[str, ...]  # keys of lists of sources that back the claim
    contradicting: tuple[str, ...]  # keys of lists of sources that contradict it
    own_source: str

    def inputs(self) -> tuple[str, ...]:
        return (*self.supporting, *self.contradicting)

    def headline(self) -> tuple[str, ...]:
        return self.inputs()

    def describe(self) -> str:
        return (
            f"independent sources in {', '.join(self.supporting)} against "
            f"{', '.join(self.contradicting)} (excluding {self.own_source})"
        )

    def decide(self, values: Values) -> tuple[Verdict, dict[str, Any], str]:
        def sources(keys: tuple[str, ...]) -> list[str]:
            found = {str(s) for k in keys for s in _read(values, k)}
            return sorted(found - {self.own_source})

        backing, against = sources(self.supporting), sources(self.contradicting)
        if backing and not against:
            verdict = Verdict.SUPPORTED
        elif against and not backing:
            verdict = Verdict.NOT_SUPPORTED
        else:
            verdict = Verdict.MIXED
        result = {"sources_for": len(backing), "sources_against": len(against)}
        text = (
            f"{len(backing)} independent source(s) for ({', '.join(backing) or 'none'}), "
            f"{len(against)} against ({', '.join(against) or 'none'})"
        )
        return verdict, result, text


@dataclass(frozen=True)
class Equals:
    """A documented date or name equal to the one the source states."""

    key: str
    expected: str | float

    def inputs(self) -> tuple[str, ...]:
        return (self.key,)

    def headline(self) -> tuple[str, ...]:
        return (self.key,)

    def describe(self) -> str:
        return f"{self.key} equals {self.expected}"

    def decide(self, values: Values) -> tuple[Verdict, dict[str, Any], str]:
        found = _read(values, self.key)
        verdict = Verdict.SUPPORTED if found == self.expected else Verdict.NOT_SUPPORTED
        return verdict, {"estimate": found}, f"{fmt(found)} vs stated {fmt(self.expected)}"


@dataclass(frozen=True)
class Precedes:
    """Two documented dates in the stated order: the first strictly before the second."""

    earlier: str
    later: str

    def inputs(self) -> tuple[str, ...]:
        return (self.earlier, self.later)

    def headline(self) -> tuple[str, ...]:
        return (self.earlier, self.later)

    def describe(self) -> str:
        return f"{self.earlier} before {self.later}"

    def decide(self, values: Values) -> tuple[Verdict, dict[str, Any], str]:
        first, second = (_date(values, k) for k in (self.earlier, self.later))
        verdict = Verdict.SUPPORTED if first < second else Verdict.NOT_SUPPORTED
        days = (second - first).days
        result = {"earlier": first.isoformat(), "later": second.isoformat(), "days": days}
        return verdict, result, f"{first} then {second} ({days:,} days apart)"


def _date(values: Values, key: str) -> date:
    found = _read(values, key)
    try:
        return date.fromisoformat(str(found)[:10])
    except ValueError:
        raise EvidenceError(f"value {key!r}: expected a YYYY-MM-DD date, found {found!r}") from None


@dataclass(frozen=True)
class AllOf:
    """A claim about every group: supported if all parts are, not supported if none is."""

    parts: tuple[tuple[str, Rule], ...]

    def inputs(self) -> tuple[str, ...]:
        return tuple(k for _, rule in self.parts for k in rule.inputs())

    def headline(self) -> tuple[str, ...]:
        return tuple(k for _, rule in self.parts for k in rule.headline())

    def describe(self) -> str:
        return "each of: " + "; ".join(f"{label}: {rule.describe()}" for label, rule in self.parts)

    def decide(self, values: Values) -> tuple[Verdict, dict[str, Any], str]:
        verdicts, result, texts = [], {}, []
        for label, rule in self.parts:
            verdict, part, text = rule.decide(values)
            verdicts.append(verdict)
            result |= {f"{label}.{k}": v for k, v in part.items()}
            result[f"{label}.verdict"] = str(verdict)
            texts.append(text)
        heads = [t.split(" vs ")[0] for t in texts]
        tails = {t.split(" vs ", 1)[1] for t in texts if " vs " in t}
        joined = "; ".join(
            f"{label} {head}" for (label, _), head in zip(self.parts, heads, strict=True)
        )
        if len(tails) == 1:
            joined += f" (each vs {tails.pop()})"
        return combine(verdicts), result, joined


def combine(verdicts: list[Verdict]) -> Verdict:
    """All parts supported -> supported; all not supported -> not supported; else mixed."""
    if verdicts and all(v is Verdict.SUPPORTED for v in verdicts):
        return Verdict.SUPPORTED
    if verdicts and all(v is Verdict.NOT_SUPPORTED for v in verdicts):
        return Verdict.NOT_SUPPORTED
    return Verdict.MIXED


def each(template: Rule, groups: tuple[str, ...]) -> AllOf:
    """The template rule once per group, with ``{group}`` in its keys replaced by the group."""

    def for_group(group: str) -> Rule:
        changes = {
            f.name: getattr(template, f.name).format(group=group)
            for f in dataclasses.fields(template)  # type: ignore[arg-type]
            if isinstance(getattr(template, f.name), str)
        }
        return dataclasses.replace(template, **changes)  # type: ignore[type-var]

    return AllOf(tuple((group, for_group(group)) for group in groups))


RULE_TABLE: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "Compare",
        "directional claims (more than, at least, lower than); model effects",
        "the whole interval lies on the claimed side of the reference",
        "the whole interval lies on the other side, or inside the equivalence band",
        "the interval contains the reference",
    ),
    (
        "Near",
        "documented figures stated as 'about N'",
        "relative deviation at most the tolerance (10% unless stated)",
        "relative deviation above twice the tolerance",
        "relative deviation between one and two tolerances",
    ),
    (
        "Near over a range",
        "documented figures known only to lie in a range (dates given to the month)",
        "the distance from N to the range is at most the tolerance",
        "that distance is above twice the tolerance",
        "in between",
    ),
    (
        "IfDocumented",
        "figures the sources may not document (the artifact lists the gaps)",
        "as the wrapped rule",
        "as the wrapped rule",
        "as the wrapped rule; 'not testable with these data' if the figure is listed as a gap",
    ),
    (
        "SourcesAgree",
        "contested facts recorded from several sources (who was first)",
        "only independent sources backing the claim remain",
        "only independent sources contradicting it remain",
        "independent sources disagree (the claim's own source is never counted)",
    ),
    (
        "Equals",
        "documented dates and names",
        "the documented value equals the stated one",
        "it differs",
        "never",
    ),
    (
        "Precedes",
        "order of two documented events",
        "the first is strictly earlier",
        "it is not",
        "never",
    ),
    (
        "AllOf / each",
        "claims about every region, level or platform",
        "every part is supported",
        "every part is not supported",
        "the parts disagree",
    ),
    (
        "qualitative",
        "claims with no data the project can bring",
        "-",
        "-",
        "-: the verdict is 'not testable with these data'",
    ),
)


# --- the registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    seed: str  # file name in the seed collection
    bibkey: str  # key in references.bib
    title: str


SOURCES: dict[str, Source] = {
    "000": Source(
        "000_f061ba9e37932346.txt",
        "seed000participation",
        "Study abstract: citizen participation in police Weibo and WeChat",
    ),
    "001": Source(
        "001_74697f81b3c6d634.txt",
        "mattis2011public",
        "Mattis, 'Public Security Officially Joins the Blogosphere', China Brief 2011",
    ),
    "002": Source(
        "002_ec13df98ce14cd10.txt",
        "seed002micropolicing",
        "Study abstract: 'micropolicing' and the Nanjing Public Security Bureau",
    ),
    "003": Source(
        "003_1be2842a34887ad7.txt",
        "ma2014chinadaily",
        "Ma, 'Govt blogs have work to do', China Daily op-ed 2014",
    ),
    "004": Source(
        "004_c4f695a2d5570ccb.txt",
        "yin2010jinan",
        "Ji'nan Times interview with deputy director Xu Chunhua",
    ),
}

ClaimKind = Literal[
    "finding", "characteristic", "obstacle", "recommendation", "practice", "aim", "figure"
]


@dataclass(frozen=True)
class Evidence:
    artifact: str
    rule: Rule

    def describe(self) -> str:
        """The artifact and the values it reads (interval bounds left out)."""
        keys = self.rule.headline()
        shown = ", ".join(keys) if len(keys) <= 3 else f"{keys[0]}, ... ({len(keys)} values)"
        return f"{self.artifact}: {shown}"


@dataclass(frozen=True)
class Claim:
    id: str
    seed: str
    kind: ClaimKind
    paraphrase: str
    evidence_kind: EvidenceKind
    evidence: Evidence | None = None
    chapter: str = ""  # "chapters/<file>.qmd#sec-<anchor>" where the book shows the claim
    needs: str = ""  # for qualitative claims: what data could test it
    caveat: str = ""  # what the evidence cannot show, appended to the result
    reading: str = ""  # how the claim's words become a test (thresholds and their reasons)

    @property
    def test(self) -> str:
        """How the claim is tested, in words: the reading, else the rule itself."""
        if self.evidence is None:
            return "none: qualitative source only"
        return self.reading or self.evidence.rule.describe()

    @property
    def source(self) -> Source:
        return SOURCES[self.seed]


@dataclass(frozen=True)
class Finding:
    """A claim with its evaluated evidence."""

    claim: Claim
    verdict: Verdict
    result: dict[str, Any]
    summary: str

    @property
    def verdict_text(self) -> str:
        """The verdict as a reader meets it; synthetic verdicts carry their caveat."""
        if self.claim.evidence_kind is EvidenceKind.SYNTHETIC and self.verdict not in (
            Verdict.PENDING,
            Verdict.NOT_TESTABLE,
        ):
            return f"{self.verdict} ({SYNTHETIC_CAVEAT})"
        return str(self.verdict)


D, S, Q = EvidenceKind.DOCUMENTED, EvidenceKind.SYNTHETIC, EvidenceKind.QUALITATIVE
REGIONS = ("east", "central", "west", "northeast")

# Chapter sections (the book's `#sec-` ids) where each claim is shown.
_CONTEXT = "chapters/01-context.qmd"
CH_JINAN = f"{_CONTEXT}#sec-context-jinan"
CH_FIRST = f"{_CONTEXT}#sec-context-first"
CH_AIMS = f"{_CONTEXT}#sec-context-aims"
CH_DATED = f"{_CONTEXT}#sec-context-verdicts"
CH_DIFFUSION = "chapters/02-diffusion.qmd#sec-diffusion-claims"
CH_GROWTH = "chapters/02-diffusion.qmd#sec-diffusion-verdicts"
CH_COVERAGE = "chapters/03-coverage.qmd#sec-coverage-verdict"
CH_CONTENT = "chapters/05-content.qmd#sec-content-verdict"
CH_ENGAGEMENT = "chapters/06-engagement.qmd#sec-engagement-verdict"
CH_RESPONSIVENESS = "chapters/07-responsiveness.qmd#sec-responsiveness-verdict"
_CHARACTERISTICS = "chapters/08-characteristics.qmd"
CH_DIRECTION = f"{_CHARACTERISTICS}#sec-characteristics-direction"
CH_COMBINED = f"{_CHARACTERISTICS}#sec-characteristics-platforms"
CH_OFFLINE = f"{_CHARACTERISTICS}#sec-characteristics-offline"
_OBSTACLES = "chapters/09-obstacles-recommendations.qmd"
CH_OBSTACLES = f"{_OBSTACLES}#sec-obstacles"
CH_AWARENESS = f"{_OBSTACLES}#sec-obstacles-awareness"
CH_DESIGN = f"{_OBSTACLES}#sec-obstacles-design"
CH_IDEAS = f"{_OBSTACLES}#sec-obstacles-ideas"
CH_SHARING = f"{_OBSTACLES}#sec-obstacles-sharing"
CH_RULES = f"{_OBSTACLES}#sec-obstacles-rules"
CH_REC_000 = f"{_OBSTACLES}#sec-recommendations-000"
CH_REC_002 = f"{_OBSTACLES}#sec-recommendations-002"
CH_REC_004 = f"{_OBSTACLES}#sec-recommendations-004"

_NO_COUNT = "oped_platforms_without_documented_count"  # diffusion.values lists gaps here
_RECOMMENDATION_NEEDS = (
    "outcomes of departments that adopted the measure compared with those that did not"
)

# fmt: off
CLAIMS: tuple[Claim, ...] = (
    # --- seed 000: citizen participation in police Weibo and WeChat ---------------------------
    Claim(
        "S000-F1", "000", "finding",
        "Nearly every police department, in every region and at every level from the Ministry "
        "down to prefecture bureaus, runs Weibo and WeChat accounts.",
        D,
        Evidence(
            "coverage.values",
            AllOf((
                ("provinces", Compare("provincial_share", 0.9, "above", inclusive=True)),
                *each(Compare("prefecture_coverage_{group}", 0.9, "above", inclusive=True,
                              low="prefecture_low_{group}", high="prefecture_high_{group}"),
                      REGIONS).parts,
            )),
        ),
        CH_COVERAGE,
        reading="'nearly every' read as at least 90%: of provinces with a provincial police "
        "Weibo account, and in each region of prefecture-level divisions with one, over the "
        "whole Wilson 95% interval",
        caveat="Weibo only (no coverage data exist for WeChat), from a list compiled in "
        "2022-2023, so a lower bound on coverage",
    ),
    Claim(
        "S000-F2", "000", "finding",
        "Police accounts post four kinds of content: news of police work, services, exchanges "
        "with citizens and everyday safety tips.",
        S,
        Evidence(
            "content.values",
            each(Compare("share_{group}", 0.0, "above"),
                 ("publicity", "services", "interaction", "daily_tips")),
        ),
        CH_CONTENT,
        reading="each of the four content types makes up a share of posts above zero",
    ),
    Claim(
        "S000-F3", "000", "finding",
        "Citizens do take part: they follow police Weibo accounts and read and comment on "
        "police WeChat posts.",
        S,
        Evidence(
            "engagement.summary",
            AllOf((
                ("weibo comments", Compare("weibo_mean_comments", 0.0, "above")),
                ("wechat page views", Compare("wechat_mean_page_views", 0.0, "above")),
            )),
        ),
        CH_ENGAGEMENT,
        reading="mean comments per Weibo post and page views per WeChat post above zero",
    ),
    Claim(
        "S000-F4", "000", "finding",
        "How much citizens take part differs clearly from one region of China to another.",
        S,
        Evidence(
            "engagement.regions",
            Compare("max_min_ratio", 1.25, "above", low="max_min_ratio_low",
                    high="max_min_ratio_high"),
        ),
        CH_ENGAGEMENT,
        reading="'clearly' read as the highest region's expected comments per post more than "
        "25% above the lowest region's over the whole 95% interval; an interval at or below "
        "1.25 means no clear difference",
    ),
    Claim(
        "S000-F5", "000", "finding",
        "In every region police departments answer too few of the comments citizens leave.",
        S,
        Evidence(
            "responsiveness.regions",
            each(Compare("answer_rate_{group}", 0.5, "below", low="answer_rate_{group}_low",
                         high="answer_rate_{group}_high"), REGIONS),
        ),
        CH_RESPONSIVENESS,
        reading="'too few' read as fewer than half of comments answered over the whole 95% "
        "interval, in each of the four regions",
    ),
    Claim(
        "S000-C1", "000", "characteristic",
        "Participation grows both from below (local bureaus experimenting) and from above "
        "(the Ministry's national programme).",
        D,
        Evidence("timeline.values", Precedes("first_local_date", "mandate_date")),
        CH_DIRECTION,
        reading="local police microblogs documented before the Ministry's national launch",
        caveat="the dates show local adoption first and a national mandate after; they cannot "
        "say how much of the growth each force caused",
    ),
    Claim(
        "S000-C2", "000", "characteristic",
        "Departments combine several channels (Weibo, WeChat, QQ groups, forums, websites) "
        "rather than relying on one.",
        Q, None, CH_COMBINED,
        needs="a list matching each department to its accounts on every platform",
    ),
    Claim(
        "S000-C3", "000", "characteristic",
        "Online contact is joined to offline service: matters raised online are settled by "
        "officers on the ground, and offline work is organised online.",
        Q, None, CH_OFFLINE,
        needs="records linking online requests to offline case handling",
    ),
    Claim(
        "S000-O1", "000", "obstacle",
        "Both police and citizens misunderstand what citizen participation means.",
        Q, None, CH_AWARENESS, needs="surveys of officers and citizens",
    ),
    Claim(
        "S000-O2", "000", "obstacle",
        "Top-level design of police social media is incomplete.",
        Q, None, CH_DESIGN, needs="a review of national and provincial policy documents",
    ),
    Claim(
        "S000-O3", "000", "obstacle",
        "Management systems inside and outside departments are not yet sound.",
        Q, None, CH_DESIGN, needs="a review of departments' account-management rules",
    ),
    Claim(
        "S000-R1", "000", "recommendation",
        "Awareness: departments should put service first, and citizens should see taking part "
        "as their political right and role.",
        Q, None, CH_REC_000, needs="surveys of officers and citizens over time",
    ),
    Claim(
        "S000-R2", "000", "recommendation",
        "Improve top-level design for police social media.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S000-R3", "000", "recommendation",
        "Build a sound management system for running the accounts.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S000-R4", "000", "recommendation",
        "Make named officers answerable for their accounts through a responsibility system.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S000-R5", "000", "recommendation",
        "Give citizens incentives to take part.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S000-R6", "000", "recommendation",
        "Set up channels through which police departments communicate with one another.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S000-R7", "000", "recommendation",
        "Publicise the accounts more and train the officers who run them.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S000-R8", "000", "recommendation",
        "Adopt new ways of working that let police and citizens collaborate.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S000-R9", "000", "recommendation",
        "Strengthen community policing alongside the online work.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    # --- seed 001: the Ministry's national launch (Mattis 2011) ------------------------------
    Claim(
        "S001-D1", "001", "figure",
        "The Ministry of Public Security announced the nationwide launch of police "
        "microblogging on 27 September 2011.",
        D,
        Evidence("timeline.values", Equals("mandate_date", "2011-09-27")),
        CH_DATED,
    ),
    Claim(
        "S001-D2", "001", "figure",
        "The launch followed roughly eighteen months of trials below the national level.",
        D,
        Evidence(
            "timeline.values",
            Near("gap_months", 18.0, low="gap_months_low", high="gap_months"),
        ),
        CH_DATED,
        reading="months from the first documented local police microblog to the launch "
        "within 10% of 18; the first accounts are dated to the month, so the span is a range",
        caveat="no source dates the start of the trial itself",
    ),
    Claim(
        "S001-D3", "001", "figure",
        "Foshan's bureau in Guangdong took the first steps in police microblogging, as the "
        "Ministry said at the launch.",
        D,
        Evidence(
            "timeline.values",
            SourcesAgree(
                ("sources_crediting_only_foshan", "sources_crediting_both"),
                ("sources_crediting_only_zhaoqing",),
                own_source="mattis2011public",
            ),
        ),
        CH_DATED,
        reading="sources other than the seed that credit Foshan (alone or jointly) against "
        "those that credit Zhaoqing alone",
    ),
    Claim(
        "S001-A1", "001", "aim",
        "Police microblogs aim at openness, at steering online opinion (countering rumours) "
        "and at two-way information service.",
        Q, None, CH_AIMS, needs="stated objectives in policy documents, coded against content",
    ),
    Claim(
        "S001-F1", "001", "finding",
        "The central government used local experiments as a testing ground before adopting "
        "the practice nationally.",
        D,
        Evidence("timeline.values", Precedes("first_local_date", "mandate_date")),
        CH_DATED,
        reading="local police microblogs documented before the Ministry's national launch",
        caveat="the order of events fits the reading; it does not show that the Ministry "
        "learned from the pilots",
    ),
    Claim(
        "S001-F2", "001", "finding",
        "Besides Foshan, the Ministry singled out Beijing, Xiamen, Ji'nan, Kunming and Hebei "
        "as innovators.",
        Q, None, CH_FIRST, needs="the Ministry's own launch documents",
    ),
    # --- seed 002: micropolicing and Nanjing -------------------------------------------------
    Claim(
        "S002-F1", "002", "finding",
        "Police have built 'micropolicing', moving services onto Weibo and WeChat, with clear "
        "achievements but also underlying problems.",
        Q, None, CH_OBSTACLES, needs="service-level records before and after the move online",
    ),
    Claim(
        "S002-O1", "002", "obstacle",
        "Officers' administrative thinking lags and their sense of service is weak, a legacy "
        "of the traditional control-oriented police model.",
        Q, None, CH_IDEAS, needs="surveys of officers' attitudes",
    ),
    Claim(
        "S002-O2", "002", "obstacle",
        "Departments share information poorly, because the internal hierarchy is linear and "
        "departments' interests conflict.",
        Q, None, CH_SHARING, needs="data on information flows between departments",
    ),
    Claim(
        "S002-O3", "002", "obstacle",
        "Rules and regulations are incomplete, so micropolicing lacks an institutional "
        "guarantee.",
        Q, None, CH_RULES, needs="a review of the regulations in force",
    ),
    Claim(
        "S002-R1", "002", "recommendation",
        "Strengthen officers' own understanding of micropolicing.",
        Q, None, CH_REC_002, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S002-R2", "002", "recommendation",
        "Improve collaborative governance across departments.",
        Q, None, CH_REC_002, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S002-R3", "002", "recommendation",
        "Establish a system that safeguards the operation of the accounts.",
        Q, None, CH_REC_002, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S002-R4", "002", "recommendation",
        "Complete the legal framework for micropolicing.",
        Q, None, CH_REC_002, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S002-F2", "002", "finding",
        "Nanjing's public security bureau offers transferable experience in managing "
        "micropolicing.",
        Q, None, CH_REC_002, needs="comparable performance data for Nanjing and its peers",
    ),
    # --- seed 003: the China Daily op-ed's figures (Ma 2014) ---------------------------------
    Claim(
        "S003-D1", "003", "figure",
        "At the end of 2013 about 160,000 verified government accounts existed on Tencent "
        "Weibo.",
        D,
        Evidence(
            "diffusion.values",
            IfDocumented(Near("documented_tencent", 160_000), _NO_COUNT, "tencent"),
        ),
        CH_GROWTH,
        reading="the latest documented count for the platform within 10% of the op-ed's",
    ),
    Claim(
        "S003-D2", "003", "figure",
        "Sina Weibo held about 100,000 government accounts at the same time.",
        D,
        Evidence(
            "diffusion.values",
            IfDocumented(Near("documented_sina", 100_000), _NO_COUNT, "sina"),
        ),
        CH_GROWTH,
        reading="the latest documented count for the platform within 10% of the op-ed's",
    ),
    Claim(
        "S003-D3", "003", "figure",
        "Counting all platforms, government microblogs numbered about 300,000 at the end of "
        "2013.",
        D,
        Evidence(
            "diffusion.values",
            IfDocumented(Near("documented_all_platforms", 300_000), _NO_COUNT, "all_platforms"),
        ),
        CH_GROWTH,
        reading="the documented multi-platform count within 10% of the op-ed's",
        caveat="the documented count covers four platforms (Sina, Tencent, People's Daily "
        "Online, Xinhua); the op-ed may count more",
    ),
    Claim(
        "S003-D4", "003", "figure",
        "Government microblog numbers grew on average by more than 100% a year over the five "
        "years to 2013.",
        D,
        Evidence(
            "diffusion.values",
            AllOf((
                ("longest documented window", Compare("cagr", 1.0, "above")),
                ("printed counts only", Compare("cagr_printed_only", 1.0, "above")),
            )),
        ),
        CH_GROWTH,
        reading="compound annual growth of the documented multi-platform count above 100%, "
        "over the longest documented window and over the printed counts alone",
        caveat="the documented window is about three years (2010-2013), not five",
    ),
    Claim(
        "S003-D5", "003", "figure",
        "More than 3,000 government agencies were using WeChat at the end of 2013.",
        D,
        Evidence(
            "diffusion.values",
            IfDocumented(Compare("documented_wechat", 3000, "above"), _NO_COUNT, "wechat"),
        ),
        CH_GROWTH,
        reading="the documented count of government WeChat accounts at the end of 2013 "
        "above 3,000",
    ),
    Claim(
        "S003-F1", "003", "finding",
        "China has more government microblog accounts than any other country.",
        Q, None, CH_DIFFUSION, needs="comparable counts for other countries",
    ),
    Claim(
        "S003-F2", "003", "finding",
        "Social media make government more open and let citizens help shape policy "
        "('Government 2.0').",
        Q, None, CH_AIMS, needs="measures of policy input received through accounts",
    ),
    Claim(
        "S003-F3", "003", "finding",
        "Bureaucratic habits make social media hard for agencies to use well, and problems "
        "have appeared.",
        Q, None, CH_RULES, needs="activity and response data on government accounts",
    ),
    # --- seed 004: Ji'nan's practice (interview with Xu Chunhua) -----------------------------
    Claim(
        "S004-D1", "004", "figure",
        "Ji'nan's bureau opened its online public security service in July 2008.",
        Q, None, CH_DATED,
        needs="an independent dated source: the milestone rests on this interview alone",
    ),
    Claim(
        "S004-F1", "004", "finding",
        "On top of the website, Ji'nan opened a forum, community-police QQ groups and a "
        "real-name microblog.",
        Q, None, CH_JINAN, needs="dated records of when each channel opened",
    ),
    Claim(
        "S004-P1", "004", "practice",
        "Sort online criticism by the type of problem it raises, promptly.",
        Q, None, CH_REC_004, needs="logs of criticism received and how it was handled",
    ),
    Claim(
        "S004-P2", "004", "practice",
        "Pass each problem to the department responsible for solving it.",
        Q, None, CH_REC_004, needs="logs of criticism received and how it was handled",
    ),
    Claim(
        "S004-P3", "004", "practice",
        "Answer the citizen online or by telephone as soon as possible.",
        Q, None, CH_REC_004, needs="reply records including telephone replies",
    ),
    Claim(
        "S004-P4", "004", "practice",
        "For sudden incidents, an 'online spokesman' posts the facts on the forum and "
        "microblog at once.",
        Q, None, CH_REC_004, needs="timing of incident posts relative to the incidents",
    ),
    Claim(
        "S004-A1", "004", "aim",
        "The channels exist to strengthen police-public interaction, hear criticism and "
        "suggestions, and improve enforcement and service.",
        Q, None, CH_JINAN, needs="measures of service quality before and after",
    ),
    Claim(
        "S004-F2", "004", "finding",
        "Beijing's bureau set up a public relations leading group and then opened its "
        "official blog and microblog on 1 August.",
        Q, None, CH_JINAN,
        needs="an independent dated source: the milestone rests on this interview alone",
    ),
    Claim(
        "S004-F3", "004", "finding",
        "Shenzhen's bureau renamed its office a police public relations office, moving from "
        "one-way propaganda to interaction and disclosure.",
        Q, None, CH_JINAN, needs="Shenzhen's posting and reply records before and after",
    ),
)
# fmt: on


def registry() -> tuple[Claim, ...]:
    """Every claim, in source order (tests swap this for a small registry)."""
    return CLAIMS


def evidence_artifacts(claims: tuple[Claim, ...] | None = None) -> tuple[str, ...]:
    """The artifacts the claims read, sorted, whether or not they exist yet."""
    claims = registry() if claims is None else claims
    return tuple(sorted({c.evidence.artifact for c in claims if c.evidence}))


def registered_evidence() -> tuple[str, ...]:
    """The evidence artifacts that exist in the artifact registry now."""
    from analysis.build import artifacts

    return tuple(a for a in evidence_artifacts() if a in artifacts.REGISTRY)


# --- evaluation -----------------------------------------------------------------------------


def evaluate(claim: Claim, read: Callable[[str], Values] | None = None) -> Finding:
    """Decide one claim's verdict from its evidence artifact (read through the cache)."""
    from analysis.build import artifacts  # at call time: artifacts.py imports this module

    if claim.evidence is None:
        return Finding(claim, Verdict.NOT_TESTABLE, {}, f"needs {claim.needs or 'new data'}")
    name = claim.evidence.artifact
    if name not in artifacts.REGISTRY:
        return Finding(claim, Verdict.PENDING, {}, f"artifact {name} not available yet")
    synthetic = artifacts.REGISTRY[name].synthetic
    if synthetic != (claim.evidence_kind is EvidenceKind.SYNTHETIC):
        raise EvidenceError(
            f"claim {claim.id}: declared evidence kind is {claim.evidence_kind}, but artifact "
            f"{name} is {'synthetic' if synthetic else 'documented'}"
        )
    if read is None:
        from analysis.build import cache

        read = cache.values
    try:
        verdict, result, text = claim.evidence.rule.decide(read(name))
    except EvidenceError as exc:
        raise EvidenceError(f"claim {claim.id}, artifact {name}: {exc}") from None
    if claim.caveat:
        text += f"; {claim.caveat}"
    return Finding(claim, verdict, result, text)


def evaluate_all(
    claims: tuple[Claim, ...] | None = None, read: Callable[[str], Values] | None = None
) -> list[Finding]:
    """Every claim of the registry, evaluated in order."""
    return [evaluate(c, read) for c in (registry() if claims is None else claims)]


def tally(findings: list[Finding]) -> dict[str, int]:
    """How many claims got each verdict and rest on each kind of evidence (n_<name> keys)."""
    verdicts = Counter(f.verdict for f in findings)
    kinds = Counter(f.claim.evidence_kind for f in findings)
    out = {"n_claims": len(findings)}
    out |= {f"n_{_SHORT[v]}": verdicts.get(v, 0) for v in Verdict}
    out |= {f"n_{_SHORT[k]}": kinds.get(k, 0) for k in EvidenceKind}
    return out


def one_line(findings: list[Finding]) -> str:
    """The registry in one sentence, for command summaries."""
    n = tally(findings)
    parts = [f"{n[f'n_{_SHORT[v]}']} {v}" for v in Verdict if n[f"n_{_SHORT[v]}"]]
    synthetic = sum(
        1
        for f in findings
        if f.claim.evidence_kind is EvidenceKind.SYNTHETIC
        and f.verdict not in (Verdict.PENDING, Verdict.NOT_TESTABLE)
    )
    tail = f" ({synthetic} on the synthetic sample only)" if synthetic else ""
    return f"{n['n_claims']} claims: " + ", ".join(parts) + tail


_SHORT = {
    Verdict.SUPPORTED: "supported",
    Verdict.NOT_SUPPORTED: "not_supported",
    Verdict.MIXED: "mixed",
    Verdict.NOT_TESTABLE: "not_testable",
    Verdict.PENDING: "pending",
    EvidenceKind.DOCUMENTED: "documented",
    EvidenceKind.SYNTHETIC: "synthetic",
    EvidenceKind.QUALITATIVE: "qualitative",
}


# --- artifacts (registered in analysis/build/artifacts.py) ----------------------------------------


def registry_table() -> pd.DataFrame:
    """The traceability table: every claim, its source, evidence, result, verdict and chapter."""
    import pandas as pd

    rows = []
    for f in evaluate_all():
        c = f.claim
        rows.append(
            {
                "id": c.id,
                "kind": c.kind,
                "claim (paraphrase)": c.paraphrase,
                "source": f"seed {c.seed} [{c.source.bibkey}]",
                "evidence kind": str(c.evidence_kind),
                "evidence": c.evidence.describe() if c.evidence else "-",
                "test": c.test,
                "result": f.summary,
                "verdict": f.verdict_text,
                "shown in": c.chapter,
            }
        )
    frame = pd.DataFrame(rows)
    frame.attrs["note"] = (
        "Verdicts follow the rules in analysis/findings.py. Rows whose evidence kind is "
        "'synthetic sample' rest only on the simulated engagement sample: their verdicts show "
        "that the pipeline recovers the assumptions built into the simulation, not facts about "
        "Chinese police accounts. 'Evidence pending' means the analysis is not available yet."
    )
    return frame


def rules_table() -> pd.DataFrame:
    """The verdict rules, for the methods appendix."""
    import pandas as pd

    columns = ["rule", "applies to", "supported if", "not supported if", "mixed if"]
    return pd.DataFrame(RULE_TABLE, columns=columns)


def summary_values() -> dict[str, Any]:
    """Counts by verdict and evidence kind, and each claim's verdict, for inline quotes."""
    findings = evaluate_all()
    out: dict[str, Any] = {**tally(findings), "one_line": one_line(findings)}
    for f in findings:  # result texts stay out: rounded text could flip within tolerance
        out[f"{f.claim.id}.verdict"] = f.verdict_text
    return out
