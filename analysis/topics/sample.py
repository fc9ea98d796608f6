"""Describing the synthetic engagement sample: its size, composition and time window.

The data chapter quotes these numbers and prints these tables so that the reader sees what the
simulated sample contains (and that it is simulated) without reading the CSVs. Accounts are read
through ``analysis.data.datasets.load``; posts only through their reduction to account x
category cells and frequency tables (analysis.topics.reduce), so a crawl of any size is
described in bounded memory: "the tenth of posts with the most comments" is read off the
comments' frequency table.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis.data import datapackage, datasets, simulate
from analysis.topics import reduce

if TYPE_CHECKING:
    from analysis.topics.reduce import Reduced

_LEVEL_LABELS = {
    "ministry": "Ministry",
    "provincial": "Provincial",
    "prefecture": "Prefecture",
    "county": "County",
}
_TYPE_LABELS = {"bureau": "bureau", "officer": "officer (real-name)"}


def summary(reduced: Reduced | None = None) -> dict[str, Any]:
    """Headline counts of the synthetic sample, for inline numbers and the manifest."""
    reduced = reduced or reduce.package_reduction()
    accounts = datasets.load("accounts")
    entry = datapackage.resource(datapackage.read_descriptor(), "posts")
    generator = entry.get("generator", {})
    n_posts = reduced.per_account().sum(axis=1)
    per_account = pd.Series(n_posts[n_posts > 0])
    comments_by_account = reduced.per_account("comments_sum").sum(axis=1)
    answered_by_account = reduced.per_account("comments_answered_sum").sum(axis=1)
    comments, answered = int(comments_by_account.sum()), int(answered_by_account.sum())
    posts = int(n_posts.sum())
    out: dict[str, Any] = {
        "synthetic": "yes",
        "accounts": len(accounts),
        "posts": posts,
        "provinces": int(accounts["province_code"].nunique()),
        "first_post": reduced.first_post.strftime("%Y-%m-%d"),
        "last_post": reduced.last_post.strftime("%Y-%m-%d"),
        "posts_per_account_median": float(per_account.median()),
        "posts_per_account_max": int(per_account.max()),
        "comments": comments,
        "comments_answered": answered,
        "answer_rate": _ratio(answered, comments),
        "generator_version": str(generator.get("version", "")),
        "seed": int(generator.get("seed", -1)),
    }
    for column, levels in (
        ("platform", simulate.PLATFORMS),
        ("level", simulate.LEVELS),
        ("account_type", simulate.ACCOUNT_TYPES),
        ("region", simulate.REGIONS),
    ):
        counts = accounts[column].value_counts()
        for level in levels:
            out[f"accounts_{level}"] = int(counts.get(level, 0))
    per_category = reduced.per_account().sum(axis=0)
    for category in simulate.CATEGORIES:
        found = category in reduced.levels
        count = int(per_category[reduced.levels.index(category)]) if found else 0
        out[f"share_{category}"] = count / posts
    position = pd.Index(accounts["account_id"].astype(str)).get_indexer(reduced.account_ids)
    region = accounts["region"].astype(str).to_numpy()[position]
    for name in simulate.REGIONS:
        mine = region == name
        out[f"answer_rate_{name}"] = _ratio(
            answered_by_account[mine].sum(), comments_by_account[mine].sum()
        )
    values, freq = reduced.histograms["comments"]
    observed = int(freq.sum())
    top = max(1, round(TOP_SHARE * observed))
    out["top_posts_share"] = TOP_SHARE
    out["top_posts_comment_share"] = _ratio(_top_sum(values, freq, top), values @ freq)
    out["posts_without_comments_share"] = int(freq[values == 0].sum()) / observed
    return out


def _top_sum(values: np.ndarray, freq: np.ndarray, top: int) -> int:
    """Sum of the ``top`` largest values of a frequency table (exact, in integers)."""
    order = np.argsort(values)[::-1]
    taken = np.minimum(freq[order], np.maximum(top - np.cumsum(freq[order]) + freq[order], 0))
    return int(values[order] @ taken)


TOP_SHARE = 0.10  # "a few posts draw most of it": the tenth of posts with the most comments
REGION_NAMES = {
    "east": "an eastern",
    "central": "a central",
    "west": "a western",
    "northeast": "a northeastern",
}
CLEAR_RATIO = 1.25  # the registry's reading of "differs clearly" (S000-F4)


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def assumptions() -> dict[str, Any]:
    """What the simulation assumed, read from its parameter file (never typed in prose): the
    regional engagement ratios and the answer probabilities, with sentences saying so."""
    effects = simulate.true_effects(simulate.load_parameters())
    irr = {r: effects[f"irr:region[{r}]"] for r in simulate.REGIONS}
    high, low = max(irr, key=irr.get), min(irr, key=irr.get)
    spread = irr[high] / irr[low]
    base = math.log(effects["baseline:answer"] / (1 - effects["baseline:answer"]))
    rates = {r: _logistic(base + math.log(effects[f"or:region[{r}]"])) for r in simulate.REGIONS}
    odds = {
        factor: max(v for k, v in effects.items() if k.startswith(f"or:{factor}["))
        for factor in ("level", "platform", "account_type")
    }
    best = _logistic(
        base
        + math.log(max(effects[f"or:region[{r}]"] for r in simulate.REGIONS))
        + sum(math.log(v) for v in odds.values())
    )
    differ = spread > CLEAR_RATIO
    out: dict[str, Any] = {
        "assumed_region_spread": spread,
        "assumed_region_highest": high,
        "assumed_region_lowest": low,
        "assumed_regions_differ": "yes" if differ else "no",
        "assumed_answer_rate_min": min(rates.values()),
        "assumed_answer_rate_max": max(rates.values()),
        "assumed_answer_rate_best_group": best,
        "assumed_answers_low": "yes" if best < 0.5 else "no",
    }
    if differ:
        out["assumed_regions_sentence"] = (
            f"The simulation was given regional differences: its parameters make "
            f"{REGION_NAMES[high]} account draw {spread:.2f} times the engagement of "
            f"{REGION_NAMES[low]} one, all else equal, so a difference the models find tests "
            "the models, not seed 000's claim."
        )
    else:
        out["assumed_regions_sentence"] = (
            f"The simulation was given no clear regional differences: the largest regional "
            f"ratio in its parameters is {spread:.2f}, at or below the registry's threshold "
            f"of {CLEAR_RATIO:.2f}."
        )
    low, high = f"{out['assumed_answer_rate_min']:.0%}", f"{out['assumed_answer_rate_max']:.0%}"
    by_region = f"{low} in every region" if low == high else f"{low} to {high} by region"
    out["assumed_answers_sentence"] = (
        f"The simulation's parameters set the probability that a bureau answers a comment at "
        f"{by_region} for the reference accounts, and at most {best:.0%} for the most "
        "responsive kind of account, so the answer rates below describe those parameters, not "
        "real departments."
    )
    return out


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else float("nan")


def description(reduced: Reduced | None = None) -> pd.DataFrame:
    """Accounts by level and type, per platform and per region, with their posts."""
    reduced = reduced or reduce.package_reduction()
    accounts = datasets.load("accounts")
    n_posts = pd.Series(reduced.per_account().sum(axis=1), index=list(reduced.account_ids))
    accounts = accounts.assign(
        posts=accounts["account_id"].astype(str).map(n_posts).fillna(0).astype(int)
    )
    rows = []
    groups = accounts.groupby(["level", "account_type"], observed=True, sort=True)
    for (level, kind), group in groups:
        rows.append(_row(f"{_LEVEL_LABELS[level]} {_TYPE_LABELS[kind]}", group))
    rows.append(_row("All accounts", accounts))
    frame = pd.DataFrame(rows)
    start, end = reduced.first_post, reduced.last_post
    frame.attrs["note"] = (
        f"Posts dated {start:%Y-%m-%d} to {end:%Y-%m-%d}; "
        "prefecture and county accounts are a stratified sample per region (see sampling "
        "weights), ministry and provincial bureau accounts a census."
    )
    return frame


def _row(label: str, group: pd.DataFrame) -> dict[str, Any]:
    row: dict[str, Any] = {"Accounts": label}
    for platform, name in (("weibo", "Weibo"), ("wechat", "WeChat")):
        row[name] = int((group["platform"] == platform).sum())
    for region in simulate.REGIONS:
        row[region.capitalize()] = int((group["region"] == region).sum())
    row["Total"] = len(group)
    row["Posts"] = int(group["posts"].sum())
    return row


def strata() -> pd.DataFrame:
    """The sampling design as realised: accounts, frame size and weight per stratum."""
    accounts = datasets.load("accounts")
    grouped = accounts.groupby("sampling_stratum", sort=False)
    frame = pd.DataFrame(
        {
            "Stratum": list(grouped.groups),
            "Sampled accounts": grouped.size().to_numpy(),
            "Accounts in frame (sum of weights)": grouped["sampling_weight"]
            .sum()
            .round()
            .astype(int)
            .to_numpy(),
            "Sampling weight": grouped["sampling_weight"].first().round(2).to_numpy(),
        }
    )
    return frame
