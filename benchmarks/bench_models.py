"""``python -m benchmarks.bench_models`` (``nox -s bench-models``): models, time and memory.

Measures, on this machine:

1. every model on the bundled synthetic sample (load, cells, four engagement outcomes,
   responsiveness, audience, robustness); target: the models in under 10 s;
2. the post-level engagement model (comments: NB2 with account-clustered errors, the Poisson
   comparison, the regional tests and predictions) on 1M and 10M generated posts, each size in
   its own process; targets at 10M: under 60 s and under 4 GB.

Why cells: the NB2 model is fitted exactly, from account x category cells plus a frequency
table of the outcome (analysis.topics.inference), not by summing posts into cells and fitting NB2 to
the sums. Summing with a log(posts) offset is exact for Poisson only; for NB2 it changes the
model (a sum of n NB2 counts is not NB2 with the same alpha), and the bench prints how far such
a fit lands from the post-level estimates on the bundled sample. The exact route keeps the
post-level estimates and clustered standard errors while the cost after one pass over the posts
depends on the number of cells, not of posts.

Memory is the peak resident set size of the process during the model step (Linux VmHWM reset
before the step), so it includes the posts already in memory; the generator's own peak is shown
separately. The last line is the one-line summary.
"""

from __future__ import annotations

import os

# One BLAS thread (set before numpy loads; an explicit setting wins): the models multiply tall,
# thin matrices, which OpenBLAS threads slow down many times over on a busy 2-core machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import gc
import json
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analysis import console
from analysis.errors import EXIT_CHECK_FAILED, EXIT_OK

BUNDLED_TARGET_S = 10.0
LARGE_TARGET_S = 60.0
LARGE_TARGET_MB = 4096.0
LARGE_SIZES = (1_000_000, 10_000_000)
POSTS_PER_ACCOUNT_SCALE = 1_000_000 / 3.0  # 1M posts: scale 3 (~2,600 accounts); 10M: ~26,000


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark for this process (Linux); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_mb() -> float:
    """Peak RSS in MB since the last reset (VmHWM), or since start where it cannot be reset."""
    return (status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def measure(step: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``step``; return its result, wall seconds and peak RSS (MB) during it."""
    gc.collect()
    _reset_peak()
    start = time.perf_counter()
    result = step()
    return result, time.perf_counter() - start, _peak_mb()


class PeakMemory:
    """Peak resident memory of this process and its children, polled from /proc.

    VmHWM of this process is the kernel's own high-water mark; children (none today, but
    DuckDB or a worker could spawn some) are covered by ru_maxrss of waited-for children and by
    polling the VmRSS of live ones.
    """

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.children_peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.wait(self.interval):
            self.children_peak_kb = max(self.children_peak_kb, children_rss_kb())

    @property
    def gb(self) -> float:
        own = status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        waited = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        return (own + max(self.children_peak_kb, waited)) / 1024**2


def status_kb(key: str, pid: str = "self") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_rss_kb() -> int:
    """Summed VmRSS of this process's live descendants (Linux; 0 elsewhere)."""
    total, todo = 0, [str(os.getpid())]
    while todo:
        pid = todo.pop()
        try:
            kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        for kid in kids:
            total += status_kb("VmRSS", kid)
            todo.append(kid)
    return total


# --- bundled sample -------------------------------------------------------------------------


def bench_bundled() -> list[dict[str, Any]]:
    """Time every model on the bundled sample, step by step."""
    from analysis.data import datasets
    from analysis.topics import audience, engagement, modelframe, responsiveness, robustness

    rows = []

    def import_libraries():
        import statsmodels.api  # noqa: F401  (the first model would otherwise pay for it)

    _, seconds, peak = measure(import_libraries)
    rows.append(_row("bundled", "import statsmodels (once per process)", 0, seconds, peak))

    def load():
        return [datasets.load(n) for n in ("posts", "accounts", "provinces")]

    (posts, accounts, provinces), seconds, peak = measure(load)
    rows.append(_row("bundled", "load and validate the data files", len(posts), seconds, peak))
    cells, seconds, peak = measure(lambda: modelframe.prepare(posts, accounts, provinces))
    rows.append(_row("bundled", "cells (account x category)", len(posts), seconds, peak))
    steps: list[tuple[str, Callable[[], Any]]] = [
        (f"engagement: {o}", lambda o=o: engagement.fit_outcome(cells, o))
        for o in engagement.OUTCOMES
    ]
    steps += [
        ("responsiveness", lambda: responsiveness.fit_responsiveness(cells)),
        ("audience", lambda: audience.fit_audience(cells)),
        ("robustness (province)", lambda: robustness.robustness(cells)),
    ]
    for name, step in steps:
        _, seconds, peak = measure(step)
        rows.append(_row("bundled", name, len(posts), seconds, peak))
    return rows


def exactness_check() -> dict[str, float]:
    """Exact cell fit vs statsmodels on every post, and vs NB2 fitted to summed cells."""
    import numpy as np
    import statsmodels.api as sm

    from analysis.data import datasets
    from analysis.topics import engagement, modelframe

    posts = datasets.load("posts")
    cells = modelframe.prepare(posts, datasets.load("accounts"), datasets.load("provinces"))
    data = engagement.count_data(cells, "comments")
    start = time.perf_counter()
    exact = engagement.fit(data)
    exact_s = time.perf_counter() - start
    every = modelframe.post_frame(posts, cells)
    start = time.perf_counter()
    post_level = sm.GLM(
        every["comments"].to_numpy(),
        data.design.matrix(every),
        family=sm.families.NegativeBinomial(alpha=exact.alpha),
    ).fit(cov_type="cluster", cov_kwds={"groups": every["account"].to_numpy()})
    post_s = time.perf_counter() - start
    summed = sm.NegativeBinomial(data.total, data.x, exposure=data.n).fit(
        method="bfgs", maxiter=1000, disp=0
    )
    return {
        "exact_s": exact_s,
        "post_level_s": post_s,
        "max_abs_diff_post_level": float(np.max(np.abs(exact.params - post_level.params))),
        "max_rel_diff_se": float(np.max(np.abs(exact.se / post_level.bse - 1))),
        "max_abs_diff_summed_nb": float(np.max(np.abs(exact.params - summed.params[:-1]))),
    }


# --- large samples (one process per size) ---------------------------------------------------


def bench_large(n_posts: int) -> dict[str, Any]:
    """Generate ``n_posts`` posts, then time cells and the comments model (run in a worker)."""
    from analysis.data import datasets, simulate
    from analysis.topics import engagement, modelframe

    provinces = datasets.load("provinces")
    scale = max(1.0, n_posts / POSTS_PER_ACCOUNT_SCALE)
    (accounts, posts), gen_s, gen_peak = measure(
        lambda: simulate.generate(scale=scale, posts=n_posts, provinces=provinces)
    )
    cells, cells_s, cells_peak = measure(lambda: modelframe.prepare(posts, accounts, provinces))
    data = engagement.count_data(cells, "comments")
    model, nb_s, nb_peak = measure(lambda: engagement.fit(data))
    full, full_s, full_peak = measure(lambda: engagement.fit_outcome(cells, "comments"))
    return {
        "posts": len(posts),
        "accounts": len(accounts),
        "cells": len(data.frame),
        "generate_s": gen_s,
        "generate_peak_mb": gen_peak,
        "cells_s": cells_s,
        "cells_peak_mb": cells_peak,
        "nb_s": nb_s,
        "nb_peak_mb": nb_peak,
        "full_s": full_s,
        "full_peak_mb": full_peak,
        "alpha": model.alpha,
        "west_irr": float(full["irr"].set_index("term").loc["region[west]", "ratio"]),
    }


def _run_worker(n_posts: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.bench_models", "--worker", str(n_posts)]
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark worker for {n_posts:,} posts failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- report ---------------------------------------------------------------------------------


def _row(sample: str, step: str, posts: int, seconds: float, peak: float) -> dict[str, Any]:
    return {"sample": sample, "step": step, "posts": posts, "seconds": seconds, "peak_mb": peak}


def _large_rows(label: str, r: dict[str, Any]) -> list[list[str]]:
    """Table rows of one large-sample run."""
    steps = [
        (f"generate ({r['accounts']:,} accounts; not part of the model)", "generate"),
        (f"cells: one pass over the posts ({r['cells']:,} cells)", "cells"),
        ("NB2 fit, clustered by account", "nb"),
        ("NB2 + Poisson + regional tests + predictions", "full"),
    ]
    rows = [
        [label, text, f"{r['posts']:,}", f"{r[f'{key}_s']:.2f}", f"{r[f'{key}_peak_mb']:,.0f}"]
        for text, key in steps
    ]
    seconds, peak = r["cells_s"] + r["full_s"], max(r["cells_peak_mb"], r["full_peak_mb"])
    rows.append(
        [
            label,
            "post-level engagement model (cells + full model)",
            f"{r['posts']:,}",
            f"{seconds:.2f}",
            f"{peak:,.0f}",
        ]
    )
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        default=list(LARGE_SIZES),
        help="numbers of generated posts for the large-sample runs (default: 1M and 10M)",
    )
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    if args.worker is not None:
        print(json.dumps(bench_large(args.worker)))
        return EXIT_OK
    with console.progress() as bar:
        task = bar.add_task("bundled sample", total=2 + len(args.sizes))
        bundled = bench_bundled()
        bar.advance(task)
        bar.update(task, description="exactness check")
        exact = exactness_check()
        bar.advance(task)
        large = {}
        for size in args.sizes:
            bar.update(task, description=f"{size:,} posts (own process)")
            large[size] = _run_worker(size)
            bar.advance(task)

    rows = [
        [r["sample"], r["step"], f"{r['posts']:,}", f"{r['seconds']:.2f}", f"{r['peak_mb']:,.0f}"]
        for r in bundled
    ]
    models_s = sum(r["seconds"] for r in bundled[2:])  # after the import and the file loading
    total_s = sum(r["seconds"] for r in bundled)
    rows.append(["bundled", "all models (cells + every model)", "", f"{models_s:.2f}", ""])
    rows.append(["bundled", "everything incl. import and loading", "", f"{total_s:.2f}", ""])
    for size, r in large.items():
        rows += _large_rows(f"{size / 1e6:g}M", r)
    console.console.print(
        console.table(
            "Model benchmark (synthetic samples)",
            ["sample", "step", "posts", "seconds", "peak RSS MB"],
            rows,
        )
    )
    console.console.print(
        f"Exactness on the bundled sample (comments): cells vs statsmodels on every post: max "
        f"|diff| of coefficients {exact['max_abs_diff_post_level']:.1e}, of clustered SEs "
        f"{exact['max_rel_diff_se']:.1e} (relative); {exact['exact_s']:.2f} s vs "
        f"{exact['post_level_s']:.2f} s. NB2 fitted to summed cells with a log(posts) offset "
        f"would move coefficients by up to {exact['max_abs_diff_summed_nb']:.3f} on the log "
        "scale: it is a different model, so the exact sufficient-statistic fit is used."
    )
    ok = total_s < BUNDLED_TARGET_S
    parts = [
        f"bundled models {models_s:.1f} s, {total_s:.1f} s with import and loading "
        f"(target <{BUNDLED_TARGET_S:g} s)"
    ]
    for size, r in large.items():
        seconds = r["cells_s"] + r["full_s"]
        peak = max(r["cells_peak_mb"], r["full_peak_mb"])
        parts.append(f"{size / 1e6:g}M posts {seconds:.1f} s / {peak / 1024:.2f} GB")
        if size >= 10_000_000:
            ok = ok and seconds < LARGE_TARGET_S and peak < LARGE_TARGET_MB
    parts.append(f"(targets at 10M: <{LARGE_TARGET_S:g} s, <{LARGE_TARGET_MB / 1024:g} GB)")
    console.summary("bench-models", ok, "; ".join(parts))
    return EXIT_OK if ok else EXIT_CHECK_FAILED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_models", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
