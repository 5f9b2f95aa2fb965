"""One source of truth per loss: the page's JavaScript (printed from SymPy) against JAX.

The explorers' surfaces are SymPy expressions; lib gets the loss through ``sympy.lambdify``
and a web page gets the loss and gradient through SymPy's JavaScript printer. These tests run
that JavaScript in node (``lib/explorer/explorer-helpers.js``: ``makeLoss``, ``descend``,
``momentumRegime``) and compare it with JAX (``jax.value_and_grad``, :func:`lib.descend`) and
with :func:`lib.theory.quadratic.momentum_regimes`: at random points, and over whole trajectories at
random slider settings of every explorer surface.
"""

import json
import math
import shutil
import subprocess
from pathlib import Path

import jax
import numpy as np
import pytest
import sympy

import lib
from lib.explorer import widget as explorers
from lib.models import surfaces
from lib.models import symbolic_surfaces as symbolic
from lib.theory import quadratic

HELPERS = Path(explorers.__file__).parent / "explorer-helpers.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

# Every surface an explorer of the book draws, with the start and ranges it uses.
SURFACES = {
    "two_weight_net": surfaces.two_weight_net(), "saddle": surfaces.saddle(),
    "plateau": surfaces.plateau(), "rosenbrock": surfaces.rosenbrock(),
    "ravine_10": surfaces.ravine(10), "ravine_25": surfaces.ravine(25), "cliff": surfaces.cliff_surface(),
}
TOLERANCE = 1e-12
MAX_NORM = explorers._DESCEND_MAX_NORM

NODE_SCRIPT = """
import { descend, makeLoss, momentumRegime, stepwiseDifference } from %s;
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const job = JSON.parse(Buffer.concat(chunks).toString());
const clean = (values) => Array.from(values, (v) => (Number.isFinite(v) ? v : null));
const out = {};
if (job.engine) {
  const f = makeLoss(job.engine);
  out.values = job.points.map(([a, b]) => clean(f(a, b)));
  out.runs = job.runs.map((settings) => {
    const run = descend(f, job.x0, settings);
    return { points: clean(run.points), losses: clean(run.losses), divergedAt: run.divergedAt };
  });
  out.stepwise = (job.kernel || []).map(({ points, settings }) => stepwiseDifference(f, points, settings));
}
if (job.regimes) out.regimes = job.regimes.map(([lr, mu]) => momentumRegime(lr, mu, job.eigenvalues));
process.stdout.write(JSON.stringify(out));
"""


def run_node(job: dict, tmp_path: Path) -> dict:
    script = tmp_path / "contract.mjs"
    script.write_text(NODE_SCRIPT % json.dumps(HELPERS.as_uri()))
    done = subprocess.run([NODE, str(script)], input=json.dumps(job), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def as_array(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def random_settings(surface, rng, count):
    low, high = surface.lr_range
    lrs = low * (high / low) ** rng.uniform(size=count)
    momentums = 1 - (1 - explorers.MOMENTUM_MAX) ** rng.uniform(size=count)
    momentums[: count // 4] = 0.0  # plain gradient descent too
    return [{"lr": float(lr), "momentum": float(mu), "nesterov": bool(k % 3 == 2)}
            for k, (lr, mu) in enumerate(zip(lrs, momentums))]


@pytest.mark.parametrize("name", SURFACES)
def test_javascript_loss_and_gradient_match_jax_at_random_points(name, tmp_path):
    surface = SURFACES[name]
    rng = np.random.default_rng(19)
    (x_low, x_high), (y_low, y_high) = surface.xlim, surface.ylim
    points = np.column_stack([rng.uniform(x_low, x_high, 200), rng.uniform(y_low, y_high, 200)])
    out = run_node({"engine": symbolic.javascript(surface.expression), "points": points.tolist(),
                    "x0": list(surface.x0), "runs": []}, tmp_path)
    value_and_grad = jax.jit(jax.value_and_grad(surface.f))
    for point, got in zip(points, out["values"]):
        loss, grad = value_and_grad(point)
        expected = np.array([float(loss), *np.asarray(grad)])
        scale = max(np.max(np.abs(expected)), 1e-300)
        assert np.max(np.abs(as_array(got) - expected)) <= TOLERANCE * scale, (name, point, got, expected)


def trajectory_difference(a, b):
    """max_k ‖a_k − b_k‖ / max_k ‖b_k‖ over the rows where b is finite (a must be finite there)."""
    alive = np.isfinite(b[:, 0])
    return np.max(np.linalg.norm(a[alive] - b[alive], axis=1)) / np.max(np.linalg.norm(b[alive], axis=1))


@pytest.mark.parametrize("name", SURFACES)
def test_javascript_runs_match_lib_descend_over_whole_trajectories(name, tmp_path):
    """At random (α, μ, Nesterov) over the sliders' ranges, the page's run against lib.descend.

    Each step agrees to rounding: from the kernel's θ_k the page's step lands within 1e-14 of
    the run's size of θ_{k+1} (the check the widget makes in a kernel). Whole runs agree within
    1e-12 of the run's size, with the same divergence step, for at least three in four
    settings; the others are runs that amplify rounding (JAX fuses a multiply and an add that
    JavaScript rounds twice), where no two float64 programs agree to the last digits.
    """
    surface = SURFACES[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    runs = random_settings(surface, rng, 24)
    out, expected = compare_runs(surface, runs, tmp_path)
    assert max(out["stepwise"]) <= 1e-14, (name, max(out["stepwise"]))
    exact = sum(agrees(got, run) for got, run in zip(out["runs"], expected))
    assert exact >= 0.75 * len(runs), f"only {exact} of {len(runs)} runs agree within {TOLERANCE}"
    assert sum(run.diverged for run in expected) < len(runs), "some runs converge"


def compare_runs(surface, runs, tmp_path, x0=None):
    """Node's runs and stepwise differences, and lib.descend's runs, for the settings ``runs``."""
    steps, x0 = surface.steps, np.array(surface.x0 if x0 is None else x0, dtype=float)
    expected = [lib.descend(surface.f, x0, steps=steps, **settings) for settings in runs]
    kernel = [{"points": run.points[np.isfinite(run.points[:, 0])].tolist(),
               "settings": {**settings, "divergedAt": run.diverged_at, "maxNorm": MAX_NORM}}
              for settings, run in zip(runs, expected)]
    job = {"engine": symbolic.javascript(surface.expression), "points": [], "x0": x0.tolist(),
           "runs": [{**settings, "steps": steps, "maxNorm": MAX_NORM} for settings in runs],
           "kernel": kernel}
    return run_node(job, tmp_path), expected


def agrees(got, run) -> bool:
    """The page's run ``got`` is lib's ``run`` within TOLERANCE of its size, losses too."""
    if got["divergedAt"] != (-1 if run.diverged_at is None else run.diverged_at):
        return False
    points, alive = as_array(got["points"]).reshape(-1, 2), np.isfinite(run.points[:, 0])
    if not np.array_equal(alive, np.isfinite(points[:, 0])):
        return False
    if trajectory_difference(points, run.points) > TOLERANCE:
        return False
    losses = as_array(got["losses"])[alive]
    return bool(np.all(np.abs(losses - run.losses[alive]) <= TOLERANCE * np.max(np.abs(run.losses[alive]))))


# The explorers of the book as their chapters make them: surface, runs (α, μ), steps.
BOOK_EXPLORERS = [
    (surfaces.two_weight_net(), [(0.05, 0.0), (0.05, 0.9)], 100),
    (surfaces.saddle(), [(0.05, 0.0), (0.05, 0.9)], 100),
    (surfaces.plateau(), [(1.0, 0.0), (1.0, 0.9)], 100),
    (surfaces.ravine(10), [(0.1 * 0.2, 0.0), (0.9 * 0.2, 0.0), (1.1 * 0.2, 0.0)], 60),
    (surfaces.ravine(25), [(0.07, 0.0), (0.07, 0.5), (0.02, 0.0), (0.002, 0.0)], 100),
    (surfaces.cliff_surface(), [(1.0, 0.0)], 60),
]


@pytest.mark.parametrize("surface, settings, steps", BOOK_EXPLORERS, ids=lambda v: getattr(v, "name", None))
def test_the_book_explorers_first_runs_are_lib_descend_in_the_page(surface, settings, steps, tmp_path):
    """What a reader sees before touching a slider, computed by the page, is lib's run (1e-12)."""
    runs = [{"lr": lr, "momentum": mu, "nesterov": False} for lr, mu in settings]
    out, expected = compare_runs(surface._replace(steps=steps), runs, tmp_path)
    for run_settings, got, run in zip(runs, out["runs"], expected):
        assert agrees(got, run), (surface.name, run_settings)


def test_javascript_rate_and_regime_match_momentum_regimes(tmp_path):
    rng = np.random.default_rng(7)
    lrs = np.r_[0.02 / 25 * 200 ** rng.uniform(size=300), 0.05, 0.05, 0.19, 0.3]
    mus = np.r_[1 - 0.01 ** rng.uniform(size=300), 0.0, 0.81, 0.0, 0.0]
    eigenvalues = [1.0, 10.0]  # with the four cases of momentum_regimes's docstring, one per regime
    out = run_node({"regimes": np.column_stack([lrs, mus]).tolist(), "eigenvalues": eigenvalues}, tmp_path)
    expected = quadratic.momentum_regimes(lrs, mus, eigenvalues)
    np.testing.assert_allclose([r["rate"] for r in out["regimes"]], expected.rate, rtol=1e-14)
    assert [r["regime"] for r in out["regimes"]] == expected.regime.tolist()
    assert set(expected.regime.tolist()) == {0, 1, 2, 3}, "every regime is sampled"


def test_lambdified_losses_are_the_formulas_of_the_docstrings():
    """The SymPy expressions are the losses the module documents (independent numpy formulas)."""
    rng = np.random.default_rng(3)
    sigmoid = lambda z: 1 / (1 + np.exp(-z))
    formulas = {
        "two_weight_net": lambda a, b: (1 - a * b) ** 2,
        "saddle": lambda a, b: a**2 - b**2 + b**4 / 4,
        "rosenbrock": lambda a, b: (1 - a) ** 2 + 100 * (b - a**2) ** 2,
        "ravine_25": lambda a, b: 0.5 * (a**2 + 25 * b**2),
        "plateau": lambda a, b: np.sum((sigmoid(a * surfaces.PLATEAU_INPUTS + b)
                                        - surfaces.PLATEAU_TARGETS) ** 2),
        "cliff": lambda a, b: 0.5 * (0.1 * (a - 2) ** 2 + 0.5 * b**2) + 5 * sigmoid(-20 * a),
    }
    for name, formula in formulas.items():
        for a, b in rng.uniform(-3, 3, size=(20, 2)):
            np.testing.assert_allclose(float(SURFACES[name].f(np.array([a, b]))), formula(a, b), rtol=1e-13)


def test_sigmoid_derivative_stays_finite_where_exp_overflows(tmp_path):
    expression = symbolic.Sigmoid(symbolic.W1) * 3 + symbolic.W2**2
    assert sympy.simplify(sympy.diff(expression, symbolic.W1)
                          - 3 * symbolic.Sigmoid(symbolic.W1) * (1 - symbolic.Sigmoid(symbolic.W1))) == 0
    f = symbolic.jax_loss(expression)
    out = run_node({"engine": symbolic.javascript(expression), "points": [[-800.0, 1.0], [800.0, 1.0]],
                    "x0": [0, 0], "runs": []}, tmp_path)
    for (a, b), got in zip([(-800.0, 1.0), (800.0, 1.0)], out["values"]):
        loss, grad = jax.value_and_grad(f)(np.array([a, b]))
        assert all(v is not None and math.isfinite(v) for v in got)
        np.testing.assert_allclose(as_array(got), [float(loss), *np.asarray(grad)], rtol=1e-15, atol=1e-300)


def test_bad_expressions_raise_naming_the_argument():
    with pytest.raises(TypeError, match="expression"):
        symbolic.javascript("w1 + w2")
    with pytest.raises(ValueError, match="expression may depend only on w1 and w2"):
        symbolic.jax_loss(symbolic.W1 + sympy.Symbol("kappa"))
    with pytest.raises(ValueError, match="could not print"):
        symbolic.javascript(sympy.Function("mystery")(symbolic.W1))


# ------------------------------------------------------------------ the fixture tests/js reads

FIXTURE = Path(__file__).parents[1] / "js" / "fixtures" / "jax-runs.json"
FIXTURE_RUNS = [("two_weight_net", 0.05, 0.9, False), ("saddle", 0.05, 0.0, False),
                ("plateau", 1.0, 0.9, True), ("rosenbrock", 1e-3, 0.5, False),
                ("ravine_25", 0.07, 0.5, False), ("cliff", 1.0, 0.0, False)]


def jax_runs_fixture() -> dict:
    """lib.descend's runs (30 steps) on every surface, with the JavaScript the page gets for it."""
    runs = []
    for name, lr, momentum, nesterov in FIXTURE_RUNS:
        surface = SURFACES[name]
        run = lib.descend(surface.f, np.array(surface.x0), lr=lr, momentum=momentum, nesterov=nesterov,
                          steps=30)
        runs.append({"surface": name, "engine": symbolic.javascript(surface.expression),
                     "x0": list(surface.x0),
                     "settings": {"lr": lr, "momentum": momentum, "nesterov": nesterov, "steps": 30},
                     "points": run.points.tolist(), "losses": run.losses.tolist()})
    return {"note": "Written by tests/explorer/test_symbolic_surfaces.py (UPDATE_JS_FIXTURE=1); read by "
                    "tests/js/jax-contract.test.mjs.", "runs": runs}


def test_the_node_fixture_is_what_lib_computes_now():
    """tests/js/jax-contract.test.mjs compares the page's runs with these JAX runs in node; the
    fixture must stay lib's current output (``UPDATE_JS_FIXTURE=1 pytest …`` rewrites it)."""
    import os

    current = jax_runs_fixture()
    if os.environ.get("UPDATE_JS_FIXTURE"):
        FIXTURE.write_text(json.dumps(current, indent=1) + "\n")
    stored = json.loads(FIXTURE.read_text())
    assert [run["engine"] for run in stored["runs"]] == [run["engine"] for run in current["runs"]]
    for old, new in zip(stored["runs"], current["runs"]):
        np.testing.assert_allclose(old["points"], new["points"], rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("argument, error", [(None, TypeError), ([1, 2], TypeError), (1 + 2j, ValueError),
                                             (float("nan"), ValueError), (sympy.oo, ValueError)])
def test_sigmoid_refuses_what_is_no_real_expression_by_its_argument(argument, error):
    with pytest.raises(error, match="^Sigmoid's argument z must be"):
        symbolic.Sigmoid(argument)
