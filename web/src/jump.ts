// Opening a room at one message (a search hit, a message link) when the message is not in
// the timeline the client holds: GET …/messages?around=SEQ, then pages forward until they
// meet what is held, so the timeline stays one unbroken run of messages and paging older
// keeps working from its oldest. No DOM; unit-tested in test/jump.test.ts.

import type { AroundPage, HistoryPage } from "./api";
import type { ChatState } from "./state";
import { withMyReactions } from "./reactions";
import type { ChatEvent } from "./types";

export interface JumpApi {
  around(room: number, seq: number, limit: number): Promise<AroundPage>;
  after(room: number, seq: number, limit: number): Promise<HistoryPage>;
}

/** How far forward the gap is filled: beyond it the window alone is shown (see below). */
export const BRIDGE_PAGES = 10;
export const BRIDGE_PAGE_SIZE = 200;

/** Whether the held timeline already shows seq (the newest page is loaded and reaches it). */
export function holds(st: ChatState, room: number, seq: number): boolean {
  const r = st.room(room);
  return !!r && r.historyLoaded && r.messages.has(seq) && seq >= r.oldestFetched;
}

/**
 * Load the messages around seq into room's timeline. Returns false when the room is not
 * known. After it, the timeline holds seq (when it is a message) and everything from the
 * window's oldest to the newest; when more than BRIDGE_PAGES pages lie between the window and
 * what was held, what was held is dropped and only the window is shown (newer messages come
 * back as they arrive or with Back to the room list and in again).
 */
export async function loadAround(
  st: ChatState,
  api: JumpApi,
  room: number,
  seq: number,
  limit = 50,
): Promise<boolean> {
  const r = st.room(room);
  if (!r) return false;
  if (holds(st, room, seq)) return true;
  const page = await api.around(room, seq, limit);
  const got: ChatEvent[] = withMyReactions(page.messages, page.my_reactions);
  const loaded = st.room(room);
  if (!loaded) return false;
  // The held run starts at oldestFetched once the newest page is in; before that, only the
  // stream's live messages are held, and the window must reach the newest.
  const heldFrom = loaded.historyLoaded ? loaded.oldestFetched : Number.POSITIVE_INFINITY;
  let newest = got.length > 0 ? got[got.length - 1]!.seq : seq;
  let more = page.has_more_after;
  for (let i = 0; more && newest < heldFrom - 1 && i < BRIDGE_PAGES; i++) {
    const next = await api.after(room, newest, BRIDGE_PAGE_SIZE);
    const msgs = withMyReactions(next.messages, next.my_reactions);
    got.push(...msgs);
    more = next.has_more;
    if (msgs.length === 0) break;
    newest = msgs[msgs.length - 1]!.seq;
  }
  const hasMoreBefore = page.has_more_before;
  const met = !more || newest >= heldFrom - 1;
  if (!met) st.resync(room, loaded.lastSeq);
  st.mergeHistory(room, got, hasMoreBefore, loaded.historyLoaded && met ? "before" : "latest");
  return true;
}
