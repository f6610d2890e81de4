// Which incoming message deserves a desktop notification, and what mentions me. Pure: the
// shell hands in the message, who I am, the room's notification level and whether I am
// looking at that room; notifier.ts does the showing.

export type NotifyLevel = "all" | "mentions" | "none";

export interface Incoming {
  sender: number;
  text: string;
  /** members the server found mentioned (absent from servers without mentions) */
  mentions?: number[];
  /** the server found @room / @here */
  mention_room?: boolean;
  mention_here?: boolean;
}

/** Whether the message mentions me: by the server's list, else by "@me" in the text. */
export function mentionsMe(m: Incoming, me: { id: number; username: string }): boolean {
  if (m.mentions !== undefined) {
    return m.mentions.includes(me.id) || m.mention_room === true || m.mention_here === true;
  }
  const name = me.username.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\w@])@(${name}|room|here)(?![\\w-])`, "i").test(m.text);
}

/**
 * Notify for a message from someone else that I am not looking at (the tab is hidden or
 * not focused, or another room is open), as the room's level says: every message, only
 * mentions of me, or none. A muted room notifies for nothing.
 */
export function notifyWorthy(
  m: Incoming,
  me: { id: number; username: string },
  level: NotifyLevel,
  looking: boolean,
): boolean {
  if (m.sender === me.id || looking || level === "none") return false;
  return level === "all" || mentionsMe(m, me);
}
