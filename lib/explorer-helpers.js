// Pure helpers of the explorer's front end (lib/explorer.js): numbers in, numbers or
// strings out, no DOM. lib/explorers.py inlines this module into the widget's `_esm`
// (an anywidget module arrives as one string, so it cannot import a second file);
// tests/js/ imports it directly with `node --test`.

export const FAR = 20000; // plot units; segments beyond are clipped so SVG coordinates stay sane

export function formatNumber(value, digits = 3) {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e4 || magnitude < 1e-3) return value.toExponential(digits - 1).replace("e+", "e");
  return String(Number(value.toPrecision(digits)));
}

export function decodeFloat32(base64) {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

// ------------------------------------------------------------------ slider positions ↔ values
// `view` is the widget's `view` trait: α is log-spaced over lr_range on positions
// 0 … lr_positions; μ is log-spaced in 1 − μ on 0 … momentum_positions.

export function lrFromPosition(view, p) {
  const [low, high] = view.lr_range;
  if (p <= 0) return low;
  if (p >= view.lr_positions) return high;
  return low * Math.pow(high / low, p / view.lr_positions);
}

export function positionFromLr(view, lr) {
  const [low, high] = view.lr_range;
  return Math.round(view.lr_positions * Math.log(lr / low) / Math.log(high / low));
}

export function momentumFromPosition(view, p) {
  if (p <= 0) return 0;
  if (p >= view.momentum_positions) return view.momentum_max;
  return 1 - Math.pow(1 - view.momentum_max, p / view.momentum_positions);
}

export function positionFromMomentum(view, mu) {
  return Math.round(view.momentum_positions * Math.log(1 - mu) / Math.log(1 - view.momentum_max));
}

// ------------------------------------------------------------------ keyboard steps
// A slider has `positions` fine positions (the mouse reaches every one of them in a
// kernel) and a precomputed grid every `cell` positions. A key press must move a step a
// reader can see:
//   static page (no kernel): arrows move one grid cell — the only values there are;
//   live (kernel):           arrows move half a grid cell (α: 1/48 of the slider,
//                            ×1.11 on the default 160:1 range), between the grid values;
//   both:                    PageUp/PageDown and Shift+arrows move two grid cells,
//                            Home/End go to the ends.
// A slider without a grid (the steps slider) moves 1 with the arrows and a tenth of its
// range with PageUp/PageDown and Shift+arrows.

export function keySteps({ positions, cell = 0, live = false }) {
  if (cell > 0) {
    const fine = live ? Math.max(1, Math.round(cell / 2)) : cell;
    return { fine, coarse: Math.min(2 * cell, Math.max(fine, positions)) };
  }
  return { fine: 1, coarse: Math.max(1, Math.round(positions / 10)) };
}

const DIRECTIONS = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 1, PageDown: -1 };

// The slider value after a key press, or null when the key is not a slider key.
// `value`, `min`, `max` are numbers; `snap` is the granularity values land on (the
// input's `step`); `fine` and `coarse` come from keySteps.
export function valueAfterKey({ key, shiftKey = false }, { value, min, max, snap = 1, fine, coarse }) {
  let target;
  if (key === "Home") target = min;
  else if (key === "End") target = max;
  else if (key in DIRECTIONS) {
    const large = key === "PageUp" || key === "PageDown" || shiftKey;
    target = value + DIRECTIONS[key] * (large ? coarse : fine);
  } else {
    return null;
  }
  const snapped = min + Math.round((target - min) / snap) * snap;
  return Math.min(max, Math.max(min, snapped));
}

// ------------------------------------------------------------------ drawing
// Liang–Barsky: the part of segment p→q inside [-FAR, W+FAR]×[-FAR, H+FAR], or null;
// the third entry says whether the segment was cut short at its end.
export function clipSegment(p, q, width, height) {
  const dx = q[0] - p[0], dy = q[1] - p[1];
  let t0 = 0, t1 = 1;
  const edges = [
    [-dx, p[0] + FAR], [dx, width + FAR - p[0]],
    [-dy, p[1] + FAR], [dy, height + FAR - p[1]],
  ];
  for (const [denominator, numerator] of edges) {
    if (denominator === 0) {
      if (numerator < 0) return null;
    } else {
      const t = numerator / denominator;
      if (denominator < 0) { if (t > t1) return null; if (t > t0) t0 = t; }
      else { if (t < t0) return null; if (t < t1) t1 = t; }
    }
  }
  return [[p[0] + t0 * dx, p[1] + t0 * dy], [p[0] + t1 * dx, p[1] + t1 * dy], t1 < 1];
}

// SVG path data through pixel points, 0.1 px precision, clipped far outside the plot.
export function pathData(pixels, width, height) {
  if (pixels.length === 0) return "";
  const r = (v) => Math.round(v * 10) / 10;
  if (pixels.length === 1) return `M${r(pixels[0][0])},${r(pixels[0][1])}`;
  let d = "", penDown = false;
  for (let k = 0; k + 1 < pixels.length; k++) {
    const clipped = clipSegment(pixels[k], pixels[k + 1], width, height);
    if (clipped === null) { penDown = false; continue; }
    const [a, b, cutEnd] = clipped;
    if (!penDown || a[0] !== pixels[k][0] || a[1] !== pixels[k][1]) d += `M${r(a[0])},${r(a[1])}`;
    d += `L${r(b[0])},${r(b[1])}`;
    penDown = !cutEnd;
  }
  return d;
}
