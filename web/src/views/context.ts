// What the chat screen's views are handed by the shell (app.ts): the signed-in user, the
// state and the connection, and the few actions that span more than one view. The shell
// sets me, st and conn before it makes a view.

import type { Connection } from "../client";
import type { ChatState } from "../state";
import type { User } from "../types";

export interface ChatContext {
  readonly me: User;
  readonly st: ChatState;
  readonly conn: Connection;
  /** the open room, or null when none is */
  readonly active: number | null;
  /** open a room (moving focus to the composer unless focus is false) */
  open(id: number, focus?: boolean): void;
  /** open a room at message seq: loaded around it when not held, scrolled to, highlighted */
  openAt(id: number, seq: number): void;
  /** a note for a few seconds in the banner (an error unless kind is "info") */
  flash(text: string, kind?: "error" | "info"): void;
  /** fetch a room's details and members into the state (errors leave them unknown) */
  loadMembers(id: number): Promise<void>;
  /** fetch the room list again (errors keep what is there) */
  refreshRooms(): Promise<void>;
  logout(): Promise<void>;
}
