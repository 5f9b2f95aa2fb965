"""Fresh environments for testing the book where readers run it: Binder's and Colab's.

A virtual environment is made from exactly the requirements given (nothing of the
test runner's), with the Python that Binder's ``runtime.txt`` names. Making one
costs a minute (pip's cache holds the wheels after the first time), so it is
kept under ``_build/envs/`` keyed by a hash of its requirements: a new set of
requirements gets a new, fresh environment.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENVS = ROOT / "_build" / "envs"


def binder_python() -> str:
    """The interpreter for the Python version pinned in ``binder/runtime.txt`` (e.g. python-3.11)."""
    version = (ROOT / "binder" / "runtime.txt").read_text().strip().removeprefix("python-")
    found = shutil.which(f"python{version}")
    if found is None:
        raise RuntimeError(f"binder/runtime.txt pins Python {version}, but python{version} is not on PATH")
    return found


def fresh_venv(name: str, requirements: list[str], python: str | None = None) -> Path:
    """A venv holding only ``requirements`` (pip arguments, e.g. ``-r file`` or ``pkg==1.0``)."""
    python = python or binder_python()
    texts = [Path(r).read_text() if Path(r).is_file() else r for r in requirements]
    key = hashlib.sha256("\n".join([python, *texts]).encode()).hexdigest()[:12]
    venv = ENVS / f"{name}-{key}"
    ENVS.mkdir(parents=True, exist_ok=True)
    # Test processes running in parallel (pytest-xdist) may ask for the same environment: one
    # makes it while the others wait, instead of deleting it under each other's feet.
    with open(ENVS / f"{name}-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (venv / ".complete").exists():
            return venv
        if venv.exists():
            shutil.rmtree(venv)
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        args = [arg for r in requirements for arg in (["-r", r] if Path(r).is_file() else [r])]
        subprocess.run([*pip, *args], check=True)
        (venv / ".complete").write_text(" ".join(requirements))
    return venv


def without_installed(venv: Path, distribution: str) -> Path:
    """``venv`` with no trace of an earlier install of ``distribution`` (its files, as its RECORD
    lists them, and its metadata).

    A cached venv is reused across test runs. An install left there by an earlier run would be
    used instead of this working tree's, and one stopped half-way leaves a RECORD naming files
    that are gone, on which ``pip`` then fails every later install. Binder and Colab start from
    a fresh image, so the tests start from the requirements alone too.
    """
    stem = distribution.replace("-", "_")
    for site in venv.glob("lib/python*/site-packages"):
        for info in site.glob(f"{stem}-*.dist-info"):
            record = info / "RECORD"
            for line in record.read_text().splitlines() if record.is_file() else []:
                path = site / line.split(",")[0]
                top = site / path.relative_to(site).parts[0] if path.resolve().is_relative_to(site) else None
                if top is None:
                    continue  # a script in bin/ or a path outside site-packages: left alone
                if top.is_dir() and top.name != "__pycache__":
                    shutil.rmtree(top)  # the package's own folder (lib/), caches included
                elif path.is_file():
                    path.unlink()
            shutil.rmtree(info, ignore_errors=True)
    return venv


def working_tree_copy(dest: Path) -> Path:
    """The repository's files as a reader's clone has them: tracked and new, not ignored ones."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def git_repository_of_working_tree(dest: Path, branch: str = "main") -> Path:
    """A git repository whose ``branch`` holds the working tree, for ``pip install git+…``.

    It is a clone of this checkout, so the commit the built notebooks pin (``git rev-parse HEAD``
    at build time) is in it too; the working tree's uncommitted changes go on top as one commit.
    """
    env = dict(os.environ, GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@localhost",
               GIT_COMMITTER_NAME="test", GIT_COMMITTER_EMAIL="test@localhost")
    if (ROOT / ".git").exists():
        subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(dest)], check=True, env=env)
        commands = [["checkout", "-q", "-B", branch]]
    else:
        dest.mkdir(parents=True, exist_ok=True)
        commands = [["init", "-q", "-b", branch]]
    for command in commands:
        subprocess.run(["git", *command], cwd=dest, check=True, env=env)
    working_tree_copy(dest)
    for command in (["add", "-A"], ["commit", "-q", "--allow-empty", "-m", "working tree"]):
        subprocess.run(["git", *command], cwd=dest, check=True, env=env)
    return dest


def kernelspec(venv: Path, name: str, folder: Path) -> Path:
    """Register ``venv``'s Python as the Jupyter kernel ``name`` under ``folder`` (a JUPYTER_PATH entry)."""
    spec = folder / "kernels" / name
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        '{"argv": ["%s", "-m", "ipykernel_launcher", "-f", "{connection_file}"], '
        '"display_name": "%s", "language": "python"}' % (venv / "bin" / "python", name))
    return folder

