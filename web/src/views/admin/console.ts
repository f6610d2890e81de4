// The admin console (docs/api.md "The admin console"): a large dialog with three tabs,
// Users, Rooms and Audit, opened from the account menu of a server admin. Each tab is
// built on first view (users.ts, rooms.ts, audit.ts); closing the dialog drops them all.

import { h } from "../../dom";
import { auditPanel } from "./audit";
import { roomsPanel } from "./rooms";
import { usersPanel } from "./users";

interface Tab {
  id: string;
  label: string;
  build: () => HTMLElement;
}

const TABS: Tab[] = [
  { id: "users", label: "Users", build: usersPanel },
  { id: "rooms", label: "Rooms", build: roomsPanel },
  { id: "audit", label: "Audit and server", build: auditPanel },
];

/** Opens the console on its Users tab; focus goes to that tab's search box. */
export function openAdminConsole(): void {
  const dlg = h("dialog", { class: "admin-console", "aria-labelledby": "admin-title" });
  const tablist = h("div", { class: "admin-tabs", role: "tablist", "aria-label": "Admin" });
  const body = h("div", { class: "admin-body" });
  const tabs: HTMLButtonElement[] = [];
  const panels = new Map<string, HTMLElement>();
  const select = (i: number, focus: boolean) => {
    tabs.forEach((t, j) => {
      t.setAttribute("aria-selected", String(i === j));
      t.tabIndex = i === j ? 0 : -1;
    });
    const tab = TABS[i];
    let panel = panels.get(tab.id);
    if (!panel) {
      panel = tab.build();
      panel.id = `admin-panel-${tab.id}`;
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", `admin-tab-${tab.id}`);
      panels.set(tab.id, panel);
      body.appendChild(panel);
    }
    for (const [id, p] of panels) p.hidden = id !== tab.id;
    if (focus) tabs[i].focus();
    else panel.querySelector<HTMLInputElement>("input")?.focus();
  };
  TABS.forEach((t, i) => {
    const b = h("button", {
      type: "button",
      role: "tab",
      id: `admin-tab-${t.id}`,
      "aria-controls": `admin-panel-${t.id}`,
      text: t.label,
      onclick: () => select(i, false),
    });
    // Arrow keys, Home and End move between tabs (the ARIA tabs pattern).
    b.addEventListener("keydown", (ev: KeyboardEvent) => {
      const n = TABS.length;
      const to: Record<string, number> = {
        ArrowRight: (i + 1) % n,
        ArrowLeft: (i + n - 1) % n,
        Home: 0,
        End: n - 1,
      };
      if (ev.key in to) {
        ev.preventDefault();
        select(to[ev.key], true);
      }
    });
    tabs.push(b);
    tablist.appendChild(b);
  });
  dlg.append(
    h(
      "header",
      { class: "dlg-head" },
      h("h2", { id: "admin-title", text: "Admin console" }),
      h("button", {
        type: "button",
        class: "link",
        "aria-label": "Close the admin console",
        text: "×",
        onclick: () => dlg.close(),
      }),
    ),
    tablist,
    body,
  );
  dlg.addEventListener("close", () => dlg.remove());
  document.body.appendChild(dlg);
  dlg.showModal();
  select(0, false);
}
