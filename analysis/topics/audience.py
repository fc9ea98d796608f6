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
    table.attrs["notes"] = [f"Followers model: {n}" for n in design.notes]
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
    table.attrs["notes"] = [f"Page-views model: {n}" for n in design.notes]
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
        posts = float(v["page_views_n"].sum())
        rows.append(
            {
                "region": region,
                "weibo_accounts": len(w),
                "median_followers": float(pd.to_numeric(w["followers"]).median())
                if len(w)
                else float("nan"),
                "wechat_accounts": int(v["account"].nunique()),
                "page_views_per_post": float(v["page_views_sum"].sum()) / posts
                if posts
                else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def fit_audience(cells: Cells | None = None) -> dict[str, Any]:
    """Both audience models and the descriptive table, as plain data (bundled sample default)."""
    from analysis.topics import modelframe

    cells = cells or modelframe.bundled()
    tables, statistics, notes = [], {}, []
    platform = cells.accounts["platform"].astype(str)
    views = cells.frame["page_views_n"] > 0
    models = (
        ("followers", "Weibo accounts", (platform == "weibo").any(), followers_model, ()),
        ("page_views", "WeChat posts", views.any(), page_views_model, (cells,)),
    )
    for name, needs, present, model, extra in models:
        if not present:
            reason = f"no {needs} in these data"
            statistics[name] = {"available": False, "reason": reason}
            notes.append(f"{name.replace('_', ' ').capitalize()} model not estimated: {reason}")
            continue
        table, stats = model(cells.accounts, *extra)
        notes += table.attrs.pop("notes", [])
        tables.append(table)
        statistics[name] = stats
    ratios = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return {
        "ratios": ratios,
        "by_region": by_region(cells.accounts, cells),
        "statistics": statistics,
        "notes": notes,
    }
