// The chat screen's shell: it owns the state and the connection, lays out the views (room
// list, room header, timeline, composer), routes #/room/N, and renders them when the state
// changes. The views reach it only through ChatContext (views/context.ts).

import { ApiError, api } from "./api";
import { Connection, type SocketLike } from "./client";
import { append, clear, h } from "./dom";
import { errText, excerpt, roomLabel } from "./format";
import { loadAround, type JumpApi } from "./jump";
import { browserStore } from "./drafts";
import { Notifier, bellIcon } from "./notifier";
import { RoomLevels } from "./prefs";
import { notifyWorthy, type NotifyLevel } from "./notify-rules";
import { ChatState } from "./state";
import { people } from "./people";
import type { ChatEvent, Profile, RoomNotifications, User } from "./types";
import { accountMenu } from "./views/account-menu";
import { Composer } from "./views/composer";
import type { ChatContext } from "./views/context";
import {
  createRoomDialog,
  directDialog,
  membersDialog,
  publicRoomsDialog,
  sessionsDialog,
} from "./views/dialogs";
import { confirmDialog } from "./views/popup";
import { PinnedBar } from "./views/pinned-bar";
import { RoomHeader } from "./views/room-header";
import { RoomList, unreadMentions } from "./views/room-list";
import { SearchBox } from "./views/search";
import { roomSwitcher } from "./views/switcher";
import { ThreadPanel } from "./views/thread-panel";
import { showSecurityAlert } from "./views/security-alert";
import { Timeline } from "./views/timeline";
import { securityDialog } from "./views/two-factor";
import { adminApi } from "./views/admin/admin-api";
import { openAdminConsole } from "./views/admin/console";
import { profileDialog } from "./views/profile";

export const SESSION_ENDED = "Your session has ended. Please sign in again.";

const jumpApi: JumpApi = {
  around: (room, seq, limit) => api.around(room, seq, limit),
  after: (room, seq, limit) => api.history(room, { after: seq, limit }),
};

/** Whether a key press is typing into something (then `/` is a slash, not a shortcut). */
function typing(ev: KeyboardEvent): boolean {
  const t = ev.target as HTMLElement | null;
  return !!t?.closest?.("input, textarea, select, [contenteditable=''], [contenteditable=true]");
}

export class ChatApp implements ChatContext {
  readonly st = new ChatState();
  readonly conn: Connection;
  private current: number | null = null;
  private unsubs: (() => void)[] = [];
  private typingTimer: ReturnType<typeof setInterval>;
  private readonly notifier = new Notifier();
  private readonly levels: RoomLevels;
  private bell = h("button", {
    type: "button",
    class: "bell",
    "aria-label": "Desktop notifications",
    "aria-pressed": "false",
  });

  private banner = h("div", {
    class: "banner",
    role: "status",
    "aria-live": "polite",
    hidden: true,
  });
  // the views, made in the constructor once me and conn are set (they are handed `this`)
  private readonly rooms: RoomList;
  private readonly header: RoomHeader;
  private readonly pinned: PinnedBar;
  private readonly timeline: Timeline;
  private readonly composer: Composer;
  private readonly search: SearchBox;
  private readonly thread: ThreadPanel;
  private roomView = h("section", { class: "room", "aria-labelledby": "room-title" });
  private empty = h("div", { class: "empty" }, h("p", { text: "Pick a room, or start one." }));
  // Whether the account menu offers the admin console: asked of the server once at start
  // (GET /me does not say; the console's own routes answer 403 to everyone else).
  private isAdmin = false;

  /** onEnd: the session is over (logged out, or refused); notice says why. */
  constructor(
    readonly me: User,
    private readonly root: HTMLElement,
    private readonly onEnd: (notice: string) => void,
  ) {
    this.st.setMe(me);
    people.clear();
    people.setFetch(async (username) => (await api.user(username)).user);
    if ("display_name" in me) people.set(me as Profile);
    this.unsubs.push(people.subscribe(() => this.st.changed()));
    this.levels = new RoomLevels(browserStore(), me.id);
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
      back: () => this.back(),
      members: (id) => membersDialog(this, id),
      leave: (id) => void this.leave(id),
      level: (id) => this.levelOf(id),
      muted: (id) => this.notificationsOf(id).muted,
      setLevel: (id, level) =>
        void this.setNotifications(id, { ...this.notificationsOf(id), level }),
      setMuted: (id, muted) =>
        void this.setNotifications(id, { ...this.notificationsOf(id), muted }),
    });
    this.pinned = new PinnedBar(this);
    this.timeline = new Timeline(this, {
      reply: (seq) => this.composer.setReply(seq),
      focusComposer: () => this.composer.focus(),
      render: () => this.render(),
      openThread: (m) => this.thread.open(m.room, m.seq),
    });
    this.thread = new ThreadPanel(this);
    this.composer = new Composer(this, {
      sent: () => (this.timeline.stickToBottom = true),
      editLast: () => this.timeline.editLast(),
    });
    this.search = new SearchBox(this);
    this.conn.onUnauthorized = () => onEnd(SESSION_ENDED);
    this.conn.onCaughtUp = () => this.timeline.maybeMarkRead();
    this.conn.onNewEvent = (ev, live) => live && this.maybeNotify(ev);
    this.conn.onSecurityAlert = (f) => showSecurityAlert(f);
    this.layout();
    void adminApi.isAdmin().then((yes) => (this.isAdmin = yes));
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
    this.search.destroy();
    for (const u of this.unsubs) u();
  }

  /** A desktop notification and sound for a new message, when the room's level wants it. */
  private maybeNotify(ev: ChatEvent): void {
    if (ev.kind !== "message" || ev.deleted) return;
    const r = this.st.room(ev.room);
    if (!r) return;
    const looking =
      document.visibilityState === "visible" && document.hasFocus() && this.current === ev.room;
    if (!notifyWorthy(ev, this.me, this.levelOf(ev.room), looking)) return;
    const where = r.info.kind === "direct" ? "" : ` in ${roomLabel(r, this.me.id)}`;
    const body = excerpt(ev.text, 140) || "sent files";
    this.notifier.notify(`${ev.sender_name}${where}`, body, `room-${ev.room}`, () =>
      this.open(ev.room),
    );
  }

  /** My choice for a room: the server's (GET /rooms), else this browser's (older servers). */
  private notificationsOf(roomId: number): RoomNotifications {
    const kept = this.st.room(roomId)?.info.notifications;
    return kept ?? { level: this.levels.get(roomId) ?? "all", muted: false };
  }

  /** The level that applies: a muted room asks for nothing, whatever its level. */
  private levelOf(roomId: number): NotifyLevel {
    const n = this.notificationsOf(roomId);
    return n.muted ? "none" : n.level;
  }

  /** Shown at once, stored on the server; put back as it was if the server refuses. */
  private async setNotifications(roomId: number, next: RoomNotifications): Promise<void> {
    const r = this.st.room(roomId);
    if (!r) return;
    const before = r.info.notifications;
    r.info.notifications = next;
    this.levels.set(roomId, next.level);
    this.render();
    try {
      r.info.notifications = await api.setNotifications(roomId, next);
    } catch (e) {
      r.info.notifications = before;
      this.flash(errText(e));
    }
    this.render();
  }

  /** The bell: ask for permission on the first press (a gesture), then switch on and off. */
  private async pressBell(): Promise<void> {
    const on = await this.notifier.toggle();
    if (!on && this.notifier.permission() === "denied") {
      this.flash("Notifications are blocked for this site in the browser's settings.");
    }
    this.renderBell();
  }

  private renderBell(): void {
    const on = this.notifier.enabled;
    this.bell.replaceChildren(bellIcon(on));
    this.bell.title = on ? "Desktop notifications are on" : "Turn on desktop notifications";
    this.bell.setAttribute("aria-pressed", String(on));
  }

  private listenToWindow(): void {
    const onOffline = () => this.conn.goOffline();
    const onOnline = () => this.conn.goOnline();
    const onVisible = () => this.timeline.maybeMarkRead();
    const onHash = () => this.openFromHash();
    const unlock = () => this.notifier.unlockSound();
    window.addEventListener("pointerdown", unlock, { once: true });
    window.addEventListener("keydown", unlock, { once: true });
    const onKey = (ev: KeyboardEvent) => {
      if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && ev.key.toLowerCase() === "k") {
        ev.preventDefault();
        roomSwitcher(this);
      } else if (ev.key === "/" && !ev.ctrlKey && !ev.metaKey && !ev.altKey && !typing(ev)) {
        ev.preventDefault();
        this.search.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("offline", onOffline);
    window.addEventListener("online", onOnline);
    document.addEventListener("visibilitychange", onVisible);
    window.addEventListener("hashchange", onHash);
    this.unsubs.push(() => {
      window.removeEventListener("keydown", onKey);
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
    void this.thread.refreshFollowed();
  }

  /**
   * #/room/N opens room N, #/room/N/SEQ opens it at message SEQ (a copied link), and no room
   * in the hash (Back from a room on a phone) closes the room.
   */
  private openFromHash(): void {
    const m = /^#\/room\/(\d+)(?:\/(\d+))?$/.exec(location.hash);
    if (!m) {
      if (this.current !== null) this.close(false);
      return;
    }
    this.open(Number(m[1]), false);
    const seq = Number(m[2] ?? 0);
    if (seq > 0 && this.current === Number(m[1])) void this.showAt(this.current, seq, false);
  }

  openAt(id: number, seq: number): void {
    void (async () => {
      // A room joined since the list was read (a hit can be from it): read the list again.
      if (!this.st.room(id)?.known) await this.refreshRooms();
      this.open(id, false);
      if (this.current === id) await this.showAt(id, seq, true);
    })();
  }

  /** Load the messages around seq when they are not held, then scroll to it (mark: a hit). */
  private async showAt(id: number, seq: number, mark: boolean): Promise<void> {
    try {
      await loadAround(this.st, jumpApi, id, seq);
    } catch (e) {
      this.flash(errText(e));
      return;
    }
    if (this.current === id) this.showSeq(seq, mark);
  }

  /** Scroll to seq once the timeline shows it (a few tries while it renders). */
  private showSeq(seq: number, mark: boolean, tries = 20): void {
    if (this.timeline.jumpTo(seq, mark) || tries === 0) return;
    setTimeout(() => this.showSeq(seq, mark, tries - 1), 150);
  }

  private layout(): void {
    clear(this.root);
    document.title = "Parley";
    const top = h(
      "header",
      { class: "topbar" },
      h("span", { class: "brand", text: "Parley" }),
      this.search.el,
      h(
        "nav",
        { class: "account", "aria-label": "Account" },
        this.thread.buttonBox,
        this.bell,
        accountMenu(this.me.username, () => [
          { label: "Profile", run: () => profileDialog(this) },
          { label: "Devices", run: () => sessionsDialog(this) },
          { label: "Security", run: () => securityDialog() },
          ...(this.isAdmin ? [{ label: "Admin console", run: () => openAdminConsole() }] : []),
          { label: "Log out", run: () => this.logout() },
        ]),
      ),
    );
    const c = this.composer;
    append(
      this.roomView,
      this.header.el,
      this.pinned.el,
      this.timeline.el,
      this.timeline.typingLine,
      c.replyBar,
      c.tray.el,
      c.form,
      c.dropHint,
    );
    this.unsubs.push(c.wireAttachments(this.roomView));
    const main = h("main", { class: "main" }, this.empty, this.roomView);
    append(
      this.root,
      this.banner,
      top,
      h("div", { class: "shell" }, this.rooms.el, main, this.thread.el),
    );
    this.roomView.hidden = true;
    this.bell.addEventListener("click", () => void this.pressBell());
    this.renderBell();
    this.renderBanner();
  }

  flash(text: string, kind: "error" | "info" = "error"): void {
    this.banner.hidden = false;
    this.banner.dataset.kind = kind;
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
      // Opening a room from the list is a step Back undoes (on a phone: back to the list);
      // moving from room to room is not.
      const url = `#/room/${id}`;
      if (location.hash !== url) {
        if (history.state?.parleyRoom) history.replaceState({ parleyRoom: id }, "", url);
        else history.pushState({ parleyRoom: id }, "", url);
      }
    }
    document.body.classList.add("show-room");
    this.roomView.hidden = false;
    this.empty.hidden = true;
    this.render();
    if (focus) this.composer.focus();
    void this.loadMembers(id);
  }

  /** The header's Back: undo the step that opened the room, else just close it. */
  private back(): void {
    if (history.state?.parleyRoom) history.back();
    else this.close();
  }

  /** Show no room; rewrite the URL unless it already names none (after Back). */
  private close(rewrite = true): void {
    this.current = null;
    this.composer.hide();
    document.body.classList.remove("show-room");
    this.roomView.hidden = true;
    this.empty.hidden = false;
    if (rewrite) history.replaceState(null, "", location.pathname);
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
    const r = this.st.room(id);
    const sure = await confirmDialog(
      `Leave ${r ? roomLabel(r, this.me.id) : "this room"}?`,
      "You stop getting its messages. To come back, someone must invite you, or you join it " +
        "again if it is public.",
      "Leave",
    );
    if (!sure) return;
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

  /** The tab's title and favicon count what the rooms' levels say is worth counting. */
  private renderBadge(): void {
    let count = 0;
    let mentions = 0;
    for (const r of this.st.roomList()) {
      const level = this.levelOf(r.info.id);
      const m = unreadMentions(r, this.me);
      mentions += level === "none" ? 0 : m;
      count += level === "all" ? r.unread : level === "mentions" ? m : 0;
    }
    this.notifier.badge(count, mentions);
  }

  private render(): void {
    this.composer.dropGoneRooms();
    this.rooms.render();
    this.renderBadge();
    this.renderBanner();
    this.thread.roomChanged(this.current);
    this.thread.render();
    if (this.current === null) return;
    const r = this.st.room(this.current);
    if (!r) {
      this.close();
      return;
    }
    this.header.render(r);
    this.pinned.render(r);
    this.timeline.render(r);
    this.composer.renderReplyBar();
  }
}
