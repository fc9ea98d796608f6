"""The descriptor is a valid Frictionless Data Package (issue 14, item 8).

The project's own validator (``analysis.data.datasets``) stays the fast, vectorised check of
the project's rules; this test asks the Data Package reference implementation whether the
descriptor and the files it lists are what the standard says they should be.
"""

from __future__ import annotations

import copy

import pytest

from analysis import paths
from analysis.data import datapackage

frictionless = pytest.importorskip("frictionless")


def test_descriptor_is_a_valid_data_package() -> None:
    report = frictionless.Package.validate_descriptor(datapackage.read_descriptor())
    assert report.valid, [e.message for e in report.errors]


def test_frictionless_catches_what_issue_14_found() -> None:
    """The check can fail: a plain date in ``created`` (the original defect) is rejected."""
    descriptor = copy.deepcopy(datapackage.read_descriptor())
    descriptor["created"] = "2026-11-22"
    report = frictionless.Package.validate_descriptor(descriptor)
    assert not report.valid
    assert any("created" in e.message for e in report.errors)


def test_frictionless_validates_the_package_files() -> None:
    """``frictionless validate data/datapackage.json``: every resource passes its schema."""
    report = frictionless.validate(str(paths.datapackage))
    failures = {t.name: [e.message for e in t.errors][:3] for t in report.tasks if not t.valid}
    assert report.valid, failures or [e.message for e in report.errors]
