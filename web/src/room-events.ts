// What a timeline event does to a room beyond its messages: a `settings` event carries the
// room's settings after a change (docs/api.md "Room settings"), so the header and the room
// list show a rename, a new topic or a changed rule live and after a resume; pins follow
// pins.ts. Pure, beside state.ts.

import type { RoomState } from "./model";
import { applyToPins } from "./pins";
import type { ChatEvent } from "./types";

export function applyToRoom(r: RoomState, ev: ChatEvent): void {
  applyToPins(r, ev);
  const s = ev.kind === "settings" ? ev.settings : null;
  if (!s) return;
  r.info.name = s.name;
  r.info.topic = s.topic;
  r.info.public = s.public;
  r.info.archived = s.archived;
  r.info.post = s.post;
  r.info.room_mentions = s.room_mentions;
  r.info.pins = s.pins;
}
