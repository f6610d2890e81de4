// The thread side panel (docs/api.md, "Threads"): the root, its replies (live, from the
// room's event stream), older replies on demand, Follow/Unfollow and a composer that
// replies in the thread. Beside the room on a wide screen, over everything at phone width;
// opening it is a step that Back (the phone's too) undoes. Also the top bar's "Threads"
// button: the threads I follow, with their unread replies.

import { api } from "../api";
import { KeyedList, append, clear, h, type Keyed } from "../dom";
import { errText, summary } from "../format";
import { REACTION_SHORTCODES, withMyReactions } from "../reactions";
import type { Message } from "../state";
import { threadKey } from "../threads";
import type { ChatContext } from "./context";
import { messageEl, type MessageActions } from "./message";
import { confirmDialog, showMenu, type MenuItem } from "./popup";

let cmidCounter = 0;
const newCmid = () => `t-${Date.now().toString(36)}-${(cmidCounter++).toString(36)}`;

export class ThreadPanel {
  readonly el = h("aside", { class: "thread-panel", "aria-label": "Thread", hidden: true });
  /** the top bar's button: followed threads and their unread replies */
  readonly button = h("button", {
    type: "button",
    class: "threads-button",
    "aria-haspopup": "menu",
    text: "Threads",
  });
  /** the button in a box its drop-down list is placed against */
  readonly buttonBox = h("span", { class: "threads-box" }, this.button);
  private title = h("h2", { id: "thread-title", class: "thread-title", text: "Thread" });
  private followBtn = h("button", { type: "button", class: "thread-follow" });
  private rootBox = h("div", { class: "thread-root" });
  private older = h("div", { class: "history-edge" });
  private items = h("div", { class: "thread-items" });
  private list = h("div", {
    class: "thread-replies",
    role: "log",
    "aria-live": "polite",
    "aria-labelledby": "thread-title",
  });
  private rows = new KeyedList<string>(this.items);
  private input = h("textarea", {
    id: "thread-input",
    class: "thread-input",
    rows: 2,
    maxLength: 16384,
    placeholder: "Reply in thread…",
  });
  private form = h("form", { class: "composer thread-composer" });
  private room = 0;
  private root = 0;
  private editing = 0;
  private loading = false;
  private sending = false;
  private fetchingFollowed = false;
  private readonly actions: MessageActions;

  constructor(private readonly ctx: ChatContext) {
    const close = h("button", {
      type: "button",
      class: "thread-close",
      "aria-label": "Close thread",
      title: "Close thread",
      text: "←",
      onclick: () => this.back(),
    });
    this.followBtn.addEventListener("click", () => void this.toggleFollow());
    append(this.list, this.rootBox, this.older, this.items);
    this.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      void this.send();
    });
    this.input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        void this.send();
      } else if (ev.key === "Escape") {
        ev.preventDefault();
        this.back();
      }
    });
    append(
      this.form,
      h("label", { for: "thread-input", class: "visually-hidden", text: "Reply in thread" }),
      this.input,
      h("button", { type: "submit", class: "primary send", text: "Send" }),
    );
    append(
      this.el,
      h("header", { class: "thread-head" }, close, this.title, this.followBtn),
      this.list,
      this.form,
    );
    this.button.addEventListener("click", () => void this.showFollowed());
    this.actions = {
      me: ctx.me,
      isEditing: (seq) => this.editing === seq,
      jumpTo: () => {},
      reply: () => this.input.focus(),
      edit: (seq) => {
        this.editing = seq;
        this.render();
      },
      remove: (m) => void this.remove(m),
      copyLink: (m) => void this.copyLink(m),
      reactionNames: () => REACTION_SHORTCODES,
      react: (m, emoji, on) => void this.react(m, emoji, on),
      nameOf: (id) => this.ctx.st.room(this.room)?.members?.get(id)?.username,
      saveEdit: (m, text) => void this.saveEdit(m, text),
      cancelEdit: () => {
        this.editing = 0;
        this.render();
      },
      retry: () => {},
      discard: () => {},
    };
    window.addEventListener("popstate", () => {
      // Back undid the step that opened the panel
      if (this.isOpen() && history.state?.parleyThread !== this.root) this.hide();
    });
  }

  isOpen(): boolean {
    return !this.el.hidden;
  }

  /** Open the thread of `root` in room `room` (a step Back undoes). */
  open(room: number, root: number): void {
    const same = this.isOpen() && this.room === room && this.root === root;
    this.room = room;
    this.root = root;
    this.editing = 0;
    if (!same) {
      this.rows.clear();
      const state = { ...(history.state ?? {}), parleyThread: root };
      if (history.state?.parleyThread) history.replaceState(state, "", location.href);
      else history.pushState(state, "", location.href);
    }
    this.el.hidden = false;
    document.body.classList.add("show-thread");
    this.ctx.st.threads.thread(room, root);
    this.render();
    void this.load(false);
    queueMicrotask(() => this.input.focus());
  }

  /** Close: undo the step that opened it, else just hide. */
  back(): void {
    if (history.state?.parleyThread) history.back();
    else this.hide();
  }

  hide(): void {
    this.el.hidden = true;
    document.body.classList.remove("show-thread");
  }

  /** The room changed or went away: a thread of another room closes. */
  roomChanged(active: number | null): void {
    if (this.isOpen() && active !== this.room) this.hide();
  }

  private async load(older: boolean): Promise<void> {
    if (this.loading) return;
    const t = this.ctx.st.threads.thread(this.room, this.root);
    const before = older ? Math.min(...t.replies.keys()) : undefined;
    this.loading = true;
    try {
      const page = await api.threadPage(this.room, this.root, { before, limit: 50 });
      const replies = withMyReactions(page.messages, page.my_reactions);
      const [root] = withMyReactions([page.root], page.my_reactions);
      this.ctx.st.threads.mergePage(
        this.room,
        root!,
        replies,
        page.has_more,
        older ? "before" : "latest",
      );
      this.ctx.st.changed();
      this.markRead();
    } catch (e) {
      this.ctx.flash(errText(e));
    } finally {
      this.loading = false;
    }
  }

  /** The newest reply is on screen while the panel is open: my marker moves to it. */
  private markRead(): void {
    const last = this.ctx.st.threads.replies(this.room, this.root).at(-1);
    if (!last || document.visibilityState !== "visible") return;
    if (!this.ctx.st.threads.markRead(this.room, this.root, last.seq)) return;
    this.ctx.st.changed();
    api.threadRead(this.room, this.root, last.seq).catch(() => {});
  }

  render(): void {
    if (this.ctx.st.threads.staleFollowed) void this.refreshFollowed();
    this.renderButton();
    if (!this.isOpen()) return;
    const st = this.ctx.st;
    const t = st.threads.thread(this.room, this.root);
    // the room's copy of the root is the freshest (edits, reactions, summary)
    const root = st.room(this.room)?.messages.get(this.root) ?? t.rootMessage;
    const following = st.threads.isFollowing(this.room, this.root);
    this.followBtn.textContent = following ? "Unfollow" : "Follow";
    this.followBtn.setAttribute("aria-pressed", String(following));
    this.title.textContent = root && !root.deleted ? `Thread: ${summary(root)}` : "Thread";
    clear(this.rootBox);
    if (root) this.rootBox.appendChild(messageEl(root, undefined, this.actions));
    clear(this.older);
    if (t.loaded && t.hasMoreBefore) {
      this.older.appendChild(
        h("button", { type: "button", text: "Older replies", onclick: () => void this.load(true) }),
      );
    }
    const entries: Keyed<string>[] = [];
    for (const m of st.threads.replies(this.room, this.root)) {
      const sig = JSON.stringify([
        m.text,
        m.deleted,
        m.edited_at,
        m.reactions,
        m.mine,
        this.editing === m.seq,
      ]);
      entries.push({ key: "r" + m.seq, sig, make: () => messageEl(m, undefined, this.actions) });
    }
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    this.rows.update(entries);
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
    this.form.hidden = !root || root.deleted;
    this.markRead();
  }

  private renderButton(): void {
    const n = this.ctx.st.threads.totalUnread();
    this.button.textContent = n > 0 ? `Threads ${n}` : "Threads";
    this.button.classList.toggle("unread", n > 0);
    this.button.setAttribute(
      "aria-label",
      n > 0 ? `Threads I follow, ${n} unread ${n === 1 ? "reply" : "replies"}` : "Threads I follow",
    );
  }

  async refreshFollowed(): Promise<void> {
    if (this.fetchingFollowed) return;
    this.fetchingFollowed = true;
    try {
      const { threads } = await api.followedThreads();
      this.ctx.st.threads.setFollowed(threads);
      this.ctx.st.changed();
    } catch {
      /* keep what we have */
    } finally {
      this.fetchingFollowed = false;
    }
  }

  /** The top bar's list: each followed thread, its unread replies; a click opens it. */
  private async showFollowed(): Promise<void> {
    await this.refreshFollowed();
    const items: MenuItem[] = [];
    for (const f of this.ctx.st.threads.followed.values()) {
      const room = this.ctx.st.room(f.room);
      const what = f.rootMessage && !f.rootMessage.deleted ? summary(f.rootMessage) : "a thread";
      const where = room?.info.name ? `#${room.info.name}: ` : "";
      items.push({
        label: `${where}${what}${f.unread > 0 ? ` (${f.unread} new)` : ""}`,
        run: () => {
          this.ctx.open(f.room, false);
          this.open(f.room, f.root);
        },
      });
    }
    if (items.length === 0) items.push({ label: "No threads followed yet", run: () => {} });
    showMenu(this.button, items);
  }

  private async send(): Promise<void> {
    const text = this.input.value;
    if (!text.trim() || this.sending) return;
    this.sending = true;
    try {
      const { message } = await api.threadReply(this.room, this.root, text, newCmid());
      this.input.value = "";
      // the event comes on the stream too; put it in now so it shows at once
      const threads = this.ctx.st.threads;
      threads.addReply(message);
      const root =
        this.ctx.st.room(this.room)?.messages.get(this.root) ??
        threads.thread(this.room, this.root).rootMessage;
      if (root) threads.setFollowing(this.room, root, true);
      threads.markRead(this.room, this.root, message.seq);
      this.ctx.st.changed();
      this.list.scrollTop = this.list.scrollHeight;
    } catch (e) {
      this.ctx.flash(errText(e));
    } finally {
      this.sending = false;
    }
  }

  private async toggleFollow(): Promise<void> {
    const on = !this.ctx.st.threads.isFollowing(this.room, this.root);
    try {
      await api.follow(this.room, this.root, on);
      const t = this.ctx.st.threads.thread(this.room, this.root);
      const root = this.ctx.st.room(this.room)?.messages.get(this.root) ?? t.rootMessage;
      if (root) this.ctx.st.threads.setFollowing(this.room, root, on);
      this.ctx.st.changed();
    } catch (e) {
      this.ctx.flash(errText(e));
    }
  }

  private async react(m: Message, emoji: string, on: boolean): Promise<void> {
    try {
      await api.react(m.room, m.seq, emoji, on);
    } catch (e) {
      this.ctx.flash(errText(e));
    }
  }

  private async saveEdit(m: Message, text: string): Promise<void> {
    this.editing = 0;
    if (text.trim() && text !== m.text) {
      try {
        await api.edit(m.room, m.seq, text);
      } catch (e) {
        this.ctx.flash(errText(e));
      }
    }
    this.render();
  }

  private async remove(m: Message): Promise<void> {
    const sure = await confirmDialog(
      "Delete this message?",
      "It is removed for everyone in the room. This cannot be undone.",
      "Delete",
    );
    if (!sure) return;
    try {
      await api.remove(m.room, m.seq);
    } catch (e) {
      this.ctx.flash(errText(e));
    }
  }

  private async copyLink(m: Message): Promise<void> {
    const url = `${location.origin}${location.pathname}#/room/${m.room}/${m.thread_root || m.seq}`;
    try {
      await navigator.clipboard.writeText(url);
      this.ctx.flash("Link copied.", "info");
    } catch {
      this.ctx.flash(`Could not copy; the link is ${url}`);
    }
  }

  /** Key of the open thread (tests look at it). */
  openKey(): string | null {
    return this.isOpen() ? threadKey(this.room, this.root) : null;
  }
}
