import { describe, expect, it } from "vitest";
import { ChatState } from "../src/state";
import type { ThreadSummary } from "../src/types";
import { BOB, ME, del, msg, room } from "./helpers";

function fresh(): ChatState {
  const st = new ChatState();
  st.setMe(ME);
  st.upsertRooms([room(7, 10)], true);
  return st;
}

const summary = (n: number, last: number, who: number[]): ThreadSummary => ({
  reply_count: n,
  last_reply_at: last,
  participants: who,
});

const reply = (seq: number, root: number, text: string, sender = BOB, n = 1) =>
  msg(7, seq, text, sender, {
    thread_root: root,
    root_thread: summary(n, 1000 + seq, [sender.id]),
  });

describe("threads in the state", () => {
  it("keeps replies off the main timeline and updates the root's summary", () => {
    const st = fresh();
    st.applyEvent(msg(7, 11, "root", ME));
    expect(st.applyEvent(reply(12, 11, "r1"))).toBe(true);
    expect(st.applyEvent(reply(12, 11, "r1"))).toBe(false); // replayed: dropped
    const main = st.timeline(7).map((i) => (i.kind === "message" ? i.message.text : ""));
    expect(main).toEqual(["root"]);
    expect(st.room(7)!.messages.get(11)!.thread).toEqual(summary(1, 1012, [BOB.id]));
    // a reply is no unread message of the room, nor its last message
    expect(st.room(7)!.unread).toBe(0);
    expect(st.room(7)!.lastMessage!.seq).toBe(11);
    // the resume point moves on
    expect(st.resumeMap()).toEqual({ "7": 12 });
  });

  it("pages a thread and merges live replies, edits, reactions and deletes", () => {
    const st = fresh();
    st.applyEvent(msg(7, 11, "root", BOB));
    st.threads.mergePage(7, msg(7, 11, "root"), [reply(12, 11, "r1")], true, "latest");
    st.applyEvent(reply(13, 11, "r2", ME, 2));
    expect(st.threads.replies(7, 11).map((m) => m.text)).toEqual(["r1", "r2"]);
    expect(st.threads.thread(7, 11).hasMoreBefore).toBe(true);
    st.applyEvent({ ...msg(7, 14, "r1 edited"), kind: "edit", target: 12 });
    expect(st.threads.replies(7, 11)[0]!.text).toBe("r1 edited");
    st.applyEvent({
      ...msg(7, 15, "👍"),
      kind: "react",
      target: 12,
      reactions: [{ emoji: "👍", count: 1, users: [BOB.id] }],
    });
    expect(st.threads.replies(7, 11)[0]!.reactions).toHaveLength(1);
    const gone = { ...del(7, 16, 12), thread_root: 11, root_thread: summary(1, 1013, [ME.id]) };
    st.applyEvent(gone);
    expect(st.threads.replies(7, 11)[0]!.deleted).toBe(true);
    expect(st.room(7)!.messages.get(11)!.thread).toEqual(summary(1, 1013, [ME.id]));
    // the last reply deleted: no summary
    st.applyEvent({ ...del(7, 17, 13, ME), thread_root: 11, root_thread: null });
    expect(st.room(7)!.messages.get(11)!.thread).toBeNull();
  });

  it("counts unread replies in followed threads and marks them read", () => {
    const st = fresh();
    st.applyEvent(msg(7, 11, "mine", ME));
    st.threads.setFollowed([
      { room: 7, root: msg(7, 11, "mine", ME), unread: 0, last_read_seq: 0 },
    ]);
    st.applyEvent(reply(12, 11, "a"));
    st.applyEvent(reply(13, 11, "b"));
    expect(st.threads.unread(7, 11)).toBe(2);
    expect(st.threads.totalUnread()).toBe(2);
    // my own reply reads the thread
    st.applyEvent(reply(14, 11, "me too", ME));
    expect(st.threads.unread(7, 11)).toBe(0);
    st.applyEvent(reply(15, 11, "c"));
    st.threads.thread(7, 11);
    st.threads.addReply(reply(15, 11, "c"));
    expect(st.threads.markRead(7, 11, 15)).toBe(true);
    expect(st.threads.markRead(7, 11, 12)).toBe(false);
    expect(st.threads.unread(7, 11)).toBe(0);
    st.threads.setFollowing(7, st.room(7)!.messages.get(11)!, false);
    expect(st.threads.isFollowing(7, 11)).toBe(false);
    st.applyEvent(reply(16, 11, "d"));
    expect(st.threads.totalUnread()).toBe(0);
  });

  it("asks the server when a reply may have made me follow a thread", () => {
    const st = fresh();
    st.applyEvent(msg(7, 11, "my root", ME));
    expect(st.threads.staleFollowed).toBe(false);
    st.applyEvent(reply(12, 11, "to you"));
    expect(st.threads.staleFollowed).toBe(true);
    st.threads.setFollowed([]);
    expect(st.threads.staleFollowed).toBe(false);
    st.applyEvent(msg(7, 13, "bob's root", BOB));
    st.applyEvent(reply(14, 13, "mine", ME));
    expect(st.threads.staleFollowed).toBe(true);
  });

  it("forgets a room's threads with the room", () => {
    const st = fresh();
    st.threads.mergePage(7, msg(7, 11, "root"), [reply(12, 11, "r")], false, "latest");
    st.removeRoom(7);
    expect(st.threads.replies(7, 11)).toEqual([]);
  });
});
