"""The downloadable notebooks run where Colab runs them: a kernel with only the usual packages.

Each ``.ipynb`` the website offers for download is executed with nbclient in a fresh
venv holding only numpy, jax, jaxlib, matplotlib, ipywidgets and ipykernel (no MyST-NB,
no book package), in an empty working directory. Its first cell installs the book's
package from the repository named in ``_config.yml``; git's ``url.<base>.insteadOf``
points that address at a repository made from this working tree, as a reader's
install would reach GitHub.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools import myst_reader as myst

from .environments import ROOT, fresh_venv, git_repository_of_working_tree, kernelspec, without_installed

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HTML = ROOT / "_build" / "html"
DOWNLOADS = HTML / "_sources" / "chapters"
COLAB_PACKAGES = ["numpy", "jax", "jaxlib", "matplotlib", "ipywidgets", "ipykernel"]
# Syntax a plain Markdown renderer would show raw: roles, directive fences, label targets, options.
RAW_MYST = re.compile(r"\{[a-z][a-z:-]*\}`|^\s*[`:]{3,}\s*\{|^\(\s*[\w-]+\s*\)=\s*$|^:[a-z-]+:\s", re.M)


def pinned(package: str) -> str:
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.split("==")[0].strip().lower() == package:
            return line.strip()
    raise LookupError(f"{package} is not pinned in constraints.txt")


def downloads() -> list[Path]:
    return sorted(DOWNLOADS.glob("*.ipynb"))


@pytest.fixture(scope="module")
def colab(tmp_path_factory, monkeypatch_module):
    """(kernel name, venv, working directory) of a Colab-like kernel whose git reaches this tree."""
    venv = without_installed(fresh_venv("colab", [pinned(p) for p in COLAB_PACKAGES], python=sys.executable),
                             "optbook-lib")
    work = tmp_path_factory.mktemp("colab")
    repository = git_repository_of_working_tree(work / "repository")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    gitconfig = work / "gitconfig"
    gitconfig.write_text(f'[url "file://{repository}"]\n\tinsteadOf = {config["url"]}\n')
    monkeypatch_module.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch_module.setenv("JUPYTER_PATH", str(kernelspec(venv, "colab-sim", work / "jupyter")))
    content = work / "content"  # Colab's working directory: nothing of the repository in it
    content.mkdir()
    return "colab-sim", venv, content


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def execute(notebook, kernel: str, cwd: Path, timeout: int = 900):
    client = NotebookClient(notebook, kernel_name=kernel, timeout=timeout,
                            resources={"metadata": {"path": str(cwd)}})
    return client.execute()


def test_every_runnable_chapter_is_offered():
    names = {p.stem for p in downloads()}
    assert len(names) >= 10, f"only {sorted(names)} in {DOWNLOADS}"
    assert "instructors" not in names, "the instructors page needs the repository: not offered"


@pytest.mark.parametrize("path", downloads(), ids=lambda p: p.stem)
def test_markdown_is_plain(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            match = RAW_MYST.search(cell.source)
            assert match is None, f"raw MyST {match[0]!r} in: {cell.source[:300]}"
    # Every solution is folded: one <details> per solution in the chapter's source.
    solutions = len(myst.read(ROOT / "chapters" / f"{path.stem}.md", ROOT).directives("solution"))
    folded = sum(c.source.count("<details>") for c in notebook.cells if c.cell_type == "markdown")
    assert folded == solutions
    first_code = next(c for c in notebook.cells if c.cell_type == "code")
    assert "importlib.metadata.version(\"optbook-lib\")" in first_code.source
    # The numbers are written in: the website's glued values appear in the text.
    glue_file = ROOT / "_build" / "jupyter_execute" / "chapters" / f"{path.stem}.glue.json"
    glue = json.loads(glue_file.read_text())
    if glue:
        text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
        assert "{glue" not in text and "{eval}" not in text


def test_a_failing_install_stops_with_a_clear_message(colab, tmp_path, monkeypatch):
    kernel, venv, content = colab
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "uninstall", "-y", "-q", "optbook-lib"],
                   check=False, capture_output=True)
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f'[url "file://{tmp_path}/nowhere"]\n\tinsteadOf = {url}\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    # pip caches the wheel it built from the pinned commit: without this, an earlier test's
    # install would be reused and git (the part that fails here) never asked.
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    notebook = nbformat.read(downloads()[0], as_version=4)
    install = next(c for c in notebook.cells if c.cell_type == "code")
    notebook.cells = [install]
    with pytest.raises(CellExecutionError) as failure:
        execute(notebook, kernel, content, timeout=300)
    message = str(failure.value)
    assert "RuntimeError" in message and "Installing the book's package failed" in message
    assert "pip install 'optbook-lib @ git+" in message, "the message says how to install it by hand"


@pytest.mark.parametrize("path", downloads(), ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(colab, path):
    kernel, venv, content = colab
    notebook = nbformat.read(path, as_version=4)
    try:
        execute(notebook, kernel, content)
    except CellExecutionError as error:
        pytest.fail(f"{path.name} failed in a Colab-like kernel:\n{str(error)[-3000:]}")
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []
    packages = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json"],
                              check=True, capture_output=True, text=True).stdout
    names = {p["name"].lower() for p in json.loads(packages)}
    assert "myst-nb" not in names and "optbook-lib" in names
