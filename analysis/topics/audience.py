"""Account-level audience: Weibo followers and WeChat page views per post, by region, level and
account type.

Followers are strongly right-skewed (a few accounts have millions), so the model is a linear
regression of log followers and its effects are ratios of geometric means (the 'typical'
account), with heteroskedasticity-robust (HC1) intervals. Page views are modelled as mean page
views per post: a Poisson pseudo-likelihood regression of each account's total page views with
log(posts) as offset, whose effects are ratios of means and stay valid whatever the
distribution, again with HC1 intervals (one row per account, so this is clustering by account).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.topics.engagement import term_label
from analysis.topics.inference import Z95
from analysis.topics.modelframe import Cells, Design, build_design, levels_of

FACTORS = ("region", "level", "account_type")


def _ratios(
    design: Design,
    params: np.ndarray,
    se: np.ndarray,
    outcome: str,
    label: str,
    carriers: np.ndarray,
) -> pd.DataFrame:
    from scipy import stats

    rows = []
    for j, column in enumerate(design.columns):
        if column == "Intercept":
            continue
        rows.append(
            {
                "outcome": outcome,
                "measure": label,
                "term": column,
                "label": term_label(column, design),
                "ratio": float(np.exp(params[j])),
                "ci_low": float(np.exp(params[j] - Z95 * se[j])),
                "ci_high": float(np.exp(params[j] + Z95 * se[j])),
                "p_value": float(2 * stats.norm.sf(abs(params[j] / se[j]))),
                "accounts": int(carriers[:, j].sum()),
            }
        )
    return pd.DataFrame(rows)


def followers_model(accounts: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Ratios of geometric-mean followers of Weibo accounts by region, level and type."""
    import statsmodels.api as sm

    weibo = accounts[accounts["platform"].astype(str) == "weibo"].reset_index(drop=True)
    what = "followers model (Weibo accounts)"
    design = build_design(weibo, FACTORS, what=what, unit="accounts")
    x = design.matrix(weibo)
    y = np.log(np.maximum(pd.to_numeric(weibo["followers"]).to_numpy(dtype=float), 1.0))
    result = sm.OLS(y, x).fit(cov_type="HC1")
    table = _ratios(
        design, result.params, result.bse, "followers", "geometric-mean followers", x != 0
    )
    stats = {
        "n_accounts": len(weibo),
        "r_squared": float(result.rsquared),
        "reference_followers": float(np.exp(result.params[0])),
    }
    return table, stats


def page_views_model(accounts: pd.DataFrame, cells: Cells) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Ratios of mean page views per post of WeChat accounts by region, level and type."""
    import statsmodels.api as sm

    frame = cells.frame[cells.frame["page_views_n"] > 0]
    totals = frame.groupby("account")[["page_views_sum", "page_views_n"]].sum()
    wechat = accounts.loc[totals.index].reset_index(drop=True)
    views = totals["page_views_sum"].to_numpy(dtype=float)
    posts = totals["page_views_n"].to_numpy(dtype=float)
    what = "page-views model (WeChat accounts with posts)"
    design = build_design(wechat, FACTORS, what=what, outcome=views, unit="accounts")
    x = design.matrix(wechat)
    result = sm.GLM(views, x, family=sm.families.Poisson(), offset=np.log(posts)).fit(
        cov_type="HC1"
    )
    table = _ratios(
        design, result.params, result.bse, "page_views", "mean page views per post", x != 0
    )
    stats = {
        "n_accounts": len(wechat),
        "n_posts": int(posts.sum()),
        "reference_page_views": float(np.exp(result.params[0])),
    }
    return table, stats


def by_region(accounts: pd.DataFrame, cells: Cells) -> pd.DataFrame:
    """Descriptive audience by region: accounts, median Weibo followers, WeChat views per post."""
    weibo = accounts[accounts["platform"].astype(str) == "weibo"]
    views = cells.frame[cells.frame["page_views_n"] > 0]
    rows = []
    for region in levels_of(accounts["region"]):
        w = weibo[weibo["region"].astype(str) == region]
        v = views[views["region"].astype(str) == region]
        rows.append(
            {
                "region": region,
                "weibo_accounts": len(w),
                "median_followers": float(pd.to_numeric(w["followers"]).median()),
                "wechat_accounts": int(v["account"].nunique()),
                "page_views_per_post": float(v["page_views_sum"].sum() / v["page_views_n"].sum()),
            }
        )
    return pd.DataFrame(rows)


def fit_audience(cells: Cells | None = None) -> dict[str, Any]:
    """Both audience models and the descriptive table, as plain data (bundled sample default)."""
    from analysis.topics import modelframe

    cells = cells or modelframe.bundled()
    followers, followers_stats = followers_model(cells.accounts)
    views, views_stats = page_views_model(cells.accounts, cells)
    return {
        "ratios": pd.concat([followers, views], ignore_index=True),
        "by_region": by_region(cells.accounts, cells),
        "statistics": {"followers": followers_stats, "page_views": views_stats},
    }
