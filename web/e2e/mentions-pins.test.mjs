// End-to-end for mentions, notification levels and pins (issue #14), in two browser
// contexts: what the server decides mentions B is highlighted at B (and a name in code or a
// name of someone not in the room is not), the room list's @ badge counts the server's
// mentions after a reload, the level B picks is kept by the server; a pinned message shows
// in the pinned bar of the other context live, the ⋯ menu pins and unpins.
// Screenshots go to web/e2e-shots/ (git-ignored) for a person to look at.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  api,
  DESKTOP,
  groupRoom,
  openRoom,
  postMessage,
  roomButton,
  sendMessage,
  setup,
  snap,
  until,
  user,
} from "./harness.mjs";

setup({ serverArgs: ["--send-rate", "500"] });

/** Opens the row's ⋯ menu until it offers `item` (the row may be redrawn as the room loads). */
async function menuItem(page, text, item) {
  const r = row(page, text);
  return until(
    async () => {
      await page.keyboard.press("Escape");
      await r.hover();
      await r.locator(".act-more").click();
      const it = page.getByRole("menuitem", { name: item });
      return (await it.count()) > 0 ? it : null;
    },
    { message: `${item} in the menu of "${text}"` },
  );
}

function row(page, text) {
  return page.locator(".timeline .msg:not(.pending)", {
    has: page.locator(".text", { hasText: text }),
  });
}

test("the server's mentions: highlight, badge after a reload, level kept", async () => {
  const a = await user("menta", { viewport: DESKTOP });
  const b = await user("mentb", { viewport: DESKTOP });
  const outsider = await user("mento", { page: false });
  const room = await groupRoom(a, "mention-room", [b]);
  await b.page.reload();
  await roomButton(b.page, "mention-room").waitFor();

  // B is away (another room is not open): three messages arrive, two of them mention B.
  await postMessage(a, room.id, `@${b.username} could you look at this?`);
  await postMessage(a, room.id, `\`@${b.username}\` in code and @${outsider.username} outside`);
  await postMessage(a, room.id, "@room standup in five");
  // The badge counts what the server says (GET /rooms after a reload): 2 of 3.
  await b.page.reload();
  const badge = roomButton(b.page, "mention-room").locator(".mention-badge");
  await badge.waitFor();
  assert.equal(await badge.getAttribute("aria-label"), "2 mentions of you");
  await snap(b.page, "mentions-badge");

  await openRoom(b.page, "mention-room");
  await row(b.page, "could you look").waitFor();
  assert.equal(
    await row(b.page, "could you look")
      .getAttribute("class")
      .then((c) => c.includes("mentions-me")),
    true,
  );
  assert.equal(
    await row(b.page, "standup in five").evaluate((el) => el.classList.contains("mentions-me")),
    true,
  );
  // the name in code is no mention: the row is not highlighted
  assert.equal(
    await row(b.page, "in code and").evaluate((el) => el.classList.contains("mentions-me")),
    false,
  );
  await snap(b.page, "mentions-highlight");

  // A live mention by A while B looks at the room: highlighted too.
  await openRoom(a.page, "mention-room");
  await sendMessage(a.page, `thanks @${b.username.toUpperCase()}!`);
  await until(
    () => row(b.page, "thanks @").evaluate((el) => el.classList.contains("mentions-me")),
    { message: "the live mention highlighted" },
  );

  // B sets the room to mentions only, muted: the server keeps it.
  await b.page.getByRole("button", { name: "Notifications: All messages" }).click();
  await b.page.getByRole("menuitem", { name: "Mentions only" }).click();
  await b.page.getByRole("button", { name: "Notifications: Mentions only" }).waitFor();
  await until(
    async () => {
      const { rooms } = await api(b, "GET", "/api/v1/rooms");
      return rooms.find((r) => r.id === room.id).notifications.level === "mentions";
    },
    { message: "the level kept by the server" },
  );
  await b.page.getByRole("button", { name: "Notifications: Mentions only" }).click();
  await b.page.getByRole("menuitem", { name: "Mute room" }).click();
  await b.page.getByRole("button", { name: "Notifications: muted" }).waitFor();
  await until(
    async () => {
      const { rooms } = await api(b, "GET", "/api/v1/rooms");
      const n = rooms.find((r) => r.id === room.id).notifications;
      return n.level === "mentions" && n.muted === true;
    },
    { message: "the mute kept by the server" },
  );
  await b.page.reload();
  await openRoom(b.page, "mention-room");
  assert.equal(
    await b.page.locator(".room-actions .level").getAttribute("aria-label"),
    "Notifications: muted",
  );
  assert.deepEqual(a.problems, []);
  assert.deepEqual(b.problems, []);
});

test("pins: the ⋯ menu pins, the other context's pinned bar follows live", async () => {
  const a = await user("pina");
  const b = await user("pinb");
  const room = await groupRoom(a, "pin-room", [b]);
  await postMessage(a, room.id, "the agenda for today");
  await postMessage(b, room.id, "an ordinary reply");
  await a.page.reload();
  await b.page.reload();
  await openRoom(a.page, "pin-room");
  await openRoom(b.page, "pin-room");
  assert.equal(await b.page.locator(".pinned-bar").isHidden(), true);

  // A (the owner) pins from the ⋯ menu.
  await (await menuItem(a.page, "the agenda for today", "Pin message")).click();
  // B's bar shows it live.
  const bar = b.page.locator(".pinned-bar");
  await bar.locator(".pinned-text", { hasText: "the agenda for today" }).waitFor();
  assert.equal(await bar.locator(".pinned-count").textContent(), "1 pinned");
  await snap(b.page, "pins-bar");
  // B is a plain member: no Pin in B's menu (pins are for owners and admins here).
  const reply = row(b.page, "an ordinary reply");
  await reply.hover();
  await reply.locator(".act-more").click();
  assert.equal(await b.page.getByRole("menuitem", { name: "Pin message" }).count(), 0);
  await b.page.keyboard.press("Escape");

  // A unpins: B's bar goes.
  await (await menuItem(a.page, "the agenda for today", "Unpin message")).click();
  await bar.waitFor({ state: "hidden" });
  assert.deepEqual(a.problems, []);
  assert.deepEqual(b.problems, []);
});
