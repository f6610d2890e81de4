// What the client knows of people's profiles (docs/api.md "Profiles"): display names,
// status and time zone, by user id. Filled from GET /me, GET /users answers and live
// `profile` frames; a name seen in the timeline whose profile is unknown is fetched once
// (GET /users/{username}), in the background. No DOM; unit-tested in test/people.test.ts.

import type { Profile } from "./types";

export class People {
  private profiles = new Map<number, Profile>();
  private asked = new Set<string>();
  private listeners = new Set<() => void>();

  /** fetch: how to read one profile (the API's GET /users/{username}); null: never fetch */
  constructor(private fetch: ((username: string) => Promise<Profile>) | null = null) {}

  setFetch(fetch: (username: string) => Promise<Profile>): void {
    this.fetch = fetch;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** A profile from the server (an answer or a `profile` frame): kept, listeners told. */
  set(p: Profile): void {
    const had = this.profiles.get(p.id);
    if (had && JSON.stringify(had) === JSON.stringify(p)) return;
    this.profiles.set(p.id, p);
    for (const fn of this.listeners) fn();
  }

  get(id: number): Profile | undefined {
    return this.profiles.get(id);
  }

  /** The name to show: the display name if the user set one, else the username. */
  displayName(id: number, username: string): string {
    const p = this.profiles.get(id);
    if (!p) this.want(username);
    return p?.display_name || username;
  }

  /** A profile known by username (case-insensitively), for lists that hold names only. */
  byUsername(username: string): Profile | undefined {
    const key = username.toLowerCase();
    for (const p of this.profiles.values()) if (p.username.toLowerCase() === key) return p;
    return undefined;
  }

  /**
   * The URL of the user's avatar at `size` (64 or 256 pixels square), or null when they
   * have none or their profile is not known yet. The id in it changes with the avatar.
   */
  avatarUrl(id: number, size: 64 | 256 = 64): string | null {
    const p = this.profiles.get(id);
    if (!p?.avatar) return null;
    const name = encodeURIComponent(p.username);
    return `/api/v1/users/${name}/avatar?size=${size}&v=${encodeURIComponent(p.avatar)}`;
  }

  /** "🌴 on a train", or "" when the user shows no status. */
  status(id: number): string {
    const p = this.profiles.get(id);
    return [p?.status_emoji, p?.status_text].filter(Boolean).join(" ");
  }

  /** Read username's profile once, unless it is known or was asked for already. */
  want(username: string): void {
    const key = username.toLowerCase();
    if (!this.fetch || !username || this.asked.has(key)) return;
    this.asked.add(key);
    this.fetch(username).then(
      (p) => this.set(p),
      () => {}, // unknown or hidden: the username stays what is shown
    );
  }

  clear(): void {
    this.profiles.clear();
    this.asked.clear();
  }
}

/** The one registry of the page (the shell wires its fetch to the API). */
export const people = new People();
