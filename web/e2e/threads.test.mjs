// End-to-end for threads (issue #14): a reply in a thread from the "⋯" menu, the root's
// "N replies" line, the side panel updating live in another browser context, the unread
// indicator for a followed thread, and on a phone the panel over the room that Back closes.
// Screenshots go to web/e2e-shots/ (git-ignored) for a person to look at.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  api,
  DESKTOP,
  groupRoom,
  openRoom,
  PHONE,
  roomButton,
  sendMessage,
  setup,
  snap,
  timelineTexts,
  user,
} from "./harness.mjs";

setup({ serverArgs: ["--send-rate", "500"] });

function rootRow(page, text) {
  return page.locator(".timeline .msg:not(.pending)", {
    has: page.locator(".text", { hasText: text }),
  });
}

async function replyInPanel(page, text) {
  const input = page.locator("#thread-input");
  await input.fill(text);
  await input.press("Enter");
  await page.locator(".thread-panel .thread-items .text", { hasText: text }).waitFor();
}

test("a thread opens from the menu, and the other side sees it and its replies live", async () => {
  const a = await user("thA", { viewport: DESKTOP });
  const b = await user("thB", { viewport: DESKTOP });
  await groupRoom(a, "plans", [b]);
  await openRoom(a.page, "plans");
  await openRoom(b.page, "plans");
  await sendMessage(a.page, "Where do we meet on Friday?");
  await sendMessage(a.page, "And who brings the cake?");
  const aRoot = rootRow(a.page, "Where do we meet on Friday?");
  await aRoot.waitFor();

  // Alice replies in the thread from the message's "⋯" menu.
  await aRoot.hover();
  await aRoot.getByRole("button", { name: "More actions" }).click();
  await a.page.getByRole("menuitem", { name: "Reply in thread" }).click();
  await a.page.locator(".thread-panel").waitFor({ state: "visible" });
  await replyInPanel(a.page, "The usual café, at noon.");

  // Bob sees the root's summary appear live; the reply is not in his main timeline.
  const bRoot = rootRow(b.page, "Where do we meet on Friday?");
  await bRoot.locator(".thread-summary", { hasText: "1 reply" }).waitFor();
  assert.ok(!(await timelineTexts(b.page)).some((t) => t.includes("usual café")));
  await bRoot.locator(".thread-summary").click();
  const bPanel = b.page.locator(".thread-panel");
  await bPanel.locator(".thread-items .text", { hasText: "The usual café" }).waitFor();
  await bPanel.locator(".thread-root .text", { hasText: "Where do we meet" }).waitFor();

  // Alice's next reply reaches Bob's open panel live, and both summaries count two.
  await replyInPanel(a.page, "I can bring the cake.");
  await bPanel.locator(".thread-items .text", { hasText: "I can bring the cake." }).waitFor();
  await bRoot.locator(".thread-summary", { hasText: "2 replies" }).waitFor();
  await aRoot.locator(".thread-summary", { hasText: "2 replies" }).waitFor();
  await replyInPanel(b.page, "Great, see you there!");
  await a.page
    .locator(".thread-panel .thread-items .text", { hasText: "Great, see you there!" })
    .waitFor();
  await snap(b.page, "thread-desktop");

  // Bob follows the thread (he replied); with his panel closed, Alice's reply is unread.
  await bPanel.getByRole("button", { name: "Close thread" }).click();
  await bPanel.waitFor({ state: "hidden" });
  await replyInPanel(a.page, "Bring an umbrella.");
  await b.page.locator(".threads-button.unread", { hasText: "Threads 1" }).waitFor();
  await bRoot.locator(".thread-summary.unread", { hasText: "4 replies" }).waitFor();
  await snap(b.page, "thread-unread-desktop");
  // Opening it reads it.
  await b.page.locator(".threads-button").click();
  await b.page.getByRole("menuitem", { name: /Where do we meet.*\(1 new\)/ }).click();
  await bPanel.locator(".thread-items .text", { hasText: "Bring an umbrella." }).waitFor();
  await b.page.locator(".threads-button:not(.unread)").waitFor();
  assert.deepEqual(a.problems, []);
  assert.deepEqual(b.problems, []);
});

test("on a phone the thread covers the room, and Back returns to the room", async () => {
  const a = await user("thpA", { viewport: PHONE });
  const b = await user("thpB", { viewport: DESKTOP, page: false });
  const room = await groupRoom(a, "phone threads", [b]);
  await roomButton(a.page, "phone threads").waitFor();
  await openRoom(a.page, "phone threads");
  await sendMessage(a.page, "Thread on a phone");
  const aRoot = rootRow(a.page, "Thread on a phone");
  await aRoot.waitFor();
  const { messages } = await api(b, "GET", `/api/v1/rooms/${room.id}/messages`);
  const root = messages.find((m) => m.text === "Thread on a phone");
  await api(b, "POST", `/api/v1/rooms/${room.id}/messages`, {
    client_msg_id: "p1",
    text: "A reply from Bob's desktop",
    thread_root: root.seq,
  });
  await aRoot.locator(".thread-summary", { hasText: "1 reply" }).click();
  const panel = a.page.locator(".thread-panel");
  await panel.locator(".thread-items .text", { hasText: "A reply from Bob" }).waitFor();
  const box = await panel.boundingBox();
  assert.equal(Math.round(box.width), PHONE.width);
  await replyInPanel(a.page, "Answered on the phone");
  await snap(a.page, "thread-phone");

  await a.page.goBack();
  await panel.waitFor({ state: "hidden" });
  await a.page.locator("#room-title", { hasText: "phone threads" }).waitFor();
  assert.equal(await a.page.locator(".room").isVisible(), true);
  await aRoot.locator(".thread-summary", { hasText: "2 replies" }).waitFor();
  await snap(a.page, "thread-closed-phone");
  assert.deepEqual(a.problems, []);
});
