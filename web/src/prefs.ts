// A notification level per room chosen in this browser (docs/client.md, "Notifications"),
// kept in localStorage beside the drafts until the server keeps levels per member; a level
// the server reports wins over it.

import type { DraftStore } from "./drafts";
import type { NotifyLevel } from "./notify-rules";

const LEVELS: NotifyLevel[] = ["all", "mentions", "none"];

export class RoomLevels {
  constructor(
    private readonly store: DraftStore | null,
    private readonly userId: number,
  ) {}

  private key(roomId: number): string {
    return `parley.level.${this.userId}.${roomId}`;
  }

  /** The level chosen for roomId, or null when none was (the default then applies). */
  get(roomId: number): NotifyLevel | null {
    try {
      const v = this.store?.getItem(this.key(roomId));
      return LEVELS.includes(v as NotifyLevel) ? (v as NotifyLevel) : null;
    } catch {
      return null;
    }
  }

  set(roomId: number, level: NotifyLevel): void {
    try {
      if (level === "all") this.store?.removeItem(this.key(roomId));
      else this.store?.setItem(this.key(roomId), level);
    } catch {
      /* refused storage: the choice lasts until the page is left */
    }
  }
}
