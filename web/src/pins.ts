// What a timeline event does to a room's list of pinned messages (as GET /rooms/{id}/pins
// gave it): a pin or unpin makes it stale (read again when next shown), a delete takes the
// message off, an edit changes its text. Pure, beside state.ts.

import type { RoomState } from "./model";
import type { ChatEvent } from "./types";

export function applyToPins(r: RoomState, ev: ChatEvent): void {
  if (ev.kind === "pin" || ev.kind === "unpin") {
    r.pins = null;
  } else if (ev.kind === "delete" && r.pins) {
    r.pins = r.pins.filter((p) => p.message.seq !== ev.target);
  } else if (ev.kind === "edit") {
    for (const p of r.pins ?? []) {
      if (p.message.seq === ev.target) p.message = { ...p.message, text: ev.text };
    }
  }
}
