"""The explorer widget, headless: its state must be exactly what lib.descend computes."""

import base64
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import lib
from lib.explorer import MOMENTUM_MAX, Explorer, Run
from lib.explorer import widget as explorers
from lib.models import surfaces
from lib.models import symbolic_surfaces as symbolic


def decode(base64_text, shape):
    return np.frombuffer(base64.b64decode(base64_text), dtype="<f4").reshape(shape)


def held_points(trajectory_state):
    """The trajectory the widget holds (what the browser draws), as an array."""
    return np.asarray(trajectory_state["points"], dtype=float).reshape(-1, 2)


@pytest.fixture
def explorer():
    """A fresh explorer for each test: tests move its sliders (after the first, construction is ~20 ms)."""
    return Explorer(surfaces.two_weight_net(), runs=[Run(), Run(momentum=0.9)])


def test_constructor_state_matches_descend(explorer):
    surface = surfaces.two_weight_net()
    x0 = np.array(surface.x0)
    run_a = lib.descend(surface.f, x0, lr=surface.lr, momentum=0.0, steps=surface.steps)
    run_b = lib.descend(surface.f, x0, lr=surface.lr, momentum=0.9, steps=surface.steps)
    np.testing.assert_array_equal(held_points(explorer.trajectories[0]), run_a.points)
    np.testing.assert_array_equal(held_points(explorer.trajectories[1]), run_b.points)
    assert explorer.runs == [{"lr": surface.lr, "momentum": 0.0, "nesterov": False},
                             {"lr": surface.lr, "momentum": 0.9, "nesterov": False}]
    assert explorer.shown_steps == explorer.steps == surface.steps


def test_slider_values_set_in_code_give_descend_at_exactly_those_values(explorer):
    surface = surfaces.two_weight_net()
    x0 = np.array(surface.x0)
    for lr, momentum in [(0.0123456789, 0.31), (0.2, 0.77), (0.05, 0.0)]:
        explorer.set_run(0, lr=lr, momentum=momentum)
        expected = lib.descend(surface.f, x0, lr=lr, momentum=momentum, steps=explorer.steps)
        assert explorer.trajectories[0]["lr"] == lr and explorer.trajectories[0]["momentum"] == momentum
        np.testing.assert_array_equal(held_points(explorer.trajectories[0]), expected.points)
        np.testing.assert_array_equal(explorer.trajectories[0]["losses"], expected.losses)
        np.testing.assert_array_equal(explorer.results[0].points, expected.points)
    untouched = explorer.trajectories[0]
    explorer.runs = [explorer.runs[0], {"lr": 0.031, "momentum": 0.95, "nesterov": False}]
    expected_b = lib.descend(surface.f, x0, lr=0.031, momentum=0.95, steps=explorer.steps)
    np.testing.assert_array_equal(held_points(explorer.trajectories[1]), expected_b.points)
    assert explorer.trajectories[0] is untouched, "only the run that changed is recomputed"


def test_three_runs_each_with_its_own_settings():
    surface = surfaces.two_weight_net()
    settings = [Run(lr=0.02), Run(lr=0.02, momentum=0.9), {"lr": 0.1, "momentum": 0.5}]
    explorer = Explorer(surface, runs=settings, grid_size=(3, 2), steps=30)
    for index, (lr, momentum) in enumerate([(0.02, 0.0), (0.02, 0.9), (0.1, 0.5)]):
        expected = lib.descend(surface.f, np.array(surface.x0), lr=lr, momentum=momentum, steps=30)
        np.testing.assert_array_equal(held_points(explorer.trajectories[index]), expected.points)
        assert explorer.status(index) == explorers._status(expected, 30)
    explorer.set_run(2, momentum=0.0)
    assert explorer.trajectories[2]["momentum"] == 0.0 and explorer.runs[2]["lr"] == 0.1



def test_no_recompilation_across_slider_moves(explorer):
    explorer.set_run(0, lr=0.07)  # warm
    before = lib.trace_count("descend")
    rng = np.random.default_rng(0)
    low, high = explorer.view["lr_range"]  # the slider's ends, as sent to the page
    assert (low, high) == pytest.approx(surfaces.two_weight_net().lr_range, rel=1e-12)
    for _ in range(10):
        lr = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        momentum_b = float(rng.uniform(0, MOMENTUM_MAX))
        explorer.set_run(0, lr=lr)
        explorer.set_run(1, momentum=momentum_b)
        assert explorer.trajectories[0]["lr"] == lr and explorer.trajectories[1]["momentum"] == momentum_b
    assert lib.trace_count("descend") == before


def test_slider_moves_run_the_same_compiled_program_as_descend():
    """After construction a move skips lib.descend's checks of f and x0, not its numbers."""
    surface = surfaces.two_weight_net()
    explorer = Explorer(surface, runs=[Run(), Run(momentum=0.9)], nesterov_toggle=True, grid_size=(3, 2))
    before = lib.trace_count("descend")
    x0 = np.array(surface.x0)
    # Converging, diverging at once, diverging late, Nesterov, the ends of the sliders.
    for lr, momentum, nesterov in [(0.01, 0.0, False), (0.3, 0.9, False), (0.77, 0.5, True),
                                   (0.8, MOMENTUM_MAX, False), (0.005, 0.0, True)]:
        fast = explorer._descend(lr, momentum, nesterov)
        expected = lib.descend(surface.f, x0, lr=lr, momentum=momentum, steps=explorer.steps,
                               nesterov=nesterov)
        np.testing.assert_array_equal(fast.points, expected.points)
        np.testing.assert_array_equal(fast.losses, expected.losses)
        assert (fast.diverged, fast.diverged_at) == (expected.diverged, expected.diverged_at)
    assert lib.trace_count("descend") == before


def test_extreme_values_are_flagged_not_raised():
    surface = surfaces.two_weight_net()
    explorer = Explorer(surface, grid_size=(3, 2), steps=50)
    explorer.set_run(0, lr=surface.lr_range[1], momentum=MOMENTUM_MAX)
    run = explorer.results[0]
    expected = lib.descend(surface.f, np.array(surface.x0), lr=surface.lr_range[1],
                           momentum=MOMENTUM_MAX, steps=50)
    assert run.diverged == expected.diverged
    assert run.diverged, "the top of the learning-rate range should blow this surface up"
    assert explorer.status() == f"diverged at step {expected.diverged_at}"
    assert explorer.trajectories[0]["diverged_at"] == expected.diverged_at
    assert len(explorer.trajectories[0]["points"]) == expected.diverged_at
    assert explorer.error == ""
    json.dumps(explorer.get_state(), allow_nan=False)  # nothing the browser cannot parse
    # Showing fewer steps than the divergence hides the verdict.
    explorer.shown_steps = expected.diverged_at - 1
    assert explorer.status().startswith("loss ")


def test_every_surface_survives_the_ends_of_its_ranges():
    for name, factory in surfaces.SURFACES.items():
        surface = factory()
        explorer = Explorer(surface, grid_size=(2, 2), steps=30, resolution=20)
        for lr in surface.lr_range:
            for momentum in (0.0, MOMENTUM_MAX):
                explorer.set_run(0, lr=lr, momentum=momentum)
                status = explorer.status()
                assert status.startswith("loss ") or status.startswith("diverged at step "), name
                assert np.all(np.isfinite(held_points(explorer.trajectories[0]))), name


def opaque(surface):
    """``surface`` without its SymPy expression: a loss the page cannot compute, as a reader's own."""
    return surface._replace(expression=None)


def test_a_computed_surface_sends_its_formulas_not_a_grid(explorer):
    """The page computes the runs of a SymPy surface itself: it gets the loss and gradient as
    JavaScript, the sliders' ladders and each run's start values, and no precomputed grid."""
    view = explorer.view
    assert explorer.grid == {}
    assert view["engine"] == {**symbolic.javascript(surfaces.TWO_WEIGHT_NET), "max_norm": 1e8}
    assert view["anchors"] == [{"lr": 0.05, "momentum": 0.0}, {"lr": 0.05, "momentum": 0.9}]
    low, high = view["lr_range"]
    # An arrow key multiplies α by at most 1.05: a step a reader sees, fine enough to aim with.
    positions = view["lr_positions"]
    assert (high / low) ** (1 / positions) <= 1.05 < (high / low) ** (1 / (positions - 1))
    assert view["momentum_positions"] == 60 and view["coarse_positions"] == 6
    assert "lr_cell" not in view
    state_bytes = len(json.dumps(explorer.get_state()))
    grid_bytes = len(json.dumps(Explorer(opaque(surfaces.two_weight_net()),
                                         runs=[Run(), Run(momentum=0.9)]).get_state()))
    assert state_bytes < grid_bytes / 3, (state_bytes, grid_bytes)


def test_precomputed_grid_equals_descend_grid():
    surface = surfaces.two_weight_net()
    grid = Explorer(opaque(surface), runs=[Run(), Run(momentum=0.9)]).grid
    expected = lib.descend_grid(surface.f, np.array(surface.x0), lrs=np.geomspace(*surface.lr_range, 25),
                                momentums=grid["momentums"], steps=surface.steps)
    n_lr, n_momentum, rows = len(grid["lrs"]), len(grid["momentums"]), grid["steps"] + 1
    assert (n_lr, n_momentum) == (25, 11) and grid["nesterov"] == [False]
    np.testing.assert_allclose(grid["lrs"], expected.lrs, rtol=1e-15)
    points = decode(grid["points"], (1, n_lr, n_momentum, rows, 2))[0]
    losses = decode(grid["losses"], (1, n_lr, n_momentum, rows))[0]
    np.testing.assert_array_equal(points, expected.points.astype(np.float32))
    np.testing.assert_array_equal(losses, expected.losses.astype(np.float32))
    np.testing.assert_array_equal(grid["diverged_at"][0], expected.diverged_at)
    momentums = np.array(grid["momentums"])
    assert momentums[0] == 0.0 and momentums[-1] == MOMENTUM_MAX
    assert np.isclose(momentums, 0.9).any(), "μ = 0.9 should be a grid value"


def test_nesterov_toggle_precomputes_both_variants():
    surface = opaque(surfaces.ravine(kappa=10))
    explorer = Explorer(surface, runs=[Run(), Run(momentum=0.9)], nesterov_toggle=True, grid_size=(3, 2),
                        steps=20)
    assert explorer.grid["nesterov"] == [False, True]
    points = decode(explorer.grid["points"], (2, 3, 2, 21, 2))
    nesterov = lib.descend_grid(surface.f, np.array(surface.x0), lrs=explorer.grid["lrs"],
                                momentums=explorer.grid["momentums"], steps=20, nesterov=True)
    np.testing.assert_array_equal(points[1], nesterov.points.astype(np.float32))
    before = lib.trace_count("descend")
    explorer.set_run(1, nesterov=True)  # compiled in the constructor
    assert lib.trace_count("descend") == before
    expected = lib.descend(surface.f, np.array(surface.x0), lr=explorer.runs[1]["lr"],
                           momentum=explorer.runs[1]["momentum"], steps=20, nesterov=True)
    np.testing.assert_array_equal(held_points(explorer.trajectories[1]), expected.points)


def test_page_weight_of_default_explorer_is_small(explorer):
    state_bytes = len(json.dumps(explorer.get_state()))
    assert state_bytes < 800_000, state_bytes  # two per chapter stay below 2 MB


def test_contours_and_view():
    explorer = Explorer(surfaces.ravine(kappa=50), runs=[Run(lr=0.03, momentum=0.5), Run(lr=0.03)],
                        steps=40, grid_size=(4, 3))
    view = explorer.view
    assert len(view["contours"]) >= 8
    assert all(c["d"].startswith("M") for c in view["contours"])
    levels = [c["level"] for c in view["contours"]]
    assert levels == sorted(levels, reverse=True), "drawn from the highest level down"
    assert view["x0"] == [-8.0, 2.0]
    assert view["xticks"] == [-10.0, -5.0, 0.0, 5.0, 10.0]
    assert explorer.title.startswith("ravine") and "κ = 50" in explorer.description


def test_ping_is_answered_with_pong(explorer, monkeypatch):
    sent = []
    monkeypatch.setattr(explorer, "send", lambda content, buffers=None: sent.append(content))
    explorer._on_custom_message(explorer, {"type": "ping", "id": "v1"}, [])
    explorer._on_custom_message(explorer, {"type": "something else"}, [])
    assert sent == [{"type": "pong", "id": "v1"}]


def test_errors_in_callbacks_are_shown_not_swallowed(monkeypatch):
    explorer = Explorer(surfaces.saddle(), grid_size=(2, 2), steps=10)

    def broken(*args, **kwargs):
        raise FloatingPointError("simulated failure")

    # A slider move runs lib.descend's checked inputs through run_checked (see Explorer._descend).
    monkeypatch.setattr(explorers, "run_checked", broken)
    explorer.set_run(0, lr=0.1)
    assert "FloatingPointError: simulated failure" in explorer.error
    assert isinstance(explorer.last_exception, FloatingPointError)
    monkeypatch.undo()
    explorer.set_run(0, lr=0.2)
    assert explorer.error == ""
    assert explorer.trajectories[0]["lr"] == 0.2


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(runs=[Run(lr=-1.0)]), ValueError, r"runs\[0\]\.lr"),
    (dict(runs=[Run(lr=100.0)]), ValueError, r"runs\[0\]\.lr must lie in lr_range"),
    (dict(runs=[Run(lr="fast")]), TypeError, r"runs\[0\]\.lr"),
    (dict(runs=[Run(momentum=1.0)]), ValueError, r"runs\[0\]\.momentum"),
    (dict(runs=[Run(), Run(momentum=-0.1)]), ValueError, r"runs\[1\]\.momentum"),
    (dict(runs=[Run(), Run(momentum=0.999)]), ValueError, r"runs\[1\]\.momentum"),
    (dict(runs=[Run(), {"lr": 0.0}]), ValueError, r"runs\[1\]\.lr"),
    (dict(runs=[Run(nesterov=1)]), TypeError, r"runs\[0\]\.nesterov"),
    (dict(runs=[{"learning_rate": 0.1}]), TypeError, r"runs\[0\] has unknown settings \['learning_rate'\]"),
    (dict(runs=[0.1]), TypeError, r"runs\[0\] must be a Run"),
    (dict(runs=Run()), TypeError, "runs must be a list"),
    (dict(runs="A"), TypeError, "runs must be a list"),
    (dict(runs=[]), ValueError, "runs must hold 1 to 3"),
    (dict(runs=[Run()] * 4), ValueError, "runs must hold 1 to 3"),
    (dict(nesterov_toggle=None), TypeError, "nesterov_toggle"),
    (dict(steps=0), ValueError, "steps"),
    (dict(steps=2.5), TypeError, "steps"),
    (dict(steps=5000), ValueError, "steps"),
    (dict(x0=[1.0, 2.0, 3.0]), ValueError, "x0"),
    (dict(x0=[np.nan, 1.0]), ValueError, "x0"),
    (dict(x0={"a": 1.0}), TypeError, "x0"),
    (dict(x0=[True, False]), TypeError, "x0"),
    (dict(x0=[1 + 1j, 2.0]), TypeError, "x0"),
    (dict(x0=[10**400, 1.0]), ValueError, "x0"),
    (dict(grid_size=(10**12, 3)), ValueError, "grid_size"),
    (dict(lr_range=(1.0, 0.1)), ValueError, "lr_range"),
    (dict(lr_range=0.1), TypeError, "lr_range"),
    (dict(grid_size=(1, 5)), ValueError, "grid_size"),
    (dict(grid_size=25), TypeError, "grid_size"),
    (dict(resolution=3), ValueError, "resolution"),
    (dict(title=3), TypeError, "title"),
])
def test_bad_arguments_raise_naming_the_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        Explorer(surfaces.two_weight_net(), **kwargs)


@pytest.mark.parametrize("field, value, error", [
    ("xlim", (10.0, -10.0), ValueError), ("ylim", (np.nan, 1.0), ValueError), ("f", "abc", TypeError),
    ("x0", (1.0,), ValueError), ("lr_range", (0.0, 1.0), ValueError), ("lr", -1.0, ValueError),
    ("steps", 2.5, TypeError), ("name", None, TypeError), ("expression", "w1**2", TypeError),
])
def test_a_surface_with_a_bad_field_is_refused_naming_the_field(field, value, error):
    """A reader's own or _replace-d Surface is checked field by field, before NumPy or the page see it."""
    bad = surfaces.two_weight_net()._replace(**{field: value})
    with pytest.raises(error, match=rf"surface\.{field}"):
        Explorer(bad)
    with pytest.raises(error, match=rf"surface\.{field}"):
        surfaces.loss_grid(bad, 3)


def test_bad_surface_and_bad_trait_values_raise(explorer):
    with pytest.raises(TypeError, match="surface"):
        Explorer(lambda w: w @ w)
    before = (explorer.runs, explorer.trajectories, explorer.shown_steps)
    with pytest.raises(ValueError, match=r"runs\[0\]\.lr"):
        explorer.set_run(0, lr=5.0)
    with pytest.raises(ValueError, match=r"runs\[1\]\.momentum"):
        explorer.set_run(1, momentum=0.995)
    with pytest.raises(ValueError, match="shown_steps"):
        explorer.shown_steps = explorer.steps + 1
    with pytest.raises(ValueError, match="nesterov_toggle"):
        explorer.set_run(0, nesterov=True)
    with pytest.raises(ValueError, match="runs must hold 2 runs"):
        explorer.runs = explorer.runs[:1]
    with pytest.raises(TypeError, match="unknown settings"):
        explorer.set_run(0, learning_rate=0.1)
    with pytest.raises(ValueError, match="index"):
        explorer.set_run(2, lr=0.1)
    with pytest.raises(ValueError, match="index"):
        explorer.status(2)
    with pytest.raises(ValueError, match="index"):
        explorer.status("b")
    after = (explorer.runs, explorer.trajectories, explorer.shown_steps)
    assert after == before, "a refused value is not kept"


@pytest.mark.parametrize("state, message", [
    ({"runs": [{"lr": 8.0, "momentum": 0.0, "nesterov": False}, None]},
     r"runs\[0\]\.lr must lie in lr_range"),
    ({"runs": "x"}, "runs must be a list"),
    ({"runs": [{"lr": 0.1, "momentum": 0.0, "nesterov": False}]}, "runs must hold 2 runs"),
    ({"runs": [{"lr": 0.1, "momentum": "0.5", "nesterov": False}, None]}, r"runs\[0\]\.momentum"),
    ({"runs": [{"lr": 0.1, "momentum": 0.5, "nesterov": True}, None]}, "nesterov_toggle"),
    ({"shown_steps": 10_000}, "shown_steps must lie in"),
    ({"shown_steps": 2.5}, "shown_steps"),
    ({"grid": {}}, r"the browser may set only \['runs', 'shown_steps'\], not \['grid'\]"),
    ({"trajectories": []}, "not \\['trajectories'\\]"),
])
def test_bad_values_from_the_browser_are_refused_shown_and_sent_back(explorer, monkeypatch, state, message):
    """What a front end sends goes through the same checks as Python's values; a refused value is
    not stored (traitlets keeps it, and runs the observers, if a validator raises while a state is
    applied), is shown in the widget, and the current values go back so the sliders return."""
    import re

    sent = []
    monkeypatch.setattr(explorer, "send_state", lambda key=None: sent.append(key))
    if "runs" in state and isinstance(state["runs"], list) and len(state["runs"]) == 2:
        state = {"runs": [state["runs"][0], explorer.runs[1]]}
    before = (explorer.runs, explorer.trajectories, explorer.shown_steps, explorer.results)
    explorer.set_state(state)
    assert (explorer.runs, explorer.trajectories, explorer.shown_steps, explorer.results) == before
    assert explorer.error.startswith("a value from the browser was refused: ")
    assert re.search(message, explorer.error), explorer.error
    assert ["runs", "shown_steps"] in sent
    assert explorer.status() == explorers._status(explorer.results[0], explorer.shown_steps)
    # A good value afterwards is applied and clears the message.
    explorer.set_state({"shown_steps": 7})
    assert explorer.error == "" and explorer.shown_steps == 7
    explorer.set_state(state)
    explorer.set_state({"runs": [{"lr": 0.1, "momentum": 0.5, "nesterov": False}, explorer.runs[1]]})
    assert explorer.error == "" and explorer.trajectories[0]["lr"] == 0.1


def test_lr_a_hair_outside_the_range_is_clipped_not_rejected(explorer):
    low, high = surfaces.two_weight_net().lr_range
    explorer.set_state({"runs": [{"lr": high * (1 + 1e-12), "momentum": 0.0, "nesterov": False},
                                 explorer.runs[1]]})  # what 10**log10(high) can give in the browser
    assert explorer.error == ""
    assert explorer.runs[0]["lr"] == high and explorer.trajectories[0]["lr"] == high


def test_front_end_files_exist_and_parse():
    here = Path(explorers.__file__).parent
    source = (here / "explorer.js").read_text()
    assert "export default" in source and "http" not in source.replace(SVG_NS_TEXT, "")
    assert (here / "explorer.css").read_text().strip()
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed: JavaScript syntax not checked")
    checked = subprocess.run([node, "--check", "--input-type=module"], input=source,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    # What the browser gets: explorer.js with its helpers module inlined (one blob: module).
    bundle = explorers.Explorer._esm
    assert "explorer-helpers.js\";" not in bundle and "export function keySteps" in bundle
    checked = subprocess.run([node, "--check", "--input-type=module"], input=bundle,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


SVG_NS_TEXT = "http://www.w3.org/2000/svg"


# ---------------------------------------------------------------------------------- the rate map

@pytest.fixture(scope="module")
def map_explorer():
    return Explorer(surfaces.ravine(kappa=25), rate_map=True, grid_size=(6, 4), steps=30,
                    rate_map_size=(12, 8))


def test_rate_map_trait_is_momentum_regimes_at_the_cell_centres(map_explorer):
    from lib.theory import quadratic as quad

    state = map_explorer.rate_map
    low, high = surfaces.ravine(kappa=25).lr_range
    assert state["eigenvalues"] == pytest.approx([1.0, 25.0], rel=1e-12)
    assert (state["n_lr"], state["n_momentum"]) == (12, 8)
    lrs, mus = np.array(state["lrs"]), np.array(state["momentums"])
    # Cell centres on the sliders' axes: α log-spaced over lr_range, μ evenly in log(1 − μ).
    np.testing.assert_allclose(np.log(lrs / low) / np.log(high / low), (np.arange(12) + 0.5) / 12, rtol=1e-12)
    np.testing.assert_allclose(np.log(1 - mus) / np.log(1 - MOMENTUM_MAX), (np.arange(8) + 0.5) / 8,
                               rtol=1e-12)
    expected = quad.momentum_regimes(lrs[None, :], mus[:, None], [1.0, 25.0])
    np.testing.assert_array_equal(decode(state["rate"], (8, 12)), expected.rate.astype(np.float32))
    codes = np.array([int(c) for c in state["regime"]]).reshape(8, 12)
    np.testing.assert_array_equal(codes, expected.regime)
    assert state["regimes"] == list(quad.MOMENTUM_REGIMES)
    # The page computes the rate at any (α, μ) of a computed surface; for another loss the
    # static page reads the run grid's rates from the trait.
    assert "grid_rate" not in state
    grid_explorer = Explorer(opaque(surfaces.ravine(kappa=25)), rate_map=True, grid_size=(6, 4), steps=30,
                             rate_map_size=(12, 8))
    at_grid = quad.momentum_regimes(np.array(grid_explorer.grid["lrs"])[:, None],
                                    np.array(grid_explorer.grid["momentums"])[None, :], [1.0, 25.0])
    np.testing.assert_array_equal(grid_explorer.rate_map["grid_rate"], at_grid.rate)
    np.testing.assert_array_equal(grid_explorer.rate_map["grid_regime"], at_grid.regime)
    best = quad.heavy_ball_optimal([1.0, 25.0])
    assert state["optimum"] == {"lr": best.lr, "momentum": best.momentum, "rate": best.rate}
    json.dumps(state, allow_nan=False)


def test_rate_map_curves_are_critical_damping_and_the_stability_limit(map_explorer):
    from lib.theory import quadratic as quad

    curves = map_explorer.rate_map["curves"]
    kinds = [(c["kind"], c["curvature"], c["side"]) for c in curves]
    # (1 + √μ)²/λ_min ≥ 1 lies right of the map (α ≤ 0.16): left out.
    assert kinds == [("critical", 1.0, "low"), ("critical", 25.0, "low"), ("critical", 25.0, "high"),
                     ("stability", 25.0, "")]
    for curve in curves:
        lr, mu = np.array(curve["points"]).T
        if curve["kind"] == "stability":
            np.testing.assert_allclose(lr, 2 * (1 + mu) / 25.0, rtol=1e-4)
        else:
            low, high = quad.critical_damping_lr(mu, curve["curvature"])
            np.testing.assert_allclose(lr, low if curve["side"] == "low" else high, rtol=1e-4)


def test_rate_map_readout_travels_with_the_exact_run(map_explorer):
    from lib.theory import quadratic as quad

    for lr, momentum in [(0.0123, 0.31), (0.111, 0.444), (0.15, 0.0)]:
        map_explorer.set_run(0, lr=lr, momentum=momentum)
        at = quad.momentum_regimes(lr, momentum, [1.0, 25.0])
        assert map_explorer.trajectories[0]["rate"] == float(at.rate)
        assert map_explorer.trajectories[0]["regime"] == int(at.regime)
        name = quad.MOMENTUM_REGIMES[int(at.regime)]
        assert map_explorer.rate_readout() == f"rate {float(at.rate):.3g} per step, {name}"
    assert map_explorer.rate_readout().endswith("divergent")  # α = 0.15 > 2/κ without momentum


def test_values_from_the_map_are_checked_like_slider_values(map_explorer):
    """A click on the map sets run A's settings: the same validators answer."""
    with pytest.raises(ValueError, match=r"runs\[0\]\.lr"):
        map_explorer.set_run(0, lr=1.0)  # outside lr_range
    with pytest.raises(ValueError, match="momentum"):
        map_explorer.set_run(0, momentum=1.0)
    with pytest.raises(TypeError, match="momentum"):
        map_explorer.set_run(0, momentum="0.5")


def test_rate_map_with_explicit_eigenvalues_and_its_page_weight():
    explorer = Explorer(surfaces.ravine(kappa=25), rate_map=[25.0, 1.0], grid_size=(3, 2), steps=10)
    assert explorer.rate_map["eigenvalues"] == [1.0, 25.0]
    assert (explorer.rate_map["n_lr"], explorer.rate_map["n_momentum"]) == (60, 40)
    assert len(json.dumps(explorer.rate_map)) < 60_000
    assert Explorer(surfaces.ravine(kappa=25), grid_size=(3, 2), steps=10).rate_map == {}


@pytest.mark.parametrize("surface, kwargs, error, match", [
    (surfaces.two_weight_net(), dict(rate_map=True), ValueError, "rate_map=True needs a quadratic"),
    (surfaces.saddle(), dict(rate_map=True), ValueError, "rate_map"),
    (surfaces.ravine(kappa=25), dict(rate_map="yes"), TypeError, "rate_map"),
    (surfaces.ravine(kappa=25), dict(rate_map=[1.0, -2.0]), ValueError, "rate_map"),
    (surfaces.ravine(kappa=25), dict(rate_map=[]), ValueError, "rate_map"),
    (surfaces.ravine(kappa=25), dict(rate_map=[1.0, np.nan]), ValueError, "rate_map"),
    (surfaces.ravine(kappa=25), dict(rate_map=[["a"]]), TypeError, "rate_map"),
    (surfaces.ravine(kappa=25), dict(rate_map=True, rate_map_size=(1, 5)), ValueError, "rate_map_size"),
    (surfaces.ravine(kappa=25), dict(rate_map=True, rate_map_size=7), TypeError, "rate_map_size"),
    (surfaces.ravine(kappa=25), dict(rate_map=True, nesterov_toggle=True), ValueError, "rate_map"),
    (surfaces.ravine(kappa=25), dict(rate_map=True, runs=[Run(nesterov=True)]), ValueError, "rate_map"),
])
def test_bad_rate_map_raises_naming_the_argument(surface, kwargs, error, match):
    with pytest.raises(error, match=match):
        Explorer(surface, grid_size=(2, 2), steps=10, resolution=20, **kwargs)


# ------------------------------------------------------------------ fuzz: what a browser may send

_NUMBERS = (st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10, 10**20)
            | st.sampled_from([0.0, 0.005, 0.05, 0.8, 0.99, 1.0]))
_VALUES = _NUMBERS | st.booleans() | st.none() | st.text(max_size=3) | st.lists(st.integers(), max_size=2)
_SETTINGS = st.fixed_dictionaries(
    {}, optional={"lr": _VALUES, "momentum": _VALUES, "nesterov": _VALUES, "other": _VALUES})
_GOOD_SETTINGS = st.fixed_dictionaries({"lr": st.floats(0.005, 0.8), "momentum": st.floats(0.0, MOMENTUM_MAX),
                                        "nesterov": st.just(False)})
_RUNS = (st.lists(_GOOD_SETTINGS, min_size=2, max_size=2) | st.lists(_SETTINGS, max_size=4) | _VALUES
         | st.dictionaries(st.text(max_size=3), _VALUES, max_size=2))
_STATES = st.fixed_dictionaries({}, optional={
    "runs": _RUNS, "shown_steps": _VALUES, "grid": st.just({}), "error": st.text(max_size=3)})


@pytest.fixture(scope="module")
def fuzzed_explorer():
    return Explorer(surfaces.two_weight_net(), runs=[Run(), Run(momentum=0.9)], grid_size=(3, 2), steps=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=_STATES)
def test_any_state_from_a_browser_is_applied_whole_or_refused_whole(fuzzed_explorer, state):
    """Whatever a front end sends: nothing escapes, a refused state changes nothing and says why in
    ``error``, an accepted one is applied, and every exact trajectory is for its run's settings."""
    explorer = fuzzed_explorer
    explorer.error = ""
    before = (explorer.runs, explorer.shown_steps, explorer.trajectories)
    explorer.set_state(state)
    event("refused" if explorer.error else "applied")
    if explorer.error:
        assert explorer.error.startswith("a value from the browser was refused: ")
        assert (explorer.runs, explorer.shown_steps, explorer.trajectories) == before
    else:
        assert set(state) <= {"runs", "shown_steps"}
        if "shown_steps" in state:
            assert explorer.shown_steps == state["shown_steps"]
        if "runs" in state:
            assert len(explorer.runs) == 2
    for settings_, trajectory, result in zip(explorer.runs, explorer.trajectories, explorer.results):
        assert {key: trajectory[key] for key in settings_} == settings_
        assert trajectory["diverged_at"] == result.diverged_at
    low, high = explorer.view["lr_range"]
    assert all(low <= run["lr"] <= high and 0 <= run["momentum"] <= MOMENTUM_MAX for run in explorer.runs)
    assert 1 <= explorer.shown_steps <= explorer.steps
