// WCAG contrast of the colours in the style sheets: the focus ring and input borders at 3:1
// or more against what they sit on (1.4.11), in light and dark; white avatar initials at
// 4.5:1 on every avatar colour (1.4.3). Read from the CSS itself, so a change is checked.

import { describe, expect, it } from "vitest";

// node:fs without @types/node (the client's tsconfig knows only the browser): vitest runs
// this file in Node, whose process.getBuiltinModule hands the module over untyped.
type Fs = { readFileSync(p: URL, enc: "utf8"): string };
const node = globalThis as unknown as { process: { getBuiltinModule(id: string): unknown } };
const fs = node.process.getBuiltinModule("node:fs") as Fs;
const base = fs.readFileSync(new URL("../src/styles/base.css", import.meta.url), "utf8");
const chat = fs.readFileSync(new URL("../src/styles/chat.css", import.meta.url), "utf8");

function vars(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of block.matchAll(/--([a-z-]+):\s*#([0-9a-f]{6}|[0-9a-f]{3})\b/gi)) {
    const hex = m[2].length === 3 ? [...m[2]].map((c) => c + c).join("") : m[2];
    out[m[1]] = "#" + hex;
  }
  return out;
}
const light = vars(base.slice(0, base.indexOf("@media (prefers-color-scheme: dark)")));
const dark = { ...light, ...vars(base.slice(base.indexOf("@media (prefers-color-scheme: dark)"))) };

function luminance(hex: string): number {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = c.map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe.each([
  ["light", light],
  ["dark", dark],
])("%s scheme", (_name, v) => {
  it.each(["panel", "bg", "mine", "hover"])("the focus ring stands out 3:1 on --%s", (under) => {
    expect(contrast(v.focus, v[under])).toBeGreaterThanOrEqual(3);
  });
  it.each(["panel", "bg"])("input borders stand out 3:1 on --%s", (under) => {
    expect(contrast(v["line-strong"], v[under])).toBeGreaterThanOrEqual(3);
  });
  it("text on a matched word (--mark) reads at 4.5:1", () => {
    expect(contrast(v.text, v.mark)).toBeGreaterThanOrEqual(4.5);
  });
  it("text and muted text on the opened hit (--hit) read at 4.5:1", () => {
    expect(contrast(v.text, v.hit)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(v.muted, v.hit)).toBeGreaterThanOrEqual(4.5);
  });
  it("a pressed filter chip's text reads at 4.5:1", () => {
    expect(contrast(v["accent-text"], v.accent)).toBeGreaterThanOrEqual(4.5);
  });
});

describe("avatars", () => {
  const colours = [
    ...chat.matchAll(/\.avatar\[data-c="\d"\]\s*\{\s*background:\s*(#[0-9a-f]{6})/gi),
  ];
  it("ten colours, each with white initials at 4.5:1", () => {
    expect(colours.length).toBe(10);
    for (const [, c] of colours) expect(contrast(c, "#ffffff")).toBeGreaterThanOrEqual(4.5);
  });
});
