"""The book follows the data: a synthetic sample with no regional effect and a high answer rate.

A held-out check swapped in such a sample and found fixed sentences contradicting the new numbers.
This test does the same at a small scale: it writes a copy of the simulation parameters with every
regional engagement ratio and answering odds ratio set to one and the answer probability at 80%,
generates a small sample from them into a temporary folder, and checks against the committed
sample (read with a temporary cache) that

- the two synthetic claims the parameters encode flip (S000-F4 regional differences, S000-F5
  answers lacking): recovered from the committed sample, not recovered from the null one;
- every data-conditional sentence the chapters quote reads differently on the two samples, and the
  robustness statement says the differences are absent;
- every chapter that reads what the null sample changes executes against it (``check-book --data``).

Everything runs in subprocesses with ``--data``/``--cache``/``--results`` (environment variables
for the value reader), so no state leaks into other tests or the author's cache.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import paths

# every test here reads the null sample's book run: see pyproject.toml's markers
pytestmark = pytest.mark.slow

ACCOUNTS, POSTS = 240, 10_000  # small: the point is the direction of the words, not precision
NULL = {
    "engagement.region": "{ east = 1.0, central = 1.0, west = 1.0, northeast = 1.0 }",
    "answer.region": "{ east = 1.0, central = 1.0, west = 1.0, northeast = 1.0 }",
    "answer.baseline": "0.8",
}
# (artifact, key) of every data-conditional sentence or word the chapters quote.
CONDITIONAL = (
    ("sample.assumptions", "assumed_regions_sentence"),
    ("sample.assumptions", "assumed_answers_sentence"),
    ("responsiveness.regions", "answered_vs_half"),
    ("robustness.values", "statement"),
    ("verdict.S000-F4", "verdict"),
    ("verdict.S000-F5", "verdict"),
)


def with_values(parameters: str, changes: dict[str, str]) -> str:
    """The parameter file's text with the ``value`` line of each named table replaced."""
    for table, value in changes.items():
        header = re.search(r"^\[" + re.escape(table) + r"\]\s*$", parameters, re.MULTILINE)
        assert header, f"no table [{table}] in the parameter file"
        line = re.compile(r"^value = .*$", re.MULTILINE).search(parameters, header.end())
        parameters = parameters[: line.start()] + f"value = {value}" + parameters[line.end() :]
    return parameters


def _run(*args: str, env: dict[str, str] | None = None, timeout: float = 1500) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "analysis", *args],
        cwd=paths.root,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    assert done.returncode == 0, (
        f"{' '.join(args)} exited {done.returncode}:\n{done.stdout[-3000:]}"
    )
    return done.stdout


def _sample(folder: Path, parameters: str) -> dict[str, str]:
    """Generate a small sample from ``parameters`` into ``folder``; the folders' options."""
    folder.mkdir(parents=True)
    toml = folder / "simulation.toml"
    toml.write_text(parameters, encoding="utf-8")
    data = folder / "data"
    _run(
        "simulate",
        "--parameters",
        str(toml),
        "--accounts",
        str(ACCOUNTS),
        "--posts",
        str(POSTS),
        "--out",
        str(data),
    )
    # simulate --out copies references.bib into the data folder, and the cache's input audit
    # then rejects artifacts that read it (reported to the DATA and CACHE owners); without the
    # copy, the loader uses the book's own references.bib, the same file.
    (data / "references.bib").unlink(missing_ok=True)
    # the session's cache: keys cover every input, so only what these data change is computed
    return {"data": str(data), "cache": str(paths.cache), "results": str(folder / "results")}


def _values(folders: dict[str, str]) -> dict[str, str]:
    """The conditional values, read through the cache in a child process on those folders."""
    env = {
        **os.environ,
        paths.DATA_ENV: folders["data"],
        paths.CACHE_ENV: folders["cache"],
        paths.RESULTS_ENV: folders["results"],
    }
    code = (
        "import json\nfrom analysis.pipeline import store\n"
        f"wanted = {list(CONDITIONAL)!r}\n"
        "print(json.dumps({f'{n}:{k}': store.values(n)[k] for n, k in wanted}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=paths.root,
        capture_output=True,
        text=True,
        timeout=1500,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> dict[str, dict[str, str]]:
    base = tmp_path_factory.mktemp("null-sample")
    committed = paths.default_data / "simulation.toml"
    text = committed.read_text(encoding="utf-8")
    committed_folders = {  # the session's pre-warmed cache: its keys cover the data read
        "data": str(paths.default_data),
        "cache": str(paths.cache),
        "results": str(base / "default-results"),
    }
    return {"default": committed_folders, "null": _sample(base / "null", with_values(text, NULL))}


def chapters_reading(resources: set[str]) -> list[Path]:
    """The book's chapters that read any of ``resources`` through the artifacts they show: the
    only ones whose output can differ on a data folder that changes just those."""
    from analysis.pipeline import freeze, qmd
    from analysis.pipeline.store import registry

    chosen = []
    for chapter in qmd.book_chapters():
        if chapter.suffix != ".qmd":
            continue
        names = freeze.needed_artifacts([freeze.usage(qmd.parse(chapter))])
        if any(resources & set(registry.resources_read(name)) for name in names):
            chosen.append(chapter)
    return chosen


# What ``simulate --out`` writes differently from the committed package.
NULL_CHANGES = {"simulation.toml", "accounts", "posts", "datapackage.json"}


@pytest.fixture(scope="module")
def null_book(samples) -> str:
    """``check-book`` on the null sample: every chapter that reads what the null sample
    changes executed (the others give what tests/test_chapters_execute.py runs), every artifact
    they read computed (into the run's cache, so the values below are read, not fitted a second
    time). Quarto's setup cell is skipped: it sets figure defaults, and no chapter draws."""
    folders = samples["null"]
    chapters = chapters_reading(NULL_CHANGES)
    assert len(chapters) >= 10, chapters  # every chapter about the sample, the summaries too
    return _run(
        "--data",
        folders["data"],
        "--cache",
        folders["cache"],
        "--results",
        folders["results"],
        "check-book",
        "--no-lint",
        "--no-quarto-setup",
        "--jobs",
        "2",
        *map(str, chapters),
    )


@pytest.fixture(scope="module")
def values(samples, null_book) -> dict[str, dict[str, str]]:
    return {name: _values(folders) for name, folders in samples.items()}


def test_the_null_parameters_change_only_what_they_name() -> None:
    text = (paths.default_data / "simulation.toml").read_text(encoding="utf-8")
    changed = with_values(text, NULL)
    differing = [a for a, b in zip(text.splitlines(), changed.splitlines(), strict=True) if a != b]
    assert len(differing) == len(NULL)


def test_the_synthetic_claims_flip_on_a_null_sample(values) -> None:
    default, null = values["default"], values["null"]
    assert default["verdict.S000-F5:verdict"] == "recovered from the synthetic sample"
    assert null["verdict.S000-F5:verdict"] == "not recovered from the synthetic sample"
    assert default["verdict.S000-F4:verdict"] != null["verdict.S000-F4:verdict"]
    assert null["verdict.S000-F4:verdict"] != "recovered from the synthetic sample"


def test_every_conditional_sentence_follows_the_sample(values) -> None:
    default, null = values["default"], values["null"]
    same = [key for key in default if default[key] == null[key]]
    assert not same, f"sentences that did not change with the data: {same}"
    assert "the differences are absent" in null["robustness.values:statement"]
    assert "absent" not in default["robustness.values:statement"]
    assert "more than half" in null["responsiveness.regions:answered_vs_half"]
    assert "no clear regional differences" in null["sample.assumptions:assumed_regions_sentence"]


def test_every_chapter_about_the_sample_executes_against_the_null_sample(null_book: str) -> None:
    assert "check-book: ok" in null_book


def test_the_chapters_left_out_read_nothing_the_null_sample_changes() -> None:
    """The selection is the registry's: a chapter showing the sample's numbers is never left
    out, and the chapters on documented data only are."""
    chosen = {p.name for p in chapters_reading(NULL_CHANGES)}
    assert {"04-data.qmd", "06-engagement.qmd", "appendix-reproducibility.qmd"} <= chosen
    assert "02-diffusion.qmd" not in chosen
