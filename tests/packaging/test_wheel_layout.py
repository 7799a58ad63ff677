"""The wheel's package list and data globs cover every subpackage and every file under resources/.

Building a wheel offline needs a newer setuptools (or the wheel package) than a fresh venv has, so these check the
configuration that decides the wheel's contents; the built wheel was listed by hand when the mapping was written.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
pytestmark = pytest.mark.packaging


def test_explicit_package_list_names_every_subpackage():
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "plexsync_gui").rglob("__init__.py")}
    assert set(SETUPTOOLS["packages"]) == on_disk | {"plexsync_gui.resources"}


def test_resources_folder_is_mapped_into_the_package():
    assert SETUPTOOLS["package-dir"] == {"plexsync_gui.resources": "resources"}


def test_every_resource_file_matches_a_package_data_glob():
    globs = SETUPTOOLS["package-data"]["plexsync_gui.resources"]
    files = [p.relative_to(REPO / "resources").as_posix() for p in (REPO / "resources").rglob("*") if p.is_file()]
    assert files
    unshipped = [f for f in files if not any(fnmatch.fnmatchcase(f, g) and f.count("/") == g.count("/") for g in globs)]
    assert unshipped == []
