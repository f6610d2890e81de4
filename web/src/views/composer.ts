// Writing a message in the open room: the text box (Enter sends, Shift+Enter breaks the
// line), the reply bar, files attached by the button, by drop or by paste (one upload queue
// per room, kept when switching rooms) and the tray that shows them.

import { uploadFile } from "../api";
import { append, clear, h } from "../dom";
import { Drafts, browserStore } from "../drafts";
import { newClientMsgId, summary } from "../format";
import { UploadQueue, type UploadSource } from "../uploads";
import { UploadTray } from "./attachments";
import type { ChatContext } from "./context";
import { EmojiPicker } from "./emoji-picker";
import { MentionSuggest } from "./mention-suggest";

export interface ComposerHooks {
  /** a message went out: the timeline follows it to the bottom */
  sent(): void;
  /** Up in the empty text box: edit my last message (false: there is none) */
  editLast(): boolean;
}

export class Composer {
  private input = h("textarea", {
    id: "composer-input",
    rows: 1,
    placeholder: "Write a message…",
    maxLength: 16384,
    "aria-describedby": "composer-hint",
  });
  private sendBtn = h("button", { type: "submit", class: "primary", text: "Send" });
  private fileInput = h("input", {
    id: "attach-input",
    type: "file",
    multiple: true,
    hidden: true,
    tabindex: -1,
  });
  private attachBtn = h("button", {
    type: "button",
    class: "attach",
    text: "Attach",
    "aria-label": "Attach files",
    title: "Attach files (or drop them here, or paste an image)",
  });
  private emoji = new EmojiPicker((e) => this.insert(e));
  private mentions = new MentionSuggest(this.input, () => this.memberNames());
  /** the files being attached to the next message, per room (kept when switching rooms) */
  private queues = new Map<number, UploadQueue>();
  private replyTo = 0;
  /** the room whose draft the text box holds (null: none) */
  private room: number | null = null;
  readonly drafts: Drafts;
  readonly replyBar = h("div", { class: "reply-bar", hidden: true });
  readonly tray = new UploadTray();
  readonly dropHint = h(
    "div",
    { class: "drop-hint", "aria-hidden": "true" },
    h("p", { text: "Drop files to attach them" }),
  );
  readonly form = h(
    "form",
    { class: "composer" },
    this.fileInput,
    this.attachBtn,
    this.emoji.button,
    this.emoji.popup,
    this.mentions.el,
    h("label", { for: "composer-input", class: "visually-hidden", text: "Message" }),
    this.input,
    this.sendBtn,
    h("p", {
      id: "composer-hint",
      class: "visually-hidden",
      text: "Enter to send, Shift+Enter for a new line; Markdown and :emoji: shortcodes work",
    }),
  );

  constructor(
    private readonly ctx: ChatContext,
    private readonly hooks: ComposerHooks,
  ) {
    this.drafts = new Drafts(browserStore(), ctx.me.id);
    this.input.addEventListener("keydown", (ev) => {
      if (this.mentions.onKey(ev)) return;
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.submit();
      } else if (ev.key === "Escape" && this.replyTo) {
        this.setReply(0);
      } else if (ev.key === "ArrowUp" && this.input.value === "" && this.hooks.editLast()) {
        ev.preventDefault();
      }
    });
    this.input.addEventListener("input", () => {
      autosize(this.input);
      this.mentions.update();
      if (this.room !== null) this.drafts.set(this.room, this.input.value);
      const active = this.ctx.active;
      if (active !== null && this.input.value.trim()) this.ctx.conn.typing(active);
    });
    this.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.submit();
    });
  }

  focus(): void {
    this.input.focus();
  }

  /** The open room's members I could mention (not me), as the client holds them. */
  private memberNames(): string[] {
    const r = this.ctx.active !== null ? this.ctx.st.room(this.ctx.active) : undefined;
    return [...(r?.members?.values() ?? [])]
      .filter((m) => m.user_id !== this.ctx.me.id)
      .map((m) => m.username);
  }

  /** Put text at the cursor (an emoji from the picker), as if typed. */
  private insert(text: string): void {
    const t = this.input;
    const start = t.selectionStart ?? t.value.length;
    t.setRangeText(text, start, t.selectionEnd ?? start, "end");
    t.focus();
    t.dispatchEvent(new Event("input"));
  }

  /**
   * A room was opened: no reply, that room's draft in the text box (what was typed in the
   * room before stays that room's draft) and its upload queue in the tray.
   */
  switchTo(roomId: number): void {
    this.keepDraft();
    this.room = roomId;
    this.input.value = this.drafts.get(roomId);
    // the room may be shown only after this (the first open): size the box once it is
    requestAnimationFrame(() => autosize(this.input));
    this.replyTo = 0;
    this.tray.show(this.queues.get(roomId) ?? null);
  }

  /** No room is open. */
  hide(): void {
    this.keepDraft();
    this.room = null;
    this.input.value = "";
    this.tray.show(null);
  }

  private keepDraft(): void {
    if (this.room !== null) this.drafts.set(this.room, this.input.value);
  }

  /** Stop the uploads of rooms that are gone (left, or taken away). */
  dropGoneRooms(): void {
    for (const [id, q] of this.queues) {
      if (this.ctx.st.room(id)) continue;
      q.abortAll();
      this.queues.delete(id);
    }
  }

  setReply(seq: number): void {
    this.replyTo = seq;
    this.renderReplyBar();
    if (seq) this.input.focus();
  }

  renderReplyBar(): void {
    const active = this.ctx.active;
    const r = active !== null ? this.ctx.st.room(active) : undefined;
    const m = r && this.replyTo ? r.messages.get(this.replyTo) : undefined;
    const sig = m ? `${m.seq}:${m.text}:${m.files.length}` : "";
    if (this.replyBar.dataset.sig === sig) return;
    this.replyBar.dataset.sig = sig;
    clear(this.replyBar);
    this.replyBar.hidden = !m;
    if (!m) return;
    append(
      this.replyBar,
      h(
        "span",
        { class: "reply-label" },
        "Replying to ",
        h("strong", { text: m.sender_name }),
        ": ",
        h("span", { text: summary(m, 60) }),
      ),
      h("button", {
        type: "button",
        class: "link",
        "aria-label": "Cancel reply",
        text: "×",
        onclick: () => {
          this.setReply(0);
          this.input.focus();
        },
      }),
    );
  }

  private submit(): void {
    const active = this.room;
    if (active === null || active !== this.ctx.active) return;
    const text = this.input.value;
    const queue = this.queues.get(active);
    if (!text.trim() && !queue?.items.length) return;
    const blocker = queue?.blocker() ?? "";
    if (blocker) {
      this.tray.setNote(blocker);
      return;
    }
    const files = queue?.uploaded() ?? [];
    if (new TextEncoder().encode(text).length > 16384) {
      this.ctx.flash("That message is too long (16 KB at most).");
      return;
    }
    this.ctx.conn.send(active, text.trim() ? text : "", this.replyTo, newClientMsgId(), files);
    queue?.clearSent();
    this.tray.setNote("");
    this.input.value = "";
    this.drafts.set(active, "");
    autosize(this.input);
    this.setReply(0);
    this.hooks.sent();
  }

  /**
   * Attach files from the button, from a paste into the text box, and from a drop onto
   * target (the room); returns what undoes the window-wide listeners.
   */
  wireAttachments(target: HTMLElement): () => void {
    this.attachBtn.addEventListener("click", () => this.fileInput.click());
    this.fileInput.addEventListener("change", () => {
      const files = [...(this.fileInput.files ?? [])];
      this.fileInput.value = "";
      this.attach(files.map((f) => ({ blob: f, name: f.name })));
    });
    // Pasting an image (a screenshot) attaches it; pasting text stays text.
    this.input.addEventListener("paste", (ev) => {
      const data = ev.clipboardData;
      const files = [...(data?.files ?? [])];
      if (files.length === 0 || data?.types.includes("text/plain")) return;
      ev.preventDefault();
      this.attach(files.map((f) => ({ blob: f, name: f.name || "pasted image" })));
    });
    return wireDrop(target, (dt) => this.attachDropped(dt));
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
    const active = this.ctx.active;
    if (active === null || (sources.length === 0 && !note)) return;
    let queue = this.queues.get(active);
    if (!queue) {
      queue = new UploadQueue(active, uploadFile);
      this.queues.set(active, queue);
    }
    this.tray.show(queue);
    this.tray.setNote([note, queue.add(sources)].filter(Boolean).join(" "));
    this.input.focus();
  }
}

/** Grow the box with its text (up to 200px); an empty or not yet shown box keeps its CSS size. */
function autosize(t: HTMLTextAreaElement): void {
  t.style.height = "";
  if (!t.value || !t.isConnected || t.offsetParent === null) return;
  t.style.height = "auto";
  t.style.height = Math.min(t.scrollHeight, 200) + "px";
}

/**
 * Files dropped onto target go to onDrop, and it shows them being dragged over it; a file
 * dropped anywhere else in the window must not make the browser navigate away to it.
 * Returns what removes the window's listeners.
 */
function wireDrop(target: HTMLElement, onDrop: (dt: DataTransfer) => void): () => void {
  // Count enter/leave pairs (they fire for every child crossed).
  let depth = 0;
  const carriesFiles = (ev: DragEvent) =>
    !!ev.dataTransfer && [...ev.dataTransfer.types].includes("Files");
  target.addEventListener("dragenter", (ev) => {
    if (!carriesFiles(ev)) return;
    ev.preventDefault();
    depth++;
    target.classList.add("dropping");
  });
  target.addEventListener("dragover", (ev) => {
    if (!carriesFiles(ev)) return;
    ev.preventDefault();
    ev.dataTransfer!.dropEffect = "copy";
  });
  target.addEventListener("dragleave", (ev) => {
    if (!carriesFiles(ev)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) target.classList.remove("dropping");
  });
  target.addEventListener("drop", (ev) => {
    if (!carriesFiles(ev)) return;
    ev.preventDefault();
    depth = 0;
    target.classList.remove("dropping");
    onDrop(ev.dataTransfer!);
  });
  const stray = (ev: DragEvent) => {
    if (carriesFiles(ev) && !target.contains(ev.target as Node)) ev.preventDefault();
  };
  window.addEventListener("dragover", stray);
  window.addEventListener("drop", stray);
  return () => {
    window.removeEventListener("dragover", stray);
    window.removeEventListener("drop", stray);
  };
}
