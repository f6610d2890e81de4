import { describe, expect, it } from "vitest";
import { toMessage } from "../src/model";
import { applyReaction, withMyReactions } from "../src/reactions";
import type { ChatEvent } from "../src/types";
import { msg } from "./helpers";

function reactEv(kind: "react" | "unreact", sender: number, emoji: string, count: number) {
  return {
    ...msg(1, 9, emoji),
    kind,
    sender,
    target: 5,
    reactions: count ? [{ emoji, count, users: [sender] }] : [],
  } as ChatEvent;
}

describe("reactions in the state", () => {
  it("an event replaces the aggregate; only my own events change mine", () => {
    const m = toMessage(msg(1, 5, "hi"));
    expect(m.reactions).toEqual([]);
    applyReaction(m, reactEv("react", 2, "👍", 1), false);
    expect(m.reactions).toEqual([{ emoji: "👍", count: 1, users: [2] }]);
    expect(m.mine).toEqual([]);
    applyReaction(m, reactEv("react", 1, "👍", 2), true);
    expect(m.mine).toEqual(["👍"]);
    applyReaction(m, reactEv("react", 1, "👍", 2), true); // a replay changes nothing
    expect(m.mine).toEqual(["👍"]);
    applyReaction(m, reactEv("unreact", 1, "👍", 1), true);
    expect(m.mine).toEqual([]);
    expect(m.reactions[0].count).toBe(1);
  });

  it("a deleted message keeps none", () => {
    const m = toMessage({ ...msg(1, 5, ""), deleted: true, reactions: [] });
    applyReaction(m, reactEv("react", 2, "🎉", 1), false);
    expect(m.reactions).toEqual([]);
  });

  it("history's my_reactions become each message's mine", () => {
    const page = [msg(1, 5, "a"), msg(1, 6, "b")];
    const out = withMyReactions(page, { "6": ["🎉"] }).map(toMessage);
    expect(out[0].mine).toEqual([]);
    expect(out[1].mine).toEqual(["🎉"]);
    expect(withMyReactions(page, undefined)).toBe(page);
  });
});
