"""``python -m analysis validate``: exit 0 on the package, non-zero naming the file on any change.

Validation must only read: every test compares the hashes of every file in the package copy
(data and references.bib) before and after the run.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import paths
from analysis.__main__ import main
from analysis.data import datapackage

RESOURCES = datapackage.read_descriptor()["resources"]


def _snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under the package copy's parent (data/ and references.bib)."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _run_validate(data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(paths.root)}
    return subprocess.run(
        [sys.executable, "-m", "analysis", "validate", "--data", str(data)],
        capture_output=True,
        text=True,
        cwd=paths.root,
        env=env,
        timeout=600,  # a guard against a hang, not a timer
    )


def _flip_one_byte(file: Path) -> None:
    """Change exactly one byte in the middle of the file to a different byte."""
    payload = bytearray(file.read_bytes())
    at = len(payload) // 2
    payload[at] = ord("#") if payload[at] != ord("#") else ord("%")
    file.write_bytes(bytes(payload))


def test_validate_passes_on_the_package_and_changes_no_file(package_copy: Path) -> None:
    before = _snapshot(package_copy.parent)
    result = _run_validate(package_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(RESOURCES)}/{len(RESOURCES)} resources valid" in result.stdout
    for entry in RESOURCES:
        assert entry["name"] in result.stdout
    assert _snapshot(package_copy.parent) == before


def test_validate_fails_in_a_fresh_process_naming_the_changed_file(package_copy: Path) -> None:
    target = package_copy / "documented" / "milestones.csv"
    _flip_one_byte(target)
    before = _snapshot(package_copy.parent)
    result = _run_validate(package_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "documented/milestones.csv" in result.stderr
    assert "invalid: milestones" in result.stdout
    assert _snapshot(package_copy.parent) == before


@pytest.mark.parametrize("entry", RESOURCES, ids=[r["name"] for r in RESOURCES])
def test_one_changed_byte_in_any_resource_fails_validation(
    package_copy: Path, entry: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    _flip_one_byte(datapackage.resource_path(entry, package_copy))
    before = _snapshot(package_copy.parent)
    code = main(["validate", "--data", str(package_copy)])
    out, err = capsys.readouterr()
    assert code == 1
    first = [line for line in err.splitlines() if line.startswith(f"{entry['name']}: ")]
    assert first, err
    assert entry["path"] in first[0]
    assert "invalid: " in out and entry["name"] in out.split("invalid: ")[1]
    assert _snapshot(package_copy.parent) == before


def test_a_missing_file_and_a_missing_changelog_entry_are_reported(
    package_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (package_copy / "documented" / "wechat_sectors_2013.csv").unlink()
    (package_copy / "CHANGELOG.md").write_text("# Changelog\n", encoding="utf-8")
    code = main(["validate", "--data", str(package_copy), "--all-problems"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "wechat_sectors_2013: " in err and "file missing" in err
    assert "package: " in err and "no entry for the package version" in err
    assert "package metadata" in out


def test_a_data_folder_without_descriptor_is_a_usage_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["validate", "--data", str(tmp_path)])
    _, err = capsys.readouterr()
    assert code == 2
    assert f"--data {tmp_path}: expected a regular file datapackage.json" in err
    assert "found nothing" in err and "Traceback" not in err
