"""``python -m analysis validate``: check every resource, one line each, non-zero on any problem.

Validation only reads: it never rewrites a data file or the descriptor. Each invalid resource's
problems are also printed unwrapped on stderr (file, row, field, expected, found), the first
few by default and every one with ``--all-problems``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis import console, paths
from analysis.data import datapackage, datasets
from analysis.errors import EXIT_CHECK_FAILED, EXIT_OK

PROBLEMS_SHOWN = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", type=Path, default=paths.data, help="folder holding datapackage.json"
    )
    parser.add_argument("--all-problems", action="store_true", help="list every problem found")


def run(args: argparse.Namespace) -> int:
    """Check the package and each resource; print a table, the problems and a summary line."""
    descriptor = datapackage.read_descriptor(args.data / "datapackage.json")
    package_problems = datasets.check_package(args.data)
    results = datasets.check_all(args.data)
    rows = []
    for checked in results:
        entry = datapackage.resource(descriptor, checked.name)
        kind = datapackage.kind(entry)
        status = "valid" if checked.ok else "INVALID"
        detail = f"{checked.rows:,} rows" if checked.ok else checked.problems[0].problem
        rows.append((checked.name, kind, entry.get("path", "?"), status, detail))
    console.console.print(
        console.table(
            f"Data package {descriptor.get('name', '')} v{descriptor.get('version', '?')}",
            ["resource", "kind", "file", "status", "rows / first problem"],
            rows,
        )
    )
    bad = [c for c in results if not c.ok]
    for problem in package_problems:
        console.errors.print(f"package: {problem}", soft_wrap=True, markup=False)
    for checked in bad:
        shown = checked.problems if args.all_problems else checked.problems[:PROBLEMS_SHOWN]
        for problem in shown:
            console.errors.print(f"{checked.name}: {problem}", soft_wrap=True, markup=False)
        hidden = len(checked.problems) - len(shown)
        if hidden:
            console.errors.print(f"{checked.name}: ... {hidden} more (use --all-problems)")
    names = ", ".join(c.name for c in bad) + ("; package metadata" if package_problems else "")
    ok = not bad and not package_problems
    console.summary(
        "validate",
        ok,
        f"{len(results) - len(bad)}/{len(results)} resources valid"
        + ("" if ok else f"; invalid: {names.lstrip('; ')}"),
    )
    return EXIT_OK if ok else EXIT_CHECK_FAILED
