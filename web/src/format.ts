// Text the views show, with no DOM in it: names of rooms and people, one-line excerpts,
// times, error messages, and the ids and device names the client makes up.

import { people } from "./people";
import { ApiError } from "./api";
import type { Message, RoomState } from "./state";
import type { User } from "./types";
import { filesSummary } from "./uploads";

export function newClientMsgId(): string {
  if (typeof crypto !== "undefined" && "randomUUID" in crypto) return crypto.randomUUID();
  return "c-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
}

/** "Chrome on Linux": the device name a new session is given at sign-in. */
export function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua)
    ? "Firefox"
    : /Edg\//.test(ua)
      ? "Edge"
      : /Chrom/.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "Browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Mac OS/.test(ua)
        ? "macOS"
        : /Windows/.test(ua)
          ? "Windows"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return os ? `${browser} on ${os}` : browser;
}

export function errText(e: unknown): string {
  if (e instanceof ApiError) return e.message || e.code;
  return e instanceof Error ? e.message : String(e);
}

/** A time of day for today, else the date and time. */
export function fmtTime(ms: number): string {
  const d = new Date(ms);
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** The time of day without AM/PM ("3:07"), for the narrow gutter of a grouped message. */
export function fmtShortTime(ms: number): string {
  return new Intl.DateTimeFormat([], { hour: "numeric", minute: "2-digit" })
    .formatToParts(new Date(ms))
    .filter((p) => p.type !== "dayPeriod")
    .map((p) => p.value)
    .join("")
    .trim();
}

/** The other person in a direct room: from the room list, else from the member list. */
export function peerOf(r: RoomState, meId: number): User | undefined {
  if (r.info.kind !== "direct") return undefined;
  if (r.info.peer) return r.info.peer;
  for (const m of r.members?.values() ?? []) {
    if (m.user_id !== meId) return { id: m.user_id, username: m.username };
  }
  return undefined;
}

export function roomName(r: RoomState | undefined, meId = -1): string {
  if (!r) return "";
  if (r.info.kind === "direct") {
    const peer = peerOf(r, meId);
    return peer ? people.displayName(peer.id, peer.username) : r.info.name || "Direct message";
  }
  return r.info.name || `Room ${r.info.id}`;
}

/** A room's name as lists and headings show it: "# name" for a group room. */
export function roomLabel(r: RoomState, meId: number): string {
  return (r.info.kind === "group" ? "# " : "") + roomName(r, meId);
}

export function excerpt(text: string, n = 80): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > n ? one.slice(0, n - 1) + "…" : one;
}

/** A message in one line: its text, or for a message of files only, what it carries. */
export function summary(m: Message, n = 80): string {
  return excerpt(m.text, n) || filesSummary(m.files);
}

/** Up to two initials for an avatar: "alice" → "A", "bob_smith" → "BS". */
export function initials(name: string): string {
  const parts = name.split(/[\s._-]+/).filter(Boolean);
  const first = [...(parts[0] ?? "?")][0] ?? "?";
  const second = parts.length > 1 ? ([...parts[1]][0] ?? "") : "";
  return (first + second).toUpperCase();
}

/** Which of the ten avatar colours (styles: .avatar[data-c]) a user gets, fixed by the id. */
export function avatarColour(userId: number): number {
  // Knuth's multiplicative hash spreads consecutive ids over the colours.
  return (Math.imul(userId, 2654435761) >>> 0) % 10;
}

/** Messages within this long of the one before, from the same sender, share its header. */
export const GROUP_WINDOW_MS = 5 * 60 * 1000;

/** Member counts in words: "1 member", "3 members". */
export function plural(n: number, one: string, many = one + "s"): string {
  return `${n} ${n === 1 ? one : many}`;
}
