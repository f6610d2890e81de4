// Wire types, as in docs/api.md and docs/protocol.md.

export interface User {
  id: number;
  username: string;
}

/** A user with their profile (docs/api.md "Profiles"); a field is null when unset. */
export interface Profile extends User {
  display_name: string | null;
  status_text: string | null;
  status_emoji: string | null;
  time_zone: string | null;
  /** the current avatar's id (docs/api.md "Avatars"); null: none, initials are shown */
  avatar?: string | null;
}

/** The fields PATCH /me takes: a string sets one, null clears it, absent leaves it. */
export type ProfilePatch = Partial<
  Record<"display_name" | "status_text" | "status_emoji" | "time_zone", string | null>
>;

export interface Session {
  id: number;
  device: string;
  ip: string;
  created_at: number;
  last_seen_at: number;
  current: boolean;
}

/** An uploaded file (docs/api.md, "Files"). `name` is the uploader's, unsanitised. */
export interface FileInfo {
  id: string;
  room: number;
  name: string;
  size: number;
  mime: string;
  uploader: number;
  created_at: number;
  /** pixel size when the server could read it as an image, else null */
  image: { width: number; height: number } | null;
  /** a JPEG thumbnail exists at .../files/{id}/thumbnail */
  thumbnail: boolean;
}

export type EventKind =
  "message" | "edit" | "delete" | "react" | "unreact" | "pin" | "unpin" | "settings";

/** A `settings` event's settings: every one as it is after the change, and which changed. */
export interface RoomSettings {
  name: string;
  topic: string;
  public: boolean;
  archived: boolean;
  post: "all" | "admins";
  room_mentions: "all" | "admins";
  pins: "all" | "admins";
  changed: string[];
}

/** One emoji's reactions on a message (docs/api.md, "Reactions"). */
export interface Reaction {
  emoji: string;
  count: number;
  /** the ids of the first three who reacted, oldest first */
  users: number[];
}

/** A thread's summary, on its root (docs/api.md, "Threads"). */
export interface ThreadSummary {
  reply_count: number;
  last_reply_at: number;
  /** the ids of the first five people to reply, in the order of their first reply */
  participants: number[];
}

export interface ChatEvent {
  room: number;
  seq: number;
  id: string;
  kind: EventKind;
  sender: number;
  sender_name: string;
  client_msg_id: string;
  text: string;
  reply_to: number;
  target: number;
  created_at: number;
  edited_at: number;
  deleted: boolean;
  /** attached files (message events only; absent on servers without attachments) */
  files?: FileInfo[];
  /** the message's reactions (of target, in react/unreact); absent on servers without them */
  reactions?: Reaction[];
  /** client side: the emoji I used on this message, from a history page's my_reactions */
  my_reactions?: string[];
  /** the root of the thread this message replies in (a delete: the deleted reply's); 0: none */
  thread_root?: number;
  /** a main-timeline message's thread summary; null while it has no reply */
  thread?: ThreadSummary | null;
  /** on a reply or a delete of one: its root's summary just after it */
  root_thread?: ThreadSummary | null;
  /** the members the text mentions by name (a message as edited; an edit's new text) */
  mentions?: number[];
  /** the text says @room / @here */
  mention_room?: boolean;
  mention_here?: boolean;
  /** a `settings` event: the room's settings after the change (null on every other kind) */
  settings?: RoomSettings | null;
}

export interface RoomNotifications {
  level: "all" | "mentions" | "none";
  muted: boolean;
}

/** One pinned message (GET /rooms/{id}/pins). */
export interface PinInfo {
  seq: number;
  pinned_by: number;
  pinned_at: number;
  message: ChatEvent;
}

export interface Room {
  id: number;
  kind: "group" | "direct";
  name: string;
  topic: string;
  public: boolean;
  last_seq: number;
  role?: string;
  last_read_seq?: number;
  unread?: number;
  /** GET /rooms: the unread messages that mention me (by name, @room or @here) */
  mentions?: number;
  /** GET /rooms: my notification level and mute in the room */
  notifications?: RoomNotifications;
  /** who may say @room/@here, and who may pin */
  room_mentions?: "all" | "admins";
  pins?: "all" | "admins";
  /** read-only (no sends, edits or reactions), and who may post: not changeable yet */
  archived?: boolean;
  post?: "all" | "admins";
  last_message?: ChatEvent | null;
  peer?: User;
}

export interface Member {
  user_id: number;
  username: string;
  role: "owner" | "admin" | "member";
  last_read_seq: number;
  /** online now (the member list reads it on demand, for rooms of any size) */
  online?: boolean;
}

/** GET /rooms/{id}: the room and one page of its members. */
export interface RoomDetails {
  room: Room;
  members: Member[];
  member_count: number;
  /** false: the room is too big for live presence frames; `online` in the list is the source */
  live_presence: boolean;
  has_more: boolean;
}

export type ServerFrame =
  | { type: "ready"; user: User; session_id: number; rooms: { id: number; last_seq: number }[] }
  | { type: "caught_up" }
  | { type: "event"; event: ChatEvent }
  | {
      type: "ack";
      req: unknown;
      room: number;
      seq: number;
      client_msg_id?: string;
      duplicate?: boolean;
    }
  | {
      type: "member";
      room: number;
      user: User;
      action: "joined" | "left" | "removed" | "role";
      role?: string;
    }
  | { type: "room_added"; room: Room }
  | { type: "room_removed"; room: number }
  | { type: "read"; room: number; user: number; seq: number }
  | { type: "typing"; room: number; user: User }
  | { type: "presence_snapshot"; online: User[] }
  | { type: "presence"; user: User; online: boolean }
  | { type: "profile"; user: Profile }
  | { type: "resync"; room: number; last_seq: number }
  | {
      type: "security_alert";
      session_id: number;
      device: string;
      ip: string;
      at: number;
      score: number;
      reasons: string[];
    }
  | { type: "pong"; req: unknown }
  | { type: "error"; req?: unknown; code: string; message?: string };
