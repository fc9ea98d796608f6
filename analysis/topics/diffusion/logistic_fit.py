"""The logistic curve fitted to one consistent series of counts, and the figure that shows it.

The fit is made on the log scale (multiplicative errors, since counts span orders of magnitude)
and its intervals come from the covariance with Student-t quantiles on n - 3 degrees of
freedom: with four or five points they are wide, and the result says so.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import ModelInputError
from analysis.topics.diffusion.counts import (
    CLAIM_SERIES,
    DAYS_PER_YEAR,
    SERIES_LABELS,
    load_counts,
    series_points,
    totals,
)
from analysis.topics.wording import counted

LOGISTIC_PARAMETERS = ("K", "r", "t0")
FIT_SERIES = "cnsa_four_platforms"


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


def fitted_logistic(
    counts: pd.DataFrame, series: str = FIT_SERIES, include_derived: bool = True
) -> LogisticFit:
    """The logistic curve fitted to the documented totals of one consistent series."""
    points = series_points(counts, series)
    points = points.loc[points["certainty"] == "documented"]
    if not include_derived:
        points = points.loc[~points["derived"]]
    return fit_logistic(decimal_year(points["date"]), points["count"].to_numpy(float))


def year_month(t: float) -> str:
    """A decimal year as "YYYY-MM"."""
    year = int(np.floor(t))
    month = min(12, int((t - year) * 12) + 1)
    return f"{year}-{month:02d}"


def counts_figure():
    """Figure: documented counts over time (log scale) with the fitted logistic curve."""
    import matplotlib.pyplot as plt

    from analysis.topics import figures

    figures.theme()
    counts = load_counts()
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
