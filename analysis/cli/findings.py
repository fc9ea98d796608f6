"""``python -m analysis findings``: every claim of the sources with its evidence and verdict.

Reads evidence through the artifact cache, so a second run is instant. Exit 0 when every
claim could be evaluated (pending evidence is listed, not an error); 1 if evidence is broken.
"""

from __future__ import annotations

import argparse

from analysis import console, findings
from analysis.errors import EXIT_OK, EXIT_USAGE
from analysis.pipeline import verdicts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", help="only claims from this seed (000-004)")
    parser.add_argument(
        "--evidence",
        choices=[k.value.split()[0] for k in findings.EvidenceKind],
        help="only claims resting on this kind of evidence",
    )
    parser.add_argument("--claim", help="only this claim id, e.g. S003-D4")
    parser.add_argument("--rules", action="store_true", help="print the verdict rules too")


def run(args: argparse.Namespace) -> int:
    """Evaluate the selected claims and print them as a table with a one-line summary."""
    claims = findings.registry()
    if args.seed:
        claims = tuple(c for c in claims if c.seed == args.seed)
    if args.evidence:
        claims = tuple(c for c in claims if c.evidence_kind.value.startswith(args.evidence))
    if args.claim:
        claims = tuple(c for c in claims if c.id == args.claim)
    if not claims:
        known = ", ".join(c.id for c in findings.registry())
        console.errors.print(f"no claim matches; known ids: {known}")
        return EXIT_USAGE
    with console.progress() as bar:
        bar.add_task("evaluating claims", total=None)
        evaluated = verdicts.evaluate_all(claims)
    rows = [
        (
            f.claim.id,
            f.claim.paraphrase,
            f.claim.evidence_kind.value
            + (f"\n{f.claim.evidence.describe()}" if f.claim.evidence else ""),
            f"{f.claim.test}\n-> {f.summary}" if f.claim.evidence else f.summary,
            f.verdict_text,
        )
        for f in evaluated
    ]
    console.console.print(
        console.table(
            "Claims of the source documents",
            ["id", "claim", "evidence", "test -> result", "verdict"],
            rows,
        )
    )
    if args.rules:
        console.console.print(
            console.table(
                "Verdict rules",
                ["rule", "applies to", "supported if", "not supported if", "mixed if"],
                findings.RULE_TABLE,
            )
        )
    pending = [f.claim.id for f in evaluated if f.verdict is findings.Verdict.PENDING]
    tail = f"; pending: {', '.join(pending)}" if pending else ""
    console.summary("findings", True, findings.one_line(evaluated) + tail)
    return EXIT_OK
