// End-to-end (issue #14): a room's settings change is a timeline event, so the people in the
// room see it live. A renames the room and sets a topic over the API (another device); B,
// with the room open in another browser context, sees the header follow, and the room list
// too; on a phone-sized page as well. B's page made no request for it (it came as an event).

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  api,
  DESKTOP,
  groupRoom,
  noProblems,
  openRoom,
  PHONE,
  roomButton,
  setup,
  snap,
  user,
} from "./harness.mjs";

setup();

test("a rename and a new topic reach the other member's header and room list live", async () => {
  const a = await user("rsA", { viewport: DESKTOP });
  const b = await user("rsB", { viewport: DESKTOP });
  const c = await user("rsC", { viewport: PHONE });
  const room = await groupRoom(a, "planning", [b, c]);
  await roomButton(b.page, "planning").waitFor();
  await openRoom(b.page, "planning");
  await roomButton(c.page, "planning").waitFor();
  const header = b.page.locator(".room-header");
  await header.getByText("planning").waitFor();
  const roomsRead = [];
  b.page.on("request", (r) => {
    if (/\/api\/v1\/rooms(\/\d+)?$/.test(new URL(r.url()).pathname)) roomsRead.push(r.url());
  });

  const changed = await api(a, "PATCH", `/api/v1/rooms/${room.id}`, {
    name: "Launch plan",
    topic: "Ship it on Thursday",
  });
  assert.equal(changed.event.kind, "settings");
  assert.deepEqual(changed.event.settings.changed, ["name", "topic"]);

  await header.locator("h1, .title-line", { hasText: "Launch plan" }).first().waitFor();
  await header.getByText("Ship it on Thursday").waitFor();
  await roomButton(b.page, "Launch plan").waitFor();
  assert.equal(await roomButton(b.page, "planning").count(), 0);
  assert.deepEqual(roomsRead, [], "the change came as an event, not from a re-read of the rooms");
  await snap(b.page, "room-renamed-desktop");
  // The phone, on its room list, shows the new name too.
  await roomButton(c.page, "Launch plan").waitFor();
  await snap(c.page, "room-renamed-phone");
  noProblems(a, b, c);
});
