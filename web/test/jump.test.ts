import { describe, expect, it } from "vitest";
import type { AroundPage, HistoryPage } from "../src/api";
import { BRIDGE_PAGES, BRIDGE_PAGE_SIZE, holds, loadAround, type JumpApi } from "../src/jump";
import { ChatState } from "../src/state";
import type { ChatEvent } from "../src/types";
import { ME, msg, room } from "./helpers";

/** A room of messages 1..n served as the server pages them (docs/api.md, "Messages"). */
class Server implements JumpApi {
  calls: string[] = [];
  constructor(private readonly all: ChatEvent[]) {}

  async around(_room: number, seq: number, limit: number): Promise<AroundPage> {
    this.calls.push(`around ${seq}`);
    const upTo = this.all.filter((m) => m.seq <= seq);
    const past = this.all.filter((m) => m.seq > seq);
    let after = Math.min(Math.floor(limit / 2), past.length);
    const before = Math.min(limit - after, upTo.length);
    after = Math.min(limit - before, past.length);
    const messages = [...upTo.slice(upTo.length - before), ...past.slice(0, after)];
    const has_more_before = upTo.length > before;
    const has_more_after = past.length > after;
    const has_more = has_more_before || has_more_after;
    return { messages, has_more, has_more_before, has_more_after };
  }

  async after(_room: number, seq: number, limit: number): Promise<HistoryPage> {
    this.calls.push(`after ${seq}`);
    const past = this.all.filter((m) => m.seq > seq);
    return { messages: past.slice(0, limit), has_more: past.length > limit };
  }

  latest(limit: number): HistoryPage {
    return { messages: this.all.slice(-limit), has_more: this.all.length > limit };
  }
}

function setup(n: number) {
  const all = Array.from({ length: n }, (_, i) => msg(7, i + 1, `m${i + 1}`));
  const st = new ChatState();
  st.setMe(ME);
  st.upsertRooms([room(7, n)], true);
  return { st, server: new Server(all) };
}

const seqs = (st: ChatState) => [...st.room(7)!.messages.keys()].sort((a, b) => a - b);
const run = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("opening a room at a message", () => {
  it("asks nothing when the held timeline already shows it", async () => {
    const { st, server } = setup(100);
    st.mergeHistory(7, server.latest(50).messages, true, "latest");
    expect(holds(st, 7, 80)).toBe(true);
    expect(await loadAround(st, server, 7, 80)).toBe(true);
    expect(server.calls).toEqual([]);
  });

  it("loads the window and the pages up to what is held, one unbroken run", async () => {
    const { st, server } = setup(600);
    st.mergeHistory(7, server.latest(50).messages, true, "latest");
    await loadAround(st, server, 7, 100);
    // around 100 (76..125), then 126..325, 326..525 and 526..725, which meets 551.
    expect(server.calls).toEqual(["around 100", "after 125", "after 325", "after 525"]);
    expect(seqs(st)).toEqual(run(76, 600));
    const r = st.room(7)!;
    expect(r.oldestFetched).toBe(76);
    expect(r.hasMoreBefore).toBe(true);
    expect(r.historyLoaded).toBe(true);
    expect(holds(st, 7, 100)).toBe(true);
  });

  it("in a room not loaded yet, reaches the newest and counts as loaded", async () => {
    const { st, server } = setup(60);
    await loadAround(st, server, 7, 3);
    expect(server.calls).toEqual(["around 3", "after 50"]);
    expect(seqs(st)).toEqual(run(1, 60));
    const r = st.room(7)!;
    expect(r.historyLoaded).toBe(true);
    expect(r.hasMoreBefore).toBe(false);
  });

  it("keeps the live messages it held before the newest page was read", async () => {
    const { st, server } = setup(30);
    st.applyEvent(msg(7, 31, "live"));
    await loadAround(st, server, 7, 10);
    expect(seqs(st)).toEqual(run(1, 31));
  });

  it("beyond the bound, shows the window alone rather than a run with a hole", async () => {
    const n = 100 + BRIDGE_PAGES * BRIDGE_PAGE_SIZE + 500;
    const { st, server } = setup(n);
    st.mergeHistory(7, server.latest(50).messages, true, "latest");
    await loadAround(st, server, 7, 100);
    expect(server.calls.length).toBe(1 + BRIDGE_PAGES);
    const held = seqs(st);
    expect(held[0]).toBe(76);
    // contiguous from the window on, and nothing of the old tail beyond the gap
    expect(held).toEqual(run(76, held[held.length - 1]!));
    expect(held).not.toContain(n);
  });

  it("a room the client does not know is not asked about", async () => {
    const { st, server } = setup(5);
    expect(await loadAround(st, server, 8, 1)).toBe(false);
    expect(server.calls).toEqual([]);
  });
});
