// The open room's pinned messages, in a bar under its header (docs/client.md, "Pins"): the
// newest pin's text (a click opens the room at it) and, when there are more, "N pinned",
// a menu of them all. Read with GET /rooms/{id}/pins when the room opens and again after
// each pin or unpin event (state.ts forgets the list then).

import { api } from "../api";
import { append, clear, h } from "../dom";
import { errText, excerpt } from "../format";
import type { RoomState } from "../state";
import type { PinInfo } from "../types";
import type { ChatContext } from "./context";
import { showMenu } from "./popup";

export class PinnedBar {
  readonly el = h("div", { class: "pinned-bar", hidden: true, "aria-label": "Pinned messages" });
  /** the room whose list is being fetched (one fetch at a time) */
  private loading: number | null = null;
  private sig = "";

  constructor(private readonly ctx: ChatContext) {}

  render(r: RoomState): void {
    const id = r.info.id;
    if (r.pins === null) {
      void this.load(id);
      return;
    }
    const pins = r.pins;
    const sig = JSON.stringify([id, pins.map((p) => [p.seq, p.message.text])]);
    if (sig === this.sig) return;
    this.sig = sig;
    clear(this.el);
    this.el.hidden = pins.length === 0;
    if (pins.length === 0) return;
    const newest = pins[0];
    const text = (m: (typeof pins)[number]["message"]) =>
      `${m.sender_name}: ${excerpt(m.text, 80) || "files"}`;
    const latest = h(
      "button",
      {
        type: "button",
        class: "pinned-latest",
        title: "Show the pinned message",
        onclick: () => this.ctx.openAt(id, newest.message.seq),
      },
      h("span", { class: "pin-icon", "aria-hidden": "true", text: "📌" }),
      h("span", { class: "pinned-text", text: text(newest.message) }),
    );
    const all = h("button", {
      type: "button",
      class: "pinned-count",
      "aria-haspopup": "menu",
      text: `${pins.length} pinned`,
    });
    all.addEventListener("click", () =>
      showMenu(
        all,
        pins.map((p) => ({
          label: text(p.message),
          run: () => this.ctx.openAt(id, p.message.seq),
        })),
      ),
    );
    append(this.el, latest, all);
  }

  /** Hidden while no room is open. */
  hide(): void {
    this.el.hidden = true;
    this.sig = "";
  }

  private setPins(id: number, pins: PinInfo[]): void {
    const r = this.ctx.st.room(id);
    if (r) r.pins = pins;
    this.ctx.st.changed();
  }

  private async load(id: number): Promise<void> {
    if (this.loading === id) return;
    this.loading = id;
    try {
      const { pins } = await api.pins(id);
      this.setPins(id, pins);
    } catch (e) {
      this.ctx.flash(errText(e));
      this.setPins(id, []);
    } finally {
      this.loading = null;
    }
  }
}
