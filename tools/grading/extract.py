"""Runs inside the sandbox: execute a notebook as Run All does and write what it answered.

    python -m tools.grading.extract NOTEBOOK PLAN.json OUT_DIR

Cells run in order in a fresh kernel; the first cell that raises stops the run (as Jupyter's
Run All does), and the cell's number and error are recorded. After the first code cell the
kernel's ``STUDENT_ID`` is recorded. Then one more cell, sent by this script, writes the
values of the plan's variables and the outputs of the student's functions on the plan's
inputs, as plain JSON (:mod:`tools.grading.answers`), to ``OUT_DIR/answers.json``; this
script writes ``OUT_DIR/run.json`` (the error, the identifier, timings). Nothing here
decides a grade: the grader's own process reads the two files and scores them.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ID_MARK = "grader-student-id:"

EXTRACT = r'''
def _grader_extract(plan, out, root):
    import json, signal, sys
    if root not in sys.path:
        sys.path.insert(0, root)
    from tools.grading.answers import decode, encode

    def _alarm(signum, frame):
        raise TimeoutError("took longer than %d s" % plan["call_seconds"])

    env = globals()
    result = {"variables": {}, "calls": {}}
    for name in plan["variables"]:
        if name in env:
            result["variables"][name] = encode(env[name])
    signal.signal(signal.SIGALRM, _alarm)
    for name, calls in plan["calls"].items():
        fn = env.get(name)
        if not callable(fn):
            continue
        outputs = []
        for args in calls:
            signal.alarm(plan["call_seconds"])
            try:
                outputs.append(encode(fn(*decode(args))))
            except BaseException as err:  # the student's error, reported as the output of this call
                outputs.append({"raised": (type(err).__name__ + ": " + str(err))[:300]})
            finally:
                signal.alarm(0)
        result["calls"][name] = outputs
    with open(out, "w") as handle:
        json.dump(result, handle)


_grader_extract(PLAN, OUT, ROOT)
del _grader_extract
'''

PROBE = f'print({ID_MARK!r} + __import__("json").dumps(globals().get("STUDENT_ID") '\
        f'if isinstance(globals().get("STUDENT_ID"), str) else None))'


def _first_line(text: str) -> str:
    return next((line for line in str(text).splitlines() if line.strip()), "")[:300]


def _execute_extra(client, nb, cell) -> None:
    """Run a cell of the grader's in the kernel (nbclient stores outputs by index in the notebook)."""
    nb.cells.append(cell)
    try:
        client.execute_cell(cell, len(nb.cells) - 1)
    finally:
        nb.cells.pop()


def _timeout(index: int, plan: dict) -> dict:
    return {"cell": index + 1, "ename": "Timeout",
            "evalue": f"the cell ran past its time limit of {plan['cell_seconds']} s"}


def run(notebook: Path, plan: dict, out: Path, root: str) -> dict:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    report = {"error": None, "first_id": None, "first_id_seen": False, "timings": {}, "cells": 0}
    started = time.monotonic()
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=plan["cell_seconds"], kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent)}},
                            allow_errors=False, interrupt_on_timeout=True,
                            shutdown_kernel="immediate")  # nothing to wait for once answers are out
    cell_times = []
    with client.setup_kernel():
        report["timings"]["kernel_start"] = time.monotonic() - started
        first_code = True
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t0 = time.monotonic()
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                report["error"] = _timeout(index, plan)
            except CellExecutionError as err:
                # nbclient interrupts a cell at its timeout: the KeyboardInterrupt is the time limit.
                timed_out = err.ename == "KeyboardInterrupt" and time.monotonic() - t0 >= plan["cell_seconds"]
                report["error"] = _timeout(index, plan) if timed_out else {
                    "cell": index + 1, "ename": err.ename or "Error", "evalue": _first_line(err.evalue)}
            cell_times.append({"cell": index + 1, "seconds": time.monotonic() - t0,
                               "tags": list(cell.metadata.get("tags", []))})
            report["cells"] += 1
            if first_code:
                first_code = False
                probe = nbformat.v4.new_code_cell(PROBE)
                try:
                    _execute_extra(client, nb, probe)
                    text = "".join(o.get("text", "") for o in probe.outputs if o.get("name") == "stdout")
                    for line in text.splitlines():
                        if line.startswith(ID_MARK):
                            report["first_id"] = json.loads(line[len(ID_MARK):])
                            report["first_id_seen"] = True
                except CellExecutionError:
                    pass
            if report["error"]:
                break
        t0 = time.monotonic()
        source = (f"PLAN = {json.dumps(plan)!r}\nimport json as _json\nPLAN = _json.loads(PLAN)\n"
                  f"OUT = {str(out / 'answers.json')!r}\nROOT = {root!r}\n" + EXTRACT)
        try:
            _execute_extra(client, nb, nbformat.v4.new_code_cell(source))
        except CellExecutionError as err:
            report["extract_error"] = f"{err.ename}: {_first_line(err.evalue)}"
        report["timings"]["extract"] = time.monotonic() - t0
        shutdown = time.monotonic()
    report["timings"]["shutdown"] = time.monotonic() - shutdown
    report["timings"]["cells"] = cell_times
    report["timings"]["total"] = time.monotonic() - started
    return report


def main(argv: list[str]) -> int:
    notebook, plan_path, out = Path(argv[0]), Path(argv[1]), Path(argv[2])
    plan = json.loads(plan_path.read_text())
    root = str(Path(__file__).resolve().parents[2])
    try:
        report = run(notebook, plan, out, root)
    except Exception as err:  # noqa: BLE001  (an unreadable notebook, a kernel that died)
        report = {"error": {"cell": 0, "ename": type(err).__name__, "evalue": _first_line(err)},
                  "failed": True}
    (out / "run.json").write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
