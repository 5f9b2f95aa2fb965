"""Print the book's performance record: ``python -m bench [--quick]`` (``make bench``).

Each figure is the median of repeated runs after one warm-up call (whose time,
compilation included, is shown separately where it matters); each ratio
compares two figures measured in the same invocation. Heavy measurements run
in a fresh subprocess each, so that the peak resident memory (``ru_maxrss``,
which sees XLA's and LAPACK's allocations) belongs to one measurement only.

Sections:

1. dense Hessian + all eigenvalues (``lib.hessian`` + ``lib.calculus.dense.eigenvalues``)
   against the naive route (unjitted ``jax.jacrev(jax.grad(f))``) and, when
   installed, ``torch.func.hessian``;
2. the cost of a Hessian-vector product relative to a gradient;
3. the top eigenvalue by Lanczos up to 10⁶ parameters, against the dense route
   where it fits;
4. the explorer latencies (``bench/bench_explorer.py``, when present);
5. the book build time (``_build/.timings.json``, written by ``make book``).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DENSE_SIZES = [100, 500, 1000, 2000, 5000]
DENSE_SIZES_QUICK = [100, 500, 1000]
SPECTRAL_SIZES = [1_000, 5_000, 10_000, 100_000, 1_000_000]
SPECTRAL_SIZES_QUICK = [1_000, 10_000, 100_000]
DENSE_TARGETS = {2000: 1.0, 5000: 10.0}  # seconds, Hessian + all eigenvalues
HVP_TARGET = 4.0  # HVP time / gradient time
LANCZOS_TARGET = (1_000_000, 60.0)  # parameters, seconds
NAIVE_BUDGET = 300.0  # skip a naive run predicted (n³ scaling) to take longer than this


def _worker(module: str, *args, env=None) -> dict | None:
    command = [sys.executable, "-m", f"bench.{module}", *map(str, args)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        print(f"    ! {module} {' '.join(map(str, args))} failed: {tail}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row(cells, widths):
    return "| " + " | ".join(str(c).rjust(w) for c, w in zip(cells, widths)) + " |"


def _table(header, rows):
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    print(_row(header, widths))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(_row(row, widths))


def _target(value, limit):
    if limit is None:
        return ""
    return f"≤ {limit:g}: {'met' if value <= limit else 'MISSED'}"


def _relative(residual, value):
    # The Lanczos residual estimate can fall below what float64 resolves; say so.
    rel = residual / abs(value)
    return "< 1e-15" if rel < 1e-15 else f"{rel:.1e}"


def dense_section(sizes, repeats, env):
    print("\n## 1. Dense Hessian + all eigenvalues (MLP 64-h-10 on 256 digits)\n")
    routes = ["lib", "naive"]
    if importlib.util.find_spec("torch") is None:
        print("torch is not installed: the torch.func.hessian column is skipped.\n")
    else:
        routes.append("torch")
    results, rows = {}, []
    last = {}
    for n_target in sizes:
        for route in routes:
            previous = last.get(route)
            if previous and previous["median_s"] * (n_target / previous["n"]) ** 3 > NAIVE_BUDGET \
                    and route != "lib":
                results[(route, n_target)] = None
                continue
            result = _worker("dense_worker", route, n_target, repeats, env=env)
            results[(route, n_target)] = result
            if result:
                last[route] = result
        mine = results[("lib", n_target)]
        if mine is None:
            continue
        row = [mine["n"], f"{mine['median_s']:.3f}", f"{mine['eig_s']:.3f}",
               f"{mine['first_s']:.2f}", f"{mine['peak_mb']:.0f}", f"{mine['matrix_mb']:.1f}"]
        for route in routes[1:]:
            other = results[(route, n_target)]
            if other is None:
                row += ["skipped", "", "", ""]
            else:
                # Same network, data and seed: the routes must agree on the answer too.
                agree = abs(other["top"] - mine["top"]) / abs(mine["top"])
                row += [f"{other['median_s']:.3f}", f"{other['peak_mb']:.0f}",
                        f"{other['median_s'] / mine['median_s']:.1f}×", f"{agree:.0e}"]
        row.append(_target(mine["median_s"], DENSE_TARGETS.get(min(
            DENSE_TARGETS, key=lambda t: abs(t - mine["n"])))) if any(
            abs(t - mine["n"]) < 0.1 * t for t in DENSE_TARGETS) else "")
        rows.append(row)
    header = ["n", "lib s", "of which eigenvalues s", "1st call s", "peak MB", "H MB"]
    for route in routes[1:]:
        header += [f"{route} s", f"{route} peak MB", f"{route}/lib", f"{route} Δλ_max"]
    header.append("target")
    _table(header, rows)
    print("\nlib = lib.hessian (jitted forward-over-reverse, columns in batches of "
          "lib.calculus.derivatives.HESSIAN_COLUMN_BATCH) + lib.calculus.dense.eigenvalues "
          "(numpy.linalg.eigvalsh, or two-stage LAPACK from n = 4,000); "
          "naive = unjitted jax.jacrev(jax.grad(f)) + numpy.linalg.eigvalsh.\nTimes: median of "
          f"{repeats} calls after a warm-up; 1st call includes compilation. peak MB: growth of "
          "the process's max RSS; H MB = 8 n² bytes; Δλ_max: relative difference of the largest "
          "eigenvalue from lib's.")
    if any(v is None for (r, _), v in results.items() if r != "lib"):
        print(f"skipped: predicted (n³ from the previous size) to exceed {NAIVE_BUDGET:g} s.")
    return results


def spectral_section(sizes, repeats, iterations, dense, env):
    print("\n## 2. Hessian-vector product vs gradient\n")
    results = [(n, _worker("spectral_worker", n, repeats, iterations, env=env)) for n in sizes]
    rows = []
    for _, r in results:
        if r:
            ratio = r["hvp_s"] / r["grad_s"]
            rows.append([f"{r['n']:,}", f"{r['grad_s'] * 1e3:.2f}", f"{r['hvp_s'] * 1e3:.2f}",
                         f"{ratio:.2f}", _target(ratio, HVP_TARGET)])
    _table(["n", "gradient ms", "HVP ms", "HVP/gradient", "target"], rows)
    print("\nHVP = jax.jvp of jax.grad (forward-over-reverse), both jitted; "
          f"median of {repeats} calls.")

    print(f"\n## 3. Top eigenvalue by Lanczos ({iterations} steps, full reorthogonalisation)\n")
    rows = []
    for n_target, r in results:
        if not r:
            continue
        d = (dense or {}).get(("lib", n_target))
        dense_cells = ["does not fit", "", ""]
        if d is not None:
            dense_cells = [f"{d['median_s']:.3f}", f"{d['median_s'] / r['lanczos_s']:.1f}×",
                           f"{abs(r['top'] - d['top']) / abs(d['top']):.1e}"]
        elif r["n"] * r["n"] * 8 > 16 * 2**30:
            dense_cells = [f"H alone {r['n'] ** 2 * 8 / 2**30:,.0f} GiB", "", ""]
        else:
            dense_cells = ["not measured", "", ""]
        limit = LANCZOS_TARGET[1] if abs(r["n"] - LANCZOS_TARGET[0]) < 0.1 * LANCZOS_TARGET[0] else None
        rows.append([f"{r['n']:,}", f"{r['lanczos_s']:.2f}", f"{r['lanczos_first_s']:.2f}",
                     r["n_hvp"], f"{r['top']:.6g}", _relative(r["residual"], r["top"]),
                     f"{r['peak_mb']:.0f}", *dense_cells, _target(r["lanczos_s"], limit)])
    _table(["n", "Lanczos s", "1st call s", "HVPs", "λ_max", "residual/λ", "peak MB",
            "dense s", "dense/Lanczos", "rel. diff", "target"], rows)
    print("\nresidual/λ: ‖Hu − θu‖/|θ| of the Ritz pair, a bound on the relative error of θ. "
          "dense: section 1, same network, data and seed.")


def explorer_section(quick):
    print("\n## 4. Explorer latencies\n")
    script = ROOT / "bench" / "bench_explorer.py"
    if not script.exists():
        print("bench/bench_explorer.py is not there yet: skipped.")
        return
    command = [sys.executable, "-m", "bench.bench_explorer"] + (["--quick"] if quick else [])
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0 and quick and "--quick" in done.stderr:
        done = subprocess.run(command[:-1], cwd=ROOT, capture_output=True, text=True)
    print(done.stdout.rstrip() or "(no output)")
    if done.returncode != 0:
        print(f"bench_explorer failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")


def build_section():
    print("\n## 5. Book build time\n")
    path = ROOT / "_build" / ".timings.json"
    if not path.exists():
        print("_build/.timings.json not found (written by `make book`): skipped.")
        return
    timings = json.loads(path.read_text())
    rows = [[datetime.datetime.fromtimestamp(t["time"]).strftime("%Y-%m-%d %H:%M"),
             f"{t['seconds']:.0f}", "all pages" if t.get("all") else "cached", t.get("config", "")]
            for t in timings[-5:]]
    _table(["when", "seconds", "executed", "config"], rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized runs (no n ≥ 2000 dense, no 10⁶)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per figure (median)")
    parser.add_argument("--iterations", type=int, default=30, help="Lanczos steps")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="OPENBLAS_NUM_THREADS for the workers (default: inherited)")
    parser.add_argument("--only", choices=["dense", "spectral", "explorer", "build"], default=None)
    args = parser.parse_args(argv)

    env = dict(os.environ)
    if args.blas_threads:
        env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = str(args.blas_threads)
    load = os.getloadavg()[0]
    cores = os.cpu_count()
    print(f"# Performance record — {datetime.datetime.now():%Y-%m-%d %H:%M}, {cores} CPU cores, "
          f"load average {load:.1f}, BLAS threads {env.get('OPENBLAS_NUM_THREADS', 'default')}"
          f"{' (quick)' if args.quick else ''}")
    if load > cores:
        print(f"WARNING: the load average ({load:.1f}) exceeds the {cores} cores: other processes "
              "compete for the CPU and every time below is inflated.")
    dense = None
    if args.only in (None, "dense"):
        dense = dense_section(DENSE_SIZES_QUICK if args.quick else DENSE_SIZES, args.repeats, env)
    if args.only in (None, "spectral"):
        spectral_section(SPECTRAL_SIZES_QUICK if args.quick else SPECTRAL_SIZES, args.repeats,
                         args.iterations, dense, env)
    if args.only in (None, "explorer"):
        explorer_section(args.quick)
    if args.only in (None, "build"):
        build_section()
    return 0
