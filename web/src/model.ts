// The shapes of the client's state (state.ts keeps them): a message as the client holds it,
// a send not yet acknowledged, a room with its timeline, members, presence and typing.

import type { ChatEvent, FileInfo, Member, PinInfo, Reaction, Room, ThreadSummary } from "./types";

export interface Message {
  room: number;
  seq: number;
  id: string;
  sender: number;
  sender_name: string;
  client_msg_id: string;
  text: string;
  reply_to: number;
  created_at: number;
  edited_at: number;
  deleted: boolean;
  /** attached files; emptied when the message is deleted (the server deletes them too) */
  files: FileInfo[];
  /** reactions as they are now, and which emoji of them are mine (reactions.ts) */
  reactions: Reaction[];
  mine: string[];
  /** the thread it replies in (0 or absent: the main timeline), and its own thread's summary */
  thread_root?: number;
  thread?: ThreadSummary | null;
  /** who the text (as edited) mentions, as the server found it; absent from older servers */
  mentions?: number[];
  mention_room?: boolean;
  mention_here?: boolean;
}

export type PendingStatus = "pending" | "failed";

export interface PendingSend {
  client_msg_id: string;
  room: number;
  text: string;
  reply_to: number;
  /** uploaded files the message carries (sent as their ids) */
  files: FileInfo[];
  created_at: number;
  status: PendingStatus;
  error?: string;
  /** the `req` of the send frame now in flight on the current socket, if any */
  inflight?: number;
  attempts: number;
}

export interface TypingEntry {
  name: string;
  until: number;
}

export interface RoomState {
  info: Room;
  /** false until the room list (GET /rooms or room_added) told us what it is */
  known: boolean;
  messages: Map<number, Message>;
  /** resume point: the last timeline seq received on the event stream */
  lastSeq: number;
  lastReadSeq: number;
  unread: number;
  /** the unread count cannot be worked out locally (after a resync): take the server's */
  unreadStale: boolean;
  lastMessage: Message | null;
  /** the newest page of history has been fetched */
  historyLoaded: boolean;
  /** smallest seq fetched over REST; paging goes `before` it */
  oldestFetched: number;
  hasMoreBefore: boolean;
  members: Map<number, Member> | null;
  /** all members, from the member list (members may hold only its first page) */
  memberCount: number | null;
  /**
   * The room carries live presence frames (direct, or small enough). When false, who is
   * online comes from the member list's `online`, as fresh as its last fetch.
   */
  livePresence: boolean;
  typing: Map<number, TypingEntry>;
  readMarkers: Map<number, number>;
  sorted: Message[] | null;
  /** the pinned messages, newest pin first; null until fetched, and again after a pin event */
  pins: PinInfo[] | null;
}

export type TimelineItem =
  { kind: "message"; message: Message } | { kind: "pending"; pending: PendingSend };

export function toMessage(ev: ChatEvent): Message {
  return {
    room: ev.room,
    seq: ev.seq,
    id: ev.id,
    sender: ev.sender,
    sender_name: ev.sender_name,
    client_msg_id: ev.client_msg_id,
    text: ev.deleted ? "" : ev.text,
    reply_to: ev.reply_to,
    created_at: ev.created_at,
    edited_at: ev.edited_at,
    deleted: ev.deleted,
    files: ev.deleted ? [] : (ev.files ?? []),
    reactions: ev.deleted ? [] : (ev.reactions ?? []),
    mine: ev.deleted ? [] : (ev.my_reactions ?? []),
    thread_root: ev.thread_root ?? 0,
    thread: ev.thread ?? null,
    ...(ev.mentions !== undefined ? mentionsOf(ev) : {}),
  };
}

/** A newer copy's text (history after an edit), with its mentions where it has them. */
export function takeText(old: Message, m: Message): void {
  old.text = m.text;
  old.edited_at = m.edited_at;
  if (m.mentions !== undefined) Object.assign(old, mentionsOf(m));
}

/** An edit event: the new text, and its mentions, which are now the message's. */
export function applyEdit(t: Message, ev: ChatEvent): void {
  t.text = ev.text;
  t.edited_at = ev.edited_at || ev.created_at;
  if (ev.mentions !== undefined) Object.assign(t, mentionsOf(ev));
}

/** An event's mentions, as a message keeps them (none once deleted). */
export function mentionsOf(
  ev: Pick<ChatEvent, "deleted" | "mentions" | "mention_room" | "mention_here">,
): Pick<Message, "mentions" | "mention_room" | "mention_here"> {
  const gone = ev.deleted === true;
  return {
    mentions: gone ? [] : (ev.mentions ?? []),
    mention_room: !gone && ev.mention_room === true,
    mention_here: !gone && ev.mention_here === true,
  };
}
