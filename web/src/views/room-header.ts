// The open room's header: back (on phones), its name, who is online, its topic, and the
// Members and Leave buttons.

import { append, clear, h } from "../dom";
import { peerOf, plural, roomLabel } from "../format";
import type { RoomState } from "../state";
import { bellIcon } from "../notifier";
import type { NotifyLevel } from "../notify-rules";
import type { ChatContext } from "./context";
import { showMenu } from "./popup";

export interface RoomHeaderActions {
  back(): void;
  members(roomId: number): void;
  leave(roomId: number): void;
  /** the room's notification level (none when muted), and choosing one; muting it */
  level(roomId: number): NotifyLevel;
  muted(roomId: number): boolean;
  setLevel(roomId: number, level: NotifyLevel): void;
  setMuted(roomId: number, muted: boolean): void;
}

const LEVEL_TEXT: Record<NotifyLevel, string> = {
  all: "All messages",
  mentions: "Mentions only",
  none: "Nothing",
};

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
    const level = this.actions.level(r.info.id);
    const muted = this.actions.muted(r.info.id);
    const sig = `${r.info.id}:${r.info.kind}:${level}:${muted}`;
    if (this.actionsEl.dataset.sig !== sig) {
      this.actionsEl.dataset.sig = sig;
      clear(this.actionsEl);
      const id = r.info.id;
      const notify = h("button", {
        type: "button",
        class: "level",
        "data-level": level,
        "aria-haspopup": "menu",
        "aria-label": `Notifications: ${muted ? "muted" : LEVEL_TEXT[level]}`,
        title: muted ? "Muted" : `Notify me about: ${LEVEL_TEXT[level]}`,
      });
      // a bell (struck through when muted), "@" beside it for mentions only
      notify.append(bellIcon(level !== "none"), level === "mentions" ? "@" : "");
      notify.addEventListener("click", () =>
        showMenu(notify, [
          ...(["all", "mentions", "none"] as NotifyLevel[]).map((l) => ({
            label: (l === level && !muted ? "✓ " : "") + LEVEL_TEXT[l],
            name: LEVEL_TEXT[l],
            run: () => this.actions.setLevel(id, l),
          })),
          {
            label: muted ? "Unmute room" : "Mute room",
            run: () => this.actions.setMuted(id, !muted),
          },
        ]),
      );
      append(
        this.actionsEl,
        notify,
        h("button", { type: "button", text: "Members", onclick: () => this.actions.members(id) }),
        r.info.kind === "group"
          ? h("button", { type: "button", text: "Leave", onclick: () => this.actions.leave(id) })
          : null,
      );
    }
  }
}
