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

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import ModelInputError
from analysis.topics.inputs import require_columns
from analysis.topics.wording import counted

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
    def df_words(self) -> str:
        """The residual degrees of freedom in words ("1 residual degree of freedom")."""
        return counted(self.df_resid, "residual degree of freedom", "residual degrees of freedom")

    @property
    def caveat(self) -> str:
        """Plain statement of how far the fit can be trusted."""
        if self.df_resid == 0:
            return (
                f"{self.n_points} points for 3 parameters: the curve passes through every point "
                "and no interval can be estimated"
            )
        text = (
            f"{self.n_points} points for 3 parameters ({self.df_words}): any parameter read "
            "from the curve is loosely determined and rests on the log-normal error assumption"
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
    p0 = (float(log_y.max()) + np.log(1.5), 4.0 / span, float(np.median(t)))
    try:
        with warnings.catch_warnings():  # no covariance with 3 points: reported as no interval
            warnings.simplefilter("ignore", optimize.OptimizeWarning)
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


# --- artifacts ---------------------------------------------------------------------------------

MIN_YEARS_TO_ANNUALISE = 0.5  # shorter steps give explosive annualised rates; shown blank


def _counts() -> pd.DataFrame:
    from analysis.data import datasets

    return datasets.load("account_counts")


def fitted_logistic(
    counts: pd.DataFrame, series: str = FIT_SERIES, include_derived: bool = True
) -> LogisticFit:
    """The logistic curve fitted to the documented totals of one consistent series."""
    points = series_points(counts, series)
    points = points.loc[points["certainty"] == "documented"]
    if not include_derived:
        points = points.loc[~points["derived"]]
    return fit_logistic(decimal_year(points["date"]), points["count"].to_numpy(float))


def _year_month(t: float) -> str:
    year = int(np.floor(t))
    month = min(12, int((t - year) * 12) + 1)
    return f"{year}-{month:02d}"


def _num(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def five_year_floor(earliest: float, end: float, years: float = CLAIM_YEARS) -> float:
    """The least average annual growth over ``years`` to ``end``, if the count never fell
    before its earliest documented value: the count at the start of the span was at most
    ``earliest``, so the rate is at least (end / earliest) ** (1 / years) - 1."""
    return float((end / earliest) ** (1 / years) - 1)


def diffusion_values() -> dict[str, object]:
    """Every diffusion number the chapter and the findings registry quote."""
    counts = _counts()
    out: dict[str, object] = {}

    series, growth, window = longest_window(counts)
    steps = growth_steps(window)
    out |= {
        "claim_years": CLAIM_YEARS,
        "claim_growth": CLAIM_GROWTH,
        "cagr": growth.rate,
        "cagr_series": series,
        "cagr_series_label": SERIES_LABELS.get(series, series),
        "cagr_window_start": growth.start.strftime("%Y-%m-%d"),
        "cagr_window_end": growth.end.strftime("%Y-%m-%d"),
        "cagr_years": growth.years,
        "cagr_start_count": int(growth.start_count),
        "cagr_end_count": int(growth.end_count),
        "cagr_start_derived": "yes" if bool(window["derived"].iloc[0]) else "no",
        "five_years_documented": "yes" if growth.covers_request else "no",
        "years_short_of_claim": max(0.0, CLAIM_YEARS - growth.years),
        "growth_mean_arithmetic": float(steps["growth"].mean()),
        "growth_steps": len(steps),
        "growth_steps_above_claim": int((steps["growth"] > CLAIM_GROWTH).sum()),
        "growth_latest": float(steps["growth"].iloc[-1]),
        "growth_latest_year": int(steps["to"].iloc[-1].year),
        "implied_start_at_claim": float(growth.end_count / (1 + CLAIM_GROWTH) ** CLAIM_YEARS),
        "implied_start_year": int(growth.end.year - CLAIM_YEARS),
        # covering the span, the window's own rate is the average; else only a floor exists
        "cagr_five_year_floor": growth.rate
        if growth.covers_request
        else five_year_floor(growth.start_count, growth.end_count),
    }
    for step in steps.itertuples():
        out[f"growth_{step.to.year}"] = float(step.growth)
        out[f"annualised_{step.to.year}"] = float(step.annualised)
    printed = window.loc[~window["derived"]]
    if len(printed) >= 2:
        strict = compound_growth(
            printed["date"].iloc[0],
            printed["count"].iloc[0],
            printed["date"].iloc[-1],
            printed["count"].iloc[-1],
            CLAIM_YEARS,
        )
        out |= {
            "cagr_printed_only": strict.rate,
            "cagr_printed_only_start": strict.start.strftime("%Y-%m-%d"),
            "cagr_printed_only_years": strict.years,
            "cagr_five_year_floor_printed_only": five_year_floor(
                printed["count"].iloc[0], printed["count"].iloc[-1]
            ),
        }

    comparison = claim_comparison(counts)
    missing = []
    for row in comparison.itertuples():
        out[f"oped_{row.platform}"] = int(row.claim_count)
        out[f"oped_{row.platform}_bound"] = row.claim_bound
        if row.documented_count is None or pd.isna(row.documented_count):
            missing.append(row.platform)
            continue
        out[f"documented_{row.platform}"] = int(row.documented_count)
        out[f"documented_{row.platform}_date"] = pd.Timestamp(row.documented_date).strftime(
            "%Y-%m-%d"
        )
        out[f"documented_{row.platform}_platform"] = row.documented_platform
        out[f"documented_{row.platform}_source"] = row.documented_source
        out[f"difference_{row.platform}"] = int(row.difference)
        out[f"ratio_{row.platform}"] = float(row.ratio)
    out["oped_platforms_without_documented_count"] = missing
    if {"oped_sina", "oped_tencent", "documented_all_platforms"} <= out.keys():
        both = int(out["oped_sina"]) + int(out["oped_tencent"])
        out["oped_sina_plus_tencent"] = both
        out["oped_sina_plus_tencent_minus_documented_all"] = both - int(
            out["documented_all_platforms"]
        )
    if {"documented_sina", "documented_all_platforms"} <= out.keys():
        # Seed 003's Tencent figure has no documented count to compare with; the documented
        # four-platform total minus the documented Sina count bounds it from above.
        room = int(out["documented_all_platforms"]) - int(out["documented_sina"])
        out["tencent_room"] = float(room)
        out["tencent_room_low"] = 0.0
        if "oped_tencent" in out:
            out["oped_tencent_minus_room"] = int(out["oped_tencent"]) - room
            out["oped_tencent_over_room"] = int(out["oped_tencent"]) / room

    fit = fitted_logistic(counts)
    out |= {
        "fit_series": FIT_SERIES,
        "fit_points": fit.n_points,
        "fit_df": fit.df_resid,
        "fit_df_words": fit.df_words,
        "fit_caveat": fit.caveat,
        "fit_first_year": int(np.floor(fit.t_range[0])),
        "fit_last_year": int(np.floor(fit.t_range[1])),
        "K": fit.K,
        "r": fit.r,
        "t0": fit.t0,
        "t0_month": _year_month(fit.t0),
        "fit_residual_sd": _num(fit.residual_sd),
        "ceiling_at_bound": "yes" if fit.ceiling_at_bound else "no",
        "ceiling_sentence": (
            "The fitted ceiling sits at the edge of the range the fit allows, a sign that the "
            "data cannot identify it."
            if fit.ceiling_at_bound
            else "The fitted ceiling lies inside the range the fit allows, but "
            f"{fit.n_points} points do not pin it down."
        ),
        "share_of_ceiling_reached": float(growth.end_count / fit.K),
    }
    try:  # sensitivity: without counts the project derived (leaves too few points, or none)
        printed_fit = fitted_logistic(counts, include_derived=False)
        out["K_printed_only"] = printed_fit.K
        out["fit_printed_only_points"] = printed_fit.n_points
        out["fit_printed_only_caveat"] = printed_fit.caveat
    except ModelInputError as exc:
        out["K_printed_only"] = None
        out["fit_printed_only_caveat"] = str(exc)
    for name in LOGISTIC_PARAMETERS:
        interval = fit.intervals[name]
        out[f"{name}_low"] = None if interval is None else interval[0]
        out[f"{name}_high"] = None if interval is None else interval[1]

    shares = police_shares(counts)
    national = shares.loc[shares["where"] == "national"]
    for row in shares.itertuples():
        suffix = "" if row.where == "national" else f"_{row.where}"
        out[f"police_share_{row.platform}_{row.date.year}{suffix}"] = float(row.share)
    out["police_share_pairs"] = len(shares)
    if not national.empty:
        out["police_share_national_min"] = float(national["share"].min())
        out["police_share_national_max"] = float(national["share"].max())
    return out | most_followed(counts)


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


def _count_text(count: int, bound: str) -> str:
    return f"{BOUND_MARKS.get(bound, '')}{count:,}"


def counts_table() -> pd.DataFrame:
    """Table: every documented national or provincial total, by series and date."""
    rows = totals(_counts())
    rows = pd.concat(
        [rows, _counts().loc[lambda f: f["subgroup"].isna() & f["province_code"].notna()]]
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
                _count_text(c, str(b)) for c, b in zip(rows["count"], rows["bound"], strict=True)
            ],
            "Derived": np.where(rows["derived"], "yes", ""),
            "Certainty": rows["certainty"].astype(str),
            "Source": rows["source"],
        }
    )
    table.attrs["note"] = (
        "Documented counts of accounts as of each date (stocks), from account_counts. A date "
        "given only as a month or year is the last day of that period. 'Derived' counts were "
        "computed from printed figures; uncertain and disputed rows are explained in the data."
    )
    return table.reset_index(drop=True)


def growth_table() -> pd.DataFrame:
    """Table: growth between consecutive counts of each series of comparable definition."""
    rows = totals(_counts())
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


def claim_table() -> pd.DataFrame:
    """Table: the op-ed's (seed 003) counts beside the documented counts they can be set against."""
    comparison = claim_comparison(_counts())
    documented = comparison["documented_count"]
    table = pd.DataFrame(
        {
            "Platform (op-ed)": comparison["platform"].map(PLATFORM_LABELS),
            "Op-ed count": [
                _count_text(c, b)
                for c, b in zip(comparison["claim_count"], comparison["claim_bound"], strict=True)
            ],
            "Documented count": [
                "none documented" if pd.isna(c) else _count_text(int(c), str(b))
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
    table.attrs["note"] = (
        "Op-ed: Ma, China Daily, 18 Feb 2014 (seed 003). Each op-ed count is set against the "
        "latest documented count of the same or the nearest comparable platform dated at most "
        "six months before it. Difference = op-ed - documented; ratio = op-ed / documented."
    )
    return table


def police_share_table() -> pd.DataFrame:
    """Table: police accounts as a share of government accounts, same date and platform."""
    shares = police_shares(_counts())
    table = pd.DataFrame(
        {
            "Date": shares["date"].dt.strftime("%Y-%m-%d"),
            "Platform": shares["platform"].astype(str).map(PLATFORM_LABELS),
            "Accounts": shares["account_kind"].astype(str),
            "Where": shares["where"],
            "Police": [
                _count_text(c, str(b))
                for c, b in zip(shares["count_police"], shares["bound_police"], strict=True)
            ],
            "Government": [
                _count_text(c, str(b))
                for c, b in zip(shares["count_government"], shares["bound_government"], strict=True)
            ],
            "Police share (%)": (100 * shares["share"]).round(1),
            "Source": shares["source_police"],
        }
    )
    table.attrs["note"] = (
        "Only dates where one source counts both police and all government accounts on the "
        "same platform. 'Where' is national or a province code."
    )
    return table


def counts_figure():
    """Figure: documented counts over time (log scale) with the fitted logistic curve."""
    import matplotlib.pyplot as plt

    from analysis.topics import figures

    figures.theme()
    counts = _counts()
    rows = totals(counts)
    shown = [
        "cnsa_four_platforms",
        "sina_government",
        "tencent_government",
        "wechat_government",
        "police_national",
    ]
    fig, ax = plt.subplots(figsize=(9, 4.6))
    colors = figures.palette(len(shown) + 1)
    markers = ["o", "s", "^", "D", "v"]
    grew: list[bool] = []
    for series, color, marker in zip(shown, colors, markers, strict=False):
        part = rows.loc[(rows["series"] == series) & (rows["certainty"] == "documented")]
        kinds = [k for k in ("all", "institutional") if (part["account_kind"] == k).any()]
        part = part.loc[part["account_kind"] == kinds[0]] if kinds else part
        part = part.drop_duplicates("date", keep="last")
        if part.empty:
            continue
        if len(part) > 1:
            ordered = part.sort_values("date")["count"]
            grew.append(bool(ordered.iloc[-1] > ordered.iloc[0]))
        ax.plot(
            part["date"],
            part["count"],
            marker=marker,
            linestyle="none",
            color=color,
            label=SERIES_LABELS[series],
        )
    claims = rows.loc[rows["series"] == CLAIM_SERIES]
    ax.scatter(
        claims["date"],
        claims["count"],
        marker="*",
        s=120,
        color=colors[-1],
        zorder=4,
        label="Op-ed counts (seed 003)",
    )

    fit = fitted_logistic(counts)
    grid = np.linspace(fit.t_range[0] - 0.5, fit.t_range[1] + 3, 200)
    dates = pd.to_datetime((grid - 1970) * DAYS_PER_YEAR, unit="D", origin="unix")
    k_text = f"K = {fit.K:,.0f}"
    if fit.intervals["K"] is not None:
        low, high = fit.intervals["K"]
        k_text += f"\n(95% interval {low:,.0f}-{high:,.0f})"
    ax.plot(
        dates,
        fit.predict(grid),
        color=colors[0],
        linewidth=1.5,
        label=f"Logistic fit to the CNSA series\n{k_text}",
    )
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel("Date")
    ax.set_ylabel("Accounts (log scale)")
    if grew and all(grew):
        title = "Every documented series of government and police accounts grew"
    elif grew and not any(grew):
        title = "Every documented series of government and police accounts fell"
    else:
        title = "Documented counts of government and police accounts moved in both directions"
    ax.set_title(title, loc="left")
    ax.legend(frameon=False, fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.text(
        0.01,
        0.005,
        f"Sources: account_counts (see the table of counts for each source). Fit: {fit.caveat}.",
        fontsize=7,
        color="0.35",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


# --- government WeChat at the end of 2013 ------------------------------------------------------


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
        "police_share_pct": _num(police_row["share_pct"]),
        "police_rank": int(by_sector.index[police][0]) + 1,
        "runner_up_sector": str(runner_up["category"]),
        "runner_up_accounts": int(runner_up["accounts"]),
        "police_over_runner_up": float(police_row["accounts"] / runner_up["accounts"]),
    }
    levels = sectors.loc[sectors["breakdown"] == "admin_level"]
    for row in levels.itertuples():
        key = str(row.row_id).removeprefix("level-").replace("-", "_")
        out[f"share_pct_{key}"] = _num(row.share_pct)
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
