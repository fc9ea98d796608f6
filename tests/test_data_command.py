"""Bring your own data (issue 15): ``python -m analysis data init/add/stamp`` and ``--data``.

The end-to-end case generates a small sample the way a researcher's crawl might look (about 350
accounts, Weibo only, no officer accounts), declares it observed in a data folder outside the
repository, and checks what the descriptor, the changelog, ``validate`` and ``simulate`` say.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import paths
from analysis.__main__ import main
from analysis.data import datapackage, datasets, incoming

OBSERVED = [
    "--observed",
    "--source",
    "Test crawl of police Weibo accounts",
    "--period",
    "2016-01-01 to 2016-12-31",
    "--sampling",
    "every bureau account in a published list",
]
NO_WECHAT_NO_OFFICERS = (
    "{ weibo_bureau = %d, wechat_bureau = 0, weibo_officer = 0, wechat_officer = 0 }"
)
WEIBO_ONLY = {  # parameter table -> its new value: Weibo bureau accounts only
    "sample.ministry": "{ weibo = 3, wechat = 0 }",
    "sample.provincial_bureau": "{ weibo = 1, wechat = 0 }",
    "sample.provincial_officer": "{ weibo = 0, wechat = 0 }",
    "sample.prefecture": NO_WECHAT_NO_OFFICERS % 30,
    "sample.county": NO_WECHAT_NO_OFFICERS % 50,
}


def _set_value(text: str, table: str, value: str) -> str:
    """``text`` with the ``value = ...`` line of ``[table]`` replaced."""
    start = text.index("value = ", text.index(f"[{table}]\n"))
    return text[:start] + f"value = {value}" + text[text.index("\n", start) :]


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated Weibo-only sample without officer accounts: the files a user brings."""
    folder = tmp_path_factory.mktemp("crawl")
    text = paths.simulation_parameters.read_text(encoding="utf-8")
    for table, value in WEIBO_ONLY.items():
        text = _set_value(text, table, value)
    (folder / "weibo.toml").write_text(text, encoding="utf-8")
    code = main(
        ["simulate", "--parameters", str(folder / "weibo.toml"), "--out", str(folder / "gen")]
    )
    assert code == 0
    return folder / "gen" / "synthetic"


@pytest.fixture
def own_data(tmp_path: Path) -> Path:
    """A data folder outside the repository, made with ``data init``."""
    folder = tmp_path / "mydata"
    assert main(["data", "init", str(folder)]) == 0
    return folder


def test_observed_sample_is_brought_in_validated_and_labelled(
    crawl: Path, own_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    version = datapackage.read_descriptor(own_data / "datapackage.json")["version"]
    assert main(["--data", str(own_data), "data", "add", str(crawl), *OBSERVED]) == 0
    out = capsys.readouterr().out
    descriptor = datapackage.read_descriptor(own_data / "datapackage.json")
    major = int(version.split(".")[0])
    assert descriptor["version"] == f"{major + 1}.0.0"  # synthetic -> observed is MAJOR
    for name in ("accounts", "posts"):
        entry = datapackage.resource(descriptor, name)
        assert entry["synthetic"] is False and "generator" not in entry
        assert entry["collection"] == {
            "source": "Test crawl of police Weibo accounts",
            "period": "2016-01-01 to 2016-12-31",
            "sampling": "every bureau account in a published list",
        }
        assert entry["path"] == f"observed/{name}.csv"
        raw = (own_data / entry["path"]).read_bytes()
        assert entry["hash"] == datapackage.sha256_bytes(raw) and entry["bytes"] == len(raw)
        assert raw == (crawl / f"{name}.csv").read_bytes()  # brought in unchanged
        assert entry["rows"] == datasets.check(name, base=own_data).rows
        assert datapackage.kind(entry) == "observed"
    accounts = datasets.load("accounts", base=own_data)
    assert 250 <= len(accounts) <= 450
    assert set(accounts["platform"].astype(str)) == {"weibo"}
    assert set(accounts["account_type"].astype(str)) == {"bureau"}
    changelog = (own_data / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {major + 1}.0.0 — " in changelog and "was synthetic" in changelog
    assert "version" in out and "simulate --check` now skips them" in out

    # every command sees the folder: validate passes, simulate --check is skipped with a reason
    assert main(["validate", "--data", str(own_data)]) == 0
    assert "observed" in capsys.readouterr().out
    assert main(["--data", str(own_data), "simulate", "--check"]) == 0
    line = capsys.readouterr().out
    assert "simulate --check: skipped" in line and "observed data" in line
    # regenerating in place would overwrite observed data with simulated data: refused
    before = _hashes(own_data)
    assert main(["--data", str(own_data), "simulate"]) == 2
    err = capsys.readouterr().err
    assert "would overwrite them with simulated data" in err and "--out DIR" in err
    assert _hashes(own_data) == before

    # the environment variable does the same for a fresh process (chapter kernels, nox)
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "validate"],
        cwd=paths.root,
        env={**os.environ, "PYTHONPATH": str(paths.root), paths.DATA_ENV: str(own_data)},
        capture_output=True,
        text=True,
        timeout=600,  # a guard against a hang, not a timer
    )
    assert result.returncode == 0, result.stderr
    assert "observed/posts.csv" in result.stdout


def test_invalid_incoming_file_changes_nothing_and_is_located(
    crawl: Path, own_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "in"
    bad.mkdir()
    lines = (crawl / "posts.csv").read_text(encoding="utf-8").split("\n")
    cells = lines[5].split(",")
    cells[4] = "-3"  # reposts
    lines[5] = ",".join(cells)
    (bad / "posts.csv").write_text("\n".join(lines), encoding="utf-8")
    (bad / "accounts.csv").write_bytes((crawl / "accounts.csv").read_bytes())
    before = _hashes(own_data)
    assert main(["--data", str(own_data), "data", "add", str(bad), *OBSERVED]) == 1
    err = capsys.readouterr().err
    assert "observed/posts.csv, row 5 (line 6), field 'reposts': value out of range" in err
    assert "expected >= 0, found '-3'" in err
    assert _hashes(own_data) == before
    assert not [p for p in own_data.iterdir() if p.name.startswith(".incoming-")]


def test_observed_needs_source_period_and_sampling(
    crawl: Path, own_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--data", str(own_data), "data", "add", str(crawl / "posts.csv"), "--observed"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--source is required with --observed" in err and "--sampling" in err


def test_a_file_not_named_after_a_resource_is_a_usage_error(
    own_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stray = tmp_path / "engagement.csv"
    stray.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["--data", str(own_data), "data", "add", str(stray), *OBSERVED]) == 2
    assert "no resource 'engagement' in the codebook" in capsys.readouterr().err


def test_stamp_records_an_edit_in_place_with_the_semver_step(
    own_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = own_data / "documented" / "wechat_sectors_2013.csv"
    text = file.read_text(encoding="utf-8")
    file.write_text(text.replace("\n", "\r\n"), encoding="utf-8")  # same rows, other bytes
    assert main(["validate", "--data", str(own_data)]) == 1
    capsys.readouterr()
    old = datapackage.read_descriptor(own_data / "datapackage.json")["version"]
    assert main(["--data", str(own_data), "data", "stamp", "wechat_sectors_2013"]) == 0
    new = datapackage.read_descriptor(own_data / "datapackage.json")["version"]
    assert new == incoming.bump_version(old, "patch")
    assert main(["validate", "--data", str(own_data)]) == 0
    assert f"## {new} — " in (own_data / "CHANGELOG.md").read_text(encoding="utf-8")


def test_semver_rules_of_the_changelog() -> None:
    def change(kind: str, previous: str, rows: int, before: int | None) -> incoming.Change:
        return incoming.Change("posts", "p.csv", rows, 1, "sha256:x", kind, previous, before)

    assert incoming.bump_for([change("observed", "synthetic", 10, 10)]) == "major"
    assert incoming.bump_for([change("observed", "observed", 11, 10)]) == "minor"
    assert incoming.bump_for([change("observed", "observed", 10, 10)]) == "patch"
    assert incoming.bump_for([change("observed", "observed", 9, 10)]) == "patch"
    assert incoming.bump_version("1.2.3", "major") == "2.0.0"
    assert incoming.bump_version("1.2.3", "minor") == "1.3.0"
    assert incoming.bump_version("1.2.3", "patch") == "1.2.4"
    text = "# Changelog\n\nRules.\n\n## 1.0.0 — x\n\nFirst.\n"
    new = incoming.changelog_with_entry(text, "1.1.0 — y", "Added.")
    assert new == "# Changelog\n\nRules.\n\n## 1.1.0 — y\n\nAdded.\n\n## 1.0.0 — x\n\nFirst.\n"


def test_data_init_refuses_a_folder_with_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.txt").write_text("x", encoding="utf-8")
    assert main(["data", "init", str(tmp_path)]) == 2
    assert "expected a new or empty folder" in capsys.readouterr().err


def test_descriptor_written_by_data_add_keeps_the_repository_untouched(
    crawl: Path, own_data: Path
) -> None:
    repo = _hashes(paths.default_data)
    assert main(["--data", str(own_data), "data", "add", str(crawl), *OBSERVED]) == 0
    assert _hashes(paths.default_data) == repo
    json.loads((own_data / "datapackage.json").read_text(encoding="utf-8"))


def test_synthetic_files_of_ones_own_have_no_generator_and_skip_the_check(
    crawl: Path, own_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data", str(own_data), "data", "add", str(crawl), "--synthetic"]) == 0
    descriptor = datapackage.read_descriptor(own_data / "datapackage.json")
    for name in ("accounts", "posts"):
        entry = datapackage.resource(descriptor, name)
        assert entry["synthetic"] is True and "generator" not in entry and "collection" not in entry
    capsys.readouterr()
    assert main(["--data", str(own_data), "simulate", "--check"]) == 0
    assert "were brought in, not generated" in capsys.readouterr().out
    assert main(["validate", "--data", str(own_data)]) == 0
