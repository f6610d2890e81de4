import { describe, expect, it } from "vitest";
import { ChatState } from "../src/state";
import { BOB, ME, del, edit, msg, room } from "./helpers";

function fresh(): ChatState {
  const st = new ChatState();
  st.setMe(ME);
  return st;
}

const texts = (st: ChatState, r: number) =>
  st.timeline(r).map((i) => (i.kind === "message" ? i.message.text : `pending:${i.pending.text}`));

describe("timeline and dedupe", () => {
  it("orders events by seq and drops replays at or below the resume point", () => {
    const st = fresh();
    st.upsertRooms([room(7, 10)], true);
    expect(st.applyEvent(msg(7, 11, "a"))).toBe(true);
    expect(st.applyEvent(msg(7, 12, "b"))).toBe(true);
    expect(st.applyEvent(msg(7, 12, "b"))).toBe(false);
    expect(st.applyEvent(msg(7, 9, "old"))).toBe(false);
    expect(texts(st, 7)).toEqual(["a", "b"]);
    expect(st.resumeMap()).toEqual({ "7": 12 });
  });

  it("merges history pages with live events without duplicates", () => {
    const st = fresh();
    st.upsertRooms([room(7, 100)], true);
    st.applyEvent(msg(7, 101, "live1"));
    st.applyEvent(msg(7, 102, "live2"));
    // the newest page overlaps what arrived live
    st.mergeHistory(
      7,
      [msg(7, 100, "h100"), msg(7, 101, "live1"), msg(7, 102, "live2")],
      true,
      "latest",
    );
    st.mergeHistory(7, [msg(7, 98, "h98"), msg(7, 99, "h99")], false, "before");
    expect(texts(st, 7)).toEqual(["h98", "h99", "h100", "live1", "live2"]);
    const r = st.room(7)!;
    expect(r.oldestFetched).toBe(98);
    expect(r.hasMoreBefore).toBe(false);
    expect(r.historyLoaded).toBe(true);
  });

  it(
    "applies edits and deletes; a deletion sticks and a stale history page cannot undo " +
      "an edit",
    () => {
      const st = fresh();
      st.upsertRooms([room(7, 0)], true);
      st.applyEvent(msg(7, 1, "helo"));
      st.applyEvent(edit(7, 2, 1, "hello"));
      expect(texts(st, 7)).toEqual(["hello"]);
      st.mergeHistory(7, [msg(7, 1, "helo")], false, "latest"); // fetched before the edit
      expect(texts(st, 7)).toEqual(["hello"]);
      st.applyEvent(del(7, 3, 1));
      st.mergeHistory(7, [msg(7, 1, "hello", BOB, { edited_at: 5002 })], false, "latest");
      const m = st.room(7)!.messages.get(1)!;
      expect(m.deleted).toBe(true);
      expect(m.text).toBe("");
    },
  );

  it("does not move a known room's resume point from a later room list", () => {
    const st = fresh();
    st.upsertRooms([room(7, 10)], true);
    st.upsertRooms([room(7, 15)], true); // the list is ahead of the stream
    expect(st.resumeMap()).toEqual({ "7": 10 });
    st.applyEvent(msg(7, 11, "still delivered"));
    expect(texts(st, 7)).toEqual(["still delivered"]);
  });

  it("ready: rooms left while away are dropped, new rooms start at the server's last seq", () => {
    const st = fresh();
    st.upsertRooms([room(7, 10), room(8, 3)], true);
    const unknown = st.onReady(ME, [
      { id: 7, last_seq: 12 },
      { id: 9, last_seq: 40 },
    ]);
    expect(unknown).toEqual([9]);
    expect(st.rooms.has(8)).toBe(false);
    expect(st.resumeMap()).toEqual({ "7": 10, "9": 40 });
    expect(st.room(9)!.known).toBe(false);
  });

  it("resync forgets the timeline and takes the new resume point", () => {
    const st = fresh();
    st.upsertRooms([room(7, 0)], true);
    st.applyEvent(msg(7, 1, "a"));
    st.resync(7, 5000);
    const r = st.room(7)!;
    expect(r.messages.size).toBe(0);
    expect(r.historyLoaded).toBe(false);
    expect(st.resumeMap()).toEqual({ "7": 5000 });
    expect(st.applyEvent(msg(7, 4999, "x"))).toBe(false);
  });
});

describe("pending sends", () => {
  it(
    "shows a pending message until acked, then places it at its seq; " +
      "the echo does not duplicate it",
    () => {
      const st = fresh();
      st.upsertRooms([room(7, 0)], true);
      st.addPending(7, "hi", 0, "cm-1", 1);
      expect(texts(st, 7)).toEqual(["pending:hi"]);
      expect(st.sendable().map((p) => p.client_msg_id)).toEqual(["cm-1"]);
      st.onSendAck("cm-1", 7, 1);
      expect(texts(st, 7)).toEqual(["hi"]);
      st.applyEvent(msg(7, 1, "hi", ME, { client_msg_id: "cm-1" }));
      expect(texts(st, 7)).toEqual(["hi"]);
      expect(st.pending.size).toBe(0);
    },
  );

  it("an echo arriving before the ack settles the pending send too", () => {
    const st = fresh();
    st.upsertRooms([room(7, 0)], true);
    st.addPending(7, "hi", 0, "cm-1", 1);
    st.applyEvent(msg(7, 1, "hi", ME, { client_msg_id: "cm-1" }));
    expect(texts(st, 7)).toEqual(["hi"]);
    st.onSendAck("cm-1", 7, 1); // late ack: nothing more
    expect(texts(st, 7)).toEqual(["hi"]);
  });

  it(
    "in-flight sends become sendable again when the socket goes; failures wait for " + "a retry",
    () => {
      const st = fresh();
      st.upsertRooms([room(7, 0)], true);
      const p = st.addPending(7, "a", 0, "cm-a", 1);
      st.addPending(7, "b", 0, "cm-b", 2);
      p.inflight = 1;
      expect(st.sendable().map((x) => x.client_msg_id)).toEqual(["cm-b"]);
      st.clearInflight();
      expect(st.sendable().map((x) => x.client_msg_id)).toEqual(["cm-a", "cm-b"]);
      st.failPending("cm-b", "too long");
      expect(st.sendable().map((x) => x.client_msg_id)).toEqual(["cm-a"]);
      st.retryPending("cm-b");
      expect(st.sendable().map((x) => x.client_msg_id)).toEqual(["cm-a", "cm-b"]);
    },
  );
});

describe("unread counts and read markers", () => {
  it("counts others' new messages, not mine, and deletions of unread ones", () => {
    const st = fresh();
    st.upsertRooms([room(7, 10, { unread: 2, last_read_seq: 8 })], true);
    expect(st.room(7)!.unread).toBe(2);
    st.applyEvent(msg(7, 11, "x"));
    st.applyEvent(msg(7, 12, "mine", ME));
    expect(st.room(7)!.unread).toBe(3);
    st.applyEvent(del(7, 13, 11));
    expect(st.room(7)!.unread).toBe(2);
  });

  it("marking read moves forward only and recounts what lies after the marker", () => {
    const st = fresh();
    st.upsertRooms([room(7, 0, { last_read_seq: 0 })], true);
    for (let s = 1; s <= 4; s++) st.applyEvent(msg(7, s, `m${s}`));
    expect(st.room(7)!.unread).toBe(4);
    expect(st.markRead(7, 2)).toBe(true);
    expect(st.room(7)!.unread).toBe(2);
    expect(st.markRead(7, 1)).toBe(false);
    st.onRead(7, ME.id, 4); // my other device read everything
    expect(st.room(7)!.unread).toBe(0);
    expect(st.newestSeq(7)).toBe(4);
  });

  it("a room list after a resync supplies the unread count", () => {
    const st = fresh();
    st.upsertRooms([room(7, 0)], true);
    st.resync(7, 50);
    st.upsertRooms([room(7, 50, { unread: 9 })]);
    expect(st.room(7)!.unread).toBe(9);
  });
});

describe("typing and presence", () => {
  it("typing expires and clears when the typist's message arrives", () => {
    const st = fresh();
    st.upsertRooms([room(7, 0)], true);
    st.onTyping(7, BOB, 1000);
    st.onTyping(7, ME, 1000);
    expect(st.typingNames(7, 2000)).toEqual(["bob"]);
    expect(st.typingNames(7, 7000)).toEqual([]);
    st.onTyping(7, BOB, 8000);
    st.applyEvent(msg(7, 1, "done typing"));
    expect(st.typingNames(7, 8001)).toEqual([]);
  });

  it("the presence snapshot replaces what was known", () => {
    const st = fresh();
    const CAROL = { id: 3, username: "carol" };
    st.onPresence(CAROL, true);
    st.onPresenceSnapshot([BOB]);
    expect(st.isOnline(BOB.id)).toBe(true);
    expect(st.isOnline(CAROL.id)).toBe(false);
    st.onPresence(BOB, false);
    expect(st.isOnline(BOB.id)).toBe(false);
  });

  it("the member count follows joins and leaves live", () => {
    const st = fresh();
    st.upsertRooms([room(7, 0)], true);
    const m = (u: { id: number; username: string }) => ({
      user_id: u.id,
      username: u.username,
      role: "member" as const,
      last_read_seq: 0,
    });
    st.setMembers(7, [m(ME)], { member_count: 1, live_presence: true });
    st.onMember(7, BOB, "joined", "member");
    expect(st.room(7)?.memberCount).toBe(2);
    st.onMember(7, BOB, "joined", "member"); // a repeat changes nothing
    expect(st.room(7)?.memberCount).toBe(2);
    st.onMember(7, BOB, "role", "admin");
    expect(st.room(7)?.memberCount).toBe(2);
    st.onMember(7, BOB, "left");
    expect(st.room(7)?.memberCount).toBe(1);
  });

  it("a room too big for live presence takes online from its member list", () => {
    const st = fresh();
    st.upsertRooms([room(7, 0), room(8, 0)], true);
    const member = (u: { id: number; username: string }, online: boolean) => ({
      user_id: u.id,
      username: u.username,
      role: "member" as const,
      last_read_seq: 0,
      online,
    });
    st.setMembers(7, [member(ME, true), member(BOB, true)], {
      member_count: 5000,
      live_presence: false,
    });
    st.setMembers(8, [member(ME, true), member(BOB, true)], {
      member_count: 2,
      live_presence: true,
    });
    // no live frame says Bob is online: the big room still shows him, from its list
    expect(st.isOnlineIn(7, BOB.id)).toBe(true);
    expect(st.isOnlineIn(8, BOB.id)).toBe(false);
    expect(st.room(7)?.memberCount).toBe(5000);
    st.onPresence(BOB, true);
    expect(st.isOnlineIn(8, BOB.id)).toBe(true);
    st.setMembers(7, [member(ME, true), member(BOB, false)], {
      member_count: 5000,
      live_presence: false,
    });
    expect(st.isOnlineIn(7, BOB.id)).toBe(false);
  });

  it("presence is reset by ready (the server re-sends who is online)", () => {
    const st = fresh();
    st.onPresence(BOB, true);
    expect(st.isOnline(BOB.id)).toBe(true);
    st.onReady(ME, []);
    expect(st.isOnline(BOB.id)).toBe(false);
  });
});

describe("attachments", () => {
  const file = (id: string) => ({
    id,
    room: 7,
    name: `${id}.png`,
    size: 10,
    mime: "image/png",
    uploader: 2,
    created_at: 1,
    image: { width: 2, height: 2 },
    thumbnail: true,
  });

  it("keeps a message's files, and drops them when it is deleted", () => {
    const st = fresh();
    st.upsertRooms([room(7, 0)], true);
    st.applyEvent(msg(7, 1, "", BOB, { files: [file("a"), file("b")] }));
    expect(
      st
        .room(7)!
        .messages.get(1)!
        .files.map((f) => f.id),
    ).toEqual(["a", "b"]);
    st.applyEvent(edit(7, 2, 1, "caption"));
    expect(st.room(7)!.messages.get(1)!.files).toHaveLength(2);
    st.applyEvent(del(7, 3, 1));
    expect(st.room(7)!.messages.get(1)!.files).toEqual([]);
    // a history page fetched before the deletion cannot bring them back
    st.mergeHistory(7, [msg(7, 1, "", BOB, { files: [file("a")] })], false, "latest");
    expect(st.room(7)!.messages.get(1)!.files).toEqual([]);
    // and a deleted message in history has none
    st.mergeHistory(
      7,
      [msg(7, 4, "", BOB, { deleted: true, files: [file("c")] })],
      false,
      "before",
    );
    expect(st.room(7)!.messages.get(4)!.files).toEqual([]);
  });

  it("a sent message carries its files from the ack, then the event's objects", () => {
    const st = fresh();
    st.upsertRooms([room(7, 0)], true);
    st.addPending(7, "", 0, "cm-1", 100, [file("a")]);
    expect(st.timeline(7)[0]).toMatchObject({ kind: "pending", pending: { files: [{ id: "a" }] } });
    st.onSendAck("cm-1", 7, 1);
    expect(
      st
        .room(7)!
        .messages.get(1)!
        .files.map((f) => f.id),
    ).toEqual(["a"]);
    const fromServer = { ...file("a"), thumbnail: false };
    st.applyEvent(msg(7, 1, "", ME, { client_msg_id: "cm-1", files: [fromServer] }));
    expect(st.room(7)!.messages.get(1)!.files[0]!.thumbnail).toBe(false);
  });
});

describe("room settings events", () => {
  const settings = (name: string, topic: string, changed: string[]) => ({
    name,
    topic,
    public: false,
    archived: false,
    post: "all" as const,
    room_mentions: "admins" as const,
    pins: "all" as const,
    changed,
  });

  it("a settings event renames the room and sets its rules, once, and is no message", () => {
    const st = fresh();
    st.upsertRooms([room(7, 3)], true);
    const ev = msg(7, 4, "", BOB, {
      kind: "settings",
      settings: settings("Ops", "on call", ["name", "topic"]),
    });
    expect(st.applyEvent(ev)).toBe(true);
    const r = st.room(7)!;
    expect(r.info).toMatchObject({
      name: "Ops",
      topic: "on call",
      room_mentions: "admins",
      pins: "all",
    });
    expect(r.messages.has(4)).toBe(false);
    expect(r.unread).toBe(0);
    expect(texts(st, 7)).toEqual([]);
    // replayed on a resume that overlaps: dropped, and a later change wins
    expect(st.applyEvent({ ...ev, settings: settings("Old", "", ["name"]) })).toBe(false);
    expect(r.info.name).toBe("Ops");
    st.applyEvent(
      msg(7, 5, "", BOB, { kind: "settings", settings: settings("Ops 2", "", ["name", "topic"]) }),
    );
    expect(r.info).toMatchObject({ name: "Ops 2", topic: "" });
  });

  it("an event of another kind leaves the settings alone", () => {
    const st = fresh();
    st.upsertRooms([room(7, 3)], true);
    const before = { ...st.room(7)!.info };
    st.applyEvent(msg(7, 4, "hello", BOB, { settings: null }));
    expect(st.room(7)!.info.name).toBe(before.name);
    expect(st.room(7)!.info.topic).toBe(before.topic);
  });
});
