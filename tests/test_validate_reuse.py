"""``validate --reuse``: a valid verdict is reused only while nothing it rests on has changed.

What it rests on: every entry of the data folder (content, link target), references.bib, the
checking code, uv.lock. A package found invalid is never stored, so its problems are printed on
every run; without ``--reuse`` every run reads every file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import paths
from analysis.__main__ import main
from analysis.cli import validate
from analysis.errors import EXIT_CHECK_FAILED, EXIT_OK
from analysis.pipeline.store import keys

REUSED = "nothing changed since the last valid check"


@pytest.fixture
def package(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(paths.data, data)
    shutil.copy(paths.references_bib, tmp_path / "references.bib")
    return data


@pytest.fixture
def checks(monkeypatch) -> list[Path]:
    """Folders actually read by validation (the real check still runs)."""
    seen: list[Path] = []
    real = validate.check

    def counting(base: Path):
        seen.append(base)
        return real(base)

    monkeypatch.setattr(validate, "check", counting)
    return seen


def run(package: Path, *extra: str) -> int:
    cache_dir = package.parent / "cache"
    return main(["validate", "--data", str(package), "--cache", str(cache_dir), *extra])


def test_an_unchanged_valid_package_is_not_read_again(package, checks, capsys) -> None:
    assert run(package, "--reuse") == EXIT_OK
    assert len(checks) == 1 and REUSED not in capsys.readouterr().out
    assert run(package, "--reuse") == EXIT_OK
    out = capsys.readouterr().out
    assert len(checks) == 1 and REUSED in out
    assert "(unchanged)" in out  # each row says its verdict was not re-read
    assert run(package) == EXIT_OK  # without --reuse every run reads
    assert len(checks) == 2


def test_an_edited_file_is_read_again_and_its_problem_shown_every_time(
    package, checks, capsys
) -> None:
    assert run(package, "--reuse") == EXIT_OK
    target = next(package.rglob("provinces.csv"))
    original = target.read_bytes()
    target.write_bytes(original + b"\n")
    for _ in range(2):
        assert run(package, "--reuse") == EXIT_CHECK_FAILED
        captured = capsys.readouterr()
        assert REUSED not in captured.out and "provinces" in captured.err
    assert len(checks) == 3
    target.write_bytes(original)  # the very content that was found valid
    assert run(package, "--reuse") == EXIT_OK
    assert len(checks) == 3


def test_the_key_follows_links_references_and_the_checking_code(package, monkeypatch) -> None:
    before = validate.verdict_key(package)
    assert validate.verdict_key(package) == before
    target = next(package.rglob("provinces.csv"))
    outside = package.parent / "elsewhere.csv"
    shutil.copy(target, outside)
    target.unlink()
    target.symlink_to(outside)  # same bytes, but now a link out of the folder
    linked = validate.verdict_key(package)
    assert linked != before
    target.unlink()
    shutil.copy(outside, target)
    assert validate.verdict_key(package) == before
    bib = package.parent / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n% edited\n", encoding="utf-8")
    assert validate.verdict_key(package) != before
    bib_edited = validate.verdict_key(package)
    real = keys.code_hash
    monkeypatch.setattr(
        keys, "code_hash", lambda m: "changed" if m == "analysis.data.datasets" else real(m)
    )
    assert validate.verdict_key(package) != bib_edited


def test_a_damaged_verdict_file_means_reading_again(package, checks) -> None:
    assert run(package, "--reuse") == EXIT_OK
    (package.parent / "cache" / validate.VERDICT_FILE).write_text("{not json", encoding="utf-8")
    assert run(package, "--reuse") == EXIT_OK
    assert len(checks) == 2
