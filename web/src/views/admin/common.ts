// Pieces the admin console's tabs share: a search box with a list that pages, a status
// line, and a small dialog asking for one value.

import { append, clear, h } from "../../dom";
import { errText } from "../../format";
import type { Page } from "./admin-api";

/** A live line for what just happened (role status), or what failed (role alert). */
export function statusLine(): { el: HTMLElement; ok(text: string): void; fail(e: unknown): void } {
  const el = h("p", { class: "admin-status", role: "status", "aria-live": "polite" });
  return {
    el,
    ok(text: string) {
      el.classList.remove("form-error");
      el.textContent = text;
    },
    fail(e: unknown) {
      el.classList.add("form-error");
      el.textContent = errText(e);
    },
  };
}

/**
 * A list filled page by page from load(cursor): reload() starts again (after a search or a
 * change), "Show more" asks for the next page while there is one.
 */
export function pagedList<T>(
  label: string,
  load: (cursor: string | null) => Promise<Page<T>>,
  row: (item: T) => HTMLElement,
  onError: (e: unknown) => void,
): { el: HTMLElement; reload(): Promise<void> } {
  const list = h("ul", { class: "admin-list", "aria-label": label });
  const more = h("button", { type: "button", text: "Show more", hidden: true });
  let next: string | null = null;
  let generation = 0;
  const fill = async (fresh: boolean) => {
    const mine = fresh ? ++generation : generation;
    try {
      const page = await load(fresh ? null : next);
      if (mine !== generation) return; // a newer search answered first
      if (fresh) clear(list);
      for (const item of page.items) list.appendChild(row(item));
      if (fresh && page.items.length === 0) {
        list.appendChild(h("li", { class: "muted admin-empty", text: "Nothing found." }));
      }
      next = page.next;
      more.hidden = next === null;
    } catch (e) {
      onError(e);
    }
  };
  more.addEventListener("click", () => void fill(false));
  return { el: h("div", {}, list, more), reload: () => fill(true) };
}

/** A search box that calls run() as the text changes (a little after the last key). */
export function searchBox(id: string, label: string, run: (q: string) => void): HTMLElement {
  const input = h("input", {
    id,
    type: "search",
    maxLength: 64,
    autocomplete: "off",
    spellcheck: "false",
    placeholder: label,
  });
  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => run(input.value.trim()), 200);
  });
  return h("div", { class: "admin-search" }, h("label", { for: id, text: label }), input);
}

/** Asks for one value; resolves it, or null when cancelled. */
export function askValue(title: string, label: string, confirm: string): Promise<string | null> {
  return new Promise((resolve) => {
    let answer: string | null = null;
    const dlg = h("dialog", { class: "confirm", "aria-label": title });
    const input = h("input", { id: "admin-ask", required: true, maxLength: 64 });
    const form = h(
      "form",
      {
        class: "stack",
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          answer = input.value.trim();
          dlg.close();
        },
      },
      h("label", { for: "admin-ask", text: label }),
      input,
      h(
        "div",
        { class: "confirm-buttons" },
        h("button", { type: "button", text: "Cancel", onclick: () => dlg.close() }),
        h("button", { type: "submit", class: "primary", text: confirm }),
      ),
    );
    append(dlg, h("h2", { text: title }), form);
    dlg.addEventListener("close", () => {
      dlg.remove();
      resolve(answer || null);
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    input.focus();
  });
}

/** A date and time, or a dash for 0 (never). */
export function when(ms: number): string {
  if (!ms) return "never";
  return new Date(ms).toLocaleString([], {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}
