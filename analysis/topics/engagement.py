"""Post-level engagement models: negative binomial regressions of comments, likes, reposts and
page views on region, platform, level, account type, content category and audience size.

Effects are incidence-rate ratios (IRR: the factor by which the expected count per post
changes) with 95% intervals from standard errors clustered by account, because posts of one
account share its audience and style. The Poisson fit is reported beside the NB2 fit as the
over-dispersion evidence. The regional test is the cluster-robust Wald test that all three
region IRRs equal one (the likelihood-ratio test is also given; it treats posts as independent
and so overstates the evidence when accounts differ). The fits are unweighted: the sample is
stratified by region, level, platform and account type, all of which are covariates, so the
selection does not bias the effects (the sampling weights matter for descriptive totals).

Scale: the fit is the exact post-level maximum-likelihood fit, computed from account x category
cells (analysis.topics.modelframe, analysis.topics.inference). Summing posts into cells with a
log(posts) offset is exact for Poisson, but an NB2 fit to cell totals is a different model (the
sum of n NB2 counts is not NB2 with the same alpha). Instead the post-level NB2 likelihood is
evaluated from its sufficient statistics (cell counts and totals plus one frequency table of
the outcome), which gives the same estimates, standard errors and log-likelihood as fitting
every post, in time that grows with the number of cells rather than posts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import NotAvailable
from analysis.topics import inference
from analysis.topics.modelframe import LABELS, Cells, Design, build_design

REGION_FACTOR = "region"


@dataclass(frozen=True)
class Outcome:
    """One engagement outcome: which posts have it and which covariates can vary there."""

    name: str
    label: str
    platform: str | None  # only posts of this platform have the outcome
    factors: tuple[str, ...]
    numerics: tuple[str, ...]


_ALL = ("region", "platform", "level", "account_type", "category")
_ONE_PLATFORM = ("region", "level", "account_type", "category")
OUTCOMES: dict[str, Outcome] = {
    "comments": Outcome("comments", "Comments", None, _ALL, ("log_followers",)),
    "likes": Outcome("likes", "Likes", None, _ALL, ("log_followers",)),
    "reposts": Outcome("reposts", "Reposts (Weibo)", "weibo", _ONE_PLATFORM, ("log_followers",)),
    "page_views": Outcome("page_views", "Page views (WeChat)", "wechat", _ONE_PLATFORM, ()),
}
MAIN_OUTCOME = "comments"


def term_label(column: str, design: Design | None = None) -> str:
    """Readable label of a design column, e.g. 'Region: west (vs east)'."""
    if "[" in column:
        factor, level = column[:-1].split("[")
        reference = design.levels[factor][0] if design else ""
        suffix = f" (vs {reference})" if reference else ""
        return f"{LABELS.get(factor, factor)}: {level.replace('_', ' ')}{suffix}"
    return LABELS.get(column, column)


@dataclass
class CountData:
    """The cells of one outcome and its design, ready to fit."""

    outcome: Outcome
    frame: pd.DataFrame
    design: Design
    x: np.ndarray
    total: np.ndarray
    n: np.ndarray
    sumsq: np.ndarray
    groups: np.ndarray
    histogram: tuple[np.ndarray, np.ndarray]


def count_data(
    cells: Cells,
    outcome: str,
    factors: tuple[str, ...] | None = None,
    numerics: tuple[str, ...] | None = None,
) -> CountData:
    """Select an outcome's cells and build its checked design (optionally other covariates)."""
    spec = OUTCOMES[outcome]
    frame = cells.frame
    if spec.platform is not None:
        frame = frame[frame["platform"].astype(str) == spec.platform]
    frame = frame[frame[f"{outcome}_n"] > 0].reset_index(drop=True)
    what = f"{spec.label} model"
    design = build_design(
        frame,
        spec.factors if factors is None else factors,
        spec.numerics if numerics is None else numerics,
        what=what,
        weight=frame[f"{outcome}_n"].to_numpy(),
        outcome=frame[f"{outcome}_sum"].to_numpy(),
    )
    return CountData(
        spec,
        frame,
        design,
        design.matrix(frame),
        frame[f"{outcome}_sum"].to_numpy(dtype=float),
        frame[f"{outcome}_n"].to_numpy(dtype=float),
        frame[f"{outcome}_sumsq"].to_numpy(dtype=float),
        frame["account"].to_numpy(),
        cells.histograms[outcome],
    )


def fit(data: CountData, family: str = "nb2", groups: np.ndarray | None = None) -> inference.Fit:
    """Exact post-level NB2 (or Poisson) fit of prepared count data, clustered by account."""
    return inference.fit_count(
        data.x,
        data.design.columns,
        data.total,
        data.n,
        data.groups if groups is None else groups,
        data.histogram,
        family=family,
        what=f"{data.outcome.label} model",
    )


def _accounts_per_column(data: CountData) -> dict[str, int]:
    """How many accounts carry each coefficient's level (few accounts: unreliable interval)."""
    out = {}
    for j, column in enumerate(data.design.columns):
        carriers = data.x[:, j] != 0
        out[column] = int(np.unique(data.groups[carriers]).size)
    return out


def irr_table(data: CountData, model: inference.Fit) -> pd.DataFrame:
    """Tidy IRR table with 95% interval, p-value and the number of accounts behind each term."""
    labels = {c: term_label(c, data.design) for c in data.design.columns}
    table = inference.ratio_table(model, labels)
    accounts = _accounts_per_column(data)
    table.insert(0, "outcome", data.outcome.name)
    table["accounts"] = table["term"].map(accounts)
    return table


def regional_test(data: CountData, model: inference.Fit) -> dict[str, float]:
    """Cluster-robust Wald and model-based LR tests of 'no regional difference' (df = regions-1);
    NaN where the data have one region only (the term was dropped)."""
    if REGION_FACTOR not in data.design.levels:
        return inference.no_test()
    wald = inference.wald_test(model, data.design.term(REGION_FACTOR))
    factors = tuple(f for f in data.design.factors if f != REGION_FACTOR)
    restricted_x = data.design.matrix(data.frame)
    keep = [j for j in range(len(data.design.columns)) if j not in data.design.term(REGION_FACTOR)]
    restricted = inference.fit_count(
        restricted_x[:, keep],
        tuple(data.design.columns[j] for j in keep),
        data.total,
        data.n,
        data.groups,
        data.histogram,
        family="nb2" if model.alpha > 0 else "poisson",
        what=f"{data.outcome.label} model without region ({', '.join(factors)})",
    )
    lr = inference.lr_test(model.loglik, restricted.loglik, wald["df"])
    return inference.joint_tests(wald, lr)


def fit_statistics(
    data: CountData, model: inference.Fit, poisson: inference.Fit
) -> dict[str, float]:
    """N, log-likelihoods, AIC/BIC of NB2 and Poisson and the over-dispersion evidence."""
    k = len(model.params)
    dispersion_lr = inference.lr_test(model.loglik, poisson.loglik, 1, boundary=True)
    return {
        "n_posts": model.n_obs,
        "n_accounts": model.n_groups,
        "n_cells": len(data.frame),
        "n_parameters": k + 1,
        "alpha": model.alpha,
        "loglik_nb": model.loglik,
        "aic_nb": -2 * model.loglik + 2 * (k + 1),
        "bic_nb": -2 * model.loglik + np.log(model.n_obs) * (k + 1),
        "loglik_poisson": poisson.loglik,
        "aic_poisson": -2 * poisson.loglik + 2 * k,
        "poisson_pearson_dispersion": inference.pearson_dispersion(
            poisson, data.x, data.total, data.n, data.sumsq
        ),
        "overdispersion_lr_chi2": dispersion_lr["chi2"],
        "overdispersion_lr_p": dispersion_lr["p"],
    }


def predictions(data: CountData, model: inference.Fit) -> pd.DataFrame:
    """Expected count per post by region x account type, averaged over the sample's other
    covariates (every post counterfactually given that region and type), with 95% intervals."""
    rows = []
    weight = data.n
    for region in data.design.levels_or_observed("region"):
        for kind in data.design.levels_or_observed("account_type"):
            counterfactual = data.design.counterfactual(
                data.frame, region=region, account_type=kind
            )
            value, low, high = inference.average_prediction(
                model, data.design.matrix(counterfactual), weight
            )
            rows.append(
                {
                    "outcome": data.outcome.name,
                    "region": region,
                    "account_type": kind,
                    "predicted": value,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows)


def region_range(data: CountData, model: inference.Fit) -> dict[str, Any]:
    """Highest over lowest region's expected count per post, with a 95% interval.

    In a log-linear model the ratio of two regions' expected counts is the ratio of their IRRs
    whatever the other covariates, so its interval comes from var(b_high - b_low). The two
    regions are chosen by their point estimates, so the interval ignores that selection.
    """
    if REGION_FACTOR not in data.design.levels:
        only = data.design.levels_or_observed(REGION_FACTOR)
        nan = float("nan")
        return {
            "highest_region": only[0] if only else "",
            "lowest_region": only[0] if only else "",
            "ratio": nan,
            "ci_low": nan,
            "ci_high": nan,
        }
    regions = data.design.levels[REGION_FACTOR]
    positions = data.design.term(REGION_FACTOR)
    log_irr = np.r_[0.0, model.params[positions]]
    high, low = int(np.argmax(log_irr)), int(np.argmin(log_irr))
    contrast = np.zeros(len(model.params))
    if high:
        contrast[positions[high - 1]] += 1
    if low:
        contrast[positions[low - 1]] -= 1
    se = float(np.sqrt(contrast @ model.cov @ contrast))
    diff = log_irr[high] - log_irr[low]
    return {
        "highest_region": regions[high],
        "lowest_region": regions[low],
        "ratio": float(np.exp(diff)),
        "ci_low": float(np.exp(diff - inference.Z95 * se)),
        "ci_high": float(np.exp(diff + inference.Z95 * se)),
    }


def platform_means(data: CountData) -> dict[str, float]:
    """Observed mean count per post on each platform where the outcome exists."""
    platform = data.frame["platform"].astype(str).to_numpy()
    return {
        name: float(data.total[platform == name].sum() / data.n[platform == name].sum())
        for name in dict.fromkeys(platform)
    }


def fit_outcome(cells: Cells, outcome: str) -> dict[str, Any]:
    """Every result of one outcome's model as plain data (tables and numbers)."""
    data = count_data(cells, outcome)
    model = fit(data)
    poisson = fit(data, family="poisson")
    irr = irr_table(data, model)
    poisson_irr = irr_table(data, poisson)
    irr["poisson_ratio"] = poisson_irr["ratio"].to_numpy()
    irr["poisson_ci_low"] = poisson_irr["ci_low"].to_numpy()
    irr["poisson_ci_high"] = poisson_irr["ci_high"].to_numpy()
    return {
        "outcome": outcome,
        "label": OUTCOMES[outcome].label,
        "irr": irr,
        "regional_test": regional_test(data, model),
        "statistics": fit_statistics(data, model, poisson),
        "predictions": predictions(data, model),
        "region_range": region_range(data, model),
        "platform_means": platform_means(data),
        "reference": {f: lv[0] for f, lv in data.design.levels.items()},
        "available": True,
        "dropped": list(data.design.dropped),
        "notes": list(data.design.notes),
    }


def unavailable_reason(cells: Cells, outcome: str) -> str | None:
    """Why an outcome's model cannot run on these data (no posts that have it), else None."""
    spec = OUTCOMES[outcome]
    frame = cells.frame
    if spec.platform is not None:
        frame = frame[frame["platform"].astype(str) == spec.platform]
        if frame.empty:
            name = {"weibo": "Weibo", "wechat": "WeChat"}.get(spec.platform, spec.platform)
            return f"no {name} posts in these data"
    if not (frame[f"{outcome}_n"] > 0).any():
        return f"no posts with {spec.label.lower()} in these data"
    return None


def outcome_results(fits: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    """One outcome's results from ``fit_all``; NotAvailable, with the reason, where the data
    cannot carry that outcome (so the book shows a callout instead of failing)."""
    fit = fits[name]
    if not fit.get("available", True):
        raise NotAvailable(f"{fit['label']} model: {fit['reason']}")
    return fit


def available(fits: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The outcomes of ``fit_all`` that were fitted (those the data can carry)."""
    return {name: fit for name, fit in fits.items() if fit.get("available", True)}


def fit_all(cells: Cells | None = None) -> dict[str, dict[str, Any]]:
    """All engagement outcomes' results (the bundled sample by default).

    An outcome the data cannot carry (page views without WeChat posts) is kept as
    ``{"available": False, "reason": ...}`` beside the fitted ones.
    """
    from analysis.topics import modelframe

    cells = cells or modelframe.bundled()
    out = {}
    for name in OUTCOMES:
        reason = unavailable_reason(cells, name)
        out[name] = (
            fit_outcome(cells, name)
            if reason is None
            else {
                "outcome": name,
                "label": OUTCOMES[name].label,
                "available": False,
                "reason": reason,
            }
        )
    return out
