"""The synthetic engagement sample's data-generating process: seeded, vectorised, pure.

``generate(params, seed, scale)`` draws police accounts and their posts from the assumptions in
``data/simulation.toml`` and returns two DataFrames in the codebook of ``data/synthetic/``.
Nothing here is an observation of a real account: the sample exists so that every model and
chapter runs end to end on data whose true effects are known, and so that a real sample can
later replace the files one for one. The process is exactly log-linear (NB2 counts) and logit
(binomial answers), so fitted incidence-rate and odds ratios can be checked against
``true_effects(params)``.

Use: ``accounts, posts = generate()`` (the committed sample); ``generate(seed=7, scale=10)``
for a larger one; ``generate(override(load_parameters(), {"engagement.region.value.west": 0.5}))``
for a sample with a different known effect; ``simulate(...)`` also returns the latent account
multipliers. The frames carry the codebook's columns and values as ``analysis.data.datasets.load``
returns them for the committed files, with leaner dtypes: enumerations and ``posts.account_id``
are categoricals, counts int32 (nullable Int32 where a platform lacks the count).

Determinism: the same parameters, seed and numpy version (pinned in uv.lock) give identical
frames (PCG64 streams spawned from one SeedSequence, one stream per stage, order-independent
sorts only); ``analysis.data.sample_files`` turns them into byte-stable CSVs.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import paths
from analysis.data import datasets, files, parameters
from analysis.errors import DataValidationError, ModelInputError, UsageError

GENERATOR_VERSION = "1.0.0"
MEMORY_LIMIT_BYTES = 8 * 10**9  # refuse a run estimated to need more (simulate --max-memory)

# The levels of the process, shared with the parameter checks (analysis.data.parameters).
PLATFORMS = parameters.PLATFORMS
LEVELS = parameters.LEVELS
ACCOUNT_TYPES = parameters.ACCOUNT_TYPES
REGIONS = parameters.REGIONS
CATEGORIES = parameters.CATEGORIES
OUTCOMES = parameters.OUTCOMES
# Outcomes observed on one platform only; the others exist on both and take the platform IRR.
OUTCOME_PLATFORM = {"reposts": "weibo", "page_views": "wechat"}
MINISTRY_PROVINCE = "110000"  # the Ministry of Public Security's accounts are placed in Beijing

ACCOUNT_COLUMNS = (
    "account_id",
    "platform",
    "level",
    "account_type",
    "province_code",
    "region",
    "opened",
    "followers",
    "sampling_stratum",
    "sampling_weight",
)
POST_COLUMNS = (
    "post_id",
    "account_id",
    "posted_at",
    "category",
    "reposts",
    "page_views",
    "likes",
    "comments",
    "comments_answered",
)
WEIGHT_DECIMALS = 6


@dataclass
class Sample:
    """A generated sample with the latent account variables a real sample would not reveal."""

    accounts: pd.DataFrame
    posts: pd.DataFrame
    latent: pd.DataFrame  # per account: heterogeneity u, activity, expected posts
    seed: int
    scale: float


# --- parameters ---------------------------------------------------------------------------


def load_parameters(path: Path | None = None) -> dict[str, Any]:
    """Read the parameter file (default data/simulation.toml) into a nested dict."""
    path = path or paths.simulation_parameters
    try:
        params = tomllib.loads(files.read_text(path, str(path)))
    except tomllib.TOMLDecodeError as exc:
        raise DataValidationError.single(
            path, "parameter file is not valid TOML", "TOML", str(exc)
        ) from None
    except UnicodeDecodeError as exc:
        raise DataValidationError.single(
            path, "parameter file is not UTF-8", "UTF-8 TOML", f"byte offset {exc.start}"
        ) from None
    problems = parameters.problems(params, _display(path))
    if problems:
        raise DataValidationError(problems)
    return params


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(paths.root))
    except ValueError:
        return str(path)


def size(
    params: dict[str, Any],
    provinces: pd.DataFrame,
    scale: float = 1.0,
    *,
    accounts: int | None = None,
    posts: int | None = None,
    strata: list[tuple] | None = None,
) -> tuple[int, int, int]:
    """(accounts, upper bound of posts, peak bytes) of a run, from the parameters alone."""
    strata = list(_strata(params, provinces)) if strata is None else strata
    base = sum(item[-1] for item in strata)
    if accounts is not None:
        scale = accounts / max(base, 1)
    n_accounts = 0
    n_posts = 0.0
    for _, level, platform, kind, _, _, base_n in strata:
        n = max(1.0, base_n * scale)
        n_accounts += n
        n_posts += n * parameters.expected_posts_per_account_upper(
            params, level, f"{platform}_{kind}"
        )
    if posts is not None:
        n_posts = posts
    return int(n_accounts), int(n_posts), parameters.estimate(n_accounts, n_posts)


def check_size(
    params: dict[str, Any],
    provinces: pd.DataFrame,
    scale: float = 1.0,
    *,
    accounts: int | None = None,
    posts: int | None = None,
    limit: int = MEMORY_LIMIT_BYTES,
    strata: list[tuple] | None = None,
) -> tuple[int, int, int]:
    """``size`` of the run, or UsageError giving the estimate when it exceeds ``limit``."""
    n_accounts, n_posts, need = size(
        params, provinces, scale, accounts=accounts, posts=posts, strata=strata
    )
    if need > limit:
        raise UsageError(
            f"simulate: this sample would need about {need / 1e9:,.1f} GB of memory "
            f"(about {n_accounts:,} accounts and up to {n_posts:,} posts), above the limit of "
            f"{limit / 1e9:g} GB; use a smaller --scale/--accounts/--posts or raise --max-memory"
        )
    return n_accounts, n_posts, need


def parameters_sha256(path: Path | None = None) -> str:
    """Hash of the parameter file's bytes, recorded with the committed sample."""
    path = path or paths.simulation_parameters
    return files.sha256_file(path)


def override(params: dict[str, Any], updates: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``params`` with dotted-path values replaced.

    Example: ``override(p, {"engagement.region.value.west": 0.5, "answer.baseline.value": 0.1})``.
    """
    out = copy.deepcopy(params)
    for dotted, value in updates.items():
        node = out
        *parents, leaf = dotted.split(".")
        for key in parents:
            if not isinstance(node.get(key), dict):
                raise ModelInputError(f"override {dotted!r}: no parameter table {key!r}")
            node = node[key]
        if leaf not in node:
            raise ModelInputError(f"override {dotted!r}: no parameter {leaf!r}")
        node[leaf] = value
    return out


def true_effects(params: dict[str, Any] | None = None) -> dict[str, float]:
    """The effects a correctly specified model should recover, keyed ``group[level]``.

    Engagement: ``irr:<factor>[<level>]``, ``intercept:<outcome>``, ``dispersion:<outcome>``,
    ``beta:log_followers``, ``sigma:heterogeneity``. Answering: ``or:<factor>[<level>]`` and
    ``baseline:answer`` (probability at the reference levels).
    """
    p = params or load_parameters()
    eng, ans = p["engagement"], p["answer"]
    out: dict[str, float] = {}
    for factor in ("region", "platform", "level", "account_type", "category"):
        for level, value in eng[factor]["value"].items():
            out[f"irr:{factor}[{level}]"] = float(value)
    for outcome in OUTCOMES:
        out[f"intercept:{outcome}"] = float(eng["intercept"]["value"][outcome])
        out[f"dispersion:{outcome}"] = float(eng["dispersion"]["value"][outcome])
    out["beta:log_followers"] = float(eng["followers"]["beta"])
    out["centre:followers"] = float(eng["followers"]["centre"])
    out["sigma:heterogeneity"] = float(eng["heterogeneity"]["sigma"])
    for factor in ("region", "level", "platform", "account_type"):
        for level, value in ans[factor]["value"].items():
            out[f"or:{factor}[{level}]"] = float(value)
    out["baseline:answer"] = float(ans["baseline"]["value"])
    return out


def window(params: dict[str, Any]) -> tuple[np.datetime64, np.datetime64]:
    """First and last day of the observation window (inclusive)."""
    return np.datetime64(params["window"]["start"], "D"), np.datetime64(
        params["window"]["end"], "D"
    )


# --- the generator ------------------------------------------------------------------------


def generate(
    params: dict[str, Any] | None = None,
    seed: int | None = None,
    scale: float = 1.0,
    *,
    accounts: int | None = None,
    posts: int | None = None,
    provinces: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw (accounts, posts) from the process; ``seed`` defaults to the parameter file's.

    ``scale`` multiplies every stratum's sample size (posts follow; a stratum larger than its
    frame repeats frame units, with weights below one); ``accounts`` sets the approximate
    number of accounts instead, ``posts`` the expected number of posts.
    """
    sample = simulate(params, seed, scale, accounts=accounts, posts=posts, provinces=provinces)
    return sample.accounts, sample.posts


COUNT_MAX = float(2**31 - 1)  # engagement counts are stored as 32-bit integers
FOLLOWERS_MAX = float(2**53)  # followers: 64-bit integers, exact as floats below 2^53


def _within(values: np.ndarray, limit: float, parameters: str, what: str) -> None:
    """Refuse parameters that draw values the codebook's integers cannot hold (1e300 would
    stop numpy with "lam value too large", or wrap to a negative count when cast)."""
    largest = float(np.max(values, initial=0.0))
    if not largest <= limit:  # also NaN
        raise ModelInputError(
            f"simulation parameters {parameters} draw {what} up to {largest:.3g}: expected "
            f"values below {limit:.3g}, which the sample's integer columns hold"
        )


def simulate(
    params: dict[str, Any] | None = None,
    seed: int | None = None,
    scale: float = 1.0,
    *,
    accounts: int | None = None,
    posts: int | None = None,
    provinces: pd.DataFrame | None = None,
    memory_limit: int = MEMORY_LIMIT_BYTES,
) -> Sample:
    """Like ``generate`` but also returns the latent account variables (for recovery tests)."""
    params, seed, scale, frame, latent, account_table, streams = _draw_sample_accounts(
        params, seed, scale, accounts, posts, provinces, memory_limit
    )
    post_table = _draw_posts(params, frame, latent, posts, streams[2:], account_table)
    latent.insert(0, "account_id", account_table["account_id"].to_numpy())
    return Sample(account_table, post_table, latent, seed, scale)


@dataclass
class CellDraw:
    """One outcome's account x category statistics drawn without posts (``draw_cells``):
    ``columns`` as ``analysis.topics.modelframe.assemble`` takes them, indexed by account
    position x len(categories) + category, and the outcome's value of every post."""

    accounts: pd.DataFrame
    categories: tuple[str, ...]
    columns: dict[str, np.ndarray]
    values: np.ndarray


def draw_cells(
    params: dict[str, Any] | None = None,
    seed: int | None = None,
    *,
    accounts: int,
    outcome: str,
    provinces: pd.DataFrame | None = None,
) -> CellDraw:
    """The sufficient statistics of one outcome's model, drawn by the same process as
    ``simulate`` but without posts: for studies that fit many samples (the power study).

    The accounts are drawn exactly as ``simulate`` draws them (the same streams). An account's
    number of posts is Poisson and each post's category independent, so its posts in the
    categories are independent Poisson counts; each post's count is NB2 around its cell's mean.
    The statistics have the distribution ``simulate`` and ``modelframe.prepare`` give, though
    not the same draws; nothing else of a post (time, id, other outcomes) is drawn.
    """
    params, _, _, frame, latent, account_table, streams = _draw_sample_accounts(
        params, seed, 1.0, accounts, None, provinces, MEMORY_LIMIT_BYTES
    )
    rng_n, rng_count = streams[2], streams[5]
    expected = _expected_posts(params, frame, latent, None)[0]
    platform = _codes(frame["platform"], PLATFORMS)
    shares = np.array([[params["content"][p][c] for c in CATEGORIES] for p in PLATFORMS], float)
    shares /= shares.sum(axis=1, keepdims=True)
    n_posts = rng_n.poisson(expected[:, None] * shares[platform])
    only = OUTCOME_PLATFORM.get(outcome)
    observed = n_posts if only is None else n_posts * (platform == PLATFORMS.index(only))[:, None]
    intercept, alpha, account, category_log = _outcome_log_means(params, frame, latent, outcome)
    mean = np.exp(intercept + account[:, None] + category_log[None, :])
    cell = np.repeat(np.arange(observed.size), observed.ravel())
    lam = mean.ravel()[cell] * rng_count.gamma(1.0 / alpha, alpha, len(cell))
    _within(lam, COUNT_MAX, f"[engagement] intercept of {outcome} with its effects", outcome)
    values = rng_count.poisson(lam)
    as_float = values.astype(float)
    columns = {
        "n_posts": n_posts.ravel(),
        f"{outcome}_n": observed.ravel(),
        f"{outcome}_sum": np.bincount(cell, weights=as_float, minlength=observed.size),
        f"{outcome}_sumsq": np.bincount(cell, weights=as_float**2, minlength=observed.size),
    }
    return CellDraw(account_table, CATEGORIES, columns, values)


def _draw_sample_accounts(
    params: dict[str, Any] | None,
    seed: int | None,
    scale: float,
    accounts: int | None,
    posts: int | None,
    provinces: pd.DataFrame | None,
    memory_limit: int,
) -> tuple:
    """Checked parameters and size, then the accounts and their latent variables:
    (params, seed, scale, accounts as drawn, latent, accounts table, random streams)."""
    if params is None:
        params = load_parameters()
    else:
        problems = parameters.problems(params, "simulation parameters")
        if problems:
            raise DataValidationError(problems)
    seed = int(params["seed"]["value"] if seed is None else seed)
    if provinces is None:
        provinces = datasets.load("provinces")
    if not np.isfinite(scale) or scale <= 0:
        raise ModelInputError(f"scale must be a positive finite number, found {scale}")
    if accounts is not None and accounts <= 0:
        raise ModelInputError(f"accounts must be positive, found {accounts}")
    strata = list(_strata(params, provinces))
    check_size(
        params, provinces, scale, accounts=accounts, posts=posts, limit=memory_limit, strata=strata
    )
    if accounts is not None:
        scale = accounts / sum(item[-1] for item in strata)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    frame = _draw_accounts(params, strata, scale, streams[0])
    latent = _draw_account_latents(params, frame, streams[1])
    return params, seed, scale, frame, latent, _account_frame(frame, params), streams


def _units(provinces: pd.DataFrame, level: str, params: dict[str, Any]) -> pd.DataFrame:
    """Sampling frame units (one row per bureau) of a level, with their province and region."""
    provinces = provinces.sort_values("adcode", kind="stable")  # row order must not matter
    codes = provinces["adcode"].to_numpy(dtype=object)
    regions = provinces["region_nbs4"].astype(str).to_numpy(dtype=object)
    if level == "ministry":
        counts = (codes == MINISTRY_PROVINCE).astype(int)
    elif level == "provincial":
        counts = np.ones(len(codes), dtype=int)
    else:
        pref = provinces["prefecture_divisions_2013"].to_numpy(dtype=int)
        if level == "prefecture":
            counts = pref
        else:
            per = float(params["sample"]["counties_per_prefecture"]["value"])
            muni = int(params["sample"]["municipality_county_units"]["value"])
            counts = np.where(pref == 0, muni, np.rint(pref * per).astype(int))
    return pd.DataFrame(
        {"province_code": np.repeat(codes, counts), "region": np.repeat(regions, counts)}
    )


def _strata(params: dict[str, Any], provinces: pd.DataFrame):
    """Yield (stratum, level, platform, type, frame units, accounts per unit, base sample size)."""
    s = params["sample"]
    officers = float(s["officers_per_unit"]["value"])
    ministry = _units(provinces, "ministry", params)
    provincial = _units(provinces, "provincial", params)
    for platform in PLATFORMS:
        n = int(s["ministry"]["value"].get(platform, 0))
        if n:
            units = ministry.loc[ministry.index.repeat(n)].reset_index(drop=True)
            yield f"ministry/{platform}/bureau", "ministry", platform, "bureau", units, 1.0, n
    for platform in PLATFORMS:
        for kind, key in (("bureau", "provincial_bureau"), ("officer", "provincial_officer")):
            per = int(s[key]["value"].get(platform, 0))
            if per:
                units = provincial.loc[provincial.index.repeat(per)].reset_index(drop=True)
                weight_per_unit = 1.0 if kind == "bureau" else officers / per
                yield (
                    f"provincial/{platform}/{kind}",
                    "provincial",
                    platform,
                    kind,
                    units,
                    weight_per_unit,
                    len(units),
                )
    for level in ("prefecture", "county"):
        frame = _units(provinces, level, params)
        for region in REGIONS:
            units = frame[frame["region"] == region].reset_index(drop=True)
            for platform in PLATFORMS:
                for kind in ACCOUNT_TYPES:
                    n = int(s[level]["value"].get(f"{platform}_{kind}", 0))
                    if n and len(units):
                        per = 1.0 if kind == "bureau" else officers
                        n = min(n, len(units)) if kind == "bureau" else n
                        yield (
                            f"{level}/{platform}/{kind}/{region}",
                            level,
                            platform,
                            kind,
                            units,
                            per,
                            n,
                        )


def _draw_accounts(
    params: dict[str, Any], strata: list[tuple], scale: float, rng: np.random.Generator
) -> pd.DataFrame:
    """Sample accounts stratum by stratum (``_strata``); weights are frame size over sample
    size."""
    parts: dict[str, list[np.ndarray]] = {
        name: []
        for name in (
            "platform",
            "level",
            "account_type",
            "province_code",
            "region",
            "sampling_stratum",
            "sampling_weight",
        )
    }
    for stratum, level, platform, kind, units, per_unit, base_n in strata:
        n = max(1, round(base_n * scale))
        frame_n = len(units)
        if level in ("ministry", "provincial") and n % frame_n == 0:
            picks = np.tile(np.arange(frame_n), n // frame_n)  # a census (or whole replicates)
        else:
            copies, rest = divmod(n, frame_n) if n > frame_n else (0, n)
            picks = np.concatenate(
                [np.tile(np.arange(frame_n), copies), rng.choice(frame_n, rest, replace=False)]
            )
            picks.sort(kind="stable")
        for name, value in (
            ("platform", platform),
            ("level", level),
            ("account_type", kind),
            ("sampling_stratum", stratum),
        ):
            parts[name].append(np.full(len(picks), value, dtype=object))
        for name in ("province_code", "region"):
            parts[name].append(units[name].to_numpy(dtype=object)[picks])
        weight = round(frame_n * per_unit / n, WEIGHT_DECIMALS)
        parts["sampling_weight"].append(np.full(len(picks), weight))
    # one frame built from whole columns (one per stratum would cost more than the draws)
    accounts = pd.DataFrame({name: np.concatenate(arrays) for name, arrays in parts.items()})
    n = len(accounts)
    # opening dates: uniform between each platform/level bound (officers use their own)
    key = np.where(accounts["account_type"] == "officer", "officer", accounts["level"])
    low = np.empty(n, dtype="datetime64[D]")
    high = np.empty(n, dtype="datetime64[D]")
    for platform in PLATFORMS:
        for group, (a, b) in params["opening"][platform].items():
            mask = (accounts["platform"].to_numpy() == platform) & (key == group)
            low[mask], high[mask] = np.datetime64(a, "D"), np.datetime64(b, "D")
    span = (high - low).astype(np.int64) + 1
    accounts["opened"] = low + np.floor(rng.random(n) * span).astype(np.int64)
    # followers (Weibo only): lognormal around level x region x type x account-age medians
    fol = params["followers"]
    _, end = window(params)
    opened_day = accounts["opened"].to_numpy().astype("datetime64[D]")
    years_open = ((end - opened_day).astype(np.int64) + 1) / 365.25
    log_median = (
        np.log(accounts["level"].map(fol["median"]).to_numpy(dtype=float))
        + np.log(accounts["region"].map(fol["region_multiplier"]).to_numpy(dtype=float))
        + np.where(accounts["account_type"] == "officer", np.log(fol["officer_multiplier"]), 0.0)
        + fol["age_elasticity"] * np.log(years_open / fol["age_reference_years"])
    )
    draws = np.rint(np.exp(log_median + fol["sigma"] * rng.standard_normal(n)))
    _within(draws, FOLLOWERS_MAX, "[followers] median, multipliers and sigma", "follower counts")
    weibo = accounts["platform"].to_numpy() == "weibo"
    accounts["followers"] = pd.array(np.where(weibo, draws, 0).astype(np.int64), dtype="Int64")
    accounts.loc[~weibo, "followers"] = pd.NA
    # stable, readable order: level, platform, type, province, opening date, draw order
    order = np.lexsort(
        (
            np.arange(n),
            accounts["opened"].to_numpy(),
            accounts["province_code"].to_numpy(dtype=str),
            _codes(accounts["account_type"], ACCOUNT_TYPES),
            _codes(accounts["platform"], PLATFORMS),
            _codes(accounts["level"], LEVELS),
        )
    )
    return accounts.iloc[order].reset_index(drop=True)


def _codes(values: pd.Series, levels: tuple[str, ...]) -> np.ndarray:
    return pd.Categorical(values, categories=levels).codes


def _lognormal_mean_one(rng: np.random.Generator, sigma: float, n: int) -> np.ndarray:
    """Lognormal draws with mean one: mu = -sigma^2 / 2."""
    return np.exp(-0.5 * sigma**2 + sigma * rng.standard_normal(n))


def _draw_account_latents(
    params: dict[str, Any], accounts: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    n = len(accounts)
    u = _lognormal_mean_one(rng, float(params["engagement"]["heterogeneity"]["sigma"]), n)
    activity = _lognormal_mean_one(rng, float(params["posting"]["activity_sigma"]), n)
    return pd.DataFrame({"heterogeneity": u, "activity": activity})


def _account_frame(accounts: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """The accounts table in the codebook's columns and types."""
    n = len(accounts)
    width = max(4, len(str(n)))
    out = pd.DataFrame(
        {
            "account_id": pd.array([f"SYN-A{i:0{width}d}" for i in range(1, n + 1)], dtype="str"),
            "platform": pd.Categorical(accounts["platform"], categories=PLATFORMS),
            "level": pd.Categorical(accounts["level"], categories=LEVELS),
            "account_type": pd.Categorical(accounts["account_type"], categories=ACCOUNT_TYPES),
            "province_code": pd.array(accounts["province_code"].astype(str), dtype="str"),
            "region": pd.Categorical(accounts["region"], categories=REGIONS),
            "opened": accounts["opened"].to_numpy().astype("datetime64[us]"),
            "followers": accounts["followers"].astype("Int64"),
            "sampling_stratum": pd.array(accounts["sampling_stratum"], dtype="str"),
            "sampling_weight": accounts["sampling_weight"].astype("float64"),
        }
    )
    return out


def _expected_posts(
    params: dict[str, Any], accounts: pd.DataFrame, latent: pd.DataFrame, target_posts: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expected posts, first day observed, days observed) of each account: its platform and
    type's yearly rate x its level's multiplier x its activity x the share of the window it was
    open, scaled to ``target_posts`` in all when given."""
    start, end = window(params)
    days = int((end - start).astype(np.int64)) + 1
    platform = _codes(accounts["platform"], PLATFORMS)
    level = _codes(accounts["level"], LEVELS)
    kind = _codes(accounts["account_type"], ACCOUNT_TYPES)
    opened = accounts["opened"].to_numpy().astype("datetime64[D]")
    first = np.maximum(opened, start)
    active = np.clip((end - first).astype(np.int64) + 1, 0, days)
    post = params["posting"]
    rate = np.array(
        [[post["rate"][f"{p}_{k}"] for k in ACCOUNT_TYPES] for p in PLATFORMS], dtype=float
    )[platform, kind]
    level_mult = np.array([post["level_multiplier"][lv] for lv in LEVELS], dtype=float)[level]
    expected = rate * level_mult * latent["activity"].to_numpy() * active / days
    if target_posts is not None:
        if target_posts <= 0:
            raise ModelInputError(f"posts must be positive, found {target_posts}")
        expected *= target_posts / expected.sum()
    return expected, first, active


def _outcome_log_means(
    params: dict[str, Any], accounts: pd.DataFrame, latent: pd.DataFrame, outcome: str
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """(log intercept, NB2 dispersion, log ratio of each account, log ratio of each category)
    of an outcome: a post's mean is exactly exp(intercept + account's + category's), added in
    that order (the committed sample regenerates byte for byte)."""
    eng = params["engagement"]

    def log_effects(factor: str, levels: tuple[str, ...]) -> np.ndarray:
        return np.log(np.array([eng[factor]["value"][lv] for lv in levels], dtype=float))

    platform = _codes(accounts["platform"], PLATFORMS)  # 0 weibo, 1 wechat
    level = _codes(accounts["level"], LEVELS)
    kind = _codes(accounts["account_type"], ACCOUNT_TYPES)
    region = _codes(accounts["region"], REGIONS)
    followers = accounts["followers"].to_numpy(dtype=float, na_value=np.nan)
    beta = float(eng["followers"]["beta"])
    centre = np.log(float(eng["followers"]["centre"]))
    follow_term = np.where(platform == 0, beta * (np.log(np.maximum(followers, 1.0)) - centre), 0)
    account = (
        log_effects("region", REGIONS)[region]
        + log_effects("level", LEVELS)[level]
        + log_effects("account_type", ACCOUNT_TYPES)[kind]
        + follow_term
        + np.log(latent["heterogeneity"].to_numpy())
    )
    if outcome not in OUTCOME_PLATFORM:  # observed on both platforms: the platform ratio
        account = account + log_effects("platform", PLATFORMS)[platform]
    intercept = np.log(float(eng["intercept"]["value"][outcome]))
    alpha = float(eng["dispersion"]["value"][outcome])
    return intercept, alpha, account, log_effects("category", CATEGORIES)


def _draw_posts(
    params: dict[str, Any],
    accounts: pd.DataFrame,
    latent: pd.DataFrame,
    target_posts: int | None,
    streams: list[np.random.Generator],
    account_table: pd.DataFrame,
) -> pd.DataFrame:
    start, end = window(params)
    days = int((end - start).astype(np.int64)) + 1
    platform = _codes(accounts["platform"], PLATFORMS)  # 0 weibo, 1 wechat
    level = _codes(accounts["level"], LEVELS)
    kind = _codes(accounts["account_type"], ACCOUNT_TYPES)
    region = _codes(accounts["region"], REGIONS)
    expected, first, active = _expected_posts(params, accounts, latent, target_posts)
    latent["expected_posts"] = expected
    post = params["posting"]

    rng_n, rng_time, rng_cat, rng_count, rng_answer, _ = streams
    n_posts = rng_n.poisson(expected)
    idx = np.repeat(np.arange(len(accounts), dtype=np.int32), n_posts)
    total = len(idx)

    # timestamps: a uniform day while the account was open, an hour from the daily profile
    weights = np.asarray(post["hour_weights"], dtype=float)
    day = (first - start).astype(np.int64)[idx] + np.floor(
        rng_time.random(total) * active[idx]
    ).astype(np.int64)
    hour = np.searchsorted(np.cumsum(weights) / weights.sum(), rng_time.random(total), "right")
    seconds = day * 86400 + np.minimum(hour, 23) * 3600 + rng_time.integers(0, 3600, total)
    del day, hour
    # order by account, then time: idx is already grouped by account, so sorting the packed
    # key (account << bits | second of the window) sorts the times within each account;
    # equal keys are equal values, so the result does not depend on the sort's stability.
    bits = int(days * 86400).bit_length()
    key = (idx.astype(np.int64) << bits) | seconds
    del seconds
    key.sort()
    seconds = key & ((1 << bits) - 1)
    del key
    posted_at = (start.astype("datetime64[s]") + seconds.astype("timedelta64[s]")).astype(
        "datetime64[us]"
    )
    del seconds

    # content category by platform mix
    post_platform = platform[idx]
    category = np.empty(total, dtype=np.int8)
    draws = rng_cat.random(total)
    for p, name in enumerate(PLATFORMS):
        shares = np.array([params["content"][name][c] for c in CATEGORIES], dtype=float)
        cum = np.cumsum(shares) / shares.sum()
        mask = post_platform == p
        category[mask] = np.minimum(np.searchsorted(cum, draws[mask], "right"), len(CATEGORIES) - 1)
    del draws

    # engagement: NB2 counts with an exactly log-linear mean
    counts: dict[str, Any] = {}
    for outcome in OUTCOMES:
        only = OUTCOME_PLATFORM.get(outcome)
        intercept, alpha, account, category_log = _outcome_log_means(
            params, accounts, latent, outcome
        )
        mask = None if only is None else post_platform == PLATFORMS.index(only)
        sub_idx = idx if mask is None else idx[mask]
        sub_cat = category if mask is None else category[mask]
        mu = np.exp(intercept + account[sub_idx] + category_log[sub_cat])
        lam = mu * rng_count.gamma(1.0 / alpha, alpha, len(mu))
        _within(lam, COUNT_MAX, f"[engagement] intercept of {outcome} with its effects", outcome)
        values = rng_count.poisson(lam)
        del mu, lam
        if mask is None:
            counts[outcome] = values.astype(np.int32)
        else:
            full = np.zeros(total, dtype=np.int32)
            full[mask] = values
            counts[outcome] = pd.arrays.IntegerArray(full, ~mask)

    # answers: Binomial(comments, p) with a logit-linear p per account
    ans = params["answer"]

    def log_odds(factor: str, levels: tuple[str, ...]) -> np.ndarray:
        return np.log(np.array([ans[factor]["value"][lv] for lv in levels], dtype=float))

    base = float(ans["baseline"]["value"])
    logit = (
        np.log(base / (1 - base))
        + log_odds("region", REGIONS)[region]
        + log_odds("level", LEVELS)[level]
        + log_odds("platform", PLATFORMS)[platform]
        + log_odds("account_type", ACCOUNT_TYPES)[kind]
    )
    prob = 1.0 / (1.0 + np.exp(-logit))
    answered = rng_answer.binomial(counts["comments"], prob[idx]).astype(np.int32)

    width = max(7, len(str(total)))
    account_ids = account_table["account_id"].to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "post_id": _post_ids(total, width),
            "account_id": pd.Categorical.from_codes(idx, categories=account_ids),
            "posted_at": posted_at,
            "category": pd.Categorical.from_codes(category, categories=CATEGORIES),
            "reposts": counts["reposts"],
            "page_views": counts["page_views"],
            "likes": counts["likes"],
            "comments": counts["comments"],
            "comments_answered": answered,
        }
    )


def _post_ids(n: int, width: int) -> pd.api.extensions.ExtensionArray:
    """Synthetic post ids SYN-P0000001.. as a pandas string array."""
    return pd.array([f"SYN-P{i:0{width}d}" for i in range(1, n + 1)], dtype="str")
