"""``python -m analysis validate``: check every resource, one line each, non-zero on any problem.

Validation only reads: it never rewrites a data file or the descriptor. Each invalid resource's
problems are also printed unwrapped on stderr (file, row, field, expected, found), the first
few by default and every one with ``--all-problems``.

``--reuse`` (what the render session uses) skips the reading when nothing validation depends on
has changed since the last run that found the package valid: every file of the data folder
(content, or link target), references.bib, the checking code and uv.lock. That key is stored
with the verdict in the cache folder (``validate.json``); a package found invalid is never
stored, so its problems are printed on every run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from analysis import atomic, console, paths
from analysis.data import datapackage, files
from analysis.errors import EXIT_CHECK_FAILED, EXIT_OK, DataProblem, DataValidationError
from analysis.pipeline.store import keys

PROBLEMS_SHOWN = 5
VERDICT_FILE = "validate.json"
# The modules that decide validity (with their analysis imports, through keys.code_hash).
CHECKING_CODE = ("analysis.data.datasets", "analysis.data.parquet", "analysis.cli.validate")


@dataclass
class Outcome:
    """One resource's verdict, as the table shows it: datasets.Checked without the frame, so a
    reused verdict is shown without importing pandas (datasets does)."""

    name: str
    rows: int
    problems: list[DataProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", type=Path, default=paths.data, help="folder holding datapackage.json"
    )
    parser.add_argument("--all-problems", action="store_true", help="list every problem found")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the last valid verdict while no data file, references.bib or checking code "
        "has changed",
    )


def run(args: argparse.Namespace) -> int:
    """Check the package and each resource; print a table, the problems and a summary line."""
    descriptor = datapackage.read_descriptor(args.data / "datapackage.json")
    key = verdict_key(args.data) if args.reuse else None
    reused = reused_verdict(key) if key else None
    if reused is not None:
        package_problems, results = [], reused
    else:
        package_problems, results = check(args.data)
        if key and not package_problems and all(r.ok for r in results):
            store_verdict(key, results)
    rows = []
    for checked in results:
        entry = datapackage.resource(descriptor, checked.name)
        kind = datapackage.kind(entry)
        status = "valid" if checked.ok else "INVALID"
        detail = f"{checked.rows:,} rows" if checked.ok else checked.problems[0].problem
        rows.append((checked.name, kind, entry.get("path", "?"), status, detail))
    if reused is not None:
        rows = [(*row[:4], row[4] + " (unchanged)") for row in rows]
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
        + ("" if ok else f"; invalid: {names.lstrip('; ')}")
        + ("; nothing changed since the last valid check, files not re-read" if reused else ""),
    )
    return EXIT_OK if ok else EXIT_CHECK_FAILED


def check(base: Path) -> tuple[list[DataProblem], list[Outcome]]:
    """Read and check the package and every resource."""
    from analysis.data import datasets  # pandas and pyarrow: only when files are read

    package_problems = datasets.check_package(base)
    results = [Outcome(c.name, c.rows, c.problems) for c in datasets.check_all(base)]
    return package_problems, results


def verdict_key(base: Path) -> str:
    """Everything a verdict depends on, hashed: each entry of the data folder (content of a
    regular file, target of a link, kind of anything else), every references.bib validation
    may read, the checking code, uv.lock and the Python version."""
    lines = [f"python {sys.version_info[0]}.{sys.version_info[1]}", f"lock {keys.lock_hash()}"]
    lines += [f"code {module} {keys.code_hash(module)}" for module in CHECKING_CODE]
    for bib in (base / "references.bib", base.parent / "references.bib", paths.references_bib):
        lines.append(f"bib {bib} {keys.file_hash(bib) if bib.is_file() else 'none'}")
    for entry in sorted(base.rglob("*")):
        name = entry.relative_to(base).as_posix()
        if entry.is_symlink():
            lines.append(f"link {name} {os.readlink(entry)}")
        elif entry.is_file():
            lines.append(f"file {name} {_content_key(entry)}")
        elif not entry.is_dir():
            lines.append(f"other {name}")
    lines.append(f"folder {base.resolve()}")
    return keys.text_hash("\n".join(lines))


def _content_key(file: Path) -> str:
    """A file's streamed hash; above the default size limit (no resource of that size is read
    without a raised limit) its size, mtime and inode, so a stray huge file is not read."""
    status = file.stat()
    if status.st_size > files.DEFAULT_LIMITS["bytes"]:
        return f"large {status.st_size} {status.st_mtime_ns} {status.st_ino}"
    return keys.file_hash(file)


def _verdict_file() -> Path:
    return paths.cache / VERDICT_FILE


def reused_verdict(key: str) -> list[Outcome] | None:
    """The stored valid verdict if it was reached on exactly this key, else None."""
    try:
        stored = json.loads(files.read_regular(_verdict_file(), str(_verdict_file())))
        if stored.get("key") != key:
            return None
        return [Outcome(str(r["name"]), int(r["rows"])) for r in stored["resources"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, DataValidationError):
        return None  # absent, damaged or from another format: check again


def store_verdict(key: str, results: list[Outcome]) -> None:
    """Remember a valid verdict (written atomically; a read-only cache only costs speed)."""
    verdict = {
        "key": key,
        "checked": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "resources": [{"name": r.name, "rows": r.rows} for r in results],
    }
    with contextlib.suppress(OSError):
        atomic.write_json(_verdict_file(), verdict)
