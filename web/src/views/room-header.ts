// The open room's header: back (on phones), its name, who is online, its topic, and the
// Members and Leave buttons.

import { append, clear, h } from "../dom";
import { peerOf, plural, roomLabel } from "../format";
import type { RoomState } from "../state";
import type { ChatContext } from "./context";

export interface RoomHeaderActions {
  back(): void;
  members(roomId: number): void;
  leave(roomId: number): void;
}

export class RoomHeader {
  private title = h("h2", { id: "room-title" });
  private topic = h("p", { class: "room-topic" });
  private presence = h("span", { class: "presence" });
  private actionsEl = h("div", { class: "room-actions" });
  readonly el: HTMLElement;

  constructor(
    private readonly ctx: ChatContext,
    private readonly actions: RoomHeaderActions,
  ) {
    const back = h("button", {
      type: "button",
      class: "back",
      "aria-label": "Back to rooms",
      text: "←",
      onclick: () => actions.back(),
    });
    this.el = h(
      "header",
      { class: "room-header" },
      back,
      h(
        "div",
        { class: "room-heading" },
        h("div", { class: "title-line" }, this.title, this.presence),
        this.topic,
      ),
      this.actionsEl,
    );
  }

  render(r: RoomState): void {
    const { me, st } = this.ctx;
    this.title.textContent = roomLabel(r, me.id);
    this.topic.textContent = r.info.topic;
    this.topic.hidden = !r.info.topic;
    const peer = peerOf(r, me.id);
    if (peer) {
      const on = st.isOnline(peer.id);
      this.presence.hidden = false;
      this.presence.dataset.online = String(on);
      this.presence.textContent = on ? "online" : "offline";
    } else {
      const n = r.members
        ? [...r.members.keys()].filter((id) => id !== me.id && st.isOnlineIn(r.info.id, id)).length
        : 0;
      this.presence.hidden = !r.members;
      this.presence.dataset.online = String(n > 0);
      this.presence.textContent = r.members
        ? `${plural(r.memberCount ?? r.members.size, "member")}, ${n + 1} online`
        : "";
    }
    const sig = `${r.info.id}:${r.info.kind}`;
    if (this.actionsEl.dataset.sig !== sig) {
      this.actionsEl.dataset.sig = sig;
      clear(this.actionsEl);
      const id = r.info.id;
      append(
        this.actionsEl,
        h("button", { type: "button", text: "Members", onclick: () => this.actions.members(id) }),
        r.info.kind === "group"
          ? h("button", { type: "button", text: "Leave", onclick: () => this.actions.leave(id) })
          : null,
      );
    }
  }
}
