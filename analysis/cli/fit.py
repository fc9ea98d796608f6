"""``python -m analysis fit``: fit every model on the bundled data and print readable tables.

Prints the engagement incidence-rate ratios (comments in detail, every outcome side by side),
fit statistics with the over-dispersion evidence and the regional tests, predicted comments
per post, the responsiveness model and answer rates, the audience models and the robustness
checks, then a one-line summary. The models are refitted from the data every time (the book
reads the same results through the artifact cache).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import console
from analysis.errors import EXIT_OK

SYNTHETIC_BANNER = (
    "Synthetic sample: every number below comes from the simulated engagement sample "
    "(data/simulation.toml), not from observations of real police accounts."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="data folder holding datapackage.json (default: the project's data/)",
    )


def _print_frame(title: str, frame: pd.DataFrame) -> None:
    """Print a DataFrame as a console table, numbers rounded for reading; then its note."""
    rows = []
    for record in frame.itertuples(index=False):
        rows.append([_cell(v) for v in record])
    console.console.print(console.table(title, list(map(str, frame.columns)), rows))
    note = frame.attrs.get("note")
    if note:
        console.console.print(f"[dim]{note}[/dim]\n")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def fit_everything(data: Path | None = None) -> dict[str, Any]:
    """Reduce the package's posts to cells (analysis.topics.reduce) and fit every model, with a
    progress bar."""
    from analysis.topics import audience, engagement, modelframe, responsiveness, robustness

    results: dict[str, Any] = {}
    steps = ["load and prepare data", *engagement.OUTCOMES]
    steps += ["responsiveness", "audience", "robustness"]
    timings: dict[str, float] = {}
    with console.progress() as bar:
        task = bar.add_task("fitting models", total=len(steps))
        for step in steps:
            bar.update(task, description=f"fitting: {step}")
            start = time.perf_counter()
            if step == "load and prepare data":
                cells = modelframe.package_cells(data)
            elif step in engagement.OUTCOMES:
                results.setdefault("engagement", {})[step] = engagement.fit_outcome(cells, step)
            elif step == "responsiveness":
                results[step] = responsiveness.fit_responsiveness(cells)
            elif step == "audience":
                results[step] = audience.fit_audience(cells)
            else:
                results[step] = robustness.robustness(cells)
            timings[step] = time.perf_counter() - start
            bar.advance(task)
    results["timings"] = timings
    results["cells"] = cells
    return results


def run(args: argparse.Namespace) -> int:
    from analysis.topics import model_results as mr
    from analysis.topics import wording

    results = fit_everything(args.data)
    fits, answers = results["engagement"], results["responsiveness"]
    console.console.print(f"[bold]{SYNTHETIC_BANNER}[/bold]\n")
    _print_frame("Comments per post: incidence-rate ratios", mr.engagement_irr_table(fits))
    _print_frame(
        "Every engagement outcome: IRR (95% interval)", mr.engagement_all_outcomes_table(fits)
    )
    _print_frame(
        "Fit, over-dispersion and the test of no regional difference",
        mr.engagement_fit_table(fits),
    )
    tables = [
        (
            "Expected comments per post by region and account type",
            mr.engagement_predictions_table(fits),
        ),
        ("Responsiveness: odds ratios of answering a comment", mr.responsiveness_table(answers)),
        ("Answer rate by region", mr.answer_rates_table(answers)),
        (
            "Audience: followers (Weibo) and page views per post (WeChat)",
            mr.audience_table(results["audience"]),
        ),
    ]
    for title, frame in tables:
        _print_frame(title, frame)
    _print_frame("Robustness of the regional results", mr.robustness_table(results["robustness"]))

    comments = fits["comments"]["regional_test"]
    answered = answers["regional_test"]
    cells = results["cells"]
    elapsed = sum(results["timings"].values())
    console.summary(
        "fit",
        True,
        f"{len(fits)} engagement models, responsiveness, audience and robustness on "
        f"{cells.n_posts:,} posts of {len(cells.accounts):,} accounts in {elapsed:.1f} s; "
        f"no regional difference: comments Wald chi2({comments['wald_df']}) = "
        f"{comments['wald_chi2']:.1f}, {wording.p_clause(comments['wald_p'])}; answer rates "
        f"chi2({answered['wald_df']}) = {answered['wald_chi2']:.1f}, "
        f"{wording.p_clause(answered['wald_p'])} (synthetic sample)",
    )
    return EXIT_OK
