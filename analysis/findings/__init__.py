"""The findings registry: every claim of the five source documents, its evidence and its verdict.

``claims`` holds the claims (what each source says, the evidence that tests it, where the book
shows it); ``rules`` holds the verdict rules that decide from evidence values; this module
evaluates claims against evidence handed in by the caller (the build passes the cache, tests a
dict) and makes the registry's tables.

May import: the base modules and this package. The findings know nothing of the cache, the
topics or the book: evidence arrives as plain values through an ``EvidenceSource``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from analysis.findings.claims import (
    SOURCES,
    Claim,
    Evidence,
    Finding,
    evidence_artifacts,
    registry,
)
from analysis.findings.rules import (
    RULE_TABLE,
    AllOf,
    Bound,
    Compare,
    Equals,
    EveryRecord,
    EvidenceError,
    EvidenceKind,
    IfDocumented,
    Independence,
    Near,
    NoRecord,
    OnRecord,
    Precedes,
    SourcesAgree,
    Values,
    Verdict,
    combine,
    each,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "RULE_TABLE",
    "SOURCES",
    "AllOf",
    "Bound",
    "Claim",
    "Compare",
    "Equals",
    "EveryRecord",
    "Evidence",
    "EvidenceError",
    "EvidenceKind",
    "Finding",
    "IfDocumented",
    "Independence",
    "Near",
    "NoRecord",
    "OnRecord",
    "Precedes",
    "SourcesAgree",
    "Values",
    "Verdict",
    "combine",
    "each",
    "evidence_artifacts",
    "registry",
]


class EvidenceSource(Protocol):
    """Where verdicts read their evidence: the build passes the cache, tests pass a dict."""

    def available(self, name: str) -> bool: ...
    def synthetic(self, name: str) -> bool: ...
    def values(self, name: str) -> Values: ...


@dataclass(frozen=True)
class StaticEvidence:
    """Evidence held in memory: ``{artifact: values}`` and the names resting on synthetic data."""

    by_name: Mapping[str, Values]
    synthetic_names: frozenset[str] = frozenset()

    def available(self, name: str) -> bool:
        return name in self.by_name

    def synthetic(self, name: str) -> bool:
        return name in self.synthetic_names

    def values(self, name: str) -> Values:
        return self.by_name[name]


# --- evaluation -----------------------------------------------------------------------------


NOT_AVAILABLE = "not available with these data"


def unavailable(claim: Claim, reason: str, observed: bool = False) -> Finding:
    """The finding of a claim whose evidence these data cannot give (``observed``: the data
    are an observed sample, so the finding is not labelled synthetic)."""
    return Finding(claim, Verdict.NOT_TESTABLE, {}, f"{NOT_AVAILABLE}: {reason}", observed)


def evaluate(claim: Claim, evidence: EvidenceSource) -> Finding:
    """Decide one claim's verdict from its evidence artifact, read from ``evidence``."""
    if claim.evidence is None:
        return Finding(claim, Verdict.NOT_TESTABLE, {}, f"needs {claim.needs or 'new data'}")
    name = claim.evidence.artifact
    if not evidence.available(name):
        return Finding(claim, Verdict.PENDING, {}, f"artifact {name} not available yet")
    synthetic = evidence.synthetic(name)
    on_sample = claim.evidence_kind is EvidenceKind.SYNTHETIC
    # A claim on the engagement sample may be decided on an observed sample (the user's data);
    # a documented claim may never rest on simulated data, nor a sample claim on documents.
    observed = on_sample and not synthetic and getattr(evidence, "observed", lambda _: True)(name)
    if synthetic != on_sample and not observed:
        raise EvidenceError(
            f"claim {claim.id}: declared evidence kind is {claim.evidence_kind}, but artifact "
            f"{name} is {'synthetic' if synthetic else 'documented'}"
        )
    values = evidence.values(name)
    try:
        verdict, result, text = claim.evidence.rule.decide(values)
    except EvidenceError as exc:
        # A value the data cannot give (the artifact lists it under "unavailable": an outcome
        # or a model term absent from these data) makes the claim untestable here, not broken.
        for what, reason in (values.get("unavailable") or {}).items():
            if what in str(exc):
                return unavailable(claim, reason, observed)
        raise EvidenceError(f"claim {claim.id}, artifact {name}: {exc}") from None
    if claim.caveat:
        text += f"; {claim.caveat}"
    return Finding(claim, verdict, result, text, observed=observed)


def evaluate_all(
    evidence: EvidenceSource, claims: tuple[Claim, ...] | None = None
) -> list[Finding]:
    """Every claim of the registry, evaluated in order."""
    return [evaluate(c, evidence) for c in (registry() if claims is None else claims)]


def counted(findings: list[Finding]) -> list[Finding]:
    """The findings that count in tallies: a claim decided by the very test of an earlier claim
    (``shares_test_with``) is left out, so one test counts once."""
    return [f for f in findings if not f.claim.shares_test_with]


def tally(findings: list[Finding]) -> dict[str, int]:
    """Counts for summaries, documented and synthetic verdicts apart (``n_<name>`` keys).

    ``n_supported``, ``n_not_supported`` and ``n_mixed`` count documented tests only (each test
    once), with ``n_supported_<independence>`` splitting the supported ones; verdicts on the
    synthetic sample are ``n_recovered``, ``n_not_recovered`` and ``n_mixed_synthetic``.
    ``n_claims`` and the evidence-kind counts count claims; ``n_shared_test`` the claims left
    out of the verdict counts because they share an earlier claim's test.
    """
    kinds = Counter(f.evidence_kind for f in findings)
    tests = counted(findings)
    documented = Counter(
        f.verdict
        for f in tests
        if f.decided and f.evidence_kind in (EvidenceKind.DOCUMENTED, EvidenceKind.OBSERVED)
    )
    synthetic = Counter(
        f.verdict for f in tests if f.decided and f.evidence_kind is EvidenceKind.SYNTHETIC
    )
    independence = Counter(
        f.claim.independence
        for f in tests
        if f.verdict is Verdict.SUPPORTED and f.evidence_kind is EvidenceKind.DOCUMENTED
    )
    out = {"n_claims": len(findings), "n_shared_test": len(findings) - len(tests)}
    out |= {f"n_{_SHORT[k]}": kinds.get(k, 0) for k in EvidenceKind}
    out |= {f"n_{_SHORT[v]}": documented.get(v, 0) for v in _DECIDED}
    out |= {f"n_{_SYNTHETIC_SHORT[v]}": synthetic.get(v, 0) for v in _DECIDED}
    out |= {f"n_supported_{_SHORT[i]}": independence.get(i, 0) for i in Independence}
    out["n_tests_documented"] = sum(documented.values())
    out["n_tests_synthetic"] = sum(synthetic.values())
    out["n_not_testable"] = sum(f.verdict is Verdict.NOT_TESTABLE for f in findings)
    out["n_pending"] = sum(f.verdict is Verdict.PENDING for f in findings)
    return out


def one_line(findings: list[Finding]) -> str:
    """The registry in one sentence, documented and synthetic verdicts apart."""
    n = tally(findings)
    documented = [f"{n[f'n_{_SHORT[v]}']} {v}" for v in _DECIDED if n[f"n_{_SHORT[v]}"]]
    if n["n_supported"]:
        how = [f"{n[f'n_supported_{_SHORT[i]}']} {i}" for i in Independence]
        documented[0] += f" ({', '.join(how)})"
    synthetic = [
        f"{n[f'n_{_SYNTHETIC_SHORT[v]}']} {_SYNTHETIC_WORDS_SHORT[v]}"
        for v in _DECIDED
        if n[f"n_{_SYNTHETIC_SHORT[v]}"]
    ]
    parts = []
    if documented:
        parts.append("documented data: " + ", ".join(documented))
    if synthetic:
        parts.append("synthetic sample: " + ", ".join(synthetic))
    for verdict, key in ((Verdict.NOT_TESTABLE, "n_not_testable"), (Verdict.PENDING, "n_pending")):
        if n[key]:
            parts.append(f"{n[key]} {verdict}")
    shared = [f for f in findings if f.claim.shares_test_with]
    tail = "".join(
        f"; {f.claim.id} shares the test of {f.claim.shares_test_with}, counted once"
        for f in shared
    )
    return f"{n['n_claims']} claims: " + "; ".join(parts) + tail


_DECIDED = (Verdict.SUPPORTED, Verdict.NOT_SUPPORTED, Verdict.MIXED)
_SHORT = {
    Verdict.SUPPORTED: "supported",
    Verdict.NOT_SUPPORTED: "not_supported",
    Verdict.MIXED: "mixed",
    Verdict.NOT_TESTABLE: "not_testable",
    Verdict.PENDING: "pending",
    EvidenceKind.DOCUMENTED: "documented",
    EvidenceKind.SYNTHETIC: "synthetic",
    EvidenceKind.QUALITATIVE: "qualitative",
    EvidenceKind.OBSERVED: "observed",
    Independence.INDEPENDENT: "independent",
    Independence.SAME_SOURCE: "same_source",
    Independence.DERIVED: "derived",
}
_SYNTHETIC_SHORT = {
    Verdict.SUPPORTED: "recovered",
    Verdict.NOT_SUPPORTED: "not_recovered",
    Verdict.MIXED: "mixed_synthetic",
}
_SYNTHETIC_WORDS_SHORT = {
    Verdict.SUPPORTED: "recovered",
    Verdict.NOT_SUPPORTED: "not recovered",
    Verdict.MIXED: "mixed",
}


# --- tables and values (the build registers them as artifacts: analysis.pipeline.verdicts) ---


def registry_table(evidence: EvidenceSource) -> pd.DataFrame:
    """The traceability table: every claim, its source, evidence, result, verdict and chapter."""
    return registry_frame(evaluate_all(evidence))


def registry_frame(evaluated: list[Finding]) -> pd.DataFrame:
    """The traceability table of findings already evaluated (the build's per-claim verdicts)."""
    import pandas as pd

    rows = []
    for f in evaluated:
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
    # Citing columns: the claim's source is the registry's own key; a result is the rule's own
    # text, whose only words from data are numbers, dates and keys of bibliography-key fields
    # (the sources a ``SourcesAgree`` rule counts).
    frame.attrs["cite"] = ["source", "result"]
    frame.attrs["note"] = (
        "Verdicts follow the rules in analysis/findings/rules.py. Rows whose evidence kind is "
        "'synthetic sample' rest only on the simulated engagement sample, generated from "
        "parameters that encode the seeds' claims: their verdicts say whether the pipeline "
        "recovers those assumptions ('recovered from the synthetic sample'), and are not facts "
        "about Chinese police. A documented verdict names how independent its evidence is of "
        "the claim's own source: an independent source, the same source, or derived (computed "
        "from documented figures). Claims that share one test say so and count once in the "
        "tallies. 'Evidence pending' means the analysis is not available yet."
    )
    return frame


def rules_table() -> pd.DataFrame:
    """The verdict rules, for the methods appendix."""
    import pandas as pd

    columns = ["rule", "applies to", "supported if", "not supported if", "mixed if"]
    return pd.DataFrame(RULE_TABLE, columns=columns)


def summary_values(evidence: EvidenceSource) -> dict[str, Any]:
    """Counts by verdict and evidence kind, and each claim's verdict, for inline quotes."""
    return summary_of(evaluate_all(evidence))


def summary_of(findings: list[Finding]) -> dict[str, Any]:
    """``summary_values`` of findings already evaluated (the build's per-claim verdicts)."""
    out: dict[str, Any] = {**tally(findings), "one_line": one_line(findings)}
    for f in findings:  # result texts stay out: rounded text could flip within tolerance
        out[f"{f.claim.id}.verdict"] = f.verdict_text
        out[f"{f.claim.id}.reading"] = f.claim.test
    return out
