// REST calls, same-origin: the HttpOnly parley_session cookie rides along, and the browser
// adds the Origin header to every POST/PATCH/DELETE itself. The token is never read or kept.

import type {
  ChatEvent,
  FileInfo,
  Member,
  PinInfo,
  Reaction,
  Room,
  RoomDetails,
  Profile,
  ProfilePatch,
  RoomNotifications,
  Session,
  User,
} from "./types";
import type { SearchPage, Suggestions } from "./search-query";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

async function call<T>(method: string, path: string, body?: unknown, quiet401 = false): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "Cannot reach the server");
  }
  if (res.status === 204) return undefined as T;
  let data: unknown;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = errorOf(res.status, res.statusText, data);
    if (res.status === 401 && !quiet401 && e.code === "unauthorized") onUnauthorized();
    throw e;
  }
  return data as T;
}

const enc = encodeURIComponent;

function errorOf(status: number, statusText: string, data: unknown): ApiError {
  const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
  return new ApiError(status, err?.code ?? "http_" + status, err?.message ?? statusText);
}

/**
 * Upload one file's raw bytes to a room (POST /rooms/{id}/files?name=...). XMLHttpRequest,
 * not fetch: only it reports upload progress. Rejects with ApiError: the server's status
 * and code, or status 0 with code "network" (no answer) or "aborted" (abort() was called).
 */
export function uploadFile(
  room: number,
  blob: Blob,
  name: string,
  onProgress: (loaded: number, total: number) => void,
): { result: Promise<FileInfo>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const result = new Promise<FileInfo>((resolve, reject) => {
    xhr.open("POST", `/api/v1/rooms/${room}/files?name=${enc(name)}`);
    xhr.withCredentials = true;
    // The server detects the type from the bytes; say nothing more specific than "bytes".
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = (ev) =>
      onProgress(ev.loaded, ev.lengthComputable ? ev.total : blob.size);
    xhr.onload = () => {
      let data: unknown;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        const file = (data as { file?: FileInfo } | null)?.file;
        if (file) resolve(file);
        else reject(new ApiError(xhr.status, "bad_response", "The server sent no file"));
        return;
      }
      const e = errorOf(xhr.status, xhr.statusText, data);
      if (xhr.status === 401 && e.code === "unauthorized") onUnauthorized();
      reject(e);
    };
    xhr.onerror = () => reject(new ApiError(0, "network", "Cannot reach the server"));
    xhr.onabort = () => reject(new ApiError(0, "aborted", "Cancelled"));
    xhr.send(blob);
  });
  return { result, abort: () => xhr.abort() };
}

export const api = {
  register: (username: string, password: string) =>
    call<{ user: User }>("POST", "/register", { username, password }, true),
  login: (username: string, password: string, device: string) =>
    call<{ session: Session; user: User }>("POST", "/login", { username, password, device }, true),
  logout: () => call<void>("POST", "/logout"),
  me: () => call<{ user: Profile; session: Session }>("GET", "/me", undefined, true),
  updateProfile: (patch: ProfilePatch) => call<{ user: Profile }>("PATCH", "/me", patch),
  /** My upload `file` in `room` becomes my avatar (PUT /me/avatar). */
  setAvatar: (room: number, file: string) =>
    call<{ user: Profile }>("PUT", "/me/avatar", { room, file }),
  removeAvatar: () => call<{ user: Profile }>("DELETE", "/me/avatar"),
  /** people whose username or display name starts with q (docs/api.md "Finding people") */
  findPeople: (q: string, cursor: string | null = null, limit = 10) => {
    const p = new URLSearchParams({ q, limit: String(limit) });
    if (cursor) p.set("cursor", cursor);
    return call<{ users: Profile[]; next_cursor: string | null }>("GET", `/users?${p}`);
  },
  sessions: () => call<{ sessions: Session[] }>("GET", "/sessions"),
  revokeSession: (id: number) => call<void>("DELETE", `/sessions/${id}`),
  user: (username: string) => call<{ user: Profile }>("GET", `/users/${enc(username)}`),
  rooms: () => call<{ rooms: Room[] }>("GET", "/rooms"),
  publicRooms: () => call<{ rooms: Room[] }>("GET", "/rooms/public"),
  createRoom: (name: string, topic: string, isPublic: boolean) =>
    call<{ room: Room }>("POST", "/rooms", { name, topic, public: isPublic }),
  roomDetails: (id: number) => call<RoomDetails>("GET", `/rooms/${id}`),
  join: (id: number) => call<{ room: Room }>("POST", `/rooms/${id}/join`),
  leave: (id: number) => call<void>("POST", `/rooms/${id}/leave`),
  setNotifications: (id: number, n: RoomNotifications) =>
    call<RoomNotifications>("PUT", `/rooms/${id}/notifications`, n),
  pins: (id: number) => call<{ pins: PinInfo[] }>("GET", `/rooms/${id}/pins`),
  pin: (id: number, seq: number) =>
    call<{ event: ChatEvent | null }>("PUT", `/rooms/${id}/pins/${seq}`),
  unpin: (id: number, seq: number) =>
    call<{ event: ChatEvent | null }>("DELETE", `/rooms/${id}/pins/${seq}`),
  invite: (id: number, username: string) =>
    call<{ member: Member }>("POST", `/rooms/${id}/members`, { username }),
  direct: (username: string) => call<{ room: Room }>("POST", "/direct", { username }),
  history: (id: number, opts: { before?: number; after?: number; limit?: number }) => {
    const q = new URLSearchParams();
    if (opts.before) q.set("before", String(opts.before));
    if (opts.after !== undefined) q.set("after", String(opts.after));
    q.set("limit", String(opts.limit ?? 50));
    return call<HistoryPage>("GET", `/rooms/${id}/messages?${q}`);
  },
  /** a page centred on seq (has_more_before / has_more_after say what lies beyond) */
  around: (id: number, seq: number, limit = 50) =>
    call<AroundPage>("GET", `/rooms/${id}/messages?around=${seq}&limit=${limit}`),
  search: (q: string, cursor: string | null, limit = 20) => {
    const p = new URLSearchParams({ q, limit: String(limit) });
    if (cursor) p.set("cursor", cursor);
    return call<SearchPage>("GET", `/search?${p}`);
  },
  suggest: (q: string, limit = 8) =>
    call<Suggestions>("GET", `/search/suggest?${new URLSearchParams({ q, limit: String(limit) })}`),
  /** add (on) or take back my reaction; emoji is a character or a shortcode ("tada") */
  react: (id: number, seq: number, emoji: string, on: boolean) =>
    call<{ event: ChatEvent | null; reactions: Reaction[] }>(
      on ? "POST" : "DELETE",
      `/rooms/${id}/messages/${seq}/reactions/${enc(emoji)}`,
    ),
  edit: (id: number, seq: number, text: string) =>
    call<{ event: ChatEvent }>("PATCH", `/rooms/${id}/messages/${seq}`, { text }),
  remove: (id: number, seq: number) =>
    call<{ event: ChatEvent }>("DELETE", `/rooms/${id}/messages/${seq}`),
  read: (id: number, seq: number) =>
    call<{ last_read_seq: number }>("POST", `/rooms/${id}/read`, { seq }),
  /** threads (docs/api.md, "Threads") */
  threadPage: (id: number, root: number, opts: { before?: number; limit?: number }) => {
    const q = new URLSearchParams({ thread: String(root), limit: String(opts.limit ?? 50) });
    if (opts.before) q.set("before", String(opts.before));
    return call<ThreadPage>("GET", `/rooms/${id}/messages?${q}`);
  },
  threadReply: (id: number, root: number, text: string, clientMsgId: string) =>
    call<{ message: ChatEvent }>("POST", `/rooms/${id}/messages`, {
      client_msg_id: clientMsgId,
      text,
      thread_root: root,
    }),
  follow: (id: number, root: number, on: boolean) =>
    call<void>(on ? "PUT" : "DELETE", `/rooms/${id}/threads/${root}/follow`),
  threadRead: (id: number, root: number, seq: number) =>
    call<{ last_read_seq: number }>("POST", `/rooms/${id}/threads/${root}/read`, { seq }),
  followedThreads: () => call<{ threads: FollowedThreadInfo[] }>("GET", "/threads"),
};

export type Api = typeof api;

export interface AroundPage extends HistoryPage {
  has_more_before: boolean;
  has_more_after: boolean;
}

export interface ThreadPage extends HistoryPage {
  root: ChatEvent;
}

export interface FollowedThreadInfo {
  room: number;
  root: ChatEvent;
  unread: number;
  last_read_seq: number;
}

export interface HistoryPage {
  messages: ChatEvent[];
  has_more: boolean;
  /** the emoji I used on the page's messages, by seq (servers with reactions) */
  my_reactions?: Record<string, string[]>;
}
