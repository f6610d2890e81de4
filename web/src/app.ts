// The chat screen's shell: it owns the state and the connection, lays out the views (room
// list, room header, timeline, composer), routes #/room/N, and renders them when the state
// changes. The views reach it only through ChatContext (views/context.ts).

import { ApiError, api } from "./api";
import { Connection, type SocketLike } from "./client";
import { append, clear, h } from "./dom";
import { errText } from "./format";
import { ChatState } from "./state";
import type { User } from "./types";
import { Composer } from "./views/composer";
import type { ChatContext } from "./views/context";
import {
  createRoomDialog,
  directDialog,
  membersDialog,
  publicRoomsDialog,
  sessionsDialog,
} from "./views/dialogs";
import { RoomHeader } from "./views/room-header";
import { RoomList } from "./views/room-list";
import { Timeline } from "./views/timeline";

export const SESSION_ENDED = "Your session has ended. Please sign in again.";

export class ChatApp implements ChatContext {
  readonly st = new ChatState();
  readonly conn: Connection;
  private current: number | null = null;
  private unsubs: (() => void)[] = [];
  private typingTimer: ReturnType<typeof setInterval>;

  private banner = h("div", {
    class: "banner",
    role: "status",
    "aria-live": "polite",
    hidden: true,
  });
  // the views, made in the constructor once me and conn are set (they are handed `this`)
  private readonly rooms: RoomList;
  private readonly header: RoomHeader;
  private readonly timeline: Timeline;
  private readonly composer: Composer;
  private roomView = h("section", { class: "room", "aria-labelledby": "room-title" });
  private empty = h("div", { class: "empty" }, h("p", { text: "Pick a room, or start one." }));

  /** onEnd: the session is over (logged out, or refused); notice says why. */
  constructor(
    readonly me: User,
    private readonly root: HTMLElement,
    private readonly onEnd: (notice: string) => void,
  ) {
    this.st.setMe(me);
    this.conn = new Connection({
      state: this.st,
      openSocket: () => {
        const proto = location.protocol === "https:" ? "wss:" : "ws:";
        return new WebSocket(`${proto}//${location.host}/api/v1/ws`) as unknown as SocketLike;
      },
      fetchRooms: async () => (await api.rooms()).rooms,
      isOnline: () => navigator.onLine,
    });
    this.rooms = new RoomList(this, {
      newRoom: () => createRoomDialog(this),
      browseRooms: () => publicRoomsDialog(this),
      directMessage: () => directDialog(this),
    });
    this.header = new RoomHeader(this, {
      back: () => this.close(),
      members: (id) => membersDialog(this, id),
      leave: (id) => void this.leave(id),
    });
    this.timeline = new Timeline(this, {
      reply: (seq) => this.composer.setReply(seq),
      focusComposer: () => this.composer.focus(),
      render: () => this.render(),
    });
    this.composer = new Composer(this, { sent: () => (this.timeline.stickToBottom = true) });
    this.conn.onUnauthorized = () => onEnd(SESSION_ENDED);
    this.conn.onCaughtUp = () => this.timeline.maybeMarkRead();
    this.layout();
    this.unsubs.push(this.st.subscribe(() => this.render()));
    this.unsubs.push(this.conn.onStatus(() => this.renderBanner()));
    this.listenToWindow();
    this.typingTimer = setInterval(() => this.timeline.renderTyping(), 1000);
    void this.boot();
  }

  get active(): number | null {
    return this.current;
  }

  destroy(): void {
    this.conn.stop();
    clearInterval(this.typingTimer);
    for (const u of this.unsubs) u();
  }

  private listenToWindow(): void {
    const onOffline = () => this.conn.goOffline();
    const onOnline = () => this.conn.goOnline();
    const onVisible = () => this.timeline.maybeMarkRead();
    const onHash = () => this.openFromHash();
    window.addEventListener("offline", onOffline);
    window.addEventListener("online", onOnline);
    document.addEventListener("visibilitychange", onVisible);
    window.addEventListener("hashchange", onHash);
    this.unsubs.push(() => {
      window.removeEventListener("offline", onOffline);
      window.removeEventListener("online", onOnline);
      document.removeEventListener("visibilitychange", onVisible);
      window.removeEventListener("hashchange", onHash);
    });
  }

  private async boot(): Promise<void> {
    try {
      const { rooms } = await api.rooms();
      this.st.upsertRooms(rooms, true);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      this.flash(errText(e));
    }
    this.conn.start();
    this.openFromHash();
  }

  private openFromHash(): void {
    const m = /^#\/room\/(\d+)$/.exec(location.hash);
    if (m) this.open(Number(m[1]), false);
  }

  private layout(): void {
    clear(this.root);
    document.title = "Parley";
    const top = h(
      "header",
      { class: "topbar" },
      h("span", { class: "brand", text: "Parley" }),
      h("span", {
        class: "whoami",
        text: this.me.username,
        "aria-label": `Signed in as ${this.me.username}`,
      }),
      h(
        "nav",
        { class: "account", "aria-label": "Account" },
        h("button", { type: "button", text: "Devices", onclick: () => sessionsDialog(this) }),
        h("button", { type: "button", text: "Log out", onclick: () => this.logout() }),
      ),
    );
    const c = this.composer;
    append(
      this.roomView,
      this.header.el,
      this.timeline.el,
      this.timeline.typingLine,
      c.replyBar,
      c.tray.el,
      c.form,
      c.dropHint,
    );
    this.unsubs.push(c.wireAttachments(this.roomView));
    const main = h("main", { class: "main" }, this.empty, this.roomView);
    append(this.root, this.banner, top, h("div", { class: "shell" }, this.rooms.el, main));
    this.roomView.hidden = true;
    this.renderBanner();
  }

  flash(text: string): void {
    this.banner.hidden = false;
    this.banner.dataset.kind = "error";
    this.banner.textContent = text;
    setTimeout(() => this.renderBanner(), 5000);
  }

  private renderBanner(): void {
    const s = this.conn.status;
    const show =
      s === "offline" || ((s === "connecting" || s === "syncing") && this.conn.drops > 0);
    this.banner.hidden = !show;
    this.banner.dataset.kind = "offline";
    this.banner.dataset.status = s;
    this.banner.textContent =
      s === "offline"
        ? navigator.onLine
          ? "Connection lost. Reconnecting…"
          : "You are offline. Messages will be sent when the connection returns."
        : "Reconnecting…";
    document.body.dataset.conn = s;
  }

  open(id: number, focus = true): void {
    const r = this.st.room(id);
    if (!r) return;
    if (this.current !== id) {
      this.current = id;
      this.timeline.reset(r);
      this.composer.switchTo(id);
      this.st.typingNames(id, Date.now());
      if (location.hash !== `#/room/${id}`) history.replaceState(null, "", `#/room/${id}`);
    }
    document.body.classList.add("show-room");
    this.roomView.hidden = false;
    this.empty.hidden = true;
    this.render();
    if (focus) this.composer.focus();
    void this.loadMembers(id);
  }

  private close(): void {
    this.current = null;
    this.composer.hide();
    document.body.classList.remove("show-room");
    this.roomView.hidden = true;
    this.empty.hidden = false;
    history.replaceState(null, "", location.pathname);
    this.render();
    this.rooms.focusFirst();
  }

  async loadMembers(id: number): Promise<void> {
    try {
      const d = await api.roomDetails(id);
      this.st.upsertRooms([d.room]);
      this.st.setMembers(id, d.members, d);
    } catch {
      /* shown as unknown */
    }
  }

  async refreshRooms(): Promise<void> {
    try {
      this.st.upsertRooms((await api.rooms()).rooms);
    } catch {
      /* keep what we have */
    }
  }

  private async leave(id: number): Promise<void> {
    try {
      await api.leave(id);
      this.st.removeRoom(id);
      if (this.current === id) this.close();
    } catch (e) {
      this.flash(errText(e));
    }
  }

  async logout(): Promise<void> {
    this.composer.drafts.clearAll();
    try {
      await api.logout();
    } catch {
      /* the session may already be gone */
    }
    history.replaceState(null, "", location.pathname);
    this.onEnd("You have logged out.");
  }

  private render(): void {
    this.composer.dropGoneRooms();
    this.rooms.render();
    this.renderBanner();
    if (this.current === null) return;
    const r = this.st.room(this.current);
    if (!r) {
      this.close();
      return;
    }
    this.header.render(r);
    this.timeline.render(r);
    this.composer.renderReplyBar();
  }
}
