"""The verdict rules: how a claim's evidence values decide supported, not supported or mixed.

Each claim has a stable id (``S<seed>-<letter><n>``), the source it comes from, a paraphrase in
our own words, the kind of evidence the project can bring (documented data, the synthetic
sample, or none beyond the qualitative source), the artifact and values that carry the
evidence, the chapter section that shows it, and a verdict decided by an explicit rule.

Verdict rules (every rule answers supported / not supported / mixed; the rules that look for
documented records also answer *not testable* when no record exists):

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
- ``Bound`` (a documented figure that bounds the claimed one rather than measuring it: a count
  that leaves out platforms or accounts is a lower bound, the room left under a total an upper
  bound): a bound decides on one side only. A lower bound at or above what "more than N" or "at
  least N" needs makes it *supported*; an upper bound below it, or a bound that the claimed
  "about N" lies beyond by more than twice the tolerance, makes it *not supported*; anything
  else is *mixed*, because a bound the claim respects cannot confirm it.
- ``IfDocumented``: the wrapped rule, unless the evidence artifact lists the figure among those
  no source documents, in which case the claim is *not testable with these data*.
- ``SourcesAgree`` (a contested fact, such as which city was first): the claim's own source is
  set aside; *supported* if only independent sources backing it remain, *not supported* if
  only sources contradicting it, *mixed* if they disagree.
- ``Equals`` (a date or a name): *supported* if the documented value equals the claimed one,
  *not supported* otherwise.
- ``Precedes`` (an ordering of two documented dates): *supported* if the first is strictly
  earlier, *not supported* otherwise.
- ``EveryRecord`` (documented records that should each reach a threshold, such as the
  following of every police account a source names): *supported* if the smallest record
  reaches it, *not supported* if even the largest falls short, *mixed* if some records do and
  some do not; *not testable* when there is no record.
- ``OnRecord`` (a fact the claim presupposes, looked for in independent records of the time:
  an account's prominence, a channel's existence): the claim's own source is set aside;
  *supported* if an independent source records it in the strong form (a place in a ranking),
  *mixed* if only in a weaker form (a following without a place); *not testable* if no
  independent record exists. Never *not supported*: a record the sources lack is not evidence
  against.
- ``NoRecord`` (a part of a claim no documented figure bears on): always *not testable*; it
  keeps the claim it belongs to from being supported on its other parts alone.
- ``AllOf`` / ``each`` (a claim about every region, level or platform, or a claim of several
  parts): *supported* if every part is supported, *not supported* if every part that can be
  tested is not supported, *mixed* otherwise; a part that cannot be tested is set aside, but
  leaves the claim at best *mixed*, since an untested part cannot be supported.
- A claim with qualitative evidence only is *not testable with these data*; a claim whose
  artifact does not exist yet is reported as *evidence pending*, never given a number.

Verdicts on the synthetic sample are computed by the same rules, but the sample was generated
from parameters that encode the seeds' claims, so such a verdict says whether the pipeline
recovers what was put in; it is never "supported". It reads "recovered from the synthetic
sample", "not recovered from the synthetic sample" or "mixed on the synthetic sample"
(``SYNTHETIC_WORDS``) and is counted apart from documented verdicts in every tally. A
documented verdict states how independent its evidence is of the claim's own source
(``Independence``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol

from analysis.errors import AnalysisError

if TYPE_CHECKING:
    pass


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
    # A claim declared on the engagement sample, decided on an observed sample a user brought
    # in (the descriptor says so): a real test, reported beside the documented ones.
    OBSERVED = "observed sample"


SYNTHETIC_CAVEAT = "a check of the pipeline on simulated data, not a fact about China"

# A verdict resting only on the synthetic sample, in words: never "supported".
SYNTHETIC_WORDS = {
    Verdict.SUPPORTED: "recovered from the synthetic sample",
    Verdict.NOT_SUPPORTED: "not recovered from the synthetic sample",
    Verdict.MIXED: "mixed on the synthetic sample",
}


class Independence(StrEnum):
    """How independent a documented claim's evidence is of the claim's own source."""

    INDEPENDENT = "independent source"
    SAME_SOURCE = "same source"  # the evidence comes from the source the claim relays
    DERIVED = "derived"  # computed from documented figures rather than read from one


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


def _bracketed(
    values: Values, key: str, low_key: str | None, high_key: str | None, what: str, name: str
) -> tuple[float, float, float]:
    """A value with its bounds (the value itself where a bound is not given), in order."""
    value = _number(values, key)
    low = _number(values, low_key) if low_key else value
    high = _number(values, high_key) if high_key else value
    if not low <= value <= high:
        raise EvidenceError(
            f"{what} for {key!r}: expected low <= {name} <= high, found {low} <= {value} <= {high}"
        )
    return value, low, high


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
        return self.judge(
            *_bracketed(values, self.key, self.low, self.high, "interval", "estimate")
        )

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
        return self.judge(*_bracketed(values, self.key, self.low, self.high, "range", "value"))

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
class Bound:
    """A documented bound on the figure a claim states, not the figure itself.

    ``side`` says which way the documented value bounds the true figure ("lower": the true
    figure is at least this, as for a list that may miss accounts; "upper": at most this).
    ``claim`` is what the source states: "about" N (within ``tolerance``), "more than" N or "at
    least" N. A bound can support a directional claim (a lower bound already past N) or
    contradict one (an upper bound short of N, or an "about N" the bound excludes by more than
    twice the tolerance); where the claim respects the bound, the bound cannot decide: mixed.
    """

    key: str
    claimed: float
    side: Literal["lower", "upper"]
    claim: Literal["about", "more than", "at least"] = "about"
    tolerance: float = 0.10

    def inputs(self) -> tuple[str, ...]:
        return (self.key,)

    def headline(self) -> tuple[str, ...]:
        return (self.key,)

    def stated(self) -> str:
        return f"{self.claim} {fmt(self.claimed)}"

    def describe(self) -> str:
        text = f"{self.key} ({self.side} bound) against {self.stated()}"
        if self.claim == "about":
            text += f" (excluded beyond {2 * self.tolerance:.0%})"
        return text

    def decide(self, values: Values) -> tuple[Verdict, dict[str, Any], str]:
        return self.judge(_number(values, self.key))

    def judge(self, bound: float) -> tuple[Verdict, dict[str, Any], str]:
        """The verdict for a documented bound (the rule itself, testable alone)."""
        claimed, lower = self.claimed, self.side == "lower"
        gap = 0.0
        if self.claim == "about":
            gap = max(0.0, (bound - claimed if lower else claimed - bound) / abs(claimed))
            verdict = Verdict.NOT_SUPPORTED if gap > 2 * self.tolerance else Verdict.MIXED
        else:
            past = bound >= claimed if self.claim == "at least" else bound > claimed
            if lower and past:
                verdict = Verdict.SUPPORTED
            elif not lower and not past:
                verdict = Verdict.NOT_SUPPORTED
            else:
                verdict = Verdict.MIXED
        result = {"bound": bound, "claimed": claimed, "side": self.side, "gap": gap}
        text = f"{fmt(bound)} ({self.side} bound) vs {self.stated()}"
        if verdict is Verdict.MIXED:
            text += " (the bound cannot decide)"
        elif gap:
            text += f" (the claim lies {gap:.1%} beyond the bound)"
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
class EveryRecord:
    """Documented records that should each reach a threshold (each named account's following).

    Reads how many records there are and the smallest and largest of them: supported if the
    smallest reaches ``threshold``, not supported if even the largest falls short, mixed if
    some reach it and some do not. With no record at all the part is not testable.
    """

    count: str
    smallest: str
    largest: str
    threshold: float
    what: str = "records"

    def inputs(self) -> tuple[str, ...]:
        return (self.count, self.smallest, self.largest)

    def headline(self) -> tuple[str, ...]:
        return (self.smallest, self.largest)

    def describe(self) -> str:
        return f"every one of the {self.what} at least {fmt(self.threshold)}"

    def decide(self, values: Values) -> tuple[Verdict, dict[str, Any], str]:
        n = _number(values, self.count)
        if n == 0:
            return Verdict.NOT_TESTABLE, {}, f"no {self.what} documented"
        smallest, largest = _number(values, self.smallest), _number(values, self.largest)
        if smallest > largest:
            raise EvidenceError(
                f"{self.smallest!r} = {smallest} is above {self.largest!r} = {largest}"
            )
        return self.judge(int(n), smallest, largest)

    def judge(self, n: int, smallest: float, largest: float) -> tuple[Verdict, dict[str, Any], str]:
        """The verdict for records spanning ``smallest`` to ``largest`` (testable alone)."""
        if smallest >= self.threshold:
            verdict = Verdict.SUPPORTED
        elif largest < self.threshold:
            verdict = Verdict.NOT_SUPPORTED
        else:
            verdict = Verdict.MIXED
        result = {"records": n, "smallest": smallest, "largest": largest}
        result["threshold"] = self.threshold
        text = (
            f"{n:,} {self.what} from {fmt(smallest)} to {fmt(largest)} vs at least "
            f"{fmt(self.threshold)} each"
        )
        return verdict, result, text


@dataclass(frozen=True)
class OnRecord:
    """Do independent records of the time show a fact the claim presupposes?

    ``strong`` and ``weak`` are keys of lists of source keys: those recording the fact in its
    strong form (an account placed in a ranking) and in a weaker one (a following recorded
    without a place). The claim's own source is set aside. Supported if a strong record
    remains, mixed if only weak ones, not testable if none: a record the sources lack says
    nothing against the claim, so this rule is never "not supported".
    """

    strong: str
    own_source: str
    weak: str | None = None
    strong_words: str = "recorded by"
    weak_words: str = "only a weaker record in"

    def inputs(self) -> tuple[str, ...]:
        return tuple(k for k in (self.strong, self.weak) if k)

    def headline(self) -> tuple[str, ...]:
        return (self.strong,)

    def describe(self) -> str:
        weaker = f" (weaker: {self.weak})" if self.weak else ""
        return f"independent records in {self.strong}{weaker}, excluding {self.own_source}"

    def decide(self, values: Values) -> tuple[Verdict, dict[str, Any], str]:
        def sources(key: str | None) -> list[str]:
            if key is None:
                return []
            found = _read(values, key)
            if isinstance(found, str) or not isinstance(found, list | tuple):
                raise EvidenceError(f"value {key!r}: expected a list of sources, found {found!r}")
            return sorted({str(s) for s in found} - {self.own_source})

        strong, weak = sources(self.strong), sources(self.weak)
        result = {"strong_sources": len(strong), "weak_sources": len(weak)}
        if strong:
            return Verdict.SUPPORTED, result, f"{self.strong_words} {', '.join(strong)}"
        if weak:
            return Verdict.MIXED, result, f"{self.weak_words} {', '.join(weak)}"
        return Verdict.NOT_TESTABLE, result, "no independent record"


@dataclass(frozen=True)
class NoRecord:
    """A part of a claim that no documented figure bears on: always not testable, so the claim
    it belongs to cannot be supported on its other parts alone."""

    what: str

    def inputs(self) -> tuple[str, ...]:
        return ()

    def headline(self) -> tuple[str, ...]:
        return ()

    def describe(self) -> str:
        return f"{self.what}: no documented figure, not testable"

    def decide(self, values: Values) -> tuple[Verdict, dict[str, Any], str]:
        return Verdict.NOT_TESTABLE, {}, f"no documented figure of {self.what}"


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
        # One shared reference is said once; otherwise each part keeps its own.
        uniform = len(tails) == 1 and all(" vs " in t for t in texts)
        shown = heads if uniform else texts
        joined = "; ".join(
            f"{label}: {text}" if verdict is Verdict.NOT_TESTABLE else f"{label} {text}"
            for (label, _), text, verdict in zip(self.parts, shown, verdicts, strict=True)
        )
        if uniform:
            joined += f" (each vs {tails.pop()})"
        return combine(verdicts), result, joined


def combine(verdicts: list[Verdict]) -> Verdict:
    """All parts supported -> supported; every testable part not supported -> not supported;
    else mixed. A part that cannot be tested is set aside, but a claim with such a part is at
    best mixed; with no testable part at all the claim is not testable."""
    tested = [v for v in verdicts if v is not Verdict.NOT_TESTABLE]
    if verdicts and not tested:
        return Verdict.NOT_TESTABLE
    if tested and all(v is Verdict.SUPPORTED for v in verdicts):
        return Verdict.SUPPORTED
    if tested and all(v is Verdict.NOT_SUPPORTED for v in tested):
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
        "Bound",
        "documented figures that bound the claimed one (a list or count that may miss "
        "accounts; room left under a total)",
        "a lower bound already at or past what 'more than' / 'at least' needs",
        "an upper bound short of it, or an 'about N' the bound excludes by more than twice "
        "the tolerance",
        "the claim respects the bound: a bound cannot confirm it",
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
        "EveryRecord",
        "documented records that should each reach a threshold (the following of each police "
        "account a source names)",
        "the smallest record reaches the threshold",
        "even the largest record falls short of it",
        "some records reach it and some do not; 'not testable' if there is no record",
    ),
    (
        "OnRecord",
        "a fact the claim presupposes, looked for in independent records of the time (an "
        "account's prominence, a channel's existence)",
        "an independent source records it in the strong form (a place in a ranking)",
        "never: a record the sources lack is not evidence against",
        "only a weaker record exists (a following without a place); 'not testable' if no "
        "independent record exists",
    ),
    (
        "NoRecord",
        "a part of a claim that no documented figure bears on",
        "never",
        "never",
        "never: always 'not testable', so the claim it belongs to is at best mixed",
    ),
    (
        "AllOf / each",
        "claims about every region, level or platform, or claims of several parts",
        "every part is supported",
        "every part that can be tested is not supported",
        "the parts disagree, or some parts are supported and others cannot be tested; 'not "
        "testable' if no part can be",
    ),
    (
        "qualitative",
        "claims with no data the project can bring",
        "-",
        "-",
        "-: the verdict is 'not testable with these data'",
    ),
)
