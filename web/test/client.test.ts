import { describe, expect, it } from "vitest";
import { Connection, type SocketLike } from "../src/client";
import { ChatState } from "../src/state";
import type { Room } from "../src/types";
import { ME, msg, room } from "./helpers";

class FakeSocket implements SocketLike {
  sent: Record<string, unknown>[] = [];
  closed = false;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.({});
  }
  recv(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop(code = 1006) {
    this.onclose?.({ code });
  }
  ofType(t: string) {
    return this.sent.filter((f) => f.type === t);
  }
}

function harness(rooms: Room[] = [room(7, 10)]) {
  const st = new ChatState();
  st.setMe(ME);
  st.upsertRooms(rooms, true);
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; at: number }[] = [];
  let now = 0;
  let online = true;
  const conn = new Connection({
    state: st,
    openSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    fetchRooms: async () => rooms,
    isOnline: () => online,
    setTimer: (fn, ms) => {
      const t = { fn, at: now + ms };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => {
      const i = timers.indexOf(t as (typeof timers)[number]);
      if (i >= 0) timers.splice(i, 1);
    },
    now: () => now,
    random: () => 0.5,
  });
  const advance = (ms: number) => {
    now += ms;
    for (;;) {
      const due = timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      timers.splice(timers.indexOf(due), 1);
      due.fn();
    }
  };
  const last = () => sockets[sockets.length - 1]!;
  const connectLive = (readyRooms = [{ id: 7, last_seq: 10 }]) => {
    last().open();
    last().recv({ type: "ready", user: ME, session_id: 1, rooms: readyRooms });
    last().recv({ type: "caught_up" });
  };
  return { st, conn, sockets, advance, last, connectLive, setOnline: (v: boolean) => (online = v) };
}

describe("Connection", () => {
  it("says hello with no token and the resume map, and goes live after caught_up", () => {
    const h = harness();
    h.conn.start();
    h.last().open();
    expect(h.last().sent[0]).toEqual({ type: "hello", resume: { "7": 10 } });
    expect(h.conn.status).toBe("syncing");
    h.last().recv({ type: "ready", user: ME, session_id: 1, rooms: [{ id: 7, last_seq: 12 }] });
    h.last().recv({ type: "event", event: msg(7, 11, "missed 1") });
    h.last().recv({ type: "event", event: msg(7, 12, "missed 2") });
    h.last().recv({ type: "caught_up" });
    expect(h.conn.status).toBe("live");
    expect(h.st.timeline(7).map((i) => i.kind === "message" && i.message.text)).toEqual([
      "missed 1",
      "missed 2",
    ]);
  });

  it("resumes after a drop from the last seq seen, without duplicates", () => {
    const h = harness();
    h.conn.start();
    h.connectLive();
    h.last().recv({ type: "event", event: msg(7, 11, "a") });
    h.last().drop(1006);
    expect(h.conn.status).toBe("offline");
    expect(h.conn.drops).toBe(1);
    h.advance(10000);
    expect(h.sockets.length).toBe(2);
    h.last().open();
    expect(h.last().sent[0]).toEqual({ type: "hello", resume: { "7": 11 } });
    h.last().recv({ type: "ready", user: ME, session_id: 1, rooms: [{ id: 7, last_seq: 13 }] });
    h.last().recv({ type: "event", event: msg(7, 11, "a") }); // a server replaying too much
    h.last().recv({ type: "event", event: msg(7, 12, "b") });
    h.last().recv({ type: "event", event: msg(7, 13, "c") });
    h.last().recv({ type: "caught_up" });
    expect(h.st.timeline(7).map((i) => i.kind === "message" && i.message.text)).toEqual([
      "a",
      "b",
      "c",
    ]);
  });

  it(
    "re-sends an unacknowledged message with the same client_msg_id after reconnecting; " +
      "the duplicate ack makes one message",
    () => {
      const h = harness();
      h.conn.start();
      h.connectLive();
      h.conn.send(7, "hello", 0, "cm-1");
      const first = h.last().ofType("send");
      expect(first).toHaveLength(1);
      expect(first[0]).toMatchObject({ room: 7, client_msg_id: "cm-1", text: "hello" });
      // committed on the server, but the ack is lost with the connection
      h.last().drop(1006);
      expect(h.st.timeline(7)).toHaveLength(1);
      expect(h.st.timeline(7)[0]!.kind).toBe("pending");
      h.advance(10000);
      h.last().open();
      h.last().recv({ type: "ready", user: ME, session_id: 1, rooms: [{ id: 7, last_seq: 11 }] });
      // not re-sent before caught_up
      expect(h.last().ofType("send")).toHaveLength(0);
      h.last().recv({ type: "caught_up" });
      const again = h.last().ofType("send");
      expect(again).toHaveLength(1);
      expect(again[0]!.client_msg_id).toBe("cm-1");
      h.last().recv({
        type: "ack",
        req: again[0]!.req,
        room: 7,
        seq: 11,
        client_msg_id: "cm-1",
        duplicate: true,
      });
      h.last().recv({ type: "event", event: msg(7, 11, "hello", ME, { client_msg_id: "cm-1" }) });
      const items = h.st.timeline(7);
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ kind: "message", message: { seq: 11, text: "hello" } });
      expect(h.st.pending.size).toBe(0);
    },
  );

  it("sends the ids of attached files with the message, and again on a retry", () => {
    const h = harness();
    h.conn.start();
    h.connectLive();
    const f = (id: string) => ({
      id,
      room: 7,
      name: "x",
      size: 1,
      mime: "text/plain",
      uploader: 1,
      created_at: 1,
      image: null,
      thumbnail: false,
    });
    h.conn.send(7, "", 0, "cm-1", [f("A"), f("B")]);
    h.conn.send(7, "plain", 0, "cm-2");
    const [withFiles, plain] = h.last().ofType("send");
    expect(withFiles).toMatchObject({ client_msg_id: "cm-1", text: "", files: ["A", "B"] });
    expect(plain).not.toHaveProperty("files");
    h.last().recv({
      type: "error",
      req: withFiles!.req,
      code: "invalid_file",
      message: "file not usable",
    });
    expect(h.st.pending.get("cm-1")).toMatchObject({ status: "failed", error: "file not usable" });
    h.conn.retry("cm-1");
    expect(
      h
        .last()
        .ofType("send")
        .filter((x) => x.client_msg_id === "cm-1")
        .at(-1),
    ).toMatchObject({ files: ["A", "B"] });
  });

  it("queues sends while offline and sends them in order once back", () => {
    const h = harness();
    h.conn.start();
    h.connectLive();
    h.setOnline(false);
    h.conn.goOffline();
    expect(h.conn.status).toBe("offline");
    h.conn.send(7, "one", 0, "cm-1");
    h.conn.send(7, "two", 0, "cm-2");
    expect(h.sockets[0]!.ofType("send")).toHaveLength(0);
    h.advance(60000);
    expect(h.sockets).toHaveLength(1); // no reconnect attempts while the browser is offline
    h.setOnline(true);
    h.conn.goOnline();
    h.connectLive();
    expect(
      h
        .last()
        .ofType("send")
        .map((f) => f.client_msg_id),
    ).toEqual(["cm-1", "cm-2"]);
  });

  it("keeps retryable errors pending and fails the others", () => {
    const h = harness();
    h.conn.start();
    h.connectLive();
    h.conn.send(7, "x", 0, "cm-1");
    h.conn.send(7, "y".repeat(10), 0, "cm-2");
    const [s1, s2] = h.last().ofType("send");
    h.last().recv({ type: "error", req: s1!.req, code: "rate_limited", message: "slow down" });
    h.last().recv({ type: "error", req: s2!.req, code: "message_too_long", message: "too long" });
    expect(h.st.pending.get("cm-2")!.status).toBe("failed");
    h.advance(1000);
    const resent = h
      .last()
      .ofType("send")
      .filter((f) => f.client_msg_id === "cm-1");
    expect(resent).toHaveLength(2);
  });

  it("a ping with no answer drops the socket and reconnects", () => {
    const h = harness();
    h.conn.start();
    h.connectLive();
    h.advance(20000);
    expect(h.last().ofType("ping")).toHaveLength(1);
    h.advance(10000);
    expect(h.sockets[0]!.closed).toBe(true);
    expect(h.conn.status).toBe("offline");
    h.advance(10000);
    expect(h.sockets).toHaveLength(2);
  });

  it("close code 4001 means signed out: no reconnect", () => {
    const h = harness();
    let signedOut = false;
    h.conn.onUnauthorized = () => (signedOut = true);
    h.conn.start();
    h.connectLive();
    h.last().drop(4001);
    expect(signedOut).toBe(true);
    expect(h.conn.status).toBe("unauthorized");
    h.advance(60000);
    expect(h.sockets).toHaveLength(1);
  });

  it("sends read markers and typing, throttled", () => {
    const h = harness();
    h.conn.start();
    h.connectLive();
    h.last().recv({ type: "event", event: msg(7, 11, "a") });
    h.conn.markRead(7, 11);
    h.conn.markRead(7, 11);
    expect(h.last().ofType("read")).toEqual([expect.objectContaining({ room: 7, seq: 11 })]);
    h.conn.typing(7);
    h.conn.typing(7);
    expect(h.last().ofType("typing")).toHaveLength(1);
    h.advance(2100);
    h.conn.typing(7);
    expect(h.last().ofType("typing")).toHaveLength(2);
  });

  it("a room we did not know about at ready is filled in from the room list", async () => {
    const h = harness([room(7, 10), room(9, 40, { name: "new one" })]);
    h.st.removeRoom(9);
    h.conn.start();
    h.connectLive([
      { id: 7, last_seq: 10 },
      { id: 9, last_seq: 40 },
    ]);
    await new Promise((r) => setTimeout(r, 0));
    expect(h.st.room(9)!.info.name).toBe("new one");
    expect(h.st.resumeMap()).toEqual({ "7": 10, "9": 40 });
  });
});
