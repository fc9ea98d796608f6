"""Police accounts as a share of government accounts: where one source counts both, and among
the most-followed accounts."""

from __future__ import annotations

import pandas as pd

from analysis.topics.diffusion.counts import COUNT_COLUMNS, PLATFORM_LABELS, count_text, load_counts
from analysis.topics.inputs import require_columns


def police_shares(counts: pd.DataFrame) -> pd.DataFrame:
    """Police accounts as a share of government accounts where both are counted for the same
    date, platform, account kind and province (national or one province)."""
    require_columns(counts, COUNT_COLUMNS, "diffusion: account_counts")
    base = counts.loc[counts["subgroup"].isna()].copy()
    base["where"] = base["province_code"].fillna("national")
    keys = ["date", "platform", "account_kind", "where"]
    police = base.loc[base["sector"] == "police"]
    government = base.loc[base["sector"] == "government_all"]
    pairs = police.merge(government, on=keys, suffixes=("_police", "_government"))
    pairs = pairs.assign(share=pairs["count_police"] / pairs["count_government"])
    return (
        pairs[
            [
                *keys,
                "count_police",
                "count_government",
                "share",
                "bound_police",
                "bound_government",
                "source_police",
                "source_government",
            ]
        ]
        .sort_values("date")
        .reset_index(drop=True)
    )


MOST_FOLLOWED_PATTERN = r"most followers"  # subgroups that rank accounts by their followers


def most_followed(counts: pd.DataFrame) -> dict[str, object]:
    """Police accounts among the government accounts with the most followers, from the latest
    ranking that counts both (seed 000's "influential" read as the audience accounts reach)."""
    require_columns(counts, COUNT_COLUMNS, "diffusion: account_counts")
    ranked = counts.loc[
        counts["subgroup"].fillna("").str.contains(MOST_FOLLOWED_PATTERN, regex=True)
        & (counts["certainty"] == "documented")
    ]
    keys = ["date", "platform", "subgroup"]
    pairs = ranked.loc[ranked["sector"] == "police"].merge(
        ranked.loc[ranked["sector"] == "government_all"], on=keys, suffixes=("", "_all")
    )
    if pairs.empty:
        return {"most_followed_rankings": 0}
    latest = pairs.sort_values("date").iloc[-1]
    return {
        "most_followed_rankings": len(pairs),
        "most_followed_police": int(latest["count"]),
        "most_followed_ranked": int(latest["count_all"]),
        "police_share_most_followed": int(latest["count"]) / int(latest["count_all"]),
        "most_followed_year": int(latest["date"].year),
        "most_followed_source": str(latest["source"]),
    }


def police_share_table() -> pd.DataFrame:
    """Table: police accounts as a share of government accounts, same date and platform."""
    shares = police_shares(load_counts())
    table = pd.DataFrame(
        {
            "Date": shares["date"].dt.strftime("%Y-%m-%d"),
            "Platform": shares["platform"].astype(str).map(PLATFORM_LABELS),
            "Accounts": shares["account_kind"].astype(str),
            "Where": shares["where"],
            "Police": [
                count_text(c, str(b))
                for c, b in zip(shares["count_police"], shares["bound_police"], strict=True)
            ],
            "Government": [
                count_text(c, str(b))
                for c, b in zip(shares["count_government"], shares["bound_government"], strict=True)
            ],
            "Police share (%)": (100 * shares["share"]).round(1),
            "Source": shares["source_police"],
        }
    )
    table.attrs["cite"] = ["Source"]  # account_counts' source field: bibliography keys
    table.attrs["note"] = (
        "Only dates where one source counts both police and all government accounts on the "
        "same platform. 'Where' is national or a province code."
    )
    return table
