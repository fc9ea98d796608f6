"""The collection design's power study (analysis.topics.design): its arithmetic and its words."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.data import simulate
from analysis.topics import design


def test_monte_carlo_error_is_the_binomial_standard_error() -> None:
    assert design.mcse(0.5, 16) == pytest.approx(0.125)
    assert design.mcse(1.0, 16) == 0.0
    assert design.mcse(0.8, 100) == pytest.approx(math.sqrt(0.16 / 100))


def test_power_given_the_sampling_distribution_is_exact_for_wald() -> None:
    """No effect: the Wald test rejects at its level; a large effect: it nearly always does,
    and the clear test then agrees with a direct count over the same draws."""
    z = np.random.default_rng(1).standard_normal((4000, 3))
    cov = np.eye(3) * 0.01
    wald, clear = design.power_at(np.zeros(3), cov, z)
    assert wald == pytest.approx(design.ALPHA)
    assert clear < 0.01
    wald, clear = design.power_at(np.array([0.0, 0.0, math.log(2.0)]), cov, z)
    assert wald > 0.99
    low = math.log(2.0) + z[:, 2] * 0.1 - design.Z_95 * math.sqrt(0.01)
    assert clear == pytest.approx(float(np.mean(low > math.log(design.CLEAR_RATIO))), abs=0.02)


def test_power_grows_with_the_size_and_the_errors_are_reported() -> None:
    curve, check = design.power_curve(sizes=(250, 2000), replicates=2, max_replicates=2)
    assert check["replicates"] == 2
    assert check["reference_accounts"] == pytest.approx(design.REFERENCE_ACCOUNTS, rel=0.1)
    assert check["posts_per_account"] > 1
    small, large = curve.iloc[0], curve.iloc[1]
    for test in ("wald", "clear"):
        assert small[f"power_{test}"] < large[f"power_{test}"]
        assert small[f"mcse_{test}"] >= 0


def test_no_regional_effect_gives_power_near_alpha() -> None:
    """With every region alike the test rejects at its level: power is its false-positive rate."""
    params = simulate.override(
        simulate.load_parameters(),
        {"engagement.region.value": {"east": 1.0, "central": 1.0, "west": 1.0, "northeast": 1.0}},
    )
    curve, _ = design.power_curve(sizes=(1000,), replicates=2, params=params, max_replicates=2)
    assert curve.iloc[0]["power_clear"] < 0.02  # the selected pair makes it not quite zero
    assert curve.iloc[0]["power_wald"] == pytest.approx(design.ALPHA)


def _curve(powers: list[float], error: float = 0.01) -> pd.DataFrame:
    sizes = [250, 500, 1000, 2000][: len(powers)]
    return pd.DataFrame({"size": sizes, "power_wald": powers, "mcse_wald": [error] * len(powers)})


def test_size_needed_is_a_range_between_clearly_short_and_clearly_enough() -> None:
    assert design.needed_range(_curve([0.5, 0.7, 0.9, 0.99]), "wald") == (500, 1000)
    # a power within two Monte Carlo errors of the target is neither short nor enough
    assert design.needed_range(_curve([0.5, 0.79, 0.9, 0.99]), "wald") == (250, 1000)
    assert design.needed_range(_curve([0.9, 0.95]), "wald") == (None, 250)
    assert design.needed_range(_curve([0.1, 0.2]), "wald") == (500, None)


def test_needed_words_follow_the_range() -> None:
    values = {
        "needed_more_than_wald": 500,
        "needed_at_most_wald": 1000,
        "needed_more_than_clear": 2000,
        "needed_at_most_clear": None,
        "largest_accounts": 3000.0,
        "posts_per_account": 100.0,
    }
    assert design.needed_words(values, "wald").startswith("more than 500 and at most 1,000")
    assert "50,000 to 100,000 posts" in design.needed_words(values, "wald")
    assert design.needed_words(values, "clear").startswith("more than the largest sample")
