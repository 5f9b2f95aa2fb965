// Unit tests of the explorer's helpers for its list of runs: `node --test tests/js/` (make test-js).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  markerPath, RUN_STYLES, stepsLegend, trajectoryMatches, withRun,
} from "../../lib/explorer/explorer-helpers.js";

const RUNS = [
  { lr: 0.05, momentum: 0, nesterov: false },
  { lr: 0.05, momentum: 0.9, nesterov: false },
];

test("withRun changes one run in a new list and keeps the others as they were", () => {
  const after = withRun(RUNS, 1, { momentum: 0.5 });
  assert.notEqual(after, RUNS, "a new list: the model sees a new value");
  assert.deepEqual(after[1], { lr: 0.05, momentum: 0.5, nesterov: false });
  assert.equal(after[0], RUNS[0], "the other run keeps its object");
  assert.deepEqual(RUNS[1], { lr: 0.05, momentum: 0.9, nesterov: false }, "the old list is not mutated");
  assert.throws(() => withRun(RUNS, 2, { lr: 0.1 }), RangeError);
  assert.throws(() => withRun(RUNS, -1, { lr: 0.1 }), RangeError);
  assert.throws(() => withRun(RUNS, 0.5, { lr: 0.1 }), RangeError);
});

test("an exact trajectory is drawn only for the settings it was computed at", () => {
  const exact = { lr: 0.05, momentum: 0.9, nesterov: false, points: [[1, 2]] };
  assert.equal(trajectoryMatches(exact, RUNS[1]), true);
  assert.equal(trajectoryMatches(exact, RUNS[0]), false);
  assert.equal(trajectoryMatches(exact, { ...RUNS[1], nesterov: true }), false);
  assert.equal(trajectoryMatches(exact, { ...RUNS[1], lr: 0.05 * (1 + 1e-15) }), false);
  assert.equal(trajectoryMatches({ ...exact, points: undefined }, RUNS[1]), false);
  assert.equal(trajectoryMatches(undefined, RUNS[1]), false);
  assert.equal(trajectoryMatches(exact, undefined), false);
});

test("each run differs from the others in colour, line and marker, not in colour alone", () => {
  for (const key of ["name", "color", "dash", "line", "marker", "symbol"]) {
    assert.equal(new Set(RUN_STYLES.map((style) => style[key])).size, RUN_STYLES.length, key);
  }
  assert.deepEqual(RUN_STYLES.map((style) => style.name), ["A", "B", "C"]);
});

test("run colours keep 3:1 contrast against the white plot background (WCAG, graphics)", () => {
  const luminance = (hex) => {
    const channel = (i) => {
      const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  };
  const contrast = (a, b) => {
    const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (light + 0.05) / (dark + 0.05);
  };
  for (const style of RUN_STYLES) {
    const ratio = contrast(style.color, "#ffffff");
    assert.ok(ratio >= 3, `${style.name} on white: ${ratio.toFixed(2)}`);
  }
});

test("markers are closed paths centred on the point", () => {
  assert.match(markerPath("circle", 10, 20), /^M5,20a5,5 0 1,0 10,0a5,5 0 1,0 -10,0Z$/);
  assert.equal(markerPath("square", 10, 20), "M5.5,15.5h9v9h-9Z");
  const triangle = markerPath("triangle", 10, 20);
  assert.match(triangle, /^M10,13\.8L15\.37,23\.1L4\.63,23\.1Z$/);
  assert.throws(() => markerPath("hexagon", 0, 0), RangeError);
});

test("the shared steps slider is labelled by the number of runs", () => {
  assert.equal(stepsLegend(1), "Length shown");
  assert.equal(stepsLegend(2), "Both runs");
  assert.equal(stepsLegend(3), "All runs");
});
