// The admin console's Rooms tab: every room's name and counts (never its content), a new
// owner for a room, and deleting one (DELETE /rooms/{id}, as its owner could).

import { append, h } from "../../dom";
import { confirmDialog, showMenu, type MenuItem } from "../popup";
import { adminApi, type AdminRoom } from "./admin-api";
import { askValue, pagedList, searchBox, statusLine, when } from "./common";

function roomLabel(r: AdminRoom): string {
  return r.name || (r.kind === "direct" ? "Direct conversation" : `Room ${r.id}`);
}

export function roomsPanel(): HTMLElement {
  const status = statusLine();
  let q = "";
  const actions = (r: AdminRoom): MenuItem[] => {
    const items: MenuItem[] = [];
    if (r.kind === "group") {
      items.push({
        label: "Change owner…",
        run: async () => {
          const name = await askValue(`New owner of ${roomLabel(r)}`, "Username", "Make owner");
          if (!name) return;
          try {
            await adminApi.setOwner(r.id, name);
            status.ok(`${name} now owns ${roomLabel(r)}; its other owners are admins of it.`);
            await rooms.reload();
          } catch (e) {
            status.fail(e);
          }
        },
      });
    }
    items.push({
      label: "Delete…",
      danger: true,
      run: async () => {
        const sure = await confirmDialog(
          `Delete ${roomLabel(r)} for good?`,
          `Its ${r.member_count} members lose it, and its messages and files become ` +
            "unreadable everywhere, backups included. This cannot be undone.",
          "Delete room",
        );
        if (!sure) return;
        try {
          await adminApi.deleteRoom(r.id);
          status.ok(`${roomLabel(r)} is deleted.`);
          await rooms.reload();
        } catch (e) {
          status.fail(e);
        }
      },
    });
    return items;
  };
  const row = (r: AdminRoom) => {
    const menu = h("button", {
      type: "button",
      class: "admin-actions",
      text: "Actions",
      "aria-haspopup": "menu",
      "aria-expanded": "false",
      "aria-label": `Actions for ${roomLabel(r)}`,
      onclick: () => {
        menu.setAttribute("aria-expanded", "true");
        showMenu(menu, actions(r));
      },
    });
    const kind = r.kind === "direct" ? "direct" : r.public ? "public" : "private";
    return h(
      "li",
      { class: "admin-row", "data-room-id": r.id },
      h(
        "div",
        { class: "admin-main" },
        h("strong", { text: roomLabel(r) }),
        h("span", { class: "admin-badges" }, h("span", { class: "badge", text: kind })),
        h("span", {
          class: "muted admin-meta",
          text:
            `${r.member_count} ${r.member_count === 1 ? "member" : "members"}` +
            (r.owner ? ` · owner ${r.owner.username}` : "") +
            ` · created ${when(r.created_at)} · last activity ${when(r.last_activity_at)}`,
        }),
      ),
      h("span", { class: "admin-anchor" }, menu),
    );
  };
  const rooms = pagedList("Rooms", (cursor) => adminApi.rooms(q, cursor), row, status.fail);
  const panel = h(
    "section",
    { class: "admin-panel" },
    h(
      "div",
      { class: "admin-toolbar" },
      searchBox("admin-room-q", "Search room names", (text) => {
        q = text;
        void rooms.reload();
      }),
    ),
  );
  append(panel, status.el, rooms.el);
  void rooms.reload();
  return panel;
}
