"""The synthetic engagement sample: determinism, the parameter file's facts, files and commands."""

from __future__ import annotations

import shutil
import tomllib

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from analysis import paths
from analysis.__main__ import main
from analysis.data import datapackage, datasets, sample_files, simulate
from analysis.errors import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, ModelInputError
from analysis.topics import sample

Z = 4.0  # tolerance in standard errors for sampling-error checks (false alarm ~ 1e-4 each)


@pytest.fixture(scope="module")
def params() -> dict:
    return simulate.load_parameters()


@pytest.fixture(scope="module")
def committed(params):
    """The default sample with its latent variables, and the committed files as loaded."""
    drawn = simulate.simulate(params)
    return drawn, datasets.load("accounts"), datasets.load("posts")


def _bytes(accounts: pd.DataFrame, posts: pd.DataFrame) -> tuple[bytes, bytes]:
    return sample_files.render(accounts), sample_files.render(posts)


# --- determinism --------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(params):
    first = _bytes(*simulate.generate(params, seed=7, scale=0.1))
    second = _bytes(*simulate.generate(params, seed=7, scale=0.1))
    assert first == second


def test_different_seeds_differ(params):
    a1, p1 = simulate.generate(params, seed=7, scale=0.1)
    a2, p2 = simulate.generate(params, seed=8, scale=0.1)
    assert sample_files.render(a1) != sample_files.render(a2)
    assert sample_files.render(p1) != sample_files.render(p2)


def test_csv_format_is_fixed(committed):
    raw = (paths.data / sample_files.FILES["posts"]).read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n")
    header = raw.split(b"\n", 1)[0].decode()
    assert header.split(",") == list(simulate.POST_COLUMNS)
    accounts_header = (paths.data / sample_files.FILES["accounts"]).read_text().split("\n", 1)[0]
    assert accounts_header.split(",") == list(simulate.ACCOUNT_COLUMNS)


# --- the committed files are the generator's output --------------------------------------


def test_committed_files_regenerate_byte_for_byte():
    built = sample_files.build()
    assert sample_files.compare(built) == []


def test_check_command_passes(capsys):
    assert main(["simulate", "--check"]) == EXIT_OK
    assert "byte for byte" in capsys.readouterr().out


def test_generated_frames_equal_loaded_files(committed):
    drawn, accounts, posts = committed
    pd.testing.assert_frame_equal(drawn.accounts, accounts, check_dtype=False)
    generated = drawn.posts.assign(account_id=drawn.posts["account_id"].astype(str))
    pd.testing.assert_frame_equal(generated, posts, check_dtype=False)


def test_editing_a_committed_file_is_caught_by_hash(package_copy):
    file = package_copy / sample_files.FILES["posts"]
    lines = file.read_text().split("\n")
    fields = lines[5].split(",")
    fields[6] = str(int(fields[6]) + 1)  # one more like: still valid against the schema
    lines[5] = ",".join(fields)
    file.write_text("\n".join(lines))
    checked = datasets.check("posts", base=package_copy)
    assert any("hash" in p.problem for p in checked.problems)
    differences = sample_files.compare(sample_files.build(), package_copy)
    assert differences[0].resource == "posts" and differences[0].line == 6


def test_check_command_names_the_first_differing_resource(package_copy, monkeypatch, capsys):
    file = package_copy / sample_files.FILES["accounts"]
    file.write_bytes(file.read_bytes().replace(b"SYN-A0003,", b"SYN-A9993,", 1))
    monkeypatch.setattr(paths, "data", package_copy)
    assert main(["simulate", "--check"]) == EXIT_CHECK_FAILED
    captured = capsys.readouterr()
    assert "resource 'accounts'" in captured.out + captured.err
    assert "line 4" in captured.err


def test_first_difference_reports_line():
    assert sample_files.first_difference(b"a\nb\nc\n", b"a\nx\nc\n")[0] == 2
    line, detail = sample_files.first_difference(b"a\nb\n", b"a\nb\nc\n")
    assert line == 3 and "early" in detail


# --- the codebook and the descriptor ------------------------------------------------------


def test_descriptor_entries_record_provenance(params):
    descriptor = datapackage.read_descriptor()
    sha = simulate.parameters_sha256()
    bib = datapackage.bib_keys()
    for name in sample_files.RESOURCES:
        entry = datapackage.resource(descriptor, name)
        assert entry["synthetic"] is True
        assert "SIMULATED" in entry["description"] and "SYNTHETIC" in entry["title"]
        assert entry["generator"] == {
            "module": "analysis.data.simulate",
            "version": simulate.GENERATOR_VERSION,
            "parameters": "simulation.toml",
            "parameters_sha256": sha,
            "seed": params["seed"]["value"],
        }
        assert entry["sources"] and all(s["bibkey"] in bib for s in entry["sources"])
        assert all(f.get("description") for f in entry["schema"]["fields"])


def test_codebook_constraints_hold(committed, params):
    _, accounts, posts = committed
    provinces = datasets.load("provinces").set_index("adcode")
    assert 600 <= len(accounts) <= 1500 and 50_000 <= len(posts) <= 150_000
    assert (posts["comments_answered"] <= posts["comments"]).all()
    merged = posts.merge(accounts, on="account_id", how="left", validate="many_to_one")
    weibo = merged["platform"] == "weibo"
    assert (
        merged.loc[weibo, "reposts"].notna().all() and merged.loc[weibo, "page_views"].isna().all()
    )
    assert merged.loc[~weibo, "reposts"].isna().all()
    assert merged.loc[~weibo, "page_views"].notna().all()
    assert (accounts["followers"].isna() == (accounts["platform"] == "wechat")).all()
    assert (merged["posted_at"] >= merged["opened"]).all()
    start, end = simulate.window(params)
    assert merged["posted_at"].min() >= pd.Timestamp(start)
    assert merged["posted_at"].max() < pd.Timestamp(end) + pd.Timedelta(days=1)
    assert accounts.loc[accounts["platform"] == "weibo", "opened"].min() >= pd.Timestamp(
        "2010-02-01"
    )
    assert accounts.loc[accounts["platform"] == "wechat", "opened"].min() >= pd.Timestamp(
        "2013-01-01"
    )
    region = provinces.loc[accounts["province_code"], "region_nbs4"].astype(str).to_numpy()
    assert (accounts["region"].astype(str).to_numpy() == region).all()
    assert (accounts.loc[accounts["level"] == "ministry", "province_code"] == "110000").all()
    provincial = accounts[
        (accounts["level"] == "provincial") & (accounts["account_type"] == "bureau")
    ]
    for platform in simulate.PLATFORMS:
        on = provincial.loc[provincial["platform"] == platform, "province_code"]
        assert set(on) == set(provinces.index), f"a province lacks a {platform} bureau account"
    for level in ("prefecture", "county"):
        cells = accounts[accounts["level"] == level].groupby(
            ["region", "platform", "account_type"], observed=False
        )
        assert (cells.size() > 0).all(), f"an empty {level} stratum cell"
    assert accounts["sampling_weight"].min() > 0
    assert (accounts.loc[accounts["level"] == "provincial", "sampling_weight"] >= 1).all()


# --- the parameter file's facts within sampling error ------------------------------------


def test_category_shares_match_parameters(committed, params):
    _, accounts, posts = committed
    platform = posts["account_id"].map(accounts.set_index("account_id")["platform"])
    for name in simulate.PLATFORMS:
        cats = posts.loc[platform == name, "category"]
        n = len(cats)
        observed = cats.value_counts(normalize=True)
        for category, share in params["content"][name].items():
            se = np.sqrt(share * (1 - share) / n)
            assert abs(observed[category] - share) < Z * se, (name, category)


def test_answer_rate_by_region_matches_parameters(committed, params):
    _, accounts, posts = committed
    ans = params["answer"]
    base = ans["baseline"]["value"]
    logit = np.log(base / (1 - base)) + sum(
        np.log(accounts[f].astype(str).map(ans[k]["value"]).to_numpy(dtype=float))
        for f, k in (
            ("region", "region"),
            ("level", "level"),
            ("platform", "platform"),
            ("account_type", "account_type"),
        )
    )
    prob = pd.Series(1 / (1 + np.exp(-logit)), index=accounts["account_id"])
    p = posts["account_id"].map(prob).to_numpy()
    region = posts["account_id"].map(accounts.set_index("account_id")["region"]).astype(str)
    n = posts["comments"].to_numpy(dtype=float)
    k = posts["comments_answered"].to_numpy(dtype=float)
    for name in simulate.REGIONS:
        m = (region == name).to_numpy()
        expected, var = (n[m] * p[m]).sum(), (n[m] * p[m] * (1 - p[m])).sum()
        assert abs(k[m].sum() - expected) < Z * np.sqrt(var), name
        assert k[m].sum() / n[m].sum() < 0.15, f"answer rate in {name} is not low"


def _account_log_mean(
    accounts: pd.DataFrame, latent: pd.DataFrame, outcome: str, effects: dict
) -> np.ndarray:
    """log E[count | account, reference category] from the parameter file alone (independent
    of the generator)."""
    a = accounts
    eta = np.full(len(a), np.log(effects[f"intercept:{outcome}"]))
    factors = ["region", "level", "account_type"]
    if outcome not in simulate.OUTCOME_PLATFORM:
        factors.append("platform")
    for factor in factors:
        eta += np.log(a[factor].astype(str).map(lambda v, f=factor: effects[f"irr:{f}[{v}]"]))
    followers = a["followers"].to_numpy(dtype=float, na_value=np.nan)
    centre = np.log(effects["centre:followers"])
    eta += np.where(
        np.isnan(followers), 0, effects["beta:log_followers"] * (np.log(followers) - centre)
    )
    return np.asarray(eta + np.log(latent["heterogeneity"].to_numpy()), dtype=float)


def _log_mean(drawn: simulate.Sample, outcome: str, effects: dict) -> np.ndarray:
    """log E[count | post] from the parameter file alone (independent of the generator)."""
    p = drawn.posts
    idx = p["account_id"].cat.codes.to_numpy()
    eta = _account_log_mean(drawn.accounts, drawn.latent, outcome, effects)
    cat = (
        p["category"].astype(str).map(lambda v: effects[f"irr:category[{v}]"]).to_numpy(dtype=float)
    )
    return eta[idx] + np.log(cat)


def _nb2_alpha(y: np.ndarray, mu: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood NB2 dispersion with the mean known, and its standard error."""

    def nll(log_alpha: float) -> float:
        r = np.exp(-log_alpha)
        return -np.sum(
            special.gammaln(y + r)
            - special.gammaln(r)
            + r * np.log(r / (r + mu))
            + y * np.log(mu / (r + mu))
        )

    best = optimize.minimize_scalar(nll, bounds=(-5, 5), method="bounded").x
    h = 1e-3
    curvature = (nll(best + h) - 2 * nll(best) + nll(best - h)) / h**2
    return float(np.exp(best)), float(np.exp(best) / np.sqrt(curvature))


def test_counts_are_nb2_with_the_stated_dispersion(committed):
    drawn = committed[0]
    effects = simulate.true_effects()
    for outcome in simulate.OUTCOMES:
        y = drawn.posts[outcome].to_numpy(dtype=float, na_value=np.nan)
        mu = np.exp(_log_mean(drawn, outcome, effects))
        keep = ~np.isnan(y)
        y, mu = y[keep], mu[keep]
        assert y.var() / y.mean() > 20, f"{outcome} is not over-dispersed"
        assert abs(y.sum() - mu.sum()) < Z * np.sqrt(
            (mu + effects[f"dispersion:{outcome}"] * mu**2).sum()
        )
        alpha, se = _nb2_alpha(y, mu)
        assert abs(alpha - effects[f"dispersion:{outcome}"]) < Z * se, (outcome, alpha, se)


def test_followers_follow_the_documented_anchors(committed, params):
    """log followers minus the stated log median is N(0, sigma) within sampling error."""
    _, accounts, _ = committed
    fol = params["followers"]
    weibo = accounts[accounts["platform"] == "weibo"]
    _, end = simulate.window(params)
    years = ((pd.Timestamp(end) - weibo["opened"]).dt.days + 1) / 365.25
    log_median = (
        np.log(weibo["level"].astype(str).map(fol["median"]).astype(float))
        + np.log(weibo["region"].astype(str).map(fol["region_multiplier"]).astype(float))
        + np.where(weibo["account_type"] == "officer", np.log(fol["officer_multiplier"]), 0)
        + fol["age_elasticity"] * np.log(years / fol["age_reference_years"])
    )
    residual = np.log(weibo["followers"].to_numpy(dtype=float)) - log_median.to_numpy()
    assert abs(residual.mean()) < Z * fol["sigma"] / np.sqrt(len(residual))
    assert abs(residual.std() - fol["sigma"]) < 0.15
    county = weibo.loc[weibo["level"] == "county", "followers"]
    assert (
        county.median() < 83_000 < weibo.loc[weibo["level"] == "provincial", "followers"].median()
    )


def test_engagement_is_heavy_tailed_across_accounts(committed, params):
    drawn, _, posts = committed
    u = drawn.latent["heterogeneity"].to_numpy()
    sigma = params["engagement"]["heterogeneity"]["sigma"]
    se = np.sqrt((np.exp(sigma**2) - 1) / len(u))
    assert abs(u.mean() - 1) < Z * se, "heterogeneity multiplier must have mean one"
    assert abs(np.log(u).std() - sigma) < 0.1
    per_account = posts.groupby("account_id", observed=True)["comments"].sum().sort_values()
    top_decile = per_account.iloc[-len(per_account) // 10 :].sum() / per_account.sum()
    assert top_decile > 0.5


@pytest.mark.parametrize("outcome", ["comments", "reposts"])
def test_drawn_cells_follow_the_process_of_the_posts(params, outcome):
    """``draw_cells`` (the power study's samples, no post drawn) draws the accounts ``simulate``
    draws and cell statistics from the same process: posts per account Poisson around their
    expectation, split over categories by the platform's shares, counts NB2 around the
    parameter file's means with its dispersion, only on the platform that has the outcome."""
    effects = simulate.true_effects(params)
    full = simulate.simulate(params, seed=11, accounts=2000)
    drawn = simulate.draw_cells(params, seed=11, accounts=2000, outcome=outcome)
    pd.testing.assert_frame_equal(drawn.accounts, full.accounts)
    n = drawn.columns["n_posts"].reshape(len(drawn.accounts), len(drawn.categories))
    expected = full.latent["expected_posts"].to_numpy()
    assert abs(n.sum() - expected.sum()) < Z * np.sqrt(expected.sum())
    for platform in simulate.PLATFORMS:
        on = (drawn.accounts["platform"] == platform).to_numpy()
        shares = np.array([params["content"][platform][c] for c in drawn.categories])
        shares = shares / shares.sum()
        got = n[on].sum(axis=0)
        assert (np.abs(got - shares * got.sum()) < Z * np.sqrt(shares * got.sum()) + 1).all()
    observed = drawn.columns[f"{outcome}_n"].reshape(n.shape)
    only = simulate.OUTCOME_PLATFORM.get(outcome)
    has = np.ones(len(n), bool) if only is None else (drawn.accounts["platform"] == only)
    assert (observed[~np.asarray(has)] == 0).all() and (observed[has] == n[has]).all()
    category = np.log([effects[f"irr:category[{c}]"] for c in drawn.categories])
    log_mean = _account_log_mean(drawn.accounts, full.latent, outcome, effects)[:, None] + category
    cell = np.repeat(np.arange(observed.size), observed.ravel())
    y, mu = drawn.values.astype(float), np.exp(log_mean).ravel()[cell]
    assert drawn.columns[f"{outcome}_sum"].sum() == y.sum()
    assert drawn.columns[f"{outcome}_sumsq"].sum() == (y**2).sum()
    dispersion = effects[f"dispersion:{outcome}"]
    assert abs(y.sum() - mu.sum()) < Z * np.sqrt((mu + dispersion * mu**2).sum())
    alpha, se = _nb2_alpha(y, mu)
    assert abs(alpha - dispersion) < Z * se, (outcome, alpha, se)


def test_poisson_fit_recovers_the_stated_irrs():
    """A log-linear fit (latent u as offset) finds the parameter file's IRRs in its CIs."""
    import statsmodels.api as sm

    drawn = simulate.simulate(scale=0.5, seed=3)
    effects = simulate.true_effects()
    ref = simulate.load_parameters()["reference"]
    a, p = drawn.accounts, drawn.posts
    idx = p["account_id"].cat.codes.to_numpy()
    columns = {"const": np.ones(len(p))}
    truth = {}
    for factor, levels in (
        ("region", simulate.REGIONS),
        ("level", simulate.LEVELS),
        ("account_type", simulate.ACCOUNT_TYPES),
        ("platform", simulate.PLATFORMS),
        ("category", simulate.CATEGORIES),
    ):
        values = (p["category"] if factor == "category" else a[factor].iloc[idx]).astype(str)
        for level in levels:
            if level != ref[factor]:
                columns[f"{factor}[{level}]"] = (values == level).to_numpy(dtype=float)
                truth[f"{factor}[{level}]"] = effects[f"irr:{factor}[{level}]"]
    followers = a["followers"].to_numpy(dtype=float, na_value=np.nan)[idx]
    centre = np.log(effects["centre:followers"])
    columns["log_followers"] = np.where(np.isnan(followers), 0, np.log(followers) - centre)
    truth["log_followers"] = np.exp(effects["beta:log_followers"])
    design = pd.DataFrame(columns)
    fit = sm.GLM(
        p["comments"].to_numpy(dtype=float),
        design,
        family=sm.families.Poisson(),
        offset=np.log(drawn.latent["heterogeneity"].to_numpy())[idx],
    ).fit(cov_type="cluster", cov_kwds={"groups": idx})
    ci = np.exp(fit.conf_int(alpha=0.001))
    for name, irr in truth.items():
        assert ci.loc[name, 0] <= irr <= ci.loc[name, 1], (name, irr, ci.loc[name].tolist())


# --- parameters, sizes and overrides ------------------------------------------------------


def test_parameter_file_states_every_assumption(params):
    """Every parameter table has a description and a basis; cited keys are in references.bib."""
    bib = datapackage.bib_keys()

    def walk(node: dict, where: str) -> None:
        if "description" in node or "value" in node:
            assert node.get("description"), f"{where} has no description"
            assert node.get("basis"), f"{where} has no basis"
            for key in node.get("sources", []):
                assert key in bib, f"{where} cites {key!r}, not in references.bib"
        for key, value in node.items():
            if isinstance(value, dict) and key != "value" and not _is_value_map(value):
                walk(value, f"{where}.{key}")

    for key, value in params.items():
        if isinstance(value, dict):
            walk(value, key)
    assert params["reference"]["region"] == "east"
    for factor in ("region", "platform", "level", "account_type", "category"):
        assert params["engagement"][factor]["value"][params["reference"][factor]] == 1.0


def _is_value_map(node: dict) -> bool:
    return all(isinstance(v, int | float | str | list) for v in node.values())


def test_override_changes_one_parameter(params):
    changed = simulate.override(params, {"engagement.region.value.west": 0.3})
    assert changed["engagement"]["region"]["value"]["west"] == 0.3
    assert params["engagement"]["region"]["value"]["west"] != 0.3
    with pytest.raises(ModelInputError):
        simulate.override(params, {"engagement.nope.value": 1})
    a1, p1 = simulate.generate(changed, seed=1, scale=0.2)
    a2, p2 = simulate.generate(params, seed=1, scale=0.2)
    pd.testing.assert_frame_equal(a1, a2)
    assert not p1["comments"].equals(p2["comments"])


def test_sizes_follow_scale_and_targets(params):
    accounts, posts = simulate.generate(params, seed=2, scale=0.5)
    assert 350 <= len(accounts) <= 550
    accounts, posts = simulate.generate(params, seed=2, accounts=300, posts=20_000)
    assert 250 <= len(accounts) <= 350
    assert abs(len(posts) - 20_000) < 4 * np.sqrt(20_000)
    with pytest.raises(ModelInputError):
        simulate.generate(params, scale=0)


def test_parameter_hash_is_of_the_file():
    data = paths.simulation_parameters.read_bytes()
    tomllib.loads(data.decode())
    assert simulate.parameters_sha256() == datapackage.sha256_bytes(data)


# --- the command line ---------------------------------------------------------------------


def test_out_writes_an_alternative_sample_without_touching_data(tmp_path, capsys):
    before = {p: p.read_bytes() for p in (paths.data / "synthetic").glob("*.csv")}
    descriptor_before = paths.datapackage.read_bytes()
    out = tmp_path / "alt"
    code = main(["simulate", "--seed", "11", "--scale", "0.1", "--out", str(out)])
    assert code == EXIT_OK
    assert {p: p.read_bytes() for p in (paths.data / "synthetic").glob("*.csv")} == before
    assert paths.datapackage.read_bytes() == descriptor_before
    entry = datapackage.resource(datapackage.read_descriptor(out / "datapackage.json"), "posts")
    assert entry["generator"]["seed"] == 11 and entry["generator"]["scale"] == 0.1
    assert (out / "simulation.toml").read_bytes() == paths.simulation_parameters.read_bytes()
    shutil.copy(paths.references_bib, tmp_path / "references.bib")
    loaded = datasets.load("posts", base=out)
    assert 0 < len(loaded) < 20_000
    assert "SYNTHETIC" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--seed", "3"],
        ["simulate", "--check", "--seed", "3"],
        ["simulate", "--scale", "-1", "--out", "x"],
    ],
)
def test_usage_errors(argv):
    assert main(argv) == EXIT_USAGE


# --- the artifacts the book shows ---------------------------------------------------------


def test_summary_and_tables_describe_the_sample(committed):
    _, accounts, posts = committed
    values = sample.summary()
    assert values["accounts"] == len(accounts) and values["posts"] == len(posts)
    assert values["synthetic"] == "yes"
    assert sum(values[f"accounts_{r}"] for r in simulate.REGIONS) == len(accounts)
    table = sample.description()
    total = table.iloc[-1]
    assert total["Total"] == len(accounts) and total["Posts"] == len(posts)
    from analysis.pipeline import store  # the note a reader sees: the label comes from the store

    assert store.table("sample.description")["note"].startswith("Synthetic sample:")
    assert store.table("sample.description")["note"].count("Synthetic sample") == 1
    strata = sample.strata()
    assert strata["Sampled accounts"].sum() == len(accounts)
