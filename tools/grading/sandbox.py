"""One submission's run in bubblewrap (``bwrap``, Debian package ``bubblewrap``).

The sandbox sees the whole file system read-only (``--ro-bind / /``), with empty, private
``/tmp``, ``/home``, ``/root`` and ``/run`` (tmpfs) and empty tmpfs over every path the
grader names as hidden: the submissions folder, the gradebook's folder and the project's
``_build/`` (autograders, earlier grades). Its only writable folder that outlives it is
``/tmp/work``, a fresh host folder holding a private copy of the notebook and of the public
tests. ``--unshare-all`` gives it its own network namespace (only a loopback device: no
network), its own process namespace (it sees and can signal only its own processes), IPC,
UTS and user namespaces; it runs as ``nobody``; ``--die-with-parent`` and
``--new-session`` tie it to the grader. Limits: a wall-clock limit after which the grader
kills bwrap's whole process group (the namespace's init dies, the kernel kills every
process in it), and ``prlimit`` caps its address space (``RLIMIT_AS``, per process) and the
size of any file it writes (``RLIMIT_FSIZE``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tools.grading import answers

#: Defaults: per submission, wall clock (s) and address space per process (bytes).
TIME_LIMIT = 300
MEMORY_LIMIT = 4 * 1024**3
FILE_LIMIT = 64 * 1024**2
#: Where the private folder appears inside the sandbox (under its private /tmp).
WORK = "/tmp/work"
#: The folders the sandbox shows empty (tmpfs); /home and /root where the machine has them.
EMPTIED = (Path("/tmp"), Path("/run"), Path("/home"), Path("/root"))


class SandboxUnavailable(RuntimeError):
    pass


def bwrap() -> str:
    """The bubblewrap executable, or an error saying how to install it."""
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is missing: grading runs every submission in a bubblewrap "
            "sandbox. Install it with `sudo apt-get install bubblewrap` (Debian/Ubuntu; "
            "`dnf install bubblewrap` on Fedora), or `make grade-deps` as root.")
    return path


@dataclass
class Outcome:
    returncode: int | None
    timed_out: bool
    seconds: float
    stderr: str


# ----- what goes in, what comes back -----

def cell_seconds(time_limit: float) -> int:
    """Each cell's own time limit: most of the submission's, so a stuck cell is named as such."""
    return max(5, int(time_limit * 0.8))


def write_inputs(work: Path, notebook: Path, plan: dict, time_limit: float) -> None:
    """The private folder's inputs: ``submission.ipynb`` and ``plan.json`` (with the cell limit)."""
    shutil.copyfile(notebook, work / "submission.ipynb")
    (work / "plan.json").write_text(json.dumps({**plan, "cell_seconds": cell_seconds(time_limit)}))


def environment(python: Path, *, home: str, pythonpath: list[str]) -> dict[str, str]:
    """The whole environment the student's kernel gets (nothing is inherited)."""
    return {"HOME": home, "PATH": f"{Path(python).parent}:/usr/local/bin:/usr/bin:/bin",
            "PYTHONPATH": ":".join(str(p) for p in pythonpath if p),
            "MPLCONFIGDIR": f"{home}/.matplotlib", "JUPYTER_RUNTIME_DIR": f"{home}/.jupyter",
            "JAX_PLATFORMS": "cpu", "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}


def extract_argv(python: Path, inside: str) -> list[str]:
    """The command that runs the notebook in ``inside`` and writes its answers there."""
    return [str(python), "-m", "tools.grading.extract", f"{inside}/submission.ipynb", f"{inside}/plan.json",
            inside]


def read_private(path: Path) -> dict | None:
    """A JSON file the sandbox wrote: a regular file (no link followed, and no FIFO waited on:
    opening one without a writer would block), at most ``answers.MAX_BYTES``."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(handle, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > answers.MAX_BYTES:
            return None
        try:
            data = json.loads(file.read(answers.MAX_BYTES + 1))
        except ValueError:
            return None
    return data if isinstance(data, dict) else None


def handed_back(work: Path, outcome: Outcome) -> dict:
    """What the run left in its private folder (``answers``, ``run``) and how it ended."""
    return {"answers": read_private(work / "answers.json"), "run": read_private(work / "run.json"),
            "timed_out": outcome.timed_out, "returncode": outcome.returncode,
            "seconds": outcome.seconds, "stderr": outcome.stderr}


# ----- the command line -----

def _emptied(path: Path) -> bool:
    return any(path.is_relative_to(folder) for folder in EMPTIED)


def interpreter_folders(python: Path) -> list[Path]:
    """The folders ``python`` needs that lie under a folder the sandbox empties: its environment
    (a virtual environment in a checkout under /tmp) and the installation that environment was
    made from (pyenv's under /root). An interpreter in /usr or /opt needs none."""
    python = Path(shutil.which(str(python)) or python)
    prefix = python.parent.parent
    folders = {prefix.resolve(), python.resolve().parent.parent}
    config = prefix / "pyvenv.cfg"
    if config.is_file():
        for line in config.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home" and value.strip():
                folders.add(Path(value.strip()).resolve().parent)
    return sorted(folder for folder in folders if _emptied(folder))


def command(workdir: Path, argv: list[str], *, hidden: list[Path], env: dict[str, str],
            memory: int = MEMORY_LIMIT, readonly_binds: list[tuple[Path, Path]] = (),
            visible: list[Path] = (), user: list[str] = ()) -> list[str]:
    """The ``prlimit … bwrap … argv`` command line (``argv`` runs in :data:`WORK`).

    ``argv[0]`` is the interpreter: its folders stay visible, read-only, where they lie under a
    folder the sandbox empties (:func:`interpreter_folders`). So do the ``visible`` folders (the
    project, or the student's packages); the ``hidden`` paths inside them are emptied after
    that, so they stay hidden.

    ``user`` is a command that runs bwrap as another user (``setpriv …  --``: the Gradescope
    runner starts bwrap as an unprivileged user rather than as root).
    """
    args = ["prlimit", f"--as={memory}", f"--fsize={FILE_LIMIT}", "--core=0", "--", *user,
            bwrap(), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for folder in EMPTIED:
        if folder.is_dir():
            args += ["--tmpfs", str(folder)]
    shown = {*interpreter_folders(Path(argv[0])), *(Path(path).resolve() for path in visible)}
    for path in sorted(shown):
        if _emptied(path):
            args += ["--ro-bind", str(path), str(path)]
    for path in hidden:
        path = Path(path).resolve()
        if path.is_dir():
            args += ["--tmpfs", str(path)]
        elif path.exists():
            args += ["--ro-bind", "/dev/null", str(path)]
    for source, target in readonly_binds:
        args += ["--ro-bind", str(source), str(target)]
    args += ["--bind", str(workdir), WORK, "--chdir", WORK,
             "--unshare-all", "--uid", "65534", "--gid", "65534", "--die-with-parent",
             "--new-session", "--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args + ["--", *argv]


def run(cmd: list[str], *, timeout: float) -> Outcome:
    """Run ``cmd`` in its own process group; after ``timeout`` s kill the group."""
    started = time.monotonic()
    process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    timed_out = False
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate()
    return Outcome(process.returncode, timed_out, time.monotonic() - started,
                   stderr.decode(errors="replace")[-2000:])
