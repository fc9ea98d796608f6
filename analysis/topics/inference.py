"""Exact post-level GLM fits from cell sufficient statistics, with account-clustered inference.

The engagement models are post-level Poisson and negative binomial (NB2, Var = mu + alpha mu^2)
regressions with a log link; the responsiveness model is a binomial logit of answered comments.
All covariates are constant within a cell (analysis.topics.modelframe), so for a fixed alpha the
post-level score, expected and observed information and each account's summed score depend on
the posts only through the cell's number of posts n, outcome total Y (and answered total).
The NB2 log-likelihood additionally needs sum_i lgamma(y_i + 1/alpha) over posts, which a
single frequency table of y gives. So this module maximises the *post-level* likelihood
exactly (Fisher scoring for beta, profile likelihood for alpha) at a cost independent of the
number of posts. The sandwich covariance clustered by account is the one statsmodels computes
on the post-level data (CRV1: bread = inverse observed Hessian, small-sample factor
G/(G-1) x (N-1)/(N-k), N = posts); tests/test_models.py checks both against statsmodels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from analysis.errors import ModelInputError

Z95 = float(stats.norm.ppf(0.975))
ALPHA_BOUNDS = (1e-6, 1e3)
_TOL = 1e-10


@dataclass
class Fit:
    """Coefficients, their clustered covariance and likelihood summaries of one model."""

    columns: tuple[str, ...]
    params: np.ndarray
    cov: np.ndarray
    loglik: float
    n_obs: int  # posts (or comments for the binomial model)
    n_groups: int
    alpha: float = 0.0  # NB2 dispersion; 0 for Poisson and binomial
    iterations: int = 0

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))


# --- count models (Poisson, NB2) -----------------------------------------------------------


def _count_weights(mu: np.ndarray, n: np.ndarray, alpha: float) -> np.ndarray:
    return n * mu / (1.0 + alpha * mu)


def _solve(matrix: np.ndarray, vector: np.ndarray, what: str) -> np.ndarray:
    try:
        return np.linalg.solve(matrix, vector)
    except np.linalg.LinAlgError:
        raise ModelInputError(
            f"{what}: the information matrix is singular at the current estimates (a level or "
            "column has no information); check the design for empty levels or collinear columns"
        ) from None


def fit_count_beta(
    x: np.ndarray,
    total: np.ndarray,
    n: np.ndarray,
    alpha: float,
    *,
    offset: np.ndarray | None = None,
    start: np.ndarray | None = None,
    what: str = "count model",
) -> tuple[np.ndarray, int]:
    """Post-level ML coefficients of a log-linear Poisson (alpha=0) or NB2 model, from cells."""
    offset = np.zeros(len(n)) if offset is None else offset
    if start is None:
        start = np.zeros(x.shape[1])
        start[0] = np.log(max(total.sum(), 0.5) / n.sum()) - offset.mean()
    beta = start.copy()
    mean = total / n
    for iteration in range(1, 101):
        eta = np.clip(x @ beta + offset, -700, 700)
        mu = np.exp(eta)
        w = _count_weights(mu, n, alpha)
        step = _solve(x.T @ (w[:, None] * x), x.T @ (w * (mean - mu) / mu), what)
        if not np.all(np.isfinite(step)):
            raise ModelInputError(f"{what}: the fit diverged (non-finite step)")
        beta += step
        if np.max(np.abs(step)) < 1e-9 * (1 + np.max(np.abs(beta))):
            return beta, iteration
    raise ModelInputError(f"{what}: Fisher scoring did not converge in 100 iterations")


def nb_loglik(
    mu: np.ndarray,
    total: np.ndarray,
    n: np.ndarray,
    alpha: float,
    histogram: tuple[np.ndarray, np.ndarray],
) -> float:
    """The post-level NB2 log-likelihood from cell means, cell totals and the value histogram."""
    values, freq = histogram
    r = 1.0 / alpha
    constant = float(
        freq @ (special.gammaln(values + r) - special.gammaln(r) - special.gammaln(values + 1.0))
    )
    return constant + float(
        (n * r * (np.log(r) - np.log(r + mu))).sum() + (total * (np.log(mu) - np.log(r + mu))).sum()
    )


def poisson_loglik(
    mu: np.ndarray, total: np.ndarray, n: np.ndarray, histogram: tuple[np.ndarray, np.ndarray]
) -> float:
    """The post-level Poisson log-likelihood from cells and the value histogram."""
    values, freq = histogram
    return float((total * np.log(mu)).sum() - (n * mu).sum() - freq @ special.gammaln(values + 1.0))


def fit_count(
    x: np.ndarray,
    columns: tuple[str, ...],
    total: np.ndarray,
    n: np.ndarray,
    groups: np.ndarray,
    histogram: tuple[np.ndarray, np.ndarray],
    *,
    family: str = "nb2",
    offset: np.ndarray | None = None,
    what: str = "count model",
) -> Fit:
    """Post-level Poisson or NB2 ML fit (alpha by profile likelihood) with clustered covariance."""
    n_obs = int(n.sum())
    beta, iterations = fit_count_beta(x, total, n, 0.0, offset=offset, what=what)
    alpha = 0.0
    if family == "nb2":
        memo = {"beta": beta}

        def negative_profile(log_alpha: float) -> float:
            a = float(np.exp(log_alpha))
            b, _ = fit_count_beta(x, total, n, a, offset=offset, start=memo["beta"], what=what)
            memo["beta"] = b
            mu = np.exp(x @ b + (0 if offset is None else offset))
            return -nb_loglik(mu, total, n, a, histogram)

        found = optimize.minimize_scalar(
            negative_profile,
            bounds=tuple(np.log(ALPHA_BOUNDS)),
            method="bounded",
            options={"xatol": 1e-7},
        )
        alpha = float(np.exp(found.x))
        beta, iterations = fit_count_beta(
            x, total, n, alpha, offset=offset, start=memo["beta"], what=what
        )
    elif family != "poisson":
        raise ValueError(f"unknown family {family!r}")
    mu = np.exp(x @ beta + (0 if offset is None else offset))
    loglik = (
        nb_loglik(mu, total, n, alpha, histogram)
        if family == "nb2"
        else poisson_loglik(mu, total, n, histogram)
    )
    # observed information of beta (alpha held at its estimate) and per-cell scores
    hess_w = mu * (n + alpha * total) / (1.0 + alpha * mu) ** 2
    scores = x * ((total - n * mu) / (1.0 + alpha * mu))[:, None]
    cov = cluster_covariance(x.T @ (hess_w[:, None] * x), scores, groups, n_obs, what)
    return Fit(columns, beta, cov, loglik, n_obs, len(np.unique(groups)), alpha, iterations)


def pearson_dispersion(
    fit: Fit,
    x: np.ndarray,
    total: np.ndarray,
    n: np.ndarray,
    sumsq: np.ndarray,
    offset: np.ndarray | None = None,
) -> float:
    """Post-level Pearson chi-square / residual df of a Poisson fit: 1 if not over-dispersed."""
    mu = np.exp(x @ fit.params + (0 if offset is None else offset))
    chi2 = ((sumsq - 2 * mu * total + n * mu**2) / mu).sum()
    return float(chi2 / (fit.n_obs - len(fit.params)))


# --- binomial logit ------------------------------------------------------------------------


def fit_binomial(
    x: np.ndarray,
    columns: tuple[str, ...],
    successes: np.ndarray,
    trials: np.ndarray,
    groups: np.ndarray,
    *,
    what: str = "binomial model",
) -> Fit:
    """Logit ML fit of successes out of trials per cell, with covariance clustered by group."""
    keep = trials > 0
    x, successes, trials, groups = x[keep], successes[keep], trials[keep], groups[keep]
    beta = np.zeros(x.shape[1])
    share = successes.sum() / trials.sum()
    beta[0] = np.log(share / (1 - share))
    for iteration in range(1, 101):  # noqa: B007 (the count is reported)
        p = special.expit(x @ beta)
        w = trials * p * (1 - p)
        step = _solve(x.T @ (w[:, None] * x), x.T @ (successes - trials * p), what)
        beta += step
        if np.max(np.abs(step)) < 1e-9 * (1 + np.max(np.abs(beta))):
            break
    else:
        raise ModelInputError(f"{what}: Fisher scoring did not converge in 100 iterations")
    p = special.expit(x @ beta)
    loglik = float(
        (successes * np.log(p) + (trials - successes) * np.log1p(-p)).sum()
    )  # without the binomial coefficients, which do not depend on beta
    scores = x * (successes - trials * p)[:, None]
    info = x.T @ ((trials * p * (1 - p))[:, None] * x)
    n_obs = int(trials.sum())
    cov = cluster_covariance(info, scores, groups, n_obs, what)
    return Fit(columns, beta, cov, loglik, n_obs, len(np.unique(groups)), 0.0, iteration)


# --- inference -----------------------------------------------------------------------------


def cluster_covariance(
    information: np.ndarray, scores: np.ndarray, groups: np.ndarray, n_obs: int, what: str
) -> np.ndarray:
    """CRV1 sandwich: bread = inverse information, meat = sum over groups of summed scores."""
    codes, _ = pd.factorize(groups)
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    if n_groups < 2:
        raise ModelInputError(
            f"{what}: clustered standard errors need at least two clusters, found {n_groups}"
        )
    summed = np.zeros((n_groups, scores.shape[1]))
    np.add.at(summed, codes, scores)
    bread = np.linalg.pinv(information)
    k = scores.shape[1]
    factor = n_groups / (n_groups - 1) * (n_obs - 1) / max(n_obs - k, 1)
    return factor * bread @ (summed.T @ summed) @ bread


def wald_test(fit: Fit, positions: list[int]) -> dict[str, float]:
    """Wald chi-square test that the coefficients at ``positions`` are all zero."""
    b = fit.params[positions]
    v = fit.cov[np.ix_(positions, positions)]
    statistic = float(b @ np.linalg.solve(v, b))
    return {"chi2": statistic, "df": len(positions), "p": float(stats.chi2.sf(statistic, len(b)))}


def lr_test(full: float, restricted: float, df: int, boundary: bool = False) -> dict[str, float]:
    """Likelihood-ratio test; ``boundary`` halves p for a parameter tested at its bound (alpha)."""
    statistic = max(2.0 * (full - restricted), 0.0)
    p = float(stats.chi2.sf(statistic, df)) * (0.5 if boundary else 1.0)
    return {"chi2": statistic, "df": df, "p": p}


def joint_tests(wald: dict[str, float], lr: dict[str, float]) -> dict[str, float]:
    """A Wald and a likelihood-ratio test of the same hypothesis, under one naming scheme."""
    return {
        f"{name}_{part}": test[part]
        for name, test in (("wald", wald), ("lr", lr))
        for part in ("chi2", "df", "p")
    }


def no_test() -> dict[str, float]:
    """``joint_tests`` of a hypothesis the data cannot test (its term was dropped): NaN, df 0."""
    nan = float("nan")
    return {
        f"{n}_{part}": 0 if part == "df" else nan
        for n in ("wald", "lr")
        for part in ("chi2", "df", "p")
    }


def ratio_table(fit: Fit, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Tidy table of exp(coefficient) with 95% Wald interval and p-value (intercept excluded)."""
    rows = []
    for j, column in enumerate(fit.columns):
        if column == "Intercept":
            continue
        b, se = fit.params[j], fit.se[j]
        rows.append(
            {
                "term": column,
                "label": (labels or {}).get(column, column),
                "ratio": float(np.exp(b)),
                "ci_low": float(np.exp(b - Z95 * se)),
                "ci_high": float(np.exp(b + Z95 * se)),
                "p_value": float(2 * stats.norm.sf(abs(b / se))) if se > 0 else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def average_prediction(
    fit: Fit, x: np.ndarray, weight: np.ndarray, link: str = "log"
) -> tuple[float, float, float]:
    """Weighted mean of the predicted mean over rows ``x`` with a delta-method 95% interval.

    For the log link the interval is formed on the log scale, for the logit link on the logit
    scale, so it stays positive (or inside 0-1).
    """
    eta = x @ fit.params
    if link == "log":
        mean = np.exp(eta)
        gradient = (weight * mean) @ x / weight.sum()
    else:
        mean = special.expit(eta)
        gradient = (weight * mean * (1 - mean)) @ x / weight.sum()
    value = float((weight * mean).sum() / weight.sum())
    se = float(np.sqrt(gradient @ fit.cov @ gradient))
    if link == "log":
        half = Z95 * se / value
        return value, value * np.exp(-half), value * np.exp(half)
    logit, half = special.logit(value), Z95 * se / (value * (1 - value))
    return value, float(special.expit(logit - half)), float(special.expit(logit + half))
