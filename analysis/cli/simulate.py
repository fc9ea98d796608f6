"""``python -m analysis simulate``: regenerate, check or vary the synthetic engagement sample.

Without options it regenerates ``data/synthetic/`` from ``data/simulation.toml`` and records
the files in ``data/datapackage.json``, all files swapped in together at the end (an
interrupted run leaves the previous sample intact). A run estimated to need more memory than
``--max-memory`` (8 GB) is refused before anything is drawn. When the data folder holds an
observed sample (``synthetic: false``, brought in with ``python -m analysis data add``),
``--check`` is skipped with a line saying so and regenerating in place is refused: it would
overwrite observed data with simulated data. ``--check`` regenerates in memory and compares bytes
with the committed files (exit 1 naming the first differing resource and line). ``--seed``,
``--scale`` or ``--accounts``/``--posts`` make an alternative sample, written with a copy of
the descriptor to ``--out DIR``; the committed files are never touched by those.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from analysis import console, paths
from analysis.cli import folders
from analysis.data import datapackage, parameters, sample_files, simulate
from analysis.errors import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE

PROGRESS_ABOVE_SCALE = 10.0  # samples over ten times the committed size take seconds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate in memory and compare with the committed files (exit 1 on a difference)",
    )
    parser.add_argument("--seed", type=int, help="random seed (default: the parameter file's)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--scale", type=float, help="multiply every stratum's sample size by X")
    size.add_argument("--accounts", type=int, help="about N accounts (sizes scaled to match)")
    parser.add_argument("--posts", type=int, help="about N posts (posting rates scaled to match)")
    parser.add_argument(
        "--out", type=Path, help="write an alternative sample and a descriptor copy to DIR"
    )
    parser.add_argument(
        "--max-memory",
        type=float,
        default=simulate.MEMORY_LIMIT_BYTES / 1e9,
        metavar="GB",
        help="refuse a run estimated to need more memory than this (default 8)",
    )
    parser.add_argument(
        "--parameters",
        type=Path,
        default=paths.simulation_parameters,
        help="parameter file (default data/simulation.toml)",
    )


def _usage(message: str) -> int:
    console.errors.print(f"simulate: usage error: {message}", soft_wrap=True, markup=False)
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    varied = any(v is not None for v in (args.seed, args.scale, args.accounts, args.posts))
    custom_parameters = args.parameters.resolve() != paths.simulation_parameters.resolve()
    if args.check and (varied or args.out is not None or custom_parameters):
        return _usage("--check compares the committed sample; it takes no other option")
    if (varied or custom_parameters) and args.out is None:
        return _usage(
            "an alternative sample (--seed, --scale, --accounts, --posts, --parameters) "
            "needs --out DIR; the committed sample comes from data/simulation.toml alone"
        )
    if args.out is not None and args.out.expanduser().resolve() == paths.data.resolve():
        return _usage("--out must not be the data folder; run without options to regenerate it")
    if args.out is not None:
        args.out = folders.output_folder(args.out, "--out")
    seed_ok, seed_expected = parameters.SEED
    if args.seed is not None and not seed_ok(args.seed):
        return _usage(f"--seed must be {seed_expected}, found {args.seed}")
    for name in ("scale", "accounts", "posts", "max_memory"):
        value = getattr(args, name)
        if value is not None and not (value > 0 and value != float("inf")):
            return _usage(f"--{name.replace('_', '-')} must be a positive number, found {value}")
    observed, brought = _not_generated()
    if (observed or brought) and args.check:
        why = []
        if observed:
            why.append(f"{', '.join(observed)} are observed data (synthetic: false)")
        if brought:
            why.append(f"{', '.join(brought)} were brought in, not generated")
        console.console.print(
            f"simulate --check: skipped: in {paths.datapackage}, {'; '.join(why)}; no "
            "generator entry, so there is no simulated sample to regenerate",
            soft_wrap=True,
            markup=False,
        )
        return EXIT_OK
    if (observed or brought) and args.out is None:
        kind = "observed data" if observed else "data brought in with `data add`"
        return _usage(
            f"{', '.join(observed + brought)} in {paths.data} are {kind}; regenerating would "
            "overwrite them with simulated data. Write a simulated sample elsewhere with --out DIR"
        )

    began = time.perf_counter()
    scale = 1.0 if args.scale is None else args.scale
    relative_size = max(scale, (args.accounts or 0) / 870, (args.posts or 0) / 85_000)
    built = _build(args, scale, show_bar=relative_size > PROGRESS_ABOVE_SCALE)
    elapsed = time.perf_counter() - began

    if args.check:
        differences = sample_files.compare(built)
        rows = []
        for name in sample_files.RESOURCES:
            bad = [d for d in differences if d.resource == name]
            rows.append((name, sample_files.FILES[name], "DIFFERS" if bad else "identical"))
        console.console.print(
            console.table(
                "Synthetic sample vs. its regeneration", ["resource", "file", "bytes"], rows
            )
        )
        if differences:
            first = differences[0]
            console.errors.print(f"first difference: {first}")
            console.summary(
                "simulate --check",
                False,
                f"resource '{first.resource}' differs from its regeneration"
                + (f" at line {first.line}" if first.line else "")
                + "; if these are data of your own, record them with `python -m analysis data "
                "add FILES --observed ...` (or --synthetic); if you changed the generator or "
                "its parameters on purpose, regenerate with `python -m analysis simulate`",
            )
            return EXIT_CHECK_FAILED
        console.summary(
            "simulate --check",
            True,
            f"{built.accounts:,} accounts and {built.posts:,} posts regenerate byte for byte "
            f"(seed {built.seed}, generator {simulate.GENERATOR_VERSION}) in {elapsed:.1f} s",
        )
        return EXIT_OK

    target = args.out or paths.data
    sample_files.write(built, target)
    rows = [
        (entry["name"], str(target / entry["path"]), f"{entry['bytes']:,}", entry["hash"][:19])
        for entry in built.entries
    ]
    rows[0] = (*rows[0][:2], f"{built.accounts:,} rows, {rows[0][2]} bytes", rows[0][3])
    rows[1] = (*rows[1][:2], f"{built.posts:,} rows, {rows[1][2]} bytes", rows[1][3])
    console.console.print(
        console.table("Synthetic sample written", ["resource", "file", "size", "sha256"], rows)
    )
    elapsed = time.perf_counter() - began
    console.summary(
        "simulate",
        True,
        f"wrote {built.accounts:,} SYNTHETIC accounts and {built.posts:,} posts "
        f"(seed {built.seed}, scale {built.scale:g}) to {target} in {elapsed:.1f} s",
    )
    return EXIT_OK


def _not_generated() -> tuple[list[str], list[str]]:
    """Sample resources not drawn by the generator: (observed ones, synthetic ones brought in)."""
    descriptor = datapackage.read_descriptor()
    entries = [
        e for e in descriptor.get("resources", []) if e.get("name") in sample_files.RESOURCES
    ]
    observed = [e["name"] for e in entries if e.get("synthetic") is False]
    brought = [e["name"] for e in entries if e.get("synthetic") is True and "generator" not in e]
    return observed, brought


def _build(args: argparse.Namespace, scale: float, show_bar: bool) -> sample_files.Built:
    """Generate and render, with a progress bar for large samples."""
    kwargs = dict(
        seed=args.seed,
        scale=scale,
        accounts=args.accounts,
        posts=args.posts,
        parameters_path=args.parameters,
        memory_limit=int(args.max_memory * 1e9),
    )
    if not show_bar:
        return sample_files.build(**kwargs)
    with console.progress() as bar:
        drawing = bar.add_task("drawing accounts and posts", total=None)
        tasks: dict[str, int] = {}

        def step(name: str, rows: int, total: int) -> None:
            if drawing in bar.task_ids:
                bar.remove_task(drawing)
            if name not in tasks:
                tasks[name] = bar.add_task(f"formatting {name}", total=total)
            bar.advance(tasks[name], rows)

        return sample_files.build(progress=step, **kwargs)
