"""Checks of the simulation's parameter file before anything is drawn or allocated.

Every table and value the generator reads is listed in ``SPEC`` with what it must be (a
positive number, a probability, counts per level, a date range ...). ``problems`` returns one
located problem per wrong or missing value (file, ``[table] key``, expected, found), so a
negative dispersion or a probability above one is reported as such instead of surfacing as a
numpy warning or a traceback deep inside the generator. ``estimate`` sizes a run from the
parameters alone, so ``simulate`` can refuse one that would not fit in memory before
allocating it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from analysis.errors import DataProblem

PLATFORMS = ("weibo", "wechat")
LEVELS = ("ministry", "provincial", "prefecture", "county")
ACCOUNT_TYPES = ("bureau", "officer")
REGIONS = ("east", "central", "west", "northeast")
CATEGORIES = ("publicity", "services", "interaction", "daily_tips")
OUTCOMES = ("reposts", "page_views", "likes", "comments")
PLATFORM_KINDS = tuple(f"{p}_{k}" for p in PLATFORMS for k in ACCOUNT_TYPES)

# Bytes held per post and per account at the peak of generating and rendering a sample, measured
# with ru_maxrss at scales 2 and 10 (about 350-820 bytes per post; the upper figure is used),
# plus the interpreter and libraries.
BYTES_PER_POST = 850
BYTES_PER_ACCOUNT = 4_000
BASE_BYTES = 300 << 20


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


Check = Callable[[Any], bool]
POSITIVE: tuple[Check, str] = (lambda v: _number(v) and v > 0, "a positive finite number")
NON_NEGATIVE: tuple[Check, str] = (lambda v: _number(v) and v >= 0, "a finite number >= 0")
ANY_NUMBER: tuple[Check, str] = (_number, "a finite number")
PROBABILITY: tuple[Check, str] = (lambda v: _number(v) and 0 < v < 1, "a probability in (0, 1)")
COUNT: tuple[Check, str] = (
    lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
    "a whole number >= 0",
)
SEED: tuple[Check, str] = (
    lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**63,
    "a whole number in [0, 2^63)",
)


def _date(value: Any) -> bool:
    if isinstance(value, dt.date):
        return True
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


DATE: tuple[Check, str] = (_date, "a date YYYY-MM-DD")


def _each(keys: tuple[str, ...], rule: tuple[Check, str]) -> dict[str, tuple[Check, str]]:
    return {key: rule for key in keys}


SPEC: dict[str, dict[str, tuple[Check, str]] | tuple[Check, str]] = {
    "seed.value": SEED,
    "window.start": DATE,
    "window.end": DATE,
    "sample.ministry.value": _each(PLATFORMS, COUNT),
    "sample.provincial_bureau.value": _each(PLATFORMS, COUNT),
    "sample.provincial_officer.value": _each(PLATFORMS, COUNT),
    "sample.officers_per_unit.value": POSITIVE,
    "sample.prefecture.value": _each(PLATFORM_KINDS, COUNT),
    "sample.county.value": _each(PLATFORM_KINDS, COUNT),
    "sample.counties_per_prefecture.value": NON_NEGATIVE,
    "sample.municipality_county_units.value": COUNT,
    "followers.median": _each(LEVELS, POSITIVE),
    "followers.officer_multiplier": POSITIVE,
    "followers.region_multiplier": _each(REGIONS, POSITIVE),
    "followers.age_elasticity": ANY_NUMBER,
    "followers.age_reference_years": POSITIVE,
    "followers.sigma": NON_NEGATIVE,
    "posting.rate": _each(PLATFORM_KINDS, NON_NEGATIVE),
    "posting.level_multiplier": _each(LEVELS, NON_NEGATIVE),
    "posting.activity_sigma": NON_NEGATIVE,
    "content.weibo": _each(CATEGORIES, NON_NEGATIVE),
    "content.wechat": _each(CATEGORIES, NON_NEGATIVE),
    "engagement.intercept.value": _each(OUTCOMES, POSITIVE),
    "engagement.dispersion.value": _each(OUTCOMES, POSITIVE),
    "engagement.region.value": _each(REGIONS, POSITIVE),
    "engagement.platform.value": _each(PLATFORMS, POSITIVE),
    "engagement.level.value": _each(LEVELS, POSITIVE),
    "engagement.account_type.value": _each(ACCOUNT_TYPES, POSITIVE),
    "engagement.category.value": _each(CATEGORIES, POSITIVE),
    "engagement.followers.beta": ANY_NUMBER,
    "engagement.followers.centre": POSITIVE,
    "engagement.heterogeneity.sigma": NON_NEGATIVE,
    "answer.baseline.value": PROBABILITY,
    "answer.region.value": _each(REGIONS, POSITIVE),
    "answer.level.value": _each(LEVELS, POSITIVE),
    "answer.platform.value": _each(PLATFORMS, POSITIVE),
    "answer.account_type.value": _each(ACCOUNT_TYPES, POSITIVE),
}


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "..."


def _lookup(params: dict[str, Any], dotted: str) -> tuple[Any, str | None]:
    """The value at ``a.b.c`` or (None, the first missing table or key)."""
    node: Any = params
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            return None, ".".join(parts[: i + 1])
        node = node[part]
    return node, None


def problems(params: Any, label: str) -> list[DataProblem]:
    """Every missing or out-of-range parameter, located as ``[table] key``."""
    if not isinstance(params, dict):
        return [DataProblem(label, "parameters have the wrong type", "TOML tables", _show(params))]
    found: list[DataProblem] = []

    def add(where: str, problem: str, expected: str, value: str) -> None:
        table, _, key = where.rpartition(".")
        found.append(DataProblem(label, problem, expected, value, field=f"[{table}] {key}"))

    for dotted, rule in SPEC.items():
        value, missing = _lookup(params, dotted)
        if missing:
            add(missing, "parameter missing", "a value (see data/simulation.toml)", "nothing")
            continue
        if isinstance(rule, dict):
            if not isinstance(value, dict):
                add(dotted, "parameter has the wrong type", "a table of values", _show(value))
                continue
            for key, (check, expected) in rule.items():
                if key not in value:
                    add(f"{dotted}.{key}", "parameter missing", expected, "nothing")
                elif not check(value[key]):
                    add(f"{dotted}.{key}", "parameter out of range", expected, _show(value[key]))
        elif not rule[0](value):
            add(dotted, "parameter out of range", rule[1], _show(value))
    found += _composite(params, add) if not found else []
    return found


def _composite(params: dict[str, Any], add: Callable[[str, str, str, str], None]) -> list:
    """Rules over several values: ordered dates, usable weights and shares."""
    window = params["window"]
    if str(window["start"]) > str(window["end"]):
        add(
            "window.end",
            "window ends before it starts",
            f">= {window['start']}",
            str(window["end"]),
        )
    opening = params.get("opening")
    for platform in PLATFORMS:
        bounds = opening.get(platform) if isinstance(opening, dict) else None
        for group in (*LEVELS, "officer"):
            pair = bounds.get(group) if isinstance(bounds, dict) else None
            where = f"opening.{platform}.{group}"
            if not (isinstance(pair, list) and len(pair) == 2 and all(_date(d) for d in pair)):
                add(where, "parameter out of range", "[first date, last date]", _show(pair))
            elif str(pair[0]) > str(pair[1]):
                add(where, "opening range ends before it starts", "first <= last", _show(pair))
    weights = params["posting"].get("hour_weights")
    if not (
        isinstance(weights, list)
        and len(weights) == 24
        and all(_number(w) and w >= 0 for w in weights)
        and sum(weights) > 0
    ):
        add(
            "posting.hour_weights",
            "parameter out of range",
            "24 numbers >= 0, not all 0",
            _show(weights),
        )
    for platform in PLATFORMS:
        if sum(params["content"][platform].values()) <= 0:
            add(f"content.{platform}", "shares sum to zero", "shares with a positive sum", "0")
    return []


def estimate(accounts: float, posts: float) -> int:
    """Peak bytes of generating and rendering a sample of this many accounts and posts."""
    return int(BASE_BYTES + BYTES_PER_ACCOUNT * accounts + BYTES_PER_POST * posts)


def expected_posts_per_account_upper(params: dict[str, Any], level: str, key: str) -> float:
    """Posts an account of this level and platform/type posts if open the whole window."""
    return float(params["posting"]["rate"][key]) * float(
        params["posting"]["level_multiplier"][level]
    )
