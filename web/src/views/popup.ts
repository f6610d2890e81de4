// Small pieces every view may use (a part, like message.ts): a confirmation dialog for what
// cannot be undone, and a menu that drops from a button (a message's "⋯").

import { h } from "../dom";

/**
 * Ask before something that cannot be undone; resolves true only for the confirm button
 * (Escape, Cancel and the backdrop say no). Focus starts on Cancel, the safe choice.
 */
export function confirmDialog(question: string, detail: string, confirm: string): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = false;
    const dlg = h("dialog", { class: "confirm", "aria-label": question });
    const cancel = h("button", { type: "button", text: "Cancel", onclick: () => dlg.close() });
    const ok = h("button", {
      type: "button",
      class: "danger",
      text: confirm,
      onclick: () => {
        answer = true;
        dlg.close();
      },
    });
    dlg.append(
      h("h2", { text: question }),
      h("p", { class: "muted", text: detail }),
      h("div", { class: "confirm-buttons" }, cancel, ok),
    );
    dlg.addEventListener("click", (ev) => {
      if (ev.target === dlg) dlg.close(); // a click on the backdrop
    });
    dlg.addEventListener("close", () => {
      dlg.remove();
      resolve(answer);
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    cancel.focus();
  });
}

export interface MenuItem {
  label: string;
  /** the accessible name when it differs from the label */
  name?: string;
  danger?: boolean;
  run(): void;
}

let openMenu: { el: HTMLElement; close: () => void } | null = null;

/**
 * A menu under anchor (role menu; arrow keys move, Escape closes and focus goes back to the
 * anchor). One menu is open at a time; a click outside closes it.
 */
export function showMenu(anchor: HTMLElement, items: MenuItem[]): void {
  openMenu?.close();
  const menu = h("div", { class: "menu", role: "menu" });
  const close = (refocus = false) => {
    menu.remove();
    anchor.setAttribute("aria-expanded", "false");
    document.removeEventListener("pointerdown", outside, true);
    if (openMenu?.el === menu) openMenu = null;
    if (refocus) anchor.focus();
  };
  const outside = (ev: Event) => {
    if (!menu.contains(ev.target as Node) && ev.target !== anchor) close();
  };
  for (const it of items) {
    menu.appendChild(
      h("button", {
        type: "button",
        role: "menuitem",
        class: it.danger ? "danger-text" : undefined,
        "aria-label": it.name,
        text: it.label,
        onclick: () => {
          close(true);
          it.run();
        },
      }),
    );
  }
  menu.addEventListener("keydown", (ev) => {
    const buttons = [...menu.querySelectorAll("button")];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      const n = buttons.length;
      buttons[(i + (ev.key === "ArrowDown" ? 1 : n - 1)) % n].focus();
    } else if (ev.key === "Escape" || ev.key === "Tab") {
      ev.preventDefault();
      ev.stopPropagation();
      close(true);
    }
  });
  anchor.setAttribute("aria-expanded", "true");
  anchor.after(menu);
  // Open upwards when there is no room below (the last messages, above the composer).
  const floor = anchor.closest(".timeline")?.getBoundingClientRect().bottom ?? innerHeight;
  if (menu.getBoundingClientRect().bottom > floor) menu.classList.add("up");
  document.addEventListener("pointerdown", outside, true);
  openMenu = { el: menu, close };
  menu.querySelector("button")?.focus();
}
