// One row of the timeline: a message (its head, what it replies to, its text or files, its
// actions, or the form that edits it), a send of mine not yet acknowledged, the divider.
// Built whole each time; what the buttons do is the timeline's (MessageActions).

import { people } from "../people";
import { append, h } from "../dom";
import { avatarColour, fmtShortTime, fmtTime, initials, summary } from "../format";
import { markMentions, renderMarkdown } from "../markdown";
import { mentionsMe } from "../notify-rules";
import type { Message, PendingSend } from "../state";
import type { User } from "../types";
import { attachmentsEl, pendingFilesEl } from "./attachments";
import { showEmojiPopover } from "./emoji-picker";
import { showMenu, type MenuItem } from "./popup";

export interface MessageActions {
  readonly me: User;
  /** whether the message with seq is the one of mine being edited */
  isEditing(seq: number): boolean;
  /** show the message with this seq (a click on a reply's quote) */
  jumpTo(seq: number): void;
  reply(seq: number): void;
  edit(seq: number): void;
  remove(m: Message): void;
  /** put a link to the message on the clipboard */
  copyLink(m: Message): void;
  /** the shortcodes I may react with; empty where the server has no reactions */
  reactionNames(): string[];
  /** add (on) or take back my reaction with emoji (a character or a shortcode) */
  react(m: Message, emoji: string, on: boolean): void;
  /** a user's name if the client knows it (for who reacted) */
  nameOf(userId: number): string | undefined;
  saveEdit(m: Message, text: string): void;
  cancelEdit(): void;
  retry(clientMsgId: string): void;
  discard(clientMsgId: string): void;
  /** open the message's thread (absent inside a thread: replies have none) */
  openThread?(m: Message): void;
  /** unread replies in the message's thread that I follow */
  threadUnread?(m: Message): number;
  /** whether I may pin in the message's room, whether it is pinned, and (un)pinning it */
  mayPin?(m: Message): boolean;
  isPinned?(m: Message): boolean;
  pin?(m: Message, on: boolean): void;
}

function replyRef(parent: Message | undefined, seq: number, act: MessageActions): HTMLElement {
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
      onclick: () => act.jumpTo(seq),
    },
    h("span", { class: "reply-name", text: parent ? parent.sender_name : "" }),
    " ",
    h("span", { class: "reply-text", text }),
  );
}

/**
 * A round avatar: the user's picture when they set one (docs/api.md "Avatars"), else (and
 * if the picture fails to load) their initials on a colour fixed by the user id.
 */
export function avatarEl(userId: number, name: string, size: 64 | 256 = 64): HTMLElement {
  const el = h("span", {
    class: "avatar",
    "data-c": avatarColour(userId),
    "aria-hidden": "true",
    text: initials(name),
  });
  const url = people.avatarUrl(userId, size);
  if (url) {
    const img = h("img", { src: url, alt: "", loading: "lazy", decoding: "async" });
    img.addEventListener("error", () => img.remove());
    el.classList.add("has-picture");
    el.appendChild(img);
  }
  return el;
}

/** An avatar the size of a line of text (member list, mention list). */
export function smallAvatar(userId: number, name: string): HTMLElement {
  const el = avatarEl(userId, name, 64);
  el.classList.add("small");
  return el;
}

/** The head of a message: avatar, name and time; a grouped message shows only the time. */
function headEl(senderId: number, username: string, at: Node, grouped: boolean): HTMLElement[] {
  if (grouped) return [h("span", { class: "gutter" }, at)];
  const name = people.displayName(senderId, username);
  const status = people.status(senderId);
  return [
    avatarEl(senderId, name),
    h(
      "header",
      { class: "msg-head" },
      h("span", { class: "sender", text: name, title: `@${username}` }),
      status ? h("span", { class: "sender-status", text: status }) : null,
      at,
    ),
  ];
}

/**
 * One message. grouped: it follows a message of the same sender closely, so it shares that
 * message's avatar and name (its time shows in the gutter on hover).
 */
export function messageEl(
  m: Message,
  parent: Message | undefined,
  act: MessageActions,
  grouped = false,
  seenBy: string[] = [],
): HTMLElement {
  const mine = m.sender === act.me.id;
  const el = h("article", {
    class:
      "msg" + (mine ? " mine" : "") + (m.deleted ? " deleted" : "") + (grouped ? " grouped" : ""),
    "data-seq": m.seq,
    "data-sender": m.sender_name,
    "aria-label": `${m.sender_name}, ${fmtTime(m.created_at)}`,
    tabindex: -1,
  });
  const time = h("time", {
    dateTime: new Date(m.created_at).toISOString(),
    title: new Date(m.created_at).toLocaleString(),
    text: grouped ? fmtShortTime(m.created_at) : fmtTime(m.created_at),
  });
  const body = h("div", { class: "msg-body" });
  append(el, ...headEl(m.sender, m.sender_name, time, grouped), body);
  if (m.reply_to) body.appendChild(replyRef(parent, m.reply_to, act));
  if (m.deleted) {
    body.appendChild(h("p", { class: "text tombstone", text: "This message was deleted." }));
    if (m.thread && act.openThread) body.appendChild(threadSummaryEl(m, act));
    return el;
  }
  if (act.isEditing(m.seq)) {
    body.appendChild(editForm(m, act));
    if (m.files.length > 0) body.appendChild(attachmentsEl(m.files));
    return el;
  }
  if (m.text || m.edited_at || m.files.length === 0) {
    const text = textEl(m.text, !!m.edited_at, act.me.username);
    // The server's mentions decide (a name in code, or of someone not a member, is none);
    // from the text only on a server without them.
    const named =
      m.mentions !== undefined ? mentionsMe(m, act.me) : text.classList.contains("names-me");
    if (named && !mine) el.classList.add("mentions-me");
    body.appendChild(text);
  }
  if (m.files.length > 0) body.appendChild(attachmentsEl(m.files));
  if (m.reactions.length > 0) body.appendChild(reactionsEl(m, act));
  if (m.thread && act.openThread) body.appendChild(threadSummaryEl(m, act));
  if (seenBy.length > 0) {
    const who =
      seenBy.length > 3
        ? `${seenBy.slice(0, 3).join(", ")} and ${seenBy.length - 3} more`
        : seenBy.join(", ");
    body.appendChild(h("p", { class: "seen", text: `Seen by ${who}` }));
  }
  el.appendChild(actionsEl(m, mine, act));
  return el;
}

/** "3 replies · 14:02" under a thread's root, with a dot when I follow it and have unread. */
function threadSummaryEl(m: Message, act: MessageActions): HTMLElement {
  const t = m.thread!;
  const n = t.reply_count;
  const unread = act.threadUnread ? act.threadUnread(m) : 0;
  const label = `${n} ${n === 1 ? "reply" : "replies"}`;
  return h(
    "button",
    {
      type: "button",
      class: "thread-summary" + (unread > 0 ? " unread" : ""),
      "aria-label": `${label}${unread > 0 ? `, ${unread} unread` : ""}, open thread`,
      onclick: () => act.openThread?.(m),
    },
    ...t.participants
      .slice(0, 3)
      .map((id) => avatarEl(id, act.nameOf(id) ?? (id === act.me.id ? act.me.username : "?"))),
    h("span", { class: "thread-count", text: label }),
    h("span", { class: "thread-last", text: `last reply ${fmtTime(t.last_reply_at)}` }),
    unread > 0 ? h("span", { class: "thread-dot", "aria-hidden": "true" }) : null,
  );
}

/** The reactions under a message: one chip per emoji with its count; mine are pressed. */
function reactionsEl(m: Message, act: MessageActions): HTMLElement {
  const row = h("div", { class: "reactions" });
  for (const r of m.reactions) {
    const mine = m.mine.includes(r.emoji);
    const who = r.users.map((id) => (id === act.me.id ? "you" : (act.nameOf(id) ?? "someone")));
    const more = r.count - who.length;
    const title = who.join(", ") + (more > 0 ? ` and ${more} more` : "") + ` reacted ${r.emoji}`;
    row.appendChild(
      h(
        "button",
        {
          type: "button",
          class: "reaction",
          "aria-pressed": String(mine),
          "aria-label": `${r.emoji} ${r.count}${mine ? ", including you" : ""}`,
          title,
          onclick: () => act.react(m, r.emoji, !mine),
        },
        h("span", { class: "reaction-emoji", text: r.emoji }),
        h("span", { class: "reaction-count", text: String(r.count) }),
      ),
    );
  }
  return row;
}

/**
 * The text as rich text (markdown.ts) with @mentions marked (me: my username, for the
 * highlight), "(edited)" at the end of its last paragraph.
 */
function textEl(text: string, edited: boolean, me = ""): HTMLElement {
  const el = h("div", { class: "text md" });
  const frag = renderMarkdown(text);
  if (me && markMentions(frag, me)) el.classList.add("names-me");
  el.appendChild(frag);
  if (edited) {
    const last = el.lastElementChild;
    const into = last && last.tagName === "P" ? last : el;
    append(into, " ", h("span", { class: "edited", text: "(edited)" }));
  }
  return el;
}

/**
 * The toolbar shown on hover or focus (always, small, on phones): Reply, and "⋯" with the
 * rest (Edit and Delete for a message of mine, Copy link).
 */
function pinItem(m: Message, act: MessageActions): MenuItem[] {
  const pin = act.pin;
  if (!pin || !act.mayPin?.(m)) return [];
  const pinned = act.isPinned?.(m) ?? false;
  return [
    {
      label: pinned ? "Unpin" : "Pin",
      name: pinned ? "Unpin message" : "Pin message",
      run: () => pin(m, !pinned),
    },
  ];
}

function actionsEl(m: Message, mine: boolean, act: MessageActions): HTMLElement {
  const more = h("button", {
    type: "button",
    class: "act-more icon",
    "aria-label": "More actions",
    "aria-haspopup": "menu",
    "aria-expanded": "false",
    title: "More",
    text: "⋯",
  });
  const items: MenuItem[] = [
    { label: "Reply", name: `Reply to ${m.sender_name}`, run: () => act.reply(m.seq) },
  ];
  const openThread = act.openThread;
  if (openThread && !m.thread_root) {
    items.push({ label: "Reply in thread", run: () => openThread(m) });
  }
  if (mine) items.push({ label: "Edit", name: "Edit message", run: () => act.edit(m.seq) });
  items.push({ label: "Copy link", run: () => act.copyLink(m) });
  if (mine) {
    items.push({ label: "Delete", name: "Delete message", danger: true, run: () => act.remove(m) });
  }
  const names = act.reactionNames();
  if (names.length > 0) {
    // on a phone the toolbar is only "⋯": reacting is in its menu too
    items.splice(1, 0, {
      label: "React",
      name: "React…",
      run: () => showEmojiPopover(more, names, (name) => act.react(m, name, true)),
    });
  }
  // Pin or Unpin as the room's pins are when the menu opens (the row is not redrawn on a pin).
  more.addEventListener("click", () => {
    const at = items.findIndex((i) => i.label === "Copy link");
    showMenu(more, [...items.slice(0, at), ...pinItem(m, act), ...items.slice(at)]);
  });
  const react =
    names.length > 0
      ? h("button", {
          type: "button",
          class: "act-react icon",
          text: "☺",
          title: "React",
          "aria-label": "Add reaction",
          "aria-haspopup": "menu",
        })
      : null;
  react?.addEventListener("click", () =>
    showEmojiPopover(react, names, (name) => act.react(m, name, true)),
  );
  return h(
    "div",
    { class: "msg-actions" },
    react,
    h("button", {
      type: "button",
      class: "act-reply icon",
      text: "↩",
      title: "Reply",
      "aria-label": `Reply to ${m.sender_name}`,
      onclick: () => act.reply(m.seq),
    }),
    more,
  );
}

/** A message of mine being edited: Enter saves, Escape cancels. */
function editForm(m: Message, act: MessageActions): HTMLFormElement {
  const ta = h("textarea", {
    id: `edit-${m.seq}`,
    class: "edit-input",
    rows: 2,
    maxLength: 16384,
  });
  ta.value = m.text;
  const save = () => act.saveEdit(m, ta.value);
  const cancel = () => act.cancelEdit();
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

export function pendingEl(
  p: PendingSend,
  parent: Message | undefined,
  act: MessageActions,
): HTMLElement {
  const me = act.me;
  const failed = p.status === "failed";
  const el = h("article", {
    class: "msg mine pending",
    "data-status": p.status,
    "data-client-id": p.client_msg_id,
    "aria-label": `${me.username}, ${failed ? "not sent" : "sending"}`,
    tabindex: -1,
  });
  const state = h("span", { class: "state", text: failed ? "Not sent" : "Sending…" });
  const body = h("div", { class: "msg-body" });
  append(el, ...headEl(me.id, me.username, state, false), body);
  if (p.reply_to) body.appendChild(replyRef(parent, p.reply_to, act));
  if (p.text || p.files.length === 0) {
    body.appendChild(textEl(p.text, false));
  }
  if (p.files.length > 0) body.appendChild(pendingFilesEl(p.files));
  if (failed) {
    append(
      body,
      h("p", { class: "form-error", role: "alert", text: p.error ?? "Failed" }),
      h(
        "div",
        { class: "msg-actions shown" },
        h("button", { type: "button", text: "Retry", onclick: () => act.retry(p.client_msg_id) }),
        h("button", {
          type: "button",
          text: "Discard",
          onclick: () => act.discard(p.client_msg_id),
        }),
      ),
    );
  }
  return el;
}

/** The "new messages" line above the first message that arrived since I last read. */
export function dividerEl(): HTMLElement {
  return h(
    "div",
    { class: "divider", role: "separator", "aria-label": "New messages" },
    h("span", { text: "New messages" }),
  );
}
