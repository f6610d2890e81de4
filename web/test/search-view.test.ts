// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { snippetEl } from "../src/views/search";
import { OWASP_VECTORS as VECTORS } from "./xss-vectors";

const hit = (parts: { text: string; match: boolean }[]) => ({
  room_id: 1,
  seq: 2,
  sender: { id: 1, username: "a" },
  created_at: 0,
  exact: true,
  snippet: parts,
});

describe("a hit's snippet", () => {
  it("marks the matched words and nothing else", () => {
    const p = snippetEl(
      hit([
        { text: "the ", match: false },
        { text: "budget", match: true },
        { text: " is due", match: false },
      ]),
    );
    expect(p.textContent).toBe("the budget is due");
    expect([...p.querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["budget"]);
    expect(p.children).toHaveLength(1);
  });

  it("shows server text as text, whatever it holds", () => {
    for (const v of VECTORS) {
      const p = snippetEl(
        hit([
          { text: v, match: false },
          { text: v, match: true },
        ]),
      );
      expect(p.textContent).toBe(v + v);
      // only the one <mark> element: no markup of the text became an element
      expect(p.querySelectorAll("*")).toHaveLength(1);
    }
  });
});
