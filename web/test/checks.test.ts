// The checks `npm run lint` runs fail when the client's shape is broken: each test plants a
// violation (as text, no file is written) and sees ESLint or prettier refuse it.

import { ESLint } from "eslint";
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";

const eslint = new ESLint();

async function problems(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe("layering (eslint.config.js)", () => {
  it.each([
    ["src/views/planted.ts", `import { ChatApp } from "../app";`, "through ChatContext"],
    ["src/views/planted.ts", `import { showLogin } from "./login";`, "not import another view"],
    ["src/planted.ts", `import { Timeline } from "./views/timeline";`, "no views here"],
    ["src/state.ts", `import { h } from "./dom";`, "have no DOM"],
    ["src/dom.ts", `import { api } from "./api";`, "linkify.ts only"],
  ])("%s may not say %s", async (file, line, why) => {
    const found = await problems(`${line}\nexport const x = 1;\n`, file);
    expect(found.join("\n")).toContain(why);
  });

  it("a view may use the shared modules, its context and the attachments", async () => {
    const code = [
      `import { api } from "../api";`,
      `import { h } from "../dom";`,
      `import type { ChatContext } from "./context";`,
      `import { attachmentsEl } from "./attachments";`,
      `export const x = [api, h, attachmentsEl];`,
      `export type C = ChatContext;`,
      ``,
    ].join("\n");
    expect(await problems(code, "src/views/planted.ts")).toEqual([]);
  });
});

describe("size", () => {
  it("eslint refuses a source file over 500 lines", async () => {
    const code = Array.from({ length: 501 }, (_, i) => `export const x${i} = ${i};`).join("\n");
    expect((await problems(code + "\n", "src/planted.ts")).join("\n")).toContain("max-lines");
  });
});

describe("line length", () => {
  const long = `export const s = "${"x".repeat(90)}";\n`;

  it("eslint refuses a line over 100 characters", async () => {
    expect((await problems(long, "src/planted.ts")).join("\n")).toContain("max-len");
  });

  it("prettier wants code broken at 100 characters", async () => {
    const options = await prettier.resolveConfig("src/planted.ts");
    expect(options?.printWidth).toBe(100);
    const call = `f(${Array.from({ length: 12 }, (_, i) => `argument${i}`).join(", ")});\n`;
    expect(call.length).toBeGreaterThan(100);
    expect(await prettier.check(call, { ...options, filepath: "src/planted.ts" })).toBe(false);
  });
});
