"""Binder's configuration (binder/): what repo2docker reads must build, fast, the website's environment.

The simulated Binder run itself is tests/browser/test_binder.py.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            found[re.sub(r"[-_.]+", "-", name).lower()] = version
    return found


def test_python_is_pinned_to_the_version_ci_tests():
    version = (BINDER / "runtime.txt").read_text().strip()
    assert version == f"python-{sys.version_info.major}.{sys.version_info.minor}"


def test_every_package_is_pinned_and_none_is_local():
    """A local path (-e .) would make repo2docker copy the repository before installing: every
    change to the text would rebuild the environment. The book's package comes in postBuild."""
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.+!-]+", line), f"not an exact pin: {line!r}"
    assert "pip install --no-deps" in (BINDER / "postBuild").read_text()


def test_the_readers_kernel_has_the_versions_the_website_was_computed_with():
    binder, book = pins(BINDER / "requirements.txt"), pins(ROOT / "constraints.txt")
    shared = set(binder) & set(book)
    assert {"jax", "jaxlib", "numpy", "scipy", "matplotlib", "scikit-learn"} <= shared
    assert {name: (binder[name], book[name]) for name in shared if binder[name] != book[name]} == {}
    wanted = pins(BINDER / "requirements.in")
    assert {name: binder.get(name) for name in wanted} == wanted, "requirements.txt is out of date"


def test_a_cached_environment_loses_every_trace_of_an_earlier_install_of_the_book(tmp_path):
    """The Binder and Colab simulations reuse their venvs: the book's package left there by an
    earlier run (whole, or half-removed by a stopped run) is removed, and nothing else is."""
    from tests.browser.environments import without_installed

    site = tmp_path / "lib" / "python3.11" / "site-packages"
    (site / "lib" / "__pycache__").mkdir(parents=True)
    (site / "lib" / "__init__.py").write_text("")
    (site / "lib" / "__pycache__" / "stray.pyc").write_text("")  # compiled after the install
    (site / "_editable_finder.py").write_text("")
    (site / "numpy").mkdir()
    (site / "numpy" / "__init__.py").write_text("")
    (site / "__pycache__").mkdir()
    (site / "__pycache__" / "_editable_finder.cpython-311.pyc").write_text("")
    (site / "__pycache__" / "other.cpython-311.pyc").write_text("")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "tool").write_text("")
    info = site / "optbook_lib-0.1.0.dist-info"
    info.mkdir()
    (info / "RECORD").write_text("\n".join([
        "lib/__init__.py,sha256=x,0", "_editable_finder.py,,", "gone.pth,,",  # gone: a stopped run
        "__pycache__/_editable_finder.cpython-311.pyc,,", "../../../bin/tool,,",
        "optbook_lib-0.1.0.dist-info/RECORD,,"]))
    without_installed(tmp_path, "optbook-lib")
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["bin/tool", "lib/python3.11/site-packages/__pycache__/other.cpython-311.pyc",
                    "lib/python3.11/site-packages/numpy/__init__.py"]
