// Unit tests of the explorer's pure front-end helpers: `node --test tests/js/` (make test-js).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  clipSegment, decodeFloat32, FAR, formatNumber, keySteps, lrFromPosition, momentumFromPosition,
  pathData, positionFromLr, positionFromMomentum, valueAfterKey,
} from "../../lib/explorer/explorer-helpers.js";

// The view of Explorer(surfaces.two_weight_net()): 25 × 11 grid, 40 and 20 positions per cell.
const VIEW = {
  lr_range: [0.005, 0.8], lr_positions: 960, lr_cell: 40,
  momentum_max: 0.99, momentum_positions: 200, momentum_cell: 20,
};

function press(key, slider, shiftKey = false) {
  return valueAfterKey({ key, shiftKey }, slider);
}

test("an arrow key in a kernel moves α by half a grid cell: a step a reader can see", () => {
  const steps = keySteps({ positions: VIEW.lr_positions, cell: VIEW.lr_cell, live: true });
  assert.deepEqual(steps, { fine: 20, coarse: 80 });
  const slider = { value: 480, min: 0, max: 960, snap: 1, ...steps };
  const after = press("ArrowRight", slider);
  assert.equal(after, 500);
  const ratio = lrFromPosition(VIEW, after) / lrFromPosition(VIEW, 480);
  assert.ok(ratio > 1.1 && ratio < 1.12, `α × ${ratio} per press`);  // 160^(1/48)
  assert.equal(press("ArrowLeft", slider), 460);
  assert.equal(press("ArrowUp", slider), 500);
  assert.equal(press("ArrowDown", slider), 460);
});

test("PageUp/PageDown and Shift+arrows move two grid cells; Home and End go to the ends", () => {
  const slider = { value: 480, min: 0, max: 960, snap: 1,
                   ...keySteps({ positions: 960, cell: 40, live: true }) };
  assert.equal(press("PageUp", slider), 560);
  assert.equal(press("PageDown", slider), 400);
  assert.equal(press("ArrowRight", slider, true), 560);
  assert.equal(press("ArrowLeft", slider, true), 400);
  assert.equal(press("Home", slider), 0);
  assert.equal(press("End", slider), 960);
});

test("on the static site one key press is one grid cell", () => {
  const steps = keySteps({ positions: 960, cell: 40, live: false });
  assert.deepEqual(steps, { fine: 40, coarse: 80 });
  const slider = { value: 480, min: 0, max: 960, snap: 40, ...steps };
  assert.equal(press("ArrowRight", slider), 520);
  assert.equal(press("PageDown", slider), 400);
  // A value between cells (set live, then the kernel went away) lands back on a cell.
  assert.equal(press("ArrowRight", { ...slider, value: 470 }), 520);
  assert.equal(press("ArrowLeft", { ...slider, value: 470 }), 440);
});

test("momentum: half a cell live, a cell static", () => {
  assert.deepEqual(keySteps({ positions: 200, cell: 20, live: true }), { fine: 10, coarse: 40 });
  assert.deepEqual(keySteps({ positions: 200, cell: 20, live: false }), { fine: 20, coarse: 40 });
});

test("a slider without a grid (steps shown) moves 1, or a tenth of its range", () => {
  const steps = keySteps({ positions: 99 });
  assert.deepEqual(steps, { fine: 1, coarse: 10 });
  const slider = { value: 50, min: 1, max: 100, snap: 1, ...steps };
  assert.equal(press("ArrowRight", slider), 51);
  assert.equal(press("PageUp", slider), 60);
});

test("moves stop at the ends and other keys are not slider keys", () => {
  const slider = { value: 950, min: 0, max: 960, snap: 1, fine: 20, coarse: 80 };
  assert.equal(press("ArrowRight", slider), 960);
  assert.equal(press("PageDown", { ...slider, value: 30 }), 0);
  assert.equal(press("Tab", slider), null);
  assert.equal(press("a", slider), null);
});

test("slider positions and values are inverse, at the ends exactly", () => {
  assert.equal(lrFromPosition(VIEW, 0), 0.005);
  assert.equal(lrFromPosition(VIEW, 960), 0.8);
  for (const p of [1, 37, 480, 959]) assert.equal(positionFromLr(VIEW, lrFromPosition(VIEW, p)), p);
  assert.equal(momentumFromPosition(VIEW, 0), 0);
  assert.equal(momentumFromPosition(VIEW, 200), 0.99);
  for (const p of [1, 20, 100, 199]) {
    assert.equal(positionFromMomentum(VIEW, momentumFromPosition(VIEW, p)), p);
  }
  // μ is log-spaced in 1 − μ: the cell at 180 of 200 is 1 − 0.01^0.9 ≈ 0.984.
  assert.ok(Math.abs(momentumFromPosition(VIEW, 180) - (1 - 0.01 ** 0.9)) < 1e-15);
});

test("formatNumber keeps three significant digits and switches to exponents far from 1", () => {
  assert.equal(formatNumber(0), "0");
  assert.equal(formatNumber(0.123456), "0.123");
  assert.equal(formatNumber(12345), "1.23e4");
  assert.equal(formatNumber(0.0001234), "1.23e-4");
  assert.equal(formatNumber(NaN), "NaN");
});

test("decodeFloat32 reads little-endian float32 base64, as the Python side writes it", () => {
  const values = new Float32Array([1.5, -2, 0.25]);
  const base64 = Buffer.from(values.buffer).toString("base64");
  assert.deepEqual(Array.from(decodeFloat32(base64)), [1.5, -2, 0.25]);
});

test("clipSegment keeps segments inside the far box and cuts those leaving it", () => {
  assert.deepEqual(clipSegment([0, 0], [10, 10], 100, 100), [[0, 0], [10, 10], false]);
  const cut = clipSegment([0, 0], [1e6, 0], 100, 100);
  assert.equal(cut[1][0], 100 + FAR);
  assert.ok(FAR >= 20 && FAR <= 100, "wider than a stroke, small enough that a print stays small");
  assert.equal(cut[2], true);
  assert.equal(clipSegment([-1e6, -30000], [1e6, -30000], 100, 100), null);
});

test("pathData draws through the points at 0.1 px and lifts the pen across clipped gaps", () => {
  assert.equal(pathData([], 100, 100), "");
  assert.equal(pathData([[1.234, 5.678]], 100, 100), "M1.2,5.7");
  assert.equal(pathData([[0, 0], [10, 10], [20, 0]], 100, 100), "M0,0L10,10L20,0");
  const far = pathData([[0, 0], [1e6, 0], [10, 10]], 100, 100);
  // Out to the far edge, then the pen comes back in at the clipped point of the return leg.
  assert.equal(far, "M0,0L140,0M140,10L10,10");
});

test("explorer.js loads as an ES module and exports an anywidget render function", async () => {
  const module = await import("../../lib/explorer/explorer.js");
  assert.equal(typeof module.default.render, "function");
});
