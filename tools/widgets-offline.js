// Loaded before the ipywidgets HTML manager on pages that embed widgets.
(function () {
  var here = document.currentScript.src.replace(/[^/]*$/, "");
  // Resolve AMD modules against the copies served with the site, so nothing
  // is fetched from a CDN: the anywidget runtime, and the HTML manager's own
  // chunks and fonts (webpack resolves those next to the module's URL).
  if (window.require && window.require.config) {
    window.require.config({
      paths: {
        anywidget: here + "anywidget/index",
        "@jupyter-widgets/html-manager/dist": here + "html-manager",
      },
    });
  }
  // The HTML manager typesets widget labels with the MathJax 2 call
  // MathJax.Hub.Queue; the book loads MathJax 3, which replaces the global
  // MathJax object when it starts. Keep a translating Hub on whatever object
  // the global holds.
  var hub = {
    Queue: function (command) {
      var element = command && command[2];
      var mathjax = window.MathJax;
      if (element && mathjax && mathjax.startup && mathjax.startup.promise) {
        mathjax.startup.promise.then(function () {
          return mathjax.typesetPromise ? mathjax.typesetPromise([element]) : null;
        }).catch(function () {});
      }
    },
  };
  var current = window.MathJax || {};
  if (!current.Hub) current.Hub = hub;
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () { return current; },
    set: function (value) {
      current = value;
      if (value && typeof value === "object" && !value.Hub) value.Hub = hub;
    },
  });
})();
