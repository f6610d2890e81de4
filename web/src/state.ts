// The client's state, with no DOM and no I/O: rooms, timelines keyed by seq, the resume
// map, pending sends keyed by client_msg_id, unread counts, read markers, presence and
// typing (the shapes are in model.ts). Everything here is driven by REST answers and
// WebSocket frames (see client.ts) and is unit-tested in test/state.test.ts.

import type { Message, PendingSend, RoomState, TimelineItem } from "./model";
import { applyEdit, takeText, toMessage } from "./model";
import { applyToRoom } from "./room-events";
import { applyReaction } from "./reactions";
import { ThreadState } from "./threads";
import type { ChatEvent, FileInfo, Member, Room, User } from "./types";

export type {
  Message,
  PendingSend,
  PendingStatus,
  RoomState,
  TimelineItem,
  TypingEntry,
} from "./model";
export { toMessage } from "./model";

function blankRoom(id: number): Room {
  return { id, kind: "group", name: "", topic: "", public: false, last_seq: 0 };
}

export class ChatState {
  me: User | null = null;
  rooms = new Map<number, RoomState>();
  pending = new Map<string, PendingSend>();
  presence = new Map<number, { username: string; online: boolean }>();
  /** thread replies, kept apart from the main timeline, and the threads I follow */
  readonly threads = new ThreadState(() => this.meId());
  private listeners = new Set<() => void>();
  private changeQueued = false;

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Tell listeners, at most once per microtask. */
  changed(): void {
    if (this.changeQueued) return;
    this.changeQueued = true;
    queueMicrotask(() => {
      this.changeQueued = false;
      for (const fn of this.listeners) fn();
    });
  }

  setMe(user: User | null): void {
    this.me = user;
    this.changed();
  }

  private meId(): number {
    return this.me ? this.me.id : -1;
  }

  room(id: number): RoomState | undefined {
    return this.rooms.get(id);
  }

  private ensureRoom(id: number, lastSeq: number): RoomState {
    let r = this.rooms.get(id);
    if (!r) {
      r = {
        info: blankRoom(id),
        known: false,
        messages: new Map(),
        lastSeq,
        lastReadSeq: 0,
        unread: 0,
        unreadStale: true,
        lastMessage: null,
        historyLoaded: false,
        oldestFetched: Number.POSITIVE_INFINITY,
        hasMoreBefore: true,
        members: null,
        memberCount: null,
        livePresence: true,
        typing: new Map(),
        readMarkers: new Map(),
        sorted: null,
        pins: null,
      };
      this.rooms.set(id, r);
    }
    return r;
  }

  /**
   * Take in rooms from GET /rooms (full=true: the complete list, rooms missing from it are
   * gone) or one room from room_added / POST answers. A room's resume point is set only the
   * first time we hear of it: afterwards only the event stream moves it, so an event that is
   * still to be replayed is never mistaken for one we have.
   */
  upsertRooms(list: Room[], full = false): void {
    const seen = new Set<number>();
    for (const info of list) {
      seen.add(info.id);
      const fresh = !this.rooms.has(info.id);
      const r = this.ensureRoom(info.id, info.last_seq);
      const wasKnown = r.known;
      r.info = { ...r.info, ...info };
      r.known = true;
      if (info.last_read_seq !== undefined && info.last_read_seq > r.lastReadSeq) {
        r.lastReadSeq = info.last_read_seq;
      }
      if (info.unread !== undefined && (fresh || !wasKnown || r.unreadStale)) {
        r.unread = info.unread;
        r.unreadStale = false;
      }
      if (info.last_message && (!r.lastMessage || info.last_message.seq > r.lastMessage.seq)) {
        r.lastMessage = toMessage(info.last_message);
      }
    }
    if (full) {
      for (const id of [...this.rooms.keys()]) if (!seen.has(id)) this.removeRoom(id);
    }
    this.changed();
  }

  removeRoom(id: number): void {
    this.rooms.delete(id);
    this.threads.dropRoom(id);
    for (const [cmid, p] of this.pending) if (p.room === id) this.pending.delete(cmid);
    this.changed();
  }

  /** {"room id": last seq} for the hello frame. */
  resumeMap(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, r] of this.rooms) out[String(id)] = r.lastSeq;
    return out;
  }

  /**
   * The `ready` frame lists every room I am in now. Rooms we did not know get a resume
   * point from it (they were not replayed; their history comes over REST); rooms we knew
   * but that are missing were left while we were away. Returns the ids we know nothing
   * about, so the caller can fetch the room list.
   */
  onReady(user: User, rooms: { id: number; last_seq: number }[]): number[] {
    this.me = user;
    this.presence.clear();
    const unknown: number[] = [];
    const ids = new Set<number>();
    for (const { id, last_seq } of rooms) {
      ids.add(id);
      const r = this.rooms.get(id);
      if (!r) {
        this.ensureRoom(id, last_seq);
        unknown.push(id);
      } else {
        r.typing.clear();
        if (!r.known) unknown.push(id);
      }
    }
    for (const id of [...this.rooms.keys()]) if (!ids.has(id)) this.removeRoom(id);
    this.changed();
    return unknown;
  }

  /** Merge one message in, keyed by seq: the newer edit wins, a deletion sticks. */
  private put(r: RoomState, m: Message): void {
    const old = r.messages.get(m.seq);
    if (old) {
      if (old.deleted || m.deleted) {
        old.deleted = true;
        old.text = "";
        old.files = [];
      } else if (m.edited_at >= old.edited_at) {
        takeText(old, m);
      }
      if (!old.id) old.id = m.id;
      // An acked send is put in before its event: the event's file objects are the server's.
      if (!old.deleted && m.files.length > 0) old.files = m.files;
    } else {
      r.messages.set(m.seq, { ...m });
      r.sorted = null;
    }
    const cur = r.messages.get(m.seq)!;
    if (!r.lastMessage || cur.seq >= r.lastMessage.seq) r.lastMessage = cur;
    if (m.sender === this.meId() && m.client_msg_id) this.pending.delete(m.client_msg_id);
  }

  /**
   * One timeline event from the stream. Events at or below the room's resume point are
   * duplicates and are dropped. Returns whether the event was new.
   */
  applyEvent(ev: ChatEvent): boolean {
    const r = this.ensureRoom(ev.room, 0);
    if (ev.seq <= r.lastSeq) return false;
    r.lastSeq = ev.seq;
    if (ev.seq > r.info.last_seq) r.info.last_seq = ev.seq;
    const mine = ev.sender === this.meId();
    applyToRoom(r, ev);
    if (ev.thread_root) {
      // a reply, or a delete of one: the thread's (and its root's summary), not the room's
      this.threads.applyEvent(ev, r.messages.get(ev.thread_root));
    } else if (ev.kind === "message") {
      const isNew = !r.messages.has(ev.seq);
      this.put(r, toMessage(ev));
      if (isNew && !mine && !ev.deleted && ev.seq > r.lastReadSeq) r.unread++;
      r.typing.delete(ev.sender);
    } else if (ev.kind === "edit") {
      const t = r.messages.get(ev.target) ?? this.threads.findReply(ev.room, ev.target);
      if (t && !t.deleted) applyEdit(t, ev);
    } else if (ev.kind === "react" || ev.kind === "unreact") {
      const t = r.messages.get(ev.target) ?? this.threads.findReply(ev.room, ev.target);
      if (t) applyReaction(t, ev, mine);
    } else if (ev.kind === "delete") {
      const t = r.messages.get(ev.target);
      const wasLive = !t || !t.deleted;
      if (t) {
        t.deleted = true;
        t.text = "";
        t.files = [];
      }
      if (wasLive && !mine && ev.target > r.lastReadSeq && r.unread > 0) r.unread--;
    }
    this.changed();
    return true;
  }

  /**
   * A page of history from GET /rooms/{id}/messages. `latest`: the newest page (no
   * before/after); `before`: an older page.
   */
  mergeHistory(
    roomId: number,
    msgs: ChatEvent[],
    hasMore: boolean,
    page: "latest" | "before",
  ): void {
    const r = this.ensureRoom(roomId, 0);
    for (const ev of msgs) this.put(r, toMessage(ev));
    if (msgs.length > 0) {
      r.oldestFetched = Math.min(r.oldestFetched, msgs[0]!.seq);
      r.hasMoreBefore = hasMore;
    } else {
      r.hasMoreBefore = false;
    }
    if (page === "latest") r.historyLoaded = true;
    this.changed();
  }

  /** The server could not replay: forget the timeline, reload it over REST. */
  resync(roomId: number, lastSeq: number): void {
    const r = this.ensureRoom(roomId, lastSeq);
    r.messages.clear();
    r.sorted = null;
    r.lastSeq = Math.max(r.lastSeq, lastSeq);
    r.historyLoaded = false;
    r.oldestFetched = Number.POSITIVE_INFINITY;
    r.hasMoreBefore = true;
    r.unreadStale = true;
    this.changed();
  }

  // ---- pending sends -------------------------------------------------------------

  addPending(
    room: number,
    text: string,
    replyTo: number,
    clientMsgId: string,
    now: number,
    files: FileInfo[] = [],
  ): PendingSend {
    const p: PendingSend = {
      client_msg_id: clientMsgId,
      room,
      text,
      reply_to: replyTo,
      files,
      created_at: now,
      status: "pending",
      attempts: 0,
    };
    this.pending.set(clientMsgId, p);
    this.changed();
    return p;
  }

  /** Pending sends to (re)send on the current socket: not failed, not in flight. */
  sendable(): PendingSend[] {
    return [...this.pending.values()].filter(
      (p) => p.status === "pending" && p.inflight === undefined,
    );
  }

  /** The socket went away: whatever was in flight must be sent again. */
  clearInflight(): void {
    for (const p of this.pending.values()) delete p.inflight;
  }

  /**
   * A send was acknowledged (committed, possibly as a duplicate of an earlier try): the
   * message takes its place in the timeline at its seq, and the pending copy goes.
   */
  onSendAck(clientMsgId: string, room: number, seq: number): void {
    const p = this.pending.get(clientMsgId);
    if (!p) return;
    this.pending.delete(clientMsgId);
    const r = this.rooms.get(room);
    if (!r || r.messages.has(seq)) {
      this.changed();
      return;
    }
    const me = this.me ?? { id: -1, username: "" };
    this.put(r, {
      room,
      seq,
      id: "",
      sender: me.id,
      sender_name: me.username,
      client_msg_id: clientMsgId,
      text: p.text,
      reply_to: p.reply_to,
      created_at: p.created_at,
      edited_at: 0,
      deleted: false,
      files: p.files,
      reactions: [],
      mine: [],
    });
    this.changed();
  }

  failPending(clientMsgId: string, error: string): void {
    const p = this.pending.get(clientMsgId);
    if (!p) return;
    p.status = "failed";
    p.error = error;
    delete p.inflight;
    this.changed();
  }

  retryPending(clientMsgId: string): void {
    const p = this.pending.get(clientMsgId);
    if (!p) return;
    p.status = "pending";
    delete p.error;
    delete p.inflight;
    this.changed();
  }

  discardPending(clientMsgId: string): void {
    if (this.pending.delete(clientMsgId)) this.changed();
  }

  // ---- reading -------------------------------------------------------------------

  /** The timeline of a room: messages by seq, then my pending sends in order. */
  timeline(roomId: number): TimelineItem[] {
    const r = this.rooms.get(roomId);
    const items: TimelineItem[] = [];
    if (r) {
      if (!r.sorted) r.sorted = [...r.messages.values()].sort((a, b) => a.seq - b.seq);
      for (const m of r.sorted) items.push({ kind: "message", message: m });
    }
    for (const p of this.pending.values())
      if (p.room === roomId) items.push({ kind: "pending", pending: p });
    return items;
  }

  /** The highest message seq we hold for a room: what reading to the bottom marks read. */
  newestSeq(roomId: number): number {
    const r = this.rooms.get(roomId);
    if (!r) return 0;
    let max = r.lastMessage ? r.lastMessage.seq : 0;
    for (const s of r.messages.keys()) if (s > max) max = s;
    return max;
  }

  /**
   * Move my read marker forward (never back). The unread count becomes the number of
   * others' live messages after it. Returns true when the marker moved.
   */
  markRead(roomId: number, seq: number): boolean {
    const r = this.rooms.get(roomId);
    if (!r || seq <= r.lastReadSeq) return false;
    r.lastReadSeq = seq;
    let n = 0;
    for (const m of r.messages.values())
      if (m.seq > seq && m.sender !== this.meId() && !m.deleted) n++;
    r.unread = n;
    r.unreadStale = false;
    this.changed();
    return true;
  }

  onRead(roomId: number, userId: number, seq: number): void {
    if (userId === this.meId()) {
      this.markRead(roomId, seq);
      return;
    }
    const r = this.rooms.get(roomId);
    if (!r) return;
    if (seq > (r.readMarkers.get(userId) ?? 0)) r.readMarkers.set(userId, seq);
    this.changed();
  }

  // ---- members, presence, typing ----------------------------------------------------

  setMembers(
    roomId: number,
    members: Member[],
    list?: { member_count: number; live_presence: boolean },
  ): void {
    const r = this.rooms.get(roomId);
    if (!r) return;
    r.members = new Map(members.map((m) => [m.user_id, m]));
    r.memberCount = list ? list.member_count : members.length;
    r.livePresence = list ? list.live_presence : true;
    for (const m of members)
      if (m.user_id !== this.meId()) r.readMarkers.set(m.user_id, m.last_read_seq);
    this.changed();
  }

  onMember(roomId: number, user: User, action: string, role?: string): void {
    const r = this.rooms.get(roomId);
    if (!r || !r.members) return;
    // the member count moves live with joins and leaves (the list may be only a first page)
    const had = r.members.has(user.id);
    if (r.memberCount !== null && action === "joined" && !had) r.memberCount++;
    if (r.memberCount !== null && action !== "joined" && action !== "role" && had) r.memberCount--;
    if (action === "joined") {
      r.members.set(user.id, {
        user_id: user.id,
        username: user.username,
        role: (role as Member["role"]) ?? "member",
        last_read_seq: 0,
      });
    } else if (action === "left" || action === "removed") {
      r.members.delete(user.id);
    } else if (action === "role" && role) {
      const m = r.members.get(user.id);
      if (m) m.role = role as Member["role"];
    }
    this.changed();
  }

  /** After ready: the online presence peers, all at once; everyone else is offline. */
  onPresenceSnapshot(online: User[]): void {
    this.presence.clear();
    for (const u of online) this.presence.set(u.id, { username: u.username, online: true });
    this.changed();
  }

  /**
   * Whether a member of `roomId` is online: from live presence, or for a room too big for
   * it, from the member list (as of its last fetch).
   */
  isOnlineIn(roomId: number, userId: number): boolean {
    const r = this.rooms.get(roomId);
    if (r && !r.livePresence) return r.members?.get(userId)?.online ?? false;
    return this.isOnline(userId);
  }

  onPresence(user: User, online: boolean): void {
    this.presence.set(user.id, { username: user.username, online });
    this.changed();
  }

  isOnline(userId: number): boolean {
    return this.presence.get(userId)?.online ?? false;
  }

  onTyping(roomId: number, user: User, now: number, ttlMs = 5000): void {
    if (user.id === this.meId()) return;
    const r = this.rooms.get(roomId);
    if (!r) return;
    r.typing.set(user.id, { name: user.username, until: now + ttlMs });
    this.changed();
  }

  typingNames(roomId: number, now: number): string[] {
    const r = this.rooms.get(roomId);
    if (!r) return [];
    const names: string[] = [];
    for (const [id, t] of r.typing) {
      if (t.until > now) names.push(t.name);
      else r.typing.delete(id);
    }
    return names.sort();
  }

  /** Rooms for the sidebar, most recent activity first. */
  roomList(): RoomState[] {
    const key = (r: RoomState) => (r.lastMessage ? r.lastMessage.created_at : 0);
    return [...this.rooms.values()]
      .filter((r) => r.known)
      .sort((a, b) => key(b) - key(a) || b.info.id - a.info.id);
  }
}
