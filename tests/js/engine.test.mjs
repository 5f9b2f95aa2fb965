// The page's own runs (lib/explorer/explorer-helpers.js): gradient descent on a surface printed from SymPy,
// the sliders' ladders, the rate at one (α, μ), where a diverged run leaves the plot.
// `node --test tests/js/` (make test-js). The contract against JAX is tests/explorer/test_symbolic_surfaces.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  descend, exactLabel, exitPoint, ladderLr, ladderMomentum, makeLoss, momentumRegime,
  positionFromLr, positionFromMomentum, sigmoid, stepwiseDifference,
} from "../../lib/explorer/explorer-helpers.js";

// f(w) = ½(w₁² + κw₂²), as lib.models.symbolic_surfaces.javascript prints ravine(25).
const RAVINE = { loss: "(1/2)*((w1)*(w1)) + 12.5*((w2)*(w2))", grad: ["w1", "25.0*w2"] };
const VIEW = { lr_range: [0.0008, 0.16], lr_positions: 109, momentum_positions: 60, momentum_max: 0.99 };

test("makeLoss compiles the printed loss and gradient", () => {
  const f = makeLoss(RAVINE);
  assert.deepEqual(f(2, -1), [0.5 * 4 + 12.5, 2, -25]);
  const cliff = makeLoss({ loss: "5.0*sigmoid(-20.0*w1)", grad: ["-100.0*(1 - sigmoid(-20.0*w1))*sigmoid(-20.0*w1)", "0"] });
  assert.ok(cliff(-100, 0).every(Number.isFinite), "σ' = σ(1 − σ) stays finite where e^{−z} overflows");
  assert.equal(sigmoid(0), 0.5);
});

test("heavy-ball descend on a quadratic is the linear recurrence of each coordinate", () => {
  // Along an eigendirection λ: e_{k+1} = (1 + μ − αλ) e_k − μ e_{k−1}, e_1 = (1 − αλ) e_0.
  const f = makeLoss(RAVINE), lr = 0.03, momentum = 0.6, steps = 50;
  const run = descend(f, [-8, 2], { lr, momentum, steps });
  for (const [axis, lam, start] of [[0, 1, -8], [1, 25, 2]]) {
    let previous = start, current = (1 - lr * lam) * start;
    assert.ok(Math.abs(run.points[2 + axis] - current) <= 1e-15 * Math.abs(start));
    for (let k = 2; k <= steps; k++) {
      [previous, current] = [current, (1 + momentum - lr * lam) * current - momentum * previous];
      assert.ok(Math.abs(run.points[2 * k + axis] - current) <= 1e-12 * Math.abs(start), `step ${k}`);
    }
  }
  assert.equal(run.divergedAt, -1);
  assert.equal(run.losses[0], f(-8, 2)[0]);
});

test("Nesterov's step is μp − α∇f after p ← μp − α∇f (lib.momentum's form)", () => {
  const f = makeLoss(RAVINE), lr = 0.01, momentum = 0.5;
  const run = descend(f, [-8, 2], { lr, momentum, nesterov: true, steps: 2 });
  // Step 0: p = −αg, step = μp − αg = −(1 + μ)αg.
  assert.ok(Math.abs(run.points[2] - (-8 + (1 + momentum) * lr * 8)) < 1e-15);
  assert.ok(Math.abs(run.points[3] - (2 - (1 + momentum) * lr * 50)) < 1e-15);
});

test("a run that leaves ‖θ‖ ≤ maxNorm is frozen and flagged where it left", () => {
  const f = makeLoss(RAVINE);
  const run = descend(f, [-8, 2], { lr: 0.16, momentum: 0, steps: 100, maxNorm: 1e8 });
  // w₂ is multiplied by 1 − 25·0.16 = −3 per step: |2·3^k| > 1e8 from k = 17 on.
  assert.equal(run.divergedAt, 17);
  assert.ok(Number.isFinite(run.points[2 * 16 + 1]) && Number.isNaN(run.points[2 * 17 + 1]));
  assert.ok(run.losses.slice(17).every(Number.isNaN));
});

test("ladders: one value per position, three significant digits, the ends and the anchors exact", () => {
  const lrs = Array.from({ length: VIEW.lr_positions + 1 }, (_, p) => ladderLr(VIEW, p));
  assert.equal(lrs[0], 0.0008);
  assert.equal(lrs[VIEW.lr_positions], 0.16);
  for (let p = 1; p < lrs.length; p++) {
    assert.ok(lrs[p] > lrs[p - 1], "increasing");
    assert.ok(lrs[p] / lrs[p - 1] < 1.06, "a fine step is about ×1.05");
    assert.equal(Number(lrs[p].toPrecision(3)), lrs[p], "the label is the value");
    assert.equal(positionFromLr(VIEW, lrs[p]), p, "the value's position is its own");
  }
  const mus = Array.from({ length: 61 }, (_, p) => ladderMomentum(VIEW, p));
  assert.equal(mus[0], 0);
  assert.equal(mus[60], 0.99);
  for (let p = 1; p < mus.length; p++) {
    assert.ok(mus[p] > mus[p - 1]);
    assert.equal(positionFromMomentum(VIEW, mus[p]), p);
    assert.ok(String(mus[p]).length <= 7, `μ = ${mus[p]} reads as a short decimal`);
  }
  // A run's start value sits at its position, so moving away and back returns to it.
  const anchor = 0.07, at = positionFromLr(VIEW, anchor);
  assert.equal(ladderLr(VIEW, at, anchor), 0.07);
  assert.notEqual(ladderLr(VIEW, at + 1, anchor), 0.07);
  assert.equal(ladderMomentum(VIEW, positionFromMomentum(VIEW, 0.5), 0.5), 0.5);
});

test("exactLabel writes the value, or six digits for one that needs more", () => {
  assert.equal(exactLabel(0.07), "0.07");
  assert.equal(exactLabel(0.0512), "0.0512");
  assert.equal(exactLabel(0.9895), "0.9895");
  assert.equal(exactLabel(0.1 * 0.2), "0.02");
});

test("momentumRegime: the four cases of lib.theory.quadratic.momentum_regimes's docstring", () => {
  const cases = [[0.05, 0, 0.95, 0], [0.05, 0.81, 0.9, 1], [0.19, 0, 0.9, 2], [0.3, 0, 2, 3]];
  for (const [lr, mu, rate, regime] of cases) {
    const at = momentumRegime(lr, mu, [1, 10]);
    assert.ok(Math.abs(at.rate - rate) < 1e-12, `${lr}, ${mu}: ${at.rate}`);
    assert.equal(at.regime, regime);
  }
});

test("exitPoint: where the path last crossed the plot's edge outwards", () => {
  assert.equal(exitPoint([[10, 10], [20, 20]], 100, 100), null, "ends inside");
  assert.deepEqual(exitPoint([[50, 50], [150, 50]], 100, 100), [100, 50]);
  assert.deepEqual(exitPoint([[50, 50], [50, -50]], 100, 100), [50, 0]);
  // Out, back in, out again: the last exit.
  assert.deepEqual(exitPoint([[50, 50], [150, 50], [50, 60], [50, 300]], 100, 100), [50, 100]);
  assert.equal(exitPoint([[150, 50], [300, 50]], 100, 100), null, "never inside");
});

test("stepwiseDifference accepts the page's own run and catches another rule", () => {
  const f = makeLoss(RAVINE), settings = { lr: 0.05, momentum: 0.7, steps: 40 };
  const run = descend(f, [-8, 2], settings);
  const points = Array.from({ length: 41 }, (_, k) => [run.points[2 * k], run.points[2 * k + 1]]);
  assert.equal(stepwiseDifference(f, points, settings), 0);
  assert.ok(stepwiseDifference(f, points, { ...settings, nesterov: true }) > 1e-3);
  assert.ok(stepwiseDifference(f, points, { ...settings, lr: 0.05 * (1 + 1e-6) }) > 1e-9);
  const diverged = descend(f, [-8, 2], { lr: 0.16, momentum: 0, steps: 30 });
  const finite = Array.from({ length: 17 }, (_, k) => [diverged.points[2 * k], diverged.points[2 * k + 1]]);
  assert.equal(stepwiseDifference(f, finite, { lr: 0.16, momentum: 0, divergedAt: 17 }), 0);
  assert.equal(stepwiseDifference(f, finite.slice(0, 10), { lr: 0.16, momentum: 0, divergedAt: 10 }), Infinity,
    "a divergence where the rule stays healthy is a disagreement");
});
