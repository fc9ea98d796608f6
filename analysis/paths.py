"""Every filesystem location the project uses, in one place.

Modules import these constants instead of building paths themselves, so moving a folder is a
one-line change. ``root`` follows the showyourwork convention: the repository is the parent of
the ``analysis`` package.
"""

from __future__ import annotations

import os
from pathlib import Path

root = Path(__file__).resolve().parents[1]

data = root / "data"
datapackage = data / "datapackage.json"
simulation_parameters = data / "simulation.toml"
changelog = data / "CHANGELOG.md"

references_bib = root / "references.bib"
quarto_config = root / "_quarto.yml"
chapters = root / "chapters"
index_qmd = root / "index.qmd"
results = root / "results"
manifest = results / "manifest.json"
benchmarks = root / "benchmarks"
freeze_dir = root / "_freeze"
book_dir = root / "_book"

# Content-addressed cache of heavy analysis results; override with ANALYSIS_CACHE_DIR
# (tests point it at a temporary folder so they never share state with an author's cache).
cache = Path(os.environ.get("ANALYSIS_CACHE_DIR", root / ".cache" / "analysis"))

repository_url = "https://github.com/police-social-media-report/police-social-media-report"
