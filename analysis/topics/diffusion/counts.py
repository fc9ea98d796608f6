"""The documented counts of government and police accounts: reading them, their labels, the
national totals of each series, and the op-ed's (seed 003) counts set against them.

May import the base modules, ``analysis.data`` and the shared topic helpers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.topics.inputs import require_columns

DAYS_PER_YEAR = 365.25

SERIES_LABELS = {
    "cnsa_four_platforms": "CNSA evaluation reports (four platforms)",
    "op_ed_2014": "Op-ed, China Daily 2014 (seed 003)",
    "sina_government": "Sina-verified government accounts",
    "tencent_government": "Tencent government accounts",
    "police_national": "Police accounts, national",
    "wechat_government": "Government WeChat accounts",
    "political_legal": "Political-legal sector",
    "provincial": "Single provinces",
    "other_estimates": "Other one-off estimates",
}
PLATFORM_LABELS = {
    "sina": "Sina Weibo",
    "tencent": "Tencent Weibo",
    "four_platforms": "Sina, Tencent, People's Daily Online, Xinhua",
    "several_platforms": "several microblog platforms",
    "all_platforms": "all microblog platforms",
    "unspecified_microblogs": "microblogs (platform not stated)",
    "wechat": "WeChat",
    "weibo_and_wechat": "Weibo and WeChat",
    "blogs_and_microblogs": "blogs and microblogs",
}
BOUND_MARKS = {
    "exact": "",
    "about": "about ",
    "at_least": "at least ",
    "more_than": "over ",
    "nearly": "nearly ",
}
COUNT_COLUMNS = (
    "series",
    "date",
    "platform",
    "sector",
    "account_kind",
    "subgroup",
    "province_code",
    "count",
    "bound",
    "derived",
    "certainty",
    "source",
)
CLAIM_SERIES = "op_ed_2014"
# Op-ed platforms and the documented platforms each may be compared with, narrowest first.
COMPARABLE_PLATFORMS = {
    "sina": ("sina",),
    "tencent": ("tencent",),
    "all_platforms": ("all_platforms", "four_platforms", "several_platforms"),
    "wechat": ("wechat",),
}
COMPARISON_LOOKBACK = pd.Timedelta(days=183)  # a documented count at most six months older


def load_counts() -> pd.DataFrame:
    """The documented ``account_counts`` resource, validated."""
    from analysis.data import datasets

    return datasets.load("account_counts")


def totals(counts: pd.DataFrame) -> pd.DataFrame:
    """National series totals: rows without a subgroup or a province, sorted by series and date."""
    require_columns(counts, COUNT_COLUMNS, "diffusion: account_counts")
    whole = counts["subgroup"].isna() & counts["province_code"].isna()
    return counts.loc[whole].sort_values(["series", "account_kind", "date"]).reset_index(drop=True)


def series_points(
    counts: pd.DataFrame, series: str, account_kind: str = "all", sector: str | None = None
) -> pd.DataFrame:
    """The dated totals of one series and account kind (one count per date, latest row wins)."""
    rows = totals(counts)
    rows = rows.loc[(rows["series"] == series) & (rows["account_kind"] == account_kind)]
    if sector is not None:
        rows = rows.loc[rows["sector"] == sector]
    return rows.drop_duplicates("date", keep="last").sort_values("date").reset_index(drop=True)


def claim_comparison(counts: pd.DataFrame) -> pd.DataFrame:
    """Each op-ed count beside the latest documented count of a comparable platform before it."""
    rows = totals(counts)
    claims = rows.loc[rows["series"] == CLAIM_SERIES].sort_values("date")
    documented = rows.loc[(rows["series"] != CLAIM_SERIES) & (rows["certainty"] != "disputed")]
    out = []
    for claim in claims.itertuples():
        match = None
        for platform in COMPARABLE_PLATFORMS.get(str(claim.platform), (str(claim.platform),)):
            pool = documented.loc[
                (documented["platform"] == platform)
                & (documented["sector"] == claim.sector)
                & (documented["account_kind"] == claim.account_kind)
                & (documented["date"] <= claim.date)
                & (documented["date"] >= claim.date - COMPARISON_LOOKBACK)
            ]
            if not pool.empty:
                match = pool.sort_values("date").iloc[-1]
                break
        record = {
            "platform": str(claim.platform),
            "claim_date": claim.date,
            "claim_count": int(claim.count),
            "claim_bound": str(claim.bound),
            "documented_platform": None if match is None else str(match["platform"]),
            "documented_date": None if match is None else match["date"],
            "documented_count": None if match is None else int(match["count"]),
            "documented_bound": None if match is None else str(match["bound"]),
            "documented_source": None if match is None else str(match["source"]),
        }
        if match is not None:
            record["difference"] = int(claim.count) - int(match["count"])
            record["ratio"] = int(claim.count) / int(match["count"])
        else:
            record["difference"] = record["ratio"] = None
        out.append(record)
    return pd.DataFrame(out)


def count_text(count: int, bound: str) -> str:
    """A count as printed with its bound ("about 1,200", "over 50,000")."""
    return f"{BOUND_MARKS.get(bound, '')}{count:,}"


def finite_or_none(value: float | None) -> float | None:
    """A finite float, or None (JSON has no NaN or infinity)."""
    return None if value is None or not np.isfinite(value) else float(value)


def counts_table() -> pd.DataFrame:
    """Table: every documented national or provincial total, by series and date."""
    rows = totals(load_counts())
    rows = pd.concat(
        [rows, load_counts().loc[lambda f: f["subgroup"].isna() & f["province_code"].notna()]]
    )
    table = pd.DataFrame(
        {
            "Date": rows["date"].dt.strftime("%Y-%m-%d"),
            "Series": rows["series"].astype(str).map(SERIES_LABELS),
            "Platform": rows["platform"].astype(str).map(PLATFORM_LABELS),
            "Sector": rows["sector"].astype(str).str.replace("_", " "),
            "Accounts": rows["account_kind"].astype(str).str.replace("_", " "),
            "Province": rows["province_code"].fillna("national"),
            "Count": [
                count_text(c, str(b)) for c, b in zip(rows["count"], rows["bound"], strict=True)
            ],
            "Derived": np.where(rows["derived"], "yes", ""),
            "Certainty": rows["certainty"].astype(str),
            "Source": rows["source"],
        }
    )
    table.attrs["cite"] = ["Source"]  # account_counts' source field: bibliography keys
    table.attrs["note"] = (
        "Documented counts of accounts as of each date (stocks), from account_counts. A date "
        "given only as a month or year is the last day of that period. 'Derived' counts were "
        "computed from printed figures; uncertain and disputed rows are explained in the data."
    )
    return table.reset_index(drop=True)


def claim_table() -> pd.DataFrame:
    """Table: the op-ed's (seed 003) counts beside the documented counts they can be set against."""
    comparison = claim_comparison(load_counts())
    documented = comparison["documented_count"]
    table = pd.DataFrame(
        {
            "Platform (op-ed)": comparison["platform"].map(PLATFORM_LABELS),
            "Op-ed count": [
                count_text(c, b)
                for c, b in zip(comparison["claim_count"], comparison["claim_bound"], strict=True)
            ],
            "Documented count": [
                "none documented" if pd.isna(c) else count_text(int(c), str(b))
                for c, b in zip(documented, comparison["documented_bound"], strict=True)
            ],
            "Documented platform": comparison["documented_platform"].map(PLATFORM_LABELS),
            "As of": pd.to_datetime(comparison["documented_date"]).dt.strftime("%Y-%m-%d"),
            "Difference": comparison["difference"].map(
                lambda v: "" if pd.isna(v) else f"{int(v):+,}"
            ),
            "Ratio": comparison["ratio"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}"),
            "Source": comparison["documented_source"],
        }
    )
    table.attrs["cite"] = ["Source"]  # account_counts' source field: bibliography keys
    table.attrs["note"] = (
        "Op-ed: Ma, China Daily, 18 Feb 2014 (seed 003). Each op-ed count is set against the "
        "latest documented count of the same or the nearest comparable platform dated at most "
        "six months before it. Difference = op-ed - documented; ratio = op-ed / documented."
    )
    return table
