"""Mutation testing over a listed, reviewable set of mutants (tools/mutants.toml).

Each mutant is one plausible bug: a file, an original snippet that must occur exactly once in
it, the mutated snippet, why the bug is plausible, and the test files that guard that code.
The runner copies the tree once to a temporary folder (never touching the tree it reads),
applies one mutant at a time to the copy, runs the mutant's tests there with the copy first on
PYTHONPATH (the environment's editable install would otherwise import the original), restores
the file, and reports every mutant as killed (a test failed or the package failed to import),
survived, or not run (snippet not found / ambiguous, no test file). Tests that already fail on
the unmutated copy are deselected for that mutant's run and listed, so a colleague's work in
progress cannot pass for a kill.

Why our own runner rather than a PyPI tool (mutmut, cosmic-ray): the mutants are then the
plausible bugs a reviewer chose and can read, the run is deterministic, and each runs only the
tests that guard its code, which keeps a full run to minutes on two cores.

Usage (from the repository root, in the tests environment)::

    python tools/mutation.py                      # every mutant on this tree, label "after"
    python tools/mutation.py --root /tmp/snapshot --label before
    python tools/mutation.py --only cache-closure,rules-near-tolerance
    python tools/mutation.py --check              # only check that every snippet still matches

Writes its section of benchmarks/mutation.md (other labels' sections are kept). Exit code 0
when every mutant ran and every survivor carries an explanation (``survives`` in the toml),
1 otherwise, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
IGNORED = (".git", ".nox", ".cache", ".tools", "_book", ".quarto", "__pycache__", ".pytest_cache")
FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)


@dataclass
class Mutant:
    id: str
    area: str
    file: str
    original: str
    mutated: str
    why: str
    tests: list[str]
    survives: str = ""  # why the mutant is expected to survive (an explained survivor)


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed | survived | snippet not found | ambiguous snippet | no tests
    seconds: float = 0.0
    killed_by: str = ""
    tests_run: list[str] = field(default_factory=list)


def read_mutants(path: Path) -> list[Mutant]:
    """The mutants listed in ``path``; ids must be unique."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    mutants = [Mutant(**entry) for entry in data.get("mutant", [])]
    seen: set[str] = set()
    for m in mutants:
        if m.id in seen:
            raise SystemExit(f"{path}: mutant id {m.id!r} is listed twice")
        if m.original == m.mutated:
            raise SystemExit(f"{path}: mutant {m.id!r} does not change its snippet")
        seen.add(m.id)
    return mutants


def copy_tree(root: Path, target: Path) -> Path:
    """A copy of ``root`` without environments, caches and build output."""
    shutil.copytree(root, target, ignore=shutil.ignore_patterns(*IGNORED), symlinks=True)
    return target


def environment(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a same-size mutant must never meet a stale .pyc
    env["MPLBACKEND"] = "Agg"
    return env


def imported_from(tree: Path) -> Path:
    """Where the ``analysis`` package is imported from when running in ``tree``."""
    done = subprocess.run(
        [sys.executable, "-c", "import analysis; print(analysis.__file__)"],
        cwd=tree,
        env=environment(tree),
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip()).resolve()


def run_tests(
    tree: Path, tests: list[str], deselect: list[str], timeout: float
) -> tuple[int, str, float]:
    """Run pytest on ``tests`` inside ``tree``; (return code, output, seconds)."""
    command = [sys.executable, "-m", "pytest", "-q", "-x", "--no-header", "-rfE"]
    command += ["-p", "no:cacheprovider", *tests]
    for node in deselect:
        command += ["--deselect", node]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            cwd=tree,
            env=environment(tree),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return -1, "timeout", time.perf_counter() - start
    return done.returncode, done.stdout + done.stderr, time.perf_counter() - start


def snippet_status(tree: Path, mutant: Mutant) -> str:
    file = tree / mutant.file
    if not file.exists():
        return "snippet not found"
    count = file.read_text(encoding="utf-8").count(mutant.original)
    return {0: "snippet not found", 1: "ok"}.get(count, "ambiguous snippet")


def baseline(tree: Path, tests: list[str], cache: dict, timeout: float) -> list[str]:
    """Node ids that already fail on the unmutated copy (memoised per test selection; the
    copies are identical, so one worker's baseline serves all)."""
    key = tuple(tests)
    with _BASELINE_LOCK:
        lock = _BASELINE_LOCKS.setdefault(key, threading.Lock())
    with lock:
        return _baseline(tree, tests, cache, timeout)


_BASELINE_LOCK = threading.Lock()
_BASELINE_LOCKS: dict[tuple[str, ...], threading.Lock] = {}


def _baseline(tree: Path, tests: list[str], cache: dict, timeout: float) -> list[str]:
    key = tuple(tests)
    if key not in cache:
        command_timeout = timeout * 3
        code, output, _ = run_tests_all(tree, tests, command_timeout)
        cache[key] = sorted(set(FAILED.findall(output))) if code not in (0, 5) else []
        if code not in (0, 1, 5):
            raise SystemExit(f"baseline run of {tests} failed (exit {code}):\n{output[-2000:]}")
    return cache[key]


def run_tests_all(tree: Path, tests: list[str], timeout: float) -> tuple[int, str, float]:
    """Like run_tests but without -x, so every already-failing test is found."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "--no-header",
        "-rfE",
        "-p",
        "no:cacheprovider",
    ]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, *tests],
        cwd=tree,
        env=environment(tree),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done.returncode, done.stdout + done.stderr, time.perf_counter() - start


def run_mutant(tree: Path, mutant: Mutant, known: dict, timeout: float) -> Outcome:
    state = snippet_status(tree, mutant)
    if state != "ok":
        return Outcome(mutant, state)
    tests = [t for t in mutant.tests if (tree / t.split("::")[0]).exists()]
    if not tests:
        return Outcome(mutant, "no tests")
    failing = baseline(tree, tests, known, timeout)
    file = tree / mutant.file
    original = file.read_text(encoding="utf-8")
    file.write_text(original.replace(mutant.original, mutant.mutated, 1), encoding="utf-8")
    try:
        code, output, seconds = run_tests(tree, tests, failing, timeout)
    finally:
        file.write_text(original, encoding="utf-8")
    if code in (0, 5):
        return Outcome(mutant, "survived", seconds, "", tests)
    if code == -1:
        return Outcome(mutant, "killed", seconds, "timeout", tests)
    failed = FAILED.findall(output)
    by = failed[0] if failed else f"pytest exit {code} (collection or import error)"
    return Outcome(mutant, "killed", seconds, by, tests)


# --- report --------------------------------------------------------------------------------


def score(outcomes: list[Outcome]) -> tuple[int, int]:
    ran = [o for o in outcomes if o.status in ("killed", "survived")]
    return sum(o.status == "killed" for o in ran), len(ran)


def section(label: str, root: Path, outcomes: list[Outcome], failing: dict) -> str:
    killed, ran = score(outcomes)
    pct = 100 * killed / ran if ran else 0.0
    not_run = [o for o in outcomes if o.status not in ("killed", "survived")]
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"<!-- mutation:{label} -->",
        f"## {label}: {killed} of {ran} killed ({pct:.0f}%)",
        "",
        f"Tree: `{root}`, run {when}, command `python tools/mutation.py --root {root} "
        f"--label {label}`. Not run: {len(not_run)}"
        + (f" ({', '.join(f'{o.mutant.id}: {o.status}' for o in not_run)})" if not_run else "")
        + ".",
        "",
    ]
    by_area: dict[str, list[int]] = {}
    for o in outcomes:
        if o.status in ("killed", "survived"):
            entry = by_area.setdefault(o.mutant.area, [0, 0])
            entry[0] += o.status == "killed"
            entry[1] += 1
    lines += ["| area | killed | mutants |", "|---|---:|---:|"]
    lines += [f"| {a} | {k} | {n} |" for a, (k, n) in sorted(by_area.items())]
    lines += ["", "| mutant | area | result | first failing test / why it survives |"]
    lines += ["|---|---|---|---|"]
    for o in outcomes:
        if o.status == "killed":
            detail = f"`{o.killed_by}`"
        elif o.status == "survived":
            detail = o.mutant.survives or "**unexplained**"
        else:
            detail = o.status
        lines.append(f"| `{o.mutant.id}` | {o.mutant.area} | {o.status} | {detail} |")
    broken = {k: v for k, v in failing.items() if v}
    if broken:
        lines += [
            "",
            "Tests failing on the unmutated tree (deselected for the mutants using them):",
        ]
        lines += [f"- `{node}`" for nodes in broken.values() for node in nodes]
    lines += [f"<!-- /mutation:{label} -->", ""]
    return "\n".join(lines)


HEADER = """# Mutation testing

Each mutant in `tools/mutants.toml` is one small, plausible bug (a threshold, a direction, a
dropped part, a wrong reference level, a missing factor). `nox -s mutation` (or
`python tools/mutation.py`) applies them one at a time to a copy of the tree and runs the test
files listed for each; a mutant is *killed* when a test fails. The score is killed / run.
Survivors are listed with the reason they survive (written in `tools/mutants.toml`).

"""


def write_report(out: Path, label: str, text: str) -> None:
    """Replace (or add) this label's section of the report, keeping the others; atomic."""
    current = out.read_text(encoding="utf-8") if out.exists() else HEADER
    pattern = re.compile(
        rf"<!-- mutation:{re.escape(label)} -->.*?<!-- /mutation:{re.escape(label)} -->\n?",
        re.DOTALL,
    )
    if pattern.search(current):
        updated = pattern.sub(lambda _: text, current)
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=out.parent, delete=False, suffix=".tmp"
    ) as handle:
        handle.write(updated)
    os.replace(handle.name, out)


def merge_stored(
    store: Path, label: str, mutants: list[Mutant], outcomes: list[Outcome], merge: bool
) -> list[Outcome]:
    """Save this run's outcomes under ``label`` in ``store`` (JSON); with ``merge`` (an
    ``--only`` re-run), keep the stored outcomes of the mutants not re-run. Returns the
    outcomes of every mutant in ``mutants`` that has one, in listing order."""
    data = json.loads(store.read_text(encoding="utf-8")) if store.exists() else {}
    stored = data.get(label, {}) if merge else {}
    for o in outcomes:
        stored[o.mutant.id] = {
            "status": o.status,
            "seconds": round(o.seconds, 1),
            "killed_by": o.killed_by,
            "tests": o.tests_run,
        }
    data[label] = stored
    store.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=store.parent, delete=False, suffix=".tmp"
    ) as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
    os.replace(handle.name, store)
    return [
        Outcome(m, stored[m.id]["status"], stored[m.id]["seconds"], stored[m.id]["killed_by"])
        for m in mutants
        if m.id in stored
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO, help="tree to mutate (a copy is used)")
    parser.add_argument("--mutants", type=Path, default=HERE / "mutants.toml")
    parser.add_argument("--label", default="after", help="report section name (before/after)")
    parser.add_argument("--only", default="", help="comma-separated mutant ids")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "mutation.md")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per mutant")
    parser.add_argument("--check", action="store_true", help="only check the snippets")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (one copy each)")
    parser.add_argument("--no-report", action="store_true", help="do not write --out")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="write the label's section of --out from the stored outcomes, running nothing",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="with --only: keep the label's stored outcomes of the other mutants in the report",
    )
    args = parser.parse_args(argv)
    if not (args.root / "analysis").is_dir():
        parser.error(f"--root {args.root} has no analysis/ package")
    mutants = read_mutants(args.mutants)
    listed = list(mutants)
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {m.id for m in mutants}
        if unknown:
            parser.error(f"unknown mutant id(s): {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m.id in wanted]

    if args.report_only:
        store = args.out.with_suffix(".json")
        outcomes = merge_stored(store, args.label, listed, [], merge=True)
        write_report(args.out, args.label, section(args.label, args.root, outcomes, {}))
        killed, ran = score(outcomes)
        print(f"{killed} of {ran} mutants killed; wrote {args.out}")
        return 0

    if args.check:
        bad = [(m, snippet_status(args.root, m)) for m in mutants]
        bad = [(m, s) for m, s in bad if s != "ok"]
        for m, s in bad:
            print(f"{m.id}: {s} in {m.file}")
        print(f"{len(mutants) - len(bad)} of {len(mutants)} snippets match {args.root}")
        return 1 if bad else 0

    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        jobs = max(1, args.jobs)
        trees = [copy_tree(args.root.resolve(), Path(tmp) / f"tree{i}") for i in range(jobs)]
        origin = imported_from(trees[0])
        if not origin.is_relative_to(trees[0].resolve()):
            print(f"analysis imports from {origin}, not from the copy {trees[0]}", file=sys.stderr)
            return 1
        print(
            f"{len(mutants)} mutants on {jobs} copies of {args.root} "
            f"(analysis from {origin.parent})",
            flush=True,
        )
        known: dict = {}
        free = list(trees)
        free_lock = threading.Lock()
        done = [0]

        def work(mutant: Mutant) -> Outcome:
            with free_lock:
                tree = free.pop()
            try:
                outcome = run_mutant(tree, mutant, known, args.timeout)
            finally:
                with free_lock:
                    free.append(tree)
                    done[0] += 1
                    count = done[0]
            shown = outcome.killed_by or outcome.mutant.survives[:60]
            print(
                f"[{count:>2}/{len(mutants)}] {outcome.status:<17} {mutant.id:<34} "
                f"{outcome.seconds:5.1f}s {shown}",
                flush=True,
            )
            return outcome

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            outcomes = list(pool.map(work, mutants))
    if not args.no_report:
        store = args.out.with_suffix(".json")
        outcomes = merge_stored(store, args.label, listed, outcomes, args.merge and bool(args.only))
    killed, ran = score(outcomes)
    survivors = [o for o in outcomes if o.status == "survived"]
    unexplained = [o for o in survivors if not o.mutant.survives]
    not_run = [o for o in outcomes if o.status not in ("killed", "survived")]
    pct = 100 * killed / ran if ran else 0.0
    print(
        f"{killed} of {ran} mutants killed ({pct:.0f}%); {len(survivors)} survived "
        f"({len(unexplained)} unexplained); {len(not_run)} not run"
    )
    if not args.no_report:
        write_report(args.out, args.label, section(args.label, args.root, outcomes, known))
        print(f"wrote {args.out}")
    return 1 if unexplained or not_run else 0


if __name__ == "__main__":
    sys.exit(main())
