"""Every filesystem location the project uses, in one place.

Modules read these attributes at call time (``paths.data``, not ``from paths import data``), so
``configure`` can point the whole project at another folder. ``root`` follows the
showyourwork convention: the repository is the parent of the ``analysis`` package.

Settings (each an environment variable, also set by the options of ``python -m analysis``;
the command line exports them, so chapter kernels and nox sessions started from it inherit
them):

- ``ANALYSIS_DATA_DIR`` (``--data DIR``): the data package folder (``datapackage.json``, its
  resources, ``CHANGELOG.md``, ``simulation.toml``); default ``data/``.
- ``ANALYSIS_CACHE_DIR`` (``--cache DIR``): the artifact cache; default ``.cache/analysis``.
- ``ANALYSIS_RESULTS_DIR`` (``--results DIR``): where results are written (the manifest);
  default ``results/``. ``committed_manifest`` always names the one in the checkout.

With the cache and results sent elsewhere, every command that only reads works in a read-only
checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

root = Path(__file__).resolve().parents[1]

DATA_ENV = "ANALYSIS_DATA_DIR"
CACHE_ENV = "ANALYSIS_CACHE_DIR"
RESULTS_ENV = "ANALYSIS_RESULTS_DIR"

references_bib = root / "references.bib"
quarto_config = root / "_quarto.yml"
chapters = root / "chapters"
index_qmd = root / "index.qmd"
committed_manifest = root / "results" / "manifest.json"
benchmarks = root / "benchmarks"
freeze_dir = root / "_freeze"
book_dir = root / "_book"
default_data = root / "data"

repository_url = "https://github.com/police-social-media-report/police-social-media-report"

# Set by configure() below; declared here for readers and type checkers.
data: Path
datapackage: Path
simulation_parameters: Path
changelog: Path
cache: Path
results: Path
manifest: Path


def _from_env(variable: str, default: Path) -> Path:
    value = os.environ.get(variable, "")
    return Path(value).expanduser().resolve() if value else default


def configure(
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    results_dir: Path | None = None,
    *,
    export: bool = False,
) -> None:
    """Point the project at other folders (None: environment variable, else the default).

    ``export`` also sets the environment variables, so child processes (chapter kernels,
    nox sessions) see the same folders.
    """
    global data, datapackage, simulation_parameters, changelog, cache, results, manifest
    data = Path(data_dir).resolve() if data_dir else _from_env(DATA_ENV, default_data)
    datapackage = data / "datapackage.json"
    simulation_parameters = data / "simulation.toml"
    changelog = data / "CHANGELOG.md"
    # Content-addressed cache of heavy analysis results (tests point it at a temporary folder
    # so they never share state with an author's cache).
    cache = (
        Path(cache_dir).resolve()
        if cache_dir
        else _from_env(CACHE_ENV, root / ".cache" / "analysis")
    )
    results = (
        Path(results_dir).resolve() if results_dir else _from_env(RESULTS_ENV, root / "results")
    )
    manifest = results / "manifest.json"
    if export:
        for variable, value in (
            (DATA_ENV, data_dir),
            (CACHE_ENV, cache_dir),
            (RESULTS_ENV, results_dir),
        ):
            if value:
                os.environ[variable] = str(Path(value).resolve())


def settings() -> dict[str, object]:
    """The current folders and environment variables, for ``restore``."""
    return {
        "env": {v: os.environ.get(v) for v in (DATA_ENV, CACHE_ENV, RESULTS_ENV)},
        "folders": (data, cache, results),
    }


def restore(saved: dict[str, object]) -> None:
    """Put back folders and environment variables saved by ``settings``."""
    for variable, value in saved["env"].items():  # type: ignore[union-attr]
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value
    configure(*saved["folders"])  # type: ignore[misc]


def is_default_data() -> bool:
    """True when the data folder is the repository's own data/."""
    return data.resolve() == default_data.resolve()


configure()
