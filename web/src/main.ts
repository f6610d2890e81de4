// Parley's browser client: the DOM side. State lives in state.ts, the socket in client.ts.

import "./style.css";
import { ApiError, api, setUnauthorizedHandler, uploadFile } from "./api";
import { UploadTray, attachmentsEl, pendingFilesEl } from "./attachments";
import { Connection, type SocketLike } from "./client";
import { KeyedList, append, clear, h, richText, type Keyed } from "./dom";
import { ChatState, type Message, type PendingSend, type RoomState } from "./state";
import type { Room, Session, User } from "./types";
import { UploadQueue, filesSummary, type UploadSource } from "./uploads";

const app = document.getElementById("app")!;

function newClientMsgId(): string {
  if (typeof crypto !== "undefined" && "randomUUID" in crypto) return crypto.randomUUID();
  return "c-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
}

function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua) ? "Firefox" : /Edg\//.test(ua) ? "Edge" : /Chrom/.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS/.test(ua) ? "macOS" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
  return os ? `${browser} on ${os}` : browser;
}

function errText(e: unknown): string {
  if (e instanceof ApiError) return e.message || e.code;
  return e instanceof Error ? e.message : String(e);
}

function fmtTime(ms: number): string {
  const d = new Date(ms);
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** The other person in a direct room: from the room list, else from the member list. */
function peerOf(r: RoomState, meId: number): User | undefined {
  if (r.info.kind !== "direct") return undefined;
  if (r.info.peer) return r.info.peer;
  for (const m of r.members?.values() ?? []) if (m.user_id !== meId) return { id: m.user_id, username: m.username };
  return undefined;
}

function roomName(r: RoomState | undefined, meId = -1): string {
  if (!r) return "";
  if (r.info.kind === "direct") return peerOf(r, meId)?.username ?? (r.info.name || "Direct message");
  return r.info.name || `Room ${r.info.id}`;
}

function excerpt(text: string, n = 80): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > n ? one.slice(0, n - 1) + "…" : one;
}

/** A message in one line: its text, or for a message of files only, what it carries. */
function summary(m: Message, n = 80): string {
  return excerpt(m.text, n) || filesSummary(m.files);
}

// ---------------------------------------------------------------------------------------
// Sign-in screen

function showLogin(notice = ""): void {
  document.title = "Parley";
  document.body.classList.remove("show-room");
  clear(app);
  let mode: "login" | "register" = "login";
  const error = h("p", { class: "form-error", role: "alert" });
  const user = h("input", { id: "auth-username", name: "username", autocomplete: "username", required: true, minLength: 3, maxLength: 32, autocapitalize: "none", spellcheck: "false" });
  const pass = h("input", { id: "auth-password", name: "password", type: "password", autocomplete: "current-password", required: true, minLength: 8 });
  const submit = h("button", { type: "submit", class: "primary", text: "Sign in" });
  const title = h("h2", { id: "auth-title", text: "Sign in" });
  const toggle = h("button", { type: "button", class: "link", text: "Create an account" });
  const form = h(
    "form",
    { class: "auth-form", "aria-labelledby": "auth-title" },
    title,
    h("label", { for: "auth-username", text: "Username" }),
    user,
    h("label", { for: "auth-password", text: "Password" }),
    pass,
    error,
    submit,
    h("p", {}, toggle),
  );
  toggle.addEventListener("click", () => {
    mode = mode === "login" ? "register" : "login";
    title.textContent = submit.textContent = mode === "login" ? "Sign in" : "Create account";
    toggle.textContent = mode === "login" ? "Create an account" : "I already have an account";
    pass.autocomplete = mode === "login" ? "current-password" : "new-password";
    error.textContent = "";
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    try {
      if (mode === "register") await api.register(user.value.trim(), pass.value);
      const res = await api.login(user.value.trim(), pass.value, deviceName());
      pass.value = "";
      startChat(res.user);
    } catch (e) {
      error.textContent = errText(e);
      submit.disabled = false;
    }
  });
  append(
    app,
    h(
      "main",
      { class: "auth" },
      h("h1", { class: "brand", text: "Parley" }),
      notice ? h("p", { class: "notice", role: "status", text: notice }) : null,
      form,
    ),
  );
  user.focus();
}

// ---------------------------------------------------------------------------------------
// The chat screen

let current: ChatApp | null = null;

function startChat(me: User): void {
  current?.destroy();
  current = new ChatApp(me);
}

function endChat(notice: string): void {
  current?.destroy();
  current = null;
  showLogin(notice);
}

setUnauthorizedHandler(() => {
  if (current) endChat("Your session has ended. Please sign in again.");
});

class ChatApp {
  st = new ChatState();
  conn: Connection;
  active: number | null = null;
  /** the "new messages" divider: my read marker when the room was opened */
  dividerAfter = 0;
  replyTo = 0;
  editing = 0;
  loadingHistory = false;
  historyError = "";
  prepending = false;
  scrollToDivider = false;
  private unsubs: (() => void)[] = [];
  private typingTimer: ReturnType<typeof setInterval>;

  // persistent elements
  banner = h("div", { class: "banner", role: "status", "aria-live": "polite", hidden: true });
  roomList = h("ul", { class: "room-list", "aria-label": "Your rooms" });
  roomTitle = h("h2", { id: "room-title" });
  roomTopic = h("p", { class: "room-topic" });
  roomPresence = h("span", { class: "presence" });
  roomActions = h("div", { class: "room-actions" });
  timeline = h("div", { class: "timeline", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-labelledby": "room-title", tabindex: 0 });
  history = h("div", { class: "history-edge" });
  items = h("div", { class: "items" });
  private roomEls = new KeyedList<number>(this.roomList);
  private msgEls = new KeyedList<string>(this.items);
  typingLine = h("div", { class: "typing", "aria-live": "polite" });
  replyBar = h("div", { class: "reply-bar", hidden: true });
  input = h("textarea", { id: "composer-input", rows: 1, placeholder: "Write a message…", maxLength: 16384, "aria-describedby": "composer-hint" });
  sendBtn = h("button", { type: "submit", class: "primary", text: "Send" });
  fileInput = h("input", { id: "attach-input", type: "file", multiple: true, hidden: true, tabindex: -1 });
  attachBtn = h("button", { type: "button", class: "attach", text: "Attach", "aria-label": "Attach files", title: "Attach files (or drop them here, or paste an image)" });
  /** the files being attached to the next message, per room (kept when switching rooms) */
  private queues = new Map<number, UploadQueue>();
  tray = new UploadTray();
  dropHint = h("div", { class: "drop-hint", "aria-hidden": "true" }, h("p", { text: "Drop files to attach them" }));
  composer = h(
    "form",
    { class: "composer" },
    this.fileInput,
    this.attachBtn,
    h("label", { for: "composer-input", class: "visually-hidden", text: "Message" }),
    this.input,
    this.sendBtn,
    h("p", { id: "composer-hint", class: "visually-hidden", text: "Enter to send, Shift+Enter for a new line" }),
  );
  roomView = h("section", { class: "room", "aria-labelledby": "room-title" });
  empty = h("div", { class: "empty" }, h("p", { text: "Pick a room, or start one." }));

  constructor(readonly me: User) {
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
    this.conn.onUnauthorized = () => endChat("Your session has ended. Please sign in again.");
    this.conn.onCaughtUp = () => this.maybeMarkRead();
    this.layout();
    this.unsubs.push(this.st.subscribe(() => this.render()));
    this.unsubs.push(this.conn.onStatus(() => this.renderBanner()));
    const onOffline = () => this.conn.goOffline();
    const onOnline = () => this.conn.goOnline();
    const onVisible = () => this.maybeMarkRead();
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
    this.typingTimer = setInterval(() => this.renderTyping(), 1000);
    void this.boot();
  }

  destroy(): void {
    this.conn.stop();
    clearInterval(this.typingTimer);
    for (const u of this.unsubs) u();
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

  // ---- layout -------------------------------------------------------------------------

  private layout(): void {
    clear(app);
    document.title = "Parley";
    const sessionsBtn = h("button", { type: "button", text: "Devices", onclick: () => this.sessionsDialog() });
    const logoutBtn = h("button", { type: "button", text: "Log out", onclick: () => this.logout() });
    const top = h(
      "header",
      { class: "topbar" },
      h("span", { class: "brand", text: "Parley" }),
      h("span", { class: "whoami", text: this.me.username, "aria-label": `Signed in as ${this.me.username}` }),
      h("nav", { class: "account", "aria-label": "Account" }, sessionsBtn, logoutBtn),
    );
    const side = h(
      "nav",
      { class: "sidebar", "aria-label": "Rooms" },
      h(
        "div",
        { class: "side-actions" },
        h("button", { type: "button", text: "New room", onclick: () => this.createRoomDialog() }),
        h("button", { type: "button", text: "Browse rooms", onclick: () => this.publicRoomsDialog() }),
        h("button", { type: "button", text: "Direct message", onclick: () => this.directDialog() }),
      ),
      this.roomList,
    );
    const back = h("button", { type: "button", class: "back", "aria-label": "Back to rooms", text: "←", onclick: () => this.close() });
    const header = h(
      "header",
      { class: "room-header" },
      back,
      h("div", { class: "room-heading" }, h("div", { class: "title-line" }, this.roomTitle, this.roomPresence), this.roomTopic),
      this.roomActions,
    );
    append(this.timeline, this.history, this.items);
    append(this.roomView, header, this.timeline, this.typingLine, this.replyBar, this.tray.el, this.composer, this.dropHint);
    this.wireAttachments();
    this.timeline.addEventListener("scroll", () => this.onScroll(), { passive: true });
    this.input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.submit();
      } else if (ev.key === "Escape" && this.replyTo) {
        this.setReply(0);
      }
    });
    this.input.addEventListener("input", () => {
      this.autosize(this.input);
      if (this.active !== null && this.input.value.trim()) this.conn.typing(this.active);
    });
    this.composer.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.submit();
    });
    append(app, this.banner, top, h("div", { class: "shell" }, side, h("main", { class: "main" }, this.empty, this.roomView)));
    this.roomView.hidden = true;
    this.renderBanner();
  }

  private autosize(t: HTMLTextAreaElement): void {
    t.style.height = "auto";
    t.style.height = Math.min(t.scrollHeight, 200) + "px";
  }

  private flash(text: string): void {
    this.banner.hidden = false;
    this.banner.dataset.kind = "error";
    this.banner.textContent = text;
    setTimeout(() => this.renderBanner(), 5000);
  }

  private renderBanner(): void {
    const s = this.conn.status;
    const show = s === "offline" || ((s === "connecting" || s === "syncing") && this.conn.drops > 0);
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

  // ---- rooms --------------------------------------------------------------------------

  open(id: number, focus = true): void {
    const r = this.st.room(id);
    if (!r) return;
    if (this.active !== id) {
      this.active = id;
      // Unread messages wait below a divider placed after my read marker.
      this.dividerAfter = r.unread > 0 ? r.lastReadSeq : Number.POSITIVE_INFINITY;
      this.scrollToDivider = true;
      this.replyTo = 0;
      this.editing = 0;
      this.historyError = "";
      this.msgEls.clear();
      this.tray.show(this.queues.get(id) ?? null);
      this.st.typingNames(id, Date.now());
      if (location.hash !== `#/room/${id}`) history.replaceState(null, "", `#/room/${id}`);
    }
    document.body.classList.add("show-room");
    this.roomView.hidden = false;
    this.empty.hidden = true;
    this.render();
    if (focus) this.input.focus();
    void this.loadMembers(id);
  }

  private close(): void {
    this.active = null;
    this.tray.show(null);
    document.body.classList.remove("show-room");
    this.roomView.hidden = true;
    this.empty.hidden = false;
    history.replaceState(null, "", location.pathname);
    this.render();
    const first = this.roomList.querySelector("button");
    if (first) (first as HTMLButtonElement).focus();
  }

  private async loadMembers(id: number): Promise<void> {
    try {
      const d = await api.roomDetails(id);
      this.st.upsertRooms([d.room]);
      this.st.setMembers(id, d.members, d);
    } catch {
      /* shown as unknown */
    }
  }

  private async loadHistory(id: number, older: boolean): Promise<void> {
    const r = this.st.room(id);
    if (!r || this.loadingHistory) return;
    this.loadingHistory = true;
    this.historyError = "";
    this.renderHistoryEdge();
    try {
      const before = older && Number.isFinite(r.oldestFetched) ? r.oldestFetched : undefined;
      const page = await api.history(id, { before, limit: 50 });
      if (this.active === id && older) this.prepending = true;
      this.st.mergeHistory(id, page.messages, page.has_more, older ? "before" : "latest");
    } catch (e) {
      this.historyError = errText(e);
    } finally {
      this.loadingHistory = false;
      this.st.changed();
    }
  }

  private async refreshRooms(): Promise<void> {
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
      if (this.active === id) this.close();
    } catch (e) {
      this.flash(errText(e));
    }
  }

  // ---- attaching files -----------------------------------------------------------------

  private wireAttachments(): void {
    this.attachBtn.addEventListener("click", () => this.fileInput.click());
    this.fileInput.addEventListener("change", () => {
      const files = [...(this.fileInput.files ?? [])];
      this.fileInput.value = "";
      this.attach(files.map((f) => ({ blob: f, name: f.name })));
    });
    // Drop onto the room: count enter/leave pairs (they fire for every child crossed).
    let depth = 0;
    const carriesFiles = (ev: DragEvent) => !!ev.dataTransfer && [...ev.dataTransfer.types].includes("Files");
    const room = this.roomView;
    room.addEventListener("dragenter", (ev) => {
      if (!carriesFiles(ev)) return;
      ev.preventDefault();
      depth++;
      room.classList.add("dropping");
    });
    room.addEventListener("dragover", (ev) => {
      if (!carriesFiles(ev)) return;
      ev.preventDefault();
      ev.dataTransfer!.dropEffect = "copy";
    });
    room.addEventListener("dragleave", (ev) => {
      if (!carriesFiles(ev)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) room.classList.remove("dropping");
    });
    room.addEventListener("drop", (ev) => {
      if (!carriesFiles(ev)) return;
      ev.preventDefault();
      depth = 0;
      room.classList.remove("dropping");
      this.attachDropped(ev.dataTransfer!);
    });
    // A file dropped anywhere else must not make the browser navigate away to it.
    const stray = (ev: DragEvent) => {
      if (carriesFiles(ev) && !room.contains(ev.target as Node)) ev.preventDefault();
    };
    window.addEventListener("dragover", stray);
    window.addEventListener("drop", stray);
    this.unsubs.push(() => {
      window.removeEventListener("dragover", stray);
      window.removeEventListener("drop", stray);
    });
    // Pasting an image (a screenshot) attaches it; pasting text stays text.
    this.input.addEventListener("paste", (ev) => {
      const data = ev.clipboardData;
      const files = [...(data?.files ?? [])];
      if (files.length === 0 || data?.types.includes("text/plain")) return;
      ev.preventDefault();
      this.attach(files.map((f) => ({ blob: f, name: f.name || "pasted image" })));
    });
  }

  private attachDropped(dt: DataTransfer): void {
    const sources: UploadSource[] = [];
    let folders = 0;
    const items = [...dt.items].filter((i) => i.kind === "file");
    items.forEach((item, i) => {
      const entry = typeof item.webkitGetAsEntry === "function" ? item.webkitGetAsEntry() : null;
      const file = item.getAsFile() ?? dt.files[i];
      if (entry?.isDirectory) folders++;
      else if (file) sources.push({ blob: file, name: file.name });
    });
    if (items.length === 0) for (const f of dt.files) sources.push({ blob: f, name: f.name });
    this.attach(sources, folders > 0 ? `Folders cannot be attached (${folders} skipped).` : "");
  }

  /** Start uploading files into the open room's tray. */
  private attach(sources: UploadSource[], note = ""): void {
    if (this.active === null || (sources.length === 0 && !note)) return;
    let queue = this.queues.get(this.active);
    if (!queue) {
      queue = new UploadQueue(this.active, uploadFile);
      this.queues.set(this.active, queue);
    }
    this.tray.show(queue);
    this.tray.setNote([note, queue.add(sources)].filter(Boolean).join(" "));
    this.input.focus();
  }

  // ---- sending ------------------------------------------------------------------------

  private submit(): void {
    if (this.active === null) return;
    const text = this.input.value;
    const queue = this.queues.get(this.active);
    if (!text.trim() && !queue?.items.length) return;
    const blocker = queue?.blocker() ?? "";
    if (blocker) {
      this.tray.setNote(blocker);
      return;
    }
    const files = queue?.uploaded() ?? [];
    if (new TextEncoder().encode(text).length > 16384) {
      this.flash("That message is too long (16 KB at most).");
      return;
    }
    this.conn.send(this.active, text.trim() ? text : "", this.replyTo, newClientMsgId(), files);
    queue?.clearSent();
    this.tray.setNote("");
    this.input.value = "";
    this.autosize(this.input);
    this.setReply(0);
    this.stickToBottom = true;
  }

  private stickToBottom = false;

  private setReply(seq: number): void {
    this.replyTo = seq;
    this.renderReplyBar();
    if (seq) this.input.focus();
  }

  private async saveEdit(m: Message, text: string): Promise<void> {
    if (!text.trim() || text === m.text) {
      this.editing = 0;
      this.render();
      return;
    }
    try {
      await api.edit(m.room, m.seq, text);
      this.editing = 0;
      this.render();
      this.input.focus();
    } catch (e) {
      this.flash(errText(e));
    }
  }

  private async deleteMessage(m: Message): Promise<void> {
    try {
      await api.remove(m.room, m.seq);
    } catch (e) {
      this.flash(errText(e));
    }
  }

  private async logout(): Promise<void> {
    try {
      await api.logout();
    } catch {
      /* the session may already be gone */
    }
    history.replaceState(null, "", location.pathname);
    endChat("You have logged out.");
  }

  // ---- reading ------------------------------------------------------------------------

  private atBottom(): boolean {
    const t = this.timeline;
    return t.scrollHeight - t.scrollTop - t.clientHeight < 48;
  }

  private onScroll(): void {
    if (this.active === null) return;
    const r = this.st.room(this.active);
    if (r && r.historyLoaded && r.hasMoreBefore && !this.loadingHistory && this.timeline.scrollTop < 300) {
      void this.loadHistory(this.active, true);
    }
    this.maybeMarkRead();
  }

  maybeMarkRead(): void {
    if (this.active === null || document.visibilityState === "hidden") return;
    if (this.conn.status !== "live") return;
    const r = this.st.room(this.active);
    if (!r || !r.historyLoaded || !this.atBottom()) return;
    const newest = this.st.newestSeq(this.active);
    if (newest > r.lastReadSeq) this.conn.markRead(this.active, newest);
  }

  // ---- rendering ----------------------------------------------------------------------

  private render(): void {
    for (const [id, q] of this.queues) {
      if (this.st.room(id)) continue;
      q.abortAll();
      this.queues.delete(id);
    }
    this.renderRooms();
    this.renderBanner();
    if (this.active === null) return;
    const r = this.st.room(this.active);
    if (!r) {
      this.close();
      return;
    }
    this.renderHeader(r);
    if (!r.historyLoaded && !this.loadingHistory && !this.historyError) void this.loadHistory(r.info.id, false);
    this.renderTimeline(r);
    this.renderTyping();
    this.renderReplyBar();
  }

  private renderRooms(): void {
    const list = this.st.roomList();
    this.roomEls.update(
      list.map((r) => {
        const id = r.info.id;
        const name = roomName(r, this.me.id);
        const last = r.lastMessage;
        const preview = last ? (last.deleted ? "Message deleted" : `${last.sender === this.me.id ? "You" : last.sender_name}: ${summary(last, 60)}`) : r.info.topic || "No messages yet";
        const peer = peerOf(r, this.me.id);
        const online = peer ? this.st.isOnline(peer.id) : null;
        const unread = r.unread;
        const sig = JSON.stringify([name, preview, unread, online, this.active === id, r.info.kind]);
        const make = () =>
          h(
            "li",
            {},
            h(
              "button",
              {
                type: "button",
                class: "room-item",
                "data-room-id": id,
                "aria-current": this.active === id ? "page" : undefined,
                onclick: () => this.open(id),
              },
              h(
                "span",
                { class: "room-line" },
                online !== null ? h("span", { class: "dot", "data-online": String(online), "aria-label": online ? "online" : "offline" }) : null,
                h("span", { class: "room-name", text: (r.info.kind === "group" ? "# " : "") + name }),
                unread > 0 ? h("span", { class: "badge", "aria-label": `${unread} unread`, text: unread > 99 ? "99+" : String(unread) }) : null,
              ),
              h("span", { class: "room-preview", text: preview }),
            ),
          );
        return { key: id, sig, make };
      }),
    );
    const total = list.reduce((n, r) => n + r.unread, 0);
    document.title = total > 0 ? `(${total}) Parley` : "Parley";
  }

  private renderHeader(r: RoomState): void {
    this.roomTitle.textContent = (r.info.kind === "group" ? "# " : "") + roomName(r, this.me.id);
    this.roomTopic.textContent = r.info.topic;
    this.roomTopic.hidden = !r.info.topic;
    const peer = peerOf(r, this.me.id);
    if (peer) {
      const on = this.st.isOnline(peer.id);
      this.roomPresence.hidden = false;
      this.roomPresence.dataset.online = String(on);
      this.roomPresence.textContent = on ? "online" : "offline";
    } else {
      const n = r.members ? [...r.members.keys()].filter((id) => id !== this.me.id && this.st.isOnlineIn(r.info.id, id)).length : 0;
      this.roomPresence.hidden = !r.members;
      this.roomPresence.dataset.online = String(n > 0);
      this.roomPresence.textContent = r.members ? `${r.memberCount ?? r.members.size} members, ${n + 1} online` : "";
    }
    const sig = `${r.info.id}:${r.info.kind}`;
    if (this.roomActions.dataset.sig !== sig) {
      this.roomActions.dataset.sig = sig;
      clear(this.roomActions);
      append(
        this.roomActions,
        h("button", { type: "button", text: "Members", onclick: () => this.membersDialog(r.info.id) }),
        r.info.kind === "group" ? h("button", { type: "button", text: "Leave", onclick: () => this.leave(r.info.id) }) : null,
      );
    }
  }

  private renderHistoryEdge(): void {
    const r = this.active !== null ? this.st.room(this.active) : undefined;
    clear(this.history);
    if (!r) return;
    if (this.historyError) {
      append(this.history, h("p", { class: "history-note", role: "alert", text: `Could not load history: ${this.historyError}` }), h("button", { type: "button", text: "Try again", onclick: () => { this.historyError = ""; void this.loadHistory(r.info.id, r.historyLoaded); } }));
    } else if (this.loadingHistory) {
      append(this.history, h("p", { class: "history-note", text: "Loading…" }));
    } else if (r.historyLoaded && !r.hasMoreBefore) {
      append(this.history, h("p", { class: "history-note history-start", text: `This is the beginning of ${roomName(r, this.me.id)}.` }));
    } else if (r.historyLoaded) {
      append(this.history, h("button", { type: "button", class: "load-older", text: "Load older messages", onclick: () => this.loadHistory(r.info.id, true) }));
    }
  }

  private renderTimeline(r: RoomState): void {
    const t = this.timeline;
    const wasAtBottom = this.atBottom() || this.stickToBottom;
    const fromBottom = t.scrollHeight - t.scrollTop;
    this.renderHistoryEdge();
    const items = this.st.timeline(r.info.id);
    const byseq = r.messages;
    const entries: Keyed<string>[] = [];
    let dividerPlaced = false;
    for (const it of items) {
      if (it.kind === "message") {
        const m = it.message;
        if (!dividerPlaced && m.seq > this.dividerAfter && m.sender !== this.me.id) {
          dividerPlaced = true;
          entries.push({ key: "divider", sig: "d", make: () => h("div", { class: "divider", role: "separator", "aria-label": "New messages" }, h("span", { text: "New messages" })) });
        }
        const parent = m.reply_to ? byseq.get(m.reply_to) : undefined;
        const sig = JSON.stringify([m.text, m.deleted, m.edited_at, this.editing === m.seq, parent?.text, parent?.deleted, m.files.map((f) => f.id)]);
        entries.push({ key: "m" + m.seq, sig, make: () => this.messageEl(m, parent) });
      } else {
        const p = it.pending;
        const sig = JSON.stringify([p.status, p.error, p.text]);
        entries.push({ key: "p" + p.client_msg_id, sig, make: () => this.pendingEl(p, p.reply_to ? byseq.get(p.reply_to) : undefined) });
      }
    }
    this.msgEls.update(entries);

    if (this.prepending) {
      this.prepending = false;
      t.scrollTop = t.scrollHeight - fromBottom;
    } else if (this.scrollToDivider && r.historyLoaded) {
      this.scrollToDivider = false;
      const d = this.msgEls.get("divider");
      if (d) t.scrollTop = Math.max(0, d.offsetTop - t.offsetTop - 40);
      else t.scrollTop = t.scrollHeight;
    } else if (wasAtBottom) {
      t.scrollTop = t.scrollHeight;
    }
    this.stickToBottom = false;
    // A page that does not fill the view cannot be scrolled: fetch more right away.
    if (r.historyLoaded && r.hasMoreBefore && !this.loadingHistory && !this.historyError && t.scrollHeight <= t.clientHeight + 300) {
      void this.loadHistory(r.info.id, true);
    }
    queueMicrotask(() => this.maybeMarkRead());
  }

  private replyRef(parent: Message | undefined, seq: number): HTMLElement {
    const text = parent ? (parent.deleted ? "Message deleted" : summary(parent)) : "an earlier message";
    return h(
      "button",
      {
        type: "button",
        class: "reply-ref",
        "aria-label": `In reply to ${parent ? parent.sender_name : "a message"}: ${text}`,
        onclick: () => {
          const el = this.msgEls.get("m" + seq);
          if (el) {
            el.scrollIntoView({ block: "center" });
            el.classList.add("flash");
            setTimeout(() => el.classList.remove("flash"), 1200);
          }
        },
      },
      h("span", { class: "reply-name", text: parent ? parent.sender_name : "" }),
      " ",
      h("span", { class: "reply-text", text }),
    );
  }

  private messageEl(m: Message, parent: Message | undefined): HTMLElement {
    const mine = m.sender === this.me.id;
    const el = h("article", {
      class: "msg" + (mine ? " mine" : "") + (m.deleted ? " deleted" : ""),
      "data-seq": m.seq,
      "data-sender": m.sender_name,
      "aria-label": `${m.sender_name}, ${fmtTime(m.created_at)}`,
    });
    append(
      el,
      h("header", { class: "msg-head" }, h("span", { class: "sender", text: m.sender_name }), h("time", { dateTime: new Date(m.created_at).toISOString(), text: fmtTime(m.created_at) })),
    );
    if (m.reply_to) el.appendChild(this.replyRef(parent, m.reply_to));
    if (m.deleted) {
      el.appendChild(h("p", { class: "text tombstone", text: "This message was deleted." }));
      return el;
    }
    if (this.editing === m.seq) {
      const ta = h("textarea", { id: `edit-${m.seq}`, class: "edit-input", rows: 2, maxLength: 16384 });
      ta.value = m.text;
      const save = () => void this.saveEdit(m, ta.value);
      const cancel = () => {
        this.editing = 0;
        this.render();
        this.input.focus();
      };
      ta.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
          ev.preventDefault();
          save();
        } else if (ev.key === "Escape") {
          ev.preventDefault();
          cancel();
        }
      });
      const form = h(
        "form",
        { class: "edit-form", onsubmit: (ev: Event) => (ev.preventDefault(), save()) },
        h("label", { for: `edit-${m.seq}`, class: "visually-hidden", text: "Edit message" }),
        ta,
        h("div", { class: "edit-buttons" }, h("button", { type: "submit", class: "primary", text: "Save" }), h("button", { type: "button", text: "Cancel", onclick: cancel })),
      );
      el.appendChild(form);
      if (m.files.length > 0) el.appendChild(attachmentsEl(m.files));
      queueMicrotask(() => {
        ta.focus();
        ta.setSelectionRange(ta.value.length, ta.value.length);
      });
      return el;
    }
    if (m.text || m.edited_at || m.files.length === 0) {
      const text = h("p", { class: "text" });
      text.appendChild(richText(m.text));
      if (m.edited_at) append(text, " ", h("span", { class: "edited", text: "(edited)" }));
      el.appendChild(text);
    }
    if (m.files.length > 0) el.appendChild(attachmentsEl(m.files));
    const actions = h("div", { class: "msg-actions" });
    append(actions, h("button", { type: "button", class: "act-reply", text: "Reply", "aria-label": `Reply to ${m.sender_name}`, onclick: () => this.setReply(m.seq) }));
    if (mine) {
      append(
        actions,
        h("button", { type: "button", class: "act-edit", text: "Edit", "aria-label": "Edit message", onclick: () => { this.editing = m.seq; this.render(); } }),
        h("button", { type: "button", class: "act-delete", text: "Delete", "aria-label": "Delete message", onclick: () => void this.deleteMessage(m) }),
      );
    }
    el.appendChild(actions);
    return el;
  }

  private pendingEl(p: PendingSend, parent: Message | undefined): HTMLElement {
    const el = h("article", { class: "msg mine pending", "data-status": p.status, "data-client-id": p.client_msg_id, "aria-label": `${this.me.username}, ${p.status === "failed" ? "not sent" : "sending"}` });
    append(el, h("header", { class: "msg-head" }, h("span", { class: "sender", text: this.me.username }), h("span", { class: "state", text: p.status === "failed" ? "Not sent" : "Sending…" })));
    if (p.reply_to) el.appendChild(this.replyRef(parent, p.reply_to));
    if (p.text || p.files.length === 0) {
      const text = h("p", { class: "text" });
      text.appendChild(richText(p.text));
      el.appendChild(text);
    }
    if (p.files.length > 0) el.appendChild(pendingFilesEl(p.files));
    if (p.status === "failed") {
      append(
        el,
        h("p", { class: "form-error", role: "alert", text: p.error ?? "Failed" }),
        h(
          "div",
          { class: "msg-actions shown" },
          h("button", { type: "button", text: "Retry", onclick: () => this.conn.retry(p.client_msg_id) }),
          h("button", { type: "button", text: "Discard", onclick: () => this.st.discardPending(p.client_msg_id) }),
        ),
      );
    }
    return el;
  }

  private renderTyping(): void {
    if (this.active === null) return;
    const names = this.st.typingNames(this.active, Date.now());
    const text = names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : "Several people are typing…";
    if (this.typingLine.textContent !== text) this.typingLine.textContent = text;
  }

  private renderReplyBar(): void {
    const r = this.active !== null ? this.st.room(this.active) : undefined;
    const m = r && this.replyTo ? r.messages.get(this.replyTo) : undefined;
    const sig = m ? `${m.seq}:${m.text}:${m.files.length}` : "";
    if (this.replyBar.dataset.sig === sig) return;
    this.replyBar.dataset.sig = sig;
    clear(this.replyBar);
    this.replyBar.hidden = !m;
    if (!m) return;
    append(
      this.replyBar,
      h("span", { class: "reply-label" }, "Replying to ", h("strong", { text: m.sender_name }), ": ", h("span", { text: summary(m, 60) })),
      h("button", { type: "button", class: "link", "aria-label": "Cancel reply", text: "×", onclick: () => { this.setReply(0); this.input.focus(); } }),
    );
  }

  // ---- dialogs ------------------------------------------------------------------------

  private dialog(title: string, body: (close: () => void) => Node[]): HTMLDialogElement {
    const id = "dlg-" + Math.random().toString(36).slice(2);
    const dlg = h("dialog", { "aria-labelledby": id });
    const close = () => dlg.close();
    append(
      dlg,
      h("header", { class: "dlg-head" }, h("h2", { id, text: title }), h("button", { type: "button", class: "link", "aria-label": "Close", text: "×", onclick: close })),
      ...body(close),
    );
    dlg.addEventListener("close", () => dlg.remove());
    document.body.appendChild(dlg);
    dlg.showModal();
    return dlg;
  }

  private createRoomDialog(): void {
    const name = h("input", { id: "new-room-name", required: true, maxLength: 100 });
    const topic = h("input", { id: "new-room-topic", maxLength: 1000 });
    const pub = h("input", { id: "new-room-public", type: "checkbox" });
    const err = h("p", { class: "form-error", role: "alert" });
    this.dialog("New room", (close) => [
      h(
        "form",
        {
          class: "stack",
          onsubmit: async (ev: Event) => {
            ev.preventDefault();
            try {
              const { room } = await api.createRoom(name.value.trim(), topic.value.trim(), pub.checked);
              this.st.upsertRooms([{ ...room, role: "owner", unread: 0, last_read_seq: 0 }]);
              close();
              this.open(room.id);
            } catch (e) {
              err.textContent = errText(e);
            }
          },
        },
        h("label", { for: "new-room-name", text: "Name" }),
        name,
        h("label", { for: "new-room-topic", text: "Topic (optional)" }),
        topic,
        h("label", { class: "check" }, pub, " Public: anyone can find and join it"),
        err,
        h("button", { type: "submit", class: "primary", text: "Create room" }),
      ),
    ]);
    name.focus();
  }

  private publicRoomsDialog(): void {
    const list = h("ul", { class: "dlg-list", "aria-label": "Public rooms" }, h("li", { text: "Loading…" }));
    const err = h("p", { class: "form-error", role: "alert" });
    this.dialog("Public rooms", (close) => {
      void api
        .publicRooms()
        .then(({ rooms }) => {
          clear(list);
          if (rooms.length === 0) list.appendChild(h("li", { text: "No public rooms yet." }));
          for (const room of rooms) {
            const member = this.st.room(room.id)?.known;
            list.appendChild(
              h(
                "li",
                { class: "dlg-row" },
                h("span", {}, h("strong", { text: "# " + room.name }), room.topic ? h("span", { class: "muted", text: " — " + room.topic }) : null),
                member
                  ? h("button", { type: "button", text: "Open", onclick: () => (close(), this.open(room.id)) })
                  : h("button", {
                      type: "button",
                      text: "Join",
                      "aria-label": `Join ${room.name}`,
                      onclick: async () => {
                        try {
                          const res = await api.join(room.id);
                          this.st.upsertRooms([{ ...res.room, unread: 0 }]);
                          close();
                          this.open(room.id);
                        } catch (e) {
                          err.textContent = errText(e);
                        }
                      },
                    }),
              ),
            );
          }
        })
        .catch((e) => (err.textContent = errText(e)));
      return [list, err];
    });
  }

  private directDialog(): void {
    const who = h("input", { id: "dm-username", required: true, autocapitalize: "none", spellcheck: "false" });
    const err = h("p", { class: "form-error", role: "alert" });
    this.dialog("Direct message", (close) => [
      h(
        "form",
        {
          class: "stack",
          onsubmit: async (ev: Event) => {
            ev.preventDefault();
            try {
              const { room } = await api.direct(who.value.trim());
              this.st.upsertRooms([room]);
              await this.refreshRooms();
              close();
              this.open(room.id);
            } catch (e) {
              err.textContent = errText(e);
            }
          },
        },
        h("label", { for: "dm-username", text: "Username" }),
        who,
        err,
        h("button", { type: "submit", class: "primary", text: "Start conversation" }),
      ),
    ]);
    who.focus();
  }

  private membersDialog(roomId: number): void {
    const r = this.st.room(roomId);
    if (!r) return;
    const list = h("ul", { class: "dlg-list", "aria-label": "Members" });
    const err = h("p", { class: "form-error", role: "alert" });
    const fill = () => {
      clear(list);
      const members = r.members ? [...r.members.values()].sort((a, b) => a.username.localeCompare(b.username)) : [];
      for (const m of members) {
        const on = m.user_id === this.me.id || this.st.isOnlineIn(roomId, m.user_id);
        list.appendChild(
          h(
            "li",
            { class: "dlg-row", "data-member": m.username },
            h("span", {}, h("span", { class: "dot", "data-online": String(on), "aria-label": on ? "online" : "offline" }), " ", m.username, m.role !== "member" ? h("span", { class: "muted", text: ` (${m.role})` }) : null),
            m.user_id !== this.me.id
              ? h("button", { type: "button", text: "Message", onclick: async () => { try { const { room } = await api.direct(m.username); this.st.upsertRooms([room]); await this.refreshRooms(); dlg.close(); this.open(room.id); } catch (e) { err.textContent = errText(e); } } })
              : null,
          ),
        );
      }
    };
    const who = h("input", { id: "invite-username", required: true, autocapitalize: "none", spellcheck: "false" });
    const dlg = this.dialog(`Members of ${roomName(r, this.me.id)}`, () => {
      const nodes: Node[] = [list];
      if (r.info.kind === "group") nodes.push(h(
            "form",
            {
              class: "stack",
              onsubmit: async (ev: Event) => {
                ev.preventDefault();
                err.textContent = "";
                try {
                  await api.invite(roomId, who.value.trim());
                  who.value = "";
                  await this.loadMembers(roomId);
                  fill();
                } catch (e) {
                  err.textContent = errText(e);
                }
              },
            },
            h("label", { for: "invite-username", text: "Invite by username" }),
            who,
            h("button", { type: "submit", text: "Invite" }),
          ));
      nodes.push(err);
      return nodes;
    });
    fill();
    void this.loadMembers(roomId).then(fill);
  }

  private sessionsDialog(): void {
    const list = h("ul", { class: "dlg-list", "aria-label": "Signed-in devices" }, h("li", { text: "Loading…" }));
    const err = h("p", { class: "form-error", role: "alert" });
    const fill = (sessions: Session[]) => {
      clear(list);
      for (const s of sessions) {
        list.appendChild(
          h(
            "li",
            { class: "dlg-row", "data-session-id": s.id },
            h(
              "span",
              {},
              h("strong", { text: s.device || "Unnamed device" }),
              s.current ? h("span", { class: "tag", text: " (this device)" }) : null,
              h("span", { class: "muted", text: ` · ${s.ip} · last seen ${fmtTime(s.last_seen_at)}` }),
            ),
            h("button", {
              type: "button",
              text: s.current ? "Log out" : "Revoke",
              "aria-label": s.current ? "Log out of this device" : `Revoke ${s.device || "session"}`,
              onclick: async () => {
                if (s.current) return void this.logout();
                try {
                  await api.revokeSession(s.id);
                  fill((await api.sessions()).sessions);
                } catch (e) {
                  err.textContent = errText(e);
                }
              },
            }),
          ),
        );
      }
    };
    this.dialog("Your devices", () => [list, err]);
    api
      .sessions()
      .then((r) => fill(r.sessions))
      .catch((e) => (err.textContent = errText(e)));
  }
}

// Helper for Room objects answered by POST endpoints (no unread or role).
export type { Room };

async function main(): Promise<void> {
  try {
    const { user } = await api.me();
    startChat(user);
  } catch (e) {
    showLogin(e instanceof ApiError && e.status !== 401 ? errText(e) : "");
  }
}

void main();
