import { describe, expect, it } from "vitest";
import { Drafts, type DraftStore } from "../src/drafts";

class MemoryStore implements DraftStore {
  m = new Map<string, string>();
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null;
  }
  get length() {
    return this.m.size;
  }
}

describe("Drafts", () => {
  it("keeps one draft per room and gives each room only its own", () => {
    const s = new MemoryStore();
    const d = new Drafts(s, 1);
    d.set(10, "for ten");
    d.set(11, "for eleven");
    expect(d.get(10)).toBe("for ten");
    expect(d.get(11)).toBe("for eleven");
    expect(d.get(12)).toBe("");
    // a second Drafts on the same store (a reload) sees them
    expect(new Drafts(s, 1).get(10)).toBe("for ten");
  });

  it("blank text removes the draft", () => {
    const s = new MemoryStore();
    const d = new Drafts(s, 1);
    d.set(10, "x");
    d.set(10, "  \n");
    expect(s.length).toBe(0);
  });

  it("another user on the same browser does not see them; clearAll forgets only mine", () => {
    const s = new MemoryStore();
    new Drafts(s, 1).set(10, "mine");
    new Drafts(s, 2).set(10, "theirs");
    expect(new Drafts(s, 2).get(10)).toBe("theirs");
    new Drafts(s, 1).clearAll();
    expect(new Drafts(s, 1).get(10)).toBe("");
    expect(new Drafts(s, 2).get(10)).toBe("theirs");
  });

  it("a store that throws (storage refused) loses the draft, not the page", () => {
    const broken: DraftStore = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("quota");
      },
      removeItem: () => {},
      key: () => null,
      length: 0,
    };
    const d = new Drafts(broken, 1);
    expect(() => d.set(1, "x")).not.toThrow();
    expect(d.get(1)).toBe("");
    expect(new Drafts(null, 1).get(1)).toBe("");
  });
});

describe("RoomLevels", () => {
  it("keeps a level per room and user; all is the default and is not stored", async () => {
    const { RoomLevels } = await import("../src/prefs");
    const s = new MemoryStore();
    const l = new RoomLevels(s, 1);
    expect(l.get(7)).toBeNull();
    l.set(7, "mentions");
    expect(new RoomLevels(s, 1).get(7)).toBe("mentions");
    expect(new RoomLevels(s, 2).get(7)).toBeNull();
    l.set(7, "all");
    expect(s.length).toBe(0);
    s.setItem("parley.level.1.8", "bogus");
    expect(l.get(8)).toBeNull();
  });
});
