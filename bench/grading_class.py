"""Time `make grade` on a synthetic class (python -m bench.grading_class [N] [JOBS ...] [--real-otter]).

N notebooks of the momentum assignment (default 20): the solution under N identifiers, with
one slip in every third. Grades the class with each JOBS (default 1 and 2) into a scratch
gradebook and prints the wall time, the time per notebook and what a sandbox spends it on
(kernel start, the set-up cell that imports JAX and lib, the student's cells, the extraction).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from tools import assignments as asg
from tools.grading import grade as grading

SLIP = "new_lr = plain_lr\nsteps_to_fraction = int(np.ceil(np.log(1 - fraction) / np.log(mu))) + 1"


def make_class(built: Path, folder: Path, n: int) -> None:
    for i in range(n):
        nb = nbformat.read(built / "momentum" / "solution" / "momentum.ipynb", as_version=4)
        for cell in nb.cells:
            tags = cell.metadata.get("tags", [])
            if "student-id" in tags:
                cell.source = f'STUDENT_ID = "s{1000 + i}"'
            if i % 3 == 2 and "answer" in tags and "q1" in tags:
                cell.source = SLIP
        nbformat.write(nb, folder / f"s{1000 + i}.ipynb")


def main(argv: list[str]) -> int:
    real_otter = "--real-otter" in argv
    argv = [arg for arg in argv if arg != "--real-otter"]
    n = int(argv[0]) if argv else 20
    jobs_list = [int(j) for j in argv[1:]] or [1, 2]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        built = tmp / "built"
        asg.build("momentum", out=built)
        submissions = tmp / "class"
        submissions.mkdir()
        make_class(built, submissions, n)
        for jobs in jobs_list:
            gradebook = tmp / f"jobs{jobs}" / "gradebook.csv"
            started = time.monotonic()
            grading.grade("momentum", submissions, gradebook=gradebook, jobs=jobs, built=built,
                          stub_otter=not real_otter)
            wall = time.monotonic() - started
            timings = json.loads((gradebook.parent / "timings.json").read_text())["per_notebook"]

            def mean(values):
                return statistics.mean(values) if values else float("nan")

            parts = {
                "sandbox (whole run)": mean([t["sandbox_seconds"] for t in timings]),
                "kernel start": mean([t.get("kernel_start", 0) for t in timings]),
                "set-up cell (imports JAX, lib, otter)": mean([sum(c["seconds"] for c in t.get("cells", [])
                                                                  if "setup" in c["tags"]) for t in timings]),
                "student's cells (answers, checks)": mean([sum(c["seconds"] for c in t.get("cells", [])
                                                              if "setup" not in c["tags"]) for t in timings]),
                "extraction of the answers": mean([t.get("extract", 0) for t in timings]),
                "kernel shutdown": mean([t.get("shutdown", 0) for t in timings]),
                "the rest (bwrap, Python and nbclient start)": mean(
                    [t["sandbox_seconds"] - t.get("total", 0) for t in timings]),
                "grader's process (inputs, scoring, checks)": mean([t["grader_seconds"] for t in timings]),
            }
            label = f"JOBS={jobs}" + (" (notebooks import otter-grader)" if real_otter else "")
            print(f"\n{label}: {n} notebooks in {wall:.0f} s, {wall / n:.1f} s per notebook; "
                  f"extrapolated to 200: {wall / n * 200 / 60:.0f} min")
            for label, value in parts.items():
                print(f"  {label:40s} {value:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
