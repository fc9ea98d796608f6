"""Diffusion of government and police accounts: documented counts, growth rates, a logistic curve.

Everything here reads the documented ``account_counts`` resource. The checks follow the source
claims: the op-ed's (ma2014chinadaily) "average annual growth of more than 100 percent in the
past five years" is tested on the longest documented window that ends in 2013, and the result
names that window, so a reader sees when five years of data do not exist. The logistic fit is
made on the log scale (multiplicative errors, since counts span orders of magnitude) and its
intervals come from the covariance with Student-t quantiles on n - 3 degrees of freedom: with
four or five points they are wide, and the result says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import ModelInputError

LOGISTIC_PARAMETERS = ("K", "r", "t0")
DAYS_PER_YEAR = 365.25


def decimal_year(dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Dates as decimal years (2013-12-31 -> about 2013.997), the time axis of every fit."""
    stamps = pd.DatetimeIndex(pd.to_datetime(dates))
    start = pd.DatetimeIndex(pd.to_datetime(stamps.year.astype(str) + "-01-01"))
    return stamps.year.to_numpy() + (stamps - start).days.to_numpy() / DAYS_PER_YEAR


def logistic(t: np.ndarray | float, K: float, r: float, t0: float) -> np.ndarray:
    """The logistic curve K / (1 + exp(-r (t - t0))): ceiling K, growth rate r, midpoint t0."""
    return K * np.exp(-np.logaddexp(0.0, -r * (np.asarray(t, dtype=float) - t0)))


def _log_logistic(t: np.ndarray, log_k: float, r: float, t0: float) -> np.ndarray:
    return log_k - np.logaddexp(0.0, -r * (t - t0))


@dataclass(frozen=True)
class LogisticFit:
    """A fitted logistic curve with 95% intervals (None where the data cannot give one)."""

    K: float
    r: float
    t0: float
    intervals: dict[str, tuple[float, float] | None]
    n_points: int
    df_resid: int
    residual_sd: float | None  # on the log scale
    t_range: tuple[float, float]
    ceiling_at_bound: bool

    def predict(self, t: np.ndarray | float) -> np.ndarray:
        """Fitted counts at decimal years ``t``."""
        return logistic(t, self.K, self.r, self.t0)

    @property
    def caveat(self) -> str:
        """Plain statement of how far the fit can be trusted."""
        if self.df_resid == 0:
            return (
                f"{self.n_points} points for 3 parameters: the curve passes through every point "
                "and no interval can be estimated"
            )
        text = (
            f"{self.n_points} points for 3 parameters ({self.df_resid} residual degrees of "
            "freedom): intervals are wide and rest on the log-normal error assumption"
        )
        if self.ceiling_at_bound:
            text += "; the ceiling K hit its search bound, so the data do not identify it"
        return text


def fit_logistic(t: np.ndarray, counts: np.ndarray, level: float = 0.95) -> LogisticFit:
    """Fit K / (1 + exp(-r (t - t0))) to counts on the log scale, with t-based Wald intervals.

    Refuses (ModelInputError) with fewer distinct points than parameters or non-positive counts.
    """
    from scipy import optimize, stats

    t = np.asarray(t, dtype=float)
    y = np.asarray(counts, dtype=float)
    if t.shape != y.shape or t.ndim != 1:
        raise ModelInputError(
            f"logistic fit: expected two 1-d arrays of equal length, found shapes {t.shape} "
            f"and {y.shape}"
        )
    if not (np.isfinite(t).all() and np.isfinite(y).all()):
        raise ModelInputError("logistic fit: expected finite times and counts, found NaN or inf")
    n_distinct = len(np.unique(t))
    if n_distinct < len(LOGISTIC_PARAMETERS):
        raise ModelInputError(
            f"logistic fit: expected at least {len(LOGISTIC_PARAMETERS)} points at distinct "
            f"dates to estimate K, r and t0, found {n_distinct}"
        )
    if (y <= 0).any():
        raise ModelInputError(
            f"logistic fit: expected positive counts (fitted on the log scale), found "
            f"{y[y <= 0].tolist()}"
        )

    log_y = np.log(y)
    span = max(float(t.max() - t.min()), 1.0)
    max_log_k = float(log_y.max()) + np.log(1e4)
    lower = (float(log_y.max()) - np.log(10.0), 1e-3, float(t.min()) - 10 * span)
    upper = (max_log_k, 50.0, float(t.max()) + 10 * span)
    p0 = (float(log_y.max()) + np.log(1.5), 2.0 / span * 2, float(np.median(t)))
    try:
        params, cov = optimize.curve_fit(
            _log_logistic, t, log_y, p0=p0, bounds=(lower, upper), max_nfev=20000
        )
    except (RuntimeError, ValueError) as exc:
        raise ModelInputError(f"logistic fit did not converge: {exc}") from None

    log_k, r, t0 = (float(p) for p in params)
    df = len(t) - len(LOGISTIC_PARAMETERS)
    residuals = log_y - _log_logistic(t, log_k, r, t0)
    intervals: dict[str, tuple[float, float] | None] = dict.fromkeys(LOGISTIC_PARAMETERS)
    sd: float | None = None
    if df > 0:
        sd = float(np.sqrt(np.sum(residuals**2) / df))
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        if np.isfinite(se).all():
            q = float(stats.t.ppf(0.5 + level / 2, df))
            low, high = params - q * se, params + q * se
            intervals = {
                "K": (float(np.exp(low[0])), float(np.exp(high[0]))),
                "r": (float(low[1]), float(high[1])),
                "t0": (float(low[2]), float(high[2])),
            }
    return LogisticFit(
        K=float(np.exp(log_k)),
        r=r,
        t0=t0,
        intervals=intervals,
        n_points=len(t),
        df_resid=df,
        residual_sd=sd,
        t_range=(float(t.min()), float(t.max())),
        ceiling_at_bound=bool(np.isclose(log_k, max_log_k, atol=1e-3)),
    )


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


# --- documented counts -------------------------------------------------------------------------

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
FIT_SERIES = "cnsa_four_platforms"
CLAIM_YEARS = 5  # seed 003: "in the past five years"
CLAIM_END_YEAR = 2013  # seed 003 writes in February 2014 about the end of last year
CLAIM_GROWTH = 1.0  # seed 003: "more than 100 percent"
# Op-ed platforms and the documented platforms each may be compared with, narrowest first.
COMPARABLE_PLATFORMS = {
    "sina": ("sina",),
    "tencent": ("tencent",),
    "all_platforms": ("all_platforms", "four_platforms", "several_platforms"),
    "wechat": ("wechat",),
}
COMPARISON_LOOKBACK = pd.Timedelta(days=183)  # a documented count at most six months older


def _require(counts: pd.DataFrame) -> None:
    missing = [c for c in COUNT_COLUMNS if c not in counts.columns]
    if missing:
        raise ModelInputError(
            f"diffusion: account_counts is missing column(s) {', '.join(missing)}; expected "
            f"{', '.join(COUNT_COLUMNS)}"
        )


def totals(counts: pd.DataFrame) -> pd.DataFrame:
    """National series totals: rows without a subgroup or a province, sorted by series and date."""
    _require(counts)
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


def growth_steps(points: pd.DataFrame) -> pd.DataFrame:
    """Growth between consecutive counts of one series: ratio, elapsed years, annualised rate."""
    if len(points) < 2:
        raise ModelInputError(
            f"growth: expected at least 2 dated counts in the series, found {len(points)}"
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

    Only series of comparable definition qualify (not the claim itself, not one-off estimates);
    returns the series, its compound growth and the points inside the window.
    """
    best: tuple[str, CompoundGrowth, pd.DataFrame] | None = None
    rows = totals(counts)
    candidates = rows.loc[
        (rows["account_kind"] == "all")
        & (rows["sector"] == "government_all")
        & ~rows["series"].isin([CLAIM_SERIES, "other_estimates"])
        & (rows["certainty"] != "disputed")
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


def police_shares(counts: pd.DataFrame) -> pd.DataFrame:
    """Police accounts as a share of government accounts where both are counted for the same
    date, platform, account kind and province (national or one province)."""
    _require(counts)
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
