import { describe, expect, it } from "vitest";
import { mentionsMe, notifyWorthy } from "../src/notify-rules";

const me = { id: 1, username: "ann.b" };
const from = (text: string, extra = {}) => ({ sender: 2, text, ...extra });

describe("mentionsMe", () => {
  it.each([
    ["hi @ann.b", true],
    ["@ANN.B: look", true],
    ["@room lunch", true],
    ["(@here)", true],
    ["mail ann.b@example.com", false],
    ["@ann.bo is someone else", false],
    ["@annxb", false],
    ["no one", false],
  ])("%j → %s (from the text, on a server without mentions)", (text, want) => {
    expect(mentionsMe(from(text), me)).toBe(want);
  });

  it("the server's list wins over the text", () => {
    expect(mentionsMe(from("@ann.b", { mentions: [] }), me)).toBe(false);
    expect(mentionsMe(from("hey", { mentions: [1] }), me)).toBe(true);
    expect(mentionsMe(from("@room", { mentions: [], mention_room: true }), me)).toBe(true);
    expect(mentionsMe(from("@here", { mentions: [], mention_here: true }), me)).toBe(true);
    // @ann.b inside code is no mention: the server says so
    expect(mentionsMe(from("`@ann.b`", { mentions: [] }), me)).toBe(false);
  });
});

describe("notifyWorthy", () => {
  it("never for my own message or while I look at the room", () => {
    expect(notifyWorthy({ sender: 1, text: "x" }, me, "all", false)).toBe(false);
    expect(notifyWorthy(from("x"), me, "all", true)).toBe(false);
  });
  it("levels: all, mentions, none", () => {
    expect(notifyWorthy(from("x"), me, "all", false)).toBe(true);
    expect(notifyWorthy(from("x"), me, "mentions", false)).toBe(false);
    expect(notifyWorthy(from("@ann.b x"), me, "mentions", false)).toBe(true);
    expect(notifyWorthy(from("@ann.b x"), me, "none", false)).toBe(false);
  });
});
