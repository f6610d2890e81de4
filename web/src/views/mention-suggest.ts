// "@" completion in the composer: while the word before the cursor is "@" and the start of a
// name, a list of the room's members (and @room, @here) whose names start with it; arrows
// move, Enter or Tab completes, Escape closes. The names are those the client holds (the
// member list), so it costs no request.

import { clear, h } from "../dom";
import { people } from "../people";
import { smallAvatar } from "./message";

const TYPED = /(^|[^\w@.])@([A-Za-z0-9_.-]*)$/;
const SHOWN = 6;

export class MentionSuggest {
  readonly el = h("ul", {
    class: "mention-suggest",
    role: "listbox",
    "aria-label": "People to mention",
    hidden: true,
  });
  private options: string[] = [];
  private at = 0;
  private from = 0;

  constructor(
    private readonly input: HTMLTextAreaElement,
    private readonly names: () => string[],
  ) {}

  /** After each input: show what completes the "@name" being typed, or nothing. */
  update(): void {
    const caret = this.input.selectionStart ?? this.input.value.length;
    const m = TYPED.exec(this.input.value.slice(0, caret));
    const typed = m ? m[2].toLowerCase() : null;
    this.options =
      typed === null
        ? []
        : [...this.names(), "room", "here"]
            .filter((n) => n.toLowerCase().startsWith(typed) && n.toLowerCase() !== typed)
            .slice(0, SHOWN);
    this.from = m ? caret - m[2].length : 0;
    this.at = 0;
    this.render();
  }

  /** A key in the composer: true when the list took it. */
  onKey(ev: KeyboardEvent): boolean {
    if (this.options.length === 0) return false;
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      const n = this.options.length;
      this.at = (this.at + (ev.key === "ArrowDown" ? 1 : n - 1)) % n;
      this.render();
    } else if ((ev.key === "Enter" && !ev.shiftKey) || ev.key === "Tab") {
      this.complete(this.options[this.at]);
    } else if (ev.key === "Escape") {
      this.hide();
    } else {
      return false;
    }
    ev.preventDefault();
    return true;
  }

  hide(): void {
    this.options = [];
    this.render();
  }

  private complete(name: string): void {
    const t = this.input;
    const caret = t.selectionStart ?? t.value.length;
    t.setRangeText(name + " ", this.from, caret, "end");
    this.hide();
    t.focus();
    t.dispatchEvent(new Event("input"));
  }

  private render(): void {
    clear(this.el);
    this.el.hidden = this.options.length === 0;
    this.options.forEach((name, i) => {
      const p = people.byUsername(name);
      const li = h(
        "li",
        { role: "option", "aria-selected": String(i === this.at) },
        p ? smallAvatar(p.id, p.display_name || p.username) : null,
        "@" + name,
      );
      li.addEventListener("mousedown", (ev) => {
        ev.preventDefault(); // keep the focus in the composer
        this.complete(name);
      });
      this.el.appendChild(li);
    });
  }
}
