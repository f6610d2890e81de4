// The search box in the top bar (docs/client.md, "Search"): `/` focuses it; suggestions as
// you type (the server's GET /search/suggest, or the client's own operators, rooms and
// people where the server has no such route); Enter searches; results grouped by room with
// the matched words marked; filter chips for the operators; "More results" pages on. Up and
// Down move over suggestions, results and "More", Enter picks, Escape closes. A result
// opens its room at the message (ChatContext.openAt).

import { ApiError, api } from "../api";
import { append, clear, h } from "../dom";
import { errText, fmtTime, roomLabel } from "../format";
import {
  chips,
  flatten,
  groupByRoom,
  localSuggest,
  withTerm,
  withoutTerm,
  type SearchHit,
  type SearchPage,
  type SuggestOption,
  type Suggestions,
} from "../search-query";
import type { ChatContext } from "./context";
import { smallAvatar } from "./message";
import { people } from "../people";

/** An option of the panel's list: its element and what picking it does. */
interface Option {
  el: HTMLElement;
  pick: () => void;
}

/** A snippet as text nodes, its matched words in <mark>: server text never becomes markup. */
export function snippetEl(hit: SearchHit): HTMLElement {
  const p = h("p", { class: "search-snippet" });
  for (const part of hit.snippet) {
    p.appendChild(part.match ? h("mark", { text: part.text }) : document.createTextNode(part.text));
  }
  return p;
}

export class SearchBox {
  private readonly input = h("input", {
    id: "search-input",
    type: "search",
    placeholder: "Search messages",
    autocomplete: "off",
    spellcheck: "false",
    role: "combobox",
    "aria-expanded": "false",
    "aria-controls": "search-list",
    "aria-autocomplete": "list",
    "aria-label": "Search messages (press / to focus)",
    "aria-keyshortcuts": "/",
  });
  private readonly chipsRow = h("div", {
    class: "search-chips",
    role: "toolbar",
    "aria-label": "Filters",
  });
  private readonly list = h("div", { id: "search-list", class: "search-list", role: "listbox" });
  private readonly status = h("p", { class: "search-status", role: "status" });
  private readonly panel = h(
    "div",
    { class: "search-panel", hidden: true },
    this.chipsRow,
    this.status,
    this.list,
  );
  readonly el = h(
    "form",
    { class: "search", role: "search", onsubmit: (ev: Event) => ev.preventDefault() },
    this.input,
    this.panel,
  );

  private suggestions: SuggestOption[] = [];
  /** the suggestions are for what is in the box now (hidden once it is searched) */
  private suggesting = false;
  private searched = "";
  private hits: SearchHit[] = [];
  private totals: SearchPage["totals"] = [];
  private cursor: string | null = null;
  private loading = false;
  private options: Option[] = [];
  private active = -1;
  /** the server's suggest route: unknown until asked, false when it has none */
  private serverSuggest: boolean | null = null;
  private suggestTimer: ReturnType<typeof setTimeout> | undefined;
  /** bumped by every request of its kind, so a late answer to an older one is dropped */
  private generation = 0;
  private suggestGeneration = 0;

  constructor(private readonly ctx: ChatContext) {
    this.input.addEventListener("input", () => this.onInput());
    this.input.addEventListener("keydown", (ev) => this.onKey(ev));
    this.input.addEventListener("focus", () => this.render());
    document.addEventListener("pointerdown", this.onOutside);
  }

  /** A press outside the box and its panel closes the panel. */
  private readonly onOutside = (ev: Event): void => {
    if (!this.el.contains(ev.target as Node)) this.close();
  };

  /** Stop listening to the page (the chat screen is going away). */
  destroy(): void {
    document.removeEventListener("pointerdown", this.onOutside);
    clearTimeout(this.suggestTimer);
  }

  focus(): void {
    this.input.focus();
    this.input.select();
  }

  private get open(): boolean {
    return !this.panel.hidden;
  }

  close(): void {
    this.panel.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  private onInput(): void {
    this.suggesting = true;
    this.active = -1;
    clearTimeout(this.suggestTimer);
    this.suggestTimer = setTimeout(() => void this.suggest(), 120);
    this.render();
  }

  private onKey(ev: KeyboardEvent): void {
    const n = this.options.length;
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      if (!this.open) this.render();
      if (n === 0) return;
      const down = ev.key === "ArrowDown";
      this.active = this.active < 0 ? (down ? 0 : n - 1) : (this.active + (down ? 1 : n - 1)) % n;
      this.markActive();
    } else if (ev.key === "Enter") {
      ev.preventDefault();
      const opt = this.options[this.active];
      if (opt && this.open) opt.pick();
      else void this.search(false);
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      if (this.open) this.close();
      else if (this.input.value) this.input.value = "";
      else this.input.blur();
    }
  }

  /** The people the client knows: me, the members it has loaded, the peers of direct rooms. */
  private people(): { id: number; username: string }[] {
    const seen = new Map<number, string>([[this.ctx.me.id, this.ctx.me.username]]);
    for (const r of this.ctx.st.roomList()) {
      if (r.info.peer) seen.set(r.info.peer.id, r.info.peer.username);
      for (const m of r.members?.values() ?? []) seen.set(m.user_id, m.username);
    }
    return [...seen].map(([id, username]) => ({ id, username }));
  }

  private async suggest(): Promise<void> {
    const q = this.input.value;
    const gen = ++this.suggestGeneration;
    let s: Suggestions;
    if (!q.trim()) {
      s = { words: [], users: [], rooms: [], operators: [] };
    } else if (this.serverSuggest !== false) {
      try {
        s = await api.suggest(q);
        this.serverSuggest = true;
      } catch (e) {
        // A server without the route (404) answers with the client's own suggestions.
        if (e instanceof ApiError && e.status === 404) this.serverSuggest = false;
        s = this.localSuggest(q);
      }
    } else {
      s = this.localSuggest(q);
    }
    if (gen !== this.suggestGeneration || q !== this.input.value) return;
    this.suggestions = flatten(s);
    this.render();
  }

  private localSuggest(q: string): Suggestions {
    const rooms = this.ctx.st
      .roomList()
      .filter((r) => r.info.kind === "group")
      .map((r) => ({ id: r.info.id, name: r.info.name }));
    return localSuggest(q, rooms, this.people(), Date.now());
  }

  /** Run the box's query (more: the next page of the one shown). */
  private async search(more: boolean): Promise<void> {
    const q = more ? this.searched : this.input.value.trim();
    if (!q) return;
    const gen = ++this.generation;
    clearTimeout(this.suggestTimer);
    this.suggesting = false;
    this.loading = true;
    if (!more) {
      this.searched = q;
      this.hits = [];
      this.totals = [];
      this.cursor = null;
      this.active = -1;
    }
    this.status.textContent = "Searching…";
    this.render();
    try {
      const page = await api.search(q, more ? this.cursor : null);
      if (gen !== this.generation) return;
      this.hits = [...this.hits, ...page.hits];
      if (!more) this.totals = page.totals;
      this.cursor = page.next_cursor;
      const n = this.hits.length;
      this.status.textContent =
        n === 0
          ? `No messages match “${q}”.`
          : `${n === 1 ? "1 message" : `${n} messages`}${this.cursor ? ", and more" : ""}`;
    } catch (e) {
      if (gen !== this.generation) return;
      this.status.textContent = errText(e);
    } finally {
      if (gen === this.generation) this.loading = false;
    }
    this.render();
  }

  private setQuery(q: string, run: boolean): void {
    this.input.value = q;
    this.input.focus();
    if (run && q.trim()) void this.search(false);
    else this.onInput();
  }

  private pickHit(hit: SearchHit): void {
    this.close();
    this.ctx.openAt(hit.room_id, hit.seq);
  }

  private render(): void {
    const q = this.input.value;
    const show = q.trim() !== "" || this.hits.length > 0 || this.status.textContent !== "";
    this.panel.hidden = !show || document.activeElement !== this.input;
    this.input.setAttribute("aria-expanded", String(!this.panel.hidden));
    this.renderChips(q);
    clear(this.list);
    this.options = [];
    if (this.suggesting) this.renderSuggestions();
    this.renderHits();
    if (this.cursor && this.hits.length > 0) {
      const el = h("div", {
        id: "search-more",
        class: "search-more",
        role: "option",
        text: this.loading ? "Loading…" : "More results",
      });
      this.addOption(this.list, el, () => void this.search(true));
    }
    if (this.active >= this.options.length) this.active = -1;
    this.markActive();
  }

  private renderChips(q: string): void {
    clear(this.chipsRow);
    for (const c of chips(q)) {
      const on = c.term !== "";
      append(
        this.chipsRow,
        h("button", {
          type: "button",
          class: "chip",
          "aria-pressed": String(on),
          text: on ? `${c.label} ×` : c.label,
          title: on ? `Remove ${c.term}` : `Add ${c.add}`,
          // Keep the focus in the box: the chip acts, the typing goes on.
          onpointerdown: (ev: Event) => ev.preventDefault(),
          onclick: () => {
            if (on) this.setQuery(withoutTerm(this.input.value, c.term), true);
            else this.setQuery(withTerm(this.input.value, c.add), !c.add.endsWith(":"));
          },
        }),
      );
    }
  }

  private renderSuggestions(): void {
    if (this.suggestions.length === 0) return;
    const group = h(
      "div",
      { role: "group", "aria-labelledby": "search-sugg-title", class: "search-group" },
      h("div", { id: "search-sugg-title", class: "search-group-title", text: "Suggestions" }),
    );
    this.suggestions.forEach((s, i) => {
      const el = h(
        "div",
        { id: `search-sugg-${i}`, class: "search-sugg", role: "option", "data-kind": s.kind },
        h("span", { class: "sugg-label", text: s.label }),
        h("span", { class: "sugg-detail", text: s.detail }),
      );
      this.addOption(group, el, () => this.setQuery(s.query, false));
    });
    this.list.appendChild(group);
  }

  private renderHits(): void {
    for (const g of groupByRoom(this.hits, this.totals)) {
      const r = this.ctx.st.room(g.room_id);
      const name = r ? roomLabel(r, this.ctx.me.id) : `Room ${g.room_id}`;
      const titleId = `search-room-${g.room_id}`;
      const group = h(
        "div",
        { role: "group", "aria-labelledby": titleId, class: "search-group" },
        h(
          "div",
          { id: titleId, class: "search-group-title" },
          h("span", { text: name }),
          h("span", {
            class: "search-count",
            text: g.total === 1 ? "1 match" : `${g.total} matches`,
          }),
        ),
      );
      for (const hit of g.hits) {
        const el = h(
          "div",
          {
            id: `search-hit-${hit.room_id}-${hit.seq}`,
            class: "search-hit",
            role: "option",
            "data-room": hit.room_id,
            "data-seq": hit.seq,
          },
          h(
            "div",
            { class: "search-hit-head" },
            smallAvatar(hit.sender.id, people.displayName(hit.sender.id, hit.sender.username)),
            h("span", {
              class: "sender",
              text: people.displayName(hit.sender.id, hit.sender.username),
              title: `@${hit.sender.username}`,
            }),
            h("time", { text: fmtTime(hit.created_at) }),
          ),
          snippetEl(hit),
        );
        this.addOption(group, el, () => this.pickHit(hit));
      }
      this.list.appendChild(group);
    }
  }

  private addOption(parent: HTMLElement, el: HTMLElement, pick: () => void): void {
    // A press keeps the focus in the box (the list is driven from it), then picks.
    el.addEventListener("pointerdown", (ev) => ev.preventDefault());
    el.addEventListener("click", pick);
    parent.appendChild(el);
    this.options.push({ el, pick });
  }

  private markActive(): void {
    this.options.forEach((o, i) => o.el.setAttribute("aria-selected", String(i === this.active)));
    const cur = this.options[this.active];
    if (cur && !this.panel.hidden) {
      this.input.setAttribute("aria-activedescendant", cur.el.id);
      cur.el.scrollIntoView({ block: "nearest" });
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  }
}
