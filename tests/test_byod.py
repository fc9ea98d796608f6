"""Bring your own data, the user's route end to end (issues 15 and 21).

A small generated sample (about 300 accounts, no officer accounts, Weibo only) stands for a
researcher's crawl. It goes exactly the README's way: ``data init`` makes a data folder, ``data
add --observed`` brings the two files in, then ``prepare-render`` runs the checks the render runs
before Quarto (on a data folder whose version and resources differ from the committed ones),
then ``check-book --text`` executes every chapter and writes what each page says. The executed
text, prose and outputs together, is read sentence by sentence: none may call the data simulated
or synthetic, except inside the ``.bundled-sample`` passages that describe the bundled generator.
A mixed package (observed posts, the bundled synthetic accounts) labels each part for what it is.

Everything is written under a temporary folder; the artifact cache is the session's (its keys
cover the data read, so results on other data never mix), and the repository's frozen chapters
are not touched (``prepare-render`` invalidates a copy of them, if there are any).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from analysis import paths
from analysis.__main__ import main
from analysis.data import sample_files, simulate
from analysis.data.labels import resource_kind

COLLECTION = {
    "--source": "a test crawl of public account pages",
    "--period": "2016-01-01 to 2016-12-31",
    "--sampling": "every bureau account on Weibo in the sampled units",
}
FLAGS = [part for pair in COLLECTION.items() for part in pair]
KIND_WORDS = re.compile(r"(?<![-\w/.])(?:synthetic|simulat(?!ion\\?\.toml)\w*)", re.I)
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z*`(\[])|\n\s*\n")
GENERATOR_DIV = re.compile(
    r"^(:{3,})\s*\{[^}\n]*\.bundled-sample\b[^\n]*\n(.*?)^\1\s*$", re.M | re.S
)


def _incoming(root: Path) -> Path:
    """A Weibo-only sample of about 300 bureau accounts, as files a researcher would hold."""
    accounts, posts = simulate.generate(accounts=700)
    accounts = accounts[(accounts["platform"] == "weibo") & (accounts["account_type"] == "bureau")]
    posts = posts[posts["account_id"].isin(accounts["account_id"])]
    assert 250 <= len(accounts) <= 350
    incoming = root / "incoming"
    incoming.mkdir()
    (incoming / "accounts.csv").write_bytes(sample_files.render(accounts))
    (incoming / "posts.csv").write_bytes(sample_files.render(posts))
    return incoming


def _data_folder(root: Path, incoming: Path, *files: str) -> Path:
    data = root / "data"
    assert main(["data", "init", str(data)]) == 0
    added = [str(incoming / f) for f in files]
    assert main(["--data", str(data), "data", "add", *added, "--observed", *FLAGS]) == 0
    return data


def _render_route(root: Path, data: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """prepare-render, then check-book --text on ``data``: {chapter: executed text}."""
    frozen = root / "_freeze"  # a render's frozen chapters, if any, are a copy's
    if paths.freeze_dir.exists():
        shutil.copytree(paths.freeze_dir, frozen)
    monkeypatch.setattr(paths, "freeze_dir", frozen)
    folders = ["--data", str(data), "--cache", str(paths.cache)]
    saved = paths.settings()
    try:
        prefix = ["--kernel-prefix", str(root / "kernel")]
        assert main([*folders, "prepare-render", *prefix]) == 0, "prepare-render failed"
        text = root / "text"
        # the text is what is read here: Quarto's setup cell (figure defaults) changes none of it
        check = ["check-book", "--no-lint", "--no-quarto-setup", "--jobs", "2", "--text", str(text)]
        assert main([*folders, *check]) == 0
    finally:
        paths.restore(saved)
    return {p.relative_to(text).as_posix(): p.read_text("utf-8") for p in text.rglob("*.md")}


def _sentences_calling_it_synthetic(pages: dict[str, str]) -> list[str]:
    found = []
    for page, text in pages.items():
        text = GENERATOR_DIV.sub("", text)  # the bundled generator, described as such
        for sentence in SENTENCE.split(text):
            if KIND_WORDS.search(sentence):
                found.append(f"{page}: {' '.join(sentence.split())[:300]}")
    return found


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("byod")
    _data_folder(root, _incoming(root), "accounts.csv", "posts.csv")
    return root


def test_the_sample_is_recorded_as_observed_with_a_new_version(observed: Path) -> None:
    descriptor = json.loads((observed / "data" / "datapackage.json").read_text(encoding="utf-8"))
    kinds = {r["name"]: resource_kind(r) for r in descriptor["resources"]}
    assert kinds["accounts"] == kinds["posts"] == "observed"
    assert "synthetic" not in kinds.values()
    committed = json.loads(paths.datapackage.read_text(encoding="utf-8"))
    assert descriptor["version"] != committed["version"]


@pytest.mark.slow  # the whole book on a second data folder: see pyproject.toml's markers
def test_the_render_route_passes_and_no_sentence_calls_observed_data_synthetic(
    observed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = _render_route(observed, observed / "data", monkeypatch)
    assert len(pages) >= 14, sorted(pages)
    wrong = _sentences_calling_it_synthetic(pages)
    assert not wrong, "observed data called synthetic:\n" + "\n".join(wrong[:40])
    everything = "\n".join(pages.values())
    # the collection details reach the reader, and the verdicts count as evidence
    assert COLLECTION["--source"] in everything
    assert "observed sample" in everything
    assert "What the observed sample can and cannot say" in pages["index.qmd.md"]


def test_a_mixed_package_labels_each_part(tmp_path: Path) -> None:
    """Observed posts beside synthetic accounts: whatever reads the accounts is synthetic, and
    the observed part still names its collection."""
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    accounts, posts = simulate.generate(accounts=300)
    (incoming / "accounts.csv").write_bytes(sample_files.render(accounts))
    (incoming / "posts.csv").write_bytes(sample_files.render(posts))
    data = tmp_path / "data"
    assert main(["data", "init", str(data)]) == 0
    both = [str(incoming / "accounts.csv"), str(incoming / "posts.csv")]
    assert main(["--data", str(data), "data", "add", *both, "--synthetic"]) == 0
    posts_only = [str(incoming / "posts.csv"), "--observed", *FLAGS]
    assert main(["--data", str(data), "data", "add", *posts_only]) == 0
    descriptor = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    kinds = {r["name"]: resource_kind(r) for r in descriptor["resources"]}
    assert (kinds["accounts"], kinds["posts"]) == ("synthetic", "observed")
    saved = paths.settings()
    try:
        paths.configure(data, paths.cache, paths.results)
        from analysis import book

        assert book.kind("content.values") == "synthetic"  # it reads accounts and posts
        assert book.sample_words("content.values") == "the synthetic sample"
        assert COLLECTION["--source"] in book.collection("content.values")  # the posts
        assert book.collection("sample.assumptions") == ""  # reads no sample resource
    finally:
        paths.restore(saved)


def test_observed_files_keep_the_platform_s_own_identifiers(tmp_path: Path) -> None:
    """A crawl's ids are the platform's ("weibo:…", long post numbers), not the bundled sample's
    SYN- ids: declared observed, they are accepted; declared synthetic, the SYN- pattern holds."""
    accounts, posts = simulate.generate(accounts=200)
    real = {a: f"weibo:{1_000_000 + i}" for i, a in enumerate(accounts["account_id"])}
    accounts["account_id"] = accounts["account_id"].map(real)
    posts["account_id"] = posts["account_id"].map(real)
    posts["post_id"] = [str(4_990_000_000_000_000 + i) for i in range(len(posts))]
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "accounts.csv").write_bytes(sample_files.render(accounts))
    (incoming / "posts.csv").write_bytes(sample_files.render(posts))
    files = [str(incoming / "accounts.csv"), str(incoming / "posts.csv")]
    synthetic, observed = tmp_path / "synthetic", tmp_path / "observed"
    for data in (synthetic, observed):
        assert main(["data", "init", str(data)]) == 0
    assert main(["--data", str(synthetic), "data", "add", *files, "--synthetic"]) != 0
    assert main(["--data", str(observed), "data", "add", *files, "--observed", *FLAGS]) == 0
    assert main(["--data", str(observed), "validate"]) == 0
