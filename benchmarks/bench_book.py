"""``bench-scale --book``: the whole book executed on N generated posts in Parquet.

After ``bench_scale`` has generated the posts into a whole data package outside ``data/`` (made
by ``data init``, the user's route, with the accounts and posts replaced, ``write_package``),
this runs what a render runs on that folder, each step a process of its own with
``ANALYSIS_DATA_DIR`` (and a fresh cache and results folder) pointing at it:

1. ``python -m analysis validate``: the render's data checks;
2. every artifact the chapters read, one at a time, in one process, recording each one's
   seconds and peak resident memory (``artifact_peaks``; the kernel's VmHWM is reset before
   each through /proc/self/clear_refs, so a peak is that artifact's, dependencies computed
   before it held);
3. ``python -m analysis check-book``: every chapter in a fresh kernel, in book order, reading
   what step 2 cached, then the static checks.

``scale-book: posts=N seconds=S peak_gb=G`` gives the wall time of the three steps and the
largest resident memory of any of their processes, or of all live ones at once (polled).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from analysis import console

STEPS = (
    ("validate (the render's checks)", ["validate"]),
    ("compute every artifact the book reads", ["-m", "benchmarks.bench_book"]),
    ("execute every chapter (check-book)", ["check-book"]),
)
CHECKOUT = Path(__file__).resolve().parents[1]  # the folder holding benchmarks/ and analysis/


def data_init(folder: Path) -> None:
    """``python -m analysis data init folder``: a copy of the project's data package."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    _python(["-m", "analysis", "data", "init", str(folder)], dict(os.environ), folder.parent)


def _python(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int, str]:
    """Run ``python args``; (seconds, peak GB of it and its waited descendants, exit, output)."""
    log = cwd / "step.log"
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [sys.executable, *args], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    output = log.read_text(encoding="utf-8", errors="replace")
    if process.returncode and args[:3] == ["-m", "analysis", "data"]:
        raise RuntimeError(f"{' '.join(args)} failed:\n{output[-2000:]}")
    return seconds, usage.ru_maxrss / 1024**2, process.returncode, output


def run_book(package: Path, work: Path, peaks_file: Path | None = None) -> dict[str, Any]:
    """The render's checks, every artifact and every chapter on ``package``; see the module."""
    from benchmarks.bench_models import PeakMemory

    env = dict(
        os.environ,
        ANALYSIS_DATA_DIR=str(package),
        ANALYSIS_CACHE_DIR=str(work / "book-cache"),
        ANALYSIS_RESULTS_DIR=str(work / "book-results"),
        # step 2 runs this module from ``work``: the checkout must be importable from there
        PYTHONPATH=os.pathsep.join(filter(None, (str(CHECKOUT), os.environ.get("PYTHONPATH")))),
    )
    peaks_file = peaks_file or work / "artifact-peaks.json"
    steps: dict[str, float] = {}
    peak_gb, failures = 0.0, []
    with PeakMemory() as polled:
        for name, args in STEPS:
            argv = ["-m", "analysis", *args] if args[0] != "-m" else [*args, str(peaks_file)]
            seconds, step_gb, code, output = _python(argv, env, work)
            steps[name] = seconds
            peak_gb = max(peak_gb, step_gb)
            if code:
                failures.append(f"{name}: exit {code}\n{output[-3000:]}")
    peak_gb = max(peak_gb, polled.children_peak_kb / 1024**2)
    artifacts = json.loads(peaks_file.read_text()) if peaks_file.exists() else []
    return {
        "steps": steps,
        "seconds": sum(steps.values()),
        "peak_gb": peak_gb,
        "failures": failures,
        "artifacts": artifacts,
    }


def report(result: dict[str, Any], posts: int) -> None:
    """The steps, the artifacts that read posts with their peaks, and the ``scale-book:`` line."""
    from analysis.pipeline.store import registry

    rows = [[name, f"{s:.1f}"] for name, s in result["steps"].items()]
    console.console.print(console.table("The whole book", ["step", "wall seconds"], rows))
    reading = [a for a in result["artifacts"] if "posts" in registry.resources_read(a["artifact"])]
    rows = [
        [a["artifact"], f"{a['seconds']:.2f}", f"{a['peak_mb']:,.0f}", a["status"]]
        for a in sorted(reading, key=lambda a: -a["peak_mb"])
    ]
    console.console.print(
        console.table(
            "Artifacts that read posts (peak resident memory of the computing process)",
            ["artifact", "seconds", "peak MB", "status"],
            rows,
        )
    )
    for failure in result["failures"]:
        console.errors.print(failure, markup=False)
    print(
        f"scale-book: posts={posts} seconds={result['seconds']:.1f} peak_gb={result['peak_gb']:.2f}"
    )


def artifact_peaks(out: Path, reading: str | None = None) -> list[dict[str, Any]]:
    """Compute every artifact the chapters read (only those that read the resource ``reading``,
    if given), dependencies first, one at a time; write each one's seconds, peak resident MB and
    status to ``out`` (JSON)."""
    from analysis.pipeline import freeze, qmd, store
    from analysis.pipeline.store import registry
    from benchmarks import bench_models

    uses = [freeze.usage(qmd.parse(p)) for p in qmd.book_chapters() if p.suffix == ".qmd"]
    rows = []
    for name in freeze.needed_artifacts(uses):
        if reading and reading not in registry.resources_read(name):
            continue

        def compute(name: str = name) -> str:
            try:
                store.get(name)
            except Exception as exc:  # reported per artifact; check-book then names it
                return f"{type(exc).__name__}: {str(exc)[:80]}"
            return "ok"

        status, seconds, peak_mb = bench_models.measure(compute)
        rows.append({"artifact": name, "seconds": seconds, "peak_mb": peak_mb, "status": status})
    out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return rows


if __name__ == "__main__":
    artifact_peaks(Path(sys.argv[1]))
