"""Collection design: how many accounts the regional comparison of engagement needs.

The question is the one the synthetic sample cannot answer: if someone collected real posts from
police accounts, how large a sample would detect regional differences of the size the
generator assumes? The answer is computed by simulation with the project's own generator
(``analysis.data.simulate``, parameters from ``data/simulation.toml``) and the project's own
model (``analysis.topics.engagement``: NB2 comments model with account-clustered intervals):
for each sample size, ``REPLICATES`` samples are drawn with different seeds and fitted, and the
power is the share of replicates in which

- the regional Wald test rejects "no regional difference" at ``ALPHA`` (``power_wald``), and
- the verdict rule of claim S000-F4 finds a *clear* difference: the 95% interval of the highest
  over the lowest region's expected comments lies wholly above ``CLEAR_RATIO`` (``power_clear``).

The Monte Carlo standard error of each power is sqrt(p (1 - p) / replicates). Sizes and
replicates are kept small so the whole run stays near a minute on two cores; the result is
cached as an artifact, so chapters never recompute it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

SIZES = (250, 500, 1000)  # approximate number of accounts drawn (scale of every stratum)
REPLICATES = 16
ALPHA = 0.05
TARGET_POWER = 0.8
CLEAR_RATIO = 1.25  # the threshold of claim S000-F4's rule ("differs clearly")
OUTCOME = "comments"
SEED_BASE = 7_000_000  # replicate r at size n uses seed SEED_BASE + 1000 * size index + r


def _replicate(params: dict[str, Any], provinces: pd.DataFrame, size: int, seed: int) -> dict:
    from analysis.data import simulate
    from analysis.topics import engagement, modelframe

    accounts, posts = simulate.generate(params, seed=seed, accounts=size, provinces=provinces)
    cells = modelframe.prepare(posts, accounts, provinces)
    data = engagement.count_data(cells, OUTCOME)
    model = engagement.fit(data)
    test = engagement.regional_test(data, model)
    spread = engagement.region_range(data, model)
    return {
        "accounts": len(accounts),
        "posts": len(posts),
        "reject": bool(test["wald_p"] < ALPHA),
        "clear": bool(spread["ci_low"] > CLEAR_RATIO),
    }


def mcse(power: float, replicates: int) -> float:
    """Monte Carlo standard error of a simulated power (a binomial proportion)."""
    return math.sqrt(power * (1 - power) / replicates)


def power_curve(
    sizes: tuple[int, ...] = SIZES,
    replicates: int = REPLICATES,
    params: dict[str, Any] | None = None,
    provinces: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Power of the regional comparison at each sample size, one row per size."""
    from analysis.data import datasets, simulate

    params = params if params is not None else simulate.load_parameters()
    provinces = provinces if provinces is not None else datasets.load("provinces")
    rows = []
    for i, size in enumerate(sizes):
        runs = [
            _replicate(params, provinces, size, SEED_BASE + 1000 * i + r) for r in range(replicates)
        ]
        wald = float(np.mean([r["reject"] for r in runs]))
        clear = float(np.mean([r["clear"] for r in runs]))
        rows.append(
            {
                "size": size,
                "accounts": float(np.mean([r["accounts"] for r in runs])),
                "posts": float(np.mean([r["posts"] for r in runs])),
                "power_wald": wald,
                "mcse_wald": mcse(wald, replicates),
                "power_clear": clear,
                "mcse_clear": mcse(clear, replicates),
            }
        )
    return pd.DataFrame(rows)


def power_values() -> dict[str, Any]:
    """The power study as named values for the conclusion (artifact ``design.power``)."""
    from analysis.data import simulate

    params = simulate.load_parameters()
    region = {k: float(v) for k, v in params["engagement"]["region"]["value"].items()}
    curve = power_curve(params=params)
    out: dict[str, Any] = {
        "alpha": ALPHA,
        "replicates": REPLICATES,
        "target_power": TARGET_POWER,
        "clear_ratio": CLEAR_RATIO,
        "sizes": list(SIZES),
        "outcome": OUTCOME,
        "assumed_max_min_ratio": max(region.values()) / min(region.values()),
        "assumed_lowest_region": min(region, key=region.get),
        "assumed_irr_lowest": min(region.values()),
        "assumed_highest_region": max(region, key=region.get),
        "heterogeneity_sigma": float(params["engagement"]["heterogeneity"]["sigma"]),
        "mcse_max": float(max(curve["mcse_wald"].max(), curve["mcse_clear"].max())),
    }
    for key, value in region.items():
        out[f"assumed_irr_{key}"] = value
    for row in curve.itertuples(index=False):
        for column in ("accounts", "posts", "power_wald", "mcse_wald", "power_clear", "mcse_clear"):
            out[f"{column}_{row.size}"] = float(getattr(row, column))
    for test in ("wald", "clear"):
        enough = curve[curve[f"power_{test}"] >= TARGET_POWER]
        found = not enough.empty
        out[f"needed_found_{test}"] = "yes" if found else "no"
        out[f"needed_accounts_{test}"] = float(enough["accounts"].iloc[0]) if found else None
        out[f"needed_posts_{test}"] = float(enough["posts"].iloc[0]) if found else None
    out["largest_accounts"] = float(curve["accounts"].iloc[-1])
    out["largest_posts"] = float(curve["posts"].iloc[-1])
    for test in ("wald", "clear"):
        out[f"needed_words_{test}"] = needed_words(out, test)
    return out


def needed_words(values: dict[str, Any], test: str) -> str:
    """The sample a test needs for the target power, in words computed from the curve."""
    if values[f"needed_found_{test}"] == "yes":
        return (
            f"about {values[f'needed_accounts_{test}']:,.0f} accounts "
            f"(about {values[f'needed_posts_{test}']:,.0f} posts in a year)"
        )
    return (
        f"more than the largest sample drawn, {values['largest_accounts']:,.0f} accounts "
        f"(about {values['largest_posts']:,.0f} posts in a year)"
    )


def power_table(values: dict[str, Any]) -> pd.DataFrame:
    """The power study as a table: accounts, posts and power with its Monte Carlo error."""
    rows = []
    for size in values["sizes"]:
        rows.append(
            {
                "accounts (mean)": f"{values[f'accounts_{size}']:,.0f}",
                "posts (mean)": f"{values[f'posts_{size}']:,.0f}",
                "power: any regional difference": (
                    f"{values[f'power_wald_{size}']:.0%} ± {values[f'mcse_wald_{size}']:.0%}"
                ),
                "power: a clear difference": (
                    f"{values[f'power_clear_{size}']:.0%} ± {values[f'mcse_clear_{size}']:.0%}"
                ),
            }
        )
    frame = pd.DataFrame(rows)
    frame.attrs["note"] = (
        f"Each row: {values['replicates']} samples drawn by the project's generator at that size "
        "(every stratum scaled alike) and fitted with the NB2 comments model. 'Any regional "
        f"difference': the regional Wald test rejects at alpha {values['alpha']:g}. 'A clear "
        "difference': the 95% interval of the highest over the lowest region's expected comments "
        f"lies wholly above {values['clear_ratio']:g} (the rule of claim S000-F4). ± is one "
        "Monte Carlo standard error. Drawn from the bundled generator's assumptions, not observed."
    )
    return frame
