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
    Compare,
    Equals,
    EvidenceError,
    EvidenceKind,
    IfDocumented,
    Near,
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
    "Claim",
    "Compare",
    "Equals",
    "Evidence",
    "EvidenceError",
    "EvidenceKind",
    "Finding",
    "IfDocumented",
    "Near",
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


def evaluate(claim: Claim, evidence: EvidenceSource) -> Finding:
    """Decide one claim's verdict from its evidence artifact, read from ``evidence``."""
    if claim.evidence is None:
        return Finding(claim, Verdict.NOT_TESTABLE, {}, f"needs {claim.needs or 'new data'}")
    name = claim.evidence.artifact
    if not evidence.available(name):
        return Finding(claim, Verdict.PENDING, {}, f"artifact {name} not available yet")
    synthetic = evidence.synthetic(name)
    if synthetic != (claim.evidence_kind is EvidenceKind.SYNTHETIC):
        raise EvidenceError(
            f"claim {claim.id}: declared evidence kind is {claim.evidence_kind}, but artifact "
            f"{name} is {'synthetic' if synthetic else 'documented'}"
        )
    try:
        verdict, result, text = claim.evidence.rule.decide(evidence.values(name))
    except EvidenceError as exc:
        raise EvidenceError(f"claim {claim.id}, artifact {name}: {exc}") from None
    if claim.caveat:
        text += f"; {claim.caveat}"
    return Finding(claim, verdict, result, text)


def evaluate_all(
    evidence: EvidenceSource, claims: tuple[Claim, ...] | None = None
) -> list[Finding]:
    """Every claim of the registry, evaluated in order."""
    return [evaluate(c, evidence) for c in (registry() if claims is None else claims)]


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


# --- tables and values (the build registers them as artifacts: analysis.build.verdicts) ---


def registry_table(evidence: EvidenceSource) -> pd.DataFrame:
    """The traceability table: every claim, its source, evidence, result, verdict and chapter."""
    import pandas as pd

    rows = []
    for f in evaluate_all(evidence):
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
        "Verdicts follow the rules in analysis/findings/rules.py. Rows whose evidence kind is "
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


def summary_values(evidence: EvidenceSource) -> dict[str, Any]:
    """Counts by verdict and evidence kind, and each claim's verdict, for inline quotes."""
    findings = evaluate_all(evidence)
    out: dict[str, Any] = {**tally(findings), "one_line": one_line(findings)}
    for f in findings:  # result texts stay out: rounded text could flip within tolerance
        out[f"{f.claim.id}.verdict"] = f.verdict_text
    return out
