"""Checks on the DataFrames handed to analysis functions, shared by every topic module."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analysis.errors import ModelInputError


def require_columns(frame: Any, columns: Sequence[str], what: str) -> None:
    """Raise ModelInputError naming every column ``what`` needs that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "no columns"
        raise ModelInputError(
            f"{what}: missing column(s) {', '.join(map(repr, missing))}: expected columns "
            f"{', '.join(columns)}; found {found}"
        )
