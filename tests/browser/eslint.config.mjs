// eslint flat config for the browser code shipped in geo/publish/static/.
// Run from the repository root (tests/test_js.py does):
//   tests/browser/node_modules/.bin/eslint --config tests/browser/eslint.config.mjs geo/publish/static
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["**/*.js"],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",
      globals: {
        ...globals.browser,
        L: "readonly",  // Leaflet, loaded before the map runtime
      },
    },
  },
  {
    files: ["tests/js/**/*.mjs"],
    languageOptions: {sourceType: "module", globals: {...globals.node}},
  },
];
