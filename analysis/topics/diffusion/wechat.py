"""Government WeChat at the end of 2013 (CUC report): the police sector among the others."""

from __future__ import annotations

import pandas as pd

from analysis.errors import ModelInputError
from analysis.topics.diffusion.counts import finite_or_none


def _wechat() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from analysis.data import datasets

    return (
        datasets.load("wechat_sectors_2013"),
        datasets.load("wechat_provinces_2013"),
        datasets.load("provinces"),
    )


def wechat_values() -> dict[str, object]:
    """Government WeChat at end 2013 (CUC report): the police sector's rank and lead, the
    share at district/county level and below, and the regions of the ten leading provinces."""
    sectors, ranked, provinces = _wechat()
    by_sector = sectors.loc[sectors["breakdown"] == "sector"].dropna(subset=["accounts"])
    by_sector = by_sector.sort_values("accounts", ascending=False).reset_index(drop=True)
    if len(by_sector) < 2:
        raise ModelInputError(
            f"wechat: expected at least 2 sectors with counts, found {len(by_sector)}"
        )
    police = by_sector["row_id"].str.contains("police")
    if not police.any():
        raise ModelInputError("wechat: expected a police sector row (row_id containing 'police')")
    police_row = by_sector.loc[police].iloc[0]
    runner_up = by_sector.loc[~police].iloc[0]
    out: dict[str, object] = {
        "police_accounts": int(police_row["accounts"]),
        "police_share_pct": finite_or_none(police_row["share_pct"]),
        "police_rank": int(by_sector.index[police][0]) + 1,
        "runner_up_sector": str(runner_up["category"]),
        "runner_up_accounts": int(runner_up["accounts"]),
        "police_over_runner_up": float(police_row["accounts"] / runner_up["accounts"]),
    }
    levels = sectors.loc[sectors["breakdown"] == "admin_level"]
    for row in levels.itertuples():
        key = str(row.row_id).removeprefix("level-").replace("-", "_")
        out[f"share_pct_{key}"] = finite_or_none(row.share_pct)
    regions = ranked.merge(
        provinces[["adcode", "region_nbs4"]], left_on="province_code", right_on="adcode"
    )
    counts = regions["region_nbs4"].astype(str).value_counts()
    out["top_provinces"] = len(regions)
    for region in ("east", "central", "west", "northeast"):
        out[f"top_provinces_{region}"] = int(counts.get(region, 0))
    out["top_provinces_uncertain"] = int((regions["certainty"] != "documented").sum())
    return out


def wechat_sectors_table() -> pd.DataFrame:
    """Table: government WeChat accounts at end 2013 by sector and the leading provinces."""
    sectors, ranked, provinces = _wechat()
    rows = sectors.loc[sectors["breakdown"] == "sector"]
    table = pd.DataFrame(
        {
            "Sector": rows["category"],
            "Accounts": rows["accounts"].map(lambda v: "" if pd.isna(v) else f"{int(v):,}"),
            "Share (%)": rows["share_pct"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}"),
            "Source": rows["source"],
        }
    )
    table.attrs["cite"] = ["Source"]  # wechat_sectors_2013's source field: bibliography keys
    names = ranked.merge(
        provinces[["adcode", "name_pinyin"]], left_on="province_code", right_on="adcode"
    ).sort_values("rank")
    table.attrs["note"] = (
        "Government WeChat accounts at 31 December 2013, as reported by the Communication "
        "University of China (shares as printed; blank where not reported). Leading provinces "
        "in rank order: "
        + ", ".join(names["name_pinyin"])
        + ". "
        + " ".join(names.loc[names["certainty"] != "documented", "note"].dropna())
    )
    return table
