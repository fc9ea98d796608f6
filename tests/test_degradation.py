"""Graceful degradation: each claim's verdict is its own artifact, a claim whose evidence cannot
be computed on the data says "not available with these data" and why, the findings tables still
assemble, and the documented chapters never depend on the engagement sample."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from analysis import findings, paths
from analysis.data import labels
from analysis.findings import Claim, Evidence, EvidenceKind, Near
from analysis.pipeline import freeze, qmd, store, verdicts
from analysis.pipeline.store import registry

DOCUMENTED_CHAPTERS = ("01-", "02-", "03-")

FAKE = """
from analysis.errors import NotAvailable


def ok():
    return {"n": 100}


def missing():
    raise NotAvailable("the sample has no WeChat accounts")
"""


def _documented_chapters() -> list[Path]:
    found = [p for p in sorted(paths.chapters.glob("*.qmd")) if p.name[:3] in DOCUMENTED_CHAPTERS]
    assert len(found) == len(DOCUMENTED_CHAPTERS), found
    return found


@pytest.mark.parametrize("chapter", _documented_chapters(), ids=lambda p: p.stem)
def test_documented_chapters_read_documented_data_only(chapter: Path) -> None:
    use = freeze.usage(qmd.parse(chapter))
    assert use.unknown is None, f"{chapter.name}: dependencies cannot be told: {use.unknown}"
    descriptor = labels.descriptor()
    for name in use.artifacts:
        assert name in registry.REGISTRY, f"{chapter.name} reads unknown artifact {name}"
        read = registry.resources_read(name)
        assert registry.WHOLE_PACKAGE not in read, f"{chapter.name}: {name} reads every file"
        kinds = registry.kinds(name, descriptor)
        assert set(kinds.values()) <= {"documented"}, f"{chapter.name}: {name} reads {kinds}"


def test_each_verdict_depends_on_its_own_evidence_only() -> None:
    for claim in findings.registry():
        art = registry.get(f"verdict.{claim.id}")
        evidence = claim.evidence.artifact if claim.evidence else None
        expected = (evidence,) if evidence in registry.REGISTRY else ()
        assert art.depends == expected, claim.id
        assert art.accepts_unavailable and art.args == (claim.id,)


@pytest.fixture
def degraded(tmp_path, monkeypatch) -> tuple[Claim, ...]:
    module = f"degradation_fake_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(FAKE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(paths, "cache", tmp_path / "cache")
    monkeypatch.setattr(registry, "REGISTRY", {})
    registry.register("fake.ok", f"{module}:ok", "values", (), "computable")
    registry.register("fake.missing", f"{module}:missing", "values", (), "not on these data")
    claims = tuple(
        Claim(
            claim_id,
            "000",
            "figure",
            "A claim for the degradation test.",
            EvidenceKind.DOCUMENTED,
            Evidence(evidence, Near("n", 100.0)),
            "chapters/x.qmd#sec-x",
        )
        for claim_id, evidence in (("C-1", "fake.ok"), ("C-2", "fake.missing"))
    )
    monkeypatch.setattr(findings, "registry", lambda: claims)
    names = registry.register_verdicts(claims)
    registry.register(
        "findings.summary", "analysis.pipeline.verdicts:summary_values", "values", (), "s", names
    )
    registry.register(
        "findings.registry", "analysis.pipeline.verdicts:registry_table", "table", (), "r", names
    )
    return claims


def test_a_claim_whose_evidence_cannot_run_is_not_available_and_the_rest_stand(degraded):
    ok = store.values("verdict.C-1")
    assert ok["verdict"] == "supported" and ok["available"]
    missing = store.values("verdict.C-2")
    assert missing["verdict"] == "not testable with these data" and not missing["available"]
    assert missing["summary"] == (f"{verdicts.NOT_AVAILABLE}: the sample has no WeChat accounts")
    summary = store.values("findings.summary")
    assert summary["n_claims"] == 2 and summary["C-1.verdict"] == "supported"
    table = store.table("findings.registry")
    assert [row[0] for row in table["rows"]] == ["C-1", "C-2"]
    assert any("no WeChat accounts" in cell for cell in table["rows"][1])
    found = verdicts.evaluate_all()
    assert [f.verdict.value for f in found] == ["supported", "not testable with these data"]
