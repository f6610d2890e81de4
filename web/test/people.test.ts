import { describe, expect, it } from "vitest";
import { People } from "../src/people";
import type { Profile } from "../src/types";

const ada: Profile = {
  id: 1,
  username: "ada",
  display_name: "Ada L.",
  status_text: "on a train",
  status_emoji: "🚆",
  time_zone: "Europe/London",
};

describe("people", () => {
  it("shows the display name, else the username, and the status in one line", () => {
    const p = new People();
    expect(p.displayName(1, "ada")).toBe("ada");
    p.set(ada);
    expect(p.displayName(1, "ada")).toBe("Ada L.");
    expect(p.status(1)).toBe("🚆 on a train");
    p.set({ ...ada, display_name: null, status_emoji: null });
    expect(p.displayName(1, "ada")).toBe("ada");
    expect(p.status(1)).toBe("on a train");
  });

  it("fetches an unknown name once, and tells listeners when it arrives", async () => {
    const asked: string[] = [];
    const p = new People(async (u) => {
      asked.push(u);
      return { ...ada, username: u };
    });
    let told = 0;
    p.subscribe(() => told++);
    p.displayName(1, "ada");
    p.displayName(1, "ADA");
    await Promise.resolve();
    await Promise.resolve();
    expect(asked).toEqual(["ada"]);
    expect(told).toBe(1);
    expect(p.displayName(1, "ada")).toBe("Ada L.");
  });

  it("an unreadable profile leaves the username; an unchanged one tells nobody", async () => {
    const p = new People(() => Promise.reject(new Error("404")));
    let told = 0;
    p.subscribe(() => told++);
    expect(p.displayName(9, "ghost")).toBe("ghost");
    await Promise.resolve();
    p.set(ada);
    p.set({ ...ada });
    expect(told).toBe(1);
  });

  it("an avatar's URL names its size and id; none without one; found by username", () => {
    const p = new People();
    expect(p.avatarUrl(ada.id)).toBeNull();
    p.set({ ...ada, username: "ada x", avatar: "Ab_9" });
    expect(p.avatarUrl(ada.id, 256)).toBe("/api/v1/users/ada%20x/avatar?size=256&v=Ab_9");
    expect(p.avatarUrl(ada.id)).toBe("/api/v1/users/ada%20x/avatar?size=64&v=Ab_9");
    expect(p.byUsername("ADA X")?.id).toBe(ada.id);
    p.set({ ...ada, avatar: null });
    expect(p.avatarUrl(ada.id)).toBeNull();
  });
});
