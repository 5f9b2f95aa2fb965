// Loaded on every page of the book: small fixes to the theme.

// The theme's inline start-up script leaves the colour mode empty on a first
// visit, which the theme then reports as a console error; start from "auto".
if (!document.documentElement.dataset.mode) {
  document.documentElement.dataset.mode = "auto";
}

// Screen-reader users hear an element's accessible name; voice-control users
// say its visible text. They must agree (WCAG 2.5.3). Several theme controls
// (the search button, "Show code cell source") carry an aria-label that omits
// their visible text: drop such labels, so that the name is computed from the
// visible content itself and stays right when the theme rewrites that content.
function alignAccessibleNames(root) {
  root.querySelectorAll("button[aria-label], summary[aria-label], a[aria-label]").forEach(function (el) {
    var visible = el.innerText.replace(/\s+/g, " ").trim();
    var label = el.getAttribute("aria-label");
    if (visible && label.toLowerCase().indexOf(visible.toLowerCase()) === -1) {
      el.removeAttribute("aria-label");
    }
  });
}

// The colour-mode switch shows only icons; their tooltips ("Light", "Dark",
// "System Settings") count as visible text and contradict the button's name.
// The button's own label already says what it does.
// Font Awesome may already have turned the <i> icons into <svg> with <title>.
function quietIconTitles(root) {
  root.querySelectorAll(".theme-switch-button i[title], .theme-switch-button svg").forEach(function (icon) {
    icon.removeAttribute("title");
    icon.querySelectorAll("title").forEach(function (title) { title.remove(); });
    icon.setAttribute("aria-hidden", "true");
  });
}

// Docutils marks bibliography entries with the deprecated role
// "doc-biblioentry" inside role="list": screen readers expect list items.
function fixBibliographyRoles(root) {
  root.querySelectorAll('[role="list"] > [role="doc-biblioentry"]').forEach(function (entry) {
    entry.setAttribute("role", "listitem");
  });
}

function fixPage() {
  quietIconTitles(document);
  alignAccessibleNames(document);
  fixBibliographyRoles(document);
}
// Again after "load": icon fonts and widgets rewrite parts of the page late.
document.addEventListener("DOMContentLoaded", fixPage);
window.addEventListener("load", fixPage);
