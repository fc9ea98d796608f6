"""The folders a user names on the command line (``--data``, ``--out``, ``--cache``) or in the
environment (``ANALYSIS_DATA_DIR``, ``ANALYSIS_CACHE_DIR``, ``ANALYSIS_RESULTS_DIR``), checked
by the same code.

A data folder must be an existing directory (symbolic links resolved) holding a regular
``datapackage.json``; an output folder must be a directory or not exist yet, and must not be
inside a data folder, so no command writes among the raw data it reads. Problems are
UsageError (exit 2) naming the option and what was found.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from analysis import paths
from analysis.errors import UsageError


def _kind(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "nothing (no such file or folder)"
    except OSError as exc:
        return f"an unreadable path ({exc.strerror})"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file"
    return "a device, pipe or socket"


def data_folder(path: Path, option: str = "--data") -> Path:
    """The resolved data folder, or UsageError saying what is wrong with it."""
    resolved = path.expanduser().resolve()
    if _kind(resolved) != "a folder":
        raise UsageError(
            f"{option} {path}: expected a folder holding datapackage.json, found {_kind(resolved)}"
        )
    descriptor = resolved / "datapackage.json"
    if _kind(descriptor) != "a file":
        raise UsageError(
            f"{option} {path}: expected a regular file datapackage.json in it, "
            f"found {_kind(descriptor)}"
        )
    return resolved


ENVIRONMENT = {"--data": paths.DATA_ENV, "--cache": paths.CACHE_ENV, "--results": paths.RESULTS_ENV}


def checked(options: dict[str, str]) -> tuple[Path | None, Path | None, Path | None]:
    """The data, cache and results folders named by the options or, where an option is not
    given, by its environment variable, each checked by the same code (None: neither set)."""
    named = {option: (option, value) for option, value in options.items()}
    for option, variable in ENVIRONMENT.items():
        if option not in named and os.environ.get(variable):
            named[option] = (variable, os.environ[variable])
    data = data_folder(Path(named["--data"][1]), named["--data"][0]) if "--data" in named else None
    cache, results = (
        output_folder(Path(named[option][1]), named[option][0], data=data)
        if option in named
        else None
        for option in ("--cache", "--results")
    )
    return data, cache, results


def output_folder(path: Path, option: str = "--out", *, data: Path | None = None) -> Path:
    """The resolved output folder (a folder or nothing yet), outside every data folder."""
    resolved = path.expanduser().resolve()
    kind = _kind(resolved)
    if kind not in ("a folder", "nothing (no such file or folder)"):
        raise UsageError(f"{option} {path}: expected a folder (or a new one), found {kind}")
    for folder in {paths.default_data.resolve(), (data or paths.data).resolve()}:
        if resolved == folder or folder in resolved.parents:
            raise UsageError(
                f"{option} {path}: expected a folder outside the data folder {folder} "
                "(raw data are never written by commands)"
            )
    return resolved
