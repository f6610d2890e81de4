// End-to-end: two (or more) browser contexts against a real `parley serve`.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  api,
  browser,
  groupRoom,
  newContext,
  noProblems,
  openRoom,
  openUser,
  roomButton,
  sendMessage,
  server,
  setup,
  timelineTexts,
  track,
  uniqueName,
  until,
  user,
  waitLive,
  watchPage,
} from "./harness.mjs";

// A higher send rate lets the history test seed its pages quickly. A presence room limit
// of 3 lets a four-person room stand for a big one (no live presence frames).
setup({ serverArgs: ["--send-rate", "500", "--presence-room-limit", "3"] });

test(
  "register and log in through the UI, then chat live in both directions",
  { timeout: 60000 },
  async () => {
    const pages = [];
    for (const prefix of ["alice", "bob"]) {
      const context = await newContext();
      const page = await context.newPage();
      const problems = watchPage(page);
      await page.goto("/");
      await page.getByRole("button", { name: "Create an account" }).click();
      const username = uniqueName(prefix);
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password").fill("correct horse battery");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.locator(".topbar .whoami", { hasText: username }).waitFor();
      await waitLive(page);
      pages.push({ context, page, problems, username });
    }
    const [a, b] = pages;

    // Alice creates a group room through the UI and invites Bob.
    await a.page.getByRole("button", { name: "New room" }).click();
    await a.page.getByLabel("Name").fill("planning");
    await a.page.getByRole("button", { name: "Create room" }).click();
    await a.page.locator("#room-title", { hasText: "planning" }).waitFor();
    await a.page.getByRole("button", { name: "Members" }).click();
    await a.page.getByLabel("Invite by username").fill(b.username);
    await a.page.getByRole("button", { name: "Invite", exact: true }).click();
    await a.page.locator(`[data-member="${b.username}"]`).waitFor();
    await a.page.keyboard.press("Escape");

    // Bob sees the room appear live, opens it.
    await roomButton(b.page, "planning").waitFor({ timeout: 10000 });
    await openRoom(b.page, "planning");

    // Typing indicator, then the message, live.
    await a.page.locator("#composer-input").pressSequentially("hel");
    await b.page.locator(".typing", { hasText: `${a.username} is typing` }).waitFor();
    await a.page.locator("#composer-input").fill("");
    await sendMessage(a.page, "hello bob");
    await b.page.locator(".msg .text", { hasText: "hello bob" }).waitFor();
    await until(async () => (await b.page.locator(".typing").textContent()) === "", {
      message: "typing cleared",
    });

    // Shift+Enter makes a new line, Enter sends.
    const input = b.page.locator("#composer-input");
    await input.pressSequentially("line one");
    await input.press("Shift+Enter");
    await input.pressSequentially("line two");
    assert.equal(await input.inputValue(), "line one\nline two");
    await input.press("Enter");
    await a.page.locator(".msg .text", { hasText: "line two" }).waitFor();
    assert.equal(
      await a.page.locator(".msg .text", { hasText: "line two" }).textContent(),
      "line one\nline two",
    );
    assert.equal(await input.inputValue(), "");

    await until(
      async () =>
        (await timelineTexts(a.page)).length === 2 && (await timelineTexts(b.page)).length === 2,
      { message: "2 messages each" },
    );
    assert.deepEqual(await timelineTexts(a.page), ["hello bob", "line one\nline two"]);
    assert.deepEqual(await timelineTexts(b.page), ["hello bob", "line one\nline two"]);
    noProblems(a, b);
  },
);

test(
  "offline: the banner shows, missed messages arrive in order without duplicates or a reload, " +
    "pending sends go out once",
  { timeout: 60000 },
  async () => {
    const a = await user("carol");
    const b = await user("dave");
    await groupRoom(a, "ops", [b]);
    await roomButton(a.page, "ops").waitFor();
    await roomButton(b.page, "ops").waitFor();
    await openRoom(a.page, "ops");
    await openRoom(b.page, "ops");
    await sendMessage(a.page, "before");
    await b.page.locator(".msg .text", { hasText: "before" }).waitFor();

    await b.page.evaluate(() => (window.__noReload = "still here"));
    await b.context.setOffline(true);
    await b.page.locator(".banner", { hasText: /offline|Connection lost/ }).waitFor();

    // Bob writes while offline: shown at once, pending.
    await sendMessage(b.page, "written offline");
    await b.page
      .locator('.msg.pending[data-status="pending"] .text', { hasText: "written offline" })
      .waitFor();

    for (let i = 1; i <= 5; i++) await sendMessage(a.page, `missed ${i}`);
    await until(
      async () =>
        (await timelineTexts(a.page)).filter((t) => t.startsWith("missed")).length === 5 &&
        (await a.page.locator(".msg.pending").count()) === 0,
      { message: "alice's sends acked" },
    );
    // Bob must not see them while offline.
    assert.equal((await timelineTexts(b.page)).filter((t) => t.startsWith("missed")).length, 0);

    await b.context.setOffline(false);
    await b.page.locator(".banner").waitFor({ state: "hidden" });
    await waitLive(b.page);
    const expected = [
      "before",
      "written offline",
      "missed 1",
      "missed 2",
      "missed 3",
      "missed 4",
      "missed 5",
    ];
    const sorted = (xs) => [...xs].sort();
    await until(
      async () =>
        (await b.page.locator(".msg.pending").count()) === 0 &&
        (await timelineTexts(b.page)).length === 7,
      { message: "bob caught up" },
    );
    const got = await timelineTexts(b.page);
    assert.deepEqual(sorted(got), sorted(expected), "each message exactly once");
    // Alice's messages in order; Bob's own message is somewhere after "before".
    assert.deepEqual(
      got.filter((t) => t !== "written offline"),
      expected.filter((t) => t !== "written offline"),
    );
    const seqs = await b.page
      .locator(".items .msg[data-seq]")
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-seq"))));
    assert.deepEqual(
      seqs,
      [...seqs].sort((x, y) => x - y),
      "ascending seq",
    );
    assert.equal(new Set(seqs).size, seqs.length, "no duplicate seq");
    assert.equal(await b.page.evaluate(() => window.__noReload), "still here", "no page reload");

    await a.page.locator(".msg .text", { hasText: "written offline" }).waitFor();
    await until(async () => (await timelineTexts(a.page)).length === 7, {
      message: "alice sees 7",
    });
    assert.equal((await timelineTexts(a.page)).filter((t) => t === "written offline").length, 1);
    noProblems(a, b);
  },
);

test("history scrolls back across several pages", { timeout: 90000 }, async () => {
  // The history is written before Erin is in the room, so none of it reached her live.
  const seeder = await user("seed", { page: false });
  const room = await groupRoom(seeder, "archive", []);
  const total = 160;
  for (let i = 1; i <= total; i++) {
    await api(seeder, "POST", `/api/v1/rooms/${room.id}/messages`, {
      client_msg_id: `h-${i}`,
      text: `history ${i}`,
    });
  }
  const a = await user("erin");
  await api(seeder, "POST", `/api/v1/rooms/${room.id}/members`, {
    username: a.username,
  });
  await roomButton(a.page, "archive").waitFor();
  await openRoom(a.page, "archive");
  await a.page.locator(".msg .text", { hasText: `history ${total}` }).waitFor();
  const first = await a.page.locator(".items .msg[data-seq]").count();
  assert.ok(first <= 100, `starts with a page or two, not everything (${first})`);

  // Scroll up until the start of the room shows; pages load as we go.
  await until(
    async () => {
      await a.page.locator(".timeline").evaluate((el) => (el.scrollTop = 0));
      return a.page.locator(".history-start").isVisible();
    },
    { timeout: 30000, interval: 200, message: "beginning of room" },
  );
  const texts = await timelineTexts(a.page);
  assert.equal(texts.length, total);
  assert.deepEqual(
    texts,
    Array.from({ length: total }, (_, i) => `history ${i + 1}`),
  );
  noProblems(a);
});

test("edit, delete and reply", { timeout: 60000 }, async () => {
  const a = await user("frank");
  const b = await user("grace");
  await groupRoom(a, "edits", [b]);
  await roomButton(b.page, "edits").waitFor();
  await openRoom(a.page, "edits");
  await openRoom(b.page, "edits");
  await sendMessage(a.page, "frist post");
  const bMsg = b.page.locator(".msg", { has: b.page.locator(".text", { hasText: "frist post" }) });
  await bMsg.waitFor();

  // Alice edits her message.
  const aMsg = a.page.locator(".msg:not(.pending)", {
    has: a.page.locator(".text", { hasText: "frist post" }),
  });
  await aMsg.hover();
  await aMsg.getByRole("button", { name: "More actions" }).click();
  await aMsg.getByRole("menuitem", { name: "Edit message" }).click();
  const edit = a.page.getByLabel("Edit message", { exact: true });
  await edit.fill("first post");
  await edit.press("Enter");
  await b.page.locator(".msg .text", { hasText: "first post" }).waitFor();
  await b.page.locator(".msg .edited").waitFor();

  // Bob cannot edit Alice's message; he replies to it.
  const bFirst = b.page.locator(".msg", {
    has: b.page.locator(".text", { hasText: "first post" }),
  });
  await bFirst.hover();
  await bFirst.getByRole("button", { name: "More actions" }).click();
  assert.equal(await bFirst.getByRole("menuitem", { name: "Edit message" }).count(), 0);
  await b.page.keyboard.press("Escape");
  await bFirst.getByRole("button", { name: /Reply to/ }).click();
  await b.page.locator(".reply-bar", { hasText: "first post" }).waitFor();
  await sendMessage(b.page, "agreed");
  const reply = a.page.locator(".msg", { has: a.page.locator(".text", { hasText: "agreed" }) });
  await reply.locator(".reply-ref", { hasText: "first post" }).waitFor();

  // Alice deletes her message: a tombstone everywhere, and the reply says so.
  const aFirst = a.page.locator(".msg:not(.pending)", {
    has: a.page.locator(".text", { hasText: "first post" }),
  });
  await aFirst.hover();
  await aFirst.getByRole("button", { name: "More actions" }).click();
  await aFirst.getByRole("menuitem", { name: "Delete message" }).click();
  await a.page
    .getByRole("dialog", { name: "Delete this message?" })
    .getByRole("button", { name: "Delete" })
    .click();
  await b.page.locator(".msg.deleted .tombstone").waitFor();
  await b.page.locator(".reply-ref", { hasText: "Message deleted" }).waitFor();
  assert.equal(await b.page.locator(".msg .text", { hasText: "first post" }).count(), 0);
  noProblems(a, b);
});

test(
  "unread badges, the new-messages divider, the read marker, presence",
  { timeout: 60000 },
  async () => {
    const a = await user("heidi");
    const b = await user("ivan");
    await groupRoom(a, "news", [b]);
    await groupRoom(a, "quiet", [b]);
    await roomButton(b.page, "news").waitFor();
    await roomButton(b.page, "quiet").waitFor();
    await openRoom(b.page, "quiet");
    await openRoom(a.page, "news");
    await sendMessage(a.page, "seen already");
    await until(
      async () =>
        (await b.page
          .locator('.room-item:has-text("news") .badge')
          .textContent()
          .catch(() => null)) === "1",
      { message: "badge 1" },
    );

    // Bob reads it, then goes elsewhere; three more arrive.
    await openRoom(b.page, "news");
    await b.page.locator(".msg .text", { hasText: "seen already" }).waitFor();
    await roomButton(b.page, "news").locator(".badge").waitFor({ state: "detached" });
    await openRoom(b.page, "quiet");
    for (const t of ["n1", "n2", "n3"]) await sendMessage(a.page, t);
    const badge = roomButton(b.page, "news").locator(".badge");
    await until(async () => (await badge.textContent().catch(() => null)) === "3", {
      message: "badge 3",
    });
    assert.equal(await badge.getAttribute("aria-label"), "3 unread");
    // Last-message preview in the room list.
    await roomButton(b.page, "news").locator(".room-preview", { hasText: "n3" }).waitFor();

    await openRoom(b.page, "news");
    await b.page.locator(".divider").waitFor();
    // The divider sits right before the first unread message.
    const after = await b.page.locator(".divider + .msg .text").textContent();
    assert.equal(after, "n1");
    await badge.waitFor({ state: "detached" });
    // The marker reached the server: a fresh page shows no unread.
    const rooms = await api(b, "GET", "/api/v1/rooms");
    const news = rooms.rooms.find((r) => r.name === "news");
    await until(
      async () => {
        const rs = await api(b, "GET", "/api/v1/rooms");
        return rs.rooms.find((r) => r.id === news.id).unread === 0;
      },
      { message: "server unread 0" },
    );

    // Presence: a direct conversation shows the peer online, then offline when they leave.
    // (Reload: the server reports co-members' presence when a socket connects, not when a
    // room starts to be shared, so Bob learns Heidi is online at his next connect.)
    await b.page.reload();
    await waitLive(b.page);
    await b.page.getByRole("button", { name: "Direct message" }).click();
    await b.page.getByLabel("Username").fill(a.username);
    await b.page.getByRole("button", { name: "Start conversation" }).click();
    await b.page.locator("#room-title", { hasText: a.username }).waitFor();
    await b.page.locator('.room-header .presence[data-online="true"]').waitFor();
    await sendMessage(b.page, "psst");
    await roomButton(a.page, b.username).waitFor();
    await a.page.close();
    await b.page.locator('.room-header .presence[data-online="false"]').waitFor({ timeout: 10000 });
    noProblems(b);
  },
);

test(
  "a room over the presence limit shows who is online from its member list",
  { timeout: 60000 },
  async () => {
    const [a, b, c, d] = [
      await user("kim"),
      await user("lou"),
      await user("max"),
      await user("ned"),
    ];
    await groupRoom(a, "crowd", [b, c, d]); // 4 members > the limit of 3: no live frames
    await roomButton(a.page, "crowd").waitFor();
    await openRoom(a.page, "crowd");
    // Everyone is connected; only the member list can say so.
    await a.page.locator(".room-header .presence", { hasText: "4 members, 4 online" }).waitFor();
    await d.page.close();
    // The Members dialog reads the list afresh each time it opens: reopen until the server
    // has seen Ned's socket close.
    await until(
      async () => {
        await a.page.getByRole("button", { name: "Members" }).click();
        const gone = a.page.locator(
          `dialog li[data-member="${d.username}"] .dot[data-online="false"]`,
        );
        const seen = await gone.waitFor({ timeout: 1000 }).then(
          () => true,
          () => false,
        );
        if (!seen) await a.page.getByRole("button", { name: "Close" }).click();
        return seen;
      },
      { timeout: 15000, interval: 200, message: "ned offline in the member list" },
    );
    assert.equal(
      await a.page
        .locator(`dialog li[data-member="${b.username}"] .dot`)
        .getAttribute("data-online"),
      "true",
    );
    noProblems(a, b, c);
  },
);

test("message text is never HTML; links are made safely", { timeout: 60000 }, async () => {
  const a = await user("judy");
  const b = await user("mallory");
  await groupRoom(b, "xss", [a]);
  await roomButton(a.page, "xss").waitFor();
  await openRoom(a.page, "xss");
  await openRoom(b.page, "xss");
  const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  await sendMessage(b.page, evil);
  await sendMessage(
    b.page,
    "see https://example.com/a?b=1&c=2. and javascript:alert(1) and <b>bold</b>",
  );
  const text = a.page.locator(".msg .text", { hasText: "onerror" });
  await text.waitFor();
  assert.equal(await text.textContent(), evil);
  assert.equal(await a.page.locator(".items img, .items script, .items b").count(), 0);
  const link = a.page.locator(".items a");
  await link.waitFor();
  assert.equal(await link.count(), 1);
  assert.equal(await link.getAttribute("href"), "https://example.com/a?b=1&c=2");
  assert.equal(await link.getAttribute("rel"), "noopener noreferrer");
  assert.equal(await link.getAttribute("target"), "_blank");
  assert.equal(await a.page.evaluate(() => window.__pwned), undefined);
  // The room list preview is text too.
  assert.equal(await a.page.locator(".room-list img").count(), 0);
  noProblems(a, b);
});

test(
  "rooms: join a public room, leave it, start a direct conversation",
  { timeout: 60000 },
  async () => {
    const a = await user("ken");
    const b = await user("liz");
    await api(a, "POST", "/api/v1/rooms", {
      name: "lobby",
      topic: "everyone welcome",
      public: true,
    });
    await b.page.getByRole("button", { name: "Browse rooms" }).click();
    await b.page.getByRole("button", { name: "Join lobby" }).click();
    await b.page.locator("#room-title", { hasText: "lobby" }).waitFor();
    await sendMessage(b.page, "hi all");
    await roomButton(a.page, "lobby").locator(".room-preview", { hasText: "hi all" }).waitFor();
    await b.page.getByRole("button", { name: "Leave" }).click();
    await b.page
      .getByRole("dialog", { name: /^Leave/ })
      .getByRole("button", { name: "Leave" })
      .click();
    await roomButton(b.page, "lobby").waitFor({ state: "detached" });
    noProblems(a, b);
  },
);

test(
  "devices: list sessions, revoke another one (it is signed out live), log out",
  { timeout: 60000 },
  async () => {
    const a = await user("mike");
    const other = await openUser(browser, server.url, a.username, { register: false });
    track(other.context);
    await a.page.locator(".topbar .whoami").click();
    await a.page.getByRole("menuitem", { name: "Devices" }).click();
    const rows = a.page.locator("dialog [data-session-id]");
    await until(async () => (await rows.count()) === 2, { message: "two sessions" });
    await a.page
      .locator("dialog [data-session-id]:not(:has-text('this device')) button", {
        hasText: "Revoke",
      })
      .click();
    await until(async () => (await rows.count()) === 1, { message: "one session left" });
    // The revoked device drops to the sign-in screen without a reload.
    await other.page.locator("#auth-username").waitFor({ timeout: 10000 });
    await a.page.keyboard.press("Escape");
    await a.page.locator(".topbar .whoami").click();
    await a.page.getByRole("menuitem", { name: "Log out" }).click();
    await a.page.locator("#auth-username").waitFor();
    await a.page.reload();
    await a.page.locator("#auth-username").waitFor();
    noProblems(a);
  },
);

test("phone width: one pane at a time, back to the room list", { timeout: 60000 }, async () => {
  const a = await user("nina", { viewport: { width: 375, height: 700 } });
  await groupRoom(a, "mobile", []);
  await roomButton(a.page, "mobile").waitFor();
  assert.equal(await a.page.locator(".main").isVisible(), false);
  await openRoom(a.page, "mobile");
  assert.equal(await a.page.locator(".sidebar").isVisible(), false);
  await sendMessage(a.page, "small screen");
  await a.page.locator(".msg .text", { hasText: "small screen" }).waitFor();
  const overflow = await a.page.evaluate(
    () => document.documentElement.scrollWidth > window.innerWidth,
  );
  assert.equal(overflow, false, "no horizontal scrolling");
  await a.page.getByRole("button", { name: "Back to rooms" }).click();
  await roomButton(a.page, "mobile").waitFor();
  noProblems(a);
});

test(
  "served by parley: hashed assets cached for a year, the page never, CSP forbids inline script",
  { timeout: 30000 },
  async () => {
    const res = await fetch(server.url + "/");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /text\/html/);
    assert.equal(res.headers.get("cache-control"), "no-cache");
    const csp = res.headers.get("content-security-policy");
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, "no inline script");
    assert.doesNotMatch(html, /<style|style=/, "no inline style");
    const js = /src="(\/assets\/[^"]+\.js)"/.exec(html)[1];
    const css = /href="(\/assets\/[^"]+\.css)"/.exec(html)[1];
    assert.match(js, /-[A-Za-z0-9_-]{6,}\.js$/, "hashed name");
    for (const [path, type] of [
      [js, /javascript/],
      [css, /text\/css/],
    ]) {
      const r = await fetch(server.url + path);
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type"), type);
      assert.match(r.headers.get("cache-control"), /max-age=31536000.*immutable/);
    }
    const route = await fetch(server.url + "/some/client/route");
    assert.equal(route.headers.get("cache-control"), "no-cache");
  },
);
