"""``python -m benchmarks.bench`` (``nox -s bench``): time the book's chapters executed as Quarto
would run them.

Everything happens in a temporary copy of the project, so the edits the scenarios make never
touch the repository. Each render is emulated the way the render session runs it:
``python -m analysis prepare-render`` (kernelspec, validate, static checks, fingerprints,
deletion of stale frozen results, every missing artifact computed in that one process), then
Quarto's ``freeze: auto`` (a chapter whose frozen result is missing or whose text changed is
executed in its own fresh kernel, in book order, after Quarto's setup cell), then
``freeze --record``. Scenarios, in order:

- cold: empty cache, nothing frozen;
- warm_prose: a sentence added to one chapter (only that chapter re-executes, from the cache);
- warm_code: a comment added to one analysis module (its artifacts, and the chapters that read
  them, are redone);
- warm_data: an author's data fix: one value of a data file corrected (the last numeric field
  of its first row raised by one) and its hash re-recorded; the artifacts that read the file are
  recomputed and the chapters that read those re-execute (the table says how many).

The floor is one interpreter importing what the artifacts need and computing each of them once.
``empty`` is the measured cost of an empty chapter (one empty cell): what Quarto spends on any
chapter whatever it holds (kernel start, its setup cell, which imports pandas and matplotlib,
shutdown), which nothing inside a chapter can cut; the baseline is a chapter that only imports
analysis.book. ``overhead`` is what the project's own steps add to ``quarto render`` after the
warm_prose edit: prepare-render plus freeze --record, each a fresh process as in the session.
Targets: cold <= floor + chapters x (empty + 0.5 s); warm_prose <= 5 s; overhead <= 3 s. Each
run's tables are appended to benchmarks/bench-history.md so runs can be compared. The last
line printed is ``bench: chapters=<n> cold=<s> warm_prose=<s> warm_code=<s> warm_data=<s>
floor=<s> empty=<s> overhead=<s>``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import importlib.util
import io
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from analysis import atomic, console, paths
from analysis.data import datapackage
from analysis.errors import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE
from analysis.pipeline import freeze, kernel, qmd, store
from analysis.pipeline.store import registry

HISTORY = "bench-history.md"
CHAPTER_BUDGET = 0.5  # seconds a chapter may add to the floor beyond an empty chapter's cost
PROSE_TARGET = 5.0
OVERHEAD_TARGET = 3.0  # prepare-render + freeze --record after a prose edit
# What is not part of the project (environments, caches, outputs) stays out of the copy.
NOT_COPIED = (
    ".git",
    ".venv",
    ".nox",
    ".tools",
    ".cache",
    ".quarto",
    "_book",
    "_freeze",
    "benchmarks",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
)
FLOOR_CODE = (
    "import sys\nfrom analysis.pipeline import store\nfor n in sys.argv[1:]:\n    store.ensure(n)\n"
)
BASELINE_CHAPTER = "# Baseline\n\n```{python}\nfrom analysis import book\n```\n"
EMPTY_CHAPTER = "# Empty\n\n```{python}\n```\n"
WARM_UP = "import pandas, matplotlib.pyplot, statsmodels.api, seaborn, ipykernel.kernelapp"


class BenchError(Exception):
    """A step of the benchmark failed (a chapter error, a failing subprocess)."""


@dataclass
class Scenario:
    """One emulated render: its edit, what it re-executed and recomputed, and its times."""

    name: str
    edit: str
    seconds: float = 0.0
    invalidate_seconds: float = 0.0  # prepare-render
    record_seconds: float = 0.0  # freeze --record
    chapters: dict[str, float] = field(default_factory=dict)  # executed chapter -> seconds
    recomputed: list[str] = field(default_factory=list)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prose-chapter", help="chapter to edit (default: the one reading most)")
    parser.add_argument("--code-module", help="analysis module to edit (default: most read)")
    parser.add_argument("--data-resource", help="resource to edit (default: most read documented)")
    parser.add_argument(
        "--no-history", action="store_true", help=f"do not append to benchmarks/{HISTORY}"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary project copy")


def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="analysis-bench-"))
    try:
        return _bench(args, workdir)
    except BenchError as exc:
        console.errors.print(f"bench: {exc}", markup=False)
        console.summary("bench", False, "a step failed; no timings recorded")
        return EXIT_CHECK_FAILED
    finally:
        if args.keep:
            console.errors.print(f"bench: project copy kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _bench(args: argparse.Namespace, workdir: Path) -> int:
    repo = paths.root
    project = workdir / "project"
    shutil.copytree(repo, project, ignore=shutil.ignore_patterns(*NOT_COPIED))
    with _pointing_at(project):
        chapters = [c for c in qmd.book_chapters() if c.suffix == ".qmd"]
        uses = {freeze.chapter_name(c): freeze.usage(qmd.parse(c)) for c in chapters}
        code_chapters = [c for c in chapters if uses[freeze.chapter_name(c)].has_code]
        needed = freeze.needed_artifacts(uses.values())
        try:
            prose = _pick_chapter(args.prose_chapter, code_chapters, uses)
            module = _pick_module(args.code_module, uses, needed)
            resource = _pick_resource(args.data_resource, needed)
        except ValueError as exc:
            console.errors.print(f"bench: {exc}")
            return EXIT_USAGE
        bench = _Runner(project, workdir, chapters)
        with console.progress() as bar:
            bench.bar = bar
            bench.total = 5 + len(code_chapters)
            bench.task = bar.add_task("warming up", total=bench.total)
            bench.command(["-c", WARM_UP], cache=workdir / "cache-warm-up")
            bench.advance("floor: computing every artifact in one process")
            floor = bench.command(["-c", FLOOR_CODE, *needed], cache=workdir / "cache-floor")
            bench.advance("empty: a chapter with one empty cell")
            empty = bench.baseline(workdir / "empty.qmd", EMPTY_CHAPTER)
            bench.advance("baseline: a chapter that only imports analysis.book")
            baseline = bench.baseline(workdir / "baseline.qmd", BASELINE_CHAPTER)
            bench.advance()
            scenarios = [bench.render("cold", "none: empty cache, nothing frozen")]
            scenarios.append(
                bench.render(
                    "warm_prose",
                    f"a sentence added to {prose}",
                    lambda: _append(project / prose, "\nA sentence added by the benchmark.\n"),
                )
            )
            module_file = Path(importlib.util.find_spec(module).origin)
            module_copy = project / module_file.relative_to(repo)
            scenarios.append(
                bench.render(
                    "warm_code",
                    f"a comment added to {module}",
                    lambda: _append(module_copy, "\n# benchmark: an analysis-code edit\n"),
                )
            )
            scenarios.append(
                bench.render(
                    "warm_data",
                    f"{resource}: one value corrected, hash re-recorded",
                    lambda: _edit_resource(project / "data", resource),
                )
            )
        names = [freeze.chapter_name(c) for c in chapters]
    return _report(args, names, scenarios, floor, empty, baseline, len(needed))


class _Runner:
    """Runs the emulated renders in the project copy with its own cache and progress bar."""

    def __init__(self, project: Path, workdir: Path, chapters: list[Path]) -> None:
        self.project = project
        self.cache = workdir / "cache"
        self.chapters = chapters
        self.bar = None
        self.task = None
        self.total = 0

    def env(self, cache: Path) -> dict[str, str]:
        """Kernels and commands import the copy's analysis package, read the copy's data, write
        to the copy's results and use a fresh cache. The folders are set explicitly: ``python
        -m analysis`` exports its own (the repository's) to child processes, which would then
        never see the data edit of warm_data."""
        python_path = os.pathsep.join(
            filter(None, [str(self.project), os.environ.get("PYTHONPATH")])
        )
        return {
            **os.environ,
            "PYTHONPATH": python_path,
            paths.CACHE_ENV: str(cache),
            paths.DATA_ENV: str(self.project / "data"),
            paths.RESULTS_ENV: str(self.project / "results"),
        }

    def advance(self, description: str | None = None) -> None:
        self.bar.advance(self.task)
        if description:
            self.bar.update(self.task, description=description)

    def command(self, argv: list[str], cache: Path) -> float:
        """Run ``python <argv>`` in the copy; its wall time in seconds."""
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, *argv],
            cwd=self.project,
            env=self.env(cache),
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            shown = " ".join(argv if argv[0] != "-c" else ["-c", "..."])
            output = done.stdout[-3000:] + done.stderr[-3000:]
            raise BenchError(f"`python {shown}` failed:\n{output}")
        return seconds

    def baseline(self, file: Path, text: str) -> float:
        """Seconds of a small chapter executed as Quarto does (setup cell included)."""
        atomic.write_text(file, text)
        done = kernel.run_chapter(file, env=self.env(self.cache))
        if not done.ok:
            raise BenchError("\n".join(str(f) for f in done.failures))
        return done.seconds

    def render(
        self, name: str, edit: str, change: Callable[[], str | None] | None = None
    ) -> Scenario:
        """Apply an edit (which may say what it changed), then invalidate + render (freeze:
        auto) + record; timed."""
        scenario = Scenario(name, edit)
        if change:
            scenario.edit = change() or edit
        before = store.stored(self.cache)
        self.bar.update(self.task, description=f"{name}: prepare-render")
        prefix = ["--kernel-prefix", str(self.cache.parent / "kernel-prefix")]
        scenario.invalidate_seconds = self.command(
            ["-m", "analysis", "prepare-render", *prefix], self.cache
        )
        pending = [c for c in self.chapters if _will_execute(c)]
        if name != "cold":
            self.total += len(pending) + 1
            self.bar.update(self.task, total=self.total)
        started = time.perf_counter()

        def step(done: freeze.Rendered) -> None:
            if done.executed:
                if not done.run.ok:
                    raise BenchError("\n".join(str(f) for f in done.run.failures))
                scenario.chapters[done.chapter] = done.run.seconds
                self.advance(f"{name}: executed {done.chapter}")

        freeze.emulate_render(self.chapters, env=self.env(self.cache), on_chapter=step)
        scenario.seconds = scenario.invalidate_seconds + time.perf_counter() - started
        scenario.record_seconds = self.command(["-m", "analysis", "freeze", "--record"], self.cache)
        scenario.recomputed = sorted(name for name, _ in store.stored(self.cache) - before)
        self.advance()
        return scenario


@contextlib.contextmanager
def _pointing_at(project: Path) -> Iterator[None]:
    """analysis.paths pointed at the project copy, for the freeze helpers, then restored."""
    names = {
        "root": project,
        "data": project / "data",
        "datapackage": project / "data" / "datapackage.json",
        "quarto_config": project / "_quarto.yml",
        "chapters": project / "chapters",
        "index_qmd": project / "index.qmd",
        "freeze_dir": project / "_freeze",
    }
    saved = {name: getattr(paths, name) for name in names}
    try:
        for name, value in names.items():
            setattr(paths, name, value)
        yield
    finally:
        for name, value in saved.items():
            setattr(paths, name, value)


def _will_execute(chapter: Path) -> bool:
    doc = qmd.parse(chapter)
    return doc.has_code() and freeze.frozen_hash(chapter) != freeze.quarto_hash(doc.text)


def _append(path: Path, text: str) -> None:
    atomic.write_text(path, path.read_text(encoding="utf-8") + text)


def _edit_resource(data: Path, resource: str) -> str:
    """An author's data fix: one value the analyses read is corrected (the last numeric field of
    the first row, not a key, raised by one), and the resource's hash re-recorded as ``data
    stamp`` would. Returns what changed, e.g. "provinces row 1 gdp_per_capita_yuan_2013 93213
    -> 93214"."""
    descriptor = datapackage.read_descriptor(data / "datapackage.json")
    entry = datapackage.resource(descriptor, resource)
    schema = entry.get("schema", {})
    keys = schema.get("primaryKey") or []
    keys = [keys] if isinstance(keys, str) else list(keys)
    numeric = [
        f["name"]
        for f in schema.get("fields", [])
        if f.get("type") in ("integer", "number")
        and f["name"] not in keys
        and not (f.get("constraints") or {}).get("unique")
    ]
    if not numeric:
        raise ValueError(f"{resource} has no numeric field to correct; give --data-resource")
    file = datapackage.resource_path(entry, data)
    with file.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index(numeric[-1])
    before = rows[1][column]
    after = str(int(before) + 1) if before.lstrip("-").isdigit() else f"{float(before) * 1.01:g}"
    rows[1][column] = after
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    atomic.write_text(file, buffer.getvalue())
    datapackage.update_resources([datapackage.stamp(entry, data)], data / "datapackage.json")
    return f"{resource} row 1 {numeric[-1]} {before} -> {after}"


def _pick_chapter(wanted: str | None, chapters: list[Path], uses: dict[str, freeze.Usage]) -> str:
    names = [freeze.chapter_name(c) for c in chapters]
    if wanted:
        if wanted not in names:
            raise ValueError(f"--prose-chapter {wanted!r} is not a chapter with code: {names}")
        return wanted
    if not names:
        raise ValueError("the book has no chapter with code to time")
    return max(names, key=lambda n: (len(uses[n].artifacts), -names.index(n)))


def _pick_module(wanted: str | None, uses: dict[str, freeze.Usage], needed: list[str]) -> str:
    if wanted:
        if importlib.util.find_spec(wanted) is None:
            raise ValueError(f"--code-module {wanted!r} is not importable")
        return wanted
    readers = Counter(
        registry.get(a).module for use in uses.values() for a in use.artifacts if a in needed
    )
    if not readers:
        raise ValueError("no chapter reads an artifact; give --code-module")
    return min(readers, key=lambda m: (-readers[m], m))


def _pick_resource(wanted: str | None, needed: list[str]) -> str:
    descriptor = datapackage.read_descriptor()
    names = [r["name"] for r in descriptor.get("resources", [])]
    if wanted:
        if wanted not in names:
            raise ValueError(f"--data-resource {wanted!r} is not one of {names}")
        return wanted
    documented = [r["name"] for r in descriptor["resources"] if not r.get("synthetic")]
    readers = Counter(r for a in needed for r in registry.get(a).resources if r in documented)
    if not readers:
        raise ValueError("no artifact reads a documented resource; give --data-resource")
    return min(readers, key=lambda r: (-readers[r], r))


# --- the report ---------------------------------------------------------------------------


def _report(
    args: argparse.Namespace,
    chapters: list[str],
    scenarios: list[Scenario],
    floor: float,
    empty: float,
    baseline: float,
    needed: int,
) -> int:
    by_name = {s.name: s for s in scenarios}
    cold = by_name["cold"]
    executed = list(cold.chapters)
    chapter_rows = []
    for name in chapters:
        if name in executed or any(name in s.chapters for s in scenarios):
            chapter_rows.append([name, *(_seconds(s.chapters.get(name)) for s in scenarios)])
    chapter_rows.append(
        ["prepare-render (validate, lint, fingerprints, artifacts)"]
        + [_seconds(s.invalidate_seconds) for s in scenarios]
    )
    chapter_rows.append(
        ["freeze --record (after the render; not in total)"]
        + [_seconds(s.record_seconds) for s in scenarios]
    )
    chapter_rows.append(["total", *(_seconds(s.seconds) for s in scenarios)])
    chapter_columns = ["chapter", *(f"{s.name} s" for s in scenarios)]

    budget = floor + (empty + CHAPTER_BUDGET) * len(executed)
    cold_target = f"<= floor + {len(executed)} x (empty + {CHAPTER_BUDGET} s) = {budget:.1f}"
    prose = by_name["warm_prose"]
    overhead = prose.invalidate_seconds + prose.record_seconds
    targets = {
        "cold": (cold.seconds <= budget, cold_target),
        "warm_prose": (prose.seconds <= PROSE_TARGET, f"<= {PROSE_TARGET:.0f}"),
        "overhead": (overhead <= OVERHEAD_TARGET, f"<= {OVERHEAD_TARGET:.0f}"),
    }
    scenario_rows = []
    for s in scenarios:
        met, text = targets.get(s.name, (None, "-"))
        verdict = "-" if met is None else ("met" if met else "MISSED")
        scenario_rows.append(
            [
                s.name,
                s.edit,
                str(len(s.chapters)),
                f"{len(s.recomputed)}/{needed}",
                _seconds(s.seconds),
                f"{text} {verdict}".strip(" -") or "-",
            ]
        )
    met, text = targets["overhead"]
    scenario_rows.append(
        [
            "overhead",
            "warm_prose: prepare-render + freeze --record (the project's steps around Quarto)",
            "-",
            "-",
            _seconds(overhead),
            f"{text} {'met' if met else 'MISSED'}",
        ]
    )
    floor_edit = "one process: imports + every artifact once"
    scenario_rows.append(["floor", floor_edit, "-", f"{needed}/{needed}", _seconds(floor), "-"])
    per_chapter = (cold.seconds - floor) / max(1, len(executed))
    scenario_rows.append(
        [
            "empty",
            "a chapter with one empty cell (kernel start, Quarto setup cell, shutdown)",
            "1",
            "0",
            _seconds(empty),
            "-",
        ]
    )
    scenario_rows.append(
        [
            "baseline",
            "a chapter that only imports analysis.book",
            "1",
            "0",
            _seconds(baseline),
            f"cold adds {per_chapter:.2f} s per chapter to the floor",
        ]
    )
    scenario_columns = [
        "scenario",
        "edit",
        "chapters run",
        "artifacts computed",
        "seconds",
        "target",
    ]

    title = "Chapter execution (seconds; - = frozen result reused)"
    console.console.print(console.table(title, chapter_columns, chapter_rows))
    console.console.print(console.table("Scenarios", scenario_columns, scenario_rows))
    for s in scenarios[1:]:
        if s.recomputed:
            console.console.print(f"{s.name} recomputed: {', '.join(s.recomputed)}")
    warnings = _warnings()
    for warning in warnings:
        console.errors.print(f"warning: {warning}")
    line = (
        f"bench: chapters={len(executed)} cold={cold.seconds:.2f} "
        f"warm_prose={by_name['warm_prose'].seconds:.2f} "
        f"warm_code={by_name['warm_code'].seconds:.2f} "
        f"warm_data={by_name['warm_data'].seconds:.2f} floor={floor:.2f} empty={empty:.2f} "
        f"overhead={overhead:.2f}"
    )
    if not args.no_history:
        tables = [(chapter_columns, chapter_rows), (scenario_columns, scenario_rows)]
        _append_history(tables, warnings, line)
    met_all = all(met for met, _ in targets.values())
    where = "" if args.no_history else f"; table appended to benchmarks/{HISTORY}"
    console.summary("bench", met_all, ("targets met" if met_all else "a target was missed") + where)
    print(line)
    return EXIT_OK if met_all else EXIT_CHECK_FAILED  # the measured line is printed either way


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _warnings() -> list[str]:
    """Conditions that make timings unrepresentative."""
    out = []
    spec = importlib.util.find_spec("pandas")
    if spec and spec.origin and not Path(importlib.util.cache_from_source(spec.origin)).exists():
        out.append(
            "the environment has no compiled bytecode (installed without --compile-bytecode and "
            "PYTHONDONTWRITEBYTECODE set?): every import compiles from source, several times "
            "slower; `nox -s bench` installs with UV_COMPILE_BYTECODE=1"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if load > (os.cpu_count() or 1):
        out.append(f"the machine was busy (load average {load:.1f} on {os.cpu_count()} CPUs)")
    return out


def _markdown(columns: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


_HISTORY_INTRO = (
    "# Chapter execution benchmark history\n\n"
    "Appended by `nox -s bench` (`python -m benchmarks.bench`); newest last. Each run times the "
    "book's chapters executed as Quarto would, in a temporary copy of the project: see "
    "benchmarks/bench.py for the scenarios and targets.\n"
)


def _append_history(
    tables: list[tuple[list[str], list[list[str]]]], warnings: list[str], line: str
) -> None:
    """Append this run's tables to benchmarks/bench-history.md (atomically)."""
    file = paths.benchmarks / HISTORY
    existing = file.read_text(encoding="utf-8") if file.exists() else _HISTORY_INTRO
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{os.cpu_count()} CPUs · Python {platform.python_version()}"
    parts = [f"## {when} · {_commit()} · {machine}"]
    parts += [f"> warning: {w}" for w in warnings]
    parts += [_markdown(columns, rows) for columns, rows in tables]
    parts.append(f"`{line}`")
    atomic.write_text(file, existing.rstrip("\n") + "\n\n" + "\n\n".join(parts) + "\n")


def _commit() -> str:
    """The commit benchmarked, marked when the working tree has uncommitted changes."""

    def git(*argv: str) -> str:
        done = subprocess.run(
            ["git", *argv], cwd=paths.root, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    try:
        head, dirty = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain")
    except (OSError, subprocess.CalledProcessError):
        return "commit unknown"
    return f"commit {head}" + (" + uncommitted changes" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
