// Ctrl+K (⌘K): jump to a room by typing part of its name. A filter box over my rooms
// (unread first, then newest activity); Up and Down pick, Enter opens, Escape closes.

import { clear, h } from "../dom";
import { roomLabel, roomName } from "../format";
import type { RoomState } from "../state";
import type { ChatContext } from "./context";

let open: HTMLDialogElement | null = null;

export function roomSwitcher(ctx: ChatContext): void {
  if (open) return;
  const input = h("input", {
    id: "switcher-input",
    type: "search",
    placeholder: "Jump to a room…",
    autocomplete: "off",
    role: "combobox",
    "aria-expanded": "true",
    "aria-controls": "switcher-list",
    "aria-label": "Room name",
  });
  const list = h("ul", { id: "switcher-list", class: "switcher-list", role: "listbox" });
  const dlg = h("dialog", { class: "switcher", "aria-label": "Switch room" }, input, list);
  let shown: RoomState[] = [];
  let sel = 0;

  const pick = (r: RoomState | undefined) => {
    if (!r) return;
    dlg.close();
    ctx.open(r.info.id);
  };
  const render = () => {
    const q = input.value.trim().toLowerCase();
    const rooms = ctx.st.roomList().filter((r) => roomName(r, ctx.me.id).toLowerCase().includes(q));
    // Unread rooms first, then the list's own order (newest activity first).
    shown = [...rooms.filter((r) => r.unread > 0), ...rooms.filter((r) => r.unread === 0)];
    sel = Math.min(sel, Math.max(0, shown.length - 1));
    clear(list);
    shown.slice(0, 12).forEach((r, i) => {
      list.appendChild(
        h(
          "li",
          {
            id: `switcher-${r.info.id}`,
            role: "option",
            class: "switcher-item",
            "aria-selected": String(i === sel),
            onclick: () => pick(r),
          },
          h("span", { text: roomLabel(r, ctx.me.id) }),
          r.unread > 0 ? h("span", { class: "badge", text: String(r.unread) }) : null,
        ),
      );
    });
    if (shown.length === 0) list.appendChild(h("li", { class: "muted", text: "No room matches." }));
    const cur = shown[sel];
    if (cur) input.setAttribute("aria-activedescendant", `switcher-${cur.info.id}`);
    else input.removeAttribute("aria-activedescendant");
  };
  input.addEventListener("input", () => {
    sel = 0;
    render();
  });
  input.addEventListener("keydown", (ev) => {
    const n = Math.min(shown.length, 12);
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      if (n > 0) sel = (sel + (ev.key === "ArrowDown" ? 1 : n - 1)) % n;
      render();
    } else if (ev.key === "Enter") {
      ev.preventDefault();
      pick(shown[sel]);
    }
  });
  dlg.addEventListener("click", (ev) => {
    if (ev.target === dlg) dlg.close();
  });
  dlg.addEventListener("close", () => {
    dlg.remove();
    open = null;
  });
  open = dlg;
  document.body.appendChild(dlg);
  render();
  dlg.showModal();
  input.focus();
}
