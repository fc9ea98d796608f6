"""Coverage of police Weibo by region and level, tested against seed 000's "almost all".

Seed 000 says almost all police departments use Weibo and WeChat "from east to west and from
the Ministry of Public Security to the prefectural public security bureau". The documented
``police_weibo_coverage`` resource counts, per province, the police accounts in a curated list
compiled in 2022-2023, a decade after the 2013 province table it is compared with.

Measures:
- provincial level: share of the 31 provinces with a listed provincial police account;
- prefecture level: listed prefecture-level areas / prefecture-level divisions of 2013, per
  province and per region. The four municipalities have no prefecture level and are left out
  of this ratio. The main numerator counts listed areas (capped at the 2013 divisions, since
  areas re-coded after 2013, as in Tibet and Xinjiang, are the same places); a strict measure
  counts only areas whose code is in the 2013 list.

Both levels are judged alike. The list covers nearly every division, so it is a near-census of
one curator's list, not a random sample: no sampling interval describes its error, and because
an account missing from the list may still exist, every share is a lower bound on coverage (the
findings registry judges it with ``rules.Bound``). Wilson intervals are still computed for
anyone who wants to read the list as a sample, but the book does not show them;
- county level: listed county accounts only, because the county counts reflect how far the
  curator got, not a census (zero means none listed, not none exists).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import ModelInputError
from analysis.topics.inputs import require_columns

Z_95 = 1.959963984540054
REGION_ORDER = ("east", "central", "west", "northeast")
COUNTY_CAVEAT = (
    "County counts reflect how far the list's curator got, not a census of county police "
    "accounts: zero means none listed, not none exists."
)
LIST_CAVEAT = (
    "Accounts listed in a curated public list compiled July 2022 - November 2023; prefecture "
    "divisions from the MCA list of December 2013."
)
COVERAGE_COLUMNS = (
    "province_code",
    "province_accounts_listed",
    "prefecture_accounts_listed",
    "distinct_prefecture_areas_covered",
    "county_accounts_listed",
    "prefecture_areas_matching_2013_codes",
)
PROVINCE_COLUMNS = ("adcode", "name_en", "name_pinyin", "prefecture_divisions_2013")


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95% by default); sound near 0 and 1."""
    if trials <= 0:
        raise ModelInputError(f"Wilson interval: expected at least one trial, found {trials}")
    if not 0 <= successes <= trials:
        raise ModelInputError(
            f"Wilson interval: expected 0 <= successes <= trials, found {successes} of {trials}"
        )
    p = successes / trials
    denominator = 1 + z**2 / trials
    centre = (p + z**2 / (2 * trials)) / denominator
    half = z * np.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / denominator
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def province_coverage(
    coverage: pd.DataFrame, provinces: pd.DataFrame, scheme: str = "region_nbs4"
) -> pd.DataFrame:
    """One row per province: listed accounts by level and prefecture coverage of 2013 divisions."""
    for frame, what, needed in (
        (coverage, "police_weibo_coverage", COVERAGE_COLUMNS),
        (provinces, "provinces", (*PROVINCE_COLUMNS, scheme)),
    ):
        require_columns(frame, needed, f"coverage: {what}")
    joined = coverage.merge(
        provinces[[*PROVINCE_COLUMNS, scheme]],
        left_on="province_code",
        right_on="adcode",
        how="left",
        validate="one_to_one",
    )
    unknown = joined["adcode"].isna()
    if unknown.any():
        raise ModelInputError(
            f"coverage: province_code {joined.loc[unknown, 'province_code'].iloc[0]!r} is not "
            "in provinces.adcode; expected every covered province listed"
        )
    divisions = joined["prefecture_divisions_2013"].astype(int)
    listed = np.minimum(joined["distinct_prefecture_areas_covered"].astype(int), divisions)
    strict = np.minimum(joined["prefecture_areas_matching_2013_codes"].astype(int), divisions)
    has_level = divisions > 0
    out = pd.DataFrame(
        {
            "province_code": joined["province_code"].astype(str),
            "province": joined["name_pinyin"].astype(str),
            "region": pd.Categorical(joined[scheme].astype(str), categories=REGION_ORDER),
            "provincial_listed": joined["province_accounts_listed"].astype(int),
            "prefecture_divisions": divisions,
            "prefecture_areas_listed": listed.where(has_level, 0),
            "prefecture_areas_2013_codes": strict.where(has_level, 0),
            "county_accounts_listed": joined["county_accounts_listed"].astype(int),
            "municipality": ~has_level,
        }
    )
    share = out["prefecture_areas_listed"] / out["prefecture_divisions"].where(has_level)
    out["prefecture_coverage"] = share
    out["prefecture_coverage_strict"] = out["prefecture_areas_2013_codes"] / out[
        "prefecture_divisions"
    ].where(has_level)
    return out


def region_coverage(per_province: pd.DataFrame) -> pd.DataFrame:
    """Per region: provinces with a provincial account, prefecture coverage with Wilson 95%
    intervals (main and strict numerator), and county accounts listed."""
    rows = []
    groups = [(r, g) for r, g in per_province.groupby("region", observed=True)]
    groups.append(("all", per_province))
    for region, group in groups:
        with_level = group.loc[~group["municipality"]]
        divisions = int(with_level["prefecture_divisions"].sum())
        listed = int(with_level["prefecture_areas_listed"].sum())
        strict = int(with_level["prefecture_areas_2013_codes"].sum())
        provinces = len(group)
        with_provincial = int((group["provincial_listed"] > 0).sum())
        row: dict[str, Any] = {
            "region": str(region),
            "provinces": provinces,
            "provinces_with_provincial_account": with_provincial,
            "provincial_share": with_provincial / provinces,
            "prefecture_divisions": divisions,
            "prefecture_areas_listed": listed,
            "prefecture_areas_2013_codes": strict,
            "county_accounts_listed": int(group["county_accounts_listed"].sum()),
            "provinces_with_county_accounts": int((group["county_accounts_listed"] > 0).sum()),
        }
        if divisions:
            low, high = wilson_interval(listed, divisions)
            s_low, s_high = wilson_interval(strict, divisions)
            row |= {
                "prefecture_coverage": listed / divisions,
                "low": low,
                "high": high,
                "prefecture_coverage_strict": strict / divisions,
                "strict_low": s_low,
                "strict_high": s_high,
            }
        else:
            row |= dict.fromkeys(
                (
                    "prefecture_coverage",
                    "low",
                    "high",
                    "prefecture_coverage_strict",
                    "strict_low",
                    "strict_high",
                ),
                np.nan,
            )
        rows.append(row)
    return pd.DataFrame(rows)


def thinnest(per_province: pd.DataFrame) -> pd.DataFrame:
    """Provinces whose prefecture-level divisions are not all listed, thinnest first."""
    incomplete = per_province.loc[
        ~per_province["municipality"]
        & (
            (per_province["prefecture_areas_listed"] < per_province["prefecture_divisions"])
            | (per_province["prefecture_areas_2013_codes"] < per_province["prefecture_divisions"])
        )
    ]
    return incomplete.sort_values(
        ["prefecture_coverage", "prefecture_coverage_strict", "province"]
    ).reset_index(drop=True)


def verdict_summary(per_province: pd.DataFrame, regions: pd.DataFrame) -> dict[str, Any]:
    """The numbers that decide seed 000's "almost all ... from east to west ... to prefectures"."""
    by_region = regions.loc[regions["region"] != "all"].dropna(subset=["prefecture_coverage"])
    if by_region.empty:
        raise ModelInputError("coverage: no region has prefecture-level divisions to cover")
    lowest = by_region.loc[by_region["prefecture_coverage"].idxmin()]
    lowest_strict = by_region.loc[by_region["prefecture_coverage_strict"].idxmin()]
    national = regions.loc[regions["region"] == "all"].iloc[0]
    with_level = per_province.loc[~per_province["municipality"]]
    thin = thinnest(per_province)
    full = int((with_level["prefecture_areas_listed"] == with_level["prefecture_divisions"]).sum())
    return {
        "provinces": len(per_province),
        "provinces_with_provincial_account": int((per_province["provincial_listed"] > 0).sum()),
        "provincial_share": float(national["provincial_share"]),
        "provincial_low": wilson_interval(
            int(national["provinces_with_provincial_account"]), int(national["provinces"])
        )[0],
        "prefecture_divisions": int(national["prefecture_divisions"]),
        "prefecture_areas_listed": int(national["prefecture_areas_listed"]),
        "prefecture_coverage": float(national["prefecture_coverage"]),
        "prefecture_low": float(national["low"]),
        "prefecture_high": float(national["high"]),
        "prefecture_coverage_strict": float(national["prefecture_coverage_strict"]),
        "prefecture_strict_low": float(national["strict_low"]),
        "prefecture_strict_high": float(national["strict_high"]),
        "min_region": str(lowest["region"]),
        "min_region_coverage": float(lowest["prefecture_coverage"]),
        "min_region_low": float(lowest["low"]),
        "min_region_high": float(lowest["high"]),
        "min_region_strict": str(lowest_strict["region"]),
        "min_region_coverage_strict": float(lowest_strict["prefecture_coverage_strict"]),
        "min_region_strict_low": float(lowest_strict["strict_low"]),
        "provinces_with_prefecture_level": len(with_level),
        "provinces_full_prefecture_coverage": full,
        "thinnest_provinces": [str(p) for p in thin["province"]],
        "thinnest_province": str(thin["province"].iloc[0]) if len(thin) else "none",
        "thinnest_coverage": float(thin["prefecture_coverage"].iloc[0]) if len(thin) else 1.0,
        "county_accounts_listed": int(per_province["county_accounts_listed"].sum()),
        "provinces_with_county_accounts": int((per_province["county_accounts_listed"] > 0).sum()),
    }


def _load(scheme: str = "region_nbs4") -> pd.DataFrame:
    from analysis.data import datasets

    return province_coverage(
        datasets.load("police_weibo_coverage"), datasets.load("provinces"), scheme
    )


def coverage_values() -> dict[str, Any]:
    """Every coverage number the chapter and the findings registry quote."""
    per_province = _load()
    regions = region_coverage(per_province)
    out = verdict_summary(per_province, regions)
    for row in regions.itertuples():
        if row.region == "all":
            continue
        out[f"provincial_share_{row.region}"] = float(row.provincial_share)
        out[f"prefecture_coverage_{row.region}"] = float(row.prefecture_coverage)
        out[f"prefecture_low_{row.region}"] = float(row.low)
        out[f"prefecture_high_{row.region}"] = float(row.high)
        out[f"prefecture_coverage_strict_{row.region}"] = float(row.prefecture_coverage_strict)
        out[f"prefecture_divisions_{row.region}"] = int(row.prefecture_divisions)
        out[f"prefecture_areas_listed_{row.region}"] = int(row.prefecture_areas_listed)
        out[f"county_accounts_{row.region}"] = int(row.county_accounts_listed)
    three = region_coverage(_load("region_3"))
    three = three.loc[three["region"] != "all"]
    lowest = three.loc[three["prefecture_coverage"].idxmin()]
    out["three_belt_min_region"] = str(lowest["region"])
    out["three_belt_min_coverage"] = float(lowest["prefecture_coverage"])
    out["three_belt_min_low"] = float(lowest["low"])
    return out


_REGION_LABELS = {
    "east": "East",
    "central": "Central",
    "west": "West",
    "northeast": "Northeast",
    "all": "All",
}


def _pct(value: float) -> str:
    return "" if pd.isna(value) else f"{100 * value:.1f}"


def region_table() -> pd.DataFrame:
    """Table: coverage by region and level (lower bounds, so no sampling interval)."""
    regions = region_coverage(_load())
    table = pd.DataFrame(
        {
            "Region (NBS)": regions["region"].map(_REGION_LABELS),
            "Provinces": regions["provinces"],
            "With provincial account": regions["provinces_with_provincial_account"],
            "Prefecture divisions (2013)": regions["prefecture_divisions"],
            "Prefecture areas listed": regions["prefecture_areas_listed"],
            "Prefecture coverage (%)": regions["prefecture_coverage"].map(_pct),
            "Strict: 2013 codes (%)": regions["prefecture_coverage_strict"].map(_pct),
            "County accounts listed": regions["county_accounts_listed"],
        }
    )
    table.attrs["note"] = (
        f"{LIST_CAVEAT} Municipalities have no prefecture level and are left out of the "
        "prefecture ratio. Every share is a lower bound: the list is a near-census of one "
        "curated list, not a sample, so no sampling interval is shown. 'Strict' counts only "
        "listed areas whose code is "
        f"in the 2013 list (areas re-coded later are missed). {COUNTY_CAVEAT}"
    )
    return table


def thinnest_table() -> pd.DataFrame:
    """Table: provinces where not every prefecture-level division has a listed account."""
    thin = thinnest(_load())
    table = pd.DataFrame(
        {
            "Province": thin["province"],
            "Region (NBS)": thin["region"].astype(str).map(_REGION_LABELS),
            "Prefecture divisions (2013)": thin["prefecture_divisions"],
            "Areas listed": thin["prefecture_areas_listed"],
            "Areas with a 2013 code": thin["prefecture_areas_2013_codes"],
            "Coverage (%)": thin["prefecture_coverage"].map(_pct),
            "Strict coverage (%)": thin["prefecture_coverage_strict"].map(_pct),
        }
    )
    table.attrs["note"] = (
        f"{LIST_CAVEAT} Listed areas are capped at the 2013 divisions; an area listed under a "
        "code created after 2013 counts in 'Areas listed' but not in 'Areas with a 2013 code'."
    )
    return table


def region_title(regions: pd.DataFrame) -> str:
    """The figure's point, computed: the lowest region's coverage, as a floor for all."""
    lowest = regions.loc[regions["prefecture_coverage"].idxmin()]
    floor = int(100 * lowest["prefecture_coverage"])
    return (
        f"In every region, at least {floor}% of prefecture-level\n"
        "divisions have a listed police Weibo account"
    )


def region_figure():
    """Figure: prefecture coverage by region on both measures (lower bounds, no intervals)."""
    import matplotlib.pyplot as plt

    from analysis.topics import figures

    figures.theme()
    regions = region_coverage(_load())
    regions = regions.loc[regions["region"] != "all"].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    labels = regions["region"].map(_REGION_LABELS).tolist()
    y = np.arange(len(regions))[::-1]
    colors = figures.palette(2)
    for offset, column, label, color in (
        (0.12, "prefecture_coverage", "Listed areas", colors[0]),
        (-0.12, "prefecture_coverage_strict", "Only areas with a 2013 code", colors[1]),
    ):
        ax.plot(100 * regions[column].to_numpy(), y + offset, "o", color=color, label=label)
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 102)
    ax.set_xlabel("Prefecture-level divisions with a listed police Weibo account (%)")
    ax.set_title(region_title(regions), loc="left")
    ax.legend(loc="center left", frameon=False, fontsize="small")
    fig.text(
        0.01,
        0.01,
        "Source: curated list of police Weibo accounts (2022-2023); MCA divisions 2013. "
        "Shares are lower bounds: the list can miss accounts.",
        fontsize="x-small",
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig
