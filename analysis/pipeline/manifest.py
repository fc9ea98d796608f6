"""The results manifest: every number the book reports and every claim's verdict, stamped.

The manifest holds each ``values`` artifact of the registry (the numbers chapters quote inline),
each claim of the findings registry with its result and verdict, the data package version and
resource hashes, and the version of the analysis code (a hash of ``analysis/*.py`` and uv.lock,
plus the git commit when git is available). ``python -m analysis reproduce`` rebuilds it from
the raw data and compares it with the committed ``results/manifest.json``.

Tolerances: a number computed by plain arithmetic on data (counts, shares, growth rates of
documented figures, descriptive statistics of the sample) can differ between machines only in
floating-point summation order, so it must match to a relative 1e-9. A number produced by an
iterative optimiser (statsmodels model fits, scipy.optimize curve fits) also depends on where
the optimiser stops and on BLAS threading, so it must match to a relative 1e-6, far below any
digit the book prints. An artifact counts as a model estimate when its module, or a module it
imports, imports an optimiser, or when it depends on an artifact that does. Integers (counts)
must match exactly in either case, and so must text, dates and verdicts.
"""

from __future__ import annotations

import hashlib
import math
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache as memoise
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.data import datapackage
from analysis.errors import NotAvailable
from analysis.pipeline import store, verdicts
from analysis.pipeline.store import keys, registry

SCHEMA = 1


@dataclass(frozen=True)
class Tolerance:
    name: str
    relative: float
    absolute: float  # for values at or near zero, where a relative bound means nothing
    why: str

    def close(self, old: float, new: float) -> bool:
        """True when two numbers agree within this tolerance (NaN agrees only with NaN)."""
        if math.isnan(old) or math.isnan(new):
            return math.isnan(old) and math.isnan(new)
        return math.isclose(old, new, rel_tol=self.relative, abs_tol=self.absolute)


ARITHMETIC = Tolerance(
    "arithmetic",
    1e-9,
    1e-12,
    "plain arithmetic on data: only floating-point summation order can differ",
)
MODEL = Tolerance(
    "model",
    1e-6,
    1e-9,
    "iterative optimiser output: stopping point and BLAS threading move the last digits",
)
TOLERANCES = {t.name: t for t in (ARITHMETIC, MODEL)}

_OPTIMISER_IMPORT = re.compile(
    r"^\s*(?:import|from)\s+(?:statsmodels|scipy\.optimize|sklearn)\b"
    r"|^\s*from\s+scipy\s+import\s+[^\n]*\boptimize\b",
    re.MULTILINE,
)


@memoise
def tolerance_for(name: str) -> Tolerance:
    """The tolerance class of an artifact: model if its code or a dependency uses an optimiser."""
    art = registry.get(name)
    for module in keys.module_closure(art.module):
        if _OPTIMISER_IMPORT.search(keys.module_file(module).read_text(encoding="utf-8")):
            return MODEL
    if any(tolerance_for(dep) is MODEL for dep in art.depends if dep in registry.REGISTRY):
        return MODEL
    return ARITHMETIC


def code_sources() -> list[Path]:
    """Every file of the analysis package that can change a result: the modules of every
    subpackage and the data files beside them (recommendations.toml), in a stable order."""
    package = paths.root / "analysis"
    return sorted(
        p
        for p in package.rglob("*")
        if p.suffix in (".py", ".toml") and p.is_file() and "__pycache__" not in p.parts
    )


def code_version() -> dict[str, Any]:
    """Hash of the analysis sources and the lock file, and the git commit when there is one."""
    digest = hashlib.sha256()
    for source in code_sources():
        name = source.relative_to(paths.root).as_posix()
        digest.update(name.encode() + b"\0" + source.read_bytes() + b"\0")
    lock = paths.root / "uv.lock"
    return {
        "analysis_sources": "sha256:" + digest.hexdigest(),
        "uv_lock": datapackage.sha256_file(lock) if lock.exists() else "missing",
        "git_commit": _git_commit(paths.root),
    }


def _git_commit(root: Path) -> str | None:
    """The checked-out commit, or None outside a git checkout or without git."""
    if not (root / ".git").exists():
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


VERDICT_PREFIX = "verdict."  # per-claim verdict artifacts: recorded under "claims"


def values_artifacts() -> list[str]:
    """Every values artifact of the registry: exactly the numbers chapters quote (each claim's
    verdict artifact is recorded under ``claims`` instead)."""
    return sorted(
        n
        for n, a in registry.REGISTRY.items()
        if a.kind == "values" and not n.startswith(VERDICT_PREFIX)
    )


def build(on_artifact: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Compute every values artifact and every claim through the cache and assemble the manifest.

    ``on_artifact`` is called before each artifact is computed (for a progress bar).
    """
    values: dict[str, Any] = {}
    for name in values_artifacts():
        if on_artifact:
            on_artifact(name)
        art = registry.get(name)
        values[name] = {
            "function": art.function,
            "synthetic": art.synthetic,
            "tolerance": tolerance_for(name).name,
        }
        try:
            values[name]["values"] = store.values(name)
        except NotAvailable as exc:  # the data cannot support it: recorded, not a crash
            values[name] |= {"values": {}, "unavailable": str(exc)}
    claims: dict[str, Any] = {}
    for found in verdicts.evaluate_all():
        claim = found.claim
        artifact = claim.evidence.artifact if claim.evidence else None
        claims[claim.id] = {
            "source": f"seed {claim.seed} [{claim.source.bibkey}]",
            "evidence_kind": str(claim.evidence_kind),
            "artifact": artifact,
            "keys": list(claim.evidence.rule.inputs()) if claim.evidence else [],
            "tolerance": (
                tolerance_for(artifact).name if artifact in registry.REGISTRY else ARITHMETIC.name
            ),
            "verdict": found.verdict_text,
            "result": found.result,
            "summary": found.summary,
        }
    return {
        "schema": SCHEMA,
        "about": (
            "Every number the book reports and every claim's verdict. Rebuilt from the raw data "
            "by `python -m analysis reproduce`; accept a deliberate change with --update."
        ),
        "data": datapackage.fingerprint(),
        "code": code_version(),
        "tolerances": {
            t.name: {"relative": t.relative, "absolute": t.absolute, "why": t.why}
            for t in TOLERANCES.values()
        },
        "values": values,
        "claims": claims,
    }
