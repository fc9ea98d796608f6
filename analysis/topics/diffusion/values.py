"""Every diffusion number the chapter and the findings registry quote, from each computation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import ModelInputError
from analysis.topics.diffusion.counts import (
    SERIES_LABELS,
    claim_comparison,
    finite_or_none,
    load_counts,
)
from analysis.topics.diffusion.growth import (
    CLAIM_GROWTH,
    CLAIM_YEARS,
    compound_growth,
    five_year_floor,
    growth_steps,
    longest_window,
)
from analysis.topics.diffusion.logistic_fit import (
    FIT_SERIES,
    LOGISTIC_PARAMETERS,
    fitted_logistic,
    year_month,
)
from analysis.topics.diffusion.shares import most_followed, police_shares


def diffusion_values() -> dict[str, object]:
    """Every diffusion number the chapter and the findings registry quote."""
    counts = load_counts()
    out: dict[str, object] = {}

    series, growth, window = longest_window(counts)
    steps = growth_steps(window)
    out |= {
        "claim_years": CLAIM_YEARS,
        "claim_growth": CLAIM_GROWTH,
        "cagr": growth.rate,
        "cagr_series": series,
        "cagr_series_label": SERIES_LABELS.get(series, series),
        "cagr_window_start": growth.start.strftime("%Y-%m-%d"),
        "cagr_window_end": growth.end.strftime("%Y-%m-%d"),
        "cagr_years": growth.years,
        "cagr_start_count": int(growth.start_count),
        "cagr_end_count": int(growth.end_count),
        "cagr_start_derived": "yes" if bool(window["derived"].iloc[0]) else "no",
        "five_years_documented": "yes" if growth.covers_request else "no",
        "years_short_of_claim": max(0.0, CLAIM_YEARS - growth.years),
        "growth_mean_arithmetic": float(steps["growth"].mean()),
        "growth_steps": len(steps),
        "growth_steps_above_claim": int((steps["growth"] > CLAIM_GROWTH).sum()),
        "growth_latest": float(steps["growth"].iloc[-1]),
        "growth_latest_year": int(steps["to"].iloc[-1].year),
        "implied_start_at_claim": float(growth.end_count / (1 + CLAIM_GROWTH) ** CLAIM_YEARS),
        "implied_start_year": int(growth.end.year - CLAIM_YEARS),
        # covering the span, the window's own rate is the average; else only a floor exists
        "cagr_five_year_floor": growth.rate
        if growth.covers_request
        else five_year_floor(growth.start_count, growth.end_count),
    }
    for step in steps.itertuples():
        out[f"growth_{step.to.year}"] = float(step.growth)
        out[f"annualised_{step.to.year}"] = float(step.annualised)
    printed = window.loc[~window["derived"]]
    if len(printed) >= 2:
        strict = compound_growth(
            printed["date"].iloc[0],
            printed["count"].iloc[0],
            printed["date"].iloc[-1],
            printed["count"].iloc[-1],
            CLAIM_YEARS,
        )
        out |= {
            "cagr_printed_only": strict.rate,
            "cagr_printed_only_start": strict.start.strftime("%Y-%m-%d"),
            "cagr_printed_only_years": strict.years,
            "cagr_five_year_floor_printed_only": five_year_floor(
                printed["count"].iloc[0], printed["count"].iloc[-1]
            ),
        }

    comparison = claim_comparison(counts)
    missing = []
    for row in comparison.itertuples():
        out[f"oped_{row.platform}"] = int(row.claim_count)
        out[f"oped_{row.platform}_bound"] = row.claim_bound
        if row.documented_count is None or pd.isna(row.documented_count):
            missing.append(row.platform)
            continue
        out[f"documented_{row.platform}"] = int(row.documented_count)
        out[f"documented_{row.platform}_date"] = pd.Timestamp(row.documented_date).strftime(
            "%Y-%m-%d"
        )
        out[f"documented_{row.platform}_platform"] = row.documented_platform
        out[f"documented_{row.platform}_source"] = row.documented_source
        out[f"difference_{row.platform}"] = int(row.difference)
        out[f"ratio_{row.platform}"] = float(row.ratio)
    out["oped_platforms_without_documented_count"] = missing
    if {"oped_sina", "oped_tencent", "documented_all_platforms"} <= out.keys():
        both = int(out["oped_sina"]) + int(out["oped_tencent"])
        out["oped_sina_plus_tencent"] = both
        out["oped_sina_plus_tencent_minus_documented_all"] = both - int(
            out["documented_all_platforms"]
        )
    if {"documented_sina", "documented_all_platforms"} <= out.keys():
        # Seed 003's Tencent figure has no documented count to compare with; the documented
        # four-platform total minus the documented Sina count bounds it from above.
        room = int(out["documented_all_platforms"]) - int(out["documented_sina"])
        out["tencent_room"] = float(room)
        out["tencent_room_low"] = 0.0
        if "oped_tencent" in out:
            out["oped_tencent_minus_room"] = int(out["oped_tencent"]) - room
            out["oped_tencent_over_room"] = int(out["oped_tencent"]) / room

    fit = fitted_logistic(counts)
    out |= {
        "fit_series": FIT_SERIES,
        "fit_points": fit.n_points,
        "fit_df": fit.df_resid,
        "fit_df_words": fit.df_words,
        "fit_caveat": fit.caveat,
        "fit_first_year": int(np.floor(fit.t_range[0])),
        "fit_last_year": int(np.floor(fit.t_range[1])),
        "K": fit.K,
        "r": fit.r,
        "t0": fit.t0,
        "t0_month": year_month(fit.t0),
        "fit_residual_sd": finite_or_none(fit.residual_sd),
        "ceiling_at_bound": "yes" if fit.ceiling_at_bound else "no",
        "ceiling_sentence": (
            "The fitted ceiling sits at the edge of the range the fit allows, a sign that the "
            "data cannot identify it."
            if fit.ceiling_at_bound
            else "The fitted ceiling lies inside the range the fit allows, but "
            f"{fit.n_points} points do not pin it down."
        ),
        "share_of_ceiling_reached": float(growth.end_count / fit.K),
    }
    try:  # sensitivity: without counts the project derived (leaves too few points, or none)
        printed_fit = fitted_logistic(counts, include_derived=False)
        out["K_printed_only"] = printed_fit.K
        out["fit_printed_only_points"] = printed_fit.n_points
        out["fit_printed_only_caveat"] = printed_fit.caveat
    except ModelInputError as exc:
        out["K_printed_only"] = None
        out["fit_printed_only_caveat"] = str(exc)
    for name in LOGISTIC_PARAMETERS:
        interval = fit.intervals[name]
        out[f"{name}_low"] = None if interval is None else interval[0]
        out[f"{name}_high"] = None if interval is None else interval[1]

    shares = police_shares(counts)
    national = shares.loc[shares["where"] == "national"]
    for row in shares.itertuples():
        suffix = "" if row.where == "national" else f"_{row.where}"
        out[f"police_share_{row.platform}_{row.date.year}{suffix}"] = float(row.share)
    out["police_share_pairs"] = len(shares)
    if not national.empty:
        out["police_share_national_min"] = float(national["share"].min())
        out["police_share_national_max"] = float(national["share"].max())
    return out | most_followed(counts)
