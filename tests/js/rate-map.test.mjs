// Unit tests of the rate map's pure helpers (lib/explorer/explorer-helpers.js): `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DIVERGED_RGB, lrFromPosition, mapKeyAxis, mapPixelFromValues, mapPixels, momentumFromPosition,
  positionsFromMapPixel, rateColor, rateReadout, regimeName, REGIME_RGB, viridis,
} from "../../lib/explorer/explorer-helpers.js";

// The view of Explorer(surfaces.ravine(kappa=25), rate_map=True): lr_range (0.02/κ, 4/κ).
const VIEW = {
  lr_range: [0.0008, 0.16], lr_positions: 960, lr_cell: 40,
  momentum_max: 0.99, momentum_positions: 200, momentum_cell: 20,
};
const BOX = { width: 440, height: 260 };
const NAMES = ["monotone", "ripples", "sign-flipping", "divergent"];

test("the map's corners are the ends of the sliders", () => {
  assert.deepEqual(positionsFromMapPixel(VIEW, BOX, 0, BOX.height), { lr: 0, momentum: 0 });
  assert.deepEqual(positionsFromMapPixel(VIEW, BOX, BOX.width, 0), { lr: 960, momentum: 200 });
  assert.deepEqual(positionsFromMapPixel(VIEW, BOX, BOX.width / 2, BOX.height / 2), { lr: 480, momentum: 100 });
  // A drag past the edges stays on the sliders.
  assert.deepEqual(positionsFromMapPixel(VIEW, BOX, -50, 900), { lr: 0, momentum: 0 });
  assert.deepEqual(positionsFromMapPixel(VIEW, BOX, 900, -50), { lr: 960, momentum: 200 });
});

test("pixel → slider positions → (α, μ) → pixel comes back to the same point", () => {
  for (const [x, y] of [[10, 250], [123.4, 77.7], [300, 5], [439, 130]]) {
    const positions = positionsFromMapPixel(VIEW, BOX, x, y);
    const lr = lrFromPosition(VIEW, positions.lr), mu = momentumFromPosition(VIEW, positions.momentum);
    const [px, py] = mapPixelFromValues(VIEW, BOX, lr, mu);
    // Rounding to a slider position moves a point by at most half a position.
    assert.ok(Math.abs(px - x) <= BOX.width / 960 / 2 + 1e-9, `${px} vs ${x}`);
    assert.ok(Math.abs(py - y) <= BOX.height / 200 / 2 + 1e-9, `${py} vs ${y}`);
  }
  const [x0, y0] = mapPixelFromValues(VIEW, BOX, 0.0008, 0);
  assert.equal(x0, 0);
  assert.equal(y0, BOX.height);
  const [x1, y1] = mapPixelFromValues(VIEW, BOX, 0.16, 0.99);
  assert.ok(Math.abs(x1 - BOX.width) < 1e-9 && Math.abs(y1) < 1e-9);
  // μ = 0.9 sits half way up: the μ axis is log-spaced in 1 − μ, like the slider.
  assert.ok(Math.abs(mapPixelFromValues(VIEW, BOX, 0.01, 0.9)[1] - BOX.height / 2) < 1e-9);
});

test("arrow keys on the map: left/right move α, up/down and Page keys μ, others nothing", () => {
  assert.equal(mapKeyAxis("ArrowLeft"), "lr");
  assert.equal(mapKeyAxis("ArrowRight"), "lr");
  assert.equal(mapKeyAxis("ArrowUp"), "momentum");
  assert.equal(mapKeyAxis("PageDown"), "momentum");
  assert.equal(mapKeyAxis("Tab"), null);
  assert.equal(mapKeyAxis("a"), null);
});

test("the colour scale: viridis ends, dark = fast, grey where the run does not converge", () => {
  assert.deepEqual(viridis(0), [68, 1, 84]);
  assert.deepEqual(viridis(1), [253, 231, 37]);
  assert.deepEqual(viridis(-3), viridis(0));
  assert.deepEqual(viridis(Number.NaN), viridis(0));
  const range = [0.68, 0.999];
  assert.deepEqual(rateColor(0.68, range), viridis(0));
  assert.deepEqual(rateColor(0.999, range), viridis(1));
  const brightness = (rgb) => rgb[0] + rgb[1] + rgb[2];
  assert.ok(brightness(rateColor(0.8, range)) < brightness(rateColor(0.95, range)), "slower is lighter");
  for (const rate of [1, 1.5, Infinity, Number.NaN]) assert.deepEqual(rateColor(rate, range), DIVERGED_RGB);
  // The neutral grey is not a viridis colour.
  for (let t = 0; t <= 1; t += 0.01) assert.notDeepEqual(viridis(t), DIVERGED_RGB);
});

test("regime names and the readout text", () => {
  assert.equal(regimeName(1, NAMES), "ripples");
  assert.equal(regimeName(3, NAMES), "divergent");
  assert.equal(regimeName(7, NAMES), "unknown");
  assert.equal(regimeName(undefined, NAMES), "unknown");
  assert.equal(rateReadout(0.8123, "ripples"), "rate 0.812 per step, ripples");
  assert.equal(rateReadout(0.81, "monotone"), "rate 0.81 per step, monotone");
});

test("map pixels: one RGBA pixel per cell, μ = 0 in the bottom row", () => {
  // 3 α × 2 μ cells; row 0 (μ low) is drawn last (canvas rows go down).
  const rates = new Float32Array([0.9, 0.95, 1.2, 0.7, 0.8, 0.99]);
  const codes = "013120";
  const rate = mapPixels(rates, codes, 3, 2, "rate", [0.7, 0.99]);
  assert.equal(rate.length, 24);
  const pixel = (pixels, column, canvasRow) => Array.from(pixels.slice(4 * (canvasRow * 3 + column), 4 * (canvasRow * 3 + column) + 3));
  assert.deepEqual(pixel(rate, 0, 0), rateColor(0.7, [0.7, 0.99]));  // top-left: row 1, column 0
  assert.deepEqual(pixel(rate, 2, 1), DIVERGED_RGB);                  // bottom-right: rate 1.2
  assert.ok(rate.every((value, i) => i % 4 !== 3 || value === 255));
  const regime = mapPixels(rates, codes, 3, 2, "regime", [0.7, 0.99]);
  assert.deepEqual(pixel(regime, 0, 1), REGIME_RGB[0]);
  assert.deepEqual(pixel(regime, 1, 1), REGIME_RGB[1]);
  assert.deepEqual(pixel(regime, 2, 1), DIVERGED_RGB);
  assert.deepEqual(pixel(regime, 0, 0), REGIME_RGB[1]);
  assert.deepEqual(pixel(regime, 1, 0), REGIME_RGB[2]);
});
