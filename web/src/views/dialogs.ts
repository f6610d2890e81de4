// The modal dialogs: new room, public rooms, direct message, a room's members (and invite),
// and my signed-in devices. Each is built when opened and removed from the page when closed.

import { api } from "../api";
import { append, clear, h } from "../dom";
import { errText, fmtTime, roomName } from "../format";
import { people } from "../people";
import type { Member, Profile, Session } from "../types";
import type { ChatContext } from "./context";
import { smallAvatar } from "./message";

/** A modal dialog titled title, its body built with the function that closes it. */
function dialog(title: string, body: (close: () => void) => Node[]): HTMLDialogElement {
  const id = "dlg-" + Math.random().toString(36).slice(2);
  const dlg = h("dialog", { "aria-labelledby": id });
  const close = () => dlg.close();
  append(
    dlg,
    h(
      "header",
      { class: "dlg-head" },
      h("h2", { id, text: title }),
      h("button", {
        type: "button",
        class: "link",
        "aria-label": "Close",
        text: "×",
        onclick: close,
      }),
    ),
    ...body(close),
  );
  dlg.addEventListener("close", () => dlg.remove());
  document.body.appendChild(dlg);
  dlg.showModal();
  return dlg;
}

function errorLine(): HTMLParagraphElement {
  return h("p", { class: "form-error", role: "alert" });
}

export function createRoomDialog(ctx: ChatContext): void {
  const name = h("input", { id: "new-room-name", required: true, maxLength: 100 });
  const topic = h("input", { id: "new-room-topic", maxLength: 1000 });
  const pub = h("input", { id: "new-room-public", type: "checkbox" });
  const err = errorLine();
  dialog("New room", (close) => [
    h(
      "form",
      {
        class: "stack",
        onsubmit: async (ev: Event) => {
          ev.preventDefault();
          try {
            const { room } = await api.createRoom(
              name.value.trim(),
              topic.value.trim(),
              pub.checked,
            );
            ctx.st.upsertRooms([{ ...room, role: "owner", unread: 0, last_read_seq: 0 }]);
            close();
            ctx.open(room.id);
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

export function publicRoomsDialog(ctx: ChatContext): void {
  const list = h(
    "ul",
    { class: "dlg-list", "aria-label": "Public rooms" },
    h("li", { text: "Loading…" }),
  );
  const err = errorLine();
  dialog("Public rooms", (close) => {
    const join = async (id: number) => {
      try {
        const res = await api.join(id);
        ctx.st.upsertRooms([{ ...res.room, unread: 0 }]);
        close();
        ctx.open(id);
      } catch (e) {
        err.textContent = errText(e);
      }
    };
    void api
      .publicRooms()
      .then(({ rooms }) => {
        clear(list);
        if (rooms.length === 0) list.appendChild(h("li", { text: "No public rooms yet." }));
        for (const room of rooms) {
          const member = ctx.st.room(room.id)?.known;
          list.appendChild(
            h(
              "li",
              { class: "dlg-row" },
              h(
                "span",
                {},
                h("strong", { text: "# " + room.name }),
                room.topic ? h("span", { class: "muted", text: " — " + room.topic }) : null,
              ),
              member
                ? h("button", {
                    type: "button",
                    text: "Open",
                    onclick: () => {
                      close();
                      ctx.open(room.id);
                    },
                  })
                : h("button", {
                    type: "button",
                    text: "Join",
                    "aria-label": `Join ${room.name}`,
                    onclick: () => join(room.id),
                  }),
            ),
          );
        }
      })
      .catch((e) => (err.textContent = errText(e)));
    return [list, err];
  });
}

/** Open (creating it on first use) the direct room with username, then close dlg. */
async function openDirect(ctx: ChatContext, username: string, close: () => void): Promise<void> {
  const { room } = await api.direct(username);
  ctx.st.upsertRooms([room]);
  await ctx.refreshRooms();
  close();
  ctx.open(room.id);
}

/** One person found by GET /users?q=: display name, @username, status; a click starts. */
function personRow(p: Profile, start: (username: string) => void): HTMLElement {
  const status = [p.status_emoji, p.status_text].filter(Boolean).join(" ");
  people.set(p); // the server's answer: what the timeline shows of them too (their avatar)
  return h(
    "li",
    { class: "dlg-row", "data-person": p.username },
    h(
      "span",
      {},
      smallAvatar(p.id, p.display_name || p.username),
      p.display_name || p.username,
      p.display_name ? h("span", { class: "muted", text: ` @${p.username}` }) : null,
      status ? h("span", { class: "member-status", text: ` ${status}` }) : null,
    ),
    h("button", {
      type: "button",
      text: "Message",
      "aria-label": `Message ${p.display_name || p.username}`,
      onclick: () => start(p.username),
    }),
  );
}

/**
 * Start a direct message: type a name, pick from the people whose username or display name
 * starts with it (GET /users?q=), or submit the username as typed.
 */
export function directDialog(ctx: ChatContext): void {
  const who = h("input", {
    id: "dm-username",
    required: true,
    autocapitalize: "none",
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "dm-hint",
  });
  const found = h("ul", { class: "dlg-list", "aria-label": "People", "aria-live": "polite" });
  const err = errorLine();
  let close = () => {};
  const start = async (username: string) => {
    try {
      await openDirect(ctx, username, close);
    } catch (e) {
      err.textContent = errText(e);
    }
  };
  let asked = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const lookUp = () => {
    const q = who.value.trim();
    const mine = ++asked;
    if (!q) return void clear(found);
    api
      .findPeople(q)
      .then(({ users }) => {
        if (mine !== asked) return; // a later keystroke's answer wins
        clear(found);
        for (const p of users) {
          people.set(p);
          if (p.id !== ctx.me.id) found.appendChild(personRow(p, (u) => void start(u)));
        }
      })
      .catch(() => {}); // rate limited or offline: the typed name still works
  };
  who.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(lookUp, 150);
  });
  dialog("Direct message", (c) => {
    close = c;
    return [
      h(
        "form",
        {
          class: "stack",
          onsubmit: async (ev: Event) => {
            ev.preventDefault();
            await start(who.value.trim());
          },
        },
        h("label", { for: "dm-username", text: "Name or username" }),
        who,
        h("p", {
          id: "dm-hint",
          class: "muted",
          text: "People whose name starts with what you type appear below.",
        }),
        err,
        h("button", { type: "submit", class: "primary", text: "Start conversation" }),
      ),
      found,
    ];
  });
  who.focus();
}

/** One member: online dot, name, role; a Message button unless it is me (message null). */
function memberRow(m: Member, on: boolean, message: ((username: string) => void) | null) {
  return h(
    "li",
    { class: "dlg-row", "data-member": m.username },
    h(
      "span",
      {},
      h("span", {
        class: "dot",
        "data-online": String(on),
        "aria-label": on ? "online" : "offline",
      }),
      " ",
      smallAvatar(m.user_id, people.displayName(m.user_id, m.username)),
      people.displayName(m.user_id, m.username),
      people.get(m.user_id)?.display_name
        ? h("span", { class: "muted", text: ` @${m.username}` })
        : null,
      m.role !== "member" ? h("span", { class: "muted", text: ` (${m.role})` }) : null,
      people.status(m.user_id)
        ? h("span", { class: "member-status", text: ` ${people.status(m.user_id)}` })
        : null,
    ),
    message
      ? h("button", { type: "button", text: "Message", onclick: () => message(m.username) })
      : null,
  );
}

export function membersDialog(ctx: ChatContext, roomId: number): void {
  const { me, st } = ctx;
  const r = st.room(roomId);
  if (!r) return;
  const list = h("ul", { class: "dlg-list", "aria-label": "Members" });
  const err = errorLine();
  const close = () => dlg.close();
  const message = async (username: string) => {
    try {
      await openDirect(ctx, username, close);
    } catch (e) {
      err.textContent = errText(e);
    }
  };
  const fill = () => {
    clear(list);
    const members = r.members
      ? [...r.members.values()].sort((a, b) => a.username.localeCompare(b.username))
      : [];
    for (const m of members) {
      const on = m.user_id === me.id || st.isOnlineIn(roomId, m.user_id);
      list.appendChild(memberRow(m, on, m.user_id !== me.id ? message : null));
    }
  };
  const who = h("input", {
    id: "invite-username",
    required: true,
    autocapitalize: "none",
    spellcheck: "false",
  });
  const invite = h(
    "form",
    {
      class: "stack",
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        err.textContent = "";
        try {
          await api.invite(roomId, who.value.trim());
          who.value = "";
          await ctx.loadMembers(roomId);
          fill();
        } catch (e) {
          err.textContent = errText(e);
        }
      },
    },
    h("label", { for: "invite-username", text: "Invite by username" }),
    who,
    h("button", { type: "submit", text: "Invite" }),
  );
  const dlg = dialog(`Members of ${roomName(r, me.id)}`, () =>
    r.info.kind === "group" ? [list, invite, err] : [list, err],
  );
  fill();
  void ctx.loadMembers(roomId).then(fill);
}

export function sessionsDialog(ctx: ChatContext): void {
  const list = h(
    "ul",
    { class: "dlg-list", "aria-label": "Signed-in devices" },
    h("li", { text: "Loading…" }),
  );
  const err = errorLine();
  const revoke = async (s: Session) => {
    if (s.current) return void ctx.logout();
    try {
      await api.revokeSession(s.id);
      fill((await api.sessions()).sessions);
    } catch (e) {
      err.textContent = errText(e);
    }
  };
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
            h("span", {
              class: "muted",
              text: ` · ${s.ip} · last seen ${fmtTime(s.last_seen_at)}`,
            }),
          ),
          h("button", {
            type: "button",
            text: s.current ? "Log out" : "Revoke",
            "aria-label": s.current ? "Log out of this device" : `Revoke ${s.device || "session"}`,
            onclick: () => revoke(s),
          }),
        ),
      );
    }
  };
  dialog("Your devices", () => [list, err]);
  api
    .sessions()
    .then((r) => fill(r.sessions))
    .catch((e) => (err.textContent = errText(e)));
}
