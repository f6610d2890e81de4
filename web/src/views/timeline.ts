// The open room's messages: the history edge (load older, the beginning of the room), the
// messages and my pending sends in order with the "new messages" divider, editing in place,
// who is typing, the scroll position, and marking the room read when I reach the bottom.

import { api } from "../api";
import { pendingFilesEl, attachmentsEl } from "./attachments";
import { KeyedList, append, clear, h, richText, type Keyed } from "../dom";
import { errText, fmtTime, roomName, summary } from "../format";
import type { Message, PendingSend, RoomState } from "../state";
import type { ChatContext } from "./context";

export interface TimelineHooks {
  /** reply to a message (0: none) from the composer */
  reply(seq: number): void;
  focusComposer(): void;
  /** render the whole chat screen again */
  render(): void;
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

  constructor(
    private readonly ctx: ChatContext,
    private readonly hooks: TimelineHooks,
  ) {
    append(this.el, this.history, this.items);
    this.el.addEventListener("scroll", () => this.onScroll(), { passive: true });
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
      st.mergeHistory(id, page.messages, page.has_more, older ? "before" : "latest");
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
    for (const it of this.ctx.st.timeline(r.info.id)) {
      if (it.kind === "message") {
        const m = it.message;
        if (!dividerPlaced && m.seq > this.dividerAfter && m.sender !== me.id) {
          dividerPlaced = true;
          entries.push({ key: "divider", sig: "d", make: dividerEl });
        }
        const parent = m.reply_to ? byseq.get(m.reply_to) : undefined;
        const sig = JSON.stringify([
          m.text,
          m.deleted,
          m.edited_at,
          this.editing === m.seq,
          parent?.text,
          parent?.deleted,
          m.files.map((f) => f.id),
        ]);
        entries.push({ key: "m" + m.seq, sig, make: () => this.messageEl(m, parent) });
      } else {
        const p = it.pending;
        const sig = JSON.stringify([p.status, p.error, p.text]);
        const parent = p.reply_to ? byseq.get(p.reply_to) : undefined;
        entries.push({ key: "p" + p.client_msg_id, sig, make: () => this.pendingEl(p, parent) });
      }
    }
    return entries;
  }

  private replyRef(parent: Message | undefined, seq: number): HTMLElement {
    const text = parent
      ? parent.deleted
        ? "Message deleted"
        : summary(parent)
      : "an earlier message";
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
    const mine = m.sender === this.ctx.me.id;
    const el = h("article", {
      class: "msg" + (mine ? " mine" : "") + (m.deleted ? " deleted" : ""),
      "data-seq": m.seq,
      "data-sender": m.sender_name,
      "aria-label": `${m.sender_name}, ${fmtTime(m.created_at)}`,
    });
    append(
      el,
      h(
        "header",
        { class: "msg-head" },
        h("span", { class: "sender", text: m.sender_name }),
        h("time", {
          dateTime: new Date(m.created_at).toISOString(),
          text: fmtTime(m.created_at),
        }),
      ),
    );
    if (m.reply_to) el.appendChild(this.replyRef(parent, m.reply_to));
    if (m.deleted) {
      el.appendChild(h("p", { class: "text tombstone", text: "This message was deleted." }));
      return el;
    }
    if (this.editing === m.seq) {
      el.appendChild(this.editForm(m));
      if (m.files.length > 0) el.appendChild(attachmentsEl(m.files));
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
    append(
      actions,
      h("button", {
        type: "button",
        class: "act-reply",
        text: "Reply",
        "aria-label": `Reply to ${m.sender_name}`,
        onclick: () => this.hooks.reply(m.seq),
      }),
    );
    if (mine) {
      append(
        actions,
        h("button", {
          type: "button",
          class: "act-edit",
          text: "Edit",
          "aria-label": "Edit message",
          onclick: () => {
            this.editing = m.seq;
            this.hooks.render();
          },
        }),
        h("button", {
          type: "button",
          class: "act-delete",
          text: "Delete",
          "aria-label": "Delete message",
          onclick: () => void this.deleteMessage(m),
        }),
      );
    }
    el.appendChild(actions);
    return el;
  }

  /** A message of mine being edited: Enter saves, Escape cancels. */
  private editForm(m: Message): HTMLFormElement {
    const ta = h("textarea", {
      id: `edit-${m.seq}`,
      class: "edit-input",
      rows: 2,
      maxLength: 16384,
    });
    ta.value = m.text;
    const save = () => void this.saveEdit(m, ta.value);
    const cancel = () => {
      this.editing = 0;
      this.hooks.render();
      this.hooks.focusComposer();
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
    queueMicrotask(() => {
      ta.focus();
      ta.setSelectionRange(ta.value.length, ta.value.length);
    });
    return h(
      "form",
      {
        class: "edit-form",
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          save();
        },
      },
      h("label", { for: `edit-${m.seq}`, class: "visually-hidden", text: "Edit message" }),
      ta,
      h(
        "div",
        { class: "edit-buttons" },
        h("button", { type: "submit", class: "primary", text: "Save" }),
        h("button", { type: "button", text: "Cancel", onclick: cancel }),
      ),
    );
  }

  private pendingEl(p: PendingSend, parent: Message | undefined): HTMLElement {
    const me = this.ctx.me;
    const failed = p.status === "failed";
    const el = h("article", {
      class: "msg mine pending",
      "data-status": p.status,
      "data-client-id": p.client_msg_id,
      "aria-label": `${me.username}, ${failed ? "not sent" : "sending"}`,
    });
    append(
      el,
      h(
        "header",
        { class: "msg-head" },
        h("span", { class: "sender", text: me.username }),
        h("span", { class: "state", text: failed ? "Not sent" : "Sending…" }),
      ),
    );
    if (p.reply_to) el.appendChild(this.replyRef(parent, p.reply_to));
    if (p.text || p.files.length === 0) {
      const text = h("p", { class: "text" });
      text.appendChild(richText(p.text));
      el.appendChild(text);
    }
    if (p.files.length > 0) el.appendChild(pendingFilesEl(p.files));
    if (failed) {
      const { conn, st } = this.ctx;
      append(
        el,
        h("p", { class: "form-error", role: "alert", text: p.error ?? "Failed" }),
        h(
          "div",
          { class: "msg-actions shown" },
          h("button", {
            type: "button",
            text: "Retry",
            onclick: () => conn.retry(p.client_msg_id),
          }),
          h("button", {
            type: "button",
            text: "Discard",
            onclick: () => st.discardPending(p.client_msg_id),
          }),
        ),
      );
    }
    return el;
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
    try {
      await api.remove(m.room, m.seq);
    } catch (e) {
      this.ctx.flash(errText(e));
    }
  }
}

function dividerEl(): HTMLElement {
  return h(
    "div",
    { class: "divider", role: "separator", "aria-label": "New messages" },
    h("span", { text: "New messages" }),
  );
}
