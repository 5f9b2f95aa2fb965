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

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

#: Defaults: per submission, wall clock (s) and address space per process (bytes).
TIME_LIMIT = 300
MEMORY_LIMIT = 4 * 1024**3
FILE_LIMIT = 64 * 1024**2
#: Where the private folder appears inside the sandbox (under its private /tmp).
WORK = "/tmp/work"


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


def command(workdir: Path, argv: list[str], *, hidden: list[Path], env: dict[str, str],
            memory: int = MEMORY_LIMIT, readonly_binds: list[tuple[Path, Path]] = (),
            visible: list[Path] = (), user: list[str] = ()) -> list[str]:
    """The ``prlimit … bwrap … argv`` command line (``argv`` runs in /sandbox).

    ``user`` is a command that runs bwrap as another user (``setpriv …  --``: the Gradescope
    runner starts bwrap as an unprivileged user rather than as root).

    ``visible`` folders (the project: its ``lib`` and ``.venv``) are shown read-only even where they
    lie under a folder the sandbox empties (a checkout in /tmp or a home folder); the ``hidden``
    paths inside them are emptied after that, so they stay hidden.
    """
    args = ["prlimit", f"--as={memory}", f"--fsize={FILE_LIMIT}", "--core=0", "--", *user,
            bwrap(), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--tmpfs", "/tmp", "--tmpfs", "/run"]
    for folder in ("/home", "/root"):
        if Path(folder).is_dir():
            args += ["--tmpfs", folder]
    for path in visible:
        path = Path(path).resolve()
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
