"""Content: shares, the clustered independence test, recovery of the simulated content mix."""

from __future__ import annotations

import csv
import json
import tomllib
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.errors import ModelInputError
from analysis.topics import content

CATEGORIES = list(content.CATEGORY_LABELS)


def _sample(accounts: pd.DataFrame, categories: list[np.ndarray]) -> pd.DataFrame:
    posts = pd.DataFrame(
        {
            "account_id": np.repeat(accounts["account_id"], [len(c) for c in categories]),
            "category": pd.Categorical(np.concatenate(categories), categories=CATEGORIES),
        }
    )
    return content.posts_with_accounts(posts, accounts)


def _accounts(n: int, rng: np.random.Generator, **columns) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "account_id": [f"SYN-A{i:04d}" for i in range(n)],
            "level": rng.choice(["provincial", "prefecture"], n),
            "platform": rng.choice(["weibo", "wechat"], n),
            "region": rng.choice(["east", "west"], n),
            "sampling_weight": 1.0,
        }
    )
    return frame.assign(**columns)


def test_shares_sum_to_one_and_count_accounts():
    rng = np.random.default_rng(1)
    accounts = _accounts(6, rng)
    joined = _sample(accounts, [rng.choice(CATEGORIES, 10) for _ in range(6)])
    shares = content.category_shares(joined, "platform")
    assert shares[CATEGORIES].sum(axis=1).to_numpy() == pytest.approx(1.0)
    assert shares["posts"].sum() == 60
    assert shares["accounts"].sum() == 6


def test_permutation_test_respects_clustering_where_chi_square_does_not():
    """Each account posts one category only, and platform is unrelated to it: the post-level
    chi-square sees 'significance' in chance imbalance between 40 accounts; the account-level
    permutation test does not."""
    rng = np.random.default_rng(3)
    n = 40
    accounts = _accounts(n, rng, platform=np.tile(["weibo", "wechat"], n // 2))
    favourite = rng.choice(CATEGORIES, n)
    joined = _sample(accounts, [np.repeat(c, 200) for c in favourite])
    test = content.independence_test(joined, "platform", permutations=499)
    assert test["p_value"] < 0.001
    assert test["p_permutation"] > 0.05
    assert test["n_accounts"] == n


def test_permutation_test_detects_a_real_difference():
    rng = np.random.default_rng(5)
    n = 40
    accounts = _accounts(n, rng, platform=np.tile(["weibo", "wechat"], n // 2))
    probs = {"weibo": [0.7, 0.1, 0.1, 0.1], "wechat": [0.3, 0.4, 0.1, 0.2]}
    posts = [rng.choice(CATEGORIES, 50, p=probs[p]) for p in accounts["platform"]]
    test = content.independence_test(_sample(accounts, posts), "platform", permutations=199)
    assert test["p_permutation"] == pytest.approx(1 / 200)
    assert test["cramers_v"] > 0.2


def test_within_platform_permutation_separates_level_from_platform():
    """Content depends on platform only; level goes with platform. A level test that shuffles
    within platform must not attribute the platform difference to level."""
    rng = np.random.default_rng(9)
    n = 80
    platform = np.repeat(["weibo", "wechat"], n // 2)
    level = np.where(
        rng.random(n) < np.where(platform == "weibo", 0.85, 0.15), "provincial", "prefecture"
    )
    accounts = _accounts(n, rng, platform=platform, level=level)
    probs = {"weibo": [0.7, 0.1, 0.1, 0.1], "wechat": [0.3, 0.4, 0.1, 0.2]}
    joined = _sample(accounts, [rng.choice(CATEGORIES, 60, p=probs[p]) for p in platform])
    plain = content.independence_test(joined, "level", permutations=199)
    within = content.independence_test(joined, "level", within="platform", permutations=199)
    assert plain["p_permutation"] < 0.05
    assert within["p_permutation"] > 0.05


def test_bad_input_is_a_model_input_error():
    rng = np.random.default_rng(1)
    accounts = _accounts(2, rng)
    posts = pd.DataFrame({"account_id": ["SYN-A0000", "SYN-A9999"], "category": ["services"] * 2})
    with pytest.raises(ModelInputError, match="SYN-A9999"):
        content.posts_with_accounts(posts, accounts)
    with pytest.raises(ModelInputError, match="missing column"):
        content.posts_with_accounts(posts.drop(columns="category"), accounts)
    one_group = _sample(accounts.assign(platform="weibo"), [np.array(["services"])] * 2)
    with pytest.raises(ModelInputError, match="at least 2 groups"):
        content.independence_test(one_group, "platform")


def test_sample_recovers_the_simulated_content_mix():
    """The committed synthetic sample was drawn with the shares in data/simulation.toml: each
    platform's observed share must hold the generating share within a 99% Wilson interval."""
    params = tomllib.loads(paths.simulation_parameters.read_text(encoding="utf-8"))["content"]
    joined = content._load_joined()
    from statsmodels.stats.proportion import proportion_confint

    for platform in ("weibo", "wechat"):
        part = joined.loc[joined["platform"] == platform]  # account x category cells
        for category in CATEGORIES:
            hits = int(part.loc[part["category"] == category, "posts"].sum())
            low, high = proportion_confint(
                hits, int(part["posts"].sum()), alpha=0.01, method="wilson"
            )
            assert low <= params[platform][category] <= high, (platform, category, low, high)


def test_values_match_counts_from_the_csv_files():
    """Shares overall and by platform, the largest category and the weighted publicity share,
    counted from posts.csv and accounts.csv with plain Python."""
    accounts = {}
    with (paths.data / "synthetic" / "accounts.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            accounts[row["account_id"]] = (row["platform"], float(row["sampling_weight"]))
    overall: Counter[str] = Counter()
    by_platform: dict[str, Counter[str]] = {"weibo": Counter(), "wechat": Counter()}
    weight_all = weight_publicity = 0.0
    with (paths.data / "synthetic" / "posts.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            platform, weight = accounts[row["account_id"]]
            overall[row["category"]] += 1
            by_platform[platform][row["category"]] += 1
            weight_all += weight
            weight_publicity += weight * (row["category"] == "publicity")
    posts = sum(overall.values())
    values = content.content_values()
    json.dumps(values, allow_nan=False)
    assert values["synthetic"] == "yes"
    assert values["posts"] == posts
    for category in CATEGORIES:
        assert values[f"share_{category}"] == pytest.approx(overall[category] / posts, rel=1e-12)
        for platform, counts in by_platform.items():
            share = counts[category] / sum(counts.values())
            assert values[f"share_{category}_{platform}"] == pytest.approx(share, rel=1e-12)
    assert values["largest_category"] == overall.most_common(1)[0][0]
    assert values["publicity_weighted_share"] == pytest.approx(
        weight_publicity / weight_all, rel=1e-9
    )
    assert 1 / (values["permutations"] + 1) <= values["platform_p_permutation"] <= 1


def test_tables_and_figure_are_labelled():
    table = content.by_platform()
    assert table.columns[0] == "Platform"
    assert "permutation" in table.attrs["note"]
    fig = content.mix_figure()
    # The title states the figure's point; the footer says the data are the synthetic sample.
    assert "largest share" in fig._suptitle.get_text() or "No one" in fig._suptitle.get_text()
    assert any("Synthetic sample" in t.get_text() for t in fig.texts)
