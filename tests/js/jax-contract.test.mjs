// The page's runs against JAX's, in node: tests/js/fixtures/jax-runs.json holds lib.descend's runs
// (30 steps) on every explorer surface with the JavaScript SymPy printed for it;
// tests/explorer/test_symbolic_surfaces.py keeps the fixture equal to what lib computes now (and runs the
// same comparison on many more settings, calling node itself). `node --test tests/js/`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { descend, makeLoss, stepwiseDifference } from "../../lib/explorer/explorer-helpers.js";

const FIXTURE = JSON.parse(readFileSync(new URL("./fixtures/jax-runs.json", import.meta.url), "utf8"));

for (const run of FIXTURE.runs) {
  const { lr, momentum, nesterov } = run.settings;
  test(`${run.surface} at α = ${lr}, μ = ${momentum}${nesterov ? ", Nesterov" : ""}: the page's run is JAX's`, () => {
    const f = makeLoss(run.engine);
    const mine = descend(f, run.x0, run.settings);
    const scale = Math.max(...run.points.map(([a, b]) => Math.hypot(a, b)));
    let worst = 0;
    run.points.forEach(([a, b], k) => {
      worst = Math.max(worst, Math.hypot(mine.points[2 * k] - a, mine.points[2 * k + 1] - b));
      assert.ok(Math.abs(mine.losses[k] - run.losses[k]) <= 1e-12 * Math.max(...run.losses.map(Math.abs)));
    });
    assert.ok(worst <= 1e-12 * scale, `largest difference ${worst / scale} of the run's size`);
    assert.equal(mine.divergedAt, -1);
    assert.ok(stepwiseDifference(f, run.points, run.settings) <= 1e-14, "each step too");
  });
}
