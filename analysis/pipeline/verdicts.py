"""The findings registry as artifacts: each claim's verdict is an artifact of its own.

The claims and verdict rules (analysis.findings) know nothing of the cache; this module is the
glue. ``verdict.<claim id>`` (registered in analysis.pipeline.store.registry) is computed by
``claim_verdict`` from the value of the claim's one evidence artifact, so:

- a claim whose analysis cannot run on the data (its evidence raised ``NotAvailable``, say a
  sample without WeChat) gets "not available with these data" and the reason, and the other
  claims are untouched;
- a chapter on documented data that quotes a verdict depends on documented evidence only;
- the registry and summary tables assemble the stored verdicts instead of re-evaluating.

Whether the evidence rests on the synthetic sample is read from the descriptor at run time
(``Artifact.synthetic``), never from a registration-time flag.
"""

from __future__ import annotations

from typing import Any

from analysis import findings
from analysis.data import labels
from analysis.errors import NotAvailable
from analysis.findings import Finding, Verdict
from analysis.pipeline import store
from analysis.pipeline.store import registry

NOT_AVAILABLE = findings.NOT_AVAILABLE


class _GivenEvidence:
    """The one evidence value handed to a verdict artifact, as an ``EvidenceSource``."""

    def __init__(self, name: str | None, value: Any) -> None:
        self.name, self.value = name, value

    def available(self, name: str) -> bool:
        return name == self.name

    def synthetic(self, name: str) -> bool:
        return registry.get(name).synthetic

    def observed(self, name: str) -> bool:
        """Whether the artifact reads an observed sample (a user's data, per the descriptor)."""
        return "observed" in registry.kinds(name, labels.descriptor()).values()

    def values(self, name: str) -> dict[str, Any]:
        return self.value


def _claim(claim_id: str) -> findings.Claim:
    for claim in findings.registry():
        if claim.id == claim_id:
            return claim
    raise KeyError(f"no claim {claim_id!r} in the findings registry")


unavailable = findings.unavailable


def decide(claim: findings.Claim, evidence: Any = None) -> Finding:
    """One claim's finding from its evidence value (None when it has no evidence artifact, or
    when that artifact is not registered: the rules then say "pending")."""
    name = claim.evidence.artifact if claim.evidence else None
    registered = name in registry.REGISTRY
    given = _GivenEvidence(name if registered else None, evidence)
    if isinstance(evidence, NotAvailable):
        observed = registered and given.observed(name)
        return unavailable(claim, str(evidence), observed)
    return findings.evaluate(claim, given)


def record(found: Finding) -> dict[str, Any]:
    """A finding as the JSON values of its verdict artifact."""
    return {
        "verdict": found.verdict_text,
        "verdict_code": str(found.verdict),
        "available": not found.summary.startswith(NOT_AVAILABLE),
        "observed": found.observed,
        "result": found.result,
        "summary": found.summary,
        "test": found.claim.test,  # how the claim's words become a test, for the chapters
    }


def from_record(claim: findings.Claim, stored: dict[str, Any]) -> Finding:
    """The finding back from its artifact's values."""
    return Finding(
        claim,
        Verdict(stored["verdict_code"]),
        stored["result"],
        stored["summary"],
        observed=bool(stored.get("observed", False)),
    )


def claim_verdict(claim_id: str, *evidence: Any) -> dict[str, Any]:
    """The artifact ``verdict.<claim_id>``: the claim decided on its evidence artifact's value
    (or on the ``NotAvailable`` error that artifact raised)."""
    return record(decide(_claim(claim_id), evidence[0] if evidence else None))


def evaluate_all(claims: tuple[findings.Claim, ...] | None = None) -> list[Finding]:
    """Every claim's finding, read from its verdict artifact (decided directly for a claim with
    no registered verdict artifact, as in tests with a registry of their own)."""
    out = []
    for claim in findings.registry() if claims is None else claims:
        name = f"verdict.{claim.id}"
        if name in registry.REGISTRY:
            out.append(from_record(claim, store.values(name)))
        else:
            evidence = claim.evidence.artifact if claim.evidence else None
            value = None
            if evidence in registry.REGISTRY:
                try:
                    value = store.values(evidence)
                except NotAvailable as exc:
                    value = exc
            out.append(decide(claim, value))
    return out


def _assembled(stored: tuple[dict[str, Any], ...]) -> list[Finding]:
    """Findings from the verdict artifacts' values handed in as dependencies (in registry
    order); read through the cache when called without them."""
    claims = findings.registry()
    if len(stored) != len(claims):
        return evaluate_all(claims)
    return [from_record(claim, value) for claim, value in zip(claims, stored, strict=True)]


def registry_table(*stored: dict[str, Any]) -> Any:
    """Every claim: source, paraphrase, evidence, verdict, chapter (``findings.registry``)."""
    return findings.registry_frame(_assembled(stored))


def summary_values(*stored: dict[str, Any]) -> dict[str, Any]:
    """Counts by verdict and evidence kind, each claim's verdict (``findings.summary``)."""
    return findings.summary_of(_assembled(stored))


def key_findings_table(*stored: dict[str, Any]) -> Any:
    """The preface's short table of the claims data can test (``findings.key_table``)."""
    from analysis.findings import report

    return report.key_findings_table(_assembled(stored))


def report_values(*stored: dict[str, Any]) -> dict[str, Any]:
    """One block per claim and the recommendations with their priorities (``findings.report``);
    milestones are read from the data."""
    from analysis.data import datasets
    from analysis.findings import report

    return report.report_values(_assembled(stored), datasets.load("milestones"))


def summary_words(*given: Any) -> dict[str, Any]:
    """Computed words of the summary (``findings.words``): the verdicts of
    ``report.WORD_CLAIMS`` first, then the values of ``report.FACTS``."""
    from analysis.findings import report

    n = len(report.WORD_CLAIMS)
    verdicts = dict(zip(report.WORD_CLAIMS, given[:n], strict=True))
    facts = dict(zip(report.FACTS, given[n:], strict=True))
    return report.summary_words(verdicts, facts)
