// The admin console's requests (docs/api.md "The admin console"). Self-contained, as
// two-factor.ts is: the shared api.ts stays as it is for the views others are changing.

import { ApiError } from "../../api";

type Json = Record<string, unknown>;

export interface AdminUser {
  id: number;
  username: string;
  admin: boolean;
  disabled: boolean;
  created_at: number;
  two_factor: boolean;
  last_seen_at: number;
}

export interface AdminRoom {
  id: number;
  kind: "group" | "direct";
  name: string;
  public: boolean;
  member_count: number;
  owner: { id: number; username: string } | null;
  created_at: number;
  last_activity_at: number;
}

export interface AdminSession {
  id: number;
  device: string;
  ip: string;
  created_at: number;
  last_seen_at: number;
}

export interface AuditRow {
  id: number;
  user_id: number;
  kind: string;
  ip: string;
  device: string;
  detail: string;
  at: number;
  count: number;
  last_at: number;
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "Cannot reach the server.");
  }
  if (res.status === 204) return undefined as T;
  const data = ((await res.json().catch(() => null)) ?? {}) as Json;
  if (!res.ok) {
    const err = (data.error ?? {}) as { code?: string; message?: string };
    throw new ApiError(
      res.status,
      err.code ?? `http_${res.status}`,
      err.message ?? `The server said ${res.status}.`,
    );
  }
  return data as T;
}

const enc = encodeURIComponent;

function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export const adminApi = {
  /** Whether the signed-in account is a server admin: the console answers it, or 403. */
  async isAdmin(): Promise<boolean> {
    try {
      await send("GET", "/admin/users?limit=1");
      return true;
    } catch {
      return false;
    }
  },
  async users(q: string, cursor: string | null): Promise<Page<AdminUser>> {
    const r = await send<{ users: AdminUser[]; next_cursor: string | null }>(
      "GET",
      "/admin/users" + query({ q, cursor, limit: 50 }),
    );
    return { items: r.users, next: r.next_cursor };
  },
  createUser: (username: string, password: string | null, admin: boolean) =>
    send<{ user: AdminUser; reset_token?: string }>("POST", "/admin/users", {
      username,
      ...(password ? { password } : {}),
      admin,
    }),
  setDisabled: (name: string, disabled: boolean) =>
    send<void>("POST", `/admin/users/${enc(name)}/${disabled ? "disable" : "enable"}`),
  setAdmin: (name: string, admin: boolean) =>
    send<void>(admin ? "POST" : "DELETE", `/admin/users/${enc(name)}/admin`),
  resetLink: (name: string) =>
    send<{ token: string; expires_at: number }>("POST", `/admin/users/${enc(name)}/reset-link`),
  reset2fa: (name: string) => send<void>("POST", `/admin/users/${enc(name)}/reset-2fa`),
  sessions: (name: string) =>
    send<{ sessions: AdminSession[] }>("GET", `/admin/users/${enc(name)}/sessions`),
  endSession: (name: string, id: number) =>
    send<void>("DELETE", `/admin/users/${enc(name)}/sessions/${id}`),
  async rooms(q: string, cursor: string | null): Promise<Page<AdminRoom>> {
    const r = await send<{ rooms: AdminRoom[]; next_cursor: string | null }>(
      "GET",
      "/admin/rooms" + query({ q, cursor, limit: 50 }),
    );
    return { items: r.rooms, next: r.next_cursor };
  },
  setOwner: (room: number, username: string) =>
    send<unknown>("POST", `/admin/rooms/${room}/owner`, { username }),
  deleteRoom: (room: number) => send<void>("DELETE", `/rooms/${room}`),
  async audit(filters: Record<string, string>, cursor: string | null): Promise<Page<AuditRow>> {
    const r = await send<{ events: AuditRow[]; next_cursor: string | null }>(
      "GET",
      "/admin/audit" + query({ ...filters, cursor, limit: 50 }),
    );
    return { items: r.events, next: r.next_cursor };
  },
};
