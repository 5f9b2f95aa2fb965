// Front end of lib.explorer.Explorer (an anywidget ES module).
//
// It draws; Python computes. Contours arrive as SVG path strings, trajectories
// either from the precomputed grid (static page) or exactly from the kernel
// (live). See the Python module docstring for the design. No libraries, no
// network: everything needed is in the widget state.

import {
  cssColor, decodeFloat32, descend, DIVERGED_RGB, exactLabel, exitPoint, formatNumber, keySteps,
  ladderLr, ladderMomentum, lrFromPosition, makeLoss, mapKeyAxis, mapPixelFromValues, mapPixels,
  markerPath, momentumFromPosition, momentumRegime, pathData, positionFromLr, positionFromMomentum,
  positionsFromMapPixel, rateReadout, regimeName, REGIME_RGB, RUN_STYLES, stepsLegend,
  stepwiseDifference, trajectoryMatches, valueAfterKey, viridis, withRun,
} from "./explorer-helpers.js";

const SVG_NS = "http://www.w3.org/2000/svg";
// Each run (A, B, C) has an Okabe–Ito colour, a dash pattern and a marker shape: RUN_STYLES.
const PING_TIMEOUT_MS = 1500;
// The kernel's run (lib.descend) and the page's rule (the same formulas in float64 JavaScript)
// differ by rounding at each step; more than this, relative to the run's size, is an error.
const AGREEMENT_TOLERANCE = 1e-9;
// Runs the page keeps computed (a slider dragged back and forth redraws from here).
const CACHE_SIZE = 64;
const LIVE_SEND_INTERVAL_MS = 30;
const MARGIN = { left: 48, right: 12, top: 12, bottom: 40 };
const MAP_MARGIN = { left: 66, right: 14, top: 12, bottom: 42 };

// Element ids must be unique on the page; each widget model imports its own copy of
// this module, so the counter lives on the global object.
function uniqueId() {
  globalThis.__optxViews = (globalThis.__optxViews || 0) + 1;
  return `optx-${globalThis.__optxViews}`;
}

function svg(tag, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (parent) parent.appendChild(node);
  return node;
}

function html(tag, attributes = {}, parent = null, text = null) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

// A five-pointed star centred at (x, y), outer radius r, inner radius q.
function starPath(x, y, r, q) {
  let d = "";
  for (let k = 0; k < 10; k++) {
    const radius = k % 2 === 0 ? r : q, angle = -Math.PI / 2 + k * Math.PI / 5;
    d += `${k === 0 ? "M" : "L"}${(x + radius * Math.cos(angle)).toFixed(1)},${(y + radius * Math.sin(angle)).toFixed(1)}`;
  }
  return `${d}Z`;
}

// A short line in the legend, solid or dashed, as the map draws its curves.
function lineSample(dash) {
  const sample = document.createElementNS(SVG_NS, "svg");
  sample.setAttribute("width", "26");
  sample.setAttribute("height", "10");
  sample.setAttribute("aria-hidden", "true");
  sample.setAttribute("class", "optx-map-line");
  svg("line", { x1: 1, x2: 25, y1: 5, y2: 5, stroke: "#111111", "stroke-width": 1.6, "stroke-dasharray": dash }, sample);
  return sample;
}

// Keyboard steps of a range input, done here rather than by the browser: JupyterLab
// swallows arrow keys inside notebook outputs, and a native arrow step (one fine
// position, 1/960 of the α slider) is too small to see. The step sizes are set on the
// input as data-fine / data-coarse (see keySteps in explorer-helpers.js).
function onSliderKey(event) {
  const input = event.currentTarget;
  const value = Number(input.value);
  const next = valueAfterKey(event, {
    value, min: Number(input.min), max: Number(input.max), snap: Number(input.step) || 1,
    fine: Number(input.dataset.fine) || 1, coarse: Number(input.dataset.coarse) || 1,
  });
  if (next === null) return;
  event.preventDefault();
  event.stopPropagation();
  if (next !== value) {
    input.value = String(next);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }
}

class ExplorerView {
  constructor(model, el) {
    this.model = model;
    this.el = el;
    this.id = uniqueId();
    this.live = false;
    this.drawCount = 0;
    this.pendingSave = null;
    this.lastSaveTime = 0;
    this.batching = false;
    this.grid = this.decodeGrid(model.get("grid"));
    // A surface written in SymPy comes with its loss and gradient as JavaScript: the page
    // computes every run itself, exactly at the values shown. Otherwise (any other loss) the
    // static page draws the precomputed grid.
    const engine = model.get("view").engine;
    this.valueAndGrad = engine ? makeLoss(engine) : null;
    this.computed = new Map();
    this.disagreements = new Map();
    const rateMap = model.get("rate_map");
    this.rateMap = rateMap && rateMap.rate ? { ...rateMap, rates: decodeFloat32(rateMap.rate) } : null;
    this.mapMode = "rate";
    this.build();
    this.listen();
    this.syncControlsFromModel();
    this.draw();
    this.ping();
    this.pingTimer = setTimeout(() => this.showMode(), PING_TIMEOUT_MS);
  }

  decodeGrid(grid) {
    if (!grid || !grid.points) return null;
    return {
      lrs: grid.lrs, momentums: grid.momentums, nesterov: grid.nesterov, steps: grid.steps,
      points: decodeFloat32(grid.points), losses: decodeFloat32(grid.losses),
      divergedAt: grid.diverged_at,
    };
  }

  // The runs are a list of settings {lr, momentum, nesterov}, fixed in number; run i is
  // drawn with RUN_STYLES[i] and has the i-th set of sliders.
  runCount() { return this.model.get("runs").length; }
  settings(run) { return this.model.get("runs")[run]; }

  // ---------------------------------------------------------------- building the DOM, once
  build() {
    const view = this.model.get("view");
    const W = view.width, H = view.height;
    const root = html("div", { class: "optx", role: "group", "aria-labelledby": `${this.id}-title` }, this.el);
    html("div", { class: "optx-title", id: `${this.id}-title` }, root, this.model.get("title"));
    html("p", { class: "optx-description" }, root, this.model.get("description"));

    const body = html("div", { class: `optx-body${this.rateMap ? " optx-with-map" : ""}` }, root);
    // The contour plot and, with a rate map, the map: side by side where there is room.
    const figures = html("div", { class: "optx-figures" }, body);
    const figure = html("div", { class: "optx-figure" }, figures);
    const vbW = W + MARGIN.left + MARGIN.right, vbH = H + MARGIN.top + MARGIN.bottom;
    // Two stacked SVGs: the contours and axes never change, so they live in a background
    // layer; the trajectories live in an overlay that the browser composites on its own
    // (will-change in explorer.css), so a slider move repaints only the overlay.
    const stack = html("div", { class: "optx-stack" }, figure);
    const background = svg("svg", { viewBox: `0 0 ${vbW} ${vbH}`, class: "optx-background", "aria-hidden": "true" }, stack);
    this.svg = svg("svg", {
      viewBox: `0 0 ${vbW} ${vbH}`, role: "img", class: "optx-plot",
      "aria-labelledby": `${this.id}-svg-title ${this.id}-svg-desc`, "data-drawn": "0",
    }, stack);
    this.svgTitle = svg("title", { id: `${this.id}-svg-title` }, this.svg);
    this.svgTitle.textContent = `Contour plot of the loss ${this.model.get("title")} over w₁ and w₂ with optimizer trajectories`;
    this.svgDesc = svg("desc", { id: `${this.id}-svg-desc` }, this.svg);

    const clipId = `${this.id}-clip`;
    const defs = svg("defs", {}, this.svg);
    svg("rect", { x: 0, y: 0, width: W, height: H }, svg("clipPath", { id: clipId }, defs));
    const shift = `translate(${MARGIN.left},${MARGIN.top})`;
    const plot = svg("g", { transform: shift }, background);
    const clipped = svg("g", { "clip-path": `url(#${clipId}-background)` }, plot);
    svg("rect", { x: 0, y: 0, width: W, height: H },
        svg("clipPath", { id: `${clipId}-background` }, svg("defs", {}, background)));
    const overlay = svg("g", { "clip-path": `url(#${clipId})` }, svg("g", { transform: shift }, this.svg));

    // Filled sublevel sets, highest level first: lower loss is darker.
    svg("rect", { x: 0, y: 0, width: W, height: H, fill: "#ffffff" }, clipped);
    const contours = view.contours;
    const contourGroup = svg("g", { class: "optx-contours", "aria-hidden": "true" }, clipped);
    contours.forEach((contour, index) => {
      const shade = Math.round(252 - 62 * (index + 1) / contours.length);
      svg("path", {
        d: contour.d, fill: `rgb(${shade},${shade + 3},${shade + 6})`, "fill-rule": "evenodd",
        stroke: "#8c8c8c", "stroke-width": 0.6, "data-level": contour.level,
      }, contourGroup);
    });

    // Axes: frame, ticks, labels.
    const axes = svg("g", { class: "optx-axes", "aria-hidden": "true" }, plot);
    svg("rect", { x: 0, y: 0, width: W, height: H, fill: "none", stroke: "#444", "stroke-width": 1 }, axes);
    for (const tick of view.xticks) {
      const x = this.toPixelX(tick);
      svg("line", { x1: x, x2: x, y1: H, y2: H + 5, stroke: "#444" }, axes);
      svg("text", { x, y: H + 17, "text-anchor": "middle", class: "optx-tick" }, axes).textContent = formatNumber(tick);
    }
    for (const tick of view.yticks) {
      const y = this.toPixelY(tick);
      svg("line", { x1: -5, x2: 0, y1: y, y2: y, stroke: "#444" }, axes);
      svg("text", { x: -8, y: y + 4, "text-anchor": "end", class: "optx-tick" }, axes).textContent = formatNumber(tick);
    }
    svg("text", { x: W / 2, y: H + 36, "text-anchor": "middle", class: "optx-axis-label" }, axes).textContent = "w₁";
    svg("text", { x: -36, y: H / 2, "text-anchor": "middle", class: "optx-axis-label",
      transform: `rotate(-90 -36 ${H / 2})` }, axes).textContent = "w₂";

    // Trajectories: a path, a marker at the shown step and a cross where a run blew up.
    this.paths = []; this.markers = []; this.crosses = [];
    const runsGroup = svg("g", { class: "optx-runs" }, overlay);
    for (let run = 0; run < this.runCount(); run++) {
      const style = RUN_STYLES[run];
      this.paths.push(svg("path", {
        class: `optx-trajectory optx-run-${style.name.toLowerCase()}`, fill: "none",
        stroke: style.color, "stroke-width": 2, "stroke-dasharray": style.dash,
        "stroke-linejoin": "round", d: "",
      }, runsGroup));
    }
    for (let run = 0; run < this.runCount(); run++) {
      const style = RUN_STYLES[run];
      this.markers.push(svg("path", {
        class: `optx-marker optx-marker-${style.marker}`, fill: style.color, stroke: "#ffffff", "stroke-width": 1.5,
      }, runsGroup));
      const cross = svg("path", { stroke: style.color, "stroke-width": 3, fill: "none", visibility: "hidden" }, runsGroup);
      this.crosses.push(cross);
    }
    const [sx, sy] = [this.toPixelX(view.x0[0]), this.toPixelY(view.x0[1])];
    svg("circle", { cx: sx, cy: sy, r: 5.5, fill: "#ffffff", stroke: "#000000", "stroke-width": 2, class: "optx-start" }, runsGroup);

    const legend = html("p", { class: "optx-legend" }, figure);
    // Coloured symbols, dark text: the text keeps its contrast whatever the run colour.
    const entry = (symbol, color, text) => {
      const item = html("span", {}, legend);
      html("span", { style: `color: ${color}`, "aria-hidden": "true" }, item, symbol);
      item.appendChild(document.createTextNode(` ${text}`));
      return item;
    };
    entry("○", "#000000", "start");
    for (let run = 0; run < this.runCount(); run++) {
      const style = RUN_STYLES[run];
      entry(style.symbol, style.color, `run ${style.name} (${style.line} line)`);
    }
    entry("✕", "#000000", "diverged");

    if (this.rateMap) this.buildMap(figures);

    // Controls: one fieldset per run, then the shared steps slider.
    // JupyterLab binds arrow keys etc. at the document level; this attribute keeps
    // them for the sliders (keyboard access in a kernel as on the static page).
    // With an odd number of runs the shared steps slider takes the free cell beside the last run.
    const controls = html("div", {
      class: `optx-controls${this.runCount() % 2 ? " optx-odd-runs" : ""}`,
      "data-lm-suppress-shortcuts": "true", "data-p-suppress-shortcuts": "true",
    }, body);
    this.inputs = [];
    this.readouts = [];
    for (let run = 0; run < this.runCount(); run++) {
      const style = RUN_STYLES[run];
      const fieldset = html("fieldset", { class: "optx-run" }, controls);
      const legend = html("legend", {}, fieldset);
      html("span", { class: "optx-swatch", "aria-hidden": "true",
        style: `border-top: 3px ${style.line} ${style.color}` }, legend);
      html("span", {}, legend, ` Run ${style.name}`);
      const lr = this.slider(fieldset, `lr${run}`, "learning rate α (log scale)", 0, view.lr_positions);
      const momentum = this.slider(fieldset, `mu${run}`, "momentum μ", 0, view.momentum_positions);
      let nesterov = null;
      if (view.nesterov_toggle) {
        const row = html("div", { class: "optx-row optx-check" }, fieldset);
        nesterov = html("input", { type: "checkbox", id: `${this.id}-nesterov${run}` }, row);
        html("label", { for: `${this.id}-nesterov${run}` }, row, "Nesterov");
      }
      const readout = html("output", { class: "optx-readout", "aria-live": "polite", id: `${this.id}-readout${run}` }, fieldset);
      this.inputs.push({ lr, momentum, nesterov });
      this.readouts.push(readout);
    }
    this.stepsInput = null;
    if (view.steps_slider) {
      const fieldset = html("fieldset", { class: "optx-run optx-shared" }, controls);
      html("legend", {}, fieldset, stepsLegend(this.runCount()));
      this.stepsInput = this.slider(fieldset, "steps", "steps shown", 1, this.model.get("steps"));
      this.stepsInput.input.step = 1;
      this.setKeySteps(this.stepsInput.input, keySteps({ positions: this.model.get("steps") - 1 }));
    }
    this.mode = html("p", { class: "optx-mode", id: `${this.id}-mode` }, controls);
    this.errorBox = html("div", { class: "optx-error", role: "alert" }, root);
    this.errorBox.hidden = true;
  }

  // ---------------------------------------------------------------- the rate map (optional)
  buildMap(parent) {
    const map = this.rateMap, W = map.width, H = map.height;
    const vbW = W + MAP_MARGIN.left + MAP_MARGIN.right, vbH = H + MAP_MARGIN.top + MAP_MARGIN.bottom;
    this.mapBox = { width: W, height: H, vbW, vbH };
    const section = html("div", { class: "optx-map" }, parent);
    const eigenvalues = map.eigenvalues.map((v) => formatNumber(v)).join(", ");
    html("p", { class: "optx-map-heading" }, section,
      `Convergence rate of run A over (α, μ) on this quadratic (Hessian eigenvalues ${eigenvalues}). `
      + "Click or drag on the map to set run A's α and μ.");
    const modes = html("div", { class: "optx-map-modes", role: "radiogroup", "aria-label": "Colour the map by" }, section);
    html("span", { "aria-hidden": "true" }, modes, "Colour by:");
    this.mapModeInputs = {};
    for (const [mode, text] of [["rate", "rate"], ["regime", "regime"]]) {
      const label = html("label", {}, modes);
      const input = html("input", { type: "radio", name: `${this.id}-map-mode`, value: mode }, label);
      input.checked = mode === this.mapMode;
      label.appendChild(document.createTextNode(` ${text}`));
      input.addEventListener("change", () => { if (input.checked) this.paintMap(mode); });
      this.mapModeInputs[mode] = input;
    }
    const readoutId = `${this.id}-map-readout`;
    this.mapFrame = html("div", {
      class: "optx-map-frame", tabindex: "0", role: "application", "aria-roledescription": "rate map",
      "aria-label": "Map of the convergence rate of heavy-ball momentum over learning rate α (log scale, "
        + "left to right) and momentum μ (bottom to top). Click a point to set run A's α and μ; "
        + "arrow keys: left and right change α, up and down change μ.",
      "aria-describedby": readoutId,
      "data-lm-suppress-shortcuts": "true", "data-p-suppress-shortcuts": "true",
    }, section);
    const root = svg("svg", { viewBox: `0 0 ${vbW} ${vbH}`, class: "optx-map-svg", "aria-hidden": "true" }, this.mapFrame);
    this.mapSvg = root;
    const clipId = `${this.id}-map-clip`;
    svg("rect", { x: 0, y: 0, width: W, height: H }, svg("clipPath", { id: clipId }, svg("defs", {}, root)));
    const plot = svg("g", { transform: `translate(${MAP_MARGIN.left},${MAP_MARGIN.top})` }, root);
    const clipped = svg("g", { "clip-path": `url(#${clipId})` }, plot);
    this.mapImage = svg("image", { x: 0, y: 0, width: W, height: H, preserveAspectRatio: "none", class: "optx-map-image" }, clipped);
    const box = { width: W, height: H };
    const view = this.model.get("view");
    for (const curve of map.curves) {
      const pixels = curve.points.map(([lr, mu]) => mapPixelFromValues(view, box, lr, mu));
      const d = pathData(pixels, W, H);
      const dash = curve.kind === "stability" ? "6 4" : curve.side === "high" ? "1.5 3" : "";
      svg("path", { d, fill: "none", stroke: "#ffffff", "stroke-width": 4, "stroke-dasharray": dash, opacity: 0.85 }, clipped);
      svg("path", { d, fill: "none", stroke: "#111111", "stroke-width": 1.6, "stroke-dasharray": dash,
        class: `optx-map-curve optx-map-${curve.kind}` }, clipped);
    }
    const [ox, oy] = mapPixelFromValues(view, box, map.optimum.lr, map.optimum.momentum);
    if (ox >= 0 && ox <= W && oy >= 0 && oy <= H) {
      svg("path", { d: starPath(ox, oy, 8, 3.4), fill: "#ffffff", stroke: "#111111", "stroke-width": 1.4, class: "optx-map-optimum" }, clipped);
    }
    // Run A's current (α, μ): a filled circle in run A's colour inside a black ring.
    this.mapMarker = svg("g", { class: "optx-map-marker" }, plot);
    svg("circle", { r: 8, fill: "none", stroke: "#000000", "stroke-width": 1.6 }, this.mapMarker);
    svg("circle", { r: 5.5, fill: RUN_STYLES[0].color, stroke: "#ffffff", "stroke-width": 2 }, this.mapMarker);

    const axes = svg("g", { class: "optx-axes" }, plot);
    svg("rect", { x: 0, y: 0, width: W, height: H, fill: "none", stroke: "#444", "stroke-width": 1 }, axes);
    for (const tick of map.lr_ticks) {
      const [x] = mapPixelFromValues(view, box, tick, 0);
      svg("line", { x1: x, x2: x, y1: H, y2: H + 5, stroke: "#444" }, axes);
      svg("text", { x, y: H + 17, "text-anchor": "middle", class: "optx-tick" }, axes).textContent = formatNumber(tick);
    }
    for (const tick of map.momentum_ticks) {
      const [, y] = mapPixelFromValues(view, box, view.lr_range[0], tick);
      svg("line", { x1: -5, x2: 0, y1: y, y2: y, stroke: "#444" }, axes);
      svg("text", { x: -8, y: y + 4, "text-anchor": "end", class: "optx-tick" }, axes).textContent = String(tick);
    }
    svg("text", { x: W / 2, y: H + 37, "text-anchor": "middle", class: "optx-axis-label" }, axes).textContent = "learning rate α (log scale)";
    svg("text", { x: -54, y: H / 2, "text-anchor": "middle", class: "optx-axis-label",
      transform: `rotate(-90 -54 ${H / 2})` }, axes).textContent = "momentum μ";

    this.mapReadout = html("output", { class: "optx-map-readout", id: readoutId, "aria-live": "polite" }, section);
    this.mapLegend = html("div", { class: "optx-map-legend" }, section);
    this.paintMap(this.mapMode);
    this.listenMap();
  }

  // Paint the cells (one pixel each, scaled up) and write the legend of the colouring.
  paintMap(mode) {
    const map = this.rateMap;
    this.mapMode = mode;
    const canvas = document.createElement("canvas");
    canvas.width = map.n_lr;
    canvas.height = map.n_momentum;
    const context = canvas.getContext("2d");
    const image = context.createImageData(map.n_lr, map.n_momentum);
    image.data.set(mapPixels(map.rates, map.regime, map.n_lr, map.n_momentum, mode, map.color_range));
    context.putImageData(image, 0, 0);
    this.mapImage.setAttribute("href", canvas.toDataURL("image/png"));
    this.mapFrame.dataset.mode = mode;

    const legend = this.mapLegend;
    legend.textContent = "";
    const item = (swatch, text) => {
      const entry = html("span", { class: "optx-map-entry" }, legend);
      entry.appendChild(swatch);
      entry.appendChild(document.createTextNode(` ${text}`));
      return entry;
    };
    const box = (color) => html("span", { class: "optx-map-swatch", "aria-hidden": "true", style: `background: ${color}` });
    if (mode === "rate") {
      const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => `${cssColor(viridis(t))} ${t * 100}%`).join(", ");
      const [fast, slow] = map.color_range;
      const entry = html("span", { class: "optx-map-entry optx-map-scale" }, legend, `rate per step: fast ${formatNumber(fast)} `);
      html("span", { class: "optx-map-bar", "aria-hidden": "true", style: `background: linear-gradient(to right, ${stops})` }, entry);
      entry.appendChild(document.createTextNode(` ${formatNumber(slow)} slow`));
    } else {
      map.regimes.slice(0, 3).forEach((name, code) => item(box(cssColor(REGIME_RGB[code])), name));
    }
    item(box(cssColor(DIVERGED_RGB)), "divergent (rate ≥ 1)");
    // Critical damping (a double root) along the direction of curvature λ: only the low curve
    // separates monotone from ripples; the high one separates ripples from sign-flipping.
    item(lineSample(""), "αλ = (1 − √μ)²: monotone to its left, ripples to its right");
    item(lineSample("1.5 3"), "αλ = (1 + √μ)²: ripples to its left, sign-flipping to its right");
    item(lineSample("6 4"), "rate = 1 (stability limit)");
    item(html("span", { class: "optx-map-symbol", "aria-hidden": "true" }, null, "☆"), "optimum (Polyak)");
    item(html("span", { class: "optx-map-symbol", "aria-hidden": "true", style: `color: ${RUN_STYLES[0].color}` }, null, "●"), "run A");
  }

  listenMap() {
    const frame = this.mapFrame;
    let dragging = null;
    const pick = (event) => {
      const rect = this.mapSvg.getBoundingClientRect();
      const { width: W, height: H, vbW, vbH } = this.mapBox;
      const x = (event.clientX - rect.left) * vbW / rect.width - MAP_MARGIN.left;
      const y = (event.clientY - rect.top) * vbH / rect.height - MAP_MARGIN.top;
      this.setRunAFromMap(positionsFromMapPixel(this.model.get("view"), { width: W, height: H }, x, y));
    };
    frame.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      dragging = event.pointerId;
      try { frame.setPointerCapture(event.pointerId); } catch { /* synthetic events */ }
      // preventDefault above keeps the page from scrolling on touch, and the map from native focus:
      // focus it here for the arrow keys, without the keyboard focus ring (a mouse put it there).
      frame.focus({ preventScroll: true, focusVisible: false });
      event.preventDefault();
      pick(event);
    });
    frame.addEventListener("pointermove", (event) => { if (dragging === event.pointerId) pick(event); });
    const release = (event) => {
      if (dragging !== event.pointerId) return;
      dragging = null;
      if (!this.live) this.ping();
      this.flushSave();
    };
    frame.addEventListener("pointerup", release);
    frame.addEventListener("pointercancel", release);
    frame.addEventListener("keydown", (event) => {
      const axis = mapKeyAxis(event.key);
      if (axis === null) return;
      const input = this.inputs[0][axis].input;
      const value = Number(input.value);
      const next = valueAfterKey(event, {
        value, min: Number(input.min), max: Number(input.max), snap: Number(input.step) || 1,
        fine: Number(input.dataset.fine) || 1, coarse: Number(input.dataset.coarse) || 1,
      });
      event.preventDefault();
      event.stopPropagation();
      if (next === null || next === value) return;
      const positions = {
        lr: Number(this.inputs[0].lr.input.value), momentum: Number(this.inputs[0].momentum.input.value),
      };
      positions[axis] = next;
      this.setRunAFromMap(positions);
      if (!this.live) this.ping();
      this.flushSave();
    });
  }

  // A point chosen on the map moves run A's two sliders: the same values a slider move sets
  // (snapped to the run grid on the static page, exact in a kernel).
  setRunAFromMap({ lr, momentum }) {
    const values = { lr: this.sliderLr(0, lr), momentum: this.sliderMomentum(0, momentum) };
    const current = this.settings(0);
    if (values.lr === current.lr && values.momentum === current.momentum) return;
    this.setRun(0, values);
  }

  drawMap(data) {
    if (!this.rateMap) return;
    const view = this.model.get("view");
    const { lr, momentum } = this.settings(0);
    const [x, y] = mapPixelFromValues(view, this.mapBox, lr, momentum);
    const cx = Math.max(0, Math.min(this.mapBox.width, x)), cy = Math.max(0, Math.min(this.mapBox.height, y));
    this.mapMarker.setAttribute("transform", `translate(${cx},${cy})`);
    // The rate travels with the exact run (kernel) or comes from the run grid's table (static page).
    const known = Number.isFinite(data.rate) && data.source !== "preview";
    const text = known ? rateReadout(data.rate, regimeName(data.regime, this.rateMap.regimes)) : "computing…";
    const values = this.valueAndGrad ? `α = ${exactLabel(lr)}, μ = ${exactLabel(momentum)}`
      : `α = ${formatNumber(lr)}, μ = ${momentum.toFixed(3)}`;
    this.mapReadout.textContent = `Run A at ${values}: ${text}`;
    this.mapReadout.dataset.rate = known ? String(data.rate) : "";
    this.mapReadout.dataset.regime = known ? regimeName(data.regime, this.rateMap.regimes) : "";
  }

  slider(parent, key, labelText, min, max) {
    const row = html("div", { class: "optx-row" }, parent);
    const id = `${this.id}-${key}`;
    const label = html("label", { for: id }, row, labelText);
    const input = html("input", { type: "range", id, min, max, step: 1, value: min }, row);
    input.addEventListener("keydown", onSliderKey);
    const value = html("output", { for: id, class: "optx-value" }, row);
    return { row, label, input, value };
  }

  setKeySteps(input, { fine, coarse }) {
    input.dataset.fine = String(fine);
    input.dataset.coarse = String(coarse);
  }

  // ---------------------------------------------------------------- coordinates (drawing only)
  toPixelX(x) { const v = this.model.get("view"); return (x - v.xlim[0]) / (v.xlim[1] - v.xlim[0]) * v.width; }
  toPixelY(y) { const v = this.model.get("view"); return (v.ylim[1] - y) / (v.ylim[1] - v.ylim[0]) * v.height; }

  // Slider position ↔ value (explorer-helpers.js).
  lrFromPosition(p) { return lrFromPosition(this.model.get("view"), p); }
  positionFromLr(lr) { return positionFromLr(this.model.get("view"), lr); }
  momentumFromPosition(p) { return momentumFromPosition(this.model.get("view"), p); }
  positionFromMomentum(mu) { return positionFromMomentum(this.model.get("view"), mu); }

  // ---------------------------------------------------------------- events
  listen() {
    for (let run = 0; run < this.runCount(); run++) {
      const { lr, momentum, nesterov } = this.inputs[run];
      // A move changes only the moved value; the page computes the run at exactly that value.
      // (Without a computed surface the static page has only the grid's values: there a move
      // puts both values of the run on the grid, so the labels show the values drawn.)
      const onMove = (moved) => {
        const values = {};
        const gridOnly = !this.valueAndGrad && !this.live;
        if (moved === "lr" || gridOnly) values.lr = this.sliderLr(run, Number(lr.input.value));
        if (moved === "momentum" || gridOnly) values.momentum = this.sliderMomentum(run, Number(momentum.input.value));
        this.setRun(run, values);
      };
      lr.input.addEventListener("input", () => onMove("lr"));
      momentum.input.addEventListener("input", () => onMove("momentum"));
      if (nesterov) nesterov.addEventListener("change", () => this.setRun(run, { nesterov: nesterov.checked }));
      for (const control of [lr.input, momentum.input, nesterov]) {
        if (control) control.addEventListener("change", () => { if (!this.live) this.ping(); this.flushSave(); });
      }
    }
    if (this.stepsInput) {
      this.stepsInput.input.addEventListener("input", () => this.onControl({ shown_steps: Number(this.stepsInput.input.value) }));
    }
    const redraw = () => { if (!this.batching) { this.syncControlsFromModel(); this.draw(); } };
    for (const name of ["runs", "shown_steps"]) {
      this.model.on(`change:${name}`, redraw);
    }
    this.model.on("change:trajectories", () => { this.compareWithKernel(); redraw(); });
    this.model.on("change:grid", () => { this.grid = this.decodeGrid(this.model.get("grid")); this.draw(); });
    this.compareWithKernel();
    this.model.on("change:error", () => this.showError());
    this.model.on("msg:custom", (message) => {
      if (message && message.type === "pong" && !this.live) {
        this.live = true;
        clearTimeout(this.pingTimer);
        this.syncControlsFromModel();
        this.showMode();
        this.draw();
      }
    });
  }

  ping() {
    // On a static page there is no comm: the widget manager drops the message.
    try { this.model.send({ type: "ping", id: this.id }); } catch { /* no kernel */ }
  }

  // The value at a slider position: on a computed surface the ladder's value (run `run`'s
  // starting value at its own position); otherwise the grid's (static) or the exact (live) value.
  sliderLr(run, position) {
    if (!this.valueAndGrad) return this.snappedLr(position);
    return ladderLr(this.model.get("view"), position, this.anchor(run).lr);
  }
  sliderMomentum(run, position) {
    if (!this.valueAndGrad) return this.snappedMomentum(position);
    return ladderMomentum(this.model.get("view"), position, this.anchor(run).momentum);
  }
  anchor(run) {
    const anchors = this.model.get("view").anchors || [];
    return anchors[run] || { lr: null, momentum: null };
  }

  // In precomputed mode a slider value is the grid value of its cell; live, the exact value.
  snappedLr(position) {
    if (this.live) return this.lrFromPosition(position);
    const cell = this.model.get("view").lr_cell;
    return this.grid.lrs[Math.round(position / cell)];
  }
  snappedMomentum(position) {
    if (this.live) return this.momentumFromPosition(position);
    const cell = this.model.get("view").momentum_cell;
    return this.grid.momentums[Math.round(position / cell)];
  }

  // Change some settings of one run: the whole list of runs is the trait that travels.
  setRun(run, changes) {
    this.onControl({ runs: withRun(this.model.get("runs"), run, changes) });
  }

  onControl(values) {
    // One redraw for the whole move, not one per changed trait.
    this.batching = true;
    try {
      for (const [name, value] of Object.entries(values)) this.model.set(name, value);
    } finally {
      this.batching = false;
    }
    if (this.live) this.scheduleSave();
    this.syncControlsFromModel();
    this.draw();
  }

  // Throttle kernel round trips while dragging; the last value is always sent.
  scheduleSave() {
    const now = performance.now();
    if (now - this.lastSaveTime >= LIVE_SEND_INTERVAL_MS) { this.flushSave(); return; }
    if (this.pendingSave === null) {
      this.pendingSave = setTimeout(() => this.flushSave(), LIVE_SEND_INTERVAL_MS - (now - this.lastSaveTime));
    }
  }
  flushSave() {
    if (this.pendingSave !== null) { clearTimeout(this.pendingSave); this.pendingSave = null; }
    if (!this.live) return;
    this.lastSaveTime = performance.now();
    try { this.model.save_changes(); } catch (error) { this.showError(String(error)); }
  }

  syncControlsFromModel() {
    const view = this.model.get("view");
    for (let run = 0; run < this.runCount(); run++) {
      const { lr, momentum, nesterov } = this.inputs[run];
      const settings = this.settings(run);
      if (this.valueAndGrad) {
        // Every position is a value the page computes: arrows move one position (α ×1.05,
        // 1 − μ ×0.93), Page Up/Down and Shift+arrows `coarse_positions`.
        lr.input.step = 1;
        momentum.input.step = 1;
        this.setKeySteps(lr.input, { fine: 1, coarse: view.coarse_positions });
        this.setKeySteps(momentum.input, { fine: 1, coarse: view.coarse_positions });
      } else {
        // Static page: the slider snaps to the precomputed cells and a key press moves one.
        // Live: the mouse reaches every fine position; a key press moves half a cell.
        lr.input.step = this.live ? 1 : view.lr_cell;
        momentum.input.step = this.live ? 1 : view.momentum_cell;
        this.setKeySteps(lr.input, keySteps({ positions: view.lr_positions, cell: view.lr_cell, live: this.live }));
        this.setKeySteps(momentum.input,
          keySteps({ positions: view.momentum_positions, cell: view.momentum_cell, live: this.live }));
      }
      const lrValue = settings.lr, muValue = settings.momentum;
      // The slider's position follows the value (on a computed surface each position is one
      // value, so this never moves a held slider; otherwise not while the reader holds it).
      if (this.valueAndGrad || document.activeElement !== lr.input) lr.input.value = this.positionFromLr(lrValue);
      if (this.valueAndGrad || document.activeElement !== momentum.input) {
        momentum.input.value = this.positionFromMomentum(muValue);
      }
      const lrText = this.valueAndGrad ? exactLabel(lrValue) : formatNumber(lrValue);
      const muText = this.valueAndGrad ? exactLabel(muValue) : muValue.toFixed(3);
      lr.value.textContent = `α = ${lrText}`;
      momentum.value.textContent = `μ = ${muText}`;
      lr.input.setAttribute("aria-valuetext", `alpha ${lrText}`);
      momentum.input.setAttribute("aria-valuetext", `mu ${muText}`);
      if (nesterov) {
        nesterov.checked = settings.nesterov;
        nesterov.disabled = !this.valueAndGrad && !this.live && this.grid.nesterov.length < 2;
      }
    }
    if (this.stepsInput) {
      const shown = this.model.get("shown_steps");
      this.stepsInput.input.max = String(this.model.get("steps")); // put back if the page was edited
      if (document.activeElement !== this.stepsInput.input) this.stepsInput.input.value = shown;
      this.stepsInput.value.textContent = `${shown} of ${this.model.get("steps")}`;
      this.stepsInput.input.setAttribute("aria-valuetext", `${shown} of ${this.model.get("steps")} steps`);
    }
  }

  showMode() {
    const g = this.grid;
    if (this.valueAndGrad) {
      this.mode.textContent = (this.live
        ? "Live: every run is computed in this page at exactly the values shown, then by lib.descend in the "
          + "running kernel, which replaces it once the page has checked it step by step. "
        : "Every run is computed in this page at exactly the values shown. ")
        + "Keys: arrows make a small step, Page Up/Down or Shift+arrows a large one.";
      return;
    }
    this.mode.textContent = this.live
      ? "Live: every slider value is computed exactly by JAX in the running kernel. "
        + "Keys: arrows move half a grid step, Page Up/Down or Shift+arrows two steps."
      : `Precomputed: no kernel, so the sliders step through a grid of ${g.lrs.length} learning rates × `
        + `${g.momentums.length} momenta computed by JAX when the page was built. `
        + "Keys: arrows move one grid step, Page Up/Down or Shift+arrows two.";
  }

  // The kernel's runs (lib.descend) against the page's rule, step by step (stepwiseDifference):
  // beyond AGREEMENT_TOLERANCE of the run's size, or another divergence step, is an error.
  compareWithKernel() {
    if (!this.valueAndGrad) return;
    const maxNorm = this.model.get("view").engine.max_norm;
    this.model.get("trajectories").forEach((exact, run) => {
      if (!exact || !exact.points) return;
      const difference = stepwiseDifference(this.valueAndGrad, exact.points, {
        lr: exact.lr, momentum: exact.momentum, nesterov: exact.nesterov, maxNorm,
        divergedAt: exact.diverged_at === null || exact.diverged_at === undefined ? -1 : exact.diverged_at,
      });
      const name = RUN_STYLES[run].name;
      if (!(difference <= AGREEMENT_TOLERANCE)) {
        this.disagreements.set(name, `run ${name} at α = ${exactLabel(exact.lr)}, μ = ${exactLabel(exact.momentum)}: `
          + `the kernel's run does not follow the page's update rule (difference ${formatNumber(difference)} `
          + "of the run's size); the page draws its own run.");
      } else {
        this.disagreements.delete(name);
      }
    });
    this.showError();
  }

  showError(text = null) {
    let message = text === null ? this.model.get("error") : text;
    if (text === null && this.disagreements && this.disagreements.size) {
      message = [message, ...this.disagreements.values()].filter(Boolean).join("\n");
    }
    this.errorBox.textContent = message ? `Error: ${message}` : "";
    this.errorBox.hidden = !message;
  }

  // ---------------------------------------------------------------- which trajectory to draw
  // The page's own run at these settings (computed surface), cached.
  computedRun(lr, momentum, nesterov) {
    const key = `${lr}|${momentum}|${nesterov}`;
    let result = this.computed.get(key);
    if (!result) {
      const view = this.model.get("view");
      result = descend(this.valueAndGrad, view.x0, { lr, momentum, nesterov, steps: this.model.get("steps"),
        maxNorm: view.engine.max_norm });
      if (this.computed.size >= CACHE_SIZE) this.computed.delete(this.computed.keys().next().value);
      this.computed.set(key, result);
    }
    return result;
  }

  currentRun(run) {
    const { lr, momentum, nesterov } = this.settings(run);
    const exact = this.model.get("trajectories")[run];
    if (this.valueAndGrad) {
      const at = this.rateMap ? momentumRegime(lr, momentum, this.rateMap.eigenvalues) : {};
      // In a kernel, lib.descend's run replaces the page's once it has arrived and follows the
      // page's rule step by step (the two can differ in the last digits: JAX fuses a multiply
      // and an add where JavaScript rounds twice).
      const confirmed = this.live && trajectoryMatches(exact, { lr, momentum, nesterov })
        && !this.disagreements.has(RUN_STYLES[run].name);
      if (confirmed) {
        return {
          source: "live", lr, momentum, nesterov, count: exact.points.length,
          point: (k) => exact.points[k], loss: (k) => exact.losses[k],
          divergedAt: exact.diverged_at === null || exact.diverged_at === undefined ? -1 : exact.diverged_at,
          rate: at.rate, regime: at.regime,
        };
      }
      const result = this.computedRun(lr, momentum, nesterov);
      const rows = result.losses.length;
      return {
        source: this.live ? "checking" : "page", lr, momentum, nesterov,
        count: result.divergedAt < 0 ? rows : result.divergedAt,
        point: (k) => [result.points[2 * k], result.points[2 * k + 1]], loss: (k) => result.losses[k],
        divergedAt: result.divergedAt, rate: at.rate, regime: at.regime,
      };
    }
    if (trajectoryMatches(exact, { lr, momentum, nesterov })) {
      return {
        source: this.live ? "live" : "exact", lr, momentum, nesterov,
        count: exact.points.length, point: (k) => exact.points[k], loss: (k) => exact.losses[k],
        divergedAt: exact.diverged_at === null || exact.diverged_at === undefined ? -1 : exact.diverged_at,
        rate: exact.rate, regime: exact.regime,
      };
    }
    return this.gridRun(lr, momentum, nesterov);
  }

  gridRun(lr, momentum, nesterov) {
    const g = this.grid;
    const nearest = (values, target, transform) => {
      let best = 0;
      for (let i = 1; i < values.length; i++) {
        if (Math.abs(transform(values[i]) - transform(target)) < Math.abs(transform(values[best]) - transform(target))) best = i;
      }
      return best;
    };
    const i = nearest(g.lrs, lr, Math.log);
    const j = nearest(g.momentums, momentum, (m) => Math.log(1 - m + 1e-12));
    let z = g.nesterov.indexOf(nesterov);
    if (z < 0) z = 0;
    const rows = g.steps + 1;
    const base = ((z * g.lrs.length + i) * g.momentums.length + j) * rows;
    const divergedAt = g.divergedAt[z][i][j];
    return {
      source: this.live ? "preview" : "grid", lr: g.lrs[i], momentum: g.momentums[j], nesterov: g.nesterov[z],
      count: divergedAt < 0 ? rows : divergedAt,
      point: (k) => [g.points[2 * (base + k)], g.points[2 * (base + k) + 1]],
      loss: (k) => g.losses[base + k],
      divergedAt,
      rate: this.rateMap ? this.rateMap.grid_rate[i][j] : undefined,
      regime: this.rateMap ? this.rateMap.grid_regime[i][j] : undefined,
    };
  }

  // ---------------------------------------------------------------- drawing
  draw() {
    const view = this.model.get("view");
    const shown = Math.min(this.model.get("shown_steps"), this.model.get("steps"));
    const descriptions = [];
    for (let run = 0; run < this.runCount(); run++) {
      const path = this.paths[run], marker = this.markers[run], cross = this.crosses[run];
      const data = this.currentRun(run);
      const last = Math.min(shown, data.count - 1); // last finite row drawn
      const pixels = [];
      for (let k = 0; k <= last; k++) {
        const [x, y] = data.point(k);
        pixels.push([this.toPixelX(x), this.toPixelY(y)]);
      }
      path.setAttribute("d", pathData(pixels, view.width, view.height));
      path.setAttribute("visibility", "visible");
      path.dataset.source = data.source;
      const start = data.point(0), end = data.point(last);
      path.dataset.first = `${start[0]},${start[1]}`;
      path.dataset.last = `${end[0]},${end[1]}`;
      path.dataset.lr = String(data.lr);
      path.dataset.momentum = String(data.momentum);
      // A run whose shown point is off the plot is marked where it left it.
      const exit = exitPoint(pixels, view.width, view.height);
      this.placeMarker(marker, exit || pixels[pixels.length - 1], run);
      const diverged = data.divergedAt >= 0 && data.divergedAt <= shown;
      if (diverged) {
        // Where the path left the plot (its last segment out of the box, cut at the edge), or its
        // last point when that is inside.
        const [cx, cy] = exit || this.pinned(...pixels[pixels.length - 1]);
        cross.setAttribute("d", `M${cx - 7},${cy - 7}L${cx + 7},${cy + 7}M${cx - 7},${cy + 7}L${cx + 7},${cy - 7}`);
        cross.setAttribute("visibility", "visible");
      } else {
        cross.setAttribute("visibility", "hidden");
      }
      const lrText = this.valueAndGrad ? exactLabel(data.lr) : formatNumber(data.lr);
      const muText = this.valueAndGrad ? exactLabel(data.momentum) : data.momentum.toFixed(3);
      const settings = `α = ${lrText}, μ = ${muText}${data.nesterov ? ", Nesterov" : ""}`;
      const verdict = diverged
        ? `diverged at step ${data.divergedAt}`
        : `step ${last}: loss ${formatNumber(data.loss(last), 4)}, w = (${formatNumber(end[0])}, ${formatNumber(end[1])})`;
      const origin = {
        live: "live", preview: "live, computing…", exact: "precomputed (exact)",
        grid: "precomputed (nearest grid value)", page: "computed in this page",
        checking: "computed in this page; the kernel is checking it…",
      }[data.source];
      // The mode line under the controls says where runs come from; a readout names it only
      // when it is not the page's own computation.
      this.readouts[run].textContent = data.source === "page" ? `${settings} — ${verdict}` : `${settings} — ${verdict} [${origin}]`;
      this.readouts[run].dataset.source = data.source;
      const style = RUN_STYLES[run];
      descriptions.push(`Run ${style.name} (${style.line} line, ${style.marker}): ${settings}, ${verdict}.`);
      if (run === 0) this.drawMap(data);
    }
    this.svgDesc.textContent = `Start point at (${view.x0.map((v) => formatNumber(v)).join(", ")}). ${descriptions.join(" ")}`;
    this.drawCount += 1;
    this.svg.setAttribute("data-drawn", String(this.drawCount));
    if (!this.mode.textContent && this.live) this.showMode();
  }

  // A point outside the plot is pinned to its edge, so the marker stays in sight.
  pinned(x, y) {
    const view = this.model.get("view"), inset = 5;
    return [Math.max(inset, Math.min(x, view.width - inset)), Math.max(inset, Math.min(y, view.height - inset))];
  }

  placeMarker(marker, [x, y], run) {
    const [cx, cy] = this.pinned(x, y);
    marker.setAttribute("visibility", "visible");
    marker.setAttribute("d", markerPath(RUN_STYLES[run].marker, cx, cy));
  }

  destroy() {
    clearTimeout(this.pingTimer);
    if (this.pendingSave !== null) clearTimeout(this.pendingSave);
  }
}

function render({ model, el }) {
  const view = new ExplorerView(model, el);
  view.showMode();
  view.showError();
  return () => view.destroy();
}

export default { render };
