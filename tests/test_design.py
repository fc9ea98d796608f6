"""The collection design's power study (analysis.topics.design): its arithmetic and its words."""

from __future__ import annotations

import math

import pytest

from analysis.data import simulate
from analysis.topics import design


def test_monte_carlo_error_is_the_binomial_standard_error() -> None:
    assert design.mcse(0.5, 16) == pytest.approx(0.125)
    assert design.mcse(1.0, 16) == 0.0
    assert design.mcse(0.8, 100) == pytest.approx(math.sqrt(0.16 / 100))


def test_power_curve_runs_the_generator_and_the_model() -> None:
    curve = design.power_curve(sizes=(150,), replicates=2)
    row = curve.iloc[0]
    assert row["accounts"] == pytest.approx(150, rel=0.1)
    assert row["posts"] > row["accounts"]
    for test in ("wald", "clear"):
        assert row[f"power_{test}"] in (0.0, 0.5, 1.0)
        assert row[f"mcse_{test}"] == pytest.approx(design.mcse(row[f"power_{test}"], 2))


def test_no_regional_effect_gives_power_near_alpha() -> None:
    """With every region alike the test should rarely reject: power is its false-positive rate."""
    params = simulate.override(
        simulate.load_parameters(),
        {"engagement.region.value": {"east": 1.0, "central": 1.0, "west": 1.0, "northeast": 1.0}},
    )
    curve = design.power_curve(sizes=(300,), replicates=6, params=params)
    assert curve.iloc[0]["power_clear"] == 0.0
    assert curve.iloc[0]["power_wald"] <= 0.5


def test_needed_words_follow_the_curve() -> None:
    values = {
        "needed_found_wald": "yes",
        "needed_accounts_wald": 1000.0,
        "needed_posts_wald": 97690.5,
        "needed_found_clear": "no",
        "largest_accounts": 1000.0,
        "largest_posts": 97690.5,
    }
    assert design.needed_words(values, "wald").startswith("about 1,000 accounts")
    assert design.needed_words(values, "clear").startswith("more than the largest sample")
