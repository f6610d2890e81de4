// End-to-end for the conversation features of the client (issue #14): rich text and its
// sanitising, drafts, grouping, phone Back, notifications. Two browser contexts against a
// real `parley serve`. Screenshots go to web/e2e-shots/ (git-ignored) for a person to look at.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  api,
  notes,
  recordNotifications,
  DESKTOP,
  groupRoom,
  noProblems,
  openRoom,
  PHONE,
  roomButton,
  sendMessage,
  server,
  setup,
  snap,
  until,
  user,
} from "./harness.mjs";

setup({ serverArgs: ["--send-rate", "500"] });

test("Markdown renders on the other side, and an XSS vector stays inert", async () => {
  const a = await user("mdA", { viewport: DESKTOP });
  const b = await user("mdB", { viewport: DESKTOP });
  await groupRoom(a, "rich", [b]);
  await openRoom(a.page, "rich");
  await openRoom(b.page, "rich");
  let alerts = 0;
  b.page.on("dialog", (d) => {
    alerts++;
    void d.dismiss();
  });

  await sendMessage(a.page, "**bold** _it_ ~~old~~ `x < y` :tada: [site](https://example.com)");
  await sendMessage(a.page, "```js\nconst a = 1;\n```\n> quoted\n\n- one\n- two");
  await sendMessage(a.page, `<img src=x onerror="alert(1)"> [click](javascript:alert(1))`);
  await sendMessage(a.page, "<script>alert(2)</script><svg/onload=alert(3)>");

  const last = b.page.locator(".msg .md", { hasText: "svg/onload" });
  await last.waitFor();
  const md = b.page.locator(".msg .md").first();
  assert.equal(await md.locator("strong").textContent(), "bold");
  assert.equal(await md.locator("em").textContent(), "it");
  assert.equal(await md.locator("s").textContent(), "old");
  assert.equal(await md.locator("code").textContent(), "x < y");
  assert.match(await md.textContent(), /🎉/);
  const link = md.locator("a");
  assert.equal(await link.getAttribute("href"), "https://example.com");
  assert.equal(await link.getAttribute("rel"), "noopener noreferrer");
  assert.equal(await link.getAttribute("target"), "_blank");
  const block = b.page.locator(".msg .md pre code.language-js");
  assert.equal(await block.textContent(), "const a = 1;\n");
  await b.page.locator(".msg .md blockquote", { hasText: "quoted" }).waitFor();
  assert.equal(await b.page.locator(".msg .md ul li").count(), 2);

  // The vectors are text: no element, no handler, no javascript: link in the page.
  const found = await b.page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll(".items *")) {
      if (/^(SCRIPT|IMG|SVG|IFRAME)$/i.test(el.tagName)) bad.push(el.tagName);
      for (const at of el.attributes) {
        if (/^on/i.test(at.name)) bad.push(at.name);
        if (/^\s*(javascript|data|vbscript):/i.test(at.value)) bad.push(at.value);
      }
    }
    return bad;
  });
  assert.deepEqual(found, []);
  assert.match(await last.textContent(), /<script>alert\(2\)<\/script>/);
  assert.equal(alerts, 0);

  // A mention of B is highlighted at B, in a highlighted row; one of someone else is not.
  await sendMessage(a.page, `@${b.username} have a look, and @nobody too`);
  const row = b.page.locator(".msg.mentions-me", { hasText: "have a look" });
  await row.waitFor();
  assert.equal(await row.locator(".mention-me").textContent(), `@${b.username}`);
  assert.equal(await row.locator(".mention:not(.mention-me)").textContent(), "@nobody");
  await snap(b.page, "markdown-desktop");
  noProblems(a, b);
});

test("a draft survives a room switch and a reload and is never sent elsewhere", async () => {
  const a = await user("drA", { viewport: DESKTOP });
  const b = await user("drB", { viewport: DESKTOP });
  await groupRoom(a, "first", [b]);
  await groupRoom(a, "second", [b]);
  await roomButton(a.page, "second").waitFor();
  await openRoom(a.page, "first");
  const input = a.page.locator("#composer-input");
  await input.pressSequentially("half a thought for first");

  // Another room: an empty box, and what is sent there is only what is typed there.
  await openRoom(a.page, "second");
  assert.equal(await input.inputValue(), "");
  await sendMessage(a.page, "hello second");
  await a.page.locator(".msg .text", { hasText: "hello second" }).waitFor();

  await openRoom(a.page, "first");
  assert.equal(await input.inputValue(), "half a thought for first");

  // A reload keeps it, in its room only.
  await a.page.reload();
  await a.page.locator("#room-title", { hasText: "first" }).waitFor();
  await until(async () => (await input.inputValue()) === "half a thought for first", {
    message: "draft back after reload",
  });
  await openRoom(a.page, "second");
  assert.equal(await input.inputValue(), "");
  await openRoom(a.page, "first");
  await input.press("Enter");
  await a.page.locator(".msg .text", { hasText: "half a thought for first" }).waitFor();
  assert.equal(await input.inputValue(), "");

  // Bob sees each message in its own room, and nothing stray.
  await openRoom(b.page, "second");
  await b.page.locator(".msg .text", { hasText: "hello second" }).waitFor();
  assert.equal(await b.page.locator(".msg .text", { hasText: "half a thought" }).count(), 0);
  await openRoom(b.page, "first");
  await b.page.locator(".msg .text", { hasText: "half a thought for first" }).waitFor();
  assert.equal(await b.page.locator(".msg .text", { hasText: "hello second" }).count(), 0);
  // After sending, the draft is gone: a reload shows an empty box.
  await a.page.reload();
  await a.page.locator("#room-title", { hasText: "first" }).waitFor();
  assert.equal(await input.inputValue(), "");
  noProblems(a, b);
});

test("messages group under one header with an avatar; Up edits my last; Ctrl+K", async () => {
  const a = await user("grpA", { viewport: DESKTOP });
  const b = await user("grpB", { viewport: DESKTOP });
  await groupRoom(a, "grouping", [b]);
  await groupRoom(a, "elsewhere", [b]);
  await openRoom(a.page, "grouping");
  await openRoom(b.page, "grouping");
  await sendMessage(a.page, "one");
  await sendMessage(a.page, "two");
  await sendMessage(a.page, "three **bold**");
  await b.page.locator(".msg .text", { hasText: "three" }).waitFor();
  await sendMessage(b.page, "reply from b");
  await b.page.locator(".msg:not(.pending) .text", { hasText: "reply from b" }).waitFor();
  await a.page.locator(".msg .text", { hasText: "reply from b" }).waitFor();
  // B has read A's last message: A sees who has, under it.
  await a.page
    .locator(".msg", { hasText: "three" })
    .locator(".seen", { hasText: `Seen by ${b.username}` })
    .waitFor();

  // Three from A: one header and avatar, two grouped; then B's own header.
  const rows = b.page.locator(".items .msg");
  assert.deepEqual(
    await rows.evaluateAll((els) =>
      els.map((e) => [e.classList.contains("grouped"), !!e.querySelector(".avatar")]),
    ),
    [
      [false, true],
      [true, false],
      [true, false],
      [false, true],
    ],
  );
  const avatar = rows.first().locator(".avatar");
  // initials: the first letters of the name's parts ("grpA3_k2x1" → "GK")
  const expect = a.username
    .split("_")
    .map((p) => p[0].toUpperCase())
    .join("");
  assert.equal(await avatar.textContent(), expect);
  // one person, one colour; two people, their own colours (ids differ)
  const colourOf = (row) => row.locator(".avatar").getAttribute("data-c");
  assert.match(await colourOf(rows.first()), /^[0-9]$/);

  // Up in the empty composer edits my last message.
  const input = a.page.locator("#composer-input");
  await input.focus();
  await input.press("ArrowUp");
  const edit = a.page.getByLabel("Edit message", { exact: true });
  assert.equal(await edit.inputValue(), "three **bold**");
  await edit.fill("three **bolder**");
  await edit.press("Enter");
  await b.page.locator(".msg .text strong", { hasText: "bolder" }).waitFor();

  // The list is one tab stop; arrows move between messages.
  await b.page.locator(".timeline").focus();
  await b.page.keyboard.press("ArrowUp");
  const focused = () => b.page.evaluate(() => document.activeElement?.textContent ?? "");
  assert.match(await focused(), /reply from b/);
  await b.page.keyboard.press("ArrowUp");
  assert.match(await focused(), /bolder/);
  await b.page.keyboard.press("Home");
  assert.match(await focused(), /one/);
  const tabbable = await b.page.evaluate(
    () =>
      [...document.querySelectorAll(".items button, .items a")].filter((e) => e.tabIndex >= 0)
        .length,
  );
  assert.equal(tabbable, 0);

  await b.page.locator(".msg", { hasText: "bolder" }).hover();
  await snap(b.page, "grouping-desktop");
  await b.page.locator(".msg", { hasText: "reply from b" }).hover();
  await b.page
    .locator(".msg", { hasText: "reply from b" })
    .getByRole("button", { name: "More actions" })
    .click();
  await snap(b.page, "menu-desktop");
  await b.page.keyboard.press("Escape");

  // Copy link gives a link that opens the room at that message.
  await b.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
  const first = b.page.locator(".msg", { hasText: "one" }).first();
  await first.hover();
  await first.getByRole("button", { name: "More actions" }).click();
  await b.page.getByRole("menuitem", { name: "Copy link" }).click();
  await b.page.locator(".banner", { hasText: "Link copied." }).waitFor();
  const link = await b.page.evaluate(() => navigator.clipboard.readText());
  const seq = await first.getAttribute("data-seq");
  assert.match(link, new RegExp(`#/room/\\d+/${seq}$`));
  const other = await b.context.newPage();
  await other.goto(link);
  await other.locator("#room-title", { hasText: "grouping" }).waitFor();
  await other.locator(`.msg.flash[data-seq="${seq}"]`).waitFor();
  await other.close();

  // Ctrl+K: type part of a name, Enter opens it.
  await a.page.keyboard.press("Control+k");
  await a.page.getByRole("combobox", { name: "Room name" }).fill("elsew");
  await snap(a.page, "switcher-desktop");
  await a.page.keyboard.press("Enter");
  await a.page.locator("#room-title", { hasText: "elsewhere" }).waitFor();
  noProblems(a, b);
});

test("on a phone, Back from a room returns to the room list, not out of Parley", async () => {
  const a = await user("phA", { viewport: PHONE });
  await api(a, "POST", "/api/v1/rooms", {
    name: "solo",
    topic: "just me",
    public: false,
  });
  await roomButton(a.page, "solo").waitFor();
  const start = a.page.url();
  await openRoom(a.page, "solo");
  await a.page.locator(".room-header .presence", { hasText: "1 member," }).waitFor();
  await sendMessage(a.page, "a note to self with `code` and a long line that wraps on a phone");
  await sendMessage(a.page, "second note");
  await a.page.locator(".msg:not(.pending) .text", { hasText: "second note" }).waitFor();
  await snap(a.page, "room-phone");
  // The emoji picker puts the emoji into the text at the cursor.
  await a.page.getByRole("button", { name: "Insert emoji" }).click();
  await snap(a.page, "emoji-phone");
  await a.page.getByRole("menuitem", { name: "tada" }).click();
  assert.equal(await a.page.locator("#composer-input").inputValue(), "🎉");
  await a.page.locator("#composer-input").fill("");
  assert.equal(await a.page.locator(".sidebar").isVisible(), false);

  await a.page.goBack();
  await a.page.locator(".sidebar").waitFor({ state: "visible" });
  assert.equal(await a.page.locator(".room").isVisible(), false);
  assert.equal(a.page.url(), start);
  await snap(a.page, "list-phone");

  // Forward and the header's Back button do the same.
  await openRoom(a.page, "solo");
  await a.page.getByRole("button", { name: "Back to rooms" }).click();
  await a.page.locator(".sidebar").waitFor({ state: "visible" });
  assert.equal(a.page.url(), start);

  // Leaving asks first; Cancel keeps the room.
  await openRoom(a.page, "solo");
  await a.page.getByRole("button", { name: "Leave" }).click();
  const dlg = a.page.getByRole("dialog", { name: /^Leave/ });
  await snap(a.page, "leave-confirm-phone");
  await dlg.getByRole("button", { name: "Cancel" }).click();
  await a.page.locator("#room-title", { hasText: "solo" }).waitFor();

  // Someone joins: the count follows live.
  const b = await user("phB", { page: false });
  const { rooms } = await api(a, "GET", "/api/v1/rooms");
  const solo = rooms.find((r) => r.name === "solo");
  await api(a, "POST", `/api/v1/rooms/${solo.id}/members`, {
    username: b.username,
  });
  await a.page.locator(".room-header .presence", { hasText: "2 members," }).waitFor();
  noProblems(a);
});

test("a message in another room raises a desktop notification; title, favicon count", async () => {
  const a = await user("ntA", { viewport: DESKTOP });
  const b = await user("ntB", { viewport: DESKTOP });
  await groupRoom(a, "alpha", [b]);
  await groupRoom(a, "beta", [b]);
  // B allows notifications; what the page shows is recorded as it is made.
  await recordNotifications(b.context);
  await b.page.reload();
  await roomButton(b.page, "beta").waitFor();
  await openRoom(b.page, "alpha");
  const bell = b.page.getByRole("button", { name: "Desktop notifications" });
  assert.equal(await bell.getAttribute("aria-pressed"), "true");

  await openRoom(a.page, "beta");
  await sendMessage(a.page, "ping from **beta**");
  const raised = await until(
    async () => {
      const n = await notes(b.page);
      return n.length > 0 && n;
    },
    { message: "a notification" },
  );
  assert.equal(raised[0].title, `${a.username} in # beta`);
  assert.equal(raised[0].body, "ping from **beta**");
  await until(async () => (await b.page.title()) === "(1) Parley", { message: "title count" });
  assert.equal(await b.page.locator('link[rel="icon"]').getAttribute("data-badge"), "1");
  assert.match(await b.page.locator('link[rel="icon"]').getAttribute("href"), /^data:image\/png/);

  // The bell turns them off: the next message raises none.
  await bell.click();
  assert.equal(await bell.getAttribute("aria-pressed"), "false");
  await sendMessage(a.page, "second ping");
  await until(async () => (await b.page.title()) === "(2) Parley", { message: "title count 2" });
  assert.equal((await notes(b.page)).length, 1);

  // A mention of B gets its own badge on the room.
  await sendMessage(a.page, `@${b.username} are you there?`);
  await roomButton(b.page, "beta").locator(".mention-badge").waitFor();
  assert.equal(
    await roomButton(b.page, "beta").locator(".mention-badge").getAttribute("aria-label"),
    "1 mention of you",
  );
  await snap(b.page, "notify-desktop");

  // Levels: beta set to mentions only; a plain message raises nothing, a mention does.
  await bell.click();
  assert.equal(await bell.getAttribute("aria-pressed"), "true");
  await openRoom(b.page, "beta");
  await b.page.getByRole("button", { name: "Notifications: All messages" }).click();
  await b.page.getByRole("menuitem", { name: "Mentions only" }).click();
  await b.page.getByRole("button", { name: "Notifications: Mentions only" }).waitFor();
  await snap(b.page, "level-desktop");
  await openRoom(b.page, "alpha");
  await sendMessage(a.page, "plain words");
  await sendMessage(a.page, `@${b.username} only this one`);
  await until(async () => (await notes(b.page)).some((n) => /only this/.test(n.body)), {
    message: "the mention's notification",
  });
  const bodies = (await notes(b.page)).map((n) => n.body);
  assert.equal(bodies.filter((t) => t === "plain words").length, 0);
  noProblems(a, b);
});

/** Whether this server has reactions (its history pages carry my_reactions). */
async function hasReactions(u, roomId) {
  const r = await u.context.request.get(`/api/v1/rooms/${roomId}/messages?limit=1`);
  return "my_reactions" in (await r.json());
}

test("a reaction appears live on the other side; a second click takes it back", async (t) => {
  const a = await user("rxA", { viewport: DESKTOP });
  const b = await user("rxB", { viewport: DESKTOP });
  const room = await groupRoom(a, "reacts", [b]);
  if (!(await hasReactions(a, room.id))) {
    t.skip("this server has no reactions yet");
    return;
  }
  await openRoom(a.page, "reacts");
  await openRoom(b.page, "reacts");
  await sendMessage(a.page, "react to me");
  const bMsg = b.page.locator(".msg", { hasText: "react to me" });
  await bMsg.waitFor();

  // B reacts through the toolbar's picker; A sees it live.
  await bMsg.hover();
  await bMsg.getByRole("button", { name: "Add reaction" }).click();
  await b.page.getByRole("menuitem", { name: "tada" }).click();
  const aChip = a.page.locator(".msg", { hasText: "react to me" }).locator(".reaction");
  await aChip.filter({ hasText: "🎉" }).waitFor();
  assert.equal(await aChip.locator(".reaction-count").textContent(), "1");
  assert.equal(await aChip.getAttribute("aria-pressed"), "false");
  const bChip = bMsg.locator(".reaction", { hasText: "🎉" });
  await until(async () => (await bChip.getAttribute("aria-pressed")) === "true", {
    message: "B's own reaction pressed",
  });

  // A joins in by clicking the chip: 2, pressed for A, live for B.
  await aChip.click();
  await until(async () => (await bChip.locator(".reaction-count").textContent()) === "2", {
    message: "count 2 at B",
  });
  assert.equal(await aChip.getAttribute("aria-pressed"), "true");
  await snap(b.page, "reactions-desktop");

  // B takes it back; after a reload, history says the same.
  await bChip.click();
  await until(async () => (await aChip.locator(".reaction-count").textContent()) === "1", {
    message: "count back to 1 at A",
  });
  await b.page.reload();
  await b.page.locator(".msg", { hasText: "react to me" }).waitFor();
  const chip = b.page.locator(".msg", { hasText: "react to me" }).locator(".reaction");
  assert.equal(await chip.getAttribute("aria-pressed"), "false");
  await a.page.reload();
  const aAgain = a.page.locator(".msg", { hasText: "react to me" }).locator(".reaction");
  await aAgain.waitFor();
  assert.equal(await aAgain.getAttribute("aria-pressed"), "true");
  noProblems(a, b);
});
