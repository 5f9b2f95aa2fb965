// Pure helpers of the explorer's front end (lib/explorer/explorer.js): numbers in, numbers or
// strings out, no DOM. lib/explorer/widget.py inlines this module into the widget's `_esm`
// (an anywidget module arrives as one string, so it cannot import a second file);
// tests/js/ imports it directly with `node --test`.

// Plot units beyond the plot box where a path is cut. The plot clips the rest anyway, and
// printing pays for every unit drawn: Chromium prints each dash of a dashed stroke as its
// own shape (a diverging dotted run once took 22 MB of PDF with a 20,000-unit margin).
// 40 is wider than any stroke or line join, so what is seen does not change.
export const FAR = 40;

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

// ------------------------------------------------------------------ the rate map
// The map's axes are the sliders' axes: x is the fraction u of the α slider (α log-spaced over
// lr_range), y the fraction v of the μ slider (μ evenly spaced in log(1 − μ) from 0 to
// momentum_max), with v = 0 at the bottom. `box` is { width, height } in plot pixels.

// Plot pixel → slider positions, clamped to the plot (a drag may leave it).
export function positionsFromMapPixel(view, box, x, y) {
  const u = Math.min(1, Math.max(0, x / box.width));
  const v = Math.min(1, Math.max(0, 1 - y / box.height));
  return { lr: Math.round(u * view.lr_positions), momentum: Math.round(v * view.momentum_positions) };
}

// (α, μ) → plot pixel; values outside the sliders' ranges land outside the box.
export function mapPixelFromValues(view, box, lr, mu) {
  const [low, high] = view.lr_range;
  const u = Math.log(lr / low) / Math.log(high / low);
  const v = mu >= 1 ? Infinity : Math.log(1 - mu) / Math.log(1 - view.momentum_max);
  return [u * box.width, (1 - v) * box.height];
}

// Which slider an arrow key moves on the map: left/right α, up/down μ (PageUp/PageDown too).
export function mapKeyAxis(key) {
  if (key === "ArrowLeft" || key === "ArrowRight") return "lr";
  if (key === "ArrowUp" || key === "ArrowDown" || key === "PageUp" || key === "PageDown") return "momentum";
  return null;
}

// Viridis (matplotlib's perceptually uniform, colour-blind-safe map) at 9 stops.
const VIRIDIS = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];
export const DIVERGED_RGB = [200, 200, 200]; // neutral grey: not part of viridis
// Okabe–Ito colours for monotone, ripples, sign-flipping; divergent is the grey above.
export const REGIME_RGB = [[86, 180, 233], [230, 159, 0], [0, 158, 115], DIVERGED_RGB];

export function viridis(t) {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x)), f = x - i;
  return VIRIDIS[i].map((c, k) => Math.round(c + f * (VIRIDIS[i + 1][k] - c)));
}

// Colour of a rate: grey when it does not converge (rate ≥ 1 or not finite); otherwise
// viridis on a log scale of 1 − rate between [fastest, slowest] of the map: dark = fast.
export function rateColor(rate, [fastest, slowest]) {
  if (!(rate < 1)) return DIVERGED_RGB;
  const top = Math.log(1 - Math.min(fastest, 1 - 1e-12)), bottom = Math.log(1 - Math.min(slowest, 1 - 1e-12));
  if (!(top > bottom)) return viridis(0);
  return viridis((top - Math.log(1 - rate)) / (top - bottom));
}

export function regimeName(code, names) {
  return Number.isInteger(code) && code >= 0 && code < names.length ? names[code] : "unknown";
}

// "rate 0.81 per step, ripples"
export function rateReadout(rate, regime) {
  return `rate ${formatNumber(rate, 3)} per step, ${regime}`;
}

// The map as RGBA pixels, one per cell, top row first (canvas order); `codes` is the
// regime string of the rate_map trait, `rates` its decoded Float32Array (row 0 at μ = 0).
export function mapPixels(rates, codes, nLr, nMomentum, mode, colorRange) {
  const pixels = new Uint8ClampedArray(4 * nLr * nMomentum);
  for (let row = 0; row < nMomentum; row++) {
    for (let col = 0; col < nLr; col++) {
      const cell = row * nLr + col;
      const rgb = mode === "regime" ? REGIME_RGB[Number(codes[cell])] || DIVERGED_RGB : rateColor(rates[cell], colorRange);
      const at = 4 * ((nMomentum - 1 - row) * nLr + col);
      pixels[at] = rgb[0]; pixels[at + 1] = rgb[1]; pixels[at + 2] = rgb[2]; pixels[at + 3] = 255;
    }
  }
  return pixels;
}

export function cssColor(rgb) {
  return `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
}

// ------------------------------------------------------------------ runs (a list of settings)

// How each run is told apart without colour: its line (dash pattern) and its marker shape.
export const RUN_STYLES = [
  { name: "A", color: "#0072B2", dash: "", line: "solid", marker: "circle", symbol: "●" },
  { name: "B", color: "#D55E00", dash: "7 4", line: "dashed", marker: "square", symbol: "■" },
  { name: "C", color: "#007A5A", dash: "2 3", line: "dotted", marker: "triangle", symbol: "▲" },
];

// A new list of run settings with run `index` changed: the model notices a new value, not a
// mutation of the old one, and the other runs keep their objects.
export function withRun(runs, index, changes) {
  if (!Number.isInteger(index) || index < 0 || index >= runs.length) {
    throw new RangeError(`run index must be in [0, ${runs.length - 1}], got ${index}`);
  }
  return runs.map((settings, i) => (i === index ? { ...settings, ...changes } : settings));
}

// Does the exact trajectory held for a run belong to its current settings?
export function trajectoryMatches(trajectory, settings) {
  return Boolean(trajectory && trajectory.points && settings)
    && trajectory.lr === settings.lr && trajectory.momentum === settings.momentum
    && trajectory.nesterov === settings.nesterov;
}

// SVG path data of a run's marker centred at (x, y): a circle, a square or a triangle of
// about the same area.
export function markerPath(shape, x, y) {
  const f = (v) => Number(v.toFixed(2));
  if (shape === "circle") {
    const r = 5;
    return `M${f(x - r)},${f(y)}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0Z`;
  }
  if (shape === "square") {
    const h = 4.5;
    return `M${f(x - h)},${f(y - h)}h${2 * h}v${2 * h}h${-2 * h}Z`;
  }
  if (shape === "triangle") {
    const r = 6.2; // circumradius: the side is 10.7, the area close to the square's
    const dx = r * Math.sqrt(3) / 2;
    return `M${f(x)},${f(y - r)}L${f(x + dx)},${f(y + r / 2)}L${f(x - dx)},${f(y + r / 2)}Z`;
  }
  throw new RangeError(`unknown marker shape ${shape}`);
}

// The legend of the shared steps slider, by the number of runs.
export function stepsLegend(count) {
  return count === 1 ? "Length shown" : count === 2 ? "Both runs" : "All runs";
}

// ------------------------------------------------------------------ computing runs in the page
// A surface written in SymPy (lib.models.symbolic_surfaces) reaches the page as JavaScript expressions
// of its loss and gradient in w1, w2 (SymPy's printer). The page runs gradient descent on them
// in float64, with exactly the rule and the divergence test of lib.optim (lib.momentum, lib.optimize).

// σ(z) = 1/(1 + e^{−z}), as jax.nn.sigmoid computes it.
export function sigmoid(z) {
  return 1 / (1 + Math.exp(-z));
}

// (w1, w2) → [f, ∂f/∂w1, ∂f/∂w2] from the `engine` entry of the view: { loss, grad: [g1, g2] }.
export function makeLoss(engine) {
  const body = `"use strict"; return [${engine.loss}, ${engine.grad[0]}, ${engine.grad[1]}];`;
  const compiled = new Function("w1", "w2", "sigmoid", body);
  return (w1, w2) => compiled(w1, w2, sigmoid);
}

// lib.optim.driver's scan for lib.descend: gradient descent with heavy-ball (or Nesterov)
// momentum, p ← μp − α∇f(θ); step = p (heavy ball) or μp − α∇f(θ) (Nesterov); θ ← θ + step.
// Row k is θ_k and f(θ_k), k = 0 … steps. A run is alive while θ is finite, ‖θ‖ ≤ maxNorm and
// f(θ) is finite; from the first row where it is not (divergedAt) it is frozen and its rows are
// NaN. Returns { points: Float64Array(2(steps+1)), losses: Float64Array(steps+1), divergedAt }
// (divergedAt = -1 when the run stays alive).
export function descend(valueAndGrad, x0, { lr, momentum, nesterov = false, steps, maxNorm = 1e8 }) {
  const points = new Float64Array(2 * (steps + 1)), losses = new Float64Array(steps + 1);
  let x1 = x0[0], x2 = x0[1], p1 = 0, p2 = 0, alive = true, divergedAt = -1;
  for (let k = 0; k <= steps; k++) {
    const [loss, g1, g2] = valueAndGrad(x1, x2);
    alive = alive && Number.isFinite(x1) && Number.isFinite(x2)
      && Math.sqrt(x1 * x1 + x2 * x2) <= maxNorm && Number.isFinite(loss);
    if (!alive) {
      if (divergedAt < 0) divergedAt = k;
      points[2 * k] = NaN; points[2 * k + 1] = NaN; losses[k] = NaN;
      continue;
    }
    points[2 * k] = x1; points[2 * k + 1] = x2; losses[k] = loss;
    if (k === steps) break;
    const v1 = momentum * p1 - lr * g1, v2 = momentum * p2 - lr * g2;
    const s1 = nesterov ? momentum * v1 - lr * g1 : v1, s2 = nesterov ? momentum * v2 - lr * g2 : v2;
    x1 += s1; x2 += s2; p1 = v1; p2 = v2;
  }
  return { points, losses, divergedAt };
}

// lib.theory.quadratic.momentum_regimes at one (α, μ): the rate (largest root modulus of
// z² − (1 + μ − αλ)z + μ over the spectrum) and the regime of the direction that sets it:
// 0 monotone, 1 ripples, 2 sign-flipping, 3 divergent (rate ≥ 1).
export function momentumRegime(lr, momentum, eigenvalues) {
  let rate = -Infinity, regime = 0;
  for (const lam of eigenvalues) {
    const trace = (1 + momentum) - lr * lam;
    const discriminant = trace * trace - 4 * momentum;
    const root = Math.sqrt(Math.abs(discriminant));
    const radius = discriminant >= 0
      ? Math.max(Math.abs(trace + root), Math.abs(trace - root)) / 2 : Math.sqrt(momentum);
    if (radius > rate) {
      rate = radius;
      regime = discriminant < 0 ? 1 : trace < 0 ? 2 : 0;
    }
  }
  return { rate, regime: rate >= 1 ? 3 : regime };
}

// ------------------------------------------------------------------ slider ladders
// With a computed surface a slider position is a value, and the value is the one computed and
// shown: α = low·(high/low)^(p/N) and 1 − μ = (1 − μmax)^(p/N), each rounded to three
// significant digits (so the label is the value, not an approximation of it), the ends exact.
// A run's starting value sits at its nearest position (its anchor), so moving away and back
// returns to exactly that value.

function roundSignificant(value, digits = 3) {
  return Number(value.toPrecision(digits));
}

export function ladderLr(view, p, anchor = null) {
  const [low, high] = view.lr_range, n = view.lr_positions;
  if (anchor !== null && p === positionFromLr(view, anchor)) return anchor;
  if (p <= 0) return low;
  if (p >= n) return high;
  return Math.min(high, Math.max(low, roundSignificant(low * Math.pow(high / low, p / n))));
}

export function ladderMomentum(view, p, anchor = null) {
  const n = view.momentum_positions;
  if (anchor !== null && p === positionFromMomentum(view, anchor)) return anchor;
  if (p <= 0) return 0;
  if (p >= n) return view.momentum_max;
  const rest = roundSignificant(Math.pow(1 - view.momentum_max, p / n));
  const decimals = Math.max(0, 2 - Math.floor(Math.log10(rest)));
  return Math.min(view.momentum_max, Number((1 - rest).toFixed(decimals)));
}

// A value as the page shows it: the shortest decimal that reads back as the same number, or
// six significant digits for a value that needs more (a start value such as 0.1 + 0.2).
export function exactLabel(value) {
  const shortest = String(value);
  return shortest.replace(/^-?0\./, "").length <= 8 ? shortest : String(Number(value.toPrecision(6)));
}

// Where a path that ends outside the plot box [0, W] × [0, H] (pixels) last crossed its edge:
// the point on the box's boundary of the last segment that goes from inside to outside, or
// null when the path never left or ends inside. Used to put a diverged run's ✕ where it left.
export function exitPoint(pixels, width, height) {
  const inside = ([x, y]) => x >= 0 && x <= width && y >= 0 && y <= height;
  if (pixels.length === 0 || inside(pixels[pixels.length - 1])) return null;
  for (let k = pixels.length - 1; k > 0; k--) {
    const p = pixels[k - 1], q = pixels[k];
    if (!inside(p)) continue;
    // p inside, q outside: the largest t in [0, 1] with p + t(q − p) in the box.
    let t = 1;
    const d = [q[0] - p[0], q[1] - p[1]];
    for (const [delta, start, limit] of [[d[0], p[0], width], [d[1], p[1], height]]) {
      if (delta > 0) t = Math.min(t, (limit - start) / delta);
      else if (delta < 0) t = Math.min(t, -start / delta);
    }
    return [p[0] + t * d[0], p[1] + t * d[1]];
  }
  return null;
}

// Does a run computed elsewhere (the kernel's lib.descend) follow this page's rule step by step?
// From each of its points θ_k (and the velocity the rule builds along them) the page takes one
// step and compares with θ_{k+1}: the largest difference relative to the run's size (max ‖θ_k‖).
// One step at a time, so that rounding (JAX fuses a multiply and an add where JavaScript
// rounds twice) is not amplified by a run that is itself sensitive to it, as a whole-run
// comparison would be. `points` holds the finite rows [[w1, w2], …]; `divergedAt` the first
// row that is not (-1 or null when none): the page's step from the row before must leave the
// healthy region there too. Returns Infinity when the two disagree on that.
export function stepwiseDifference(valueAndGrad, points, { lr, momentum, nesterov = false, maxNorm = 1e8, divergedAt = -1 }) {
  let p1 = 0, p2 = 0, worst = 0, scale = 1e-300;
  for (const [a, b] of points) scale = Math.max(scale, Math.hypot(a, b));
  const stop = divergedAt !== null && divergedAt >= 0 ? divergedAt : points.length;
  for (let k = 0; k < stop; k++) {
    const [x1, x2] = points[k];
    const [, g1, g2] = valueAndGrad(x1, x2);
    const v1 = momentum * p1 - lr * g1, v2 = momentum * p2 - lr * g2;
    const s1 = nesterov ? momentum * v1 - lr * g1 : v1, s2 = nesterov ? momentum * v2 - lr * g2 : v2;
    const y1 = x1 + s1, y2 = x2 + s2;
    if (k + 1 < points.length) {
      worst = Math.max(worst, Math.hypot(y1 - points[k + 1][0], y2 - points[k + 1][1]));
    } else if (k + 1 === stop && divergedAt !== null && divergedAt >= 0) {
      const [loss] = valueAndGrad(y1, y2);
      const healthy = Number.isFinite(y1) && Number.isFinite(y2) && Number.isFinite(loss)
        && Math.hypot(y1, y2) <= maxNorm * (1 - 1e-9);
      if (healthy) return Infinity;
    }
    p1 = v1; p2 = v2;
  }
  return worst / scale;
}
