"""The reviewer's check, in the test suite: every number the book reports and every claim's
verdict, as the current code computes them from the raw data, must match results/manifest.json
under the manifest's own tolerances (verdicts, counts and text exactly).

The numbers come through the test process's artifact cache (tests/conftest.py): its keys
cover the data, every analysis module and the locked libraries, so any edit that can move a
number recomputes it. Re-running in a fresh cache, as ``python -m analysis reproduce`` does,
is tested in tests/test_reproduce.py; doing it here again would only recompute the same
numbers.

A changed threshold, a flipped comparison or an edited statistic that moves a reported number
or a verdict fails here, naming it. A deliberate change is accepted with
``python -m analysis reproduce --update`` (and the diff of results/manifest.json reviewed).
"""

from __future__ import annotations

import pytest

from analysis import paths
from analysis.pipeline import manifest, reproduce


@pytest.fixture(scope="module")
def rerun() -> tuple[dict, dict]:
    committed = reproduce.read_manifest(getattr(paths, "committed_manifest", paths.manifest))
    assert committed is not None, "results/manifest.json is missing: run reproduce --update"
    return committed, manifest.build()


def test_every_reported_number_and_verdict_matches_the_committed_manifest(rerun) -> None:
    committed, built = rerun
    changes, _within_tolerance = reproduce.compare(committed, built)
    listed = "\n".join(
        f"{c.item}: {c.old!r} -> {c.new!r}; verdict {c.verdict_old} -> {c.verdict_new}; {c.reason}"
        for c in changes[:40]
    )
    assert not changes, f"{len(changes)} changes against results/manifest.json:\n{listed}"


def test_the_tolerances_applied_are_the_manifest_s(rerun) -> None:
    """The comparison uses the tolerances the manifest states, not looser ones."""
    committed, built = rerun
    for name, tolerance in manifest.TOLERANCES.items():
        stated = committed["tolerances"][name]
        assert (stated["relative"], stated["absolute"]) == (
            tolerance.relative,
            tolerance.absolute,
        )
    for name, entry in built["values"].items():
        assert entry["tolerance"] == committed["values"].get(name, entry)["tolerance"], name


def test_the_comparison_catches_a_moved_verdict_and_number(rerun) -> None:
    """The check above can fail: a verdict flipped or a number moved past its tolerance in a
    copy of the re-run is reported."""
    _committed, built = rerun
    claim_id = next(iter(built["claims"]))
    moved = {**built, "claims": dict(built["claims"])}
    moved["claims"][claim_id] = {**built["claims"][claim_id], "verdict": "mixed (edited)"}
    name, entry = next(
        (n, e)
        for n, e in built["values"].items()
        if any(isinstance(v, float) for v in e["values"].values())
    )
    key = next(k for k, v in entry["values"].items() if isinstance(v, float))
    moved["values"] = dict(built["values"])
    moved["values"][name] = {**entry, "values": {**entry["values"], key: entry["values"][key] + 1}}
    changes, _ = reproduce.compare(built, moved)
    assert {c.item.split(" ")[0] for c in changes} >= {claim_id, f"{name}:{key}"}
