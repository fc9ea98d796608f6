"""``python -m benchmarks.bench_scale --posts N`` (``nox -s bench-scale``): posts at scale.

Generates N synthetic posts as a folder of Parquet parts in a temporary folder (never under
data/), then runs what a real crawl of that size would go through:

1. validate the Parquet resource against the codebook, streaming (analysis.data.parquet);
2. reduce the posts to the models' sufficient statistics out of core in DuckDB
   (analysis.topics.reduce);
3. fit every engagement outcome, responsiveness and audience model from those statistics.

It prints a table of the steps and one line ``scale: posts=N seconds=S peak_gb=G reduce=R
duckdb_floor=F``, where S is the wall time of everything above including the generation, G the
peak resident memory of this process and any children (Linux VmHWM, polled from /proc, and
ru_maxrss of children), R the reduction's seconds and F those of a bare DuckDB query that reads
the posts once and groups them into the model cells (``duckdb_floor``, not counted in S): what
DuckDB alone takes, so R / F says what the reduction adds (goal: at most 2).
``--book`` then executes the whole book on the posts (benchmarks/bench_book.py) and adds a
``scale-book:`` line.
``--check-memory-path`` also builds the cells with the in-memory path (pandas) on the same posts
and fails unless the reduced statistics and the estimates are equal: use it where the posts fit
in memory (1M).

The generator is the benchmark's own, simpler than analysis.data.simulate (which draws the
whole sample in memory): accounts, their latent heterogeneity and posting rates come from
``simulate.simulate`` at a scale of up to about 26,000 accounts (the number of police Weibo
accounts in 2016); posts are drawn chunk by chunk (numpy, seeded per chunk) with NB2 counts
whose log-linear means use the effects of data/simulation.toml (``simulate.true_effects``),
and written by pyarrow, so generating 100M posts holds one chunk in memory at a time.
"""

from __future__ import annotations

import os

# One BLAS thread: the fits multiply 100,000 x 16 matrices, which OpenBLAS threads slow down
# many times over on a busy 2-core machine (24 ms single-threaded vs 1.5 s with 2 threads under
# load). Set before numpy is imported; an explicit setting in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import resource
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from analysis import atomic, console
from analysis.errors import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    EXIT_USAGE,
)
from benchmarks.bench_models import PeakMemory

TARGETS = {10_000_000: (60.0, 6.0), 100_000_000: (600.0, 6.0)}  # posts: (seconds, peak GB)
BOOK_TARGETS = {10_000_000: (120.0, 4.0), 100_000_000: (600.0, 6.0)}  # the whole book (--book)
REDUCE_TARGET = 2.0  # the reduction at most this many times the bare DuckDB query
MEMORY_TARGET_GB = 6.0
MAX_SCALE = 30.0  # about 26,000 accounts
POSTS_PER_SCALE = 1_000_000 / 3.0
CHUNK = 2_000_000
SEED = 20261130


# --- generator ----------------------------------------------------------------------------


def generate_accounts(n_posts: int, seed: int = SEED) -> tuple[Any, Any, Any]:
    """(accounts, latent, provinces): synthetic accounts scaled to the number of posts."""
    from analysis.data import datasets, simulate

    provinces = datasets.load("provinces")
    scale = min(MAX_SCALE, max(1.0, n_posts / POSTS_PER_SCALE))
    sample = simulate.simulate(seed=seed, scale=scale, posts=1_000, provinces=provinces)
    return sample.accounts, sample.latent, provinces


def _account_rates(accounts: Any, latent: Any) -> dict[str, Any]:
    """Per account: posting share, log mean per outcome (before category), answer probability."""
    from analysis.data import simulate

    effects = simulate.true_effects()

    def log_effect(kind: str, factor: str) -> np.ndarray:
        values = accounts[factor].astype(str).to_numpy()
        return np.log([effects[f"{kind}:{factor}[{v}]"] for v in values])

    weibo = (accounts["platform"].astype(str) == "weibo").to_numpy()
    followers = accounts["followers"].to_numpy(dtype=float, na_value=np.nan)
    follow = np.where(
        weibo,
        effects["beta:log_followers"]
        * (
            np.log(np.maximum(np.nan_to_num(followers, nan=1.0), 1.0))
            - np.log(effects["centre:followers"])
        ),
        0.0,
    )
    base = (
        log_effect("irr", "region")
        + log_effect("irr", "level")
        + log_effect("irr", "account_type")
        + follow
        + np.log(latent["heterogeneity"].to_numpy())
    )
    platform = log_effect("irr", "platform")
    baseline = effects["baseline:answer"]
    logit = (
        np.log(baseline / (1 - baseline))
        + log_effect("or", "region")
        + log_effect("or", "level")
        + log_effect("or", "platform")
        + log_effect("or", "account_type")
    )
    share = latent["expected_posts"].to_numpy(dtype=float)
    return {
        "share": share / share.sum(),
        "weibo": weibo,
        "eta": {
            outcome: np.log(effects[f"intercept:{outcome}"])
            + base
            + (platform if outcome in ("comments", "likes") else 0.0)
            for outcome in ("comments", "likes", "reposts", "page_views")
        },
        "alpha": {
            o: effects[f"dispersion:{o}"] for o in ("comments", "likes", "reposts", "page_views")
        },
        "answer": 1.0 / (1.0 + np.exp(-logit)),
        "category": np.log([effects[f"irr:category[{c}]"] for c in simulate.CATEGORIES]),
    }


ID_DIGITS = 9  # SYN-P000000001 ..: up to 999,999,999 posts
MAX_POSTS = 10**ID_DIGITS - 1
PARQUET_BYTES_PER_POST = 16  # measured: about 19 bytes per post on disk (a lower bound here)


def post_ids(first: int, size: int) -> Any:
    """Post ids SYN-P<first>.. zero-padded to ID_DIGITS, built as one Arrow string buffer
    (ten times faster than formatting or Arrow's string kernels, which dominated generation)."""
    import pyarrow as pa

    if first + size - 1 >= 10**ID_DIGITS:
        raise ValueError(f"at most {10**ID_DIGITS - 1:,} posts")
    width = 5 + ID_DIGITS
    chars = np.empty((size, width), dtype=np.uint8)
    chars[:, :5] = np.frombuffer(b"SYN-P", dtype=np.uint8)
    numbers = np.arange(first, first + size, dtype=np.int64)
    for k in range(width - 1, 4, -1):
        chars[:, k] = 48 + numbers % 10
        numbers //= 10
    offsets = np.arange(0, width * (size + 1), width, dtype=np.int32)
    return pa.StringArray.from_buffers(size, pa.py_buffer(offsets), pa.py_buffer(chars))


def _chunk(
    start: int, size: int, rates: dict[str, Any], ids: Any, window: tuple[int, int], seed: int
) -> Any:
    """One chunk of posts (global numbers start+1 .. start+size) as a pyarrow table."""
    import pyarrow as pa

    from analysis.data import simulate

    rng = np.random.default_rng([seed, start])
    account = np.sort(rng.choice(len(rates["share"]), size=size, p=rates["share"]))
    weibo = rates["weibo"][account]
    draws = rng.random(size)
    weibo_cum = np.cumsum([0.55, 0.15, 0.10, 0.20])
    wechat_cum = np.cumsum([0.45, 0.25, 0.05, 0.25])
    category = np.where(
        weibo,
        np.searchsorted(weibo_cum, draws * weibo_cum[-1], "right"),
        np.searchsorted(wechat_cum, draws * wechat_cum[-1], "right"),
    )
    category = np.minimum(category, 3).astype(np.int8)
    columns: dict[str, Any] = {}
    for outcome, eta in rates["eta"].items():
        alpha = rates["alpha"][outcome]
        mu = np.exp(eta[account] + rates["category"][category])
        values = rng.poisson(mu * rng.gamma(1.0 / alpha, alpha, size))
        mask = None
        if outcome == "reposts":
            mask = ~weibo
        elif outcome == "page_views":
            mask = weibo
        columns[outcome] = pa.array(values, type=pa.int64(), mask=mask)
    answered = rng.binomial(columns["comments"].to_numpy(), rates["answer"][account])
    post_id = post_ids(start + 1, size)
    seconds = rng.integers(window[0], window[1], size)
    return pa.table(
        {
            "post_id": post_id,
            "account_id": pa.DictionaryArray.from_arrays(pa.array(account, pa.int32()), ids),
            "posted_at": pa.array(seconds.astype("datetime64[s]"), pa.timestamp("s")),
            "category": pa.DictionaryArray.from_arrays(
                pa.array(category), pa.array(simulate.CATEGORIES)
            ),
            "reposts": columns["reposts"],
            "page_views": columns["page_views"],
            "likes": columns["likes"],
            "comments": columns["comments"],
            "comments_answered": pa.array(answered, pa.int64()),
        }
    )


def write_posts(
    folder: Path,
    n_posts: int,
    accounts: Any,
    latent: Any,
    *,
    seed: int = SEED,
    chunk: int = CHUNK,
    workers: int = 2,
    progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """Write ``n_posts`` posts of ``accounts`` as Parquet parts in ``folder``; return the parts.

    Chunks are independent (each seeded by its first post's number), so ``workers`` processes
    draw and write them in parallel with the same result as one process.
    """
    import pyarrow as pa

    from analysis.data import simulate

    folder.mkdir(parents=True, exist_ok=True)
    rates = _account_rates(accounts, latent)
    ids = pa.array(accounts["account_id"].astype(str).to_numpy())
    start, end = simulate.window(simulate.load_parameters())
    window = (
        int(start.astype("datetime64[s]").astype(np.int64)),
        int((end + 1).astype("datetime64[s]").astype(np.int64)),
    )
    jobs = [
        (folder / f"part-{number:05d}.parquet", first, min(chunk, n_posts - first))
        for number, first in enumerate(range(0, n_posts, chunk))
    ]
    if workers <= 1 or len(jobs) < 4:  # starting workers costs more than a few chunks
        for part, first, size in jobs:
            _write_part(part, first, size, rates, ids, window, seed)
            if progress:
                progress(size)
        return [part for part, _, _ in jobs]
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        futures = [
            pool.submit(_write_part, part, first, size, rates, ids, window, seed)
            for part, first, size in jobs
        ]
        for future in futures:
            if progress:
                progress(future.result())
    return [part for part, _, _ in jobs]


def _write_part(
    part: Path, first: int, size: int, rates: dict, ids: Any, window: tuple, seed: int
) -> int:
    """Draw one chunk and write it as one Parquet part (run in a worker process)."""
    import pyarrow.parquet as pq

    table = _chunk(first, size, rates, ids, window, seed)
    pq.write_table(
        table,
        part,
        row_group_size=max(1, size // 2),
        compression="snappy",
        use_dictionary=["account_id", "category"],
    )
    return table.num_rows


# --- package, pipeline, report --------------------------------------------------------------


def _cpu_seconds() -> float:
    """User and system CPU seconds of this process and its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def write_package(
    folder: Path,
    n_posts: int,
    *,
    seed: int = SEED,
    progress: Callable[[int], None] | None = None,
    whole: bool = False,
) -> Path:
    """A data package in ``folder``: provinces, generated accounts (CSV), posts (Parquet).

    ``whole``: every resource of the project's package (``folder`` made by ``data init``), the
    accounts and posts replaced by generated ones declared as ``data add --synthetic`` declares
    files of one's own (no generator entry: they are not the bundled draw), for the whole book.
    """
    import json

    from analysis import paths
    from analysis.data import datapackage, sample_files

    accounts, latent, _ = generate_accounts(n_posts, seed)
    source = folder if whole else paths.data
    descriptor = datapackage.read_descriptor(source / "datapackage.json")
    by_name = {r["name"]: r for r in descriptor["resources"]}
    if whole:
        for name in ("accounts", "posts"):
            (folder / by_name[name]["path"]).unlink()
    else:
        provinces = by_name["provinces"]
        (folder / Path(provinces["path"]).parent).mkdir(parents=True, exist_ok=True)
        shutil.copy(paths.data / provinces["path"], folder / provinces["path"])
    (folder / "accounts.csv").write_bytes(sample_files.render(accounts))
    account_entry = datapackage.stamp(dict(by_name["accounts"], path="accounts.csv"), folder)
    write_posts(folder / "posts", n_posts, accounts, latent, seed=seed, progress=progress)
    posts_entry = dict(by_name["posts"], path="posts", format="parquet")
    posts_entry.pop("mediatype", None)
    posts_entry["hash"], posts_entry["bytes"] = datapackage.digest(folder / "posts")
    if whole:
        for entry in (account_entry, posts_entry):
            entry.pop("generator", None)
    replaced = {"accounts": account_entry, "posts": posts_entry}
    kept = descriptor["resources"] if whole else [by_name["provinces"]]
    package = {k: v for k, v in descriptor.items() if k != "resources"}
    package["resources"] = [r for r in kept if r["name"] not in replaced]
    package["resources"] += [account_entry, posts_entry]
    (folder / "datapackage.json").write_text(json.dumps(package, indent=2), encoding="utf-8")
    return folder


FLOOR_COLUMNS = ("comments", "likes", "reposts", "page_views", "comments_answered")


def duckdb_floor(package: Path, temp_dir: Path | None = None) -> float:
    """Seconds of a bare DuckDB query that reads the posts once and groups them into the model
    cells (a count and a sum per column): what DuckDB alone takes, to compare the reduction to."""
    from analysis.data import datapackage, parquet

    sums = ", ".join(f"sum({parquet.ident(c)})" for c in FLOOR_COLUMNS)
    files = datapackage.resource_files(package / "posts")
    con = parquet.connect(temp_dir)
    try:
        start = time.perf_counter()
        con.execute(
            f"SELECT account_id, category, count(*), {sums} "
            f"FROM {parquet.source_sql(files, located=False)} GROUP BY account_id, category"
        ).fetchall()
        return time.perf_counter() - start
    finally:
        con.close()


def fit_models(cells: Any) -> dict[str, Any]:
    """Every engagement outcome, responsiveness and audience model on ``cells``."""
    from analysis.topics import audience, engagement, responsiveness

    return {
        "engagement": engagement.fit_all(cells),
        "responsiveness": responsiveness.fit_responsiveness(cells),
        "audience": audience.fit_audience(cells),
    }


def estimates(results: dict[str, Any]) -> Any:
    """The ratio estimates and intervals of every model as one table (for comparisons)."""
    import pandas as pd

    tables = [
        fit["irr"].assign(model=f"engagement:{name}")
        for name, fit in results["engagement"].items()
        if "irr" in fit
    ]
    tables.append(results["responsiveness"]["odds_ratios"].assign(model="responsiveness"))
    tables.append(results["audience"]["ratios"].assign(model="audience"))
    columns = ["model", "term", "ratio", "ci_low", "ci_high"]
    return pd.concat([t[columns] for t in tables], ignore_index=True)


def compare_paths(package: Path, cells: Any, results: dict[str, Any]) -> dict[str, Any]:
    """The in-memory path on the same posts: are cells, histograms and estimates equal?"""
    import pandas as pd

    from analysis.data import datasets
    from analysis.topics import modelframe

    memory = modelframe.prepare(
        datasets.load("posts", base=package),
        datasets.load("accounts", base=package),
        datasets.load("provinces", base=package),
    )
    cells_equal = memory.frame.equals(cells.frame) and all(
        np.array_equal(memory.histograms[k][i], cells.histograms[k][i])
        for k in memory.histograms
        for i in (0, 1)
    )
    mine, theirs = estimates(results), estimates(fit_models(memory))
    difference = float(
        (mine[["ratio", "ci_low", "ci_high"]] - theirs[["ratio", "ci_low", "ci_high"]])
        .abs()
        .max()
        .max()
    )
    same_terms = mine[["model", "term"]].equals(theirs[["model", "term"]])
    pd.testing.assert_frame_equal(memory.accounts, cells.accounts)
    return {
        "cells_equal": cells_equal,
        "estimates_equal": same_terms and difference == 0.0,
        "max_difference": difference,
    }


def run_pipeline(
    n_posts: int, work: Path, check_memory_path: bool, book: bool = False
) -> dict[str, Any]:
    """Generate, validate, reduce and fit; time each step (and the floor query, untimed in the
    total). ``book``: the posts go into a whole data package, for ``bench_book``."""
    from analysis.data import datapackage, datasets, simulate
    from analysis.errors import DataValidationError
    from analysis.topics import modelframe, reduce
    from benchmarks import bench_book

    steps: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(name: str, step: Callable[..., Any], total: int | None = None) -> Any:
        start, used = time.perf_counter(), _cpu_seconds()
        with console.progress() as bar:
            task = bar.add_task(name, total=total)
            out = step(lambda done: bar.advance(task, done)) if total else step()
        steps[name] = time.perf_counter() - start
        cpu[name] = _cpu_seconds() - used
        return out

    def generate(advance: Callable[[int], None]) -> Path:
        if book:
            bench_book.data_init(work / "data")
        return write_package(work / "data", n_posts, progress=advance, whole=book)

    package = timed("generate posts to Parquet", generate, total=n_posts)
    atomic.checkpoint("bench-scale-generated")
    checked = timed("validate (streaming)", lambda: datasets.check("posts", base=package))
    if not checked.ok:
        raise DataValidationError(checked.problems)
    accounts = datasets.load("accounts", base=package)
    provinces = datasets.load("provinces", base=package)
    entry = datapackage.resource(datapackage.read_descriptor(package / "datapackage.json"), "posts")
    cells = timed(
        "reduce to cells (DuckDB)",
        lambda: modelframe.prepare_parquet(
            package / "posts",
            accounts,
            provinces,
            categories=list(simulate.CATEGORIES),
            temp_dir=work / "spill",
            nonnegative=reduce.nonnegative_fields(entry),  # validated just above
        ),
    )
    results = timed("fit every model", lambda: fit_models(cells))
    floor = duckdb_floor(package, temp_dir=work / "spill")
    out: dict[str, Any] = {
        "reduce": steps["reduce to cells (DuckDB)"],
        "duckdb_floor": floor,
        "posts": checked.rows,
        "accounts": len(cells.accounts),
        "cells": len(cells.frame),
        "steps": steps,
        "cpu": cpu,
        "seconds": sum(steps.values()),
        "west_irr": float(
            results["engagement"]["comments"]["irr"].set_index("term").loc["region[west]", "ratio"]
        ),
    }
    if check_memory_path:
        start = time.perf_counter()
        out["comparison"] = compare_paths(package, cells, results)
        out["comparison_s"] = time.perf_counter() - start
    return out


def size_problem(n_posts: int, folder: Path) -> str | None:
    """Why ``n_posts`` cannot be generated in ``folder`` (None: it can): post ids have
    ``ID_DIGITS`` digits, and the Parquet parts must fit in the folder's free space."""
    if not 0 < n_posts <= MAX_POSTS:
        return f"--posts must be in [1, {MAX_POSTS:,}] (post ids have {ID_DIGITS} digits)"
    while not folder.exists():
        folder = folder.parent
    need, free = n_posts * PARQUET_BYTES_PER_POST, shutil.disk_usage(folder).free
    if need > free:
        return (
            f"--posts {n_posts:,} needs at least {need / 1e9:,.1f} GB of Parquet in {folder}, "
            f"which has {free / 1e9:,.1f} GB free"
        )
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_scale", description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000_000, help="number of posts (10M)")
    parser.add_argument(
        "--check-memory-path",
        action="store_true",
        help="also build cells in memory (pandas) and require equal statistics and estimates",
    )
    parser.add_argument(
        "--book",
        action="store_true",
        help="also execute the whole book on the posts (benchmarks.bench_book)",
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated files here")
    argv = sys.argv[1:] if argv is None else argv
    # ``python3 tasks.py bench-scale -- --posts N`` hands nox's posargs over with the "--"
    args = parser.parse_args(argv[1:] if argv[:1] == ["--"] else argv)
    refused = size_problem(args.posts, args.keep or Path(tempfile.gettempdir()))
    if refused:
        print(f"bench-scale: {refused}", file=sys.stderr)
        return EXIT_USAGE
    previous = atomic.terminate_like_ctrl_c()
    work = Path(tempfile.mkdtemp(prefix="bench-scale-")) if args.keep is None else args.keep
    load_before = os.getloadavg()[0]
    try:
        with PeakMemory() as peak:
            result = run_pipeline(args.posts, work, args.check_memory_path, args.book)
        peak_gb = peak.gb
        if args.book:
            from benchmarks import bench_book

            book = bench_book.run_book(work / "data", work)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM as Terminated
        return atomic.stopped(exc)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    rows = [[name, f"{s:.1f}", f"{result['cpu'][name]:.1f}"] for name, s in result["steps"].items()]
    work_steps = [name for name in result["steps"] if not name.startswith("generate")]
    rows.append(
        [
            "validate + reduce + fit (what real data needs)",
            f"{sum(result['steps'][n] for n in work_steps):.1f}",
            f"{sum(result['cpu'][n] for n in work_steps):.1f}",
        ]
    )
    rows.append(
        [
            "total (the seconds below)",
            f"{result['seconds']:.1f}",
            f"{sum(result['cpu'].values()):.1f}",
        ]
    )
    console.console.print(
        console.table(
            f"Posts at scale: {result['posts']:,} posts, {result['accounts']:,} accounts, "
            f"{result['cells']:,} cells",
            ["step", "wall seconds", "CPU seconds"],
            rows,
        )
    )
    console.console.print(
        f"load average (1 min) before {load_before:.2f}, after {os.getloadavg()[0]:.2f} on "
        f"{os.cpu_count()} cores; peak memory {peak_gb:.2f} GB (target <= {MEMORY_TARGET_GB:g})"
    )
    ok = peak_gb <= MEMORY_TARGET_GB
    target = TARGETS.get(args.posts)
    if target:
        ok = ok and result["seconds"] <= target[0]
    if "comparison" in result:
        c = result["comparison"]
        console.console.print(
            f"in-memory path on the same posts ({result['comparison_s']:.1f} s, not timed "
            f"above): cells and frequency tables equal: {c['cells_equal']}; estimates equal: "
            f"{c['estimates_equal']} (max |difference| {c['max_difference']:.1e})"
        )
        ok = ok and c["cells_equal"] and c["estimates_equal"]
    console.console.print(
        f"reduction {result['reduce']:.1f} s = {result['reduce'] / result['duckdb_floor']:.2f} x "
        f"the bare DuckDB query ({result['duckdb_floor']:.1f} s; goal <= {REDUCE_TARGET:g} x)"
    )
    if args.book:
        bench_book.report(book, result["posts"])
        goal = BOOK_TARGETS.get(args.posts)
        ok = ok and not book["failures"]
        if goal:
            ok = ok and book["seconds"] <= goal[0] and book["peak_gb"] <= goal[1]
    print(
        f"scale: posts={result['posts']} seconds={result['seconds']:.1f} peak_gb={peak_gb:.2f} "
        f"reduce={result['reduce']:.1f} duckdb_floor={result['duckdb_floor']:.1f}"
    )
    return EXIT_OK if ok else EXIT_CHECK_FAILED


if __name__ == "__main__":
    sys.exit(main())
