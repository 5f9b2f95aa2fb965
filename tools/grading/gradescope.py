"""The Gradescope autograder: our own zip, with the same split as ``make grade``.

Gradescope builds an image from the zip (``setup.sh``, once, as root) and for every submission
runs ``run_autograder`` as root in ``/autograder``: the zip's files are in ``/autograder/source``,
the student's upload in ``/autograder/submission``, and ``/autograder/results/results.json`` is
what Gradescope reads back (``score``, ``tests`` with ``name``, ``score``, ``max_score``,
``output``, ``visibility``; ``output`` for the whole submission).

The zip (:func:`build_zip`; it becomes ``/autograder/source``)::

    setup.sh, run_autograder   Gradescope's two entry points (tools/grading/zip/)
    requirements.txt           exact versions: lib's dependencies as the book pins them, the kernel
    build.json                 the assignment and the lib commit it was built from
    code/lib/                  that lib, file for file (no branch: what the students install)
    code/tools/grading/        this package: the runner (extract, answers) and the scorer
    grader.json                the hidden part: each question's tests and solution

For each submission :func:`run` does, as root, what ``make grade`` does for one notebook:

1. ``source/``, ``submission/`` and ``results/`` become readable by root only (mode 700);
2. a fresh folder gets ``runner/`` (root's files, readable but not writable by the student:
   ``lib``, :mod:`.answers`, :mod:`.extract`, the do-nothing ``otter``) and ``work/`` (the
   student user's: a copy of the notebook and the plan of what to hand back);
3. :mod:`.extract` runs the notebook as the unprivileged user (``setpriv``: its own uid and
   gid, no supplementary groups, no capabilities, an empty environment), under ``prlimit``
   (address space, file size, processes) and a wall-clock limit after which its process group
   is killed, and then every process left to that user. Where the container allows user
   namespaces it runs inside bubblewrap as well (:mod:`.sandbox`: no network, its own process
   namespace, ``/autograder`` replaced by an empty folder); otherwise the user is the boundary.
   Which one was used goes into ``results.json`` (``extra_data.sandbox``) and the log;
4. the trusted scorer (:class:`.score.Grader`, this process, root) reads the answers the
   kernel handed back and scores them for the student's variant, with the feedback of
   ``make grade`` (:func:`.grade._row`: slips named, no test source, tolerance or formula),
   and writes ``results.json``. Nothing the notebook does can write there.

For a test without Docker every path is configurable by environment variables (read by
``run_autograder`` and :func:`main`): ``AUTOGRADER_ROOT`` (default ``/autograder``),
``OPTBOOK_STUDENT_USER`` (``student``), ``OPTBOOK_STUDENT_PYTHON`` (the interpreter the
notebook runs with; default this one), ``OPTBOOK_STUDENT_SITE`` (a folder of packages added to
the student's ``PYTHONPATH``), ``OPTBOOK_SANDBOX`` (``auto``, ``bubblewrap`` or ``user``) and
``OPTBOOK_TIME_LIMIT`` (seconds per notebook, default :data:`.sandbox.TIME_LIMIT`).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.grading import sandbox  # noqa: E402

SCRIPTS = Path(__file__).with_name("zip")
STUB = Path(__file__).with_name("stub")
#: Gradescope shows a hidden part's result once the instructor publishes the grades.
HIDDEN_VISIBILITY = "after_published"
#: Processes (threads count) the student's user may have at once: JAX's thread pools fit.
MAX_PROCESSES = 4096
#: The modules the student's process needs; everything else of the grader stays root's.
RUNNER_MODULES = ("__init__.py", "answers.py", "extract.py")
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


# ----- building the zip -----

@dataclass
class Question:
    """What the scorer needs of a question (:class:`tools.assignments.Question`'s hidden part)."""

    name: str
    title: str
    points: float
    given: str
    solution: str
    tests_code: str  # the hidden test file (every case), as ``make grade`` builds it


@dataclass
class Assignment:
    name: str
    title: str
    questions: list[Question] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(question.points for question in self.questions)


def bundle(assignment) -> dict:
    """``grader.json``: the hidden tests and the solution of every question."""
    from tools import assignments as asg

    return {"name": assignment.name, "title": assignment.title,
            "questions": [{"name": q.name, "title": q.title, "points": q.points, "given": q.given,
                           "solution": q.solution,
                           "tests_code": asg.test_file(assignment, q, public_only=False)}
                          for q in assignment.questions]}


def load_bundle(path: Path) -> Assignment:
    data = json.loads(Path(path).read_text())
    return Assignment(data["name"], data["title"], [Question(**q) for q in data["questions"]])


def _add(archive: zipfile.ZipFile, path: Path, name: str, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, ZIP_DATE)
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, path.read_bytes())


def build_zip(assignment, folder: Path, *, requirements: str, record: dict) -> Path:
    """Write ``folder/autograder.zip`` (Gradescope's format, see the module's docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "requirements.txt").write_text(requirements)
    (folder / "grader.json").write_text(json.dumps(bundle(assignment), indent=1) + "\n")
    output = folder / "autograder.zip"
    files = [(SCRIPTS / "setup.sh", "setup.sh", 0o755), (SCRIPTS / "run_autograder", "run_autograder", 0o755),
             (folder / "requirements.txt", "requirements.txt", 0o644),
             (folder / "grader.json", "grader.json", 0o644)]
    for path in sorted((ROOT / "lib").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files.append((path, f"code/{path.relative_to(ROOT)}", 0o644))
    files.append((ROOT / "tools" / "__init__.py", "code/tools/__init__.py", 0o644))
    grading = Path(__file__).parent
    for path in sorted([*grading.glob("*.py"), *STUB.rglob("*.py")]):
        files.append((path, f"code/{path.relative_to(ROOT)}", 0o644))
    with zipfile.ZipFile(output, "w") as archive:
        for path, name, mode in files:
            _add(archive, path, name, mode)
        info = zipfile.ZipInfo("build.json", ZIP_DATE)
        info.external_attr = (stat.S_IFREG | 0o644) << 16
        archive.writestr(info, json.dumps(record, indent=1) + "\n")
    return output


# ----- running one submission -----

@dataclass
class Settings:
    root: Path
    user: str = "student"
    python: str = sys.executable
    site: str = ""
    mode: str = "auto"
    time_limit: float = sandbox.TIME_LIMIT
    memory: int = sandbox.MEMORY_LIMIT

    @classmethod
    def from_environment(cls, environ=os.environ) -> Settings:
        return cls(root=Path(environ.get("AUTOGRADER_ROOT", "/autograder")),
                   user=environ.get("OPTBOOK_STUDENT_USER", "student"),
                   python=environ.get("OPTBOOK_STUDENT_PYTHON") or sys.executable,
                   site=environ.get("OPTBOOK_STUDENT_SITE", ""),
                   mode=environ.get("OPTBOOK_SANDBOX", "auto"),
                   time_limit=float(environ.get("OPTBOOK_TIME_LIMIT", sandbox.TIME_LIMIT)))


def _as_user(uid: int, gid: int) -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--inh-caps=-all",
            "--no-new-privs", "--"]


def bubblewrap_works(uid: int, gid: int) -> bool:
    """Whether bubblewrap can make its namespaces as the student's user (Docker's default
    seccomp profile and kernels without unprivileged user namespaces refuse)."""
    if shutil.which("bwrap") is None:
        return False
    probe = [*_as_user(uid, gid), "bwrap", "--unshare-all", "--ro-bind", "/", "/", "--dev", "/dev",
             "--proc", "/proc", "--uid", "65534", "--gid", "65534", "--", "/bin/true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def kill_user(uid: int) -> int:
    """SIGKILL every process whose real or effective uid is ``uid`` (one that left the process
    group as well); returns how many were killed."""
    killed = 0
    for _ in range(20):  # a process may fork while the others die: sweep until none is left
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            line = next((row for row in status.splitlines() if row.startswith("Uid:")), "")
            if str(uid) in line.split()[1:3]:
                found.append(int(entry.name))
        if not found:
            break
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        time.sleep(0.1)
    return killed


def _runner(base: Path, code: Path) -> Path:
    """``base/runner``: the read-only code the student's process imports."""
    runner = base / "runner"
    shutil.copytree(code / "lib", runner / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    (runner / "tools" / "grading").mkdir(parents=True)
    shutil.copyfile(code / "tools" / "__init__.py", runner / "tools" / "__init__.py")
    for module in RUNNER_MODULES:
        shutil.copyfile(code / "tools" / "grading" / module, runner / "tools" / "grading" / module)
    shutil.copytree(code / "tools" / "grading" / "stub", runner / "stub",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for path in [runner, *runner.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return runner


def run_student(notebook: Path, plan: dict, settings: Settings, code: Path) -> dict:
    """Run the notebook as the student's user; what it handed back and how it ended."""
    account = pwd.getpwnam(settings.user)
    uid, gid = account.pw_uid, account.pw_gid
    if uid == 0:
        raise ValueError(f"OPTBOOK_STUDENT_USER: {settings.user!r} is root; name an unprivileged user")
    mode = settings.mode
    if mode == "auto":
        mode = "bubblewrap" if bubblewrap_works(uid, gid) else "user"
    base = Path(tempfile.mkdtemp(prefix="optbook-gradescope-"))
    try:
        os.chmod(base, 0o711)
        runner = _runner(base, code)
        work = base / "work"
        work.mkdir(mode=0o700)
        sandbox.write_inputs(work, notebook, plan, settings.time_limit)
        for path in [work, *work.rglob("*")]:
            os.chown(path, uid, gid)
        inside_work = sandbox.WORK if mode == "bubblewrap" else str(work)
        inside_runner = "/tmp/runner" if mode == "bubblewrap" else str(runner)
        python = Path(settings.python)
        env = sandbox.environment(python, home=inside_work,
                                  pythonpath=[f"{inside_runner}/stub", inside_runner, settings.site])
        argv = sandbox.extract_argv(python, inside_work)
        if mode == "bubblewrap":
            cmd = sandbox.command(work, argv, hidden=[settings.root], env=env, memory=settings.memory,
                                  readonly_binds=[(runner, Path(inside_runner))],
                                  visible=[settings.site] if settings.site else [],
                                  user=["prlimit", f"--nproc={MAX_PROCESSES}", "--", *_as_user(uid, gid)])
        else:
            cmd = ["prlimit", f"--as={settings.memory}", f"--fsize={sandbox.FILE_LIMIT}", "--core=0",
                   f"--nproc={MAX_PROCESSES}", "--", *_as_user(uid, gid), "env", "-i", "-C", str(work),
                   *(f"{key}={value}" for key, value in env.items()), *argv]
        outcome = sandbox.run(cmd, timeout=settings.time_limit)
        leftover = kill_user(uid)
        return {**sandbox.handed_back(work, outcome), "sandbox": mode, "killed_afterwards": leftover}
    finally:
        kill_user(uid)
        shutil.rmtree(base, ignore_errors=True)


# ----- results.json -----

def results_json(assignment, row: dict, details: dict, feedback: str, extra: dict) -> dict:
    """Gradescope's results: one test per part of each question; ``score`` is their sum."""
    tests = []
    for number, question in enumerate(assignment.questions, start=1):
        for index, part in enumerate(details["questions"][question.name], start=1):
            tests.append({"name": f"Question {number} ({question.name}): {part['name']}",
                          "number": f"{number}.{index}", "score": part["score"],
                          "max_score": part["points"],
                          "output": part["message"] or "Right.",
                          "visibility": "visible" if part["public"] else HIDDEN_VISIBILITY,
                          "tags": [question.name]})
    head = feedback.split("\nQuestion 1 ")[0].strip()
    if row["id_check"] != "ok":
        head += f"\nSTUDENT_ID: {row['id_check']}."
    return {"score": round(sum(test["score"] for test in tests), 5), "output": head,
            "tests": tests, "extra_data": extra}


def _write(results: dict, folder: Path) -> Path:
    """``folder/results.json``, through a temporary file and a rename."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".results-", suffix=".json")
    with os.fdopen(handle, "w") as out:
        json.dump(results, out, indent=1)
    target = folder / "results.json"
    os.replace(temporary, target)
    return target


def find_submission(folder: Path, name: str) -> Path | None:
    """``<name>.ipynb`` in the upload, else its only (or first) notebook."""
    exact = folder / f"{name}.ipynb"
    if exact.is_file() and not exact.is_symlink():
        return exact
    found = sorted(p for p in folder.rglob("*.ipynb") if p.is_file() and not p.is_symlink()
                   and ".ipynb_checkpoints" not in p.parts)
    return found[0] if found else None


def uploaders(path: Path) -> list[str]:
    """The e-mail addresses of the Gradescope accounts that uploaded the submission (from
    ``submission_metadata.json``, which is made root's alone first: it holds the earlier
    submissions' results, hidden parts included)."""
    if not path.is_file() or path.is_symlink():
        return []
    os.chmod(path, 0o600)
    try:
        users = json.loads(path.read_text()).get("users", [])
        return [str(user.get("email") or user.get("name") or user.get("id"))[:200] for user in users
                if isinstance(user, dict)]
    except (ValueError, AttributeError):
        return []


def kernel_timings(report) -> dict[str, float]:
    """Where the notebook's process says its time went (for the log: it comes from the student's
    side, so anything malformed is dropped, never trusted for a grade)."""
    timings = report.get("timings") if isinstance(report, dict) else None
    if not isinstance(timings, dict):
        return {}
    found = {key: float(value) for key, value in timings.items()
             if isinstance(key, str) and isinstance(value, (int, float)) and not isinstance(value, bool)}
    cells = timings.get("cells") if isinstance(timings.get("cells"), list) else []
    cells = [c for c in cells if isinstance(c, dict) and isinstance(c.get("seconds"), (int, float))
             and isinstance(c.get("tags"), list)]
    found["setup_cell"] = sum((float(c["seconds"]) for c in cells if "setup" in c["tags"]), 0.0)
    found["other_cells"] = sum((float(c["seconds"]) for c in cells if "setup" not in c["tags"]), 0.0)
    return found


def run(settings: Settings) -> dict:
    """Grade ``root/submission`` and write ``root/results/results.json``; returns the results."""
    import nbformat

    from tools.grading import grade
    from tools.grading.score import Grader

    started = time.monotonic()
    root = settings.root
    source, results_dir = root / "source", root / "results"
    for folder in (source, root / "submission", results_dir):
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)  # the student's user cannot read the tests nor touch the results
    uploaded_by = uploaders(root / "submission_metadata.json")
    code = source / "code"
    assignment = load_bundle(source / "grader.json")
    info = json.loads((source / "build.json").read_text())
    path = find_submission(root / "submission", assignment.name)
    timings = {}
    if path is None:
        results = {"score": 0.0, "tests": [], "output": (
            f"No notebook found in your upload: hand in {assignment.name}.ipynb, the assignment's "
            "notebook, saved after Run All."), "extra_data": {"lib_version": info.get("lib_version")}}
        _write(results, results_dir)
        return results
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001  (a corrupt upload: graded as not runnable)
        nb = None
    literal = grade.first_cell_id(nb) if nb is not None else None
    t0 = time.monotonic()
    grader = Grader(assignment)
    plan = grader.plan(literal)
    timings["plan"] = time.monotonic() - t0
    refusal = grade._refusal(nb, assignment.name)
    if refusal:
        outcome = {"answers": None, "run": {"refused": refusal}, "timed_out": False, "returncode": None,
                   "seconds": 0.0, "stderr": "", "sandbox": "none (not run)"}
    else:
        outcome = run_student(path, plan, settings, code)
    timings["notebook"] = outcome["seconds"]
    t0 = time.monotonic()
    row, _, feedback, details = grade._row(path, nb, literal, outcome, plan, grader, assignment, None,
                                           set(), info, settings.time_limit)
    timings["score"] = time.monotonic() - t0
    kernel = kernel_timings(outcome["run"])
    timings["total"] = time.monotonic() - started
    extra = {"sandbox": outcome["sandbox"], "lib_version": info.get("lib_version"),
             "student_id": row["student_id"], "uploaded_by": uploaded_by, "id_check": row["id_check"],
             "grading_error": row["grading_error"], "warnings": row["warnings"],
             "seconds": {k: round(v, 2) for k, v in timings.items()},
             "kernel_seconds": {k: round(v, 2) for k, v in kernel.items() if isinstance(v, (int, float))}}
    results = _write_results(assignment, row, details, feedback, extra, results_dir, timings)
    print(f"{path.name}: STUDENT_ID {row['student_id']!r} ({row['id_check']}), uploaded by "
          f"{', '.join(uploaded_by) or 'unknown'}", flush=True)
    print(f"{path.name}: {results['score']:g} / {assignment.points:g}; sandbox: {outcome['sandbox']}; "
          f"times (s): {json.dumps(extra['seconds'])}; kernel: {json.dumps(extra['kernel_seconds'])}"
          + (f"; error: {row['grading_error']}" if row["grading_error"] else ""), flush=True)
    if outcome.get("stderr") and row["grading_error"]:
        print("the notebook's process wrote to stderr:\n" + outcome["stderr"][-1500:], flush=True)
    return results


def _write_results(assignment, row, details, feedback, extra, results_dir, timings) -> dict:
    results = results_json(assignment, row, details, feedback, extra)
    results["execution_time"] = round(timings["total"], 1)
    _write(results, results_dir)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run"])
    parser.parse_args(argv)
    settings = Settings.from_environment()
    try:
        run(settings)
    except Exception as err:  # noqa: BLE001  (our failure: the student sees a plain message)
        traceback.print_exc()
        _write({"score": 0.0, "tests": [], "output": (
            f"The autograder itself failed ({type(err).__name__}); this is not your notebook's "
            "fault. Tell your instructor; they see the details in the autograder's log.")},
            settings.root / "results")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
