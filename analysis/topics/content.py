"""What police accounts post: the four content types of seed 000 by level, platform and region.

Seed 000 names four kinds of content (publicity of police affairs, business services,
police-citizen interaction, daily-life tips); Zheng and Zheng (2014) find that government
microblogs are mostly self-promotion. This module tabulates the category of every post in the
engagement sample by account level, platform and region and tests whether the mix differs.

Posts are clustered in accounts, and level, platform and region are account attributes, so a
chi-square test on post counts treats tens of thousands of posts as independent when only a few
hundred accounts carry the grouping. Each test therefore reports the classical chi-square
p-value beside a permutation p-value that shuffles the grouping across accounts (optionally
within platform, so that a level or region difference is not just a platform difference).
In this repository the sample is synthetic, and every table and figure says so.

Every function reads a *tally*: rows of (account, category) with the account's level, platform,
region and sampling weight, and ``posts`` counting the posts each row stands for (one where the
column is absent, as in ``posts_with_accounts``, one row per post). The book's tally comes from
the reduction of the posts (analysis.topics.reduce, ``tally``), one row per non-empty account x
category cell, so no statistic here grows with the number of posts: the permutation tests
shuffle accounts, whose category counts the cells hold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis.errors import ModelInputError
from analysis.topics import wording
from analysis.topics.coverage import wilson_interval
from analysis.topics.inputs import require_columns

if TYPE_CHECKING:
    from analysis.topics.reduce import Reduced

CATEGORY_LABELS = {
    "publicity": "Publicity of police affairs",
    "services": "Business services",
    "interaction": "Police-citizen interaction",
    "daily_tips": "Daily-life tips",
}
FACTOR_LABELS = {"level": "Level", "platform": "Platform", "region": "Region"}
GROUP_LABELS = {
    "ministry": "Ministry",
    "provincial": "Provincial",
    "prefecture": "Prefecture",
    "county": "County",
    "weibo": "Weibo",
    "wechat": "WeChat",
    "east": "East",
    "central": "Central",
    "west": "West",
    "northeast": "Northeast",
}
PERMUTATIONS = 999
PERMUTATION_SEED = 20140218  # fixed so the reported p-values reproduce exactly
SYNTHETIC_TITLE = "synthetic sample"


def posts_with_accounts(posts: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """Each post's category joined to its account's level, platform, region and weight."""
    for frame, what, needed in (
        (posts, "posts", ("account_id", "category")),
        (accounts, "accounts", ("account_id", "level", "platform", "region", "sampling_weight")),
    ):
        require_columns(frame, needed, f"content: {what}")
    columns = ["account_id", "level", "platform", "region", "sampling_weight"]
    joined = posts[["account_id", "category"]].merge(
        accounts[columns], on="account_id", how="left", validate="many_to_one"
    )
    orphans = joined["level"].isna()
    if orphans.any():
        raise ModelInputError(
            f"content: {int(orphans.sum())} posts have an account_id not in accounts, e.g. "
            f"{joined.loc[orphans, 'account_id'].iloc[0]!r}; expected every post's account listed"
        )
    if len(joined) == 0:
        raise ModelInputError("content: expected at least one post, found 0")
    return joined


def tally(reduced: Reduced, accounts: pd.DataFrame) -> pd.DataFrame:
    """The reduced posts' non-empty account x category cells with each account's level,
    platform, region and sampling weight, and ``posts`` per cell."""
    cells = reduced.tally()
    return posts_with_accounts(cells, accounts).assign(posts=cells["posts"].to_numpy())


def _posts(joined: pd.DataFrame) -> pd.Series:
    """How many posts each row stands for (1 per row of a post-level frame)."""
    if "posts" in joined.columns:
        return joined["posts"]
    return pd.Series(1, index=joined.index, dtype="int64")


def _sums(joined: pd.DataFrame, rows: str, observed: bool) -> pd.DataFrame:
    """Posts per value of ``rows`` (index) and content category (columns)."""
    grouped = _posts(joined).groupby([joined[rows], joined["category"]], observed=observed)
    return grouped.sum().unstack("category", fill_value=0)


def category_counts(joined: pd.DataFrame, by: str) -> pd.DataFrame:
    """Posts per group (rows, in category order of the codebook) and content category (columns)."""
    table = _sums(joined, by, observed=False)
    return table.loc[table.sum(axis=1) > 0]


def category_shares(joined: pd.DataFrame, by: str) -> pd.DataFrame:
    """Share of posts in each category per group, with the group's posts and accounts."""
    counts = category_counts(joined, by)
    accounts = joined.groupby(by, observed=True)["account_id"].nunique()
    shares = counts.div(counts.sum(axis=1), axis=0)
    out = shares.copy()
    out.insert(0, "accounts", accounts.reindex(counts.index).to_numpy())
    out.insert(0, "posts", counts.sum(axis=1).to_numpy())
    return out


def _account_matrix(
    joined: pd.DataFrame, by: str, strata: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Account x category post counts, each account's group code and stratum code."""
    per_account = _sums(joined, "account_id", observed=True)
    first = joined.drop_duplicates("account_id").set_index("account_id").loc[per_account.index]
    groups = pd.Categorical(first[by]).remove_unused_categories()
    if strata is None:
        stratum_codes = np.zeros(len(first), dtype=int)
    else:
        stratum_codes = pd.Categorical(first[strata]).codes.astype(int)
    return per_account.to_numpy(dtype=float), np.asarray(groups.codes), stratum_codes


def _chi_square(matrix: np.ndarray, codes: np.ndarray, n_groups: int) -> float:
    table = np.stack(
        [np.bincount(codes, weights=column, minlength=n_groups) for column in matrix.T], axis=1
    )
    table = table[:, table.sum(axis=0) > 0]
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    return float(((table - expected) ** 2 / expected).sum())


def independence_test(
    joined: pd.DataFrame,
    by: str,
    *,
    within: str | None = None,
    permutations: int = PERMUTATIONS,
    seed: int = PERMUTATION_SEED,
) -> dict[str, Any]:
    """Chi-square test that the content mix does not depend on ``by``, with an account-level
    permutation p-value (labels shuffled across accounts, within ``within`` strata if given)."""
    from scipy import stats

    counts = category_counts(joined, by)
    counts = counts.loc[:, counts.sum(axis=0) > 0]
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        raise ModelInputError(
            f"content: a test of category by {by} needs at least 2 groups and 2 categories "
            f"with posts, found {counts.shape[0]} groups and {counts.shape[1]} categories"
        )
    chi2, p_value, dof, _ = stats.chi2_contingency(counts.to_numpy(), correction=False)
    n_posts = int(counts.to_numpy().sum())
    cramers_v = float(np.sqrt(chi2 / (n_posts * (min(counts.shape) - 1))))

    matrix, codes, stratum_codes = _account_matrix(joined, by, within)
    n_groups = int(codes.max()) + 1
    observed = _chi_square(matrix, codes, n_groups)
    rng = np.random.default_rng(seed)
    shuffled = codes.copy()
    members = [np.flatnonzero(stratum_codes == s) for s in np.unique(stratum_codes)]
    exceed = 0
    for _ in range(permutations):
        for index in members:
            shuffled[index] = rng.permutation(codes[index])
        exceed += _chi_square(matrix, shuffled, n_groups) >= observed - 1e-9
    return {
        "chi2": float(chi2),
        "df": int(dof),
        "p_value": float(p_value),
        "cramers_v": cramers_v,
        "p_permutation": (exceed + 1) / (permutations + 1),
        "permutations": int(permutations),
        "permuted_within": within or "none",
        "n_posts": n_posts,
        "n_accounts": len(codes),
    }


def share_with_interval(joined: pd.DataFrame, category: str) -> dict[str, float]:
    """Share of posts in ``category`` with a Wilson 95% interval (posts treated as independent)
    and the share weighted by the accounts' sampling weights (an estimate for the frame)."""
    posts = _posts(joined).to_numpy(dtype=np.int64)
    hits = (joined["category"] == category).to_numpy()
    count, total = int(posts[hits].sum()), int(posts.sum())
    low, high = wilson_interval(count, total)
    weights = joined["sampling_weight"].to_numpy(dtype=float) * posts
    return {
        "share": count / total,
        "low": low,
        "high": high,
        "weighted_share": float(np.sum(weights[hits]) / np.sum(weights)),
    }


def _load_joined(reduced: Reduced | None = None) -> pd.DataFrame:
    """The package's tally, from its reduced posts (computed here when not given)."""
    from analysis.data import datasets
    from analysis.topics import reduce

    return tally(reduced or reduce.package_reduction(), datasets.load("accounts"))


def _shares_table(by: str, reduced: Reduced | None) -> pd.DataFrame:
    joined = _load_joined(reduced)
    shares = category_shares(joined, by)
    table = pd.DataFrame({FACTOR_LABELS[by]: [GROUP_LABELS.get(g, g) for g in shares.index]})
    table["Accounts"] = shares["accounts"].to_numpy()
    table["Posts"] = shares["posts"].to_numpy()
    for category, label in CATEGORY_LABELS.items():
        if category in shares.columns:
            table[label + " (%)"] = (100 * shares[category]).round(1).to_numpy()
    test = independence_test(joined, by, within=None if by == "platform" else "platform")
    table.attrs["note"] = (
        f"Share of posts by content category per {by}. Chi-square test of independence: "
        f"chi2 = {test['chi2']:.1f} on {test['df']} df, Cramer's V = {test['cramers_v']:.3f}; "
        f"account-level permutation {wording.p_clause(test['p_permutation'])} "
        f"({test['permutations']} shuffles of the {by} across accounts"
        + ("" if by == "platform" else ", within platform")
        + ")."
    )
    return table


def by_level(reduced: Reduced | None = None) -> pd.DataFrame:
    """Table: content mix by administrative level (synthetic sample)."""
    return _shares_table("level", reduced)


def by_platform(reduced: Reduced | None = None) -> pd.DataFrame:
    """Table: content mix by platform (synthetic sample)."""
    return _shares_table("platform", reduced)


def by_region(reduced: Reduced | None = None) -> pd.DataFrame:
    """Table: content mix by NBS region (synthetic sample)."""
    return _shares_table("region", reduced)


MIN_SHARE = 0.05  # the registry's reading of "posts this kind of content" (S000-F2)


def content_values(reduced: Reduced | None = None) -> dict[str, Any]:
    """Every number the content chapter quotes: shares by group, tests, the publicity share."""
    joined = _load_joined(reduced)
    per_category = _posts(joined).groupby(joined["category"], observed=False).sum()
    total = int(per_category.sum())
    out: dict[str, Any] = {"synthetic": "yes", "posts": total}
    overall = per_category.sort_values(ascending=False, kind="stable") / total
    for category in CATEGORY_LABELS:
        out[f"share_{category}"] = float(overall.get(category, 0.0))
        interval = share_with_interval(joined, category)
        out[f"share_{category}_low"] = interval["low"]
        out[f"share_{category}_high"] = interval["high"]
    publicity = share_with_interval(joined, "publicity")
    out.update({f"publicity_{k}": v for k, v in publicity.items()})
    out["largest_category"] = str(overall.idxmax())
    for by in ("level", "platform", "region"):
        shares = category_shares(joined, by)
        for group, row in shares.iterrows():
            for category in CATEGORY_LABELS:
                if category in shares.columns:
                    out[f"share_{category}_{group}"] = float(row[category])
        test = independence_test(joined, by)
        for key in ("chi2", "df", "p_value", "cramers_v", "p_permutation"):
            out[f"{by}_{key}"] = test[key]
        out[f"{by}_p_permutation_text"] = wording.p_clause(test["p_permutation"])
        if by != "platform":
            within = independence_test(joined, by, within="platform")
            out[f"{by}_p_permutation_within_platform"] = within["p_permutation"]
            out[f"{by}_p_permutation_within_platform_text"] = wording.p_clause(
                within["p_permutation"]
            )
    out["permutations"] = PERMUTATIONS
    publicity_by_group = {
        g: out[f"share_publicity_{g}"] for g in GROUP_LABELS if f"share_publicity_{g}" in out
    }
    out["publicity_share_min"] = min(publicity_by_group.values())
    out["publicity_share_max"] = max(publicity_by_group.values())
    largest = all(_largest_is_publicity(joined, by) for by in FACTOR_LABELS)
    out["publicity_largest_in_every_group"] = "yes" if largest else "no"
    out["publicity_largest_sentence"] = (
        "In the sample it is: publicity is the largest category in every group."
        if largest
        else "In the sample it is not: in at least one group another category is larger."
    )
    rare = [c for c in CATEGORY_LABELS if out[f"share_{c}_low"] < MIN_SHARE]
    out["rare_types"] = ", ".join(CATEGORY_LABELS[c] for c in rare) if rare else "none"
    return out


def _largest_is_publicity(joined: pd.DataFrame, by: str) -> bool:
    counts = category_counts(joined, by)
    return bool((counts.idxmax(axis=1) == "publicity").all())


def mix_title(joined: pd.DataFrame) -> str:
    """The figure's point, computed: which category leads, and whether it leads everywhere."""
    leaders = set()
    for by in ("level", "platform"):
        shares = category_shares(joined, by)
        leaders |= set(shares[[c for c in CATEGORY_LABELS if c in shares]].idxmax(axis=1))
    if len(leaders) == 1:
        label = CATEGORY_LABELS[leaders.pop()]
        return f"{label} is the largest share of posts\nat every level and on every platform"
    return "No one content category leads at every level and on every platform"


def mix_figure(reduced: Reduced | None = None):
    """Figure: content mix by level and by platform as stacked bars (synthetic sample)."""
    import matplotlib.pyplot as plt

    from analysis.topics import figures

    figures.theme()
    joined = _load_joined(reduced)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharey=True, width_ratios=[4, 2])
    colors = figures.palette(len(CATEGORY_LABELS))
    for ax, by in zip(axes, ("level", "platform"), strict=True):
        shares = category_shares(joined, by)
        bottom = np.zeros(len(shares))
        labels = [GROUP_LABELS.get(g, g) for g in shares.index]
        for color, (category, label) in zip(colors, CATEGORY_LABELS.items(), strict=True):
            values = 100 * shares[category].to_numpy() if category in shares else 0 * bottom
            ax.bar(labels, values, bottom=bottom, color=color, label=label, width=0.7)
            bottom += values
        ax.set_title(f"By {by}")
        ax.set_xlabel("")
    axes[0].set_ylabel("Share of posts (%)")
    axes[0].set_ylim(0, 100)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(
        handles, names, loc="lower center", ncol=4, frameon=False, bbox_to_anchor=(0.5, 0.04)
    )
    fig.suptitle(mix_title(joined))
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    figures.synthetic_footer(fig)
    return fig
