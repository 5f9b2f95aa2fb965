// ESLint (flat config) for the book's own JavaScript: `make lint` runs it.
// lib/explorer/*.js are the explorer widget's ES modules (anywidget); tools/*.js are classic scripts that
// the site's pages load; both run in the browser (no bundler, no Node APIs). tests/js/*.mjs are
// the helpers' unit tests, run by Node.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["_build/", "_vendor/", ".venv/", "node_modules/"] },
  {
    files: ["lib/explorer/*.js"],
    ...js.configs.recommended,
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser } },
  },
  {
    files: ["tools/*.js"],
    ...js.configs.recommended,
    languageOptions: { ecmaVersion: 2022, sourceType: "script", globals: { ...globals.browser } },
  },
  {
    files: ["tests/js/*.mjs"],
    ...js.configs.recommended,
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
  },
  {
    files: ["lib/explorer/*.js", "tools/*.js", "tests/js/*.mjs"],
    rules: {
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-var": "off", // tools/*.js keep ES5 style for the oldest browsers that open the site
      "prefer-const": "error",
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_" }],
    },
  },
];
