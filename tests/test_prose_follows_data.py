"""Words the chapters quote are computed from the numbers and change when the numbers do."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.data import simulate
from analysis.pipeline import qmd
from analysis.topics import robustness, sample, wording


@pytest.mark.parametrize(
    ("ratio", "low", "high", "expected"),
    [
        (0.6, 0.5, 0.7, "about 40% fewer comments than an eastern one"),
        (1.3, 1.1, 1.5, "about 30% more comments than an eastern one"),
        (2.5, 2.0, 3.1, "about 2.5 times the comments of an eastern one"),
        (0.95, 0.8, 1.1, "about as many comments as an eastern one (no clear difference)"),
    ],
)
def test_ratio_words_follow_the_interval(ratio, low, high, expected) -> None:
    assert wording.ratio_words(ratio, low, high, "comments", "an eastern one") == expected


def test_direction_and_threshold_words() -> None:
    assert wording.direction(1.01, 1.2) == "more"
    assert wording.direction(0.8, 0.99) == "fewer"
    assert wording.direction(0.9, 1.0) == "no clear difference"
    assert wording.below_or_above(0.1, 0.2, 0.5) == "below"
    assert wording.below_or_above(0.7, 0.9, 0.5) == "above"
    assert wording.below_or_above(0.4, 0.6, 0.5) == "around"
    assert wording.sentence_case("no clear difference") == "No clear difference"


@pytest.mark.parametrize(
    ("p", "value", "clause"),
    [
        (9.19e-06, "< 0.001", "p < 0.001"),
        (3.6e-115, "< 0.001", "p < 0.001"),
        (0.000999, "< 0.001", "p < 0.001"),
        (0.001, "0.001", "p = 0.001"),
        (0.0123, "0.012", "p = 0.012"),
        (0.68, "0.680", "p = 0.680"),
    ],
)
def test_a_p_value_reads_below_0_001_never_in_exponent_form(p, value, clause) -> None:
    assert wording.p_value(p) == value
    assert wording.p_clause(p) == clause


# A stored p-value: wald_p, level_p_permutation_within_platform, comments_irr_west_p, or_x_p.
_P_KEY = re.compile(r"(^|_)p($|_)")
_VALUE = re.compile(r'book\.value\(\s*"[^"]+",\s*"(?P<key>[^"]+)"(?:,\s*"(?P<fmt>[^"]*)")?')


def test_chapters_quote_p_values_only_as_the_formatted_text() -> None:
    """A chapter formatting a stored p-value itself ("{:.1g}") printed "9e-06": chapters quote
    the ``..._text`` values (wording.p_clause) instead."""
    found = []
    for chapter in qmd.book_chapters():
        for inline in qmd.parse(chapter).inlines:
            for match in _VALUE.finditer(inline.expression):
                key = match["key"]
                if _P_KEY.search(key) and not key.endswith("_text"):
                    found.append(f"{chapter.name}: {key} formatted {match['fmt']!r}")
    assert not found, found


def _table(p_main: float, p_other: float, outcome: str = "comments") -> pd.DataFrame:
    rows = []
    for spec, p in (("main: NB2", p_main), ("NB2, by province", p_other)):
        for region, ratio in (("central", 0.8), ("west", 0.7)):
            rows.append(
                {
                    "outcome": outcome,
                    "specification": spec,
                    "region": region,
                    "ratio": ratio,
                    "ci_low": ratio - 0.1,
                    "ci_high": ratio + 0.1,
                    "wald_p": p,
                }
            )
    return robustness._verdicts(pd.DataFrame(rows))


def test_robustness_statement_says_the_differences_are_absent_when_the_model_finds_none() -> None:
    none = _table(0.6, 0.5)
    text = robustness._statement(none, {"comments": bool(none["holds"].all())})
    assert "the differences are absent" in text and "survive" not in text
    found = _table(0.001, 0.002)
    text = robustness._statement(found, {"comments": bool(found["holds"].all())})
    assert "survive every specification" in text
    split = _table(0.001, 0.4)
    text = robustness._statement(split, {"comments": bool(split["holds"].all())})
    assert "do not survive" in text
    late = _table(0.4, 0.001)
    text = robustness._statement(late, {"comments": bool(late["holds"].all())})
    assert "finds no clear regional differences" in text and "finds them" in text


def test_what_the_simulation_assumed_is_read_from_the_parameter_file(monkeypatch) -> None:
    committed = simulate.load_parameters()
    assumed = sample.assumptions()
    assert assumed["assumed_regions_differ"] == "yes"
    assert "was given regional differences" in assumed["assumed_regions_sentence"]
    null = simulate.override(
        committed,
        {
            "engagement.region.value": {r: 1.0 for r in simulate.REGIONS},
            "answer.region.value": {r: 1.0 for r in simulate.REGIONS},
            "answer.baseline.value": 0.8,
        },
    )
    monkeypatch.setattr(simulate, "load_parameters", lambda path=None: null)
    flat = sample.assumptions()
    assert flat["assumed_regions_differ"] == "no"
    assert "no clear regional differences" in flat["assumed_regions_sentence"]
    assert flat["assumed_answers_low"] == "no"
    assert "80% in every region" in flat["assumed_answers_sentence"]
