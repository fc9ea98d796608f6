"""Bring your own data, end to end (issue 15): a small generated sample declared observed (about
300 accounts, no officer accounts, Weibo only) is brought into a temporary data folder with the
data command, every chapter is executed against it, none fails, and no output says "synthetic"
where only observed data were read.

The sample is drawn by analysis.data.simulate and filtered; once declared observed it stands for
a researcher's own crawl (the test checks labels and degradation, not the numbers). Everything
is written under a temporary folder: the repository's data/ and cache are not touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import paths
from analysis.build import kernel, qmd
from analysis.data import sample_files, simulate
from analysis.data.labels import resource_kind

COLLECTION = {
    "--source": "a test crawl of public account pages",
    "--period": "2016-01-01 to 2016-12-31",
    "--sampling": "every bureau account on Weibo in the sampled units",
}


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args],
        capture_output=True,
        text=True,
        cwd=paths.root,
        env={**os.environ, **(env or {})},
        timeout=3600,
        check=False,
    )


@pytest.fixture(scope="module")
def byod(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder made with ``data init`` holding an observed Weibo-only sample."""
    root = tmp_path_factory.mktemp("byod")
    data = root / "data"
    done = _cli("data", "init", str(data))
    assert done.returncode == 0, done.stdout + done.stderr
    accounts, posts = simulate.generate(accounts=700)
    accounts = accounts[(accounts["platform"] == "weibo") & (accounts["account_type"] == "bureau")]
    posts = posts[posts["account_id"].isin(accounts["account_id"])]
    assert 250 <= len(accounts) <= 350
    incoming = root / "incoming"
    incoming.mkdir()
    (incoming / "accounts.csv").write_bytes(sample_files.render(accounts))
    (incoming / "posts.csv").write_bytes(sample_files.render(posts))
    flags = [part for pair in COLLECTION.items() for part in pair]
    done = _cli(
        "--data",
        str(data),
        "data",
        "add",
        str(incoming / "accounts.csv"),
        str(incoming / "posts.csv"),
        "--observed",
        *flags,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def test_the_sample_is_recorded_as_observed(byod: Path) -> None:
    descriptor = json.loads((byod / "data" / "datapackage.json").read_text(encoding="utf-8"))
    kinds = {r["name"]: resource_kind(r) for r in descriptor["resources"]}
    assert kinds["accounts"] == kinds["posts"] == "observed"
    assert "synthetic" not in kinds.values()


def test_every_chapter_runs_on_observed_data_and_none_says_synthetic(
    byod: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, cache_dir = byod / "data", byod / "cache"
    folders = {paths.DATA_ENV: str(data), paths.CACHE_ENV: str(cache_dir)}
    # the command a user runs: every chapter in its own kernel against --data (exit 0)
    done = _cli("--data", str(data), "--cache", str(cache_dir), "check-book", "--no-lint")
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]

    # the same chapters again (the cache is warm now), keeping what they display
    for name, value in {
        "data": data,
        "datapackage": data / "datapackage.json",
        "simulation_parameters": data / "simulation.toml",
        "changelog": data / "CHANGELOG.md",
        "cache": cache_dir,
    }.items():
        monkeypatch.setattr(paths, name, value)
    chapters = qmd.book_chapters()
    labelled = []
    for chapter in chapters:
        run = kernel.run_chapter(chapter, env=folders)
        assert run.ok, f"{chapter.name}: {run.failures[0]}"
        for output in run.outputs:
            if "synthetic" in output.text.lower():
                at = output.text.lower().index("synthetic")
                labelled.append(
                    f"{chapter.name} {output.step}: ...{output.text[max(0, at - 60) : at + 60]}"
                )
    assert not labelled, "'synthetic' shown on observed data:\n" + "\n".join(labelled)
