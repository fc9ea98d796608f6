"""Words computed from numbers: the direction and size of a ratio, judged on its interval.

Chapters must not type "more", "fewer" or "no clear difference" beside an estimate the data could
contradict; they quote these words, computed here and stored in the artifacts' values, so the
sentence changes when the data do. A ratio counts as a difference only when its whole 95% interval
lies on one side of one (the same reading as the findings registry's ``Compare`` rule).
"""

from __future__ import annotations

MORE, FEWER, SAME = "more", "fewer", "no clear difference"


def direction(low: float, high: float, reference: float = 1.0) -> str:
    """ "more" if the whole interval lies above ``reference``, "fewer" if below, else
    "no clear difference"."""
    if low > reference:
        return MORE
    if high < reference:
        return FEWER
    return SAME


def ratio_words(ratio: float, low: float, high: float, noun: str, than: str) -> str:
    """A ratio in plain words, e.g. "about 40% fewer comments than an eastern one" or "about
    2.5 times the comments of an eastern one"; "about as many comments as an eastern one (no
    clear difference)" when the interval contains one."""
    found = direction(low, high)
    if found == MORE:
        if ratio >= 2:
            return f"about {ratio:.1f} times the {noun} of {than}"
        return f"about {round(100 * (ratio - 1))}% more {noun} than {than}"
    if found == FEWER:
        return f"about {round(100 * (1 - ratio))}% fewer {noun} than {than}"
    return f"about as many {noun} as {than} ({SAME})"


def below_or_above(low: float, high: float, threshold: float) -> str:
    """ "below" / "above" a threshold over the whole interval, else "around"."""
    if high < threshold:
        return "below"
    if low > threshold:
        return "above"
    return "around"


def counted(n: int, singular: str, plural: str) -> str:
    """A count with its noun in the right number: "1 residual degree of freedom", "2 residual
    degrees of freedom"."""
    return f"{n:,} {singular if n == 1 else plural}"


def sentence_case(text: str) -> str:
    """The text with its first letter capitalised (computed words may start a sentence)."""
    return text[:1].upper() + text[1:]


P_FLOOR = 0.001  # p-values below it are printed as "< 0.001", never as "9e-06"


def p_value(p: float) -> str:
    """A p-value as readers expect it, in tables and prose alike: "< 0.001" below 0.001,
    otherwise three decimals ("0.012"). The one p-value format of the book."""
    return f"< {P_FLOOR:.3f}" if p < P_FLOOR else f"{p:.3f}"


def p_clause(p: float) -> str:
    """ "p < 0.001" or "p = 0.012", for a sentence or a table note."""
    text = p_value(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"
