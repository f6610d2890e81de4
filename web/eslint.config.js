// ESLint flat config: the recommended JavaScript and TypeScript rules over the client, its
// unit tests and the browser tests, plus the client's layering (web/README.md, "Modules").
// Formatting is prettier's (.prettierrc.json); `npm run lint` runs both.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

/** Imports a module may not make, as no-restricted-imports patterns with a reason. */
function forbid(...groups) {
  return { "no-restricted-imports": ["error", { patterns: groups }] };
}

// The views proper. A view may import only the parts: context.ts (what the shell hands a
// view), attachments.ts (files in the DOM) and message.ts (one timeline row).
const views = [
  "profile",
  "composer",
  "dialogs",
  "login",
  "room-header",
  "room-list",
  "search",
  "switcher",
  "timeline",
];

export default tseslint.config(
  { ignores: ["dist/", "node_modules/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "max-len": ["error", { code: 100, ignoreUrls: false }],
    },
  },
  {
    files: ["src/**/*.ts"],
    rules: { "max-lines": ["error", { max: 500, skipBlankLines: false, skipComments: false }] },
  },
  {
    files: ["e2e/**/*.mjs", "*.js"],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    // harness.mjs's helpers whose names are also browser globals: a missing import is not
    // undefined there, it is the window's function.
    files: ["e2e/**/*.mjs"],
    rules: {
      "no-restricted-globals": [
        "error",
        { name: "postMessage", message: "Import postMessage from ./harness.mjs." },
      ],
    },
  },
  {
    files: ["src/views/**/*.ts"],
    rules: forbid(
      { group: ["../app", "../main"], message: "A view reaches the shell through ChatContext." },
      { group: views.map((v) => `./${v}`), message: "A view does not import another view." },
    ),
  },
  {
    files: ["src/*.ts"],
    ignores: ["src/app.ts", "src/main.ts", "src/dom.ts"],
    rules: forbid(
      { group: ["./views/*", "./app", "./main"], message: "Below the views: no views here." },
      { group: ["./dom"], message: "State, protocol and text helpers have no DOM." },
    ),
  },
  {
    files: ["src/dom.ts"],
    rules: forbid({ group: ["./*", "!./linkify"], message: "dom.ts builds on linkify.ts only." }),
  },
);
