import type { ChatEvent, Room } from "../src/types";

export const ME = { id: 1, username: "me" };
export const BOB = { id: 2, username: "bob" };

export function room(id: number, last_seq = 0, extra: Partial<Room> = {}): Room {
  return {
    id,
    kind: "group",
    name: `room${id}`,
    topic: "",
    public: false,
    last_seq,
    unread: 0,
    last_read_seq: last_seq,
    ...extra,
  };
}

export function msg(
  roomId: number,
  seq: number,
  text: string,
  sender = BOB,
  extra: Partial<ChatEvent> = {},
): ChatEvent {
  return {
    room: roomId,
    seq,
    id: `id${seq}`,
    kind: "message",
    sender: sender.id,
    sender_name: sender.username,
    client_msg_id: `c${seq}`,
    text,
    reply_to: 0,
    target: 0,
    created_at: 1000 + seq,
    edited_at: 0,
    deleted: false,
    ...extra,
  };
}

export function edit(
  roomId: number,
  seq: number,
  target: number,
  text: string,
  sender = BOB,
): ChatEvent {
  return {
    ...msg(roomId, seq, text, sender),
    kind: "edit",
    target,
    client_msg_id: "",
    created_at: 5000 + seq,
  };
}

export function del(roomId: number, seq: number, target: number, sender = BOB): ChatEvent {
  return { ...msg(roomId, seq, "", sender), kind: "delete", target, client_msg_id: "" };
}
