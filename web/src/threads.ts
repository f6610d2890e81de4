// Threads in the client's state, with no DOM and no I/O (docs/api.md, "Threads"): each
// thread's replies, kept apart from the room's main timeline, and the threads I follow
// with their unread counts. Live replies and deletes of replies come from the room's
// event stream (state.ts hands them here); pages and the followed list come over REST.

import type { Message } from "./model";
import { toMessage } from "./model";
import type { ChatEvent } from "./types";

export interface Thread {
  room: number;
  root: number;
  /** the root as the thread page showed it (the room's timeline may hold a fresher copy) */
  rootMessage: Message | null;
  replies: Map<number, Message>;
  /** the newest page has been fetched */
  loaded: boolean;
  hasMoreBefore: boolean;
}

export interface Followed {
  room: number;
  root: number;
  unread: number;
  lastReadSeq: number;
  /** the root, to name the thread in the list */
  rootMessage: Message | null;
}

export const threadKey = (room: number, root: number): string => `${room}:${root}`;

export class ThreadState {
  readonly threads = new Map<string, Thread>();
  readonly followed = new Map<string, Followed>();
  /** something changed that only the server knows (a new thread I now follow): refetch */
  staleFollowed = false;

  constructor(private readonly meId: () => number) {}

  thread(room: number, root: number): Thread {
    const key = threadKey(room, root);
    let t = this.threads.get(key);
    if (!t) {
      t = { room, root, rootMessage: null, replies: new Map(), loaded: false, hasMoreBefore: true };
      this.threads.set(key, t);
    }
    return t;
  }

  /** Replies in order of seq. */
  replies(room: number, root: number): Message[] {
    const t = this.threads.get(threadKey(room, root));
    return t ? [...t.replies.values()].sort((a, b) => a.seq - b.seq) : [];
  }

  /**
   * A reply or a delete of one, new on the stream (state.ts dropped duplicates). `root`:
   * the root as the main timeline holds it, if loaded: its summary is updated.
   */
  applyEvent(ev: ChatEvent, root: Message | undefined): void {
    const rootSeq = ev.thread_root ?? 0;
    const key = threadKey(ev.room, rootSeq);
    const t = this.threads.get(key);
    if (root) root.thread = ev.root_thread ?? null;
    if (t?.rootMessage) t.rootMessage.thread = ev.root_thread ?? null;
    const f = this.followed.get(key);
    if (f?.rootMessage) f.rootMessage.thread = ev.root_thread ?? null;
    const mine = ev.sender === this.meId();
    if (ev.kind === "message") {
      if (t && !t.replies.has(ev.seq)) t.replies.set(ev.seq, toMessage(ev));
      if (mine) {
        // replying follows a thread (again): the server says so on the next fetch
        if (f) {
          f.lastReadSeq = Math.max(f.lastReadSeq, ev.seq);
          f.unread = 0;
        } else {
          this.staleFollowed = true;
        }
      } else if (f) {
        if (ev.seq > f.lastReadSeq && !ev.deleted) f.unread++;
      } else if (root && root.sender === this.meId()) {
        this.staleFollowed = true; // a reply to my root makes me follow, unless I chose not to
      }
    } else if (ev.kind === "delete") {
      const gone = t?.replies.get(ev.target);
      if (gone && !gone.deleted) {
        if (f && gone.sender !== this.meId() && gone.seq > f.lastReadSeq && f.unread > 0) {
          f.unread--;
        }
        gone.deleted = true;
        gone.text = "";
        gone.files = [];
      }
    }
  }

  /** My reply, as the send's answer has it (its event may not have come yet). */
  addReply(ev: ChatEvent): void {
    const t = this.thread(ev.room, ev.thread_root ?? 0);
    if (!t.replies.has(ev.seq)) t.replies.set(ev.seq, toMessage(ev));
    if (t.rootMessage) t.rootMessage.thread = ev.root_thread ?? null;
  }

  /** An edit, reaction or delete whose target may be a reply (the room does not hold it). */
  findReply(room: number, seq: number): Message | undefined {
    for (const t of this.threads.values()) {
      if (t.room !== room) continue;
      const m = t.replies.get(seq);
      if (m) return m;
    }
    return undefined;
  }

  /** A page of a thread (`latest`: the newest; `before`: older). */
  mergePage(
    room: number,
    root: ChatEvent,
    replies: ChatEvent[],
    hasMore: boolean,
    page: "latest" | "before",
  ): void {
    const t = this.thread(room, root.seq);
    t.rootMessage = toMessage(root);
    for (const ev of replies) {
      const old = t.replies.get(ev.seq);
      if (!old || ev.deleted || ev.edited_at >= old.edited_at) t.replies.set(ev.seq, toMessage(ev));
    }
    if (page === "latest") t.loaded = true;
    if (page === "before" || t.replies.size <= replies.length) t.hasMoreBefore = hasMore;
  }

  /** The followed list from GET /threads replaces what we had. */
  setFollowed(list: { room: number; root: ChatEvent; unread: number; last_read_seq: number }[]) {
    this.followed.clear();
    for (const x of list) {
      this.followed.set(threadKey(x.room, x.root.seq), {
        room: x.room,
        root: x.root.seq,
        unread: x.unread,
        lastReadSeq: x.last_read_seq,
        rootMessage: toMessage(x.root),
      });
    }
    this.staleFollowed = false;
  }

  setFollowing(room: number, root: Message, on: boolean): void {
    const key = threadKey(room, root.seq);
    if (!on) {
      this.followed.delete(key);
      return;
    }
    if (!this.followed.has(key)) {
      const last = this.replies(room, root.seq).at(-1)?.seq ?? 0;
      this.followed.set(key, {
        room,
        root: root.seq,
        unread: 0,
        lastReadSeq: last,
        rootMessage: root,
      });
    }
  }

  isFollowing(room: number, root: number): boolean {
    return this.followed.has(threadKey(room, root));
  }

  unread(room: number, root: number): number {
    return this.followed.get(threadKey(room, root))?.unread ?? 0;
  }

  /** Unread replies over every thread I follow. */
  totalUnread(): number {
    let n = 0;
    for (const f of this.followed.values()) n += f.unread;
    return n;
  }

  /** I have read the thread up to seq; returns whether my marker moved. */
  markRead(room: number, root: number, seq: number): boolean {
    const f = this.followed.get(threadKey(room, root));
    if (!f || seq <= f.lastReadSeq) return false;
    f.lastReadSeq = seq;
    let n = 0;
    for (const m of this.replies(room, root)) {
      if (m.seq > seq && m.sender !== this.meId() && !m.deleted) n++;
    }
    f.unread = n;
    return true;
  }

  /** The room is gone: its threads too. */
  dropRoom(room: number): void {
    for (const [k, t] of this.threads) if (t.room === room) this.threads.delete(k);
    for (const [k, f] of this.followed) if (f.room === room) this.followed.delete(k);
  }
}
