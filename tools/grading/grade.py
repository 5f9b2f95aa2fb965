"""Grade a folder of submitted notebooks: one sandbox each, verdicts in this process.

    python -m tools.grading.grade NAME SUBMISSIONS [--roster R] [--gradebook G] [--jobs N]
                                  [--student ID] [--time-limit S] [--memory-limit BYTES]

For each notebook: its first cell's ``STUDENT_ID`` literal is read (statically) to choose
the inputs of the student's functions; a sandbox (:mod:`.sandbox`) runs the notebook and
hands back its answers; :class:`.score.Grader` scores them for the identifier the notebook
ran with; the row goes into the gradebook (:mod:`.gradebook`) at once, with feedback and the
per-part results beside it. ``--jobs`` sandboxes run at a time (default: the machine's
cores); the scoring and the writing happen in this process, one submission at a time.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import csv
import datetime
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.grading import sandbox  # noqa: E402
from tools.grading.gradebook import Gradebook  # noqa: E402
from tools.grading.score import Grader  # noqa: E402

BUILT = ROOT / "_build" / "assignments"
STUB = ROOT / "tools" / "grading" / "stub"
#: JAX's persistent compilation cache: filled by the grader's process (which compiles what the
#: notebooks compile: the solution's checks, lib's Hessians), read-only in every sandbox.
JAX_CACHE = ROOT / "_build" / "jax-cache"
JAX_CACHE_ENV = {"JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
                 "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}


def use_jax_cache(folder: Path = JAX_CACHE) -> None:
    """Turn on JAX's persistent compilation cache in this process (a compiled function is
    compiled once per machine, not once per notebook)."""
    import jax

    folder.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
VERSION_LINE = re.compile(r"optbook-lib version: ([0-9a-f]{40})")


def default_gradebook(name: str) -> Path:
    """``grades/<name>/gradebook.csv`` at the project's root (outside ``_build/``, which
    ``make clean`` deletes); ``GRADEBOOK=...`` / ``--gradebook`` chooses another path."""
    return ROOT / "grades" / name / "gradebook.csv"


# ----- reading a submission without running it -----

def first_cell_id(nb) -> str | None:
    """The string the first code cell that mentions STUDENT_ID assigns to it (``x = "…"`` or
    ``x: str = "…"``); ``None`` when there is none or it is not a plain string literal."""
    for cell in nb.cells:
        if cell.cell_type != "code" or "STUDENT_ID" not in cell.source:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            return None
        for node in tree.body:
            targets = (node.targets if isinstance(node, ast.Assign)
                       else [node.target] if isinstance(node, ast.AnnAssign) else [])
            if any(isinstance(t, ast.Name) and t.id == "STUDENT_ID" for t in targets):
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    return value.value.strip()
                return None
        return None
    return None


def recorded_version(nb) -> str | None:
    """The lib version the student's own run printed in the set-up cell's output."""
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            match = VERSION_LINE.search(str(output.get("text", "")))
            if match:
                return match[1]
    return None


def answer_cells(nb, assignment) -> dict[str, int]:
    """Question → the (1-based) number of its answer cell in this notebook."""
    found = {}
    for index, cell in enumerate(nb.cells, start=1):
        tags = cell.get("metadata", {}).get("tags", [])
        for question in assignment.questions:
            if "answer" in tags and question.name in tags:
                found.setdefault(question.name, index)
    return found


def read_roster(path: Path) -> list[str]:
    """The ``student_id`` column of a roster CSV (other columns are ignored)."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "student_id" not in reader.fieldnames:
            raise ValueError(f"roster: {path} needs a header row with a student_id column")
        return [row["student_id"].strip() for row in reader if row["student_id"].strip()]


def safe_name(key: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", key)[:60]
    return f"{stem}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


# ----- one sandboxed run -----

def run_in_sandbox(notebook: Path, plan: dict, public_tests: Path | None, hidden: list[Path],
                   time_limit: float, memory: int, stub_otter: bool = True) -> dict:
    """Run one notebook in bubblewrap; what it handed back (``answers``, ``run``) and how it ended."""
    workdir = Path(tempfile.mkdtemp(prefix="optbook-grade-"))
    try:
        os.chmod(workdir, 0o777)  # the sandbox runs as nobody
        sandbox.write_inputs(workdir, notebook, plan, time_limit)
        if public_tests and public_tests.is_dir():
            shutil.copytree(public_tests, workdir / "tests")
        for path in workdir.rglob("*"):
            os.chmod(path, 0o777 if path.is_dir() else 0o666)
        python = Path(sys.executable)
        # tools/grading/stub first: a do-nothing `otter` (no verdict comes from it here).
        env = sandbox.environment(python, home="/tmp", pythonpath=[STUB, ROOT] if stub_otter else [ROOT])
        binds = []
        if JAX_CACHE.is_dir():
            binds.append((JAX_CACHE, Path("/tmp/jax-cache")))
            env.update({"JAX_COMPILATION_CACHE_DIR": "/tmp/jax-cache", **JAX_CACHE_ENV})
        cmd = sandbox.command(workdir, sandbox.extract_argv(python, sandbox.WORK), hidden=hidden, env=env,
                              memory=memory, readonly_binds=binds, visible=[ROOT])
        return sandbox.handed_back(workdir, sandbox.run(cmd, timeout=time_limit))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# ----- the batch -----

def _normalise(student):
    from lib.teaching.variants import normalise_id

    try:
        return normalise_id(student)
    except (TypeError, ValueError):
        return None


def grade(name: str, submissions: Path, *, roster: Path | None = None, gradebook: Path | None = None,
          jobs: int | None = None, student: str | None = None, time_limit: float = sandbox.TIME_LIMIT,
          memory: int = sandbox.MEMORY_LIMIT, built: Path = BUILT, stub_otter: bool = True) -> Path:
    """Grade every ``*.ipynb`` of ``submissions`` (or only ``student``'s); returns the gradebook."""
    import nbformat

    from tools import assignments as asg

    sandbox.bwrap()  # fail now, with the install line, if bubblewrap is missing
    submissions = Path(submissions).resolve()
    if not submissions.is_dir():
        raise ValueError(f"submissions: {submissions} is not a folder")
    paths = sorted(submissions.glob("*.ipynb"))
    if not paths:
        raise ValueError(f"submissions: no .ipynb files in {submissions}")
    gradebook = Path(gradebook or default_gradebook(name)).resolve()
    out = gradebook.parent
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    (out / "results").mkdir(parents=True, exist_ok=True)
    roster_ids = read_roster(roster) if roster else None
    known = {_normalise(s): s for s in roster_ids} if roster_ids is not None else None
    assignment = asg.load(name)
    use_jax_cache()
    grader = Grader(assignment)
    questions = [q.name for q in assignment.questions]
    record = built / name / "build.json"
    info = json.loads(record.read_text()) if record.exists() else {}
    columns = ["student_id", "submission", "sha256", "submitted_at", "graded_at", "id_check",
               *questions, "total", "possible", "grading_error", "warnings"]
    book = Gradebook(gradebook, columns)

    notebooks, literal = {}, {}
    for path in paths:
        try:
            notebooks[path] = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001  (a corrupt upload: graded as not runnable)
            notebooks[path] = None
        literal[path] = first_cell_id(notebooks[path]) if notebooks[path] is not None else None
    if student is not None:
        wanted = _normalise(student)
        paths = [p for p in paths if _normalise(literal[p] or "") == wanted
                 or (wanted and wanted in p.stem.casefold())]
        if not paths:
            raise ValueError(f"student: no notebook in {submissions} has STUDENT_ID {student!r} "
                             "or names it in its file name")
    hidden = [submissions, out, ROOT / "_build", built]
    public_tests = built / name / "student" / "tests"
    jobs = max(1, jobs or os.cpu_count() or 1)
    started = time.monotonic()
    timings = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {}
        planning = {}
        for path in paths:
            t0 = time.monotonic()
            plan = grader.plan(literal[path])
            planning[path] = time.monotonic() - t0
            refusal = _refusal(notebooks[path], name)
            if refusal:  # nothing to run: the row says why
                future = concurrent.futures.Future()
                future.set_result({"answers": None, "run": {"refused": refusal}, "timed_out": False,
                                   "returncode": None, "seconds": 0.0, "stderr": ""})
            else:
                future = pool.submit(run_in_sandbox, path, plan, public_tests, hidden, time_limit,
                                     memory, stub_otter)
            futures[future] = (path, plan)
        counts = {}
        for path in paths:
            counts[_normalise(literal[path] or "")] = counts.get(_normalise(literal[path] or ""), 0) + 1
        batch_ids = {_normalise(literal[p]) for p in paths if literal[p]}
        for future in concurrent.futures.as_completed(futures):
            path, plan = futures[future]
            try:
                outcome = future.result()
            except Exception as err:  # noqa: BLE001  (the sandbox could not start: a row says so)
                outcome = {"answers": None, "run": None, "timed_out": False, "returncode": None,
                           "seconds": 0.0, "stderr": f"{type(err).__name__}: {err}"}
            t0 = time.monotonic()
            row, key, feedback, results = _row(path, notebooks[path], literal[path], outcome, plan,
                                               grader, assignment, known, batch_ids, info, time_limit)
            if counts.get(key, 0) > 1:  # several notebooks of one batch claim this identifier
                key = f"{key} ({path.name})"
                row["id_check"] = "; ".join(c for c in [row["id_check"] if row["id_check"] != "ok" else "",
                                                        "STUDENT_ID used by several submissions"] if c)
            book.put(key, row)
            (out / "feedback" / f"{safe_name(key)}.txt").write_text(feedback)
            (out / "results" / f"{safe_name(key)}.json").write_text(json.dumps(results, indent=1))
            run = outcome["run"] if isinstance(outcome["run"], dict) else {}
            timings.append({"submission": path.name, "sandbox_seconds": outcome["seconds"],
                            "grader_seconds": planning[path] + time.monotonic() - t0,
                            **run.get("timings", {})})
            print(f"{path.name}: {row['total']} / {row['possible']} ({row['id_check']}; "
                  f"{outcome['seconds']:.0f} s)"
                  + (f" ERROR: {row['grading_error']}" if row["grading_error"] else ""),
                  flush=True)
    if known is not None:
        handed_in = {_normalise(row.get("student_id") or "") for row in book.rows.values()
                     if row.get("id_check") != "no submission"}
        for key, sid in known.items():
            if key not in handed_in:  # (a notebook shared by several files is keyed by file too)
                book.add_missing(key, {"student_id": sid, "id_check": "no submission",
                                       "possible": assignment.points})
        book.write()
    elapsed = time.monotonic() - started
    (out / "timings.json").write_text(json.dumps({"jobs": jobs, "notebooks": len(paths), "seconds": elapsed,
                                                  "per_notebook": timings}, indent=1))
    summary(book, out, assignment)
    print(f"{len(paths)} notebooks in {elapsed:.0f} s with {jobs} job(s). Gradebook: {gradebook}; "
          f"feedback: {out / 'feedback'}; summary: {out / 'summary.csv'}, {out / 'summary.png'}")
    return gradebook


def _refusal(nb, name: str) -> str:
    """Why a file is not graded at all ("" when it is)."""
    if nb is None:
        return "the file is not a readable notebook (.ipynb JSON)"
    found = nb.metadata.get("otter", {}).get("assignment_name")
    if found and found != name:
        return f"this notebook is assignment {found!r}, not {name!r}: hand it in under its own assignment"
    return ""


def _row(path, nb, literal, outcome, plan, grader, assignment, known, batch_ids, info, time_limit):
    data, run = outcome["answers"], outcome["run"]
    data = data if isinstance(data, dict) else {}
    run = run if isinstance(run, dict) else {}
    variables = data.get("variables", {}) if isinstance(data.get("variables"), dict) else {}
    final_id = variables.get("STUDENT_ID") if isinstance(variables.get("STUDENT_ID"), str) else None
    first_id = run.get("first_id") if isinstance(run.get("first_id"), str) else None
    student = first_id or final_id or literal
    checks, warnings = [], []
    key_id = _normalise(student) if student else None
    if not key_id:
        checks.append("blank STUDENT_ID" if not (student or "").strip() else "malformed STUDENT_ID")
    if first_id and final_id and _normalise(first_id) != _normalise(final_id):
        checks.append(f"STUDENT_ID changed after the first cell ({first_id!r}, then {final_id!r})")
    if literal is not None and student and _normalise(literal) != _normalise(student):
        checks.append(f"STUDENT_ID at run time ({student!r}) differs from the first cell's ({literal!r})")
    if literal is None and student:
        checks.append("the first cell does not set STUDENT_ID to a plain string")
    if known is not None and key_id and key_id not in known:
        checks.append("not on the roster")
    others = (set(known) if known is not None else set()) | batch_ids
    stem = path.stem.casefold()
    if key_id and key_id not in stem and any(o and o != key_id and o in stem for o in others):
        checks.append("the file name names another student")

    error = ""
    stopped_at = None
    if run.get("refused"):
        error = str(run["refused"])
    elif outcome["timed_out"]:
        error = f"stopped after the time limit of {time_limit:g} s (the notebook did not finish)"
    elif run.get("error"):
        e = run["error"]
        stopped_at = e.get("cell") if isinstance(e.get("cell"), int) else 0
        error = (f"cell {stopped_at}: {str(e.get('ename'))[:80]}: {str(e.get('evalue'))[:200]}"
                 if stopped_at else f"{str(e.get('ename'))[:80]}: {str(e.get('evalue'))[:200]}")
    elif not run:
        error = (f"the notebook's run ended without a report (exit code {outcome['returncode']}): "
                 "it may have stopped its own kernel or run out of memory")
    if run and not data and not outcome["timed_out"] and not error and not run.get("refused"):
        error = "the notebook's kernel handed back no answers"
    try:
        results = grader.score(student, data, plan) if data else None
    except ValueError as err:
        results, error = None, error or f"the answers could not be read: {err}"
    if results is None:
        results = grader.score(student, {}, plan)
    cells = answer_cells(nb, assignment) if nb is not None else {}
    for question, parts in results.items():
        if stopped_at is not None and cells.get(question, 0) >= stopped_at:
            for part in parts:
                part["score"] = 0.0
                part["message"] = (f"Not graded: your notebook stopped at cell {stopped_at} "
                                   f"({run['error'].get('ename')}) before this question's answer ran, "
                                   "as Run All stops at the first error. Fix that cell and run all cells "
                                   "again.")
    if results and key_id:
        matches = _other_variants(grader, data, plan, results, key_id, others)
        if matches:
            checks.append("answers match another student's variant: " + ", ".join(matches))
    version, wanted = recorded_version(nb) if nb is not None else None, info.get("lib_version")
    if wanted and version and version != wanted:
        warnings.append(f"the notebook ran optbook-lib {version}, the autograder has {wanted}: "
                        "numbers may differ; re-run the set-up cell of the assignment as handed out")
    scores = {q: round(sum(p["score"] for p in parts), 5) for q, parts in results.items()}
    total = round(sum(scores.values()), 5)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    row = {"student_id": student or "", "submission": str(path), "sha256": sha,
           "submitted_at": datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC)
           .isoformat(timespec="seconds"),
           "graded_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
           "id_check": "; ".join(checks) or "ok", **scores, "total": total,
           "possible": assignment.points, "grading_error": error, "warnings": "; ".join(warnings)}
    key = key_id or f"file:{path.name}"
    lines = [f"{path.name} (STUDENT_ID {student!r}): {total:g} / {assignment.points:g}"]
    if error:
        lines += ["", f"Your notebook did not run to the end: {error}."]
    lines += [f"Warning: {w}." for w in warnings]
    for number, question in enumerate(assignment.questions, start=1):
        parts = results[question.name]
        lines += ["", f"Question {number} ({question.name}): {scores[question.name]:g} / {question.points:g}"]
        for part in parts:
            lines.append(f"  {part['name']}: {part['score']:g} / {part['points']:g}"
                         + (f"\n    {part['message']}" if part["message"] else ""))
    details = {"key": key, "student_id": student, "questions": results, "timings": run.get("timings", {}),
               "id_check": row["id_check"]}
    return row, key, "\n".join(lines) + "\n", details


def _other_variants(grader, data, plan, results, own, others, limit=60) -> list[str]:
    """Other students whose variant the failed answers fit (variables only)."""
    def full(parts):
        return all(p["score"] == p["points"] for p in parts if not p["public"])

    failed = {q for q, parts in results.items() if not full(parts)}
    if not failed:
        return []
    bare = {**plan, "calls": {}}
    found = []
    for other in sorted(o for o in others if o and o != own)[:limit]:
        theirs = grader.score(other, data, bare, questions=failed)
        fits = [q for q in sorted(failed) if full(theirs[q])]
        if fits:
            found.append(f"{other} ({', '.join(fits)})")
    return found


def summary(book: Gradebook, out: Path, assignment) -> None:
    """``summary.csv``: for each part, how many graded students lost points on it; ``summary.png``."""
    counts = {}
    graded = 0
    for key in book.rows:
        path = out / "results" / f"{safe_name(key)}.json"
        if not path.exists():
            continue
        graded += 1
        results = json.loads(path.read_text())["questions"]
        for question, parts in results.items():
            for part in parts:
                entry = counts.setdefault((question, part["name"]), [0, part["points"]])
                entry[0] += part["score"] < part["points"]
    with (out / "summary.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "part", "points", "students_missing", "students_graded",
                         "share_missing"])
        for (question, part), (missed, points) in counts.items():
            writer.writerow([question, part, points, missed, graded, round(missed / max(graded, 1), 3)])
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{q}: {p}" for q, p in counts]
    shares = [missed / max(graded, 1) for missed, _ in counts.values()]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(labels) + 1.2))
    ax.barh(range(len(labels)), shares, color="#b2182b")
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"share of the {graded} graded students who lost points")
    ax.set_title(f"{assignment.title}: parts missed")
    fig.tight_layout()
    fig.savefig(out / "summary.png", dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("submissions", type=Path)
    parser.add_argument("--roster", type=Path)
    parser.add_argument("--gradebook", type=Path, help="default: grades/<name>/gradebook.csv")
    parser.add_argument("--jobs", type=int, default=None, help="sandboxes at a time (default: cores)")
    parser.add_argument("--student", help="regrade only this student's notebook")
    parser.add_argument("--time-limit", type=float, default=sandbox.TIME_LIMIT)
    parser.add_argument("--memory-limit", type=int, default=sandbox.MEMORY_LIMIT)
    parser.add_argument("--real-otter", action="store_true",
                        help="let notebooks import otter-grader itself (slower; grader.check runs "
                             "the public tests)")
    args = parser.parse_args(argv)
    try:
        grade(args.name, args.submissions, roster=args.roster, gradebook=args.gradebook, jobs=args.jobs,
              student=args.student, time_limit=args.time_limit, memory=args.memory_limit,
              stub_otter=not args.real_otter)
    except (sandbox.SandboxUnavailable, ValueError, FileNotFoundError) as err:
        print(f"make grade: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
