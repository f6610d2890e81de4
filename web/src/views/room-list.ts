// The sidebar: the buttons that start or find a room, and my rooms, newest activity first,
// each with its unread count, its last message and (direct rooms) whether the peer is online.

import { people } from "../people";
import { KeyedList, h } from "../dom";
import { peerOf, roomLabel, roomName, summary } from "../format";
import { mentionsMe } from "../notify-rules";
import type { RoomState } from "../state";
import type { ChatContext } from "./context";

export interface RoomListActions {
  newRoom(): void;
  browseRooms(): void;
  directMessage(): void;
}

export class RoomList {
  private list = h("ul", { class: "room-list", "aria-label": "Your rooms" });
  private rows = new KeyedList<number>(this.list);
  readonly el: HTMLElement;

  constructor(
    private readonly ctx: ChatContext,
    actions: RoomListActions,
  ) {
    this.el = h(
      "nav",
      { class: "sidebar", "aria-label": "Rooms" },
      h(
        "div",
        { class: "side-actions" },
        h("button", { type: "button", text: "New room", onclick: () => actions.newRoom() }),
        h("button", { type: "button", text: "Browse rooms", onclick: () => actions.browseRooms() }),
        h("button", {
          type: "button",
          text: "Direct message",
          onclick: () => actions.directMessage(),
        }),
      ),
      this.list,
    );
  }

  /** The rooms as they are now (the shell puts the unread count in the tab's title). */
  render(): void {
    this.rows.update(this.ctx.st.roomList().map((r) => this.entry(r)));
  }

  focusFirst(): void {
    this.list.querySelector("button")?.focus();
  }

  private entry(r: RoomState) {
    const { me, st } = this.ctx;
    const id = r.info.id;
    const current = this.ctx.active === id;
    const name = roomName(r, me.id);
    const last = r.lastMessage;
    const who =
      last && (last.sender === me.id ? "You" : people.displayName(last.sender, last.sender_name));
    const preview = last
      ? last.deleted
        ? "Message deleted"
        : `${who}: ${summary(last, 60)}`
      : r.info.topic || "No messages yet";
    const peer = peerOf(r, me.id);
    const online = peer ? st.isOnline(peer.id) : null;
    const unread = r.unread;
    const mentions = unreadMentions(r, me);
    const sig = JSON.stringify([name, preview, unread, mentions, online, current, r.info.kind]);
    const make = () =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "room-item",
            "data-room-id": id,
            "aria-current": current ? "page" : undefined,
            onclick: () => this.ctx.open(id),
          },
          h(
            "span",
            { class: "room-line" },
            online !== null
              ? h("span", {
                  class: "dot",
                  "data-online": String(online),
                  "aria-label": online ? "online" : "offline",
                })
              : null,
            h("span", { class: "room-name", text: roomLabel(r, me.id) }),
            mentions > 0
              ? h("span", {
                  class: "badge mention-badge",
                  "aria-label": `${mentions} ${mentions === 1 ? "mention" : "mentions"} of you`,
                  text: "@",
                })
              : null,
            unread > 0
              ? h("span", {
                  class: "badge",
                  "aria-label": `${unread} unread`,
                  text: unread > 99 ? "99+" : String(unread),
                })
              : null,
          ),
          h("span", { class: "room-preview", text: preview }),
        ),
      );
    return { key: id, sig, make };
  }
}

/**
 * Unread mentions of me in a room: those among the unread messages the client holds, or the
 * server's count (GET /rooms, where it gives one) if more; none once the room is read.
 */
export function unreadMentions(r: RoomState, me: { id: number; username: string }): number {
  if (r.unread === 0) return 0;
  const fromServer = (r.info as { mentions?: number }).mentions ?? 0;
  let n = 0;
  for (const m of r.messages.values()) {
    if (m.seq > r.lastReadSeq && !m.deleted && m.sender !== me.id && mentionsMe(m, me)) n++;
  }
  return Math.max(n, fromServer);
}
