"""Model inputs shared by the engagement models: joins, covariates, checks and post cells.

Every covariate of the engagement and responsiveness models (region, platform, level, account
type, audience size, province covariates) is constant within an account, and category within a
post, so posts are summarised into account x category *cells*: per cell the number of posts and,
per outcome, the sum and the sum of squares, plus one frequency table of each outcome's values
over all posts. These are sufficient statistics for the post-level Poisson, negative binomial
(NB2) and binomial likelihoods, their scores and their account-clustered sandwich covariance
(analysis.topics.inference), so fits on cells reproduce the post-level fits exactly while the work
after one pass over the posts no longer grows with their number.

Every check raises ModelInputError with a message that names the problem (missing column,
constant column, a level without observations, an empty group, collinear columns) before a
linear-algebra routine can fail with a singular-matrix traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.errors import ModelInputError
from analysis.topics.inputs import require_columns

if TYPE_CHECKING:
    from analysis.topics.reduce import Reduced

# Reference level of each factor: effects are ratios relative to these (as in simulation.toml).
REFERENCE: dict[str, str] = {
    "region": "east",
    "platform": "weibo",
    "level": "prefecture",
    "account_type": "bureau",
    "category": "publicity",
}
LABELS: dict[str, str] = {
    "region": "Region",
    "platform": "Platform",
    "level": "Level",
    "account_type": "Account type",
    "category": "Category",
    "log_followers": "Followers, per doubling (Weibo)",
    "log_gdp_per_capita": "GDP per capita, per doubling",
}
ACCOUNT_FACTORS = ("region", "platform", "level", "account_type")
ACCOUNT_COLUMNS = ("account_id", *ACCOUNT_FACTORS, "province_code", "followers")
POST_COLUMNS = ("account_id", "category")
PROVINCE_COLUMNS = ("adcode", "gdp_per_capita_yuan_2013")
COUNT_OUTCOMES = ("comments", "likes", "reposts", "page_views")
ANSWERED = "comments_answered"
# Followers are centred here: the platform contrast compares WeChat with a Weibo account of this
# many followers (a mid-sized prefecture bureau: Quanzhou had 83,000 and Xiamen 56,000 in 2011).
FOLLOWERS_CENTRE = 50_000
# Clustered intervals need many clusters: a term carried by fewer accounts is flagged unreliable.
FEW_ACCOUNTS = 20
# Histograms use bincount below this maximum count value and np.unique above it.
_BINCOUNT_LIMIT = 50_000_000


def require_rows(count: int, what: str) -> None:
    """Raise ModelInputError when the group of observations a model is fitted on is empty."""
    if count == 0:
        raise ModelInputError(f"{what} is an empty group: expected at least one row, found 0")


def _first_bad_row(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0]) + 1


def _require_values(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    for column in columns:
        empty = frame[column].isna().to_numpy()
        if empty.any():
            raise ModelInputError(
                f"{what}, row {_first_bad_row(empty)}, field '{column}': expected a value, "
                "found empty"
            )


def levels_of(values: pd.Series) -> tuple[str, ...]:
    """A factor's levels: the enum order of a categorical, else the sorted distinct values."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return tuple(map(str, values.cat.categories))
    return tuple(sorted(map(str, values.dropna().unique())))


@dataclass
class Cells:
    """Posts summarised into account x category cells, joined to account and province data."""

    frame: pd.DataFrame  # one row per non-empty cell; see prepare()
    histograms: dict[str, tuple[np.ndarray, np.ndarray]]  # outcome -> (values, frequencies)
    accounts: pd.DataFrame  # every account with its covariates and posting totals
    n_posts: int


def account_covariates(
    accounts: pd.DataFrame, provinces: pd.DataFrame, followers_centre: float = FOLLOWERS_CENTRE
) -> pd.DataFrame:
    """Accounts with model covariates: factors, centred log2 followers and log2 GDP per capita.

    Followers enter as log2(max(followers, 1) / followers_centre), so the ratio is per doubling
    of followers and the platform contrast compares WeChat with a Weibo account of
    ``followers_centre`` followers; WeChat publishes no follower count, so the term is 0 there.
    GDP per capita (2013, the province table) enters as log2 centred on the accounts' mean.
    """
    require_columns(accounts, ACCOUNT_COLUMNS, "accounts")
    require_columns(provinces, PROVINCE_COLUMNS, "provinces")
    require_rows(len(accounts), "accounts")
    _require_values(accounts, ("account_id", *ACCOUNT_FACTORS, "province_code"), "accounts")
    ids = accounts["account_id"].astype(str)
    if ids.duplicated().any():
        raise ModelInputError(
            f"accounts, row {_first_bad_row(ids.duplicated().to_numpy())}, field 'account_id': "
            f"expected unique ids, found {ids[ids.duplicated()].iloc[0]!r} twice"
        )
    out = accounts.reset_index(drop=True).copy()
    out["account_id"] = ids.to_numpy()
    gdp = pd.Series(
        pd.to_numeric(provinces["gdp_per_capita_yuan_2013"]).to_numpy(dtype=float),
        index=provinces["adcode"].astype(str).to_numpy(),
    )
    codes = out["province_code"].astype(str)
    unknown = (~codes.isin(gdp.index)).to_numpy()
    if unknown.any():
        raise ModelInputError(
            f"accounts, row {_first_bad_row(unknown)}, field 'province_code': expected a code "
            f"listed in provinces, found {codes[unknown].iloc[0]!r}"
        )
    log_gdp = np.log2(gdp.reindex(codes).to_numpy())
    out["log_gdp_per_capita"] = log_gdp - log_gdp.mean()
    weibo = (out["platform"].astype(str) == "weibo").to_numpy()
    followers = pd.to_numeric(out["followers"]).to_numpy(dtype=float, na_value=np.nan)
    missing = weibo & np.isnan(followers)
    if missing.any():
        raise ModelInputError(
            f"accounts, row {_first_bad_row(missing)}, field 'followers': expected a follower "
            "count for a Weibo account, found empty"
        )
    log_followers = np.zeros(len(out))
    if weibo.any():
        log_followers[weibo] = np.log2(np.maximum(followers[weibo], 1.0) / followers_centre)
    out["log_followers"] = log_followers
    return out


def _account_index(posts: pd.DataFrame, ids: pd.Index) -> np.ndarray:
    """Position of each post's account in ``ids``; unknown accounts are an input error."""
    column = posts["account_id"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        lookup = ids.get_indexer(column.cat.categories.astype(str))
        codes = column.cat.codes.to_numpy()
        index = np.where(codes >= 0, lookup[np.maximum(codes, 0)], -1)
    else:
        index = ids.get_indexer(column.astype(str))
    unknown = index < 0
    if unknown.any():
        row = _first_bad_row(unknown)
        raise ModelInputError(
            f"posts, row {row}, field 'account_id': expected an account listed in accounts, "
            f"found {str(column.iloc[row - 1])!r}"
        )
    return index.astype(np.int64)


def _counts(posts: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(values as int64 with 0 where missing, observed mask); negative counts are an error."""
    series = posts[column]
    observed = ~series.isna().to_numpy()
    values = pd.to_numeric(series).to_numpy(dtype=np.int64, na_value=0)
    negative = values < 0
    if negative.any():
        row = _first_bad_row(negative)
        raise ModelInputError(
            f"posts, row {row}, field '{column}': expected a count >= 0, found {values[row - 1]}"
        )
    return values, observed


def histogram(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and their frequencies (the part of the likelihood cells cannot hold)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    top = int(values.max())
    if top < _BINCOUNT_LIMIT:
        freq = np.bincount(values, minlength=top + 1)
        keep = np.flatnonzero(freq)
        return keep.astype(np.int64), freq[keep].astype(np.int64)
    distinct, freq = np.unique(values, return_counts=True)
    return distinct.astype(np.int64), freq.astype(np.int64)


def prepare(
    posts: pd.DataFrame,
    accounts: pd.DataFrame,
    provinces: pd.DataFrame,
    followers_centre: float = FOLLOWERS_CENTRE,
) -> Cells:
    """Join posts to accounts and provinces and summarise them into account x category cells.

    Cell columns: the account covariates, ``category``, ``n_posts`` and per count outcome
    ``<outcome>_n`` (posts where it is observed), ``<outcome>_sum``, ``<outcome>_sumsq``, and
    ``comments_answered_sum``.
    """
    require_columns(posts, (*POST_COLUMNS, *COUNT_OUTCOMES, ANSWERED), "posts")
    require_rows(len(posts), "posts")
    acc = account_covariates(accounts, provinces, followers_centre)
    _require_values(posts, ("category",), "posts")
    account = _account_index(posts, pd.Index(acc["account_id"]))
    categories = levels_of(posts["category"])
    category = pd.Categorical(posts["category"].astype(str), categories=categories).codes
    n_cat = len(categories)
    cell = account * n_cat + category.astype(np.int64)
    size = len(acc) * n_cat
    n_posts = np.bincount(cell, minlength=size)
    columns: dict[str, np.ndarray] = {"n_posts": n_posts}
    histograms = {}
    for outcome in COUNT_OUTCOMES:
        values, observed = _counts(posts, outcome)
        columns[f"{outcome}_n"] = np.bincount(cell[observed], minlength=size)
        as_float = values.astype(float)
        columns[f"{outcome}_sum"] = np.bincount(cell, weights=as_float, minlength=size)
        columns[f"{outcome}_sumsq"] = np.bincount(cell, weights=as_float**2, minlength=size)
        histograms[outcome] = histogram(values[observed])
        del values, observed, as_float
    answered, _ = _counts(posts, ANSWERED)
    comments, _ = _counts(posts, "comments")
    over = answered > comments
    if over.any():
        row = _first_bad_row(over)
        raise ModelInputError(
            f"posts, row {row}, field '{ANSWERED}': expected at most the post's comments "
            f"({comments[row - 1]}), found {answered[row - 1]}"
        )
    columns[f"{ANSWERED}_sum"] = np.bincount(cell, weights=answered.astype(float), minlength=size)
    del answered, comments, cell, account, category
    return assemble(acc, categories, columns, histograms)


def assemble(
    acc: pd.DataFrame,
    categories: Sequence[str],
    columns: dict[str, np.ndarray],
    histograms: dict[str, tuple[np.ndarray, np.ndarray]],
) -> Cells:
    """Cells from per-cell statistics, whichever path computed them (pandas here, DuckDB in
    analysis.topics.reduce): ``columns`` holds one array of length accounts x categories per
    statistic (``n_posts`` first), indexed by account position x len(categories) + category."""
    n_cat = len(categories)
    n_posts = columns["n_posts"]
    keep = np.flatnonzero(n_posts > 0)
    frame = acc.iloc[keep // n_cat].reset_index(drop=True)
    frame.insert(1, "account", keep // n_cat)
    frame["category"] = pd.Categorical.from_codes(keep % n_cat, categories=list(categories))
    for name, values in columns.items():
        frame[name] = values[keep]
    acc["n_posts"] = n_posts.reshape(len(acc), n_cat).sum(axis=1)
    return Cells(frame=frame, histograms=histograms, accounts=acc, n_posts=int(n_posts.sum()))


def prepare_parquet(
    source: Path,
    accounts: pd.DataFrame,
    provinces: pd.DataFrame,
    *,
    categories: Sequence[str] | None = None,
    followers_centre: float = FOLLOWERS_CENTRE,
    temp_dir: Path | None = None,
    nonnegative: Sequence[str] = (),
) -> Cells:
    """``prepare`` for posts in a Parquet file or folder, reduced out of core in DuckDB
    (analysis.topics.reduce): the same Cells as ``prepare`` on the same posts. ``nonnegative``:
    counts the posts were validated against a minimum of 0 for (``reduce.nonnegative_fields``)."""
    from analysis.topics import reduce

    acc = account_covariates(accounts, provinces, followers_centre)
    reduced = reduce.statistics(
        source,
        list(acc["account_id"]),
        categories=categories,
        temp_dir=temp_dir,
        nonnegative=nonnegative,
    )
    return assemble(acc, reduced.levels, reduced.columns, reduced.histograms)


def cells_of(reduced: Reduced, base: Path | None = None) -> Cells:
    """Cells of a package's reduced posts (analysis.topics.reduce.package_reduction), joined to
    the package's accounts and provinces."""
    from analysis.data import datasets

    acc = account_covariates(
        datasets.load("accounts", base=base), datasets.load("provinces", base=base)
    )
    if tuple(acc["account_id"]) != reduced.account_ids:
        raise ModelInputError("posts were reduced against other accounts than these")
    return assemble(acc, reduced.levels, reduced.columns, reduced.histograms)


def package_cells(base: Path | None = None, temp_dir: Path | None = None) -> Cells:
    """Cells of a data package's sample: posts validated, then reduced in DuckDB (Parquet
    streamed out of core, CSV from its validated frame)."""
    from analysis.topics import reduce

    return cells_of(reduce.package_reduction(base, temp_dir), base)


def post_frame(posts: pd.DataFrame, cells: Cells) -> pd.DataFrame:
    """Every post with its account's covariates and ``account`` code: the unaggregated data,
    used to check the cell fits against fits on every post."""
    covariates = cells.accounts.drop(columns=["followers"]).assign(
        account=range(len(cells.accounts))
    )
    out = posts.assign(account_id=posts["account_id"].astype(str)).merge(
        covariates, on="account_id", how="left", validate="many_to_one"
    )
    return out


def bundled(reduced: Reduced | None = None) -> Cells:
    """The package's sample (and province table) as model cells (see ``package_cells``), from
    its reduced posts when given (the ``posts.reduced`` artifact)."""
    return package_cells() if reduced is None else cells_of(reduced)


# --- design matrices -----------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """Treatment-coded design: which columns exist and how to build them for any frame.

    ``dropped`` lists the terms the data cannot estimate (a factor observed at one level only,
    a level without observations, a constant numeric column) and ``notes`` says why, in words
    for a table note; ``observed`` keeps the single level of each dropped factor.
    """

    factors: tuple[str, ...]
    numerics: tuple[str, ...]
    levels: dict[str, tuple[str, ...]]  # factor -> levels, reference first
    columns: tuple[str, ...]  # "Intercept", "region[central]", ..., "log_followers"
    dropped: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    observed: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def levels_or_observed(self, factor: str) -> tuple[str, ...]:
        """The factor's levels in the design, or the one level observed where it was dropped."""
        return self.levels.get(factor) or self.observed.get(factor, ())

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """The design matrix of ``frame`` (rows of the same covariates)."""
        out = np.empty((len(frame), len(self.columns)))
        out[:, 0] = 1.0
        j = 1
        for factor in self.factors:
            column = frame[factor]
            if isinstance(column.dtype, pd.CategoricalDtype):
                codes = column.cat.codes.to_numpy()
                position = {str(c): i for i, c in enumerate(column.cat.categories)}
                for level in self.levels[factor][1:]:
                    out[:, j] = codes == position.get(level, -2)
                    j += 1
                continue
            values = column.astype(str).to_numpy()
            for level in self.levels[factor][1:]:
                out[:, j] = values == level
                j += 1
        for numeric in self.numerics:
            out[:, j] = frame[numeric].to_numpy(dtype=float)
            j += 1
        return out

    def counterfactual(self, frame: pd.DataFrame, **levels: str) -> pd.DataFrame:
        """``frame`` with factors set to one level for every row (categorical, same levels)."""
        out = frame.copy(deep=False)
        for factor, level in levels.items():
            if factor not in self.levels:  # a dropped factor does not enter the matrix
                continue
            categories = list(self.levels[factor])
            codes = np.full(len(frame), categories.index(level), dtype=np.int8)
            out[factor] = pd.Categorical.from_codes(codes, categories=categories)
        return out

    def term(self, name: str) -> list[int]:
        """Column positions of a factor's (or numeric's) coefficients."""
        if name in self.numerics:
            return [self.columns.index(name)]
        return [self.columns.index(f"{name}[{lv}]") for lv in self.levels[name][1:]]


def build_design(
    frame: pd.DataFrame,
    factors: Sequence[str],
    numerics: Sequence[str] = (),
    *,
    what: str,
    weight: np.ndarray | None = None,
    outcome: np.ndarray | None = None,
    trials: np.ndarray | None = None,
    unit: str = "posts",
) -> Design:
    """Check that the rows identify the model and return its design.

    ``weight`` counts the observations each row stands for (rows with 0 are ignored);
    ``outcome`` (with ``trials`` for a binomial model) lets the check refuse a level whose
    outcome is all zero (or all successes), whose ratio would be zero or infinite.

    Terms the data cannot estimate are dropped with a note rather than refused (graceful
    degradation for samples without, say, officer accounts or WeChat): a factor observed at one
    level only, the levels of a factor without observations, a constant numeric column.
    Problems that are not missing levels (empty data, all-zero outcomes, collinear columns)
    still raise ModelInputError.
    """
    require_columns(frame, (*factors, *numerics), what)
    weight = np.ones(len(frame)) if weight is None else np.asarray(weight, dtype=float)
    used = weight > 0
    require_rows(int(used.sum()), what)
    rows = frame.loc[used]
    _require_values(rows, (*factors, *numerics), what)
    levels: dict[str, tuple[str, ...]] = {}
    observed: dict[str, tuple[str, ...]] = {}
    dropped: list[str] = []
    notes: list[str] = []
    for factor in factors:
        found, note = _factor_levels(rows, factor, weight[used], unit)
        if note:
            notes.append(note)
        if len(found) < 2:
            observed[factor] = found
            dropped.append(factor)
            continue
        levels[factor] = found
        if outcome is not None:
            _check_outcome_by_level(
                rows[factor].astype(str).to_numpy(),
                levels[factor],
                np.asarray(outcome, dtype=float)[used],
                None if trials is None else np.asarray(trials, dtype=float)[used],
                factor,
                what,
            )
    kept_numerics = []
    for numeric in numerics:
        values = rows[numeric].to_numpy(dtype=float)
        if np.ptp(values) == 0:
            dropped.append(numeric)
            notes.append(
                f"{LABELS.get(numeric, numeric)}: not estimated, the same value ({values[0]:g}) "
                "in every row of these data"
            )
            continue
        kept_numerics.append(numeric)
    kept = tuple(f for f in factors if f in levels)
    columns = ["Intercept"]
    for factor in kept:
        columns += [f"{factor}[{lv}]" for lv in levels[factor][1:]]
    columns += kept_numerics
    design = Design(
        kept, tuple(kept_numerics), levels, tuple(columns), tuple(dropped), tuple(notes), observed
    )
    _check_rank(design.matrix(rows), design.columns, what)
    return design


def _factor_levels(
    rows: pd.DataFrame, factor: str, weight: np.ndarray, unit: str
) -> tuple[tuple[str, ...], str | None]:
    """(levels with observations, reference first; a note on what is missing, or None).

    Fewer than two levels means the factor cannot be compared and is dropped.
    """
    values = rows[factor].astype(str).to_numpy()
    expected = levels_of(rows[factor])
    present = pd.Series(weight).groupby(values).sum()
    seen = [lv for lv in expected if present.get(lv, 0) > 0]
    label = LABELS.get(factor, factor)
    empty = [lv for lv in expected if present.get(lv, 0) == 0]
    missing = ", ".join(lv.replace("_", " ") for lv in empty)
    if len(seen) < 2:
        only = seen[0].replace("_", " ") if seen else "no value"
        note = f"{label}: not estimated, all {unit} in these data are {only}"
        return tuple(seen), note + (f" (none {missing})" if missing else "")
    if not empty:
        reference = REFERENCE.get(factor, expected[0])
        reference = reference if reference in expected else expected[0]
        return (reference, *[lv for lv in expected if lv != reference]), None
    reference = REFERENCE.get(factor, seen[0])
    note = f"{label}: {missing} not estimated, no {unit} there in these data"
    if reference not in seen:
        note += f"; ratios are relative to {seen[0].replace('_', ' ')} instead of {reference}"
        reference = seen[0]
    return (reference, *[lv for lv in seen if lv != reference]), note


def _check_outcome_by_level(
    values: np.ndarray,
    levels: tuple[str, ...],
    outcome: np.ndarray,
    trials: np.ndarray | None,
    factor: str,
    what: str,
) -> None:
    totals = pd.Series(outcome).groupby(values).sum()
    if trials is None:
        zero = [lv for lv in levels if totals.get(lv, 0) == 0]
        if zero:
            raise ModelInputError(
                f"{what}: level(s) {', '.join(map(repr, zero))} of '{factor}' have observations "
                "but a total of 0, so the rate ratio would be zero and is not identified"
            )
        return
    attempts = pd.Series(trials).groupby(values).sum()
    bad = [
        lv
        for lv in levels
        if attempts.get(lv, 0) == 0 or totals.get(lv, 0) in (0, attempts.get(lv, 0))
    ]
    if bad:
        detail = ", ".join(
            f"{lv!r}: {int(totals.get(lv, 0))} of {int(attempts.get(lv, 0))}" for lv in bad
        )
        raise ModelInputError(
            f"{what}: level(s) of '{factor}' where every or no trial succeeds ({detail}); the "
            "odds ratio would be infinite or zero and is not identified"
        )


def _check_rank(matrix: np.ndarray, columns: tuple[str, ...], what: str) -> None:
    """Refuse collinear columns, naming those that are combinations of the others."""
    from scipy.linalg import qr

    if matrix.shape[0] < matrix.shape[1]:
        raise ModelInputError(
            f"{what}: {matrix.shape[0]} distinct covariate rows cannot identify "
            f"{matrix.shape[1]} coefficients"
        )
    scaled = matrix / np.maximum(np.sqrt((matrix**2).sum(axis=0)), 1e-300)
    _, r, pivot = qr(scaled, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int((diag > diag[0] * 1e-10).sum()) if len(diag) else 0
    if rank < len(columns):
        independent = sorted(pivot[:rank])
        parts = []
        for i in sorted(pivot[rank:]):
            coef = np.linalg.lstsq(scaled[:, independent], scaled[:, i], rcond=None)[0]
            partners = [columns[independent[k]] for k in np.flatnonzero(np.abs(coef) > 1e-8)]
            parts.append(f"'{columns[i]}' = a combination of {', '.join(map(repr, partners))}")
        raise ModelInputError(
            f"{what}: collinear columns: {'; '.join(parts)} (for example a level that only ever "
            "occurs together with another level), so their effects cannot be told apart; merge "
            "or drop one of them"
        )
