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

// The sidebar toggles. pydata-sphinx-theme 0.17 added a ☰ button to its navbar, which
// sphinx-book-theme hides (0 px wide), while the visible one sits in the article header;
// both themes bind `document.querySelector(".primary-toggle")`, the hidden first one, so the
// visible ☰ did nothing on a phone and the desktop collapse did nothing either
// (pydata-sphinx-theme#2451, sphinx-book-theme#988). Forward a click on any later copy to the
// bound one: the book theme collapses the sidebar on wide screens, pydata's opens the dialog
// on narrow ones. Remove this when a theme release fixes the selector.
function forwardSidebarToggles() {
  [".primary-toggle", ".secondary-toggle"].forEach(function (selector) {
    var toggles = document.querySelectorAll(selector);
    var bound = toggles[0];
    Array.prototype.slice.call(toggles, 1).forEach(function (toggle) {
      if (toggle.dataset.bookForwarded) {
        return;
      }
      toggle.dataset.bookForwarded = "true";
      toggle.addEventListener("click", function (event) {
        event.preventDefault();
        event.stopPropagation();
        hideTooltip(toggle);
        placeCloseButton(toggle);
        bound.click();
      });
    });
  });
  // On a phone the open contents cover the ☰; a second tap on that spot lands on the
  // dialog's own close control (see closeButtonInDialog), so the same gesture closes them.
  closeButtonInDialog(document.getElementById("pst-primary-sidebar-modal"), "contents");
  closeButtonInDialog(document.getElementById("pst-secondary-sidebar-modal"), "page contents");
}

function placeCloseButton(toggle) {
  var rect = toggle.getBoundingClientRect();
  document.querySelectorAll(".book-dialog-close").forEach(function (button) {
    button.style.top = rect.top + "px";
    button.style.left = rect.left + "px";
    button.style.width = rect.width + "px";
    button.style.height = rect.height + "px";
  });
}

function closeButtonInDialog(dialog, what) {
  if (!dialog || dialog.querySelector(".book-dialog-close")) {
    return;
  }
  var button = document.createElement("button");
  button.type = "button";
  button.className = "book-dialog-close";
  button.setAttribute("aria-label", "Close the " + what);
  button.innerHTML = '<span aria-hidden="true">\u2715</span>';
  button.addEventListener("click", function () { dialog.close(); });
  // The theme moves the sidebar's nodes into the dialog when it opens and back when it
  // closes; the button stays, first in the dialog.
  dialog.insertBefore(button, dialog.firstChild);
}

// A tooltip shown by a tap has no "mouse leave" to hide it: it stayed over the header icons.
// Touch readers get no tooltips on the header's buttons (their names are read out anyway).
var lastPointer = "mouse";
document.addEventListener("pointerdown", function (event) { lastPointer = event.pointerType; }, true);
document.addEventListener("show.bs.tooltip", function (event) {
  if (lastPointer === "touch") {
    event.preventDefault();
  }
}, true);

function hideTooltip(element) {
  var api = window.bootstrap && window.bootstrap.Tooltip;
  var tooltip = api && api.getInstance && api.getInstance(element);
  if (tooltip) {
    tooltip.hide();
  }
}

// A solution's title (sphinx-exercise) reads "Solution to Exercise 2.3 (...)", most of it a
// link back to the exercise, so a click on the title scrolled away instead of opening the
// solution. The exercise sits just above; keep the words, drop the link, and the whole title
// opens and closes the solution (sphinx-togglebutton listens on the title).
function unlinkSolutionTitles(root) {
  root.querySelectorAll(".solution > .admonition-title a.reference").forEach(function (link) {
    var span = document.createElement("span");
    span.className = "solution-of";
    while (link.firstChild) {
      span.appendChild(link.firstChild);
    }
    link.replaceWith(span);
  });
}

// A skip link to the first interactive explorer of a page, after the theme's "Skip to main
// content": two Tabs and Enter from the top of the page instead of a walk through the
// contents and every link above the explorer.
function skipLinkToExplorer() {
  var first = document.querySelector("main .cell_output .anywidget-static, main .cell_output .optx, " +
    'main .cell_output script[type="application/vnd.jupyter.widget-view+json"]');
  var skip = document.getElementById("pst-skip-link");
  if (!first || !skip || document.getElementById("book-skip-to-explorer")) {
    return;
  }
  var target = first.closest(".cell_output") || first;
  if (!target.id) {
    target.id = "first-explorer";
  }
  target.setAttribute("tabindex", "-1");
  var wrapper = skip.cloneNode(false);
  wrapper.id = "book-skip-to-explorer";
  var link = document.createElement("a");
  link.href = "#" + target.id;
  link.textContent = "Skip to the interactive explorer";
  wrapper.appendChild(link);
  skip.insertAdjacentElement("afterend", wrapper);
}

// Display formulas (see book.css). On screen, one wider than the column scrolls inside its box:
// such a box joins the tab order so that the keyboard can scroll it too, and its shadows say on
// which side the formula goes on. For print, each formula records its width in its own ems and its
// size, from which the print style shrinks it to the printed column.
function fitDisplayFormulas() {
  document.querySelectorAll('mjx-container[jax="CHTML"][display="true"]').forEach(function (box) {
    var math = box.querySelector("mjx-math");
    if (!math) {
      return;
    }
    var size = parseFloat(getComputedStyle(box).fontSize);
    box.style.setProperty("--book-formula-size", size + "px");
    box.style.setProperty("--book-formula-ems", String((math.getBoundingClientRect().width + 2) / size));
    var scrolls = box.scrollWidth > box.clientWidth + 1;
    markScrollEdges(box);
    if (!box.dataset.bookEdges) {
      box.dataset.bookEdges = "true";
      box.addEventListener("scroll", function () { markScrollEdges(box); }, { passive: true });
    }
    if (scrolls && box.dataset.bookScrolls === undefined) {
      box.dataset.bookScrolls = box.getAttribute("tabindex") || "";
      box.setAttribute("tabindex", "0");
    } else if (!scrolls && box.dataset.bookScrolls !== undefined) {
      if (box.dataset.bookScrolls) {
        box.setAttribute("tabindex", box.dataset.bookScrolls);
      } else {
        box.removeAttribute("tabindex");
      }
      delete box.dataset.bookScrolls;
    }
  });
}

// Which edges of a formula's box have more of the formula beyond them (the shadows of book.css).
function markScrollEdges(box) {
  var more = box.scrollWidth - box.clientWidth;
  box.toggleAttribute("data-more-left", more > 1 && box.scrollLeft > 1);
  box.toggleAttribute("data-more-right", more > 1 && box.scrollLeft < more - 1);
}

function whenTypeset(callback) {
  var mathjax = window.MathJax;
  if (mathjax && mathjax.startup && mathjax.startup.promise) {
    mathjax.startup.promise.then(callback);
  }
}
var formulaTimer = null;
window.addEventListener("resize", function () {
  clearTimeout(formulaTimer);
  formulaTimer = setTimeout(fitDisplayFormulas, 150);
});

// Search results: the snippets Sphinx's search page cuts from a page's HTML held the TeX of its
// formulas ("the stability limit \(2/\alpha\)"), which MathJax never sees there. Each formula
// of a snippet is written as text with its symbols instead. The table of symbols is the one
// tools/book_fixes.py uses for the titles of the search index; it hands it to the search page
// as window.BOOK_TEX_SYMBOLS.
function texToText(tex) {
  return tex
    .replace(/\\(?:begin|end)\{[^{}]*\}|&|\\\\/g, " ")
    .replace(/\\[,;:! ]|~/g, " ")
    .replace(/\\(?:mathrm|mathbf|mathit|operatorname|text|boldsymbol)\s*/g, "")
    .replace(/\\([A-Za-z]+)/g, function (match, name) {
      var symbols = window.BOOK_TEX_SYMBOLS || {};
      return Object.prototype.hasOwnProperty.call(symbols, name) ? symbols[name] : name;
    })
    .replace(/[{}]/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

// searchtools.js declares `const Search` at the top level of a classic script: a global
// binding, though not a property of window.
/* global Search */
function plainMathInSearchSnippets() {
  if (typeof Search === "undefined" || typeof Search.htmlToText !== "function" || Search.htmlToText.bookPlain) {
    return;
  }
  var htmlToText = Search.htmlToText;
  Search.htmlToText = function (htmlString, anchor) {
    return htmlToText(htmlString, anchor)
      .replace(/\\\(([\s\S]*?)\\\)|\\\[([\s\S]*?)\\\]|\$\$([\s\S]*?)\$\$/g, function (match, inline, display, dollars) {
        return " " + texToText(inline || display || dollars || "") + " ";
      });
  };
  Search.htmlToText.bookPlain = true;
}

function fixPage() {
  quietIconTitles(document);
  alignAccessibleNames(document);
  fixBibliographyRoles(document);
  unlinkSolutionTitles(document);
  plainMathInSearchSnippets();
  forwardSidebarToggles();
  skipLinkToExplorer();
  whenTypeset(fitDisplayFormulas);
}
// Again after "load": icon fonts and widgets rewrite parts of the page late.
document.addEventListener("DOMContentLoaded", fixPage);
window.addEventListener("load", fixPage);
