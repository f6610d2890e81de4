// One unsent draft per room, kept in the browser's localStorage so it survives a room switch
// and a reload, and is only ever restored into the room it was written in. Keys carry the
// user id, so two accounts on one browser do not see each other's drafts; logging out
// forgets them (a shared computer keeps nothing typed).

/** What Drafts needs of window.localStorage (a Map-backed one in the unit tests). */
export interface DraftStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  key(index: number): string | null;
  readonly length: number;
}

const PREFIX = "parley.draft.";

export class Drafts {
  constructor(
    private readonly store: DraftStore | null,
    private readonly userId: number,
  ) {}

  private key(roomId: number): string {
    return `${PREFIX}${this.userId}.${roomId}`;
  }

  get(roomId: number): string {
    try {
      return this.store?.getItem(this.key(roomId)) ?? "";
    } catch {
      return "";
    }
  }

  /** Keep text as roomId's draft; blank text removes it. */
  set(roomId: number, text: string): void {
    try {
      if (text.trim()) this.store?.setItem(this.key(roomId), text);
      else this.store?.removeItem(this.key(roomId));
    } catch {
      /* storage full or refused (private mode): the draft lives only in the text box */
    }
  }

  /** Forget every draft of this user (on logout). */
  clearAll(): void {
    const s = this.store;
    if (!s) return;
    try {
      const mine = `${PREFIX}${this.userId}.`;
      const keys: string[] = [];
      for (let i = 0; i < s.length; i++) {
        const k = s.key(i);
        if (k?.startsWith(mine)) keys.push(k);
      }
      for (const k of keys) s.removeItem(k);
    } catch {
      /* nothing to forget */
    }
  }
}

/** The page's localStorage, or null where it is refused (some private modes throw). */
export function browserStore(): DraftStore | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}
