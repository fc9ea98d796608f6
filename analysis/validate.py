"""``python -m analysis validate``: check every resource, one line each, non-zero on any problem.

Validation only reads: it never rewrites a data file or the descriptor.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis import console, datapackage, datasets, paths
from analysis.errors import EXIT_CHECK_FAILED, EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", type=Path, default=paths.data, help="folder holding datapackage.json"
    )
    parser.add_argument("--all-problems", action="store_true", help="list every problem found")


def run(args: argparse.Namespace) -> int:
    descriptor = datapackage.read_descriptor(args.data / "datapackage.json")
    results = datasets.check_all(args.data)
    rows = []
    for checked in results:
        entry = datapackage.resource(descriptor, checked.name)
        kind = "synthetic" if entry.get("synthetic") else "documented"
        status = "valid" if checked.ok else "INVALID"
        detail = f"{checked.rows:,} rows" if checked.ok else str(checked.problems[0])
        rows.append((checked.name, kind, checked.file, status, detail))
    console.console.print(
        console.table(
            f"Data package {descriptor.get('name', '')} v{descriptor.get('version', '?')}",
            ["resource", "kind", "file", "status", "rows / first problem"],
            rows,
        )
    )
    bad = [c for c in results if not c.ok]
    if args.all_problems:
        for checked in bad:
            for problem in checked.problems:
                console.errors.print(f"  {problem}")
    names = ", ".join(c.name for c in bad)
    console.summary(
        "validate",
        not bad,
        f"{len(results) - len(bad)}/{len(results)} resources valid"
        + (f"; invalid: {names}" if bad else ""),
    )
    return EXIT_CHECK_FAILED if bad else EXIT_OK
