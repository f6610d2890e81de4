import { describe, expect, it } from "vitest";
import { linkify, safeHref } from "../src/linkify";

describe("linkify", () => {
  it("links http and https only, keeping the rest as text", () => {
    expect(
      linkify("see https://example.com/x and javascript:alert(1) or data:text/html,<b>"),
    ).toEqual([
      { kind: "text", text: "see " },
      { kind: "link", text: "https://example.com/x", href: "https://example.com/x" },
      { kind: "text", text: " and javascript:alert(1) or data:text/html,<b>" },
    ]);
  });

  it("leaves trailing punctuation out but keeps balanced parentheses", () => {
    expect(linkify("(go to http://a.example/b.)")[1]).toEqual({
      kind: "link",
      text: "http://a.example/b",
      href: "http://a.example/b",
    });
    expect(linkify("http://w.example/Foo_(bar)")[0]).toMatchObject({
      text: "http://w.example/Foo_(bar)",
    });
  });

  it("treats markup as plain text", () => {
    expect(linkify('<img src=x onerror="alert(1)">')).toEqual([
      { kind: "text", text: '<img src=x onerror="alert(1)">' },
    ]);
  });

  it("refuses other schemes", () => {
    expect(safeHref("javascript:alert(1)")).toBeNull();
    expect(safeHref("https://ok.example/")).toBe("https://ok.example/");
  });
});
