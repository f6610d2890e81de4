// The live connection: one WebSocket, authenticated by the session cookie (hello without a
// token), resumed with the last seq per room, reconnected with backoff, with pending sends
// re-sent under their original client_msg_id so a retry never makes a second message.
// No DOM here: the socket, timers and the room-list fetch are injected (see test/).

import { people } from "./people";
import type { ChatState } from "./state";
import type { ChatEvent, FileInfo, Room, ServerFrame } from "./types";

export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type ConnStatus = "connecting" | "syncing" | "live" | "offline" | "unauthorized" | "stopped";

export interface ConnectionDeps {
  state: ChatState;
  openSocket: () => SocketLike;
  fetchRooms: () => Promise<Room[]>;
  isOnline?: () => boolean;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
  now?: () => number;
  random?: () => number;
  pingEveryMs?: number;
  pongTimeoutMs?: number;
}

type Req = { kind: "send"; cmid: string } | { kind: "read"; room: number } | { kind: "ping" };

const RETRYABLE = new Set(["rate_limited", "unavailable", "busy", "internal"]);

export class Connection {
  status: ConnStatus = "stopped";
  /** times the socket went away since the page loaded (for the banner and tests) */
  drops = 0;
  private ws: SocketLike | null = null;
  private reqSeq = 0;
  private reqs = new Map<number, Req>();
  private attempt = 0;
  private reconnectTimer: unknown = null;
  private pingTimer: unknown = null;
  private pongTimer: unknown = null;
  private retryTimer: unknown = null;
  private unsentReads = new Set<number>();
  private lastTyping = new Map<number, number>();
  private statusListeners = new Set<(s: ConnStatus) => void>();
  onUnauthorized: () => void = () => {};
  onCaughtUp: () => void = () => {};
  /** a timeline event the state had not seen; live: it came while in step, not in catch-up */
  onNewEvent: (ev: ChatEvent, live: boolean) => void = () => {};
  /** a login of this account the server scored as suspicious (views/security-alert.ts) */
  onSecurityAlert: (f: Extract<ServerFrame, { type: "security_alert" }>) => void = () => {};

  private readonly st: ChatState;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (t: unknown) => void;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly isOnline: () => boolean;

  constructor(private readonly deps: ConnectionDeps) {
    this.st = deps.state;
    this.setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = deps.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
    this.now = deps.now ?? (() => Date.now());
    this.random = deps.random ?? Math.random;
    this.isOnline = deps.isOnline ?? (() => true);
  }

  onStatus(fn: (s: ConnStatus) => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  private setStatus(s: ConnStatus): void {
    if (this.status === s) return;
    this.status = s;
    for (const fn of this.statusListeners) fn(s);
    this.st.changed();
  }

  start(): void {
    if (this.status !== "stopped" && this.status !== "offline") return;
    this.connect();
  }

  stop(): void {
    this.setStatus("stopped");
    this.dropSocket();
    this.cancel("reconnectTimer");
  }

  /** The browser says the network is gone: stop using the socket, wait for goOnline(). */
  goOffline(): void {
    if (this.status === "stopped" || this.status === "unauthorized") return;
    this.lostSocket();
    this.cancel("reconnectTimer");
    this.setStatus("offline");
  }

  goOnline(): void {
    if (this.status !== "offline") return;
    this.attempt = 0;
    this.cancel("reconnectTimer");
    this.connect();
  }

  private cancel(name: "reconnectTimer" | "pingTimer" | "pongTimer" | "retryTimer"): void {
    if (this[name] !== null) this.clearTimer(this[name]);
    this[name] = null;
  }

  private connect(): void {
    this.dropSocket();
    if (!this.isOnline()) {
      this.setStatus("offline");
      return;
    }
    this.setStatus("connecting");
    let ws: SocketLike;
    try {
      ws = this.deps.openSocket();
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.raw({ type: "hello", resume: this.st.resumeMap() });
      this.setStatus("syncing");
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.heard();
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(ev.data)) as ServerFrame;
      } catch {
        return;
      }
      this.handle(frame);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.closed(ev.code);
    };
    ws.onerror = () => {};
  }

  /** Forget the socket without waiting for its close handshake. */
  private dropSocket(): void {
    const ws = this.ws;
    this.ws = null;
    this.cancel("pingTimer");
    this.cancel("pongTimer");
    this.reqs.clear();
    this.st.clearInflight();
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1000, "bye");
      } catch {
        /* already closed */
      }
    }
  }

  private lostSocket(): void {
    const had = this.status === "live" || this.status === "syncing" || this.status === "connecting";
    this.dropSocket();
    if (had) this.drops++;
  }

  private closed(code: number): void {
    this.lostSocket();
    if (this.status === "stopped") return;
    if (code === 4001) {
      this.setStatus("unauthorized");
      this.onUnauthorized();
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (!this.isOnline()) {
      this.setStatus("offline");
      return;
    }
    this.setStatus("offline");
    const base = Math.min(10000, 300 * 2 ** this.attempt);
    this.attempt++;
    const delay = base / 2 + (this.random() * base) / 2;
    this.cancel("reconnectTimer");
    this.reconnectTimer = this.setTimer(() => {
      this.reconnectTimer = null;
      if (this.status === "offline") this.connect();
    }, delay);
  }

  /** Any frame shows the socket is alive; schedule the next ping. */
  private heard(): void {
    this.cancel("pongTimer");
    this.cancel("pingTimer");
    const every = this.deps.pingEveryMs ?? 20000;
    this.pingTimer = this.setTimer(() => {
      this.pingTimer = null;
      if (!this.ws) return;
      this.request({ type: "ping" }, { kind: "ping" });
      this.pongTimer = this.setTimer(() => {
        this.pongTimer = null;
        // No answer: the path is dead even if the socket does not know it yet.
        this.lostSocket();
        this.scheduleReconnect();
      }, this.deps.pongTimeoutMs ?? 10000);
    }, every);
  }

  private raw(frame: object): boolean {
    if (!this.ws) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  private request(frame: Record<string, unknown>, req: Req): number | null {
    const id = ++this.reqSeq;
    if (!this.raw({ ...frame, req: id })) return null;
    this.reqs.set(id, req);
    return id;
  }

  /** One case per server frame (docs/protocol.md), each a call or two into the state. */
  private handle(f: ServerFrame): void {
    switch (f.type) {
      case "ready": {
        this.attempt = 0;
        const unknown = this.st.onReady(f.user, f.rooms);
        if (unknown.length > 0) this.refreshRooms();
        break;
      }
      case "caught_up":
        this.setStatus("live");
        this.flush();
        this.onCaughtUp();
        break;
      case "event":
        if (this.st.applyEvent(f.event)) this.onNewEvent(f.event, this.status === "live");
        break;
      case "ack": {
        const req = this.reqs.get(f.req as number);
        this.reqs.delete(f.req as number);
        if (req?.kind === "send") this.st.onSendAck(f.client_msg_id ?? req.cmid, f.room, f.seq);
        break;
      }
      case "pong":
        this.reqs.delete(f.req as number);
        break;
      case "error":
        this.onError(f);
        break;
      case "member":
        this.st.onMember(f.room, f.user, f.action, f.role);
        break;
      case "room_added":
        this.st.upsertRooms([f.room]);
        // room_added carries the bare room: a direct room's peer comes from GET /rooms.
        if (f.room.kind === "direct" && !f.room.peer) this.refreshRooms();
        break;
      case "room_removed":
        this.st.removeRoom(f.room);
        break;
      case "read":
        this.st.onRead(f.room, f.user, f.seq);
        break;
      case "typing":
        this.st.onTyping(f.room, f.user, this.now());
        break;
      case "presence_snapshot":
        this.st.onPresenceSnapshot(f.online);
        break;
      case "presence":
        this.st.onPresence(f.user, f.online);
        break;
      case "profile":
        people.set(f.user);
        break;
      case "resync":
        this.st.resync(f.room, f.last_seq);
        this.refreshRooms();
        break;
      case "security_alert":
        this.onSecurityAlert(f);
        break;
    }
  }

  /** A refused request: a send is retried later or marked failed, a read is sent again. */
  private onError(f: Extract<ServerFrame, { type: "error" }>): void {
    const req = this.reqs.get(f.req as number);
    this.reqs.delete(f.req as number);
    if (req?.kind === "send") {
      const p = this.st.pending.get(req.cmid);
      if (p) delete p.inflight;
      if (RETRYABLE.has(f.code)) this.retrySoon();
      else this.st.failPending(req.cmid, f.message ?? f.code);
    } else if (req?.kind === "read") {
      this.unsentReads.add(req.room);
    }
  }

  /** Fill in room details (names, peers, server unread counts) for rooms we hold. */
  private refreshRooms(): void {
    this.deps
      .fetchRooms()
      .then((rooms) => this.st.upsertRooms(rooms.filter((r) => this.st.rooms.has(r.id))))
      .catch(() => {});
  }

  private retrySoon(): void {
    if (this.retryTimer !== null) return;
    this.retryTimer = this.setTimer(() => {
      this.retryTimer = null;
      if (this.status === "live") this.flush();
    }, 1000);
  }

  /** Send every pending message not yet in flight on this socket, and unsent read markers. */
  private flush(): void {
    if (this.status !== "live") return;
    for (const p of this.st.sendable()) {
      p.attempts++;
      const frame: Record<string, unknown> = {
        type: "send",
        room: p.room,
        client_msg_id: p.client_msg_id,
        text: p.text,
        reply_to: p.reply_to,
      };
      if (p.files.length > 0) frame.files = p.files.map((f) => f.id);
      const id = this.request(frame, { kind: "send", cmid: p.client_msg_id });
      if (id === null) return;
      p.inflight = id;
    }
    for (const room of [...this.unsentReads]) {
      this.unsentReads.delete(room);
      const r = this.st.room(room);
      if (r) this.request({ type: "read", room, seq: r.lastReadSeq }, { kind: "read", room });
    }
  }

  /** Queue a message: shown at once as pending, sent now if live, else on reconnect. */
  send(
    room: number,
    text: string,
    replyTo: number,
    clientMsgId: string,
    files: FileInfo[] = [],
  ): void {
    this.st.addPending(room, text, replyTo, clientMsgId, this.now(), files);
    this.lastTyping.delete(room); // others clear my typing when the message lands
    this.flush();
  }

  retry(clientMsgId: string): void {
    this.st.retryPending(clientMsgId);
    this.flush();
  }

  /** I have seen everything up to `seq` in a room. */
  markRead(room: number, seq: number): void {
    if (!this.st.markRead(room, seq)) return;
    this.unsentReads.add(room);
    this.flush();
  }

  typing(room: number): void {
    if (this.status !== "live") return;
    const t = this.now();
    const prev = this.lastTyping.get(room);
    if (prev !== undefined && t - prev < 2000) return;
    this.lastTyping.set(room, t);
    this.raw({ type: "typing", room });
  }
}
