"""Growth of the documented counts: step by step, compounded over the longest documented window,
and the floor on five-year growth that the op-ed's claim (seed 003) is checked against."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.errors import ModelInputError
from analysis.topics.diffusion.counts import (
    CLAIM_SERIES,
    DAYS_PER_YEAR,
    PLATFORM_LABELS,
    SERIES_LABELS,
    load_counts,
    totals,
)

CLAIM_YEARS = 5  # seed 003: "in the past five years"
CLAIM_END_YEAR = 2013  # seed 003 writes in February 2014 about the end of last year
CLAIM_GROWTH = 1.0  # seed 003: "more than 100 percent"
MIN_YEARS_TO_ANNUALISE = 0.5  # shorter steps give explosive annualised rates; shown blank


@dataclass(frozen=True)
class CompoundGrowth:
    """Compound annual growth between two dated counts, naming the window actually used."""

    start: pd.Timestamp
    end: pd.Timestamp
    start_count: float
    end_count: float
    years: float
    rate: float
    requested_years: float

    @property
    def covers_request(self) -> bool:
        """Whether the documented window is as long as the claim's (within a month)."""
        return self.years >= self.requested_years - 1 / 12


def compound_growth(
    start: pd.Timestamp, start_count: float, end: pd.Timestamp, end_count: float, requested: float
) -> CompoundGrowth:
    """(end / start) ** (1 / years) - 1 over the elapsed time in years."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    years = (end - start).days / DAYS_PER_YEAR
    if years <= 0:
        raise ModelInputError(
            f"compound growth: expected the end date after the start date, found start "
            f"{start.date()} and end {end.date()}"
        )
    if start_count <= 0 or end_count <= 0:
        raise ModelInputError(
            f"compound growth: expected positive counts, found {start_count} and {end_count}"
        )
    rate = (end_count / start_count) ** (1 / years) - 1
    return CompoundGrowth(start, end, start_count, end_count, years, float(rate), requested)


def growth_steps(points: pd.DataFrame) -> pd.DataFrame:
    """Growth between consecutive counts of one series: ratio, elapsed years, annualised rate."""
    if len(points) < 2:
        raise ModelInputError(
            f"growth: expected at least 2 dated counts in the series, found {len(points)}"
        )
    if (points["count"] <= 0).any():
        raise ModelInputError(
            f"growth: expected positive counts, found {points['count'].min()} on "
            f"{points.loc[points['count'] <= 0, 'date'].iloc[0]:%Y-%m-%d}"
        )
    start, end = points.iloc[:-1].reset_index(drop=True), points.iloc[1:].reset_index(drop=True)
    years = (end["date"] - start["date"]).dt.days / DAYS_PER_YEAR
    ratio = end["count"].to_numpy(float) / start["count"].to_numpy(float)
    return pd.DataFrame(
        {
            "from": start["date"],
            "to": end["date"],
            "from_count": start["count"].to_numpy(),
            "to_count": end["count"].to_numpy(),
            "years": years.to_numpy(),
            "growth": ratio - 1,
            "annualised": ratio ** (1 / years.to_numpy()) - 1,
            "from_derived": start["derived"].to_numpy(),
            "certainty": [
                "documented" if a == b == "documented" else "uncertain"
                for a, b in zip(
                    start["certainty"].astype(str), end["certainty"].astype(str), strict=True
                )
            ],
        }
    )


def longest_window(
    counts: pd.DataFrame, end_year: int = CLAIM_END_YEAR, requested: float = CLAIM_YEARS
) -> tuple[str, CompoundGrowth, pd.DataFrame]:
    """The longest documented window ending in ``end_year`` within one series of all accounts.

    Only series of comparable definition qualify (not the claim itself, not one-off estimates)
    and only rows marked documented (not uncertain or disputed); returns the series, its
    compound growth and the points inside the window.
    """
    best: tuple[str, CompoundGrowth, pd.DataFrame] | None = None
    rows = totals(counts)
    candidates = rows.loc[
        (rows["account_kind"] == "all")
        & (rows["sector"] == "government_all")
        & ~rows["series"].isin([CLAIM_SERIES, "other_estimates"])
        & (rows["certainty"] == "documented")
    ]
    for series, group in candidates.groupby("series", observed=True):
        group = group.sort_values("date")
        ending = group.loc[group["date"].dt.year == end_year]
        if ending.empty or group["date"].min() >= ending["date"].max():
            continue
        last = ending.iloc[-1]
        first = group.iloc[0]
        growth = compound_growth(
            first["date"], first["count"], last["date"], last["count"], requested
        )
        if best is None or growth.years > best[1].years:
            window = group.loc[(group["date"] >= first["date"]) & (group["date"] <= last["date"])]
            best = (str(series), growth, window.reset_index(drop=True))
    if best is None:
        raise ModelInputError(
            f"growth: no series of all government accounts has two dated counts ending in "
            f"{end_year}; cannot check the claimed {requested}-year growth"
        )
    return best


def five_year_floor(earliest: float, end: float, years: float = CLAIM_YEARS) -> float:
    """The least average annual growth over ``years`` to ``end``, if the count never fell
    before its earliest documented value: the count at the start of the span was at most
    ``earliest``, so the rate is at least (end / earliest) ** (1 / years) - 1."""
    return float((end / earliest) ** (1 / years) - 1)


def growth_table() -> pd.DataFrame:
    """Table: growth between consecutive counts of each series of comparable definition."""
    rows = totals(load_counts())
    rows = rows.loc[
        ~rows["series"].isin([CLAIM_SERIES, "other_estimates"])
        & (rows["certainty"] == "documented")
    ]
    parts = []
    for (series, sector, kind, platform), group in rows.groupby(
        ["series", "sector", "account_kind", "platform"], observed=True
    ):
        points = group.drop_duplicates("date", keep="last").sort_values("date")
        if len(points) < 2:
            continue
        steps = growth_steps(points.reset_index(drop=True))
        steps.insert(0, "Series", SERIES_LABELS.get(series, series))
        steps.insert(
            1,
            "Accounts",
            f"{str(sector).replace('_', ' ')}, {kind}, {PLATFORM_LABELS.get(platform, platform)}",
        )
        parts.append(steps)
    steps = pd.concat(parts, ignore_index=True)
    short = steps["years"] < MIN_YEARS_TO_ANNUALISE
    table = pd.DataFrame(
        {
            "Series": steps["Series"],
            "Accounts": steps["Accounts"],
            "From": steps["from"].dt.strftime("%Y-%m-%d"),
            "To": steps["to"].dt.strftime("%Y-%m-%d"),
            "From count": steps["from_count"].map("{:,}".format),
            "To count": steps["to_count"].map("{:,}".format),
            "Years": steps["years"].round(2),
            "Growth (%)": (100 * steps["growth"]).round(1),
            "Annualised (%)": (100 * steps["annualised"]).round(1).where(~short),
            "Flag": [
                "; ".join(
                    filter(None, ["start derived" if d else "", "" if c == "documented" else c])
                )
                for d, c in zip(steps["from_derived"], steps["certainty"], strict=True)
            ],
        }
    )
    table.attrs["note"] = (
        "Growth = later count / earlier count - 1; annualised = (ratio)^(1/years) - 1, left "
        f"blank for steps shorter than {MIN_YEARS_TO_ANNUALISE} years. Only counts marked "
        "documented are used (uncertain and disputed rows are left out); counts qualified as "
        "'about' or 'over' are used as printed."
    )
    return table
