// One row of the timeline: a message (its head, what it replies to, its text or files, its
// actions, or the form that edits it), a send of mine not yet acknowledged, the divider.
// Built whole each time; what the buttons do is the timeline's (MessageActions).

import { append, h } from "../dom";
import { fmtTime, summary } from "../format";
import { renderMarkdown } from "../markdown";
import type { Message, PendingSend } from "../state";
import type { User } from "../types";
import { attachmentsEl, pendingFilesEl } from "./attachments";

export interface MessageActions {
  readonly me: User;
  /** whether the message with seq is the one of mine being edited */
  isEditing(seq: number): boolean;
  /** show the message with this seq (a click on a reply's quote) */
  jumpTo(seq: number): void;
  reply(seq: number): void;
  edit(seq: number): void;
  remove(m: Message): void;
  saveEdit(m: Message, text: string): void;
  cancelEdit(): void;
  retry(clientMsgId: string): void;
  discard(clientMsgId: string): void;
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

export function messageEl(
  m: Message,
  parent: Message | undefined,
  act: MessageActions,
): HTMLElement {
  const mine = m.sender === act.me.id;
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
  if (m.reply_to) el.appendChild(replyRef(parent, m.reply_to, act));
  if (m.deleted) {
    el.appendChild(h("p", { class: "text tombstone", text: "This message was deleted." }));
    return el;
  }
  if (act.isEditing(m.seq)) {
    el.appendChild(editForm(m, act));
    if (m.files.length > 0) el.appendChild(attachmentsEl(m.files));
    return el;
  }
  if (m.text || m.edited_at || m.files.length === 0) {
    el.appendChild(textEl(m.text, !!m.edited_at));
  }
  if (m.files.length > 0) el.appendChild(attachmentsEl(m.files));
  el.appendChild(actionsEl(m, mine, act));
  return el;
}

/** The text as rich text (markdown.ts), "(edited)" at the end of its last paragraph. */
function textEl(text: string, edited: boolean): HTMLElement {
  const el = h("div", { class: "text md" });
  el.appendChild(renderMarkdown(text));
  if (edited) {
    const last = el.lastElementChild;
    const into = last && last.tagName === "P" ? last : el;
    append(into, " ", h("span", { class: "edited", text: "(edited)" }));
  }
  return el;
}

/** Reply, and for a message of mine Edit and Delete (shown on hover or focus). */
function actionsEl(m: Message, mine: boolean, act: MessageActions): HTMLElement {
  const actions = h("div", { class: "msg-actions" });
  append(
    actions,
    h("button", {
      type: "button",
      class: "act-reply",
      text: "Reply",
      "aria-label": `Reply to ${m.sender_name}`,
      onclick: () => act.reply(m.seq),
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
        onclick: () => act.edit(m.seq),
      }),
      h("button", {
        type: "button",
        class: "act-delete",
        text: "Delete",
        "aria-label": "Delete message",
        onclick: () => act.remove(m),
      }),
    );
  }
  return actions;
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
  if (p.reply_to) el.appendChild(replyRef(parent, p.reply_to, act));
  if (p.text || p.files.length === 0) {
    el.appendChild(textEl(p.text, false));
  }
  if (p.files.length > 0) el.appendChild(pendingFilesEl(p.files));
  if (failed) {
    append(
      el,
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
