"""The HTTP stack carries the token and API key: pyproject's floors keep releases with known advisories out, and the
versions installed here satisfy them."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

pytestmark = pytest.mark.security

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
# The first release past every advisory we know of (see the comments in pyproject.toml).
SAFE_FLOORS = {"requests": Version("2.33.0"), "urllib3": Version("2.7.0")}


def declared() -> dict[str, Requirement]:
    dependencies = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    return {requirement.name: requirement for requirement in map(Requirement, dependencies)}


@pytest.mark.parametrize("name", sorted(SAFE_FLOORS))
def test_the_declared_floor_excludes_every_release_with_a_known_advisory(name):
    requirement = declared()[name]  # urllib3 is declared itself: requests alone would accept any 1.26 or 2.x
    floors = [Version(spec.version) for spec in requirement.specifier if spec.operator in (">=", ">")]
    assert floors and max(floors) >= SAFE_FLOORS[name], str(requirement)


@pytest.mark.parametrize("name", sorted(SAFE_FLOORS))
def test_the_installed_version_satisfies_the_declared_requirement(name):
    assert declared()[name].specifier.contains(version(name), prereleases=True), (name, version(name))

