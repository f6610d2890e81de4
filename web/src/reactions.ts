// Reactions in the client's state, with no DOM: a react/unreact event replaces the target
// message's aggregate with the one it carries, and says whether the reaction was mine; a
// history page's my_reactions become each message's `mine`. The emoji a person may react
// with are the server's allow-list (docs/api.md, "Reactions"), by shortcode.

import type { Message } from "./model";
import type { ChatEvent } from "./types";

/** The server's reaction shortcodes, in the order the picker shows them. */
export const REACTION_SHORTCODES = (
  "+1 -1 heart tada joy smile laughing rofl wink blush slightly_smiling_face thinking " +
  "eyes rocket fire clap pray ok_hand wave 100 white_check_mark x warning question " +
  "exclamation star sparkles cry sob angry scream sunglasses heart_eyes muscle raised_hands " +
  "coffee bug zap"
).split(" ");

/** Apply a react/unreact event to its target message (mine: the event is my own). */
export function applyReaction(m: Message, ev: ChatEvent, mine: boolean): void {
  if (m.deleted) return;
  m.reactions = ev.reactions ?? m.reactions;
  if (!mine) return;
  const had = m.mine.includes(ev.text);
  if (ev.kind === "react" && !had) m.mine = [...m.mine, ev.text];
  if (ev.kind === "unreact" && had) m.mine = m.mine.filter((e) => e !== ev.text);
}

/** Copy a history page's my_reactions onto its messages (before they go into the state). */
export function withMyReactions(
  messages: ChatEvent[],
  mine: Record<string, string[]> | undefined,
): ChatEvent[] {
  if (!mine) return messages;
  return messages.map((ev) => (mine[ev.seq] ? { ...ev, my_reactions: mine[ev.seq] } : ev));
}
