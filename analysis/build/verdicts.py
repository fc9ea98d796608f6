"""The findings registry as artifacts: claims evaluated against evidence read from the cache.

The claims and verdict rules (analysis.findings) know nothing of the cache; this module is the
glue that hands them the cached evidence artifacts, so the findings tables are cached and keyed
like every other result.
"""

from __future__ import annotations

from typing import Any

from analysis import findings
from analysis.build import artifacts, cache


class CachedEvidence:
    """Evidence artifacts read through the cache (computed on a miss)."""

    def available(self, name: str) -> bool:
        return name in artifacts.REGISTRY

    def synthetic(self, name: str) -> bool:
        return artifacts.get(name).synthetic

    def values(self, name: str) -> dict[str, Any]:
        return cache.values(name)


def registry_table(*_evidence: Any) -> Any:
    """Every claim: source, paraphrase, evidence, verdict, chapter (``findings.registry``)."""
    return findings.registry_table(CachedEvidence())


def summary_values(*_evidence: Any) -> dict[str, Any]:
    """Counts by verdict and evidence kind, each claim's verdict (``findings.summary``)."""
    return findings.summary_values(CachedEvidence())


def evaluate_all(claims: tuple[findings.Claim, ...] | None = None) -> list[findings.Finding]:
    """Every claim evaluated against the cached evidence."""
    return findings.evaluate_all(CachedEvidence(), claims)
