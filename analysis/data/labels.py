"""The words that tell a reader where a number comes from, shared by tables, figures and prose.

Kept in the data layer because they describe data: every stage above (topics, build, book) may
import them, so one wording reaches captions, table notes and figure footers alike.
"""

from __future__ import annotations

SYNTHETIC_NOTE = (
    "Synthetic sample: simulated from the documented data-generating process in "
    "data/simulation.toml; these are not observations of real police accounts."
)
SYNTHETIC_FOOTER = (
    "Synthetic sample: simulated from data/simulation.toml, not observations of real police "
    "accounts."
)
