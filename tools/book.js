// Loaded on every page of the book.
// The theme's inline start-up script leaves the colour mode empty on a first
// visit, which the theme then reports as a console error; start from "auto".
if (!document.documentElement.dataset.mode) {
  document.documentElement.dataset.mode = "auto";
}
