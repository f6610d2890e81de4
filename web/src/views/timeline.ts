// The open room's messages: the history edge (load older, the beginning of the room), the
// messages and my pending sends in order with the "new messages" divider, editing in place,
// who is typing, the scroll position, and marking the room read when I reach the bottom.

import { people } from "../people";
import { api } from "../api";
import { KeyedList, append, clear, h, type Keyed } from "../dom";
import { GROUP_WINDOW_MS, errText, roomName } from "../format";
import { REACTION_SHORTCODES, withMyReactions } from "../reactions";
import type { Message, RoomState } from "../state";
import type { ChatContext } from "./context";
import { dividerEl, messageEl, pendingEl, type MessageActions } from "./message";
import { confirmDialog } from "./popup";

export interface TimelineHooks {
  /** reply to a message (0: none) from the composer */
  reply(seq: number): void;
  focusComposer(): void;
  /** render the whole chat screen again */
  render(): void;
  /** open a message's thread in the side panel */
  openThread(m: Message): void;
}

/**
 * The list is one tab stop (its rows are reached with the arrow keys): a row's buttons and
 * links leave the tab order, except in the form that edits a message.
 */
function oneTabStop(row: HTMLElement): HTMLElement {
  for (const c of row.querySelectorAll<HTMLElement>("button, a[href]")) {
    if (!c.closest(".edit-form")) c.tabIndex = -1;
  }
  return row;
}

export class Timeline {
  private history = h("div", { class: "history-edge" });
  private items = h("div", { class: "items" });
  private msgEls = new KeyedList<string>(this.items);
  readonly el = h("div", {
    class: "timeline",
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions",
    "aria-labelledby": "room-title",
    tabindex: 0,
  });
  readonly typingLine = h("div", { class: "typing", "aria-live": "polite" });
  /** the "new messages" divider: my read marker when the room was opened */
  private dividerAfter = 0;
  private editing = 0;
  private loadingHistory = false;
  private historyError = "";
  private prepending = false;
  private scrollToDivider = false;
  /** scroll to the bottom on the next render (after I sent something) */
  stickToBottom = false;
  /** the server has reactions (its history pages say my_reactions) */
  private hasReactions = false;
  /** what the buttons in the rows do */
  private readonly actions: MessageActions;

  constructor(
    private readonly ctx: ChatContext,
    private readonly hooks: TimelineHooks,
  ) {
    append(this.el, this.history, this.items);
    this.actions = {
      me: ctx.me,
      isEditing: (seq) => this.editing === seq,
      jumpTo: (seq) => this.jumpTo(seq),
      reply: (seq) => hooks.reply(seq),
      edit: (seq) => {
        this.editing = seq;
        hooks.render();
      },
      remove: (m) => void this.deleteMessage(m),
      copyLink: (m) => void this.copyLink(m),
      reactionNames: () => (this.hasReactions ? REACTION_SHORTCODES : []),
      react: (m, emoji, on) => void this.react(m, emoji, on),
      nameOf: (id) => this.nameOf(id),
      saveEdit: (m, text) => void this.saveEdit(m, text),
      cancelEdit: () => {
        this.editing = 0;
        hooks.render();
        hooks.focusComposer();
      },
      retry: (id) => ctx.conn.retry(id),
      discard: (id) => ctx.st.discardPending(id),
      openThread: (m) => hooks.openThread(m),
      threadUnread: (m) => ctx.st.threads.unread(m.room, m.seq),
      mayPin: (m) => this.mayPin(m.room),
      isPinned: (m) => ctx.st.room(m.room)?.pins?.some((p) => p.message.seq === m.seq) ?? false,
      pin: (m, on) => void this.pin(m, on),
    };
    this.el.addEventListener("scroll", () => this.onScroll(), { passive: true });
    this.el.addEventListener("keydown", (ev) => this.onKey(ev));
  }

  /** Show room r from the start: unread messages wait below a divider after my marker. */
  reset(r: RoomState): void {
    this.dividerAfter = r.unread > 0 ? r.lastReadSeq : Number.POSITIVE_INFINITY;
    this.scrollToDivider = true;
    this.editing = 0;
    this.historyError = "";
    this.msgEls.clear();
  }

  render(r: RoomState): void {
    if (!r.historyLoaded && !this.loadingHistory && !this.historyError) {
      void this.loadHistory(r.info.id, false);
    }
    this.renderItems(r);
    this.renderTyping();
  }

  renderTyping(): void {
    const active = this.ctx.active;
    if (active === null) return;
    const names = this.ctx.st.typingNames(active, Date.now());
    const text =
      names.length === 0
        ? ""
        : names.length === 1
          ? `${names[0]} is typing…`
          : names.length === 2
            ? `${names[0]} and ${names[1]} are typing…`
            : "Several people are typing…";
    if (this.typingLine.textContent !== text) this.typingLine.textContent = text;
  }

  maybeMarkRead(): void {
    const { st, conn } = this.ctx;
    const active = this.ctx.active;
    if (active === null || document.visibilityState === "hidden") return;
    if (conn.status !== "live") return;
    const r = st.room(active);
    if (!r || !r.historyLoaded || !this.atBottom()) return;
    const newest = st.newestSeq(active);
    if (newest > r.lastReadSeq) conn.markRead(active, newest);
  }

  private atBottom(): boolean {
    const t = this.el;
    return t.scrollHeight - t.scrollTop - t.clientHeight < 48;
  }

  private onScroll(): void {
    const active = this.ctx.active;
    if (active === null) return;
    const r = this.ctx.st.room(active);
    if (
      r &&
      r.historyLoaded &&
      r.hasMoreBefore &&
      !this.loadingHistory &&
      this.el.scrollTop < 300
    ) {
      void this.loadHistory(active, true);
    }
    this.maybeMarkRead();
  }

  private async loadHistory(id: number, older: boolean): Promise<void> {
    const st = this.ctx.st;
    const r = st.room(id);
    if (!r || this.loadingHistory) return;
    this.loadingHistory = true;
    this.historyError = "";
    this.renderHistoryEdge();
    try {
      const before = older && Number.isFinite(r.oldestFetched) ? r.oldestFetched : undefined;
      const page = await api.history(id, { before, limit: 50 });
      if (this.ctx.active === id && older) this.prepending = true;
      if (page.my_reactions !== undefined) this.hasReactions = true;
      const messages = withMyReactions(page.messages, page.my_reactions);
      st.mergeHistory(id, messages, page.has_more, older ? "before" : "latest");
    } catch (e) {
      this.historyError = errText(e);
    } finally {
      this.loadingHistory = false;
      st.changed();
    }
  }

  private renderHistoryEdge(): void {
    const active = this.ctx.active;
    const r = active !== null ? this.ctx.st.room(active) : undefined;
    clear(this.history);
    if (!r) return;
    const id = r.info.id;
    if (this.historyError) {
      append(
        this.history,
        h("p", {
          class: "history-note",
          role: "alert",
          text: `Could not load history: ${this.historyError}`,
        }),
        h("button", {
          type: "button",
          text: "Try again",
          onclick: () => {
            this.historyError = "";
            void this.loadHistory(id, r.historyLoaded);
          },
        }),
      );
    } else if (this.loadingHistory) {
      append(this.history, h("p", { class: "history-note", text: "Loading…" }));
    } else if (r.historyLoaded && !r.hasMoreBefore) {
      const text = `This is the beginning of ${roomName(r, this.ctx.me.id)}.`;
      append(this.history, h("p", { class: "history-note history-start", text }));
    } else if (r.historyLoaded) {
      append(
        this.history,
        h("button", {
          type: "button",
          class: "load-older",
          text: "Load older messages",
          onclick: () => this.loadHistory(id, true),
        }),
      );
    }
  }

  private renderItems(r: RoomState): void {
    const t = this.el;
    const wasAtBottom = this.atBottom() || this.stickToBottom;
    const fromBottom = t.scrollHeight - t.scrollTop;
    this.renderHistoryEdge();
    this.msgEls.update(this.entries(r));

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
    if (
      r.historyLoaded &&
      r.hasMoreBefore &&
      !this.loadingHistory &&
      !this.historyError &&
      t.scrollHeight <= t.clientHeight + 300
    ) {
      void this.loadHistory(r.info.id, true);
    }
    queueMicrotask(() => this.maybeMarkRead());
  }

  /** The timeline's rows in order: messages, my pending sends, and the divider. */
  private entries(r: RoomState): Keyed<string>[] {
    const me = this.ctx.me;
    const byseq = r.messages;
    const entries: Keyed<string>[] = [];
    let dividerPlaced = false;
    let prev: Message | null = null;
    const seen = this.seenBy(r);
    for (const it of this.ctx.st.timeline(r.info.id)) {
      if (it.kind === "message") {
        const m = it.message;
        if (!dividerPlaced && m.seq > this.dividerAfter && m.sender !== me.id) {
          dividerPlaced = true;
          prev = null;
          entries.push({ key: "divider", sig: "d", make: dividerEl });
        }
        const grouped =
          prev !== null &&
          prev.sender === m.sender &&
          m.created_at - prev.created_at < GROUP_WINDOW_MS &&
          new Date(m.created_at).toDateString() === new Date(prev.created_at).toDateString();
        prev = m;
        const parent = m.reply_to ? byseq.get(m.reply_to) : undefined;
        const sig = JSON.stringify([
          m.text,
          m.deleted,
          m.edited_at,
          this.editing === m.seq,
          parent?.text,
          parent?.deleted,
          m.files.map((f) => f.id),
          grouped,
          grouped
            ? ""
            : people.displayName(m.sender, m.sender_name) +
              people.status(m.sender) +
              (people.get(m.sender)?.avatar ?? ""),
          m.reactions,
          m.mine,
          this.hasReactions,
          seen.seq === m.seq ? seen.names : [],
          m.thread,
          this.ctx.st.threads.unread(m.room, m.seq),
        ]);
        entries.push({
          key: "m" + m.seq,
          sig,
          make: () =>
            oneTabStop(
              messageEl(m, parent, this.actions, grouped, seen.seq === m.seq ? seen.names : []),
            ),
        });
      } else {
        prev = null;
        const p = it.pending;
        const sig = JSON.stringify([p.status, p.error, p.text]);
        const parent = p.reply_to ? byseq.get(p.reply_to) : undefined;
        entries.push({
          key: "p" + p.client_msg_id,
          sig,
          make: () => oneTabStop(pendingEl(p, parent, this.actions)),
        });
      }
    }
    return entries;
  }

  /**
   * Who has read my newest message, from the members' read markers: shown in direct rooms
   * and rooms small enough for live presence (--presence-room-limit), where markers are live.
   */
  private seenBy(r: RoomState): { seq: number; names: string[] } {
    const me = this.ctx.me.id;
    if (!r.livePresence || !r.members) return { seq: 0, names: [] };
    let mine = 0;
    for (const it of this.ctx.st.timeline(r.info.id)) {
      if (it.kind === "message" && it.message.sender === me && !it.message.deleted) {
        mine = it.message.seq;
      }
    }
    const names: string[] = [];
    for (const [id, seq] of r.readMarkers) {
      if (id !== me && seq >= mine && mine > 0) names.push(r.members.get(id)?.username ?? "");
    }
    return { seq: mine, names: names.filter(Boolean).sort() };
  }

  /**
   * Bring the message with seq into view and flash it (a reply's quote, a message link);
   * `mark`: also highlight it for a while (a search hit), until the next one is marked.
   */
  jumpTo(seq: number, mark = false): boolean {
    const el = this.msgEls.get("m" + seq);
    if (!el) return false;
    el.scrollIntoView({ block: "center" });
    el.classList.add("flash");
    setTimeout(() => el.classList.remove("flash"), 1200);
    if (mark) {
      for (const old of this.items.querySelectorAll(".msg.hit")) old.classList.remove("hit");
      el.classList.add("hit");
      setTimeout(() => el.classList.remove("hit"), 10000);
      // The keyboard goes on from the message (Up and Down move from it).
      el.focus({ preventScroll: true });
    }
    return true;
  }

  /** Edit my newest message that can be (Up in an empty composer); false when there is none. */
  editLast(): boolean {
    const active = this.ctx.active;
    if (active === null) return false;
    let last: Message | null = null;
    for (const it of this.ctx.st.timeline(active)) {
      if (it.kind === "message" && it.message.sender === this.ctx.me.id && !it.message.deleted) {
        last = it.message;
      }
    }
    if (!last) return false;
    this.editing = last.seq;
    this.hooks.render();
    this.jumpTo(last.seq);
    return true;
  }

  /**
   * The list is one tab stop: Up and Down (Home, End) move between messages, Left and Right
   * between the controls of the focused one; Tab leaves the list.
   */
  private onKey(ev: KeyboardEvent): void {
    const t = ev.target as HTMLElement;
    if (t.closest("textarea, input, .menu")) return;
    const rows = [...this.items.querySelectorAll<HTMLElement>(".msg[tabindex]")];
    if (rows.length === 0) return;
    const row = t.closest<HTMLElement>(".msg");
    const i = row ? rows.indexOf(row) : -1;
    let next: HTMLElement | undefined;
    if (ev.key === "ArrowDown")
      next = rows[i < 0 ? rows.length - 1 : Math.min(i + 1, rows.length - 1)];
    else if (ev.key === "ArrowUp") next = rows[i < 0 ? rows.length - 1 : Math.max(i - 1, 0)];
    else if (ev.key === "Home") next = rows[0];
    else if (ev.key === "End") next = rows[rows.length - 1];
    else if ((ev.key === "ArrowRight" || ev.key === "ArrowLeft") && row) {
      const controls = [row, ...row.querySelectorAll<HTMLElement>("button, a[href]")];
      const j = controls.indexOf(t);
      const step = ev.key === "ArrowRight" ? 1 : controls.length - 1;
      next = controls[(Math.max(j, 0) + step) % controls.length];
    }
    if (!next) return;
    ev.preventDefault();
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  private async react(m: Message, emoji: string, on: boolean): Promise<void> {
    try {
      await api.react(m.room, m.seq, emoji, on);
    } catch (e) {
      this.ctx.flash(errText(e));
    }
  }

  /** Owners and admins pin; every member where the room allows it, and in a direct room. */
  private mayPin(roomId: number): boolean {
    const info = this.ctx.st.room(roomId)?.info;
    if (!info) return false;
    return (
      info.kind === "direct" ||
      info.pins === "all" ||
      info.role === "owner" ||
      info.role === "admin"
    );
  }

  private async pin(m: Message, on: boolean): Promise<void> {
    try {
      if (on) await api.pin(m.room, m.seq);
      else await api.unpin(m.room, m.seq);
    } catch (e) {
      this.ctx.flash(errText(e));
    }
  }

  private nameOf(id: number): string | undefined {
    const active = this.ctx.active;
    const r = active !== null ? this.ctx.st.room(active) : undefined;
    return r?.members?.get(id)?.username;
  }

  /** Copy a link to the message (#/room/N/SEQ, which opens the room at it). */
  private async copyLink(m: Message): Promise<void> {
    const url = `${location.origin}${location.pathname}#/room/${m.room}/${m.seq}`;
    try {
      await navigator.clipboard.writeText(url);
      this.ctx.flash("Link copied.", "info");
    } catch {
      this.ctx.flash(`Could not copy; the link is ${url}`);
    }
  }

  private async saveEdit(m: Message, text: string): Promise<void> {
    if (!text.trim() || text === m.text) {
      this.editing = 0;
      this.hooks.render();
      return;
    }
    try {
      await api.edit(m.room, m.seq, text);
      this.editing = 0;
      this.hooks.render();
      this.hooks.focusComposer();
    } catch (e) {
      this.ctx.flash(errText(e));
    }
  }

  private async deleteMessage(m: Message): Promise<void> {
    const sure = await confirmDialog(
      "Delete this message?",
      "It is removed for everyone in the room, with its files. This cannot be undone.",
      "Delete",
    );
    if (!sure) return;
    try {
      await api.remove(m.room, m.seq);
    } catch (e) {
      this.ctx.flash(errText(e));
    }
  }
}
