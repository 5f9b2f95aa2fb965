"""lib has one version: lib.__version__, which the package metadata (pyproject.toml) reads."""

import re
from pathlib import Path

import pytest

import lib

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.filterwarnings("ignore:Support for `\\[tool.setuptools\\]`")
def test_the_package_metadata_reads_lib_version():
    read_configuration = pytest.importorskip("setuptools.config.pyprojecttoml").read_configuration
    project = read_configuration(ROOT / "pyproject.toml", expand=True)["project"]
    assert project["version"] == lib.__version__


def test_the_version_is_a_release_number_a_tag_can_name():
    assert re.fullmatch(r"\d+\.\d+\.\d+", lib.__version__), lib.__version__


def test_the_workflow_releases_only_a_tag_that_matches_the_version():
    workflow = (ROOT / ".github" / "workflows" / "book.yml").read_text()
    assert "lib.__version__" in workflow and '"v$version" != "$GITHUB_REF_NAME"' in workflow
