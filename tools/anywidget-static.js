// Shows the widgets embedded in a page of the static site, with no kernel.
//
// MyST-NB writes each executed widget as a view <script> pointing into one
// widget-state <script>. Every interactive widget of this book is an anywidget
// (lib.explorer.Explorer), whose state carries its own ES module (`_esm`) and
// CSS. Rendering those needs only a stand-in for the model API that module
// uses (get/set/on/off/send/save_changes), about 100 lines here, instead of the
// ipywidgets HTML manager (require.js plus 3.6 MB). With no kernel, `send`
// and `save_changes` have nobody to talk to, exactly as under the HTML manager,
// so the explorer stays in its precomputed mode.
//
// A page that embeds any other kind of widget falls back to the full HTML
// manager, loaded from the copies served with the site (no CDN).
(function () {
  "use strict";
  var here = document.currentScript.src.replace(/[^/]*$/, "");

  function jsonScripts(type) {
    return Array.prototype.slice.call(document.querySelectorAll('script[type="' + type + '"]'));
  }

  // Backbone-like events, as an anywidget module sees them on `model`.
  function StaticModel(state) {
    this.state = Object.assign({}, state);
    this.listeners = {};
  }
  StaticModel.prototype.get = function (name) { return this.state[name]; };
  StaticModel.prototype.set = function (name, value) {
    var changed = this.state[name] !== value;
    this.state[name] = value;
    if (changed) this.trigger("change:" + name, value);
  };
  StaticModel.prototype.on = function (event, callback) {
    (this.listeners[event] = this.listeners[event] || []).push(callback);
  };
  StaticModel.prototype.off = function (event, callback) {
    if (!event) { this.listeners = {}; return; }
    this.listeners[event] = callback ? (this.listeners[event] || []).filter(function (f) { return f !== callback; }) : [];
  };
  StaticModel.prototype.trigger = function (event, value) {
    var model = this;
    (this.listeners[event] || []).slice().forEach(function (callback) { callback.call(model, value); });
  };
  StaticModel.prototype.save_changes = function () { /* no kernel to sync with */ };
  StaticModel.prototype.send = function () { /* no kernel: custom messages are dropped */ };

  function addStyle(id, css) {
    if (!css || document.querySelector('style[data-anywidget-id="' + id + '"]')) return;
    var style = document.createElement("style");
    style.setAttribute("data-anywidget-id", id);
    style.textContent = css;
    document.head.appendChild(style);
  }

  var modules = {};
  function loadModule(id, esm) {
    if (!modules[id]) {
      var url = /^https?:\/\//.test(esm) ? esm
        : URL.createObjectURL(new Blob([esm], { type: "text/javascript" }));
      modules[id] = import(url);
    }
    return modules[id];
  }

  // `models` holds one model per model id, shared by all views of it.
  async function renderAnywidget(modelId, modelState, anchor, models) {
    var id = modelState._anywidget_id || modelState._esm;
    addStyle(id, modelState._css);
    var module = await loadModule(id, modelState._esm);
    var widget = module.default !== undefined ? module.default : module;
    if (typeof widget === "function") widget = await widget();
    var model = models[modelId] = models[modelId] || new StaticModel(modelState);
    if (widget.initialize && !model.initialized) {
      model.initialized = true;
      await widget.initialize({ model: model });
    }
    await widget.render({ model: model, el: anchor });
  }

  function loadScript(src, attributes) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      Object.keys(attributes || {}).forEach(function (name) { script.setAttribute(name, attributes[name]); });
      script.onload = resolve;
      script.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(script);
    });
  }

  function fullManager() {
    return loadScript(here + "require.js")
      .then(function () { return loadScript(here + "widgets-offline.js"); })
      .then(function () {
        // Any module the page does not map locally would be fetched from here: none should be.
        return loadScript(here + "html-manager/embed-amd.js",
                          { "data-jupyter-widgets-cdn": here + "missing-widget-module/" });
      });
  }

  function showError(anchor, error) {
    var box = document.createElement("pre");
    box.className = "anywidget-static-error";
    box.setAttribute("role", "alert");
    box.textContent = "This interactive figure could not be shown: " + error;
    anchor.appendChild(box);
    console.error(error);
  }

  function start() {
    var stateScript = jsonScripts("application/vnd.jupyter.widget-state+json")[0];
    if (!stateScript) return;
    var state = JSON.parse(stateScript.textContent).state || {};
    var views = jsonScripts("application/vnd.jupyter.widget-view+json").map(function (script) {
      return { script: script, id: JSON.parse(script.textContent).model_id };
    });
    var allAnywidgets = views.every(function (view) {
      var entry = state[view.id];
      return entry && entry.model_module === "anywidget";
    });
    if (!allAnywidgets) {
      fullManager().catch(function (error) { console.error(error); });
      return;
    }
    var models = {};
    views.forEach(function (view) {
      var anchor = document.createElement("div");
      anchor.className = "anywidget-static";
      view.script.parentNode.insertBefore(anchor, view.script);
      renderAnywidget(view.id, state[view.id].state, anchor, models).catch(function (error) {
        showError(anchor, error);
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
